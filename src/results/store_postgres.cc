// The PostgreSQL results store (libpq): one server that many hosts write to at once.
//
// Every statement runs on its own (autocommit), so an INSERT is one transaction: a client that
// dies mid-INSERT leaves nothing, and the server keeps every committed row. Parameters always
// travel apart from the SQL text (PQexecParams), in text form; only constant SQL goes
// through PQexec.
#include <fmt/format.h>
#include <libpq-fe.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "edgebench/results/io.h"
#include "store_backend.h"

namespace edgebench::results::detail {
namespace {

// kMigrations[k] brings the store from schema version k to k + 1 (0: no store yet). A new
// version appends its migration; open() applies the missing ones in order, under a lock.
constexpr std::array<const char*, kStoreSchemaVersion> kMigrations = {
    R"sql(
CREATE TABLE results (
  id TEXT PRIMARY KEY NOT NULL,
  seq BIGSERIAL NOT NULL,
  created_at TEXT NOT NULL,
  label TEXT NOT NULL,
  model_name TEXT NOT NULL,
  model_sha256 TEXT NOT NULL,
  backend TEXT NOT NULL,
  threads INTEGER NOT NULL,
  scenario TEXT NOT NULL,
  headline_metric TEXT NOT NULL,
  headline_value DOUBLE PRECISION,
  valid INTEGER NOT NULL,
  key TEXT,
  json TEXT NOT NULL
);
CREATE INDEX results_by_created_at ON results (created_at, seq);
CREATE INDEX results_by_key ON results (key);
)sql",
};

// Any constant; opening stores take this advisory lock while they create or migrate.
constexpr std::int64_t kSchemaLock = 0x6564676562656e63;  // "edgebenc"

constexpr const char* kUniqueViolation = "23505";

struct ClearResult {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ClearResult>;
struct FinishConnection {
  void operator()(PGconn* c) const { PQfinish(c); }
};

// libpq's messages end in a newline and may span lines; one line reads better after ": ".
std::string one_line(const char* message) {
  std::string out;
  for (const char* p = message; p && *p; ++p) {
    if (*p == '\n') {
      if (p[1] != '\0') out += "; ";
    } else {
      out += *p;
    }
  }
  return out;
}

// A parameter: text, or SQL NULL.
using Param = std::optional<std::string>;

Param number(double v) {
  if (!std::isfinite(v)) return std::nullopt;
  return fmt::format("{:.17g}", v);
}

class PostgresBackend final : public StoreBackend {
 public:
  PostgresBackend(std::string name, PGconn* connection) : name_(std::move(name)), c_(connection) {}

  // Runs one statement; a failure is an error naming the store and `what`.
  // `sqlstate`, when given, receives the error's SQLSTATE code.
  Result<PgResult> run(std::string_view sql, const std::vector<Param>& params,
                       std::string_view what, std::string* sqlstate = nullptr) const {
    std::vector<const char*> values;
    for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
    const std::string text(sql);
    // Without parameters, PQexec: a migration is several statements.
    PgResult r(params.empty()
                   ? PQexec(c_.get(), text.c_str())
                   : PQexecParams(c_.get(), text.c_str(), static_cast<int>(values.size()), nullptr,
                                  values.data(), nullptr, nullptr, 0));
    if (!r) return io_error(fmt::format("results store '{}': {}: out of memory", name_, what));
    const ExecStatusType st = PQresultStatus(r.get());
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
    if (const char* state = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE); sqlstate && state) {
      *sqlstate = state;
    }
    return error(r.get(), what);
  }

  Status error(const PGresult* r, std::string_view what) const {
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const std::string message = one_line(PQresultErrorMessage(r));
    const std::string text =
        fmt::format("results store '{}': {}: {}", name_, what,
                    message.empty() ? one_line(PQerrorMessage(c_.get())) : message);
    // Class 08: the connection went away; 57: the server is shutting down.
    if (state == nullptr || std::string_view(state).starts_with("08") ||
        std::string_view(state).starts_with("57")) {
      return io_error(text);
    }
    if (std::string_view(state).starts_with("XX")) return internal_error(text);
    return invalid_argument(text);
  }

  // Creates the store or migrates it to this build's schema version. With create false, a
  // database without the store's tables is an error.
  Status prepare_schema(bool create) {
    EB_RETURN_IF_ERROR(run("BEGIN", {}, "cannot open").status());
    Status st = [&]() -> Status {
      EB_RETURN_IF_ERROR(run("SELECT pg_advisory_xact_lock($1::bigint)",
                             {std::to_string(kSchemaLock)}, "cannot lock the schema")
                             .status());
      EB_ASSIGN_OR_RETURN(PgResult tables, run("SELECT to_regclass('schema_version') IS NOT NULL, "
                                               "to_regclass('results') IS NOT NULL",
                                               {}, "cannot read the catalogue"));
      const bool has_version = PQgetvalue(tables.get(), 0, 0)[0] == 't';
      const bool has_results = PQgetvalue(tables.get(), 0, 1)[0] == 't';
      std::int64_t version = 0;
      if (has_version) {
        EB_ASSIGN_OR_RETURN(PgResult v, run("SELECT max(version) FROM schema_version", {},
                                            "cannot read the schema version"));
        if (PQgetisnull(v.get(), 0, 0)) {
          return data_loss(
              fmt::format("results store '{}' has an empty schema_version table", name_));
        }
        version = std::strtoll(PQgetvalue(v.get(), 0, 0), nullptr, 10);
      } else if (has_results) {
        return invalid_argument(fmt::format(
            "'{}' has a results table but no schema_version: not an edgebench results store",
            name_));
      }
      if (version > kStoreSchemaVersion) {
        return unsupported(fmt::format(
            "results store '{}' has store schema version {}; this edgebench reads version {} "
            "(written by a newer edgebench?)",
            name_, version, kStoreSchemaVersion));
      }
      if (version == kStoreSchemaVersion) return Status::ok();
      if (!create) {
        return invalid_argument(
            fmt::format("'{}' holds no edgebench results store (no schema_version table)", name_));
      }
      if (!has_version) {
        EB_RETURN_IF_ERROR(run("CREATE TABLE schema_version (version INTEGER NOT NULL)", {},
                               "cannot create the store")
                               .status());
      }
      for (std::int64_t v = version; v < kStoreSchemaVersion; ++v) {
        EB_RETURN_IF_ERROR(run(kMigrations[static_cast<std::size_t>(v)], {},
                               fmt::format("cannot migrate the store to schema version {}", v + 1))
                               .status());
      }
      EB_RETURN_IF_ERROR(run("DELETE FROM schema_version", {}, "cannot create the store").status());
      return run("INSERT INTO schema_version (version) VALUES ($1::integer)",
                 {std::to_string(kStoreSchemaVersion)}, "cannot create the store")
          .status();
    }();
    if (st.is_ok()) return run("COMMIT", {}, "cannot create the store").status();
    PgResult(PQexec(c_.get(), "ROLLBACK"));
    return st;
  }

  Result<bool> insert(const Record& record, const std::string& json,
                      std::optional<std::string_view> key, bool if_new) override {
    const std::string sql = fmt::format(
        "INSERT INTO results (id, created_at, label, model_name, model_sha256, backend, threads, "
        "scenario, headline_metric, headline_value, valid, key, json) VALUES ($1, $2, $3, $4, $5, "
        "$6, $7::integer, $8, $9, $10::double precision, $11::integer, $12, $13){}",
        if_new ? " ON CONFLICT (id) DO NOTHING" : "");
    const std::vector<Param> params = {record.id,
                                       record.created_at,
                                       record.label,
                                       record.model.name,
                                       record.model.sha256,
                                       record.backend.name,
                                       std::to_string(record.backend.threads),
                                       record.scenario.name,
                                       record.timings.headline_metric,
                                       number(record.timings.headline_value),
                                       std::string(record.valid ? "1" : "0"),
                                       key ? Param(std::string(*key)) : std::nullopt,
                                       json};
    std::string sqlstate;
    Result<PgResult> r =
        run(sql, params, fmt::format("cannot add result '{}'", record.id), &sqlstate);
    if (sqlstate == kUniqueViolation) {
      return invalid_argument(
          fmt::format("results store '{}' already holds a result with id '{}'", name_, record.id));
    }
    if (!r.is_ok()) return r.status();
    return std::string_view(PQcmdTuples(r->get())) == "1";
  }

  // WHERE clause and parameters of a filter.
  static std::string where(const ListFilter& filter, std::vector<Param>& params) {
    std::vector<std::string> conditions;
    auto add = [&](const char* column, const std::string& value) {
      if (value.empty()) return;
      params.push_back(value);
      conditions.push_back(fmt::format("{} = ${}", column, params.size()));
    };
    add("model_name", filter.model_name);
    add("backend", filter.backend);
    add("scenario", filter.scenario);
    add("label", filter.label);
    if (filter.valid_only) conditions.push_back("valid = 1");
    std::string sql;
    if (!conditions.empty()) sql = fmt::format(" WHERE {}", fmt::join(conditions, " AND "));
    sql += " ORDER BY created_at DESC, seq DESC";
    if (filter.limit > 0) {
      sql += fmt::format(" LIMIT {}", std::min<std::uint64_t>(
                                          filter.limit, std::numeric_limits<std::int64_t>::max()));
    }
    return sql;
  }

  Result<std::vector<StoredSummary>> list(const ListFilter& filter) const override {
    std::vector<Param> params;
    const std::string sql =
        "SELECT id, created_at, label, model_name, model_sha256, backend, threads, scenario, "
        "headline_metric, headline_value, valid, key FROM results" +
        where(filter, params);
    EB_ASSIGN_OR_RETURN(PgResult r, run(sql, params, "cannot read the store"));
    std::vector<StoredSummary> rows;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      auto text = [&](int column) { return std::string(PQgetvalue(r.get(), i, column)); };
      StoredSummary s;
      s.id = text(0);
      s.created_at = text(1);
      s.label = text(2);
      s.model_name = text(3);
      s.model_sha256 = text(4);
      s.backend = text(5);
      s.threads = std::atoi(PQgetvalue(r.get(), i, 6));
      s.scenario = text(7);
      s.headline_metric = text(8);
      s.headline_value = PQgetisnull(r.get(), i, 9)
                             ? std::numeric_limits<double>::quiet_NaN()
                             : std::strtod(PQgetvalue(r.get(), i, 9), nullptr);
      s.valid = text(10) != "0";
      if (!PQgetisnull(r.get(), i, 11)) s.key = text(11);
      rows.push_back(std::move(s));
    }
    return rows;
  }

  Result<std::vector<Record>> records(const ListFilter& filter) const override {
    std::vector<Param> params;
    const std::string sql = "SELECT id, json FROM results" + where(filter, params);
    EB_ASSIGN_OR_RETURN(PgResult r, run(sql, params, "cannot read the store"));
    std::vector<Record> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      EB_ASSIGN_OR_RETURN(Record record,
                          parse_record(PQgetvalue(r.get(), i, 1),
                                       stored_record_context(name_, PQgetvalue(r.get(), i, 0))));
      out.push_back(std::move(record));
    }
    return out;
  }

  Result<IdMatches> match_ids(std::string_view id_or_prefix, int limit) const override {
    const Param id{std::string(id_or_prefix)};
    IdMatches m;
    EB_ASSIGN_OR_RETURN(PgResult exact,
                        run("SELECT id FROM results WHERE id = $1", {id}, "cannot read the store"));
    if (PQntuples(exact.get()) == 1) {
      m.first.push_back(PQgetvalue(exact.get(), 0, 0));
      m.total = 1;
      return m;
    }
    // substr() rather than LIKE: ids may hold '%' or '_' when a caller sets them.
    EB_ASSIGN_OR_RETURN(PgResult r,
                        run("SELECT id, COUNT(*) OVER () FROM results WHERE substr(id, 1, "
                            "length($1::text)) = $1::text ORDER BY id LIMIT $2::bigint",
                            {id, std::to_string(limit)}, "cannot read the store"));
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      m.first.push_back(PQgetvalue(r.get(), i, 0));
      m.total = std::strtoull(PQgetvalue(r.get(), i, 1), nullptr, 10);
    }
    return m;
  }

  Result<std::optional<Record>> find(std::string_view id) const override {
    EB_ASSIGN_OR_RETURN(PgResult r, run("SELECT json FROM results WHERE id = $1", {std::string(id)},
                                        "cannot read the store"));
    if (PQntuples(r.get()) == 0) return std::optional<Record>();
    EB_ASSIGN_OR_RETURN(Record record,
                        parse_record(PQgetvalue(r.get(), 0, 0), stored_record_context(name_, id)));
    return std::optional<Record>(std::move(record));
  }

  Result<bool> contains(std::string_view key) const override {
    EB_ASSIGN_OR_RETURN(PgResult r, run("SELECT 1 FROM results WHERE key = $1 LIMIT 1",
                                        {std::string(key)}, "cannot read the store"));
    return PQntuples(r.get()) > 0;
  }

  Result<std::uint64_t> count() const override {
    EB_ASSIGN_OR_RETURN(PgResult r,
                        run("SELECT COUNT(*) FROM results", {}, "cannot read the store"));
    return static_cast<std::uint64_t>(std::strtoull(PQgetvalue(r.get(), 0, 0), nullptr, 10));
  }

 private:
  std::string name_;
  std::unique_ptr<PGconn, FinishConnection> c_;
};

void ignore_notice(void*, const char*) {}

}  // namespace

Result<std::unique_ptr<StoreBackend>> open_postgres(const std::string& url,
                                                    const std::string& shown,
                                                    const StoreOptions& options) {
  // The URL's own settings win over these defaults: a bounded wait for the server; a name the
  // server's activity view shows; and a server that checks every second whether this client is
  // still there while a statement runs or waits for a lock, so that the transaction of a writer
  // that died is rolled back rather than committed once the lock comes free.
  const std::string timeout = std::to_string(std::max(options.connect_timeout_s, 1));
  const std::array<const char*, 5> keys = {"connect_timeout", "application_name", "options",
                                           "dbname", nullptr};
  const std::array<const char*, 5> values = {timeout.c_str(), "edgebench",
                                             "-c client_connection_check_interval=1000",
                                             url.c_str(), nullptr};
  PGconn* raw = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  std::unique_ptr<PGconn, FinishConnection> owned(raw);
  if (raw == nullptr) {
    return io_error(fmt::format("cannot open results store '{}': out of memory", shown));
  }
  if (PQstatus(raw) != CONNECTION_OK) {
    return io_error(
        fmt::format("cannot open results store '{}': {}", shown, one_line(PQerrorMessage(raw))));
  }
  PQsetNoticeProcessor(raw, ignore_notice, nullptr);
  auto backend = std::make_unique<PostgresBackend>(shown, owned.release());
  EB_RETURN_IF_ERROR(backend->prepare_schema(options.create_if_missing));
  return std::unique_ptr<StoreBackend>(std::move(backend));
}

}  // namespace edgebench::results::detail
