#include "pipeline/extract/job_extractor.h"

#include <map>
#include <set>
#include <utility>

#include "core/hash.h"
#include "pipeline/extract/tiered_extractor.h"

namespace ms {
namespace {

std::string CustomId(int64_t batch_id, size_t prompt_idx) {
  return std::to_string(batch_id) + "-" + std::to_string(prompt_idx);
}

void AppendResult(ExtractionResult&& part, ExtractionResult* out) {
  for (ExtractedEvent& event : part.events) out->events.push_back(std::move(event));
  for (ExtractedObservation& observation : part.observations)
    out->observations.push_back(std::move(observation));
  out->usage += part.usage;
  out->llm_calls += part.llm_calls;
  out->rejected_events += part.rejected_events;
  out->dropped_by_prefilter += part.dropped_by_prefilter;
  if (!part.model.empty()) out->model = part.model;
}

// The job's usable answer for `prompt`, validated; nullopt when there is none.
std::optional<ParsedAnswer> JobAnswer(const JobItem* item, const PreparedPrompt& prompt,
                                      const std::string& company_id) {
  if (item == nullptr || !item->response || item->response->finish_reason == "length")
    return std::nullopt;
  auto parsed = ParseAnswer(item->response->text, prompt, company_id);
  if (!parsed.ok()) return std::nullopt;
  return std::move(*parsed);
}

}  // namespace

ExtractionRequest JobExtractor::ModelPart(const ExtractionRequest& request,
                                          ExtractionResult* decided) const {
  if (!tiered_) return request;
  TierSplit split = SplitByConfidence(request);
  *decided = std::move(split.decided);
  decided->decided_offline = split.decided_messages;
  return {request.batch_id, request.company_id, std::move(split.to_model)};
}

std::string JobExtractor::RequestHash(const LlmRequest& request) {
  std::string identity;
  for (const std::string* part : {&request.system, &request.user, &request.schema_json,
                                  &request.schema_name, &request.schema_description}) {
    identity += std::to_string(part->size()) + ":" + *part;
  }
  identity += std::to_string(request.max_output_tokens);
  return Fnv1a64Hex(identity);
}

std::vector<std::string> JobExtractor::RequestHashes(const std::vector<JobRequest>& requests) {
  std::vector<std::string> hashes;
  for (const JobRequest& request : requests) hashes.push_back(RequestHash(request.request));
  return hashes;
}

std::string JobExtractor::Label(int64_t batch_id) {
  return "milestoned-batch-" + std::to_string(batch_id);
}

void JobExtractor::Prepare(const ExtractionRequest& request, Submission* out) const {
  ExtractionResult decided;
  ExtractionRequest model_part = ModelPart(request, &decided);
  decided.provider = jobs_->provider();
  decided.model = decided.requested_model = jobs_->model();
  decided.mode = tiered_ ? "tiered" : "model";
  std::vector<PreparedPrompt> prompts = PreparePrompts(model_part, prompt_);
  if (prompts.empty()) decided.dropped_by_prefilter = static_cast<int>(model_part.messages.size());
  out->decided = std::move(decided);
  out->requests.clear();
  for (size_t idx = 0; idx < prompts.size(); ++idx) {
    out->requests.push_back({CustomId(request.batch_id, idx), prompts[idx].request});
  }
}

Status JobExtractor::Collect(const ExtractionRequest& request, const JobStatus& status,
                             ExtractionResult* out, int* fallbacks, bool count_job_usage,
                             const std::vector<std::string>& submitted, int* changed) {
  *fallbacks = 0;
  if (changed != nullptr) *changed = 0;
  ExtractionRequest model_part = ModelPart(request, out);
  const std::string base_mode = tiered_ ? "tiered" : "model";
  out->provider = jobs_->provider();
  out->model = out->requested_model = jobs_->model();
  out->mode = base_mode;
  std::map<std::string, const JobItem*> items;
  for (const JobItem& item : status.items) items[item.custom_id] = &item;
  std::vector<PreparedPrompt> prompts = PreparePrompts(model_part, prompt_);
  std::set<int64_t> unanswered;
  bool answered_any = false;
  for (size_t idx = 0; idx < prompts.size(); ++idx) {
    const PreparedPrompt& prompt = prompts[idx];
    out->dropped_by_prefilter += prompt.dropped_by_prefilter;
    auto found = items.find(CustomId(request.batch_id, idx));
    const JobItem* item = found == items.end() ? nullptr : found->second;
    std::optional<ParsedAnswer> parsed = JobAnswer(item, prompt, request.company_id);
    const bool same_request = submitted.empty() || (idx < submitted.size() &&
                                                    submitted[idx] == RequestHash(prompt.request));
    if (!same_request) {
      // Answers another prompt than this one: paid for, never used.
      parsed.reset();
      if (changed != nullptr) ++*changed;
    }
    if (count_job_usage && item != nullptr && item->response) {
      // Paid for whether usable or not; counted by the first collect of the ended job.
      out->usage += item->response->usage;
      out->batch_usage += item->response->usage;
    }
    if (item != nullptr && item->response && !item->response->model.empty()) {
      out->model = item->response->model;
    }
    if (!parsed) {
      ++*fallbacks;
      unanswered.insert(prompt.index_to_message_id.begin(), prompt.index_to_message_id.end());
      continue;
    }
    answered_any = true;
    out->rejected_events += parsed->rejected_events + parsed->rejected_observations;
    for (ExtractedEvent& event : parsed->events) out->events.push_back(std::move(event));
    for (ExtractedObservation& observation : parsed->observations)
      out->observations.push_back(std::move(observation));
  }
  if (answered_any) out->mode = base_mode + "+batch";
  if (unanswered.empty()) return Status::Ok();
  ExtractionRequest rest{request.batch_id, request.company_id, {}};
  for (const BatchMessage& message : model_part.messages) {
    if (unanswered.count(message.id) > 0) rest.messages.push_back(message);
  }
  ExtractionResult sync;
  Status st = sync_->ExtractInto(rest, &sync);
  sync.dropped_by_prefilter = 0;  // counted above, from the job's prompts
  AppendResult(std::move(sync), out);
  return st;
}

std::string JobExtractor::EndState(const JobStatus& status, int fallbacks) {
  if (status.state == JobState::kCompleted && fallbacks > 0) return "partial";
  return JobStateName(status.state);
}

}  // namespace ms
