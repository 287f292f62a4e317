// A fake LLM provider over real HTTP, for tests and the demo. It serves the three wire formats
// at their real paths:
//   POST /v1/chat/completions                          OpenAI-compatible
//   POST /v1beta/models/{model}:generateContent         Gemini
//   POST /v1/messages                                   Anthropic
// Each request takes the next scripted FakeReply (or, when the script is empty, a success with
// the default answer: the rules extractor's events and observations for the prompt's messages, or
// for an investor-update prompt the offline template over its events) and is recorded with its
// headers and body so a test can assert what was sent. Anthropic answers come back as a call
// of the tool the request forced. A prompt cache is simulated per wire: a request whose cacheable
// prefix (OpenAI: system message and response_format; Gemini: systemInstruction and
// responseSchema; Anthropic: tools and system up to a cache_control breakpoint, none without
// one) was seen before reports FakeReply::prefix_tokens as cached, in that provider's usage
// fields; Anthropic reports a new marked prefix as written to the cache. For scripting from outside
// the process (fake_llm_server binary):
//   POST /_fake/replies   {"fault": "rate_limited", "answer": "...", "delay_ms": 0,
//                          "retry_after": "1", "count": 1}
//   GET  /_fake/requests  the recorded requests as JSON;  POST /_fake/reset  clears both.
// The providers' batch APIs are served too (fake_llm_jobs.h), scripted with PushJob or
// POST /_fake/jobs; a job's creating request is recorded like a call.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "tests/fake_llm/fake_llm_jobs.h"
#include "tests/fake_llm/fake_llm_wire.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace ms::test {

struct RecordedRequest {
  Wire wire = Wire::kOpenAi;
  std::string path;
  std::string model;                           // from the body, or the Gemini path
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  Fault fault = Fault::kNone;  // how it was answered (kNone/kSlow: a usable answer)
};

class FakeLlmServer {
 public:
  // Builds the answer for a request when the scripted reply has none.
  using AnswerFn = std::function<std::string(const RecordedRequest&)>;

  FakeLlmServer();
  ~FakeLlmServer();  // Stop()s
  FakeLlmServer(const FakeLlmServer&) = delete;
  FakeLlmServer& operator=(const FakeLlmServer&) = delete;

  // Binds host:port (port 0: any free port) and serves on a background thread. Returns the
  // bound port; Unavailable if the address cannot be bound.
  StatusOr<int> Start(const std::string& host = "127.0.0.1", int port = 0);
  // Cuts slow replies short, stops serving and joins the thread. Idempotent.
  void Stop();

  int port() const { return port_; }
  std::string base_url() const;  // "http://127.0.0.1:<port>"

  void Push(FakeReply reply);  // replies are used in push order
  void PushN(const FakeReply& reply, int count);
  // Default: the offline rules extractor run over the prompt's <messages> block (see
  // rules_answer.h), {"events":[]} for a prompt without one; for an investor-update prompt
  // (<events> block) the offline template's update (investor_answer.h).
  void SetDefaultAnswer(AnswerFn answer);
  std::vector<RecordedRequest> requests() const;
  size_t request_count() const;
  void Reset();  // forgets the scripts, the recorded requests, the jobs and the prompt cache

  // Provider batch jobs: each submitted job takes the next scripted FakeJob (none: completed
  // after one pending poll). jobs(): every job submitted so far, in submission order.
  void PushJob(FakeJob job, int count = 1);
  std::vector<FakeJobRecord> jobs() const;
  // Every job submitted so far ends at its next poll, as scripted.
  void EndJobsAtNextPoll();
  // OpenAI: uploaded files not deleted yet, by id.
  std::vector<std::string> uploaded_files() const;

 private:
  void Serve(Wire wire, const httplib::Request& request, httplib::Response* response);
  FakeReply NextReply(const RecordedRequest& recorded, std::string* answer);
  // Fills reply->cached_tokens / cache_write_tokens from the simulated prompt cache.
  void ApplyPromptCache(const RecordedRequest& recorded, FakeReply* reply);
  bool WaitOrStop(std::chrono::milliseconds delay);  // false once stopping
  void InstallRoutes();
  void InstallAdminRoutes();
  void InstallJobRoutes();  // fake_llm_job_routes.cc
  // A job of `requests` (custom_id, body) answered as the sync routes would; returns its id.
  std::string CreateJob(Wire wire, const std::string& model, const std::string& label,
                        const std::vector<std::pair<std::string, std::string>>& requests);
  // The job, its poll counted when `poll`; nullptr when unknown. Caller holds mu_.
  FakeJobRecord* FindJob(const std::string& id, bool poll);

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::string host_;

  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;                     // guarded by mu_
  std::deque<FakeReply> script_;              // guarded by mu_
  std::vector<RecordedRequest> recorded_;     // guarded by mu_
  std::set<std::string> cached_prefixes_;     // guarded by mu_; "<wire>:<prefix bytes>"
  AnswerFn default_answer_;                   // guarded by mu_
  std::deque<FakeJob> job_script_;            // guarded by mu_
  std::vector<FakeJobRecord> jobs_;           // guarded by mu_; submission order
  std::map<std::string, std::string> files_;  // guarded by mu_; OpenAI uploads by file id
  int uploads_ = 0;                           // guarded by mu_; uploads so far (file ids)
};

}  // namespace ms::test
