#include "adapters/llm/batch_job_client.h"

#include <map>
#include <sstream>

#include "adapters/llm/http_llm_client.h"
#include "adapters/llm/llm_errors.h"
#include "core/net.h"

namespace ms::llm {
namespace {

using nlohmann::json;

// Below the daemon's stop timeout (systemd TimeoutStopSec=45): a worker in a job call still
// finishes it, and records its outcome, before it is killed.
constexpr std::chrono::milliseconds kJobCallTimeout{30000};

// What a call is, for how its errors are read.
enum class Call {
  kOther,
  kCreate,  // creates the job: an error may leave a job behind (see BatchJobClient::Submit)
  kLookup,  // reads the job by id: a 404 from the provider means there is no such job
};

// The provider may have created the job although its create call failed.
Status OutcomeUnknown(const Status& cause) {
  return DeadlineExceeded(cause.message() + " (the provider may have created the job)");
}

// A transport error before anything was sent: the connection was never made.
bool NeverConnected(const Status& transport) {
  const std::string& message = transport.message();
  return message.find("Couldn't connect to server") != std::string::npos ||
         message.find("Couldn't resolve host name") != std::string::npos ||
         message.find("Couldn't resolve proxy name") != std::string::npos;
}

// The HTTP statuses by which a provider refuses to create a job (it created none).
bool IsRefusal(int http_status) {
  for (int refusal : {400, 401, 403, 404, 413, 422, 429}) {
    if (http_status == refusal) return true;
  }
  return false;
}

// What every provider's batch API shares: authenticated JSON (or text) exchanges classified
// like synchronous calls, and the synchronous client that builds request bodies and reads
// answers.
class HttpBatchJobs : public BatchJobClient {
 public:
  explicit HttpBatchJobs(std::unique_ptr<HttpLlmClient> sync)
      : sync_(std::move(sync)),
        http_(HttpClientOptions{sync_->options().connect_timeout,
                                // results of a whole job: far larger than one answer
                                sync_->options().max_response_bytes * 64}) {}

  std::string provider() const final { return sync_->provider(); }
  std::string model() const final { return sync_->model(); }

 protected:
  // `target`: a path below base_url, or an absolute URL. The 2xx body, else the classified error.
  // `call` kCreate: an error after which the job may exist is DeadlineExceeded (OutcomeUnknown);
  // kLookup: a 404 with the provider's error body is NotFound (no such job).
  StatusOr<std::string> Exchange(const std::string& method, const std::string& target,
                                 std::string body = "",
                                 const std::string& content_type = "application/json",
                                 Call call = Call::kOther) const {
    HttpRequest request;
    request.method = method;
    request.url = target;
    const std::string origin = UrlOrigin(target);
    const std::string base_origin = UrlOrigin(sync_->options().base_url);
    if (origin.empty()) {
      request.url = sync_->options().base_url + target;
    } else if (origin != base_origin) {
      // A URL the provider handed back (Anthropic's results_url) gets the API key only on the
      // configured server: a key is never sent to another host. The job stays submitted.
      return FailedPrecondition(provider() + ": " + method + " " + origin +
                                "/...: not on llm.base_url's origin " + base_origin +
                                ", so the API key is not sent there; set llm.base_url to the "
                                "provider's API origin");
    }
    request.headers = sync_->Auth();
    if (method != "GET" && method != "DELETE") {
      request.headers.emplace_back("Content-Type", content_type);
    }
    request.body = std::move(body);
    request.timeout = kJobCallTimeout;
    auto response = http_.Post(request);
    if (!response.ok()) {
      Status error = ClassifyTransportError(provider(), response.status()).status;
      if (call == Call::kCreate && !NeverConnected(response.status())) return OutcomeUnknown(error);
      return error;
    }
    if (response->status < 200 || response->status >= 300) {
      Status error =
          ClassifyHttpError(provider(), *response, clock_.Now(), sync_->options().api_key).status;
      if (call == Call::kCreate && !IsRefusal(response->status)) return OutcomeUnknown(error);
      if (call == Call::kLookup && response->status == 404) {
        // The provider's own error body (not a proxy's or a wrong base_url's page).
        const ProviderError said = ParseErrorBody(response->body);
        if (!said.type.empty() || !said.status.empty()) return NotFound(error.message());
      }
      return error;
    }
    return std::move(response->body);
  }

  StatusOr<json> ExchangeJson(const std::string& method, const std::string& target,
                              const json& body = json(), Call call = Call::kOther) const {
    MS_ASSIGN_OR_RETURN(
        std::string text,
        Exchange(method, target, body.is_null() ? "" : body.dump(), "application/json", call));
    json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_object()) {
      Status malformed = MalformedResponse(provider(), "body is not a JSON object").status;
      return call == Call::kCreate ? OutcomeUnknown(malformed) : malformed;
    }
    return parsed;
  }

  // The create call's reply named no job: it may exist all the same.
  Status NoJobId(const char* what) const {
    return OutcomeUnknown(MalformedResponse(provider(), what).status);
  }

  StatusOr<json> RequestBody(const LlmRequest& request) const {
    return sync_->RequestBody(request);
  }

  // An item from a result's answer body (a provider response of the synchronous shape).
  JobItem ItemFrom(std::string custom_id, const json& body) const {
    JobItem item;
    item.custom_id = std::move(custom_id);
    LlmResult read = sync_->ReadBody(body);
    if (read.ok()) {
      item.response = std::move(read.response);
    } else {
      item.error = read.error->status.ToString();
    }
    return item;
  }

  static JobItem ErrorItem(std::string custom_id, std::string error) {
    JobItem item;
    item.custom_id = std::move(custom_id);
    item.error = error.empty() ? "errored" : std::move(error);
    return item;
  }

  static std::vector<json> JsonLines(const std::string& text) {
    std::vector<json> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      json parsed = json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (parsed.is_object()) lines.push_back(std::move(parsed));
    }
    return lines;
  }

  std::unique_ptr<HttpLlmClient> sync_;

 private:
  mutable HttpClient http_;
  SystemClock clock_;  // for Retry-After dates only
};

class OpenAiBatchJobs final : public HttpBatchJobs {
 public:
  using HttpBatchJobs::HttpBatchJobs;

  StatusOr<std::string> Submit(const std::string& label,
                               const std::vector<JobRequest>& requests) override {
    std::string jsonl;
    for (const JobRequest& request : requests) {
      MS_ASSIGN_OR_RETURN(json body, RequestBody(request.request));
      jsonl += json{{"custom_id", request.custom_id},
                    {"method", "POST"},
                    {"url", "/v1/chat/completions"},
                    {"body", std::move(body)}}
                   .dump() +
               "\n";
    }
    const std::string boundary = "milestoned-batch-boundary-7d1f";
    std::string form = "--" + boundary +
                       "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--" +
                       boundary +
                       "\r\nContent-Disposition: form-data; name=\"file\"; "
                       "filename=\"batch.jsonl\"\r\nContent-Type: application/jsonl\r\n\r\n" +
                       jsonl + "\r\n--" + boundary + "--\r\n";
    MS_ASSIGN_OR_RETURN(std::string uploaded,
                        Exchange("POST", "/v1/files", std::move(form),
                                 "multipart/form-data; boundary=" + boundary));
    json file = json::parse(uploaded, nullptr, /*allow_exceptions=*/false);
    const std::string file_id = JsonString(file, "id");
    if (file_id.empty()) return MalformedResponse(provider(), "file upload has no id").status;
    MS_ASSIGN_OR_RETURN(json batch, ExchangeJson("POST", "/v1/batches",
                                                 {{"input_file_id", file_id},
                                                  {"endpoint", "/v1/chat/completions"},
                                                  {"completion_window", "24h"},
                                                  {"metadata", {{"milestoned_label", label}}}},
                                                 Call::kCreate));
    const std::string id = JsonString(batch, "id");
    if (id.empty()) return NoJobId("batch has no id");
    return id;
  }

  StatusOr<JobStatus> Poll(const std::string& job_id) override {
    MS_ASSIGN_OR_RETURN(json batch,
                        ExchangeJson("GET", "/v1/batches/" + job_id, json(), Call::kLookup));
    JobStatus status;
    status.provider_state = JsonString(batch, "status");
    static const std::map<std::string, JobState> kStates = {{"completed", JobState::kCompleted},
                                                            {"failed", JobState::kFailed},
                                                            {"expired", JobState::kExpired},
                                                            {"cancelled", JobState::kCancelled}};
    auto it = kStates.find(status.provider_state);
    if (it == kStates.end()) return status;  // validating, in_progress, finalizing, cancelling
    status.state = it->second;
    for (const char* file_key : {"output_file_id", "error_file_id"}) {
      const std::string file_id = JsonString(batch, file_key);
      if (file_id.empty()) continue;
      MS_ASSIGN_OR_RETURN(std::string content,
                          Exchange("GET", "/v1/files/" + file_id + "/content"));
      for (const json& line : JsonLines(content)) status.items.push_back(Item(line));
    }
    return status;
  }

  Status Release(const std::string& job_id) override {
    MS_ASSIGN_OR_RETURN(json batch,
                        ExchangeJson("GET", "/v1/batches/" + job_id, json(), Call::kLookup));
    for (const char* file_key : {"input_file_id", "output_file_id", "error_file_id"}) {
      const std::string file_id = JsonString(batch, file_key);
      if (file_id.empty()) continue;
      // kLookup: the provider's own 404 (NotFound) says the file is gone already.
      StatusOr<std::string> deleted =
          Exchange("DELETE", "/v1/files/" + file_id, "", "application/json", Call::kLookup);
      if (!deleted.ok() && deleted.status().code() != StatusCode::kNotFound) {
        return deleted.status().WithContext("deleting " + std::string(file_key) + " " + file_id);
      }
    }
    return Status::Ok();
  }

 private:
  JobItem Item(const json& line) const {
    std::string custom_id = JsonString(line, "custom_id");
    const json response = line.value("response", json());
    if (response.is_object() && JsonCount(response, "status_code") == 200 &&
        response.contains("body")) {
      return ItemFrom(std::move(custom_id), response["body"]);
    }
    const json error = line.value("error", json());
    return ErrorItem(std::move(custom_id),
                     error.is_object() ? JsonString(error, "message") : std::string());
  }
};

class AnthropicBatchJobs final : public HttpBatchJobs {
 public:
  using HttpBatchJobs::HttpBatchJobs;

  // No files are uploaded for a job here; its results go by the provider's own retention.
  Status Release(const std::string&) override { return Status::Ok(); }

  StatusOr<std::string> Submit(const std::string& /*label: none on this API*/,
                               const std::vector<JobRequest>& requests) override {
    json items = json::array();
    for (const JobRequest& request : requests) {
      MS_ASSIGN_OR_RETURN(json params, RequestBody(request.request));
      items.push_back({{"custom_id", request.custom_id}, {"params", std::move(params)}});
    }
    MS_ASSIGN_OR_RETURN(json batch, ExchangeJson("POST", "/v1/messages/batches",
                                                 {{"requests", items}}, Call::kCreate));
    const std::string id = JsonString(batch, "id");
    if (id.empty()) return NoJobId("batch has no id");
    return id;
  }

  StatusOr<JobStatus> Poll(const std::string& job_id) override {
    MS_ASSIGN_OR_RETURN(
        json batch, ExchangeJson("GET", "/v1/messages/batches/" + job_id, json(), Call::kLookup));
    JobStatus status;
    status.provider_state = JsonString(batch, "processing_status");
    if (status.provider_state != "ended") return status;  // in_progress, canceling
    const json counts = batch.value("request_counts", json::object());
    // An ended job that answered anything completed (its other requests fall back); one that
    // answered nothing ended by expiry or cancellation.
    status.state = JobState::kCompleted;
    if (JsonCount(counts, "succeeded") + JsonCount(counts, "errored") == 0) {
      if (JsonCount(counts, "expired") > 0) status.state = JobState::kExpired;
      if (JsonCount(counts, "canceled") > 0) status.state = JobState::kCancelled;
    }
    const std::string results_url = JsonString(batch, "results_url");
    if (results_url.empty()) return status;
    MS_ASSIGN_OR_RETURN(std::string content, Exchange("GET", results_url));
    for (const json& line : JsonLines(content)) {
      std::string custom_id = JsonString(line, "custom_id");
      const json result = line.value("result", json::object());
      const std::string type = JsonString(result, "type");
      if (type == "succeeded" && result.contains("message")) {
        status.items.push_back(ItemFrom(std::move(custom_id), result["message"]));
      } else {
        status.items.push_back(ErrorItem(std::move(custom_id), type));
      }
    }
    return status;
  }
};

class GeminiBatchJobs final : public HttpBatchJobs {
 public:
  using HttpBatchJobs::HttpBatchJobs;

  // No files are uploaded for a job here; its results go by the provider's own retention.
  Status Release(const std::string&) override { return Status::Ok(); }

  StatusOr<std::string> Submit(const std::string& label,
                               const std::vector<JobRequest>& requests) override {
    json inlined = json::array();
    for (const JobRequest& request : requests) {
      MS_ASSIGN_OR_RETURN(json body, RequestBody(request.request));
      inlined.push_back({{"request", std::move(body)}, {"metadata", {{"key", request.custom_id}}}});
    }
    json body = {{"batch",
                  {{"displayName", label},
                   {"inputConfig", {{"requests", {{"requests", std::move(inlined)}}}}}}}};
    MS_ASSIGN_OR_RETURN(json operation,
                        ExchangeJson("POST", "/v1beta/models/" + model() + ":batchGenerateContent",
                                     body, Call::kCreate));
    std::string name = JsonString(operation, "name");
    if (!name.starts_with("batches/")) return NoJobId("batch operation has no batches/ name");
    return name.substr(8);
  }

  StatusOr<JobStatus> Poll(const std::string& job_id) override {
    MS_ASSIGN_OR_RETURN(json operation,
                        ExchangeJson("GET", "/v1beta/batches/" + job_id, json(), Call::kLookup));
    const json metadata = operation.value("metadata", json::object());
    JobStatus status;
    status.provider_state = JsonString(metadata, "state");
    if (status.provider_state.empty()) status.provider_state = JsonString(operation, "state");
    // JOB_STATE_... or BATCH_STATE_...: the word after the last '_' decides.
    const std::string word = status.provider_state.substr(status.provider_state.rfind('_') + 1);
    static const std::map<std::string, JobState> kStates = {{"SUCCEEDED", JobState::kCompleted},
                                                            {"FAILED", JobState::kFailed},
                                                            {"EXPIRED", JobState::kExpired},
                                                            {"CANCELLED", JobState::kCancelled}};
    auto it = kStates.find(word);
    if (it == kStates.end()) return status;  // PENDING, RUNNING, ...
    status.state = it->second;
    const json responses = InlinedResponses(operation);
    for (size_t idx = 0; idx < responses.size(); ++idx) {
      const json& entry = responses[idx];
      std::string key = JsonString(entry.value("metadata", json::object()), "key");
      if (entry.contains("response") && entry["response"].is_object()) {
        status.items.push_back(ItemFrom(std::move(key), entry["response"]));
      } else {
        status.items.push_back(
            ErrorItem(std::move(key), JsonString(entry.value("error", json::object()), "message")));
      }
    }
    return status;
  }

 private:
  // response.inlinedResponses.inlinedResponses, else metadata.output.inlinedResponses...
  static json InlinedResponses(const json& operation) {
    const auto in_response = json::json_pointer("/response/inlinedResponses/inlinedResponses");
    const auto in_metadata =
        json::json_pointer("/metadata/output/inlinedResponses/inlinedResponses");
    for (const auto& pointer : {in_response, in_metadata}) {
      if (operation.contains(pointer) && operation[pointer].is_array()) return operation[pointer];
    }
    return json::array();
  }
};

}  // namespace

StatusOr<std::unique_ptr<BatchJobClient>> MakeBatchJobClient(const LlmClientOptions& options) {
  MS_ASSIGN_OR_RETURN(std::unique_ptr<LlmClient> client, MakeLlmClient(options));
  // Every provider MakeLlmClient builds is an HttpLlmClient.
  std::unique_ptr<HttpLlmClient> sync(static_cast<HttpLlmClient*>(client.release()));
  if (options.provider == "openai")
    return std::unique_ptr<BatchJobClient>(new OpenAiBatchJobs(std::move(sync)));
  if (options.provider == "anthropic")
    return std::unique_ptr<BatchJobClient>(new AnthropicBatchJobs(std::move(sync)));
  return std::unique_ptr<BatchJobClient>(new GeminiBatchJobs(std::move(sync)));
}

}  // namespace ms::llm
