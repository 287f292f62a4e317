// The fake LLM server's batch API routes (fake_llm_jobs.h).
#include <httplib.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/fake_llm/fake_llm_server.h"

namespace ms::test {
namespace {

using nlohmann::json;

void Reply(httplib::Response& res, int status, const std::string& body,
           const char* type = "application/json") {
  res.status = status;
  res.set_content(body, type);
}

void NotFound(httplib::Response& res) {
  Reply(res, 404, R"({"error":{"message":"No such batch or file","type":"not_found"}})");
}

json ParseBody(const httplib::Request& req) {
  return json::parse(req.body, nullptr, /*allow_exceptions=*/false);
}

std::string Str(const json& object, const json::json_pointer& pointer) {
  return object.is_object() && object.contains(pointer) && object[pointer].is_string()
             ? object[pointer].get<std::string>()
             : "";
}

json ToJson(const FakeJobRecord& job) {
  static constexpr const char* kWireNames[] = {"openai", "gemini", "anthropic"};
  return {{"id", job.id},
          {"wire", kWireNames[static_cast<int>(job.wire)]},
          {"model", job.model},
          {"label", job.label},
          {"requests", job.requests.size()},
          {"polls", job.polls},
          {"outcome", JobOutcomeName(job.script.outcome)}};
}

}  // namespace

void FakeLlmServer::PushJob(FakeJob job, int count) {
  std::lock_guard lock(mu_);
  for (int idx = 0; idx < count; ++idx) job_script_.push_back(job);
}

std::vector<FakeJobRecord> FakeLlmServer::jobs() const {
  std::lock_guard lock(mu_);
  return jobs_;
}

std::vector<std::string> FakeLlmServer::uploaded_files() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> ids;
  for (const auto& [id, content] : files_) ids.push_back(id);
  return ids;
}

void FakeLlmServer::EndJobsAtNextPoll() {
  std::lock_guard lock(mu_);
  for (FakeJobRecord& job : jobs_)
    job.script.pending_polls = std::min(job.script.pending_polls, job.polls);
}

std::string FakeLlmServer::CreateJob(
    Wire wire, const std::string& model, const std::string& label,
    const std::vector<std::pair<std::string, std::string>>& requests) {
  AnswerFn answer;
  FakeJobRecord job;
  {
    std::lock_guard lock(mu_);
    answer = default_answer_;
    if (!job_script_.empty()) {
      job.script = job_script_.front();
      job_script_.pop_front();
    }
  }
  job.wire = wire;
  job.model = model;
  job.label = label;
  for (const auto& [custom_id, body] : requests) {
    RecordedRequest recorded;
    recorded.wire = wire;
    recorded.model = model;
    recorded.body = body;
    job.requests.push_back({custom_id, body, answer(recorded)});
  }
  std::lock_guard lock(mu_);
  const std::string number = std::to_string(jobs_.size() + 1);
  job.id = wire == Wire::kOpenAi      ? "batch_" + number
           : wire == Wire::kAnthropic ? "msgbatch_" + number
                                      : "job" + number;
  jobs_.push_back(std::move(job));
  return jobs_.back().id;
}

FakeJobRecord* FakeLlmServer::FindJob(const std::string& id, bool poll) {
  for (FakeJobRecord& job : jobs_) {
    if (job.id != id) continue;
    if (poll) ++job.polls;
    return &job;
  }
  return nullptr;
}

void FakeLlmServer::InstallJobRoutes() {
  auto record = [this](Wire wire, const httplib::Request& req) {
    RecordedRequest recorded;
    recorded.wire = wire;
    recorded.path = req.path;
    recorded.body = req.body;
    std::lock_guard lock(mu_);
    recorded_.push_back(std::move(recorded));
  };

  // ---- OpenAI Batch ----
  server_->Post("/v1/files", [this](const httplib::Request& req, httplib::Response& res) {
    if (!req.has_file("file") || req.get_file_value("purpose").content != "batch") {
      Reply(res, 400, R"({"error":{"message":"file and purpose=batch required"}})");
      return;
    }
    std::lock_guard lock(mu_);
    const std::string id = "file-" + std::to_string(++uploads_);
    files_[id] = req.get_file_value("file").content;
    Reply(res, 200, json{{"id", id}, {"object", "file"}, {"purpose", "batch"}}.dump());
  });
  server_->Post("/v1/batches", [this, record](const httplib::Request& req, httplib::Response& res) {
    record(Wire::kOpenAi, req);
    json body = ParseBody(req);
    std::string content;
    {
      std::lock_guard lock(mu_);
      auto it = files_.find(Str(body, json::json_pointer("/input_file_id")));
      if (it == files_.end()) return NotFound(res);
      content = it->second;
    }
    std::vector<std::pair<std::string, std::string>> requests;
    std::string model;
    std::istringstream lines(content);
    for (std::string line; std::getline(lines, line);) {
      json item = json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (!item.is_object() || !item.contains("body")) continue;
      model = Str(item, json::json_pointer("/body/model"));
      requests.emplace_back(Str(item, json::json_pointer("/custom_id")), item["body"].dump());
    }
    const std::string id =
        CreateJob(Wire::kOpenAi, model, Str(body, json::json_pointer("/metadata/milestoned_label")),
                  requests);
    std::lock_guard lock(mu_);
    FakeJobRecord* job = FindJob(id, false);
    job->input_file_id = Str(body, json::json_pointer("/input_file_id"));
    Reply(res, 200, OpenAiBatchObject(*job));
  });
  server_->Get(R"(/v1/batches/([^/]+))",
               [this](const httplib::Request& req, httplib::Response& res) {
                 std::lock_guard lock(mu_);
                 FakeJobRecord* job = FindJob(req.matches[1], true);
                 if (job == nullptr) return NotFound(res);
                 Reply(res, 200, OpenAiBatchObject(*job));
               });
  server_->Get(R"(/v1/files/([^/]+)/content)",
               [this](const httplib::Request& req, httplib::Response& res) {
                 const std::string file_id = req.matches[1];
                 const bool errors = file_id.starts_with("file-err-");
                 const std::string job_id = file_id.substr(9);  // after "file-out-" or "file-err-"
                 std::lock_guard lock(mu_);
                 FakeJobRecord* job = FindJob(job_id, false);
                 if (job == nullptr || !job->ended() || job->outputs_deleted) return NotFound(res);
                 Reply(res, 200, OpenAiResultsFile(*job, errors), "application/jsonl");
               });
  // An uploaded file, or an ended job's output or error file ("file-out-<job>",
  // "file-err-<job>": both go together here).
  server_->Delete(
      R"(/v1/files/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
        const std::string file_id = req.matches[1];
        std::lock_guard lock(mu_);
        if (files_.erase(file_id) == 0) {
          FakeJobRecord* job = file_id.size() > 9 ? FindJob(file_id.substr(9), false) : nullptr;
          if (job == nullptr || !job->ended() || job->outputs_deleted ||
              !(file_id.starts_with("file-out-") || file_id.starts_with("file-err-"))) {
            return NotFound(res);
          }
          job->outputs_deleted = true;
        }
        Reply(res, 200, json{{"id", file_id}, {"object", "file"}, {"deleted", true}}.dump());
      });

  // ---- Anthropic Message Batches ----
  server_->Post("/v1/messages/batches",
                [this, record](const httplib::Request& req, httplib::Response& res) {
                  record(Wire::kAnthropic, req);
                  json body = ParseBody(req);
                  std::vector<std::pair<std::string, std::string>> requests;
                  std::string model;
                  for (const json& item : body.value("requests", json::array())) {
                    model = Str(item, json::json_pointer("/params/model"));
                    requests.emplace_back(Str(item, json::json_pointer("/custom_id")),
                                          item.value("params", json::object()).dump());
                  }
                  const std::string id = CreateJob(Wire::kAnthropic, model, "", requests);
                  std::lock_guard lock(mu_);
                  Reply(res, 200, AnthropicBatchObject(*FindJob(id, false), base_url()));
                });
  server_->Get(R"(/v1/messages/batches/([^/]+))",
               [this](const httplib::Request& req, httplib::Response& res) {
                 std::lock_guard lock(mu_);
                 FakeJobRecord* job = FindJob(req.matches[1], true);
                 if (job == nullptr) return NotFound(res);
                 Reply(res, 200, AnthropicBatchObject(*job, base_url()));
               });
  server_->Get(R"(/v1/messages/batches/([^/]+)/results)",
               [this](const httplib::Request& req, httplib::Response& res) {
                 std::lock_guard lock(mu_);
                 FakeJobRecord* job = FindJob(req.matches[1], false);
                 if (job == nullptr || !job->ended()) return NotFound(res);
                 Reply(res, 200, AnthropicResults(*job), "application/binary");
               });

  // ---- Gemini batch mode ----
  server_->Post(R"(/v1beta/models/([^/:]+):batchGenerateContent)",
                [this, record](const httplib::Request& req, httplib::Response& res) {
                  record(Wire::kGemini, req);
                  json body = ParseBody(req);
                  std::vector<std::pair<std::string, std::string>> requests;
                  const auto list = json::json_pointer("/batch/inputConfig/requests/requests");
                  const json items =
                      body.is_object() && body.contains(list) ? body[list] : json::array();
                  for (const json& item : items) {
                    requests.emplace_back(Str(item, json::json_pointer("/metadata/key")),
                                          item.value("request", json::object()).dump());
                  }
                  const std::string id =
                      CreateJob(Wire::kGemini, req.matches[1],
                                Str(body, json::json_pointer("/batch/displayName")), requests);
                  std::lock_guard lock(mu_);
                  Reply(res, 200, GeminiOperation(*FindJob(id, false)));
                });
  server_->Get(R"(/v1beta/batches/([^/]+))",
               [this](const httplib::Request& req, httplib::Response& res) {
                 std::lock_guard lock(mu_);
                 FakeJobRecord* job = FindJob(req.matches[1], true);
                 if (job == nullptr) return NotFound(res);
                 Reply(res, 200, GeminiOperation(*job));
               });

  // ---- scripting ----
  server_->Post("/_fake/jobs", [this](const httplib::Request& req, httplib::Response& res) {
    json doc = ParseBody(req);
    auto outcome =
        doc.is_object() ? ParseJobOutcome(doc.value("outcome", "completed")) : std::nullopt;
    if (!outcome) return Reply(res, 400, R"({"error":"bad job script"})");
    PushJob({*outcome, std::clamp(doc.value("pending_polls", 1), 0, 1000)},
            std::clamp(doc.value("count", 1), 1, 10000));
    Reply(res, 200, R"({"ok":true})");
  });
  server_->Get("/_fake/jobs", [this](const httplib::Request&, httplib::Response& res) {
    json out = json::array();
    for (const FakeJobRecord& job : jobs()) out.push_back(ToJson(job));
    Reply(res, 200, out.dump());
  });
}

}  // namespace ms::test
