#include "adapters/postgres/pg.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>

namespace ms::pg {
namespace {

std::string Trimmed(const char* text) {
  std::string out = text ? text : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// Maps a failed statement to a Status code by how the caller should react.
Status ClassifyError(pg_conn* conn, pg_result* res) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state ? state : "";
  std::string msg = "postgres";
  if (!sqlstate.empty()) msg += " [" + sqlstate + "]";
  msg += ": " + Trimmed(res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
  if (PQstatus(conn) != CONNECTION_OK || sqlstate.starts_with("08") ||
      sqlstate.starts_with("57P")) {
    return Unavailable(msg);
  }
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03") return Aborted(msg);
  if (sqlstate.starts_with("22") || sqlstate.starts_with("23")) return InvalidArgument(msg);
  return Internal(msg);
}

}  // namespace

Result::~Result() {
  if (res_) PQclear(res_);
}

Result& Result::operator=(Result&& other) noexcept {
  if (this != &other) {
    if (res_) PQclear(res_);
    res_ = other.res_;
    other.res_ = nullptr;
  }
  return *this;
}

int Result::rows() const {
  return res_ ? PQntuples(res_) : 0;
}
int Result::cols() const {
  return res_ ? PQnfields(res_) : 0;
}
bool Result::IsNull(int row, int col) const {
  return PQgetisnull(res_, row, col) != 0;
}

std::string_view Result::Get(int row, int col) const {
  return {PQgetvalue(res_, row, col), static_cast<size_t>(PQgetlength(res_, row, col))};
}

int64_t Result::GetInt(int row, int col) const {
  if (IsNull(row, col)) return 0;
  return std::strtoll(PQgetvalue(res_, row, col), nullptr, 10);
}

int64_t Result::affected() const {
  const char* n = res_ ? PQcmdTuples(res_) : nullptr;
  return n && *n ? std::strtoll(n, nullptr, 10) : 0;
}

StatusOr<std::unique_ptr<Connection>> Connection::Open(const PgOptions& options) {
  std::string timeout = std::to_string(std::max<int64_t>(
      1, std::chrono::duration_cast<std::chrono::seconds>(options.connect_timeout).count()));
  const char* keys[] = {"dbname", "password", "connect_timeout", "application_name", nullptr};
  const char* values[] = {options.dsn.c_str(),
                          options.password.empty() ? nullptr : options.password.c_str(),
                          timeout.c_str(), options.application_name.c_str(), nullptr};
  pg_conn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) return Unavailable("postgres: out of memory creating a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = "postgres: cannot connect: " + Trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return Unavailable(msg);
  }
  // Server NOTICEs ("relation already exists, skipping") are not errors; keep them off stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<Connection>(new Connection(conn));
}

Connection::~Connection() {
  PQfinish(conn_);
}

namespace {

std::vector<const char*> ParamValues(const std::vector<Param>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
  return values;
}

// A statement's result, or its error classified (Connection::Exec).
StatusOr<Result> Outcome(pg_conn* conn, pg_result* res) {
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return Result(res);
  Status err = ClassifyError(conn, res);
  if (res) PQclear(res);
  return err;
}

}  // namespace

StatusOr<Result> Connection::Exec(std::string_view sql, const std::vector<Param>& params) {
  const std::string query(sql);
  const std::vector<const char*> values = ParamValues(params);
  return Outcome(conn_, PQexecParams(conn_, query.c_str(), static_cast<int>(params.size()), nullptr,
                                     values.data(), nullptr, nullptr,
                                     /*resultFormat=*/0));
}

StatusOr<Result> Connection::ExecPrepared(std::string_view sql, const std::vector<Param>& params) {
  char name[24];
  snprintf(name, sizeof name, "ms_%016llx",
           static_cast<unsigned long long>(std::hash<std::string_view>{}(sql)));
  const std::string statement(name);
  if (std::find(prepared_.begin(), prepared_.end(), statement) == prepared_.end()) {
    const std::string query(sql);
    pg_result* res = PQprepare(conn_, statement.c_str(), query.c_str(),
                               static_cast<int>(params.size()), nullptr);
    MS_RETURN_IF_ERROR(Outcome(conn_, res).status());  // the Result clears it
    prepared_.push_back(statement);
  }
  const std::vector<const char*> values = ParamValues(params);
  return Outcome(conn_, PQexecPrepared(conn_, statement.c_str(), static_cast<int>(params.size()),
                                       values.data(), nullptr, nullptr, /*resultFormat=*/0));
}

Status Connection::ExecSimple(std::string_view sql) {
  auto res = Exec(sql);
  return res.status();
}

Status Connection::CopyIn(std::string_view copy_sql, std::string_view data) {
  // COPY takes no parameters; callers pass a fixed statement and the rows go as data.
  std::string query(copy_sql);
  pg_result* res = PQexec(conn_, query.c_str());
  if (PQresultStatus(res) != PGRES_COPY_IN) {
    Status err = ClassifyError(conn_, res);
    PQclear(res);
    return err;
  }
  PQclear(res);
  if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1 ||
      PQputCopyEnd(conn_, nullptr) != 1) {
    return ClassifyError(conn_, nullptr);
  }
  Status result;
  while ((res = PQgetResult(conn_)) != nullptr) {
    if (PQresultStatus(res) != PGRES_COMMAND_OK && result.ok()) result = ClassifyError(conn_, res);
    PQclear(res);
  }
  return result;
}

std::string Int64ArrayLiteral(const std::vector<int64_t>& values) {
  std::string literal = "{";
  for (size_t idx = 0; idx < values.size(); ++idx) {
    if (idx) literal += ',';
    literal += std::to_string(values[idx]);
  }
  return literal + "}";
}

std::string QuotedArrayLiteral(const std::vector<std::string>& values) {
  std::string literal = "{";
  for (size_t idx = 0; idx < values.size(); ++idx) {
    if (idx) literal += ',';
    literal += '"';
    for (char c : values[idx]) {
      if (c == '"' || c == '\\') literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  return literal + "}";
}

void CopyEscape(std::string_view value, std::string* out) {
  size_t from = 0;
  while (true) {
    size_t at = value.find_first_of("\\\t\n\r", from);
    out->append(value.substr(from, at == std::string_view::npos ? at : at - from));
    if (at == std::string_view::npos) return;
    out->push_back('\\');
    char c = value[at];
    out->push_back(c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : '\\');
    from = at + 1;
  }
}

bool Connection::healthy() const {
  return PQstatus(conn_) == CONNECTION_OK;
}

Status Connection::OncePerSession(std::string_view name, std::string_view sql) {
  if (std::find(session_setup_.begin(), session_setup_.end(), name) != session_setup_.end()) {
    return Status::Ok();
  }
  MS_RETURN_IF_ERROR(ExecSimple(sql));
  session_setup_.emplace_back(name);
  return Status::Ok();
}

Status Connection::Reset() {
  session_setup_.clear();  // a new server session: temporary objects are gone
  prepared_.clear();       // and so are its prepared statements
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    return Unavailable("postgres: reconnect failed: " + Trimmed(PQerrorMessage(conn_)));
  }
  return Status::Ok();
}

Lease::~Lease() {
  if (pool_ && conn_) pool_->Release(std::move(conn_));
}

StatusOr<std::unique_ptr<Pool>> Pool::Open(const PgOptions& options) {
  std::unique_ptr<Pool> pool(new Pool(options));
  for (int conn_idx = 0; conn_idx < std::max(1, options.pool_size); ++conn_idx) {
    MS_ASSIGN_OR_RETURN(auto conn, Connection::Open(options));
    pool->idle_.push_back(std::move(conn));
  }
  return pool;
}

StatusOr<Lease> Pool::Acquire(std::chrono::milliseconds wait) {
  std::unique_ptr<Connection> conn;
  {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, wait, [this] { return !idle_.empty(); })) {
      return Unavailable("postgres: no free connection in the pool");
    }
    conn = std::move(idle_.back());
    idle_.pop_back();
  }
  if (!conn->healthy()) {
    Status st = conn->Reset();
    if (!st.ok()) {
      Release(std::move(conn));
      return st;
    }
  }
  return Lease(this, std::move(conn));
}

void Pool::Release(std::unique_ptr<Connection> conn) {
  {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(conn));
  }
  cv_.notify_one();
}

}  // namespace ms::pg
