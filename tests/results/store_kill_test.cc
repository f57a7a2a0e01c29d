// A writer killed with SIGKILL in the middle of adding results must leave a store whose every
// result is whole, with all the earlier ones intact. The child adds results as fast as it can,
// large ones (thousands of raw latencies) so that the kill usually lands inside a write; the
// parent kills it once enough are committed, checks the store, and does it again, the next
// child resuming the sweep with contains() (the resumable-sweep pattern).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "edgebench/results/store.h"
#include "results/results_test_util.h"

namespace edgebench::results {
namespace {

using testing::differing_fields;
using testing::full_record;
using ::testing::IsEmpty;
using testing::TempDir;

constexpr std::size_t kLatencies = 3000;

Record sweep_point(int i) {
  Record r = full_record(i, kLatencies);
  r.id = fmt::format("kill-{:06d}", i);
  return r;
}

std::string sweep_key(int i) { return fmt::format("point-{}", i); }

// The child: add points 0, 1, 2, ... skipping those already stored, until killed.
[[noreturn]] void run_writer(const std::filesystem::path& path) {
  Result<Store> store = Store::open(path);
  if (!store.is_ok()) _exit(2);
  for (int i = 0;; ++i) {
    Result<bool> done = store->contains(sweep_key(i));
    if (!done.is_ok()) _exit(3);
    if (*done) continue;
    if (!store->add(sweep_point(i), sweep_key(i)).is_ok()) _exit(4);
  }
}

std::uint64_t count_results(const std::filesystem::path& path) {
  Result<Store> store = Store::open(path);
  if (!store.is_ok()) return 0;
  Result<std::uint64_t> n = store->count();
  return n.is_ok() ? *n : 0;
}

std::string integrity_check(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  std::string result = "cannot open";
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return result;
}

TEST(ResultsStoreKill, KilledWriterLeavesOnlyWholeResults) {
  TempDir dir;
  const auto path = dir.path() / "kill.db";
  {
    // Create the schema before any child runs (and close: no connection crosses a fork).
    Result<Store> store = Store::open(path);
    ASSERT_TRUE(store.is_ok()) << store.status().to_string();
  }
  constexpr int kRounds = 3;
  constexpr std::uint64_t kPerRound = 25;
  std::uint64_t expected_at_least = 0;
  for (int round = 0; round < kRounds; ++round) {
    expected_at_least += kPerRound;
    const pid_t pid = fork();
    ASSERT_NE(pid, -1);
    if (pid == 0) run_writer(path);

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (count_results(path) < expected_at_least && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    // Killed by us, not exited on an error of its own.
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "round " << round << ": writer exited early, status " << status;

    EXPECT_EQ(integrity_check(path), "ok") << "round " << round;
    Result<Store> store = Store::open(path);
    ASSERT_TRUE(store.is_ok()) << store.status().to_string();
    ListFilter all;
    Result<std::vector<StoredSummary>> list = store->list(all);
    ASSERT_TRUE(list.is_ok()) << list.status().to_string();
    const std::size_t n = list->size();
    ASSERT_GE(n, expected_at_least) << "round " << round << ": timed out waiting for the writer";
    // Every point from 0 to n-1 is there exactly once, whole and exact: no gap (a later one
    // committed before an earlier one), no half result.
    std::set<std::string> ids;
    for (const StoredSummary& s : *list) ids.insert(s.id);
    ASSERT_EQ(ids.size(), n);
    for (int i = 0; i < static_cast<int>(n); ++i) {
      Result<Record> r = store->get(sweep_point(i).id);
      ASSERT_TRUE(r.is_ok()) << "round " << round << ": " << r.status().to_string();
      EXPECT_THAT(differing_fields(sweep_point(i), *r), IsEmpty())
          << "round " << round << " point " << i;
      Result<bool> has = store->contains(sweep_key(i));
      ASSERT_TRUE(has.is_ok());
      EXPECT_TRUE(*has);
    }
    expected_at_least = n;
  }
}

}  // namespace
}  // namespace edgebench::results
