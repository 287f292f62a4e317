#include "pipeline/ledger/fingerprint.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "core/hash.h"
#include "pipeline/text/amount.h"
#include "pipeline/text/ascii.h"

namespace ms {
namespace {

constexpr std::string_view kVersion = "v2";

std::string Metric(const ExtractedEvent& event, const std::string& name) {
  auto found = event.metrics.find(name);
  return found == event.metrics.end() ? std::string() : std::string(ascii::Trim(found->second));
}

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::string lower = ascii::Lower(text);
  size_t pos = 0;
  while (pos < lower.size()) {
    while (pos < lower.size() && !ascii::IsAlnum(lower[pos])) ++pos;
    size_t begin = pos;
    while (pos < lower.size() && ascii::IsAlnum(lower[pos])) ++pos;
    if (pos > begin) words.push_back(lower.substr(begin, pos - begin));
  }
  return words;
}

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& word : words) {
    if (!out.empty()) out.push_back(' ');
    out += word;
  }
  return out;
}

// "The Delta Air Lines, Inc." -> "delta air lines".
std::string NormalizeName(std::string_view name) {
  constexpr std::string_view kDropped[] = {"the",     "inc", "corp",    "corporation", "llc", "ltd",
                                           "limited", "co",  "company", "gmbh",        "plc", "ag"};
  std::vector<std::string> kept;
  for (std::string& word : Words(name)) {
    if (std::find(std::begin(kDropped), std::end(kDropped), word) == std::end(kDropped)) {
      kept.push_back(std::move(word));
    }
  }
  return Join(kept);
}

// "Vice President of Engineering" -> "engineering vp"; word order does not matter.
std::string NormalizeRole(std::string_view role) {
  std::string lower = " " + Join(Words(role)) + " ";
  constexpr std::pair<std::string_view, std::string_view> kSynonyms[] = {
      {" vice president ", " vp "},
      {" chief executive officer ", " ceo "},
      {" chief technology officer ", " cto "},
      {" chief financial officer ", " cfo "},
      {" chief operating officer ", " coo "},
      {" chief marketing officer ", " cmo "},
      {" chief revenue officer ", " cro "},
      {" chief product officer ", " cpo "},
      {" sr ", " senior "},
      {" eng ", " engineering "}};
  for (auto [from, to] : kSynonyms) {
    for (size_t at = lower.find(from); at != std::string::npos; at = lower.find(from, at)) {
      lower.replace(at, from.size(), to);
    }
  }
  constexpr std::string_view kDropped[] = {"of", "the", "our", "new", "a", "an", "and", "for"};
  std::vector<std::string> kept;
  for (std::string& word : Words(lower)) {
    if (std::find(std::begin(kDropped), std::end(kDropped), word) == std::end(kDropped)) {
      kept.push_back(std::move(word));
    }
  }
  std::sort(kept.begin(), kept.end());
  return Join(kept);
}

// "SOC 2 Type II" -> "soc2type2", "ISO/IEC 27001" -> "iso27001".
std::string NormalizeFramework(std::string_view framework) {
  std::string compact;
  for (const std::string& word : Words(framework)) compact += word;
  constexpr std::pair<std::string_view, std::string_view> kForms[] = {
      {"typeii", "type2"}, {"typei", "type1"}, {"isoiec", "iso"}, {"pcidss", "pci"}};
  for (auto [from, to] : kForms) {
    size_t at = compact.find(from);
    if (at != std::string::npos) compact.replace(at, from.size(), to);
  }
  return compact;
}

// "Series A" / "series-a" / "SERIES_A" / "A" -> "series_a"; "Seed" -> "seed".
std::string NormalizeRound(std::string_view round) {
  std::vector<std::string> words = Words(round);
  if (words.size() == 1 && words[0].size() == 1 && ascii::IsAlpha(words[0][0])) {
    return "series_" + words[0];
  }
  std::string out;
  for (const std::string& word : words) out += (out.empty() ? "" : "_") + word;
  return out;
}

// Half-decade bucket of a positive amount: $10M..$31.6M -> "b14".
std::string AmountBucket(std::string_view value) {
  std::optional<double> amount = ParseAmount(value);
  if (!amount || !std::isfinite(*amount) || *amount <= 0) return "none";
  return "b" + std::to_string(static_cast<int>(std::floor(2 * std::log10(*amount) + 1e-9)));
}

std::string NumberFact(const ExtractedEvent& event, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    std::string value = Metric(event, name);
    if (value.empty()) continue;
    std::optional<double> number = ParseAmount(value);
    return std::string(name) + "=" + (number ? FormatNumber(*number) : ascii::Lower(value));
  }
  return "";
}

std::string NamedFact(const char* label, const std::string& normalized) {
  return normalized.empty() ? "" : std::string(label) + "=" + normalized;
}

// A named round is one fact whatever its amount: the term sheet, the signature and the close
// of a Series A (and "$7.8M" vs "$8M" of it) are states of one event. Without a round, the
// kind of money (grant, debt, ...) and the amount's bucket tell raises apart.
std::string FundingFacts(const ExtractedEvent& event) {
  std::string round = NormalizeRound(Metric(event, "round"));
  if (!round.empty()) return "round=" + round;
  std::string amount = Metric(event, "amount_usd");
  if (amount.empty()) amount = Metric(event, "amount");
  if (amount.empty()) return "";
  std::string stage = NormalizeRound(Metric(event, "stage"));
  bool kind = stage == "grant" || stage == "debt";
  return (kind ? "kind=" + stage + "|" : std::string()) + "amount=" + AmountBucket(amount);
}

std::string ComplianceFacts(const ExtractedEvent& event) {
  std::string framework = NormalizeFramework(Metric(event, "framework"));
  if (framework.empty()) return "";
  std::string status = NormalizeRound(Metric(event, "status"));
  return "framework=" + framework + (status.empty() ? "" : "|status=" + status);
}

std::string Facts(const ExtractedEvent& event) {
  const std::string& type = event.type;
  if (type == "funding") return FundingFacts(event);
  if (type == "revenue_milestone") {
    return NumberFact(event, {"mrr_usd", "arr_usd", "revenue_usd", "nrr_pct", "growth_mom_pct",
                              "growth_wow_pct"});
  }
  if (type == "user_growth") return NumberFact(event, {"users", "signups"});
  if (type == "enterprise_deal" || type == "partnership") {
    return NamedFact("counterparty", NormalizeName(Metric(event, "counterparty")));
  }
  if (type == "hiring") return NamedFact("role", NormalizeRole(Metric(event, "role")));
  if (type == "investor_interest") {
    return NamedFact("investor", NormalizeName(Metric(event, "investor")));
  }
  if (type == "product_launch")
    return NamedFact("product", NormalizeTitle(Metric(event, "product")));
  if (type == "compliance") return ComplianceFacts(event);
  if (type == "market_expansion")
    return NamedFact("region", NormalizeTitle(Metric(event, "region")));
  return "";
}

}  // namespace

std::string FingerprintKey(const ExtractedEvent& event) {
  std::string facts = Facts(event);
  if (facts.empty()) facts = "title=" + NormalizeTitle(event.title);
  return event.type + "|" + facts;
}

namespace {

using MetricMap = std::map<std::string, std::string>;

std::string Get(const MetricMap& metrics, const char* name) {
  auto found = metrics.find(name);
  return found == metrics.end() ? std::string() : std::string(ascii::Trim(found->second));
}

// "harcourt" begins "harcourt estates"; both non-empty.
bool NamePrefix(const std::string& a, const std::string& b) {
  const std::string x = NormalizeName(a);
  const std::string y = NormalizeName(b);
  if (x.empty() || y.empty()) return false;
  const std::string& shorter = x.size() <= y.size() ? x : y;
  const std::string& longer = x.size() <= y.size() ? y : x;
  return longer.compare(0, shorter.size(), shorter) == 0 &&
         (longer.size() == shorter.size() || longer[shorter.size()] == ' ');
}

bool SameRound(const MetricMap& a, const MetricMap& b) {
  const std::string round_a = NormalizeRound(Get(a, "round"));
  const std::string round_b = NormalizeRound(Get(b, "round"));
  if (!round_a.empty() && !round_b.empty()) return round_a == round_b;
  for (const MetricMap* m : {&a, &b}) {
    const std::string stage = Get(*m, "stage");
    if (stage == "grant" || stage == "debt") return false;
  }
  const std::string lead_a = Get(a, "lead_investor");
  const std::string lead_b = Get(b, "lead_investor");
  return NamePrefix(lead_a, lead_b);
}

// At least 3 shared words and at least half of the shorter title's, or every word of a shorter
// title of at least 2.
bool SimilarTitles(std::string_view a, std::string_view b) {
  std::vector<std::string> x = Words(NormalizeTitle(a));
  std::vector<std::string> y = Words(NormalizeTitle(b));
  if (x.size() > y.size()) std::swap(x, y);
  size_t shared = 0;
  for (const std::string& word : x) shared += std::count(y.begin(), y.end(), word) > 0 ? 1 : 0;
  return (shared >= 3 && 2 * shared >= x.size()) || (shared >= 2 && shared == x.size());
}

}  // namespace

bool SameFact(const std::string& type, const FactView& a, const FactView& b) {
  if (type == "funding") return SameRound(a.metrics, b.metrics);
  if (type == "enterprise_deal" || type == "partnership") {
    return NamePrefix(Get(a.metrics, "counterparty"), Get(b.metrics, "counterparty"));
  }
  if (type == "investor_interest") {
    return NamePrefix(Get(a.metrics, "investor"), Get(b.metrics, "investor"));
  }
  if (type == "customer_success" || type == "product_launch" || type == "technical_achievement" ||
      type == "other") {
    return SimilarTitles(a.title, b.title);
  }
  return false;
}

namespace {

std::string Hex(const std::string& key) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(Fnv1a64(key)));
  return hex;
}

}  // namespace

std::string EventFingerprint(const std::string& company_id, const ExtractedEvent& event) {
  return Hex(std::string(kVersion) + "|" + company_id + "|" + FingerprintKey(event));
}

std::string SeriesMilestoneFingerprint(const std::string& company_id, std::string_view key) {
  return Hex(std::string(kVersion) + "|" + company_id + "|series|" + std::string(key));
}

}  // namespace ms
