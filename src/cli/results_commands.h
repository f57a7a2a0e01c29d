// The `results` and `compare` sub-commands: reading the results store and result files.
// Each takes its parsed options and returns an exit code (0 ok, 2 bad usage or bad input).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgebench::cli {

// Where results go and come from when no --db is given (in the current folder).
inline constexpr const char* kDefaultResultsDb = "edgebench-results.db";
inline constexpr const char* kStoreHelp =
    "Results store: an SQLite file, or postgresql://USER@HOST[:PORT]/DB for a server that many "
    "hosts share (password from the URL, PGPASSWORD or ~/.pgpass)";

// edgebench results list [--db FILE] [--limit N] [--model NAME] [--backend B] [--scenario S]
struct ResultsListOptions {
  std::string db_path = kDefaultResultsDb;
  std::uint64_t limit = 20;  // 0: all
  std::string model;         // filters: exact match, empty matches all
  std::string backend;
  std::string scenario;
};
int run_results_list(const ResultsListOptions& options);

// edgebench results show ID [--db FILE] [--json]
struct ResultsShowOptions {
  std::string id;  // a full id or a unique prefix
  std::string db_path = kDefaultResultsDb;
  bool json = false;  // print the full record as JSON instead of the summary
};
int run_results_show(const ResultsShowOptions& options);

// edgebench results export [--db STORE] (--csv OUT.csv | --jsonl OUT.jsonl | --to STORE)...
// Exports every result, oldest first. --to copies them into another store (as results import
// does: results already there are left alone).
struct ResultsExportOptions {
  std::string db_path = kDefaultResultsDb;
  std::string csv_path;
  std::string jsonl_path;  // appended to, like every JSONL writer
  std::string to_store;
};
int run_results_export(const ResultsExportOptions& options);

// edgebench results import SOURCE... [--db STORE]
// Copies every result of each SOURCE (an SQLite store file, a postgresql:// store, a .jsonl
// file or one result .json) into the store, oldest first, one transaction per result. A result
// whose id the store already holds is skipped, so importing twice stores each result once.
struct ResultsImportOptions {
  std::vector<std::string> sources;
  std::string db_path = kDefaultResultsDb;
};
int run_results_import(const ResultsImportOptions& options);

// edgebench compare RESULT.json... | --db FILE [--ids ID...] [--limit N] [--markdown FILE]
//                   [--html FILE] [--variants]
// Columns come from the files (a .jsonl file gives all its records) and then from --ids in
// the store (--db, or the default store when only --ids is given). With --db and neither
// files nor ids: the newest --limit results of the store, oldest first. Ratios are against the
// first column. --variants: one row per result instead (size, quality, p50, speedup and size
// ratio against the first row).
struct CompareOptions {
  std::vector<std::string> result_files;
  std::string db_path;  // empty: no store unless --ids is given
  std::vector<std::string> ids;
  std::uint64_t limit = 5;
  std::string markdown_path;
  std::string html_path;
  bool variants = false;
};
int run_compare(const CompareOptions& options);

}  // namespace edgebench::cli
