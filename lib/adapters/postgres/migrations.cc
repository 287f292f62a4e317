#include "adapters/postgres/migrations.h"

#include <libpq-fe.h>

#include <functional>

#include "core/hash.h"

namespace ms::pg {
namespace {

// Advisory lock key: any constant that no other subsystem uses ("milestoned migrate").
constexpr std::string_view kLockKey = "4242770001";

constexpr std::string_view kBootstrap = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  checksum   TEXT NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
))sql";

// FNV-1a 64: enough to notice an edited migration, not a security property.
std::string Checksum(std::string_view sql) {
  return Fnv1a64Hex(sql, kFnvLegacyBasis);
}

// Runs static, value-free DDL (possibly several statements). Never used with data.
Status ExecScript(Connection& conn, std::string_view sql) {
  std::string script(sql);
  pg_result* res = PQexec(conn.raw(), script.c_str());
  ExecStatusType st = PQresultStatus(res);
  std::string err = PQresultErrorMessage(res);
  PQclear(res);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return Status::Ok();
  while (!err.empty() && err.back() == '\n') err.pop_back();
  if (!conn.healthy()) return Unavailable("postgres: " + err);
  return Internal("postgres: " + err);
}

Status ApplyPending(Connection& conn, MigrateReport* report) {
  MS_RETURN_IF_ERROR(
      conn.Exec("SELECT pg_advisory_xact_lock($1::bigint)", {std::string(kLockKey)}).status());
  MS_RETURN_IF_ERROR(ExecScript(conn, kBootstrap));
  MS_ASSIGN_OR_RETURN(Result applied, conn.Exec("SELECT version, checksum FROM schema_migrations"));
  std::vector<std::pair<int, std::string>> done;
  for (int row = 0; row < applied.rows(); ++row) {
    done.emplace_back(static_cast<int>(applied.GetInt(row, 0)), std::string(applied.Get(row, 1)));
  }
  for (const Migration& m : AllMigrations()) {
    auto it = std::find_if(done.begin(), done.end(), [&](auto& d) { return d.first == m.version; });
    if (it != done.end()) {
      if (it->second != Checksum(m.sql)) {
        return FailedPrecondition(
            "migration " + std::to_string(m.version) + " (" + std::string(m.name) +
            ") was changed after it was applied; add a new migration instead");
      }
      continue;
    }
    MS_RETURN_IF_ERROR(
        ExecScript(conn, m.sql).WithContext("migration " + std::to_string(m.version)));
    MS_RETURN_IF_ERROR(conn.Exec("INSERT INTO schema_migrations(version, name, checksum) "
                                 "VALUES ($1, $2, $3)",
                                 {std::to_string(m.version), std::string(m.name), Checksum(m.sql)})
                           .status());
    report->applied.push_back(m.version);
  }
  return Status::Ok();
}

}  // namespace

StatusOr<MigrateReport> Migrate(Connection& conn) {
  MigrateReport report;
  MS_RETURN_IF_ERROR(conn.InTransaction([&](Connection& tx) { return ApplyPending(tx, &report); }));
  MS_ASSIGN_OR_RETURN(report.current_version, CurrentSchemaVersion(conn));
  return report;
}

StatusOr<int> CurrentSchemaVersion(Connection& conn) {
  MS_ASSIGN_OR_RETURN(Result exists,
                      conn.Exec("SELECT to_regclass('schema_migrations') IS NOT NULL"));
  if (exists.Get(0, 0) != "t") return 0;
  MS_ASSIGN_OR_RETURN(Result res,
                      conn.Exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  return static_cast<int>(res.GetInt(0, 0));
}

}  // namespace ms::pg
