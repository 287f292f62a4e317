#include "tests/fake_llm/fake_llm_jobs.h"

#include <map>
#include <nlohmann/json.hpp>
#include <utility>

namespace ms::test {
namespace {

using nlohmann::json;

constexpr std::pair<JobOutcome, const char*> kOutcomeNames[] = {
    {JobOutcome::kCompleted, "completed"}, {JobOutcome::kPartial, "partial"},
    {JobOutcome::kExpired, "expired"},     {JobOutcome::kCancelled, "cancelled"},
    {JobOutcome::kFailed, "failed"},
};

// Whether request `idx` of an ended job has an answer.
bool Answered(const FakeJobRecord& job, size_t idx) {
  switch (job.script.outcome) {
    case JobOutcome::kCompleted:
      return true;
    case JobOutcome::kPartial:
      return idx > 0;
    default:
      return false;
  }
}

// The synchronous response body for request `idx`, as the fake's sync routes render it.
json AnswerBody(const FakeJobRecord& job, size_t idx) {
  const FakeJobRecord::Request& request = job.requests[idx];
  std::string tool = "record_events";
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  const auto pointer = json::json_pointer("/tool_choice/name");
  if (body.is_object() && body.contains(pointer) && body[pointer].is_string())
    tool = body[pointer].get<std::string>();
  WireResponse rendered = RenderReply(job.wire, FakeReply{}, request.answer, job.model, tool);
  return json::parse(rendered.body);
}

size_t AnsweredCount(const FakeJobRecord& job) {
  size_t count = 0;
  for (size_t idx = 0; idx < job.requests.size(); ++idx) count += Answered(job, idx) ? 1 : 0;
  return count;
}

}  // namespace

std::optional<JobOutcome> ParseJobOutcome(std::string_view name) {
  for (const auto& [outcome, outcome_name] : kOutcomeNames) {
    if (name == outcome_name) return outcome;
  }
  return std::nullopt;
}

std::string_view JobOutcomeName(JobOutcome outcome) {
  for (const auto& [known, outcome_name] : kOutcomeNames) {
    if (known == outcome) return outcome_name;
  }
  return "unknown";
}

std::string OpenAiBatchObject(const FakeJobRecord& job) {
  std::string status = job.polls <= 1 && !job.ended() ? "validating" : "in_progress";
  json out = {{"id", job.id},
              {"object", "batch"},
              {"endpoint", "/v1/chat/completions"},
              {"completion_window", "24h"},
              {"input_file_id", job.input_file_id},
              {"output_file_id", nullptr},
              {"error_file_id", nullptr},
              {"metadata", {{"milestoned_label", job.label}}}};
  const size_t total = job.requests.size();
  const size_t answered = job.ended() ? AnsweredCount(job) : 0;
  out["request_counts"] = {
      {"total", total}, {"completed", answered}, {"failed", job.ended() ? total - answered : 0}};
  if (!job.ended()) {
    out["status"] = status;
    return out.dump();
  }
  static const std::map<JobOutcome, const char*> kStatus = {{JobOutcome::kCompleted, "completed"},
                                                            {JobOutcome::kPartial, "completed"},
                                                            {JobOutcome::kExpired, "expired"},
                                                            {JobOutcome::kCancelled, "cancelled"},
                                                            {JobOutcome::kFailed, "failed"}};
  out["status"] = kStatus.at(job.script.outcome);
  if (job.script.outcome == JobOutcome::kFailed) {
    out["errors"] = {
        {"object", "list"},
        {"data",
         json::array({{{"code", "invalid_request"}, {"message", "The input file is invalid."}}})}};
    return out.dump();
  }
  if (answered > 0) out["output_file_id"] = "file-out-" + job.id;
  if (answered < total) out["error_file_id"] = "file-err-" + job.id;
  return out.dump();
}

std::string OpenAiResultsFile(const FakeJobRecord& job, bool errors) {
  std::string out;
  for (size_t idx = 0; idx < job.requests.size(); ++idx) {
    if (Answered(job, idx) == errors) continue;
    json line = {{"id", "batch_req_" + std::to_string(idx)},
                 {"custom_id", job.requests[idx].custom_id}};
    if (errors) {
      const bool expired = job.script.outcome == JobOutcome::kExpired;
      line["response"] = nullptr;
      line["error"] = {{"code", expired ? "batch_expired" : "batch_cancelled"},
                       {"message", expired ? "This request could not be executed before the "
                                             "completion window expired."
                                           : "This request was not executed."}};
      if (job.script.outcome == JobOutcome::kPartial) {
        line["error"] = nullptr;
        line["response"] = {{"status_code", 500},
                            {"request_id", "req_fake"},
                            {"body", {{"error", {{"message", "internal error"}}}}}};
      }
    } else {
      line["response"] = {
          {"status_code", 200}, {"request_id", "req_fake"}, {"body", AnswerBody(job, idx)}};
      line["error"] = nullptr;
    }
    out += line.dump() + "\n";
  }
  return out;
}

std::string AnthropicBatchObject(const FakeJobRecord& job, const std::string& base_url) {
  json counts = {{"processing", job.ended() ? 0 : job.requests.size()},
                 {"succeeded", 0},
                 {"errored", 0},
                 {"canceled", 0},
                 {"expired", 0}};
  json out = {{"id", job.id},
              {"type", "message_batch"},
              {"processing_status", job.ended() ? "ended" : "in_progress"},
              {"results_url", nullptr},
              {"cancel_initiated_at", nullptr}};
  if (job.ended()) {
    const size_t answered = AnsweredCount(job);
    const size_t rest = job.requests.size() - answered;
    counts["succeeded"] = answered;
    const char* rest_key = job.script.outcome == JobOutcome::kExpired     ? "expired"
                           : job.script.outcome == JobOutcome::kCancelled ? "canceled"
                                                                          : "errored";
    counts[rest_key] = rest;
    if (job.script.outcome == JobOutcome::kCancelled)
      out["cancel_initiated_at"] = "2026-01-01T00:00:00Z";
    out["results_url"] = base_url + "/v1/messages/batches/" + job.id + "/results";
  }
  out["request_counts"] = counts;
  return out.dump();
}

std::string AnthropicResults(const FakeJobRecord& job) {
  std::string out;
  for (size_t idx = 0; idx < job.requests.size(); ++idx) {
    json result;
    if (Answered(job, idx)) {
      result = {{"type", "succeeded"}, {"message", AnswerBody(job, idx)}};
    } else if (job.script.outcome == JobOutcome::kExpired) {
      result = {{"type", "expired"}};
    } else if (job.script.outcome == JobOutcome::kCancelled) {
      result = {{"type", "canceled"}};
    } else {
      result = {{"type", "errored"},
                {"error",
                 {{"type", "error"},
                  {"error", {{"type", "api_error"}, {"message", "Internal server error"}}}}}};
    }
    out += json{{"custom_id", job.requests[idx].custom_id}, {"result", result}}.dump() + "\n";
  }
  return out;
}

std::string GeminiOperation(const FakeJobRecord& job) {
  static const std::map<JobOutcome, const char*> kStates = {
      {JobOutcome::kCompleted, "BATCH_STATE_SUCCEEDED"},
      {JobOutcome::kPartial, "BATCH_STATE_SUCCEEDED"},
      {JobOutcome::kExpired, "BATCH_STATE_EXPIRED"},
      {JobOutcome::kCancelled, "BATCH_STATE_CANCELLED"},
      {JobOutcome::kFailed, "BATCH_STATE_FAILED"}};
  const std::string state = !job.ended()
                                ? (job.polls <= 1 ? "BATCH_STATE_PENDING" : "BATCH_STATE_RUNNING")
                                : kStates.at(job.script.outcome);
  json metadata = {
      {"@type", "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch"},
      {"name", "batches/" + job.id},
      {"displayName", job.label},
      {"model", "models/" + job.model},
      {"state", state}};
  json out = {{"name", "batches/" + job.id}, {"metadata", metadata}, {"done", job.ended()}};
  const bool answers = job.ended() && (job.script.outcome == JobOutcome::kCompleted ||
                                       job.script.outcome == JobOutcome::kPartial);
  if (!answers) return out.dump();
  json responses = json::array();
  for (size_t idx = 0; idx < job.requests.size(); ++idx) {
    json entry = {{"metadata", {{"key", job.requests[idx].custom_id}}}};
    if (Answered(job, idx)) {
      entry["response"] = AnswerBody(job, idx);
    } else {
      entry["error"] = {{"code", 13}, {"message", "Internal error encountered."}};
    }
    responses.push_back(std::move(entry));
  }
  out["response"] = {
      {"@type",
       "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput"},
      {"inlinedResponses", {{"inlinedResponses", std::move(responses)}}}};
  return out.dump();
}

}  // namespace ms::test
