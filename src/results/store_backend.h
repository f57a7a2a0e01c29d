// What a results store's database does for results::Store: one implementation per database
// (store_sqlite.cc, store_postgres.cc). Store checks the record (id, schema) and the arguments;
// a backend runs the SQL. Error messages name the store by its display name (display_name():
// the file, or the URL without its password).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/results/result.h"
#include "edgebench/results/store.h"

namespace edgebench::results::detail {

class StoreBackend {
 public:
  virtual ~StoreBackend() = default;

  // Adds one record (already checked, `json` its text) in one transaction. A record whose id is
  // already stored: with if_new, nothing is written and the result is false; without, an
  // invalid-argument error that names the id.
  virtual Result<bool> insert(const Record& record, const std::string& json,
                              std::optional<std::string_view> key, bool if_new) = 0;
  // Newest first (created_at, then insertion order).
  virtual Result<std::vector<StoredSummary>> list(const ListFilter& filter) const = 0;
  virtual Result<std::vector<Record>> records(const ListFilter& filter) const = 0;
  // The stored ids that are `id_or_prefix` exactly (then that one alone) or start with it,
  // ordered, at most `limit`, and how many match in all.
  struct IdMatches {
    std::vector<std::string> first;
    std::uint64_t total = 0;
  };
  virtual Result<IdMatches> match_ids(std::string_view id_or_prefix, int limit) const = 0;
  // The record with this exact id, if stored.
  virtual Result<std::optional<Record>> find(std::string_view id) const = 0;
  virtual Result<bool> contains(std::string_view key) const = 0;
  virtual Result<std::uint64_t> count() const = 0;
};

Result<std::unique_ptr<StoreBackend>> open_sqlite(const std::string& path,
                                                  const StoreOptions& options);
// `url` is a libpq connection URI (postgresql://...); `shown` is it without the password.
Result<std::unique_ptr<StoreBackend>> open_postgres(const std::string& url,
                                                    const std::string& shown,
                                                    const StoreOptions& options);

// "results store 'NAME' result 'ID'", the context of a record that does not parse.
std::string stored_record_context(std::string_view store, std::string_view id);

}  // namespace edgebench::results::detail
