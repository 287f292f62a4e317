// The synthetic data generator: exact size, determinism, the story's coherence per company read
// back from the CSV (rounds, MRR series, deals, hires, compliance), and that the rules extractor
// maps every milestone it writes to its event type.
#include "pipeline/generator/generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "pipeline/extract/rules_extractor.h"
#include "pipeline/generator/producer_payload.h"

namespace ms {
namespace {

std::vector<CsvRow> ReadRows(std::istream& in) {
  size_t skipped = 0;
  std::vector<CsvRow> rows = ReadCsvRows(in, &skipped);
  EXPECT_EQ(skipped, 0u);
  return rows;
}

std::vector<CsvRow> Generate(const GeneratorOptions& options, GeneratorStats* stats = nullptr) {
  std::stringstream csv;
  GenerateCsv(options, csv, stats);
  return ReadRows(csv);
}

GeneratorOptions Options(int64_t rows, int companies, uint64_t seed, double ratio = 0.12) {
  GeneratorOptions options;
  options.rows = rows;
  options.companies = companies;
  options.seed = seed;
  options.milestone_ratio = ratio;
  return options;
}

// "$12M" -> 12e6, "$182k" -> 182e3, "$950" -> 950.
double Usd(const std::string& text) {
  double value = std::stod(text.substr(1));
  switch (text.back()) {
    case 'k':
      return value * 1e3;
    case 'M':
      return value * 1e6;
    case 'B':
      return value * 1e9;
    default:
      return value;
  }
}

int64_t Epoch(const CsvRow& row) {
  return ParseCsvTimestamp(row.timestamp).value_or(0);
}

std::map<std::string, std::vector<const CsvRow*>> ByCompany(const std::vector<CsvRow>& rows) {
  std::map<std::string, std::vector<const CsvRow*>> companies;
  for (const CsvRow& row : rows) companies[row.company_id].push_back(&row);
  return companies;
}

const std::string kRound = "(pre-seed round|seed round|Series A|Series B)";
const std::string kMoney = R"((\$[0-9.]+[kMB]?))";

int RoundRank(const std::string& round) {
  if (round == "pre-seed round") return 0;
  if (round == "seed round") return 1;
  return round == "Series A" ? 2 : 3;
}

TEST(GeneratorCsv, WritesExactlyTheRowsAskedFor) {
  struct Case {
    int64_t rows;
    int companies;
    double ratio;
  };
  for (Case c : {Case{1, 1, 0.12}, Case{7, 20, 0.5}, Case{500, 3, 0.0}, Case{800, 4, 1.0},
                 Case{3001, 17, 0.3}, Case{2000, 150, 0.12}}) {
    GeneratorStats stats;
    std::vector<CsvRow> rows = Generate(Options(c.rows, c.companies, 5, c.ratio), &stats);
    ASSERT_EQ(static_cast<int64_t>(rows.size()), c.rows) << c.rows << " rows, " << c.companies;
    std::set<std::string> companies;
    for (size_t idx = 0; idx < rows.size(); ++idx) {
      EXPECT_EQ(rows[idx].id, std::to_string(idx + 1));
      EXPECT_FALSE(rows[idx].company_id.empty());
      EXPECT_FALSE(rows[idx].sender.empty()) << rows[idx].content;
      companies.insert(rows[idx].company_id);
    }
    EXPECT_EQ(companies.size(), static_cast<size_t>(std::min<int64_t>(c.rows, c.companies)));
    int64_t story = stats.milestones + stats.kpi_reports + stats.deal_news;
    double wanted = c.ratio * static_cast<double>(c.rows);
    EXPECT_NEAR(static_cast<double>(story), wanted, 0.02 * wanted + c.companies) << c.rows;
  }
}

TEST(GeneratorCsv, SameSeedSameFileOtherSeedOtherFile) {
  auto text = [](uint64_t seed) {
    std::stringstream csv;
    GenerateCsv(Options(3000, 6, seed), csv);
    return csv.str();
  };
  EXPECT_EQ(text(11), text(11));
  EXPECT_NE(text(11), text(12));
}

// The file is in time order; each company's rows are strictly increasing across the year.
TEST(GeneratorStory, TimestampsIncreasePerCompanyAcrossTheYear) {
  GeneratorOptions options = Options(6000, 8, 3);
  std::vector<CsvRow> rows = Generate(options);
  for (size_t idx = 1; idx < rows.size(); ++idx) {
    ASSERT_LE(Epoch(rows[idx - 1]), Epoch(rows[idx])) << rows[idx].id;
  }
  std::set<std::string> interleaved;
  for (size_t idx = 0; idx < 200; ++idx) interleaved.insert(rows[idx].company_id);
  EXPECT_GE(interleaved.size(), 6u) << "companies are interleaved, not one after the other";
  for (const auto& [company, own] : ByCompany(rows)) {
    for (size_t idx = 1; idx < own.size(); ++idx) {
      ASSERT_LT(Epoch(*own[idx - 1]), Epoch(*own[idx])) << company << " row " << own[idx]->id;
    }
    int64_t start_ms = options.start_epoch_s * 1000;
    EXPECT_LT(Epoch(*own.front()) - start_ms, 10LL * 86400 * 1000) << company;
    EXPECT_GT(Epoch(*own.back()) - start_ms, 350LL * 86400 * 1000) << company;
  }
}

struct RoundNews {
  int64_t at_ms = 0;
  double amount = 0;
  double valuation = 0;
  std::string lead;
};

struct CompanyRounds {
  std::map<std::string, std::vector<RoundNews>> closed, emailed, term_sheets;
  std::map<std::string, std::vector<int64_t>> interest;
};

CompanyRounds ReadRounds(const std::vector<const CsvRow*>& rows) {
  static const std::regex closed("[Ww]e closed our " + kMoney + " " + kRound +
                                 " led by (.+) at a " + kMoney + " post-money valuation!");
  static const std::regex emailed("we raised " + kMoney + " in our " + kRound +
                                  ", led by (.+) at a " + kMoney + " post-money valuation\\.");
  static const std::regex sheet_mail("Term sheet for your " + kRound + "\\. .*: " + kMoney +
                                     " at a " + kMoney +
                                     " post-money valuation, with (.+) leading");
  static const std::regex sheet_chat("term sheet from (.+) for our " + kRound + ": " + kMoney +
                                     " at a " + kMoney + " post-money valuation");
  static const std::regex interest("(?:leading your|ahead of your|leading our) " + kRound);
  CompanyRounds rounds;
  std::smatch m;
  for (const CsvRow* row : rows) {
    const std::string& text = row->content;
    int64_t at = Epoch(*row);
    if (std::regex_search(text, m, closed)) {
      rounds.closed[m[2]].push_back({at, Usd(m[1]), Usd(m[4]), m[3]});
    } else if (std::regex_search(text, m, emailed)) {
      rounds.emailed[m[2]].push_back({at, Usd(m[1]), Usd(m[4]), m[3]});
    } else if (std::regex_search(text, m, sheet_mail)) {
      rounds.term_sheets[m[1]].push_back({at, Usd(m[2]), Usd(m[3]), m[4]});
    } else if (std::regex_search(text, m, sheet_chat)) {
      rounds.term_sheets[m[2]].push_back({at, Usd(m[3]), Usd(m[4]), m[1]});
    } else if (std::regex_search(text, m, interest)) {
      rounds.interest[m[1]].push_back(at);
    }
  }
  return rounds;
}

bool SameTerms(const RoundNews& a, const RoundNews& b) {
  return a.amount == b.amount && a.valuation == b.valuation && a.lead == b.lead;
}

void ExpectRoundCoherent(const std::string& company, const std::string& round,
                         const RoundNews& close, const CompanyRounds& rounds) {
  for (const auto* news : {&rounds.emailed, &rounds.term_sheets}) {
    auto found = news->find(round);
    if (found == news->end()) continue;
    ASSERT_EQ(found->second.size(), 1u) << company << " " << round;
    EXPECT_TRUE(SameTerms(found->second[0], close)) << company << " " << round;
    bool email = news == &rounds.emailed;
    EXPECT_EQ(found->second[0].at_ms > close.at_ms, email)
        << company << " " << round << (email ? ": e-mail after the close" : ": sheet first");
  }
  auto interest = rounds.interest.find(round);
  if (interest == rounds.interest.end()) return;
  for (int64_t at : interest->second) EXPECT_LT(at, close.at_ms) << company << " " << round;
}

// Rounds climb the ladder once each, larger and valued higher each time, one lead per round,
// with the term sheet before the close and the e-mail (same figures) after it.
TEST(GeneratorStory, RoundsClimbTheLadderOnceEach) {
  std::vector<CsvRow> rows = Generate(Options(30000, 40, 8));
  int companies_with_two = 0;
  int closes = 0;
  for (const auto& [company, own] : ByCompany(rows)) {
    CompanyRounds rounds = ReadRounds(own);
    std::vector<std::pair<int, RoundNews>> ladder;
    for (const auto& [round, news] : rounds.closed) {
      ASSERT_EQ(news.size(), 1u) << company << " announced its " << round << " twice in chat";
      ladder.emplace_back(RoundRank(round), news[0]);
      ExpectRoundCoherent(company, round, news[0], rounds);
    }
    for (const auto* news : {&rounds.emailed, &rounds.term_sheets}) {
      for (const auto& [round, items] : *news) {
        EXPECT_TRUE(rounds.closed.contains(round)) << company << " " << round << " never closed";
      }
    }
    EXPECT_LE(ladder.size(), 2u) << company;
    std::sort(ladder.begin(), ladder.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t idx = 1; idx < ladder.size(); ++idx) {
      const RoundNews& before = ladder[idx - 1].second;
      const RoundNews& after = ladder[idx].second;
      EXPECT_LT(before.at_ms, after.at_ms) << company << ": a later round closed first";
      EXPECT_LT(before.amount, after.amount) << company;
      EXPECT_LT(before.valuation, after.valuation) << company;
      EXPECT_NE(before.lead, after.lead) << company;
    }
    companies_with_two += ladder.size() == 2 ? 1 : 0;
    closes += static_cast<int>(ladder.size());
  }
  EXPECT_GE(closes, 35) << "nearly every company raises";
  EXPECT_GE(companies_with_two, 3) << "some companies raise twice in the year";
}

// MRR, read from the KPI reports: the last reading of each month moves between -5 % and
// +20 % from the month before, and the year ends higher than it started.
TEST(GeneratorStory, MrrTrendsUpWithBoundedMonthToMonthMoves) {
  static const std::regex mrr(R"(\bMRR (\$[0-9.]+[kMB]?))");
  for (double ratio : {0.05, 0.12, 0.4}) {
    std::vector<CsvRow> rows = Generate(Options(12000, 6, 21, ratio));
    for (const auto& [company, own] : ByCompany(rows)) {
      std::map<std::string, double> monthly;  // "2026-03" -> last MRR reported that month
      std::smatch m;
      for (const CsvRow* row : own) {
        if (std::regex_search(row->content, m, mrr))
          monthly[row->timestamp.substr(0, 7)] = Usd(m[1]);
      }
      ASSERT_GE(monthly.size(), 10u) << company << " at ratio " << ratio;
      double previous = 0;
      for (const auto& [month, value] : monthly) {
        if (previous > 0) {
          EXPECT_GT(value, previous * 0.95) << company << " " << month;
          EXPECT_LT(value, previous * 1.20) << company << " " << month;
        }
        previous = value;
      }
      EXPECT_GT(monthly.rbegin()->second, monthly.begin()->second * 1.1) << company;
    }
  }
}

struct DealNews {
  std::map<std::string, int64_t> proposed, signed_at, lost, stories;
  std::map<std::string, double> proposed_acv, decided_acv;
  int repeats = 0;
};

void Note(std::map<std::string, int64_t>& into, const std::string& customer, int64_t at,
          int* repeats) {
  if (!into.emplace(customer, at).second) ++*repeats;
}

DealNews ReadDeals(const std::vector<const CsvRow*>& rows) {
  static const std::regex proposed(
      R"(^(?:Sent (.+) a proposal for a \d-year enterprise contract: |Proposal out to (.+): \d-year enterprise contract at )(\$[0-9.]+[kM]?)/yr)");
  static const std::regex signed_deal(
      R"(^(?:Signed! (.+) signed a \d-year, |Contract signed with (.+): \d-year enterprise agreement, |Signed! (.+) agreed to a \d-year enterprise contract, )(\$[0-9.]+[kM]?))");
  static const std::regex lost(R"(^(?:We lost (.+) to a competitor|Lost the (.+) deal \())");
  static const std::regex story(R"(^Customer story: (.+) (?:cut|reduced) )");
  DealNews deals;
  std::smatch m;
  auto name = [&](int groups) {
    for (int idx = 1; idx <= groups; ++idx) {
      if (m[idx].matched) return m[idx].str();
    }
    return std::string();
  };
  for (const CsvRow* row : rows) {
    int64_t at = Epoch(*row);
    if (std::regex_search(row->content, m, proposed)) {
      Note(deals.proposed, name(2), at, &deals.repeats);
      deals.proposed_acv[name(2)] = Usd(m[3]);
    } else if (std::regex_search(row->content, m, signed_deal)) {
      Note(deals.signed_at, name(3), at, &deals.repeats);
      deals.decided_acv[name(3)] = Usd(m[4]);
    } else if (std::regex_search(row->content, m, lost)) {
      Note(deals.lost, name(2), at, &deals.repeats);
    } else if (std::regex_search(row->content, m, story)) {
      Note(deals.stories, m[1], at, &deals.repeats);
    }
  }
  return deals;
}

// Every deal signed or lost was proposed earlier with the same value; each customer is
// proposed, decided and written up at most once; customer stories follow a signature.
TEST(GeneratorStory, DealsAreProposedBeforeTheyAreSignedOrLost) {
  std::vector<CsvRow> rows = Generate(Options(30000, 30, 13, 0.2));
  int signed_deals = 0;
  int lost_deals = 0;
  for (const auto& [company, own] : ByCompany(rows)) {
    DealNews deals = ReadDeals(own);
    EXPECT_EQ(deals.repeats, 0) << company << " repeats a customer";
    for (const auto* decided : {&deals.signed_at, &deals.lost}) {
      for (const auto& [customer, at] : *decided) {
        ASSERT_TRUE(deals.proposed.contains(customer)) << company << ": " << customer;
        EXPECT_LT(deals.proposed.at(customer), at) << company << ": " << customer;
      }
    }
    for (const auto& [customer, acv] : deals.decided_acv) {
      EXPECT_EQ(acv, deals.proposed_acv[customer]) << company << ": " << customer;
    }
    for (const auto& [customer, at] : deals.lost) {
      EXPECT_FALSE(deals.signed_at.contains(customer)) << company << ": " << customer;
    }
    for (const auto& [customer, at] : deals.stories) {
      ASSERT_TRUE(deals.signed_at.contains(customer)) << company << ": " << customer;
      EXPECT_LT(deals.signed_at.at(customer), at) << company << ": " << customer;
    }
    signed_deals += static_cast<int>(deals.signed_at.size());
    lost_deals += static_cast<int>(deals.lost.size());
  }
  EXPECT_GE(signed_deals, 30);
  EXPECT_GE(lost_deals, 10) << "some deals are lost";
}

// Each role is hired once, with a headcount that never shrinks; each certificate follows its
// audit.
TEST(GeneratorStory, RolesHiredOnceAndCertificatesFollowTheirAudit) {
  static const std::regex hire(
      R"((?:Please welcome .+, our new (.+)! |joined today as our new (.+)\. )Headcount is now (\d+)\.)");
  static const std::regex audit(R"(^Subject: (SOC 2 Type II|ISO 27001|HIPAA) (?:audit|gap))");
  static const std::regex issued(R"(^Subject: (SOC 2 Type II|ISO 27001|HIPAA) \w+ issued\.)");
  std::vector<CsvRow> rows = Generate(Options(30000, 30, 17, 0.2));
  int hires = 0;
  int certificates = 0;
  for (const auto& [company, own] : ByCompany(rows)) {
    std::set<std::string> roles;
    std::map<std::string, int64_t> audits;
    int64_t headcount = 0;
    std::smatch m;
    for (const CsvRow* row : own) {
      if (std::regex_search(row->content, m, hire)) {
        std::string role = m[1].matched ? m[1].str() : m[2].str();
        EXPECT_TRUE(roles.insert(role).second) << company << " hired a second " << role;
        EXPECT_GE(std::stoll(m[3]), headcount) << company;
        headcount = std::stoll(m[3]);
        ++hires;
      } else if (std::regex_search(row->content, m, audit)) {
        EXPECT_TRUE(audits.emplace(m[1], Epoch(*row)).second) << company << " " << m[1];
      } else if (std::regex_search(row->content, m, issued)) {
        ASSERT_TRUE(audits.contains(m[1])) << company << ": " << row->content;
        EXPECT_LT(audits.at(m[1]), Epoch(*row));
        ++certificates;
      }
    }
  }
  EXPECT_GE(hires, 60);
  EXPECT_GE(certificates, 10);
}

// ---- The rules extractor on generated data ---------------------------------------------------

enum class Expect { kChatter, kKpiReport, kDealNews, kEvent };

struct Template {
  std::regex pattern;
  Expect expect;
  std::set<std::string> types;  // for kEvent: the event type(s) the message may map to
};

const std::vector<Template>& Templates() {
  static const std::vector<Template> kTemplates = {
      {std::regex("^Subject: (Interest in your|Intro from) "),
       Expect::kEvent,
       {"investor_interest"}},
      {std::regex(" reached out about leading our "), Expect::kEvent, {"investor_interest"}},
      {std::regex("^Subject: Term sheet for your |^We received a term sheet "),
       Expect::kEvent,
       {"funding", "investor_interest"}},
      {std::regex("closed our .* post-money valuation!$"), Expect::kEvent, {"funding"}},
      {std::regex("^Subject: Announcing our "), Expect::kEvent, {"funding"}},
      {std::regex(" published an article on | featured .* in its list "),
       Expect::kEvent,
       {"media_coverage"}},
      {std::regex("^(Sent .* a proposal|Proposal out to )"), Expect::kDealNews, {}},
      {std::regex("^(We lost .* to a competitor|Lost the .* to a competitor)"),
       Expect::kDealNews,
       {}},
      {std::regex("^(Signed! |Contract signed with )"), Expect::kEvent, {"enterprise_deal"}},
      {std::regex("^Customer story: "), Expect::kEvent, {"customer_success"}},
      {std::regex("^(We launched |Introducing )"), Expect::kEvent, {"product_launch"}},
      {std::regex("^Please welcome | joined today as our new "), Expect::kEvent, {"hiring"}},
      {std::regex("^Subject: (SOC 2|ISO 27001|HIPAA) "), Expect::kEvent, {"compliance"}},
      {std::regex("^(Partnership with |We partnered with )"), Expect::kEvent, {"partnership"}},
      {std::regex("^Opened our "), Expect::kEvent, {"market_expansion"}},
      {std::regex("^P99 latency dropped"), Expect::kEvent, {"technical_achievement"}},
      {std::regex(
           "(metrics\\. |numbers are in: |^Weekly KPIs: |^Daily metrics: |^Metrics snapshot: )"
           "(MRR|DAU) "),
       Expect::kKpiReport,
       {}},
  };
  return kTemplates;
}

const Template* Classify(const std::string& content) {
  for (const Template& t : Templates()) {
    if (std::regex_search(content, t.pattern)) return &t;
  }
  return nullptr;
}

// What a message maps to, with the prefilter off: its event types and observation count.
struct Mapped {
  std::set<std::string> types;
  std::vector<std::string> titles;
  size_t observations = 0;
};

Mapped Extract(const CsvRow& row, int64_t id) {
  BatchMessage message = ToBatchMessage(row, id);
  ExtractionRequest request{1, row.company_id, {message}};
  auto result = RulesExtractor(RulesExtractorOptions{.prefilter = false}).Extract(request);
  EXPECT_TRUE(result.ok());
  Mapped mapped;
  if (!result.ok()) return mapped;
  for (const ExtractedEvent& event : result->events) {
    mapped.types.insert(event.type);
    mapped.titles.push_back(event.title);
  }
  mapped.observations = result->observations.size();
  return mapped;
}

// A milestone maps to an event of its type (and no other type); a KPI report to observations
// (or, from an extractor without them, to revenue/user-growth events); a proposal or a loss is
// never a signed deal; chatter maps to nothing.
bool MapsAsTemplated(const Template* t, const Mapped& mapped) {
  const std::set<std::string> kKpiTypes = {"revenue_milestone", "user_growth"};
  if (t == nullptr) return mapped.types.empty();
  switch (t->expect) {
    case Expect::kKpiReport:
      for (const std::string& type : mapped.types) {
        if (!kKpiTypes.contains(type)) return false;
      }
      return mapped.observations > 0 || !mapped.types.empty();
    case Expect::kDealNews:
      for (const std::string& title : mapped.titles) {
        if (title.starts_with("Signed")) return false;
      }
      return !mapped.types.contains("funding");
    default:
      return mapped.types.size() == 1 && t->types.contains(*mapped.types.begin());
  }
}

TEST(RulesExtractorData, GeneratedMilestonesMapToTheirTypes) {
  GeneratorStats stats;
  std::vector<CsvRow> rows = Generate(Options(6000, 10, 99, 0.3), &stats);
  ASSERT_EQ(rows.size(), 6000u);
  int64_t milestones = 0;
  int64_t kpi_reports = 0;
  std::set<std::string> seen;
  for (size_t idx = 0; idx < rows.size(); ++idx) {
    const Template* t = Classify(rows[idx].content);
    Mapped mapped = Extract(rows[idx], static_cast<int64_t>(idx + 1));
    std::string types;
    for (const std::string& type : mapped.types) types += type + " ";
    EXPECT_TRUE(MapsAsTemplated(t, mapped)) << rows[idx].content << "\n  -> [" << types << "] "
                                            << mapped.observations << " observation(s)";
    if (t != nullptr && t->expect == Expect::kEvent) {
      ++milestones;
      seen.insert(mapped.types.begin(), mapped.types.end());
    }
    kpi_reports += t != nullptr && t->expect == Expect::kKpiReport ? 1 : 0;
  }
  EXPECT_EQ(milestones, stats.milestones) << "every milestone row matches a template";
  EXPECT_EQ(kpi_reports, stats.kpi_reports);
  for (const char* type : {"funding", "investor_interest", "enterprise_deal", "customer_success",
                           "product_launch", "hiring", "compliance", "partnership",
                           "media_coverage", "market_expansion", "technical_achievement"}) {
    EXPECT_TRUE(seen.contains(type)) << type << " never generated";
  }
}

}  // namespace
}  // namespace ms
