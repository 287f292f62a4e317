#include "adapters/redis/redis.h"

#include <hiredis/hiredis.h>
#include <openssl/sha.h>

#include <cstdio>

namespace ms::redis {

int KeySlot(std::string_view key) {
  const size_t open = key.find('{');
  if (open != std::string_view::npos) {
    const size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  uint16_t crc = 0;  // CRC-16/XMODEM: polynomial 0x1021, initial 0, no reflection
  for (unsigned char byte : key) {
    crc ^= static_cast<uint16_t>(byte << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) != 0 ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                                : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc & 16383;
}
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

Reply Convert(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t idx = 0; idx < r->elements; ++idx)
        out.elements.push_back(Convert(r->element[idx]));
      break;
    default:
      out.type = Reply::Type::kNil;
  }
  return out;
}

std::string Sha1Hex(std::string_view data) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  std::string hex;
  char buf[3];
  for (unsigned char byte : digest) {
    snprintf(buf, sizeof buf, "%02x", byte);
    hex += buf;
  }
  return hex;
}

Status ErrorReplyStatus(const Reply& reply) {
  if (reply.str.starts_with("LOADING") || reply.str.starts_with("BUSY") ||
      reply.str.starts_with("TRYAGAIN") || reply.str.starts_with("CLUSTERDOWN")) {
    return Unavailable("redis: " + reply.str);
  }
  return Internal("redis: " + reply.str);
}

}  // namespace

Script::Script(std::string source) : source_(std::move(source)), sha1_(Sha1Hex(source_)) {}

StatusOr<std::unique_ptr<Connection>> Connection::Open(const RedisOptions& options) {
  std::unique_ptr<Connection> conn(new Connection(options));
  MS_RETURN_IF_ERROR(conn->Connect());
  return conn;
}

Connection::~Connection() {
  if (ctx_) redisFree(ctx_);
}

Status Connection::Connect() {
  if (ctx_) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
  timeval tv = ToTimeval(options_.connect_timeout);
  redisContext* ctx = redisConnectWithTimeout(options_.host.c_str(), options_.port, tv);
  if (ctx == nullptr || ctx->err) {
    std::string err = ctx ? ctx->errstr : "out of memory";
    if (ctx) redisFree(ctx);
    return Unavailable("redis: cannot connect to " + options_.host + ":" +
                       std::to_string(options_.port) + ": " + err);
  }
  redisSetTimeout(ctx, ToTimeval(options_.command_timeout));
  ctx_ = ctx;
  if (!options_.password.empty()) {
    auto auth = Command({"AUTH", options_.password});
    if (!auth.ok()) return Unavailable("redis: AUTH failed");  // never echo the password
    if (auth->type == Reply::Type::kError) return FailedPrecondition("redis: AUTH rejected");
  }
  if (options_.db != 0) {
    MS_ASSIGN_OR_RETURN(Reply sel, Command({"SELECT", std::to_string(options_.db)}));
    if (sel.type == Reply::Type::kError) return ErrorReplyStatus(sel);
  }
  return Status::Ok();
}

Status Connection::EnsureConnected() {
  if (ctx_ && ctx_->err == 0) return Status::Ok();
  return Connect();
}

Status Connection::AppendCommand(const std::vector<std::string>& argv) {
  std::vector<const char*> args;
  std::vector<size_t> lens;
  args.reserve(argv.size());
  lens.reserve(argv.size());
  for (const std::string& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), args.data(), lens.data()) !=
      REDIS_OK) {
    return Unavailable(std::string("redis: ") + ctx_->errstr);
  }
  return Status::Ok();
}

StatusOr<Reply> Connection::ReadReply() {
  void* raw = nullptr;
  if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
    std::string err = ctx_->errstr;
    return Unavailable("redis: " + err);
  }
  Reply reply = Convert(static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return reply;
}

StatusOr<Reply> Connection::Command(const std::vector<std::string>& argv) {
  MS_RETURN_IF_ERROR(EnsureConnected());
  MS_RETURN_IF_ERROR(AppendCommand(argv));
  return ReadReply();
}

StatusOr<std::vector<Reply>> Connection::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  MS_RETURN_IF_ERROR(EnsureConnected());
  for (const auto& argv : commands) MS_RETURN_IF_ERROR(AppendCommand(argv));
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  for (size_t idx = 0; idx < commands.size(); ++idx) {
    MS_ASSIGN_OR_RETURN(Reply reply, ReadReply());
    replies.push_back(std::move(reply));
  }
  return replies;
}

Status Connection::Load(const Script& script) {
  MS_ASSIGN_OR_RETURN(Reply reply, Command({"SCRIPT", "LOAD", script.source()}));
  if (reply.type == Reply::Type::kError) return ErrorReplyStatus(reply);
  if (reply.str != script.sha1()) return Internal("redis: SCRIPT LOAD returned an unexpected SHA");
  return Status::Ok();
}

StatusOr<Reply> Connection::Eval(const Script& script, const std::vector<std::string>& keys,
                                 const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"EVALSHA", script.sha1(), std::to_string(keys.size())};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  MS_ASSIGN_OR_RETURN(Reply reply, Command(argv));
  if (reply.type == Reply::Type::kError && reply.str.starts_with("NOSCRIPT")) {
    MS_RETURN_IF_ERROR(Load(script));
    MS_ASSIGN_OR_RETURN(reply, Command(argv));
  }
  if (reply.type == Reply::Type::kError) return ErrorReplyStatus(reply);
  return reply;
}

}  // namespace ms::redis
