#include "pipeline/generator.h"

#include <array>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "pipeline/csv.h"

namespace ms {
namespace {

constexpr std::array<const char*, 16> kPrefixes = {
    "nimbus", "quantum", "ledger",  "orbit",  "pylon", "cobalt", "vertex", "lumen",
    "harbor", "tandem",  "kestrel", "sprout", "atlas", "ember",  "fathom", "nova"};
constexpr std::array<const char*, 6> kSuffixes = {"labs", "ai", "hq", "ly", "works", "cloud"};
constexpr std::array<const char*, 8> kPeople = {"Sarah (CTO)",   "James (Lead Dev)", "Alex (CEO)",
                                                "Priya (Sales)", "Leo (Dev)",        "Mina (Ops)",
                                                "Tom (Design)",  "Ana (Finance)"};
constexpr std::array<const char*, 6> kMailers = {"Blue Chip Ventures - Investment Team",
                                                 "Stripe Analytics - Growth Report",
                                                 "TechCrunch Newsroom",
                                                 "Delta Airlines Procurement",
                                                 "Vanta Compliance",
                                                 "AWS Partner Network"};

constexpr std::array<const char*, 12> kChatter = {
    "Morning all, standup in 10 minutes.",
    "Can someone review my PR for the search indexer? It's the one touching tenant filters.",
    "The staging deploy is flaky again, looking into the health checks.",
    "Lunch order going out at 12, reply with your pick.",
    "I'm out this afternoon for a dentist appointment.",
    "Fixed the flaky test in the billing suite; it was a timezone issue.",
    "Reminder: retro on Friday, please add your notes to the board.",
    "Does anyone know why the CI cache keeps missing?",
    "Pushed a hotfix for the dashboard chart colors.",
    "Thanks for the quick turnaround on the design review!",
    "Coffee machine on the 3rd floor is broken again.",
    "Let's move the sync to Thursday, too many conflicts today."};

std::string Money(std::mt19937_64& rng, int lo_k, int hi_k) {
  int k = std::uniform_int_distribution<int>(lo_k, hi_k)(rng);
  if (k >= 1000)
    return "$" + std::to_string(k / 1000) + "." + std::to_string((k % 1000) / 100) + "M";
  return "$" + std::to_string(k) + "," + std::to_string(100 + (k * 7) % 900);
}

std::string Milestone(std::mt19937_64& rng, const std::string& company) {
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  switch (pick(12)) {
    case 0:
      return "Huge news: we closed our " + Money(rng, 2000, 25000) +
             " Series A led by Blue Chip Ventures!";
    case 1:
      return "MRR just crossed " + Money(rng, 80, 900) + ", up +" + std::to_string(5 + pick(20)) +
             ".5% MoM.";
    case 2:
      return "Signed! Delta Airlines agreed to a 3-year enterprise contract, " +
             Money(rng, 300, 2500) + " ACV, " + std::to_string(500 + pick(4000)) + " seats.";
    case 3:
      return "We launched " + company + " Orchestrate 2.0 to all customers today.";
    case 4:
      return "Please welcome Dana, our new VP of Engineering. Headcount is now " +
             std::to_string(20 + pick(80)) + ".";
    case 5:
      return "Subject: SOC 2 Type II report issued. We completed the audit with zero exceptions.";
    case 6:
      return "We now have " + std::to_string(10 + pick(90)) +
             ",000 weekly active users, a new record.";
    case 7:
      return "Partnership with AWS is official: we are listed on the AWS Marketplace.";
    case 8:
      return "Subject: Feature request for tomorrow's story. TechCrunch will publish a feature "
             "on " +
             company + " tomorrow morning.";
    case 9:
      return "Opened our London office: EMEA expansion starts with 3 enterprise pilots.";
    case 10:
      return "Subject: Interest in your next round. We would like to discuss leading your "
             "Series B.";
    default:
      return "Customer story: Acme cut onboarding time by 40% with our platform.";
  }
}

std::string Timestamp(int64_t epoch_s) {
  time_t t = static_cast<time_t>(epoch_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace

int64_t GenerateCsv(const GeneratorOptions& options, std::ostream& out) {
  std::mt19937_64 rng(options.seed);
  std::vector<std::string> companies;
  for (int idx = 0; idx < options.companies; ++idx) {
    companies.push_back(std::string(kPrefixes[idx % kPrefixes.size()]) + "-" +
                        kSuffixes[(idx / kPrefixes.size()) % kSuffixes.size()] +
                        (idx >= 96 ? "-" + std::to_string(idx) : ""));
  }
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  out << "id,is_chat,chat_sender,email_sender,timestamp,content,company_id\n";
  int64_t milestones = 0;
  int64_t epoch = options.start_epoch_s;
  for (int64_t row = 1; row <= options.rows; ++row) {
    const std::string& company = companies[rng() % companies.size()];
    bool milestone = unit(rng) < options.milestone_ratio;
    std::string content = milestone ? Milestone(rng, company) : kChatter[rng() % kChatter.size()];
    bool email = content.starts_with("Subject: ") || unit(rng) < options.email_ratio;
    if (email && !content.starts_with("Subject: ")) content = "Subject: Update. " + content;
    milestones += milestone ? 1 : 0;
    epoch += 1 + static_cast<int64_t>(rng() % 120);
    out << row << ',' << (email ? "False" : "True") << ','
        << (email ? "" : CsvField(kPeople[rng() % kPeople.size()])) << ','
        << (email ? CsvField(kMailers[rng() % kMailers.size()]) : "") << ',' << Timestamp(epoch)
        << ',' << CsvField(content) << ',' << company << '\n';
  }
  return milestones;
}

}  // namespace ms
