#include "tests/fake_llm/fake_llm_server.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "tests/fake_llm/investor_answer.h"
#include "tests/fake_llm/rules_answer.h"

namespace ms::test {
namespace {

using nlohmann::json;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return text;
}

RecordedRequest Record(Wire wire, const httplib::Request& request) {
  RecordedRequest out;
  out.wire = wire;
  out.path = request.path;
  out.body = request.body;
  for (const auto& [name, value] : request.headers) out.headers[Lower(name)] = value;
  if (wire == Wire::kGemini && request.matches.size() > 1) {
    out.model = request.matches[1];
  } else {
    json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_object() && body.contains("model") && body["model"].is_string())
      out.model = body["model"].get<std::string>();
  }
  return out;
}

// The forced tool an Anthropic request names (its answer comes back as that tool's call).
std::string ToolName(const RecordedRequest& request) {
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  const auto pointer = json::json_pointer("/tool_choice/name");
  if (body.is_object() && body.contains(pointer) && body[pointer].is_string())
    return body[pointer].get<std::string>();
  return "record_events";
}

// Anthropic caches tools, then system, up to and including the last block marked cache_control;
// empty when nothing is marked (no caching).
std::string AnthropicCachedPrefix(const json& body) {
  std::string prefix;
  std::string marked;
  for (const char* part : {"tools", "system"}) {
    const json blocks = body.value(part, json::array());
    if (!blocks.is_array()) {
      prefix += blocks.dump();
      continue;
    }
    for (const json& block : blocks) {
      prefix += block.dump();
      if (block.is_object() && block.contains("cache_control")) marked = prefix;
    }
  }
  return marked;
}

// The request's cacheable prefix as the provider renders it (see the header); empty: none.
std::string CachedPrefix(Wire wire, const std::string& raw_body) {
  json body = json::parse(raw_body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return "";
  if (wire == Wire::kAnthropic) return AnthropicCachedPrefix(body);
  if (wire == Wire::kGemini) {
    const json config = body.value("generationConfig", json::object());
    return body.value("systemInstruction", json()).dump() +
           (config.is_object() ? config.value("responseSchema", json()).dump() : "");
  }
  const json messages = body.value("messages", json::array());
  const json system = messages.is_array() && !messages.empty() ? messages[0] : json();
  return body.value("response_format", json()).dump() + system.dump();
}

json ToJson(const RecordedRequest& request) {
  static constexpr const char* kWireNames[] = {"openai", "gemini", "anthropic"};
  return {{"wire", kWireNames[static_cast<int>(request.wire)]},
          {"path", request.path},
          {"model", request.model},
          {"headers", request.headers},
          {"body", request.body}};
}

// {"fault": "...", "answer": "...", "delay_ms": n, "retry_after": "1", "count": n}
bool ParseScript(const std::string& text, FakeReply* reply, int* count) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return false;
  auto fault = ParseFault(doc.value("fault", "none"));
  if (!fault) return false;
  reply->fault = *fault;
  reply->answer = doc.value("answer", "");
  reply->delay = std::chrono::milliseconds(doc.value("delay_ms", 0));
  reply->retry_after = doc.value("retry_after", "1");
  *count = std::clamp(doc.value("count", 1), 1, 10000);
  return true;
}

}  // namespace

FakeLlmServer::FakeLlmServer() : server_(std::make_unique<httplib::Server>()) {
  default_answer_ = [](const RecordedRequest& request) {
    std::string prompt = UserPrompt(request);
    return IsInvestorUpdatePrompt(prompt) ? InvestorUpdateAnswer(prompt) : RulesAnswer(prompt);
  };
  InstallRoutes();
  InstallAdminRoutes();
  InstallJobRoutes();
}

FakeLlmServer::~FakeLlmServer() {
  Stop();
}

void FakeLlmServer::InstallRoutes() {
  server_->Post("/v1/chat/completions",
                [this](const httplib::Request& req, httplib::Response& res) {
                  Serve(Wire::kOpenAi, req, &res);
                });
  server_->Post(R"(/v1beta/models/([^/:]+):generateContent)",
                [this](const httplib::Request& req, httplib::Response& res) {
                  Serve(Wire::kGemini, req, &res);
                });
  server_->Post("/v1/messages", [this](const httplib::Request& req, httplib::Response& res) {
    Serve(Wire::kAnthropic, req, &res);
  });
}

void FakeLlmServer::InstallAdminRoutes() {
  server_->Post("/_fake/replies", [this](const httplib::Request& req, httplib::Response& res) {
    FakeReply reply;
    int count = 1;
    if (!ParseScript(req.body, &reply, &count)) {
      res.status = 400;
      res.set_content(R"({"error":"bad script"})", "application/json");
      return;
    }
    PushN(reply, count);
    res.set_content(R"({"ok":true})", "application/json");
  });
  server_->Get("/_fake/requests", [this](const httplib::Request&, httplib::Response& res) {
    json out = json::array();
    for (const RecordedRequest& request : requests()) out.push_back(ToJson(request));
    res.set_content(out.dump(), "application/json");
  });
  server_->Post("/_fake/reset", [this](const httplib::Request&, httplib::Response& res) {
    Reset();
    res.set_content(R"({"ok":true})", "application/json");
  });
}

StatusOr<int> FakeLlmServer::Start(const std::string& host, int port) {
  if (thread_.joinable()) return FailedPrecondition("fake llm server already started");
  host_ = host;
  port_ =
      port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (port_ <= 0)
    return Unavailable("fake llm server: cannot bind " + host + ":" + std::to_string(port));
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib's stop() is a no-op until the accept loop runs: wait for it, so Stop() always works.
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return port_;
}

void FakeLlmServer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string FakeLlmServer::base_url() const {
  return "http://" + host_ + ":" + std::to_string(port_);
}

void FakeLlmServer::Push(FakeReply reply) {
  std::lock_guard lock(mu_);
  script_.push_back(std::move(reply));
}

void FakeLlmServer::PushN(const FakeReply& reply, int count) {
  std::lock_guard lock(mu_);
  for (int idx = 0; idx < count; ++idx) script_.push_back(reply);
}

void FakeLlmServer::SetDefaultAnswer(AnswerFn answer) {
  std::lock_guard lock(mu_);
  default_answer_ = std::move(answer);
}

std::vector<RecordedRequest> FakeLlmServer::requests() const {
  std::lock_guard lock(mu_);
  return recorded_;
}

size_t FakeLlmServer::request_count() const {
  std::lock_guard lock(mu_);
  return recorded_.size();
}

void FakeLlmServer::Reset() {
  std::lock_guard lock(mu_);
  script_.clear();
  recorded_.clear();
  cached_prefixes_.clear();
  job_script_.clear();
  jobs_.clear();
  files_.clear();
}

void FakeLlmServer::ApplyPromptCache(const RecordedRequest& recorded, FakeReply* reply) {
  const std::string prefix = CachedPrefix(recorded.wire, recorded.body);
  if (prefix.empty()) return;
  const int tokens = std::clamp(reply->prefix_tokens, 0, reply->prompt_tokens);
  const std::string key = std::to_string(static_cast<int>(recorded.wire)) + ":" + prefix;
  std::lock_guard lock(mu_);
  if (cached_prefixes_.count(key) > 0) {
    reply->cached_tokens = tokens;
  } else {
    cached_prefixes_.insert(key);
    if (recorded.wire == Wire::kAnthropic) reply->cache_write_tokens = tokens;
  }
}

FakeReply FakeLlmServer::NextReply(const RecordedRequest& recorded, std::string* answer) {
  FakeReply reply;
  AnswerFn answer_fn;
  {
    std::lock_guard lock(mu_);
    if (!script_.empty()) {
      reply = std::move(script_.front());
      script_.pop_front();
    }
    recorded_.push_back(recorded);
    recorded_.back().fault = reply.fault;
    answer_fn = default_answer_;
  }
  *answer = reply.answer.empty() ? answer_fn(recorded) : reply.answer;
  return reply;
}

bool FakeLlmServer::WaitOrStop(std::chrono::milliseconds delay) {
  std::unique_lock lock(mu_);
  return !stop_cv_.wait_for(lock, delay, [this] { return stopping_; });
}

void FakeLlmServer::Serve(Wire wire, const httplib::Request& request, httplib::Response* response) {
  RecordedRequest recorded = Record(wire, request);
  std::string answer;
  FakeReply reply = NextReply(recorded, &answer);
  if (reply.delay.count() > 0 && !WaitOrStop(reply.delay)) {
    response->status = 503;
    return;
  }
  if (reply.fault == Fault::kNone || reply.fault == Fault::kSlow)
    ApplyPromptCache(recorded, &reply);
  WireResponse rendered = RenderReply(wire, reply, answer, recorded.model, ToolName(recorded));
  response->status = rendered.status;
  for (const auto& [name, value] : rendered.headers) {
    if (Lower(name) != "content-type") response->set_header(name, value);
  }
  response->set_content(rendered.body, "application/json");
}

}  // namespace ms::test
