// Tiered extraction (llm.mode: tiered): the offline rules decide the messages they are sure of,
// and only the rest reach the model, in the same per-company call.
//
// Per message of a batch:
//  - chatter the prefilter drops: decided, nothing extracted (as in model-only mode, where the
//    model extractor drops and counts it);
//  - a confident one: the rules extractor finds an event or a KPI reading in it, the prefilter
//    sees signal in it (not merely "unsure"), and it reads as a plain statement of fact
//    (ReadsAsPlainFact): its events and KPI readings come from the rules and it is not sent;
//  - everything else is sent to the model.
// The confident tier is measured on shared/data/realistic_dev by TieredQuality
// (tests/unit/rules_quality_test.cc, at least 0.95 precise per message or it is not confident)
// and reported with the model calls and prompt tokens it saves in docs/benchmarks.md.
// Thread-safe when the model extractor is.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ports/extract.h"

namespace ms {

// False for text that asks, negates, hedges, plans, forecasts or conditions ("?", "not",
// "didn't", "if", "would", "expect", "plan", "pipeline", "soft-circled", "draft", "heard", ...):
// such a message may still carry an event, but only the model is trusted to read it.
bool ReadsAsPlainFact(std::string_view text);

struct TierSplit {
  std::vector<BatchMessage> to_model;  // in batch order
  ExtractionResult decided;            // the confident messages' events and observations
  std::vector<int64_t> decided_ids;    // the confident messages, in batch order
  int decided_messages = 0;
};

// Splits a batch into what the rules decide and what goes to the model. Pure.
TierSplit SplitByConfidence(const ExtractionRequest& request);

class TieredExtractor final : public Extractor {
 public:
  // `model` must outlive this; `provider`/`model_name` label a batch the rules decided whole.
  TieredExtractor(Extractor* model, std::string provider, std::string model_name)
      : model_(model), provider_(std::move(provider)), model_name_(std::move(model_name)) {}

  // The model's answer for the uncertain messages plus the rules' events and observations for
  // the confident ones; decided_offline counts the latter. A batch decided whole makes no call.
  Status ExtractInto(const ExtractionRequest& request, ExtractionResult* out) override;
  std::chrono::milliseconds ReadyIn() const override { return model_->ReadyIn(); }

 private:
  Extractor* model_;
  std::string provider_;
  std::string model_name_;
};

}  // namespace ms
