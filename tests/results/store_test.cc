#include "edgebench/results/store.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>

#include "edgebench/results/io.h"
#include "results/results_test_util.h"

namespace edgebench::results {
namespace {

using testing::differing_fields;
using ::testing::ElementsAre;
using testing::full_record;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::minimal_record;
using testing::TempDir;
using testing::write_text;

// Runs SQL on a database file directly (to build stores the Store API refuses to make).
void run_sql(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  EXPECT_EQ(rc, SQLITE_OK) << (message ? message : "");
  sqlite3_free(message);
  sqlite3_close(db);
}

Record record_at(const std::string& id, const std::string& created_at) {
  Record r = minimal_record();
  r.id = id;
  r.created_at = created_at;
  return r;
}

Store open_store(const std::filesystem::path& path) {
  Result<Store> store = Store::open(path);
  EXPECT_TRUE(store.is_ok()) << store.status().to_string();
  return std::move(store).value();
}

TEST(ResultsStore, AddGetRoundTripIsExact) {
  TempDir dir;
  Store store = open_store(dir.path() / "r.db");
  const Record r = full_record(5, 5000);
  ASSERT_TRUE(store.add(r).is_ok());
  Result<Record> back = store.get(r.id);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_THAT(differing_fields(r, *back), IsEmpty());
  EXPECT_EQ(back->latencies_ms.size(), 5000u);  // raw latencies live in the JSON column
}

TEST(ResultsStore, ListIsNewestFirstWithSummaryColumns) {
  TempDir dir;
  Store store = open_store(dir.path() / "r.db");
  Record a = full_record(1);
  a.id = "b-middle";
  a.created_at = "2026-11-22T10:00:00.000Z";
  ASSERT_TRUE(store.add(a).is_ok());
  ASSERT_TRUE(store.add(record_at("c-old", "2026-11-21T10:00:00.000Z")).is_ok());
  ASSERT_TRUE(store.add(record_at("a-new", "2026-11-23T10:00:00.000Z")).is_ok());
  // Same created_at: insertion order breaks the tie, newest first.
  ASSERT_TRUE(store.add(record_at("tie-1", "2026-11-20T00:00:00.000Z")).is_ok());
  ASSERT_TRUE(store.add(record_at("tie-2", "2026-11-20T00:00:00.000Z")).is_ok());

  Result<std::vector<StoredSummary>> list = store.list();
  ASSERT_TRUE(list.is_ok()) << list.status().to_string();
  std::vector<std::string> ids;
  for (const StoredSummary& s : *list) ids.push_back(s.id);
  EXPECT_THAT(ids, ElementsAre("a-new", "b-middle", "c-old", "tie-2", "tie-1"));

  const StoredSummary& s = (*list)[1];
  EXPECT_EQ(s.created_at, a.created_at);
  EXPECT_EQ(s.label, a.label);
  EXPECT_EQ(s.model_name, "mobilenet v2");
  EXPECT_EQ(s.model_sha256, a.model.sha256);
  EXPECT_EQ(s.backend, "native");
  EXPECT_EQ(s.threads, 4);
  EXPECT_EQ(s.scenario, "server");
  EXPECT_EQ(s.headline_metric, "p99_ms");
  EXPECT_EQ(s.headline_value, a.timings.headline_value);
  EXPECT_FALSE(s.valid);  // full_record(1) is invalid
  EXPECT_FALSE(s.key.has_value());

  Result<std::uint64_t> count = store.count();
  ASSERT_TRUE(count.is_ok());
  EXPECT_EQ(*count, 5u);
}

TEST(ResultsStore, FilterAndLimit) {
  TempDir dir;
  Store store = open_store(dir.path() / "r.db");
  for (int n = 0; n < 6; ++n) {
    Record r = full_record(n, 3);
    r.created_at = fmt::format("2026-11-22T00:00:0{}.000Z", n);
    r.backend.name = n < 3 ? "native" : "native-ref";
    ASSERT_TRUE(store.add(r).is_ok());
  }
  ListFilter filter;
  filter.backend = "native-ref";
  Result<std::vector<StoredSummary>> list = store.list(filter);
  ASSERT_TRUE(list.is_ok());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].id, full_record(5).id);

  filter.valid_only = true;  // even n are valid
  list = store.list(filter);
  ASSERT_TRUE(list.is_ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, full_record(4).id);

  ListFilter limited;
  limited.limit = 2;
  Result<std::vector<Record>> records = store.records(limited);
  ASSERT_TRUE(records.is_ok()) << records.status().to_string();
  ASSERT_EQ(records->size(), 2u);
  Record expected = full_record(5, 3);
  expected.created_at = "2026-11-22T00:00:05.000Z";
  expected.backend.name = "native-ref";
  EXPECT_THAT(differing_fields(expected, (*records)[0]), IsEmpty());

  ListFilter none;
  none.model_name = "no such model";
  list = store.list(none);
  ASSERT_TRUE(list.is_ok());
  EXPECT_TRUE(list->empty());

  // Filter values are bound, never pasted into SQL.
  ListFilter hostile;
  hostile.label = "x' OR '1'='1";
  list = store.list(hostile);
  ASSERT_TRUE(list.is_ok());
  EXPECT_TRUE(list->empty());
}

TEST(ResultsStore, GetAcceptsUniqueIdPrefixes) {
  TempDir dir;
  Store store = open_store(dir.path() / "r.db");
  ASSERT_TRUE(store.add(record_at("20261122-033605.482-aaaa1111", "t1")).is_ok());
  ASSERT_TRUE(store.add(record_at("20261122-033605.482-aaaa2222", "t2")).is_ok());
  ASSERT_TRUE(store.add(record_at("20261123-000000.000-bbbb0000", "t3")).is_ok());
  ASSERT_TRUE(store.add(record_at("100%_odd", "t4")).is_ok());
  ASSERT_TRUE(store.add(record_at("100", "t5")).is_ok());

  Result<Record> r = store.get("20261123");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->id, "20261123-000000.000-bbbb0000");
  r = store.get("20261122-033605.482-aaaa2");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->id, "20261122-033605.482-aaaa2222");

  // An exact id wins over being a prefix of another id.
  r = store.get("100");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->id, "100");
  // LIKE wildcards in a prefix are plain characters.
  r = store.get("100%");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->id, "100%_odd");
  EXPECT_FALSE(store.get("10_").is_ok());

  r = store.get("20261122");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(
      r.status().message(),
      HasSubstr("id prefix '20261122' matches 2 results in '" + (dir.path() / "r.db").string() +
                "' (20261122-033605.482-aaaa1111, 20261122-033605.482-aaaa2222)"));

  r = store.get("2027");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("no result with id or id prefix '2027'"));
  EXPECT_FALSE(store.get("").is_ok());

  Result<std::string> id = store.resolve_id("2026112");
  ASSERT_FALSE(id.is_ok());
  EXPECT_THAT(id.status().message(), HasSubstr("matches 3 results"));
}

TEST(ResultsStore, ContainsKeyForResumableSweeps) {
  TempDir dir;
  Store store = open_store(dir.path() / "r.db");
  ASSERT_TRUE(store.add(record_at("r1", "t"), "conv:filters=32:layers=5").is_ok());
  ASSERT_TRUE(store.add(record_at("r2", "t")).is_ok());
  Result<bool> has = store.contains("conv:filters=32:layers=5");
  ASSERT_TRUE(has.is_ok());
  EXPECT_TRUE(*has);
  has = store.contains("conv:filters=64:layers=5");
  ASSERT_TRUE(has.is_ok());
  EXPECT_FALSE(*has);
  has = store.contains("");
  ASSERT_TRUE(has.is_ok());
  EXPECT_FALSE(*has);
  Result<std::vector<StoredSummary>> list = store.list();
  ASSERT_TRUE(list.is_ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].key, "conv:filters=32:layers=5");
}

TEST(ResultsStore, RejectsDuplicateAndEmptyIds) {
  TempDir dir;
  Store store = open_store(dir.path() / "r.db");
  ASSERT_TRUE(store.add(record_at("same", "t")).is_ok());
  Status s = store.add(record_at("same", "t2"));
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("already holds a result with id 'same'"));
  s = store.add(record_at("", "t"));
  ASSERT_FALSE(s.is_ok());
  EXPECT_THAT(s.message(), HasSubstr("without an id"));
  Record other = record_at("x", "t");
  other.schema = "edgebench.result/0";
  EXPECT_FALSE(store.add(other).is_ok());
  // The failed adds left nothing behind, and the store still takes new results.
  EXPECT_EQ(*store.count(), 1u);
  EXPECT_TRUE(store.add(record_at("next", "t")).is_ok());
  EXPECT_EQ(*store.count(), 2u);
}

TEST(ResultsStore, PersistsAcrossOpensInWalMode) {
  TempDir dir;
  const auto path = dir.path() / "r.db";
  {
    Store store = open_store(path);
    ASSERT_TRUE(store.add(full_record(0)).is_ok());
    EXPECT_TRUE(std::filesystem::exists(path.string() + "-wal"));
  }
  // Bytes 18 and 19 of the SQLite header are 2 for a WAL database.
  std::ifstream in(path, std::ios::binary);
  char header[20] = {};
  in.read(header, sizeof header);
  EXPECT_EQ(std::string(header, 15), "SQLite format 3");
  EXPECT_EQ(header[18], 2);
  EXPECT_EQ(header[19], 2);

  StoreOptions read_only;
  read_only.create_if_missing = false;
  Result<Store> again = Store::open(path, read_only);
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  Result<Record> r = again->get(full_record(0).id);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_THAT(differing_fields(full_record(0), *r), IsEmpty());
}

TEST(ResultsStore, MovedStoreKeepsWorking) {
  TempDir dir;
  Store a = open_store(dir.path() / "r.db");
  Store b = std::move(a);
  EXPECT_TRUE(b.add(record_at("m", "t")).is_ok());
  Store c = open_store(dir.path() / "other.db");
  c = std::move(b);
  EXPECT_EQ(*c.count(), 1u);
  EXPECT_EQ(c.name(), (dir.path() / "r.db").string());
}

TEST(ResultsStore, AddIfNewStoresEachIdOnce) {
  TempDir dir;
  Store store = open_store(dir.path() / "r.db");
  const Record r = record_at("m", "2026-01-01T00:00:00.000Z");
  Result<bool> first = store.add_if_new(r);
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  EXPECT_TRUE(*first);
  Result<bool> again = store.add_if_new(r);
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  EXPECT_FALSE(*again);
  EXPECT_EQ(*store.count(), 1u);
  // add() still refuses a stored id.
  EXPECT_THAT(store.add(r).message(), HasSubstr("already holds a result with id"));
  Record unnamed = r;
  unnamed.id.clear();
  EXPECT_FALSE(store.add_if_new(unnamed).is_ok());
}

TEST(ResultsStore, UrlsNameAPostgresServerAndHideTheirPassword) {
  EXPECT_TRUE(edgebench::results::is_database_url("postgresql://u@h/db"));
  EXPECT_TRUE(edgebench::results::is_database_url("postgres://h"));
  EXPECT_FALSE(edgebench::results::is_database_url("results.db"));
  EXPECT_FALSE(edgebench::results::is_database_url("postgresql.db"));
  using edgebench::results::display_location;
  EXPECT_EQ(display_location("postgresql://eb:s3cret@db.lab:5432/edgebench"),
            "postgresql://eb:***@db.lab:5432/edgebench");
  EXPECT_EQ(display_location("postgres://eb@db.lab/x?password=s3cret&sslmode=require"),
            "postgres://eb@db.lab/x?password=***&sslmode=require");
  EXPECT_EQ(display_location("postgresql://db.lab/x"), "postgresql://db.lab/x");
  EXPECT_EQ(display_location("dir/r.db"), "dir/r.db");
}

// --- errors ---

std::string open_error(const std::filesystem::path& path, bool create = true) {
  StoreOptions options;
  options.create_if_missing = create;
  Result<Store> store = Store::open(path, options);
  EXPECT_FALSE(store.is_ok()) << path;
  return store.is_ok() ? "" : store.status().message();
}

TEST(ResultsStoreErrors, MissingFileWithoutCreateIsNotCreated) {
  TempDir dir;
  const auto path = dir.path() / "typo.db";
  EXPECT_THAT(open_error(path, false),
              HasSubstr("results store '" + path.string() + "' does not exist"));
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(ResultsStoreErrors, FolderIsRefused) {
  TempDir dir;
  EXPECT_THAT(open_error(dir.path()), HasSubstr("is a folder, expected a database file"));
}

TEST(ResultsStoreErrors, GarbageFilesAreNotDatabases) {
  TempDir dir;
  const auto small = dir.path() / "small.db";
  write_text(small, "hello");
  EXPECT_THAT(open_error(small),
              HasSubstr("results store '" + small.string() + "' is not an SQLite database"));
  const auto big = dir.path() / "big.db";
  std::string bytes;
  for (int i = 0; i < 10000; ++i) bytes += static_cast<char>((i * 7919) & 0xff);
  write_text(big, bytes);
  EXPECT_THAT(open_error(big), HasSubstr("is not an SQLite database"));
  // A JSON result file given by mistake.
  const auto json = dir.path() / "result.json";
  write_text(json, to_json_text(full_record()));
  EXPECT_THAT(open_error(json), HasSubstr("is not an SQLite database"));
  // Nothing was written to them.
  EXPECT_EQ(testing::read_text(small), "hello");
}

TEST(ResultsStoreErrors, OtherSqliteDatabasesAreRefused) {
  TempDir dir;
  const auto path = dir.path() / "other.db";
  run_sql(path, "CREATE TABLE users (name TEXT);");
  EXPECT_THAT(open_error(path),
              HasSubstr("'" + path.string() +
                        "' is an SQLite database but not an edgebench results store"));
  const auto empty = dir.path() / "empty.db";
  write_text(empty, "");
  EXPECT_THAT(open_error(empty, false), HasSubstr("empty database"));
  // With create allowed, an empty file becomes a store.
  EXPECT_TRUE(Store::open(empty).is_ok());
}

TEST(ResultsStoreErrors, NewerStoreSchemaIsRefused) {
  TempDir dir;
  const auto path = dir.path() / "r.db";
  { Store store = open_store(path); }
  run_sql(path, "UPDATE schema_version SET version = 2;");
  const std::string message = open_error(path);
  EXPECT_THAT(message, HasSubstr("has store schema version 2; this edgebench reads version 1"));
  EXPECT_THAT(message, HasSubstr("newer edgebench"));
  run_sql(path, "DELETE FROM schema_version;");
  EXPECT_THAT(open_error(path), HasSubstr("empty schema_version table"));
}

TEST(ResultsStoreErrors, CorruptStoredJsonNamesTheResult) {
  TempDir dir;
  const auto path = dir.path() / "r.db";
  {
    Store store = open_store(path);
    ASSERT_TRUE(store.add(record_at("bad-one", "t")).is_ok());
  }
  run_sql(path, "UPDATE results SET json = '{\"schema\": \"edgebench.result/1\"}';");
  Store store = open_store(path);
  Result<Record> r = store.get("bad-one");
  ASSERT_FALSE(r.is_ok());
  EXPECT_THAT(r.status().message(), HasSubstr("results store '" + path.string() +
                                              "' result 'bad-one': result field 'id' is missing"));
  EXPECT_FALSE(store.records().is_ok());
  EXPECT_TRUE(store.list().is_ok());  // the summary columns are still readable
}

// Runs `body` in a child process that has dropped root (if it had it), since root ignores
// file permissions. Returns what the child wrote to `out`.
std::string as_unprivileged(const std::function<std::string()>& body) {
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(3);
    const std::string text = body();
    const ssize_t n = write(fds[1], text.data(), text.size());
    _exit(n == static_cast<ssize_t>(text.size()) ? 0 : 4);
  }
  close(fds[1]);
  std::string text;
  char buffer[512];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;) text.append(buffer, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  return text;
}

std::string open_error_text(const std::filesystem::path& path) {
  Result<Store> store = Store::open(path);
  return store.is_ok() ? "opened" : store.status().message();
}

TEST(ResultsStoreErrors, ReadOnlyFolder) {
  TempDir dir;
  const auto folder = dir.path() / "ro";
  std::filesystem::create_directories(folder);
  std::filesystem::permissions(
      folder, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec |
                  std::filesystem::perms::group_read | std::filesystem::perms::group_exec |
                  std::filesystem::perms::others_read | std::filesystem::perms::others_exec);
  const auto path = folder / "new.db";
  const std::string message = as_unprivileged([&] { return open_error_text(path); });
  EXPECT_THAT(message, HasSubstr("results store '" + path.string() + "': cannot open"));
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(ResultsStoreErrors, UnreadableFile) {
  TempDir dir;
  std::filesystem::permissions(dir.path(), std::filesystem::perms::all);
  const auto path = dir.path() / "locked.db";
  { Store store = open_store(path); }
  std::filesystem::permissions(path, std::filesystem::perms::none);
  const std::string message = as_unprivileged([&] { return open_error_text(path); });
  EXPECT_THAT(message, HasSubstr("results store '" + path.string() + "': cannot open"));
  EXPECT_THAT(message, HasSubstr("Permission denied"));
}

}  // namespace
}  // namespace edgebench::results
