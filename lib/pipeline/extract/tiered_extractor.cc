#include "pipeline/extract/tiered_extractor.h"

#include <algorithm>

#include "pipeline/extract/prefilter.h"
#include "pipeline/extract/rules_extractor.h"
#include "pipeline/extract/rules_text.h"
#include "pipeline/text/ascii.h"

namespace ms {
namespace {

// Words that make a sentence something other than a plain statement of fact.
constexpr std::string_view kHedgeWords[] = {"if",
                                            "unless",
                                            "would",
                                            "could",
                                            "might",
                                            "maybe",
                                            "perhaps",
                                            "hopefully",
                                            "hope",
                                            "hoping",
                                            "expect",
                                            "expected",
                                            "expecting",
                                            "plan",
                                            "plans",
                                            "planned",
                                            "planning",
                                            "target",
                                            "targeting",
                                            "forecast",
                                            "projected",
                                            "projection",
                                            "pipeline",
                                            "tracking",
                                            "aim",
                                            "aiming",
                                            "goal",
                                            "should",
                                            "soon",
                                            "pending",
                                            "tbd",
                                            "not",
                                            "no",
                                            "never",
                                            "nothing",
                                            "lost",
                                            "declined",
                                            "rejected",
                                            "draft",
                                            "mock",
                                            "placeholder",
                                            "hypothetical",
                                            "hypothetically",
                                            "rumour",
                                            "rumor",
                                            "rumours",
                                            "heard",
                                            "apparently",
                                            "joke",
                                            "joked",
                                            "lol",
                                            "scenario",
                                            "napkin",
                                            "stretch",
                                            "almost",
                                            "nearly",
                                            "verbal",
                                            "verbally",
                                            "soft",
                                            "circling",
                                            "leaning",
                                            "considering",
                                            "exploring",
                                            "talks",
                                            "discussing",
                                            "proposal",
                                            "proposed",
                                            "wants",
                                            "want",
                                            "asked",
                                            "asking",
                                            "weighted",
                                            "estimate",
                                            "estimated",
                                            "assuming",
                                            "once",
                                            "until",
                                            "unsigned",
                                            "slide",
                                            "deck",
                                            "template",
                                            "example",
                                            "test",
                                            "testing",
                                            "reminder",
                                            "paused",
                                            "delayed",
                                            "postponed",
                                            "cancelled",
                                            "canceled",
                                            "fell",
                                            "walked",
                                            "withdrew",
                                            "pulled"};

constexpr std::string_view kHedgePhrases[] = {"n't",       "n’t",        "on track",
                                              "next week", "next month", "next quarter",
                                              "close to",  "in talks",   "fingers crossed"};

}  // namespace

bool ReadsAsPlainFact(std::string_view text) {
  if (text.find('?') != std::string_view::npos) return false;
  const std::string lower = ascii::Lower(text);
  for (std::string_view phrase : kHedgePhrases) {
    if (lower.find(phrase) != std::string::npos) return false;
  }
  return std::none_of(std::begin(kHedgeWords), std::end(kHedgeWords),
                      [&](std::string_view word) { return rules::HasPhrase(lower, word); });
}

TierSplit SplitByConfidence(const ExtractionRequest& request) {
  TierSplit split;
  for (const BatchMessage& message : request.messages) {
    const bool signal =
        ClassifyMessage(message.subject, message.text) == PrefilterVerdict::kKeepSignal;
    std::vector<ExtractedEvent> events;
    std::vector<ExtractedObservation> observations;
    if (signal && ReadsAsPlainFact(message.subject + "\n" + message.text)) {
      events = ExtractMessageEvents(request.company_id, message);
      observations = ExtractMessageObservations(message);
    }
    if (events.empty() && observations.empty()) {
      split.to_model.push_back(message);
      continue;
    }
    ++split.decided_messages;
    split.decided_ids.push_back(message.id);
    for (ExtractedEvent& event : events) split.decided.events.push_back(std::move(event));
    for (ExtractedObservation& observation : observations) {
      split.decided.observations.push_back(std::move(observation));
    }
  }
  return split;
}

Status TieredExtractor::ExtractInto(const ExtractionRequest& request, ExtractionResult* out) {
  TierSplit split = SplitByConfidence(request);
  if (split.to_model.empty()) {
    out->provider = provider_;
    out->requested_model = model_name_;
  } else {
    ExtractionRequest rest{request.batch_id, request.company_id, std::move(split.to_model)};
    MS_RETURN_IF_ERROR(model_->ExtractInto(rest, out));
  }
  for (ExtractedEvent& event : split.decided.events) out->events.push_back(std::move(event));
  for (ExtractedObservation& observation : split.decided.observations) {
    out->observations.push_back(std::move(observation));
  }
  out->decided_offline = split.decided_messages;
  out->mode = "tiered";
  return Status::Ok();
}

}  // namespace ms
