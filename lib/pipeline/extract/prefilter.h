// The prefilter: drops no-signal chatter before extraction so the LLM sees (and bills) only
// messages that could announce a business event (design §1 [extract], §5 "compact prompts").
//
// Pure, allocation-light, thread-safe. Decision per message (subject + text), in order:
//   1. KEEP if it has signal: a money amount ($1.2M, $75k, €500, 1.4M USD), a percentage
//      (12.5%, 40 percent), or a signal keyword (raised, closed, signed, launched, hired, SOC 2,
//      ARR/MRR, Series, users, customers, partnership, press, investor, ... see prefilter.cc).
//      Signal always wins: chatter that mentions a milestone is kept.
//   2. DROP if it is routine chatter: greetings, lunch/coffee, standup/retro/meeting logistics,
//      thanks, out-of-office, routine engineering and operations traffic (PRs, CI, alerts,
//      deploys to staging, incidents, load tests, app-store builds, customs, inspections), office
//      life (expenses, swag, offsites), or not a fact (rumour, draft, mock, hypothetically).
//   3. DROP if it is very short (fewer than kShortWords words) and has no digits.
//   4. Otherwise KEEP: when unsure, the model decides.
// Contract with the rules extractor: every trigger it uses is a signal here, so a message the
// rules extractor would turn into an event is never dropped (tested over generated data).
#pragma once

#include <string_view>

#include "ports/extract.h"

namespace ms {

enum class PrefilterVerdict { kKeepSignal, kKeepUnsure, kDropChatter, kDropShort };

inline bool Keeps(PrefilterVerdict verdict) {
  return verdict == PrefilterVerdict::kKeepSignal || verdict == PrefilterVerdict::kKeepUnsure;
}

// Classifies one message by its subject and text.
PrefilterVerdict ClassifyMessage(std::string_view subject, std::string_view text);

inline bool PrefilterKeeps(const BatchMessage& message) {
  return Keeps(ClassifyMessage(message.subject, message.text));
}

// Step 1 alone: whether `text` carries a money amount, percentage or signal keyword.
bool HasSignal(std::string_view text);

}  // namespace ms
