// The ledger and the investor update an investor reads, through the real daemon and the
// offline `rules` extractor, on two data sets it was not written for:
//  - scaleflow_full.csv: 1,100 templated messages of one company, mostly chatter and ~200 KPI
//    snapshots; the ledger must hold the few facts, not the snapshots.
//  - realistic_dev/: 219 hand-written messages of three companies in varied wording, with the
//    facts each company's update must and must not state (expected_digest.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "adapters/postgres/pg.h"
#include "core/hash.h"
#include "pipeline/investor/investor_update.h"
#include "pipeline/ledger/metric_vocab.h"
#include "tests/e2e/harness.h"

namespace ms::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::string SharedData(const std::string& name) {
  return SourceDir() + "/../shared/data/" + name;
}

class LedgerTest : public PipelineTest {
 protected:
  void SetUp() override {
    PipelineTest::SetUp();
    overrides_["MILESTONE_LLM_PROVIDER"] = "rules";
  }

  // investor-email --format json: the stored update's JSON.
  json Update(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"investor-email", "--format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    int code = -1;
    std::string out = CtlOutput(args, &code);
    EXPECT_EQ(code, 0) << out;
    size_t open = out.find('{');
    size_t close = out.rfind('}');
    if (open == std::string::npos || close == std::string::npos) return json();
    return json::parse(out.substr(open, close - open + 1), nullptr, false);
  }

  std::vector<std::vector<std::string>> Rows(const std::string& sql) {
    auto conn = pg::Connection::Open(PgOptionsFor(dsn_));
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    std::vector<std::vector<std::string>> rows;
    if (!conn.ok()) return rows;
    auto res = (*conn)->Exec(sql);
    EXPECT_TRUE(res.ok()) << sql;
    for (int row = 0; res.ok() && row < res->rows(); ++row) {
      std::vector<std::string> cells;
      for (int col = 0; col < res->cols(); ++col) cells.emplace_back(res->Get(row, col));
      rows.push_back(std::move(cells));
    }
    return rows;
  }

  // Events citing a message whose text starts with `prefix`.
  int64_t EventsCiting(const std::string& prefix) {
    return Query(
        "SELECT count(DISTINCT e.id) FROM events e, "
        "jsonb_array_elements_text(e.source_message_ids) "
        "s JOIN messages m ON m.id = s::bigint WHERE left(m.text, " +
        std::to_string(prefix.size()) + ") = '" + prefix + "'");
  }

  // messages.id of a realistic_dev row (the CSV producer's message identities).
  int64_t MessageId(const std::string& company, const std::string& row, bool chat) {
    const std::string source_id =
        chat ? "csv-" + company + "-" + row : Fnv1a64Hex(company + "/" + row, kFnvLegacyBasis);
    return Query("SELECT id FROM messages WHERE company_id = '" + company +
                 "' AND source_msg_id = '" + source_id + "'");
  }

  // The events that cite any of the rows.
  std::set<int64_t> EventsOf(const std::string& company, const std::vector<std::string>& rows,
                             bool chat) {
    std::set<int64_t> events;
    for (const std::string& row : rows) {
      const int64_t message = MessageId(company, row, chat);
      for (const auto& r :
           Rows("SELECT e.id FROM events e WHERE e.company_id = '" + company +
                "' AND e.source_message_ids @> '[" + std::to_string(message) + "]'::jsonb")) {
        events.insert(std::stoll(r[0]));
      }
    }
    return events;
  }
};

TEST_F(LedgerTest, ScaleflowLedgerHoldsTheFactsAndTheUpdateIsOnePage) {
  if (!std::filesystem::exists(SharedData("scaleflow_full.csv"))) GTEST_SKIP();
  auto daemon = StartDaemon();
  ASSERT_EQ(Ctl({"produce", SharedData("scaleflow_full.csv")}), 0);
  ASSERT_TRUE(WaitAllDone(1100, 120s)) << daemon->Log();

  const int64_t open = Query("SELECT count(*) FROM events WHERE state = 'open'");
  EXPECT_LE(open, 60) << "KPI snapshots are observations, not events";
  EXPECT_GT(Query("SELECT count(*) FROM observations WHERE metric = 'mrr'"), 50);
  // The term sheet: $15M at $80M, once, high.
  auto rounds = Rows(
      "SELECT id, severity, title FROM events WHERE type = 'funding' AND "
      "(metrics->>'amount_usd' = '15000000' OR metrics->>'amount' = '15000000')");
  ASSERT_EQ(rounds.size(), 1u) << "the term sheet is one event";
  EXPECT_EQ(rounds[0][1], "high");
  // Nothing from chatter.
  for (const char* chatter :
       {"Database is hitting", "PR #", "Sentry alert", "I just saw the budget",
        "Can we talk about the technical debt", "Just merged the fix"}) {
    EXPECT_EQ(EventsCiting(chatter), 0) << chatter;
  }
  // Every event's time is its messages' time, not the ingest time.
  EXPECT_EQ(Query("SELECT count(*) FROM events WHERE occurred_at < '2025-11-01' OR "
                  "occurred_at >= '2025-11-28'"),
            0);

  json update = Update({"--company", "scaleflow"});
  ASSERT_TRUE(update.is_object());
  const std::string body = update["body"];
  const std::string subject = update["subject"];
  const std::string headline = update["digest"]["headline"].value("text", "");
  EXPECT_LE(CountWords(body), 350) << body;
  EXPECT_EQ(update["digest"]["headline"].value("event_id", 0), std::stoll(rounds[0][0]))
      << "the term sheet leads: " << subject;
  EXPECT_NE(subject.find(rounds[0][2]), std::string::npos) << subject;
  // The KPI table: MRR's first and latest readings of the data.
  auto mrr = Rows(
      "(SELECT value FROM observations WHERE metric = 'mrr' ORDER BY observed_at, id LIMIT 1) "
      "UNION ALL (SELECT value FROM observations WHERE metric = 'mrr' "
      "ORDER BY observed_at DESC, id DESC LIMIT 1)");
  ASSERT_EQ(mrr.size(), 2u);
  const json& kpis = update["digest"]["kpis"];
  auto row =
      std::find_if(kpis.begin(), kpis.end(), [](const json& k) { return k["metric"] == "mrr"; });
  ASSERT_NE(row, kpis.end()) << kpis.dump();
  EXPECT_DOUBLE_EQ((*row)["first"].get<double>(), std::stod(mrr[0][0]));
  EXPECT_DOUBLE_EQ((*row)["latest"].get<double>(), std::stod(mrr[1][0]));
  EXPECT_NE(body.find("| MRR | " + FormatMetricValue((*row)["first"].get<double>(), "USD")),
            std::string::npos)
      << body;

  // A replay later yields the same ledger and the same update.
  EXPECT_EQ(Update({"--company", "scaleflow"})["body"], body);
  daemon->Signal(SIGTERM);
  EXPECT_EQ(daemon->Wait(60s), 0) << daemon->Log();
}

// What an update must and must not state, per company (realistic_dev/expected_digest.md); each
// item is one fact, any of its spellings counts.
struct DigestExpectation {
  std::string company;
  std::vector<std::vector<std::string>> must;
  std::vector<std::string> must_not;
};

const std::vector<DigestExpectation>& RealisticDevDigests() {
  static const auto* const kDigests = new std::vector<DigestExpectation>{
      {"tidewell",
       {{"9.4"},
        {"\u00a31.42M"},
        {"\u00a32.07M"},
        {"Harcourt"},
        {"CE mark", "CE-mark", "CE certif", "RED type"},
        {"27001"},
        {"480"},
        {"Adeyemi", "VP Sales", "VP of Sales"}},
       {"\u20ac40", "Siemens", "\u20ac12", "Vantage", "Ostara", "Greenbank", "acqui", "Acqui"}},
      {"orchardly",
       {{"1.6M"},
        {"$812k"},
        {"$1.18M"},
        {"Tableworks"},
        {"Bellhaven"},
        {"Seattle"},
        {"Arbor", "$2M debt"},
        {"Ridgecrest"},
        {"Varga", "VP Supply Chain", "VP of Supply Chain"}},
       {"Kroger", "$25M", "$6.5M", "Greenway", "Harvest Table", "$2.4M", "Sysco", "raised $7M"}},
      {"medquill",
       {{"33.5"},
        {"$3.38M"},
        {"$4.22M"},
        {"Saint Brendan"},
        {"SOC 2", "SOC2"},
        {"Ravensmoor", "NHS"},
        {"Halcyon"},
        {"Mensah", "VP Engineering", "VP of Engineering"}},
       {"900M", "HIPAA certified", "5,000 clinicians", "5.3M", "$6.5M ARR", "Pinecrest",
        "Northgate", "Lakeview", "Scribely"}},
  };
  return *kDigests;
}

bool AnyOf(const std::string& text, const std::vector<std::string>& spellings) {
  return std::any_of(spellings.begin(), spellings.end(),
                     [&](const std::string& s) { return text.find(s) != std::string::npos; });
}

TEST_F(LedgerTest, RealisticDevUpdatesStateTheFactsAndNothingFalse) {
  const std::string csv = SharedData("realistic_dev/messages.csv");
  if (!std::filesystem::exists(csv)) GTEST_SKIP();
  auto daemon = StartDaemon();
  ASSERT_EQ(Ctl({"produce", csv}), 0);
  ASSERT_TRUE(WaitAllDone(219, 120s)) << daemon->Log();

  // One fact, one event: e-signature notice + chat, certificate e-mail + chat, completion
  // e-mail + chat (the README's repeat groups).
  const std::vector<std::tuple<std::string, std::string, std::string>> kRepeats = {
      {"tidewell", "94", "95"},   {"medquill", "114", "115"},  {"tidewell", "119", "120"},
      {"medquill", "131", "132"}, {"orchardly", "139", "141"}, {"medquill", "183", "184"}};
  for (const auto& [company, first, second] : kRepeats) {
    std::set<int64_t> a = EventsOf(company, {first}, true);
    std::set<int64_t> b = EventsOf(company, {second}, true);
    std::set<int64_t> a_mail = EventsOf(company, {first}, false);
    std::set<int64_t> b_mail = EventsOf(company, {second}, false);
    a.insert(a_mail.begin(), a_mail.end());
    b.insert(b_mail.begin(), b_mail.end());
    std::vector<int64_t> shared;
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(shared));
    EXPECT_FALSE(shared.empty()) << company << " rows " << first << " and " << second
                                 << " are one fact";
  }
  // One round, one event, through its states (term sheet, signed, closed).
  EXPECT_LE(Query("SELECT count(*) FROM events WHERE company_id = 'tidewell' AND type = "
                  "'funding' AND metrics->>'round' = 'series_a'"),
            1);
  EXPECT_LE(Query("SELECT count(*) FROM events WHERE company_id = 'medquill' AND type = "
                  "'funding' AND metrics->>'round' = 'series_b'"),
            1);

  for (const DigestExpectation& expected : RealisticDevDigests()) {
    json update =
        Update({"--company", expected.company, "--since", "2025-03-01", "--until", "2025-08-01"});
    ASSERT_TRUE(update.is_object()) << expected.company;
    const std::string text = update.value("subject", "") + "\n" + update.value("body", "");
    EXPECT_LE(CountWords(update.value("body", "")), 350) << text;
    for (const auto& fact : expected.must) {
      EXPECT_TRUE(AnyOf(text, fact)) << expected.company << " must state " << fact[0] << ":\n"
                                     << text;
    }
    for (const std::string& claim : expected.must_not) {
      EXPECT_EQ(text.find(claim), std::string::npos)
          << expected.company << " must not state " << claim << ":\n"
          << text;
    }
  }
  daemon->Signal(SIGTERM);
  EXPECT_EQ(daemon->Wait(60s), 0) << daemon->Log();
}

}  // namespace
}  // namespace ms::test
