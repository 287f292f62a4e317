#include "pipeline/ledger/kept_answer.h"

#include <nlohmann/json.hpp>

namespace ms {

// The JSON form of the answer's parts, field by field (found by ADL from nlohmann::json).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ExtractedEvent, company_id, type, title, description, impact,
                                   metrics, timeline, severity, stakeholders, source_message_ids)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ExtractedObservation, metric, value, unit, source_message_id)
// Answers kept before the cache counts existed lack them: they read as 0.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TokenUsage, prompt_tokens, completion_tokens,
                                                cached_prompt_tokens, cache_write_tokens)

namespace {

using nlohmann::json;

constexpr int kLayout = 1;

}  // namespace

std::string EncodeKeptAnswer(const KeptAnswer& answer) {
  const ExtractionResult& r = answer.result;
  json out = {{"layout", kLayout},
              {"events", r.events},
              {"observations", r.observations},
              {"fingerprints", answer.fingerprints},
              {"usage", r.usage},
              {"provider", r.provider},
              {"model", r.model},
              {"requested_model", r.requested_model},
              {"llm_calls", r.llm_calls},
              {"dropped_by_prefilter", r.dropped_by_prefilter},
              {"rejected_events", r.rejected_events},
              {"decided_offline", r.decided_offline},
              {"mode", r.mode},
              {"cost_usd", answer.cost_usd},
              {"messages", answer.messages}};
  return out.dump();
}

StatusOr<KeptAnswer> DecodeKeptAnswer(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InvalidArgument("kept answer: not a JSON object");
  if (j.value("layout", 0) != kLayout) {
    return InvalidArgument("kept answer: layout " + j.value("layout", json()).dump() +
                           ", expected " + std::to_string(kLayout));
  }
  KeptAnswer answer;
  ExtractionResult& r = answer.result;
  try {
    j.at("events").get_to(r.events);
    j.at("observations").get_to(r.observations);
    j.at("fingerprints").get_to(answer.fingerprints);
    j.at("usage").get_to(r.usage);
    j.at("provider").get_to(r.provider);
    j.at("model").get_to(r.model);
    j.at("requested_model").get_to(r.requested_model);
    j.at("llm_calls").get_to(r.llm_calls);
    j.at("dropped_by_prefilter").get_to(r.dropped_by_prefilter);
    j.at("rejected_events").get_to(r.rejected_events);
    // Answers kept before these fields existed lack them.
    r.decided_offline = j.value("decided_offline", 0);
    r.mode = j.value("mode", std::string());
    j.at("cost_usd").get_to(answer.cost_usd);
    j.at("messages").get_to(answer.messages);
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("kept answer: ") + e.what());
  }
  if (answer.fingerprints.size() != r.events.size()) {
    return InvalidArgument("kept answer: " + std::to_string(answer.fingerprints.size()) +
                           " fingerprints for " + std::to_string(r.events.size()) + " events");
  }
  return answer;
}

}  // namespace ms
