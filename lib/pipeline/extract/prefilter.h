// The prefilter: drops no-signal chatter before extraction so the LLM sees (and bills) only
// messages that could announce a business event (design §1 [extract], §5 "compact prompts").
//
// Pure and thread-safe. Decision per message (subject + text), in order:
//   1. DROP if it is about an event that has not happened and states nothing as done: a plan,
//      scenario, mock or draft, a rumour or joke, a lost or declined outcome, a caution ("don't
//      celebrate"), an internal test, a press or diligence question, or an event word with a
//      negator just before it ("not signed", "haven't even signed", "no paper yet"). One event
//      stated as done ("signed", "closed", "issued", "welcome", "is live") keeps the message.
//   2. KEEP if it has business signal: the vocabulary of the events the ledger records (raised,
//      signed, launched, ARR, Series, SOC 2, customers, partnership, press, ...).
//   3. DROP routine traffic: engineering (deploys, incidents, hotfixes, migrations), operations
//      and logistics (routes, customs, inspections), administration and billing (reminders,
//      budgets, invoices, payouts) and office life. A bare figure does not save these.
//   4. KEEP if it carries a money amount ($1.2M, €500, 1.4M USD) or a percentage.
//   5. DROP chatter (greetings, meetings, thanks, absence) and very short messages without
//      digits (fewer than kShortWords words).
//   6. Otherwise KEEP: when unsure, the model decides.
// Hard negatives that pass (an approved but unsigned deal worded as good news) are the
// extractor's to reject. The vocabulary is in prefilter_vocab.h.
// Contract with the rules extractor: a message it turns into an event or a KPI reading is never
// dropped (tested over generated data, the reference set and the labelled development set).
#pragma once

#include <string_view>

#include "ports/extract.h"

namespace ms {

enum class PrefilterVerdict {
  kKeepSignal,
  kKeepUnsure,
  kDropNotAFact,
  kDropRoutine,
  kDropChatter,
  kDropShort
};

inline bool Keeps(PrefilterVerdict verdict) {
  return verdict == PrefilterVerdict::kKeepSignal || verdict == PrefilterVerdict::kKeepUnsure;
}

// Classifies one message by its subject and text.
PrefilterVerdict ClassifyMessage(std::string_view subject, std::string_view text);

inline bool PrefilterKeeps(const BatchMessage& message) {
  return Keeps(ClassifyMessage(message.subject, message.text));
}

// Whether `text` carries business signal, a money amount or a percentage (steps 2 and 4).
bool HasSignal(std::string_view text);

}  // namespace ms
