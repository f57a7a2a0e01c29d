// The SQLite results store (a file; the default).
#include <fmt/format.h>
#include <sqlite3.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <set>

#include "edgebench/results/io.h"
#include "store_backend.h"

namespace edgebench::results::detail {
namespace {

// Store schema version 1. Changing a table means a new version and a migration in open().
constexpr const char* kCreateSchema = R"sql(
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE results (
  id TEXT PRIMARY KEY NOT NULL,
  created_at TEXT NOT NULL,
  label TEXT NOT NULL,
  model_name TEXT NOT NULL,
  model_sha256 TEXT NOT NULL,
  backend TEXT NOT NULL,
  threads INTEGER NOT NULL,
  scenario TEXT NOT NULL,
  headline_metric TEXT NOT NULL,
  headline_value REAL,
  valid INTEGER NOT NULL,
  key TEXT,
  json TEXT NOT NULL
);
CREATE INDEX results_by_created_at ON results (created_at);
CREATE INDEX results_by_key ON results (key);
)sql";

Status status_for(int sqlite_code, std::string message) {
  switch (sqlite_code & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT: return data_loss(std::move(message));
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG: return invalid_argument(std::move(message));
    case SQLITE_MISUSE:
    case SQLITE_INTERNAL: return internal_error(std::move(message));
    default: return io_error(std::move(message));
  }
}

// "results store 'PATH': WHAT: SQLITE MESSAGE (OS MESSAGE)"
Status sqlite_error(sqlite3* db, const std::filesystem::path& path, std::string_view what) {
  const int code = sqlite3_extended_errcode(db);
  std::string detail = sqlite3_errmsg(db);
  if (const int os_error = sqlite3_system_errno(db); os_error != 0) {
    detail += fmt::format(" ({})", std::strerror(os_error));
  }
  if ((code & 0xff) == SQLITE_NOTADB) {
    return data_loss(
        fmt::format("results store '{}' is not an SQLite database ({})", path.string(), detail));
  }
  return status_for(code, fmt::format("results store '{}': {}: {}", path.string(), what, detail));
}

class Statement {
 public:
  static Result<Statement> prepare(sqlite3* db, const std::filesystem::path& path,
                                   std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
        SQLITE_OK) {
      return sqlite_error(db, path, "cannot read the store");
    }
    return Statement(stmt);
  }

  Statement(Statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  // Parameters are numbered from 1, as in SQL's ?1.
  void bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void bind(int index, std::int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  void bind(int index, double value) {
    if (std::isfinite(value)) {
      sqlite3_bind_double(stmt_, index, value);
    } else {
      sqlite3_bind_null(stmt_, index);
    }
  }
  void bind_null(int index) { sqlite3_bind_null(stmt_, index); }

  int step() { return sqlite3_step(stmt_); }

  std::string text(int column) const {
    const unsigned char* p = sqlite3_column_text(stmt_, column);
    if (p == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(p),
                       static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
  }
  std::optional<std::string> optional_text(int column) const {
    if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
    return text(column);
  }
  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
  double real(int column) const {
    if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) {
      return std::numeric_limits<double>::quiet_NaN();
    }
    return sqlite3_column_double(stmt_, column);
  }

 private:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  sqlite3_stmt* stmt_;
};

Status exec(sqlite3* db, const std::filesystem::path& path, const char* sql,
            std::string_view what) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return sqlite_error(db, path, what);
  }
  return Status::ok();
}

// Runs `sql` and calls `row` for each result row; binds with `bind` first.
Status query(sqlite3* db, const std::filesystem::path& path, std::string_view sql,
             const std::function<void(Statement&)>& bind,
             const std::function<Status(const Statement&)>& row) {
  EB_ASSIGN_OR_RETURN(Statement stmt, Statement::prepare(db, path, sql));
  if (bind) bind(stmt);
  for (;;) {
    const int rc = stmt.step();
    if (rc == SQLITE_DONE) return Status::ok();
    if (rc != SQLITE_ROW) return sqlite_error(db, path, "cannot read the store");
    if (row) EB_RETURN_IF_ERROR(row(stmt));
  }
}

Result<std::set<std::string>> table_names(sqlite3* db, const std::filesystem::path& path) {
  std::set<std::string> names;
  EB_RETURN_IF_ERROR(query(db, path, "SELECT name FROM sqlite_master WHERE type = 'table'", nullptr,
                           [&](const Statement& s) {
                             names.insert(s.text(0));
                             return Status::ok();
                           }));
  return names;
}

// Creates the tables unless another process did so first (checked inside the transaction).
Status create_schema(sqlite3* db, const std::filesystem::path& path) {
  EB_RETURN_IF_ERROR(exec(db, path, "BEGIN IMMEDIATE", "cannot create the store"));
  auto tables = table_names(db, path);
  Status status = tables.status();
  if (status.is_ok() && tables->empty()) {
    status = exec(db, path, kCreateSchema, "cannot create the store");
    if (status.is_ok()) {
      status =
          exec(db, path,
               fmt::format("INSERT INTO schema_version (version) VALUES ({})", kStoreSchemaVersion)
                   .c_str(),
               "cannot create the store");
    }
  }
  if (status.is_ok()) return exec(db, path, "COMMIT", "cannot create the store");
  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  return status;
}

Status check_schema(sqlite3* db, const std::filesystem::path& path,
                    const std::set<std::string>& tables) {
  if (!tables.contains("schema_version") || !tables.contains("results")) {
    return invalid_argument(fmt::format(
        "'{}' is an SQLite database but not an edgebench results store (no {} table)",
        path.string(), tables.contains("schema_version") ? "results" : "schema_version"));
  }
  std::optional<std::int64_t> version;
  EB_RETURN_IF_ERROR(
      query(db, path, "SELECT version FROM schema_version", nullptr, [&](const Statement& s) {
        version = s.integer(0);
        return Status::ok();
      }));
  if (!version) {
    return data_loss(
        fmt::format("results store '{}' has an empty schema_version table", path.string()));
  }
  if (*version != kStoreSchemaVersion) {
    return unsupported(fmt::format(
        "results store '{}' has store schema version {}; this edgebench reads version {}{}",
        path.string(), *version, kStoreSchemaVersion,
        *version > kStoreSchemaVersion ? " (written by a newer edgebench?)" : ""));
  }
  return Status::ok();
}

// WHERE clause and bindings for a filter; parameters start at ?1.
struct FilterSql {
  std::string where;
  std::vector<std::string> values;
  std::int64_t valid_only = 0;
};

FilterSql filter_sql(const ListFilter& filter) {
  FilterSql f;
  std::vector<std::string> conditions;
  auto add = [&](const char* column, const std::string& value) {
    if (value.empty()) return;
    f.values.push_back(value);
    conditions.push_back(fmt::format("{} = ?{}", column, f.values.size()));
  };
  add("model_name", filter.model_name);
  add("backend", filter.backend);
  add("scenario", filter.scenario);
  add("label", filter.label);
  if (filter.valid_only) conditions.push_back("valid = 1");
  if (!conditions.empty()) f.where = " WHERE " + fmt::format("{}", fmt::join(conditions, " AND "));
  return f;
}

std::string select_sql(const ListFilter& filter, const char* columns, FilterSql& f) {
  f = filter_sql(filter);
  std::string sql = fmt::format("SELECT {} FROM results{} ORDER BY created_at DESC, rowid DESC",
                                columns, f.where);
  if (filter.limit > 0) {
    // SQLite's LIMIT is a signed 64-bit integer.
    const std::uint64_t limit =
        std::min<std::uint64_t>(filter.limit, std::numeric_limits<std::int64_t>::max());
    sql += fmt::format(" LIMIT {}", limit);
  }
  return sql;
}

void bind_filter(Statement& s, const FilterSql& f) {
  for (std::size_t i = 0; i < f.values.size(); ++i) s.bind(static_cast<int>(i + 1), f.values[i]);
}

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

class SqliteBackend final : public StoreBackend {
 public:
  SqliteBackend(std::filesystem::path path, sqlite3* db) : path_(std::move(path)), db_(db) {}

  Result<bool> insert(const Record& record, const std::string& json,
                      std::optional<std::string_view> key, bool if_new) override {
    sqlite3* db = db_.get();
    EB_RETURN_IF_ERROR(exec(db, path_, "BEGIN IMMEDIATE", "cannot add a result"));
    bool added = false;
    Status status = [&]() -> Status {
      EB_ASSIGN_OR_RETURN(
          Statement s,
          Statement::prepare(
              db, path_,
              fmt::format("INSERT INTO results (id, created_at, label, model_name, model_sha256, "
                          "backend, threads, scenario, headline_metric, headline_value, valid, "
                          "key, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                          "?12, ?13){}",
                          if_new ? " ON CONFLICT (id) DO NOTHING" : "")));
      s.bind(1, record.id);
      s.bind(2, record.created_at);
      s.bind(3, record.label);
      s.bind(4, record.model.name);
      s.bind(5, record.model.sha256);
      s.bind(6, record.backend.name);
      s.bind(7, static_cast<std::int64_t>(record.backend.threads));
      s.bind(8, record.scenario.name);
      s.bind(9, record.timings.headline_metric);
      s.bind(10, record.timings.headline_value);
      s.bind(11, static_cast<std::int64_t>(record.valid ? 1 : 0));
      if (key) {
        s.bind(12, *key);
      } else {
        s.bind_null(12);
      }
      s.bind(13, json);
      if (s.step() == SQLITE_DONE) {
        added = sqlite3_changes(db) > 0;
        return Status::ok();
      }
      if (sqlite3_extended_errcode(db) == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return invalid_argument(fmt::format(
            "results store '{}' already holds a result with id '{}'", path_.string(), record.id));
      }
      return sqlite_error(db, path_, fmt::format("cannot add result '{}'", record.id));
    }();
    if (status.is_ok()) status = exec(db, path_, "COMMIT", "cannot add a result");
    if (!status.is_ok()) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      return status;
    }
    return added;
  }

  Result<std::vector<StoredSummary>> list(const ListFilter& filter) const override {
    FilterSql f;
    const std::string sql = select_sql(filter,
                                       "id, created_at, label, model_name, model_sha256, "
                                       "backend, threads, scenario, headline_metric, "
                                       "headline_value, valid, key",
                                       f);
    std::vector<StoredSummary> rows;
    EB_RETURN_IF_ERROR(query(
        db_.get(), path_, sql, [&](Statement& s) { bind_filter(s, f); },
        [&](const Statement& s) {
          StoredSummary r;
          r.id = s.text(0);
          r.created_at = s.text(1);
          r.label = s.text(2);
          r.model_name = s.text(3);
          r.model_sha256 = s.text(4);
          r.backend = s.text(5);
          r.threads = static_cast<int>(s.integer(6));
          r.scenario = s.text(7);
          r.headline_metric = s.text(8);
          r.headline_value = s.real(9);
          r.valid = s.integer(10) != 0;
          r.key = s.optional_text(11);
          rows.push_back(std::move(r));
          return Status::ok();
        }));
    return rows;
  }

  Result<std::vector<Record>> records(const ListFilter& filter) const override {
    FilterSql f;
    const std::string sql = select_sql(filter, "id, json", f);
    std::vector<Record> out;
    EB_RETURN_IF_ERROR(query(
        db_.get(), path_, sql, [&](Statement& s) { bind_filter(s, f); },
        [&](const Statement& s) -> Status {
          EB_ASSIGN_OR_RETURN(
              Record r, parse_record(s.text(1), stored_record_context(path_.string(), s.text(0))));
          out.push_back(std::move(r));
          return Status::ok();
        }));
    return out;
  }

  Result<IdMatches> match_ids(std::string_view id_or_prefix, int limit) const override {
    IdMatches m;
    EB_RETURN_IF_ERROR(query(
        db_.get(), path_, "SELECT id FROM results WHERE id = ?1",
        [&](Statement& s) { s.bind(1, id_or_prefix); },
        [&](const Statement& s) {
          m.first.push_back(s.text(0));
          m.total = 1;
          return Status::ok();
        }));
    if (m.total == 1) return m;
    // substr() rather than LIKE: ids may hold '%' or '_' when a caller sets them.
    EB_RETURN_IF_ERROR(query(
        db_.get(), path_,
        "SELECT id, COUNT(*) OVER () FROM results WHERE substr(id, 1, length(?1)) = ?1 "
        "ORDER BY id LIMIT ?2",
        [&](Statement& s) {
          s.bind(1, id_or_prefix);
          s.bind(2, static_cast<std::int64_t>(limit));
        },
        [&](const Statement& s) {
          m.first.push_back(s.text(0));
          m.total = static_cast<std::uint64_t>(s.integer(1));
          return Status::ok();
        }));
    return m;
  }

  Result<std::optional<Record>> find(std::string_view id) const override {
    std::optional<Result<Record>> record;
    EB_RETURN_IF_ERROR(query(
        db_.get(), path_, "SELECT json FROM results WHERE id = ?1",
        [&](Statement& s) { s.bind(1, id); },
        [&](const Statement& s) {
          record = parse_record(s.text(0), stored_record_context(path_.string(), id));
          return Status::ok();
        }));
    if (!record) return std::optional<Record>();
    if (!record->is_ok()) return record->status();
    return std::optional<Record>(std::move(*record).value());
  }

  Result<bool> contains(std::string_view key) const override {
    bool found = false;
    EB_RETURN_IF_ERROR(query(
        db_.get(), path_, "SELECT 1 FROM results WHERE key = ?1 LIMIT 1",
        [&](Statement& s) { s.bind(1, key); },
        [&](const Statement&) {
          found = true;
          return Status::ok();
        }));
    return found;
  }

  Result<std::uint64_t> count() const override {
    std::int64_t n = 0;
    EB_RETURN_IF_ERROR(
        query(db_.get(), path_, "SELECT COUNT(*) FROM results", nullptr, [&](const Statement& s) {
          n = s.integer(0);
          return Status::ok();
        }));
    return static_cast<std::uint64_t>(n);
  }

 private:
  std::filesystem::path path_;
  std::unique_ptr<sqlite3, CloseDb> db_;
};

}  // namespace

Result<std::unique_ptr<StoreBackend>> open_sqlite(const std::string& location,
                                                  const StoreOptions& options) {
  const std::filesystem::path path(location);
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (exists && std::filesystem::is_directory(path, ec)) {
    return invalid_argument(
        fmt::format("results store '{}' is a folder, expected a database file", path.string()));
  }
  if (!exists && !options.create_if_missing) {
    return not_found(fmt::format("results store '{}' does not exist", path.string()));
  }

  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE;
  if (options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  std::unique_ptr<sqlite3, CloseDb> owned(raw);  // even when opening failed
  if (rc != SQLITE_OK) {
    if (raw == nullptr) {
      return io_error(fmt::format("cannot open results store '{}': out of memory", path.string()));
    }
    return sqlite_error(raw, path, "cannot open");
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);

  // Reading the catalogue is the first access to the file: a file that is not a database
  // fails here, before anything is written to it.
  EB_ASSIGN_OR_RETURN(std::set<std::string> tables, table_names(raw, path));
  if (tables.empty() && !options.create_if_missing) {
    return invalid_argument(
        fmt::format("'{}' is an empty database, not an edgebench results store", path.string()));
  }
  if (!tables.empty()) EB_RETURN_IF_ERROR(check_schema(raw, path, tables));

  // WAL: readers never block the writer and a killed writer leaves only committed
  // transactions. synchronous=FULL: a committed result survives a power loss too. Some file
  // systems (network mounts) cannot do WAL; SQLite then keeps its rollback journal, which is
  // just as crash-safe, so that is not an error.
  EB_RETURN_IF_ERROR(exec(raw, path, "PRAGMA journal_mode = WAL", "cannot open"));
  EB_RETURN_IF_ERROR(exec(raw, path, "PRAGMA synchronous = FULL", "cannot open"));
  if (tables.empty()) {
    EB_RETURN_IF_ERROR(create_schema(raw, path));
    EB_ASSIGN_OR_RETURN(tables, table_names(raw, path));
    EB_RETURN_IF_ERROR(check_schema(raw, path, tables));
  }
  return std::unique_ptr<StoreBackend>(std::make_unique<SqliteBackend>(path, owned.release()));
}

}  // namespace edgebench::results::detail
