// Thin RAII adapter over hiredis: one synchronous connection, binary-safe argv commands, and
// Lua scripts loaded once and run by SHA (re-loaded transparently after NOSCRIPT, e.g. when
// Redis restarted empty). Not thread-safe: one Connection per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

struct redisContext;
struct redisReply;

namespace ms::redis {

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;  // secret: sent with AUTH, never logged
  int db = 0;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{5000};
};

// A decoded reply: the hiredis tree copied into value types.
struct Reply {
  enum class Type { kNil, kString, kInteger, kArray, kStatus, kError };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  int64_t integer = 0;
  std::vector<Reply> elements;

  bool is_nil() const { return type == Type::kNil; }
};

// The Redis Cluster hash slot of `key` (0..16383): CRC16 (XMODEM) of its hash tag, the part
// between the first '{' and the next '}' when that part is not empty, else of the whole key.
// Keys of one slot may be used together in one script, on a cluster as on a single server.
int KeySlot(std::string_view key);

class Script {
 public:
  explicit Script(std::string source);
  const std::string& source() const { return source_; }
  const std::string& sha1() const { return sha1_; }

 private:
  std::string source_;
  std::string sha1_;  // hex SHA-1 of source, as Redis computes it
};

class Connection {
 public:
  // Connects, authenticates and selects the db; Unavailable on failure.
  static StatusOr<std::unique_ptr<Connection>> Open(const RedisOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one command. A Redis error reply becomes Internal (or Aborted for script errors
  // raised on purpose with "ABORT" prefix); a broken connection becomes Unavailable and the
  // next call reconnects first.
  StatusOr<Reply> Command(const std::vector<std::string>& argv);

  // Sends all commands in one round trip and reads all replies (pipelining).
  StatusOr<std::vector<Reply>> Pipeline(const std::vector<std::vector<std::string>>& commands);

  // EVALSHA with `keys` and `args`; on NOSCRIPT loads the script and retries once.
  StatusOr<Reply> Eval(const Script& script, const std::vector<std::string>& keys,
                       const std::vector<std::string>& args);

  // Loads the script into the server's script cache (SCRIPT LOAD).
  Status Load(const Script& script);

 private:
  explicit Connection(RedisOptions options) : options_(std::move(options)) {}
  Status Connect();
  Status EnsureConnected();
  StatusOr<Reply> ReadReply();
  Status AppendCommand(const std::vector<std::string>& argv);

  RedisOptions options_;
  redisContext* ctx_ = nullptr;
};

}  // namespace ms::redis
