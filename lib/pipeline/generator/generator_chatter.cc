// Day-to-day chatter, team names and number formatting for the generator
// (pipeline/generator/generator_story.h). Chatter carries no business signal: each line has a
// routine word (standup, lunch, PR, deploy, ...) and none of the words that announce a milestone.
#include <array>
#include <cmath>
#include <cstdio>

#include "pipeline/generator/generator_catalog.h"
#include "pipeline/generator/generator_story.h"

namespace ms::gen {
namespace {

constexpr std::array<const char*, 36> kChatChatter = {
    "Morning all, standup in 10 minutes.",
    "Can someone review my PR for the {part}? It's the one touching tenant filters.",
    "The staging deploy is flaky again, looking into the health checks.",
    "Lunch order going out at 12, reply with your pick.",
    "I'm out this afternoon for a dentist appointment.",
    "Fixed the flaky test in the {part} suite; it was a timezone issue.",
    "Reminder: retro on {day}, please add your notes to the board.",
    "Does anyone know why the CI cache keeps missing?",
    "Pushed a hotfix for the dashboard chart colors.",
    "Thanks for the quick turnaround on the design review!",
    "Coffee machine on the 3rd floor is broken again.",
    "Let's move the sync to {day}, too many conflicts today.",
    "PR #{n} is merged, thanks {name}!",
    "Heading out early today, ping me on my phone if something breaks.",
    "Working from home tomorrow, the heating guy is coming.",
    "Who broke the lockfile? npm install fails on main.",
    "Sentry is noisy again: same stack trace from the {part} worker.",
    "On vacation next week, {name} covers my on-call.",
    "Pizza is here, grab a slice in the kitchen!",
    "{name}, can we do our 1:1 on {day} instead?",
    "Refactor of the {part} is done, tests are green.",
    "Found a race condition in the {part} retry loop, fix coming.",
    "CPU on the {part} box spiked overnight, looking into it.",
    "Calendar invite for the all-hands is out.",
    "Cheers for covering the pager last night, {name}.",
    "Snacks restock is on {day}, add requests to the sheet.",
    "OOO tomorrow morning, back after lunch.",
    "Integration tests are red on main, bisecting now.",
    "Can we reschedule the design review? I have a doctor visit.",
    "Code review queue is long today, grab one if you can.",
    "Bug in the date picker: it shows yesterday in some timezones.",
    "Deploy train leaves at 3pm, get your changes in.",
    "Meeting notes from today's planning are in the doc.",
    "Tech debt day on {day}: pick a ticket from the board.",
    "Dinner is on the team tonight, thank you all for the push this sprint.",
    "Thanks {name}, that hotfix saved my afternoon."};

constexpr std::array<const char*, 10> kEmailChatter = {
    "Subject: Offsite logistics. The hotel is booked; lunch and dinner are covered, reply with "
    "dietary needs.",
    "Subject: Expense reports. Reminder: expense reports for last month are due on {day}.",
    "Subject: Laptop swap. IT swaps the old laptops next week; back up your work, thanks.",
    "Subject: Holiday calendar. The shared calendar now has next year's holidays.",
    "Subject: Parking. Reminder that the garage is shut for repairs on {day}.",
    "Subject: Re: team lunch. The Thai place on {day} works, thanks for organising.",
    "Subject: Wifi maintenance. Reminder: the wifi goes down for maintenance on {day} evening.",
    "Subject: Benefits enrollment. Reminder: the benefits portal shuts on {day}; thanks!",
    "Subject: Out of office. I'm on vacation until {day}; {name} covers for me.",
    "Subject: Security training. Reminder: the yearly security training is due this month, "
    "thanks."};

constexpr std::array<const char*, 10> kParts = {
    "search indexer", "billing",  "notifications", "export",    "auth",
    "dashboard",      "webhooks", "scheduler",     "reporting", "importer"};
constexpr std::array<const char*, 5> kWeekdays = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                                  "Friday"};

// `text` with {part}, {day}, {name} and {n} filled in.
std::string Fill(std::string_view text, const Company& company, Rng& rng) {
  std::string out;
  out.reserve(text.size() + 16);
  for (size_t pos = 0; pos < text.size(); ++pos) {
    size_t close = text[pos] == '{' ? text.find('}', pos) : std::string_view::npos;
    if (close == std::string_view::npos) {
      out.push_back(text[pos]);
      continue;
    }
    std::string_view key = text.substr(pos + 1, close - pos - 1);
    if (key == "part") out += kParts[static_cast<size_t>(rng.Index(kParts.size()))];
    if (key == "day") out += kWeekdays[static_cast<size_t>(rng.Index(kWeekdays.size()))];
    if (key == "name") {
      out += kFirstNames[company.first_names[static_cast<size_t>(rng.Index(kTeamSize))]];
    }
    if (key == "n") out += std::to_string(rng.Range(100, 2400));
    pos = close;
  }
  return out;
}

// Three significant digits, trailing zeros dropped: 182.4 -> "182", 1.245 -> "1.25".
std::string ThreeDigits(double value) {
  int decimals = value < 10 ? 2 : (value < 100 ? 1 : 0);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  std::string out = buf;
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  return out;
}

std::string Scaled(double value) {
  if (value >= 999.5e6) return ThreeDigits(value / 1e9) + "B";
  if (value >= 999.5e3) return ThreeDigits(value / 1e6) + "M";
  return ThreeDigits(value / 1e3) + "k";
}

}  // namespace

std::string Usd(double value) {
  if (value < 999.5) return "$" + std::to_string(std::llround(value));
  return "$" + Scaled(value);
}

std::string Count(double value) {
  if (value >= 9999.5) return Scaled(value);
  int64_t whole = std::llround(value);
  std::string digits = std::to_string(whole);
  if (whole >= 1000) digits.insert(digits.size() - 3, ",");
  return digits;
}

std::string FullName(const Company& company, int role) {
  auto idx = static_cast<size_t>(role);
  return std::string(kFirstNames[company.first_names[idx]]) + " " +
         kLastNames[company.team_last[idx]];
}

std::string ChatSender(const Company& company, int role) {
  auto idx = static_cast<size_t>(role);
  return std::string(kFirstNames[company.first_names[idx]]) + " (" + kTeamRoles[idx] + ")";
}

std::string OutsiderName(const Company& company, int nth) {
  size_t outsiders = kFirstNames.size() - kTeamSize;
  size_t first = company.first_names[kTeamSize + static_cast<size_t>(nth) % outsiders];
  uint64_t last = Mix(company.seed, static_cast<uint64_t>(nth)) % kLastNames.size();
  return std::string(kFirstNames[first]) + " " + kLastNames[last];
}

std::string EmailSender(const Company& company, int role) {
  return FullName(company, role) + " (" + kTeamRoles[static_cast<size_t>(role)] + ")";
}

Message RenderChatter(const Company& company, bool email, Rng& rng) {
  Message message;
  message.email = email;
  int role = rng.Index(kTeamSize);
  if (email) {
    message.sender = EmailSender(company, role);
    message.content =
        Fill(kEmailChatter[static_cast<size_t>(rng.Index(kEmailChatter.size()))], company, rng);
  } else {
    message.sender = ChatSender(company, role);
    message.content =
        Fill(kChatChatter[static_cast<size_t>(rng.Index(kChatChatter.size()))], company, rng);
  }
  return message;
}

}  // namespace ms::gen
