// results::Store: the checks every store makes, over the database that holds it (an SQLite file
// or a PostgreSQL server; store_backend.h).
#include "edgebench/results/store.h"

#include <fmt/format.h>

#include <regex>

#include "edgebench/results/io.h"
#include "store_backend.h"

namespace edgebench::results {

bool is_database_url(std::string_view location) {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

std::string display_location(std::string_view location) {
  if (!is_database_url(location)) return std::string(location);
  // scheme://user:password@host... -> scheme://user:***@host...; a password=... parameter too.
  static const std::regex userinfo(R"(^(postgres(?:ql)?://[^:/?#@]*):[^@/?#]*@)");
  static const std::regex parameter(R"(([?&]password=)[^&#]*)");
  std::string shown = std::regex_replace(std::string(location), userinfo, "$1:***@");
  return std::regex_replace(shown, parameter, "$1***");
}

namespace detail {

#ifndef EDGEBENCH_HAVE_POSTGRES
Result<std::unique_ptr<StoreBackend>> open_postgres(const std::string&, const std::string& shown,
                                                    const StoreOptions&) {
  return unsupported(fmt::format(
      "results store '{}': this edgebench was built without PostgreSQL support "
      "(EDGEBENCH_POSTGRES=OFF); use an SQLite file, or store through a host that has it",
      shown));
}
#endif

std::string stored_record_context(std::string_view store, std::string_view id) {
  return fmt::format("results store '{}' result '{}'", store, id);
}

}  // namespace detail

Store::Store(std::string name, std::unique_ptr<detail::StoreBackend> backend)
    : name_(std::move(name)), backend_(std::move(backend)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

Result<Store> Store::open(const std::filesystem::path& location, const StoreOptions& options) {
  const std::string where = location.string();
  if (where.empty()) return invalid_argument("no results store given (an empty --db)");
  std::string name = display_location(where);
  Result<std::unique_ptr<detail::StoreBackend>> backend =
      is_database_url(where) ? detail::open_postgres(where, name, options)
                             : detail::open_sqlite(where, options);
  if (!backend.is_ok()) return backend.status();
  return Store(std::move(name), std::move(backend).value());
}

Status Store::check_addable(const Record& record) const {
  if (record.id.empty()) {
    return invalid_argument(
        fmt::format("cannot add a result without an id to results store '{}'", name_));
  }
  if (record.schema != kSchema) {
    return invalid_argument(
        fmt::format("cannot add result '{}' to results store '{}': schema is '{}', expected '{}'",
                    record.id, name_, record.schema, kSchema));
  }
  return Status::ok();
}

Status Store::add(const Record& record, std::optional<std::string_view> key) {
  EB_RETURN_IF_ERROR(check_addable(record));
  return backend_->insert(record, to_json_text(record, -1), key, /*if_new=*/false).status();
}

Result<bool> Store::add_if_new(const Record& record) {
  EB_RETURN_IF_ERROR(check_addable(record));
  return backend_->insert(record, to_json_text(record, -1), std::nullopt, /*if_new=*/true);
}

Result<std::vector<StoredSummary>> Store::list(const ListFilter& filter) const {
  return backend_->list(filter);
}

Result<std::vector<Record>> Store::records(const ListFilter& filter) const {
  return backend_->records(filter);
}

Result<std::string> Store::resolve_id(std::string_view id_or_prefix) const {
  if (id_or_prefix.empty()) return invalid_argument("empty result id");
  constexpr int kShown = 5;
  EB_ASSIGN_OR_RETURN(detail::StoreBackend::IdMatches m, backend_->match_ids(id_or_prefix, kShown));
  if (m.total == 0) {
    return not_found(fmt::format("results store '{}' has no result with id or id prefix '{}'",
                                 name_, id_or_prefix));
  }
  if (m.total > 1) {
    return invalid_argument(fmt::format(
        "id prefix '{}' matches {} results in '{}' ({}{}); give more characters", id_or_prefix,
        m.total, name_, fmt::join(m.first, ", "), m.total > kShown ? ", ..." : ""));
  }
  return m.first.front();
}

Result<Record> Store::get(std::string_view id_or_prefix) const {
  EB_ASSIGN_OR_RETURN(const std::string id, resolve_id(id_or_prefix));
  EB_ASSIGN_OR_RETURN(std::optional<Record> record, backend_->find(id));
  if (!record) return not_found(fmt::format("results store '{}' has no result '{}'", name_, id));
  return std::move(*record);
}

Result<bool> Store::contains(std::string_view key) const { return backend_->contains(key); }

Result<std::uint64_t> Store::count() const { return backend_->count(); }

}  // namespace edgebench::results
