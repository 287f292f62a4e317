// Thin RAII adapter over libpq. Every statement is parameterized: there is no API that takes
// SQL with values spliced in. Connections come from a fixed-size pool; a connection found
// broken is reset on its next lease.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

struct pg_conn;
struct pg_result;

namespace ms::pg {

struct PgOptions {
  std::string dsn;       // libpq conninfo, without the password
  std::string password;  // secret: passed to libpq separately, never logged
  int pool_size = 4;
  std::chrono::milliseconds connect_timeout{5000};
  std::string application_name = "milestoned";
};

// One query result. Values are text-format; NULL is reported by IsNull.
class Result {
 public:
  explicit Result(pg_result* res) : res_(res) {}
  ~Result();
  Result(Result&& other) noexcept : res_(other.res_) { other.res_ = nullptr; }
  Result& operator=(Result&& other) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  int rows() const;
  int cols() const;
  bool IsNull(int row, int col) const;
  std::string_view Get(int row, int col) const;
  int64_t GetInt(int row, int col) const;  // 0 for NULL or non-numeric
  // Number of rows an INSERT/UPDATE/DELETE touched.
  int64_t affected() const;

 private:
  pg_result* res_;
};

// A parameter: text value or SQL NULL.
using Param = std::optional<std::string>;

class Connection {
 public:
  // Connects or returns Unavailable with libpq's message (password never included).
  static StatusOr<std::unique_ptr<Connection>> Open(const PgOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one parameterized statement ($1, $2, ...). Errors: Unavailable when the connection
  // is broken (retry after reconnect), InvalidArgument for SQL errors caused by the data
  // (constraint, bad input syntax), Internal otherwise. The SQLSTATE is in the message.
  StatusOr<Result> Exec(std::string_view sql, const std::vector<Param>& params = {});

  // Runs `fn` inside BEGIN/COMMIT; rolls back if fn returns an error or COMMIT fails.
  template <typename Fn>
  Status InTransaction(Fn&& fn) {
    MS_RETURN_IF_ERROR(ExecSimple("BEGIN"));
    Status st = fn(*this);
    if (!st.ok()) {
      (void)ExecSimple("ROLLBACK");
      return st;
    }
    st = ExecSimple("COMMIT");
    if (!st.ok()) (void)ExecSimple("ROLLBACK");
    return st;
  }

  // COPY ... FROM STDIN (text format): `data` holds tab-separated, newline-terminated rows
  // already escaped with CopyEscape.
  Status CopyIn(std::string_view copy_sql, std::string_view data);

  // Runs `sql` (no parameters; e.g. creating a temporary table) once per server session, that
  // is again only after Reset() reconnected. `name` identifies it.
  Status OncePerSession(std::string_view name, std::string_view sql);

  // Exec of a statement prepared on this server session the first time it is run (and again
  // after Reset), named by a hash of its text: parsed once, and planned once when Postgres
  // finds its generic plan as good. For the statements run on every batch; every session here
  // is owned by this process (advisory locks need that too), so none loses it to a pooler.
  StatusOr<Result> ExecPrepared(std::string_view sql, const std::vector<Param>& params = {});

  bool healthy() const;
  // Reconnects a broken connection.
  Status Reset();
  pg_conn* raw() { return conn_; }

 private:
  explicit Connection(pg_conn* conn) : conn_(conn) {}
  Status ExecSimple(std::string_view sql);
  pg_conn* conn_;
  std::vector<std::string> session_setup_;  // run by OncePerSession since the last (re)connect
  std::vector<std::string> prepared_;       // by ExecPrepared since the last (re)connect
};

// A bigint[] parameter literal: "{1,2,3}".
std::string Int64ArrayLiteral(const std::vector<int64_t>& values);

// An array parameter literal of quoted elements ({"a","b \"c\""}), for text[] or, holding
// numbers, float8[]: every element quoted, '"' and '\' escaped.
std::string QuotedArrayLiteral(const std::vector<std::string>& values);

// Escapes a value for COPY text format (backslash, tab, newline, carriage return).
void CopyEscape(std::string_view value, std::string* out);

class Pool;

// A leased connection; returns itself to the pool when destroyed.
class Lease {
 public:
  Lease(Pool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
  ~Lease();
  Lease(Lease&&) = default;
  Lease& operator=(Lease&&) = delete;
  Connection* operator->() { return conn_.get(); }
  Connection& operator*() { return *conn_; }

 private:
  Pool* pool_;
  std::unique_ptr<Connection> conn_;
};

class Pool {
 public:
  // Opens `pool_size` connections eagerly so a bad DSN fails at start-up.
  static StatusOr<std::unique_ptr<Pool>> Open(const PgOptions& options);

  // Waits up to `wait` for a free connection; Unavailable on timeout or if reconnecting a
  // broken connection fails.
  StatusOr<Lease> Acquire(std::chrono::milliseconds wait = std::chrono::seconds(10));

  const PgOptions& options() const { return options_; }

 private:
  friend class Lease;
  explicit Pool(PgOptions options) : options_(std::move(options)) {}
  void Release(std::unique_ptr<Connection> conn);

  PgOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mu_
};

}  // namespace ms::pg
