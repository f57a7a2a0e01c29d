// The results store: a database of result records, SQLite (a file, the default) or PostgreSQL
// (a server that many hosts share, named by a postgresql:// URL).
//
// Layout (store schema version 1, recorded in the `schema_version` table):
//   results(id TEXT PRIMARY KEY, created_at, label, model_name, model_sha256, backend, threads,
//           scenario, headline_metric, headline_value, valid, key, json)
// PostgreSQL adds seq (BIGSERIAL), SQLite's rowid: the insertion order.
// The searchable columns are copies of record fields; `json` holds the whole record as written
// by to_json_text, raw per-query latencies included (there is no separate latencies table, so
// one INSERT writes one result and a result can never be split across tables). `key` is an
// optional caller-given string (a sweep's point, say) for resumable runs.
//
// Durability: add() writes in one transaction, so a crash or kill at any point leaves every
// committed result whole and no partial one. SQLite runs in WAL mode with synchronous=FULL;
// PostgreSQL rolls back the open transaction of a client that dies. A new PostgreSQL store is
// created, and an older one migrated, under an advisory lock, so hosts that open it at once do
// not race.
//
// A Store is one connection: use it from one thread at a time; open one Store per thread or
// process. Several processes (and, with PostgreSQL, hosts) may use the same store at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/results/result.h"

namespace edgebench::results {

namespace detail {
class StoreBackend;
}  // namespace detail

inline constexpr int kStoreSchemaVersion = 1;
inline constexpr const char* kDefaultStorePath = "edgebench-results.db";

// Whether a --db value names a PostgreSQL server (postgresql:// or postgres://) rather than an
// SQLite file.
bool is_database_url(std::string_view location);
// The location as messages show it: a URL without its password.
std::string display_location(std::string_view location);

struct StoreOptions {
  // false: a missing file, or a PostgreSQL database without the store's tables, is an error
  // (for commands that only read, so that a mistyped path does not leave an empty store behind).
  bool create_if_missing = true;
  int busy_timeout_ms = 10000;  // SQLite: how long a writer waits for another
  int connect_timeout_s = 10;   // PostgreSQL: how long to wait for the server
};

// The searchable columns of one stored result.
struct StoredSummary {
  std::string id;
  std::string created_at;
  std::string label;
  std::string model_name;
  std::string model_sha256;
  std::string backend;
  int threads = 1;
  std::string scenario;
  std::string headline_metric;
  double headline_value = 0;  // NaN when the record's value was not finite
  bool valid = true;
  std::optional<std::string> key;
};

// Empty fields match everything; set fields must match exactly.
struct ListFilter {
  std::string model_name;
  std::string backend;
  std::string scenario;
  std::string label;
  bool valid_only = false;
  std::uint64_t limit = 0;  // 0: no limit
};

class Store {
 public:
  // Opens (and, if allowed, creates) the store at `location`: an SQLite file, or a
  // postgresql:// URL (libpq's URI form; the password may also come from PGPASSWORD or
  // ~/.pgpass). Errors name the store: the file does not exist, is a folder, cannot be opened,
  // is not an SQLite database; the server cannot be reached or refuses the login; the database
  // is not a results store, or has a store schema newer than this build reads.
  static Result<Store> open(const std::filesystem::path& location,
                            const StoreOptions& options = {});

  // A moved-from Store must not be used.
  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  // The file, or the URL without its password.
  const std::string& name() const { return name_; }

  // Adds one record in one transaction. The id must be non-empty and new to the store.
  Status add(const Record& record, std::optional<std::string_view> key = std::nullopt);
  // Adds the record unless a result with its id is stored already (then it returns false and
  // writes nothing): importing the same records twice stores them once.
  Result<bool> add_if_new(const Record& record);

  // Newest first (created_at, then insertion order).
  Result<std::vector<StoredSummary>> list(const ListFilter& filter = {}) const;
  // The same selection and order as list(), as whole records.
  Result<std::vector<Record>> records(const ListFilter& filter = {}) const;

  // The record whose id is `id_or_prefix`, or else the one record whose id starts with it.
  // Errors: no match (not found), several matches (invalid argument, naming a few).
  Result<Record> get(std::string_view id_or_prefix) const;
  // The full id for an id or unique prefix (same rules as get()).
  Result<std::string> resolve_id(std::string_view id_or_prefix) const;

  // Whether a result was added with this key (resumable sweeps skip such points).
  Result<bool> contains(std::string_view key) const;

  Result<std::uint64_t> count() const;

 private:
  Store(std::string name, std::unique_ptr<detail::StoreBackend> backend);
  Status check_addable(const Record& record) const;

  std::string name_;
  std::unique_ptr<detail::StoreBackend> backend_;
};

}  // namespace edgebench::results
