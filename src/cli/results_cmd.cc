// edgebench results list | show | export | import
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "common.h"
#include "edgebench/results/compare.h"
#include "edgebench/results/io.h"
#include "edgebench/results/store.h"
#include "results_commands.h"

namespace edgebench::cli {
namespace {

Result<results::Store> open_existing_store(const std::string& path) {
  results::StoreOptions options;
  options.create_if_missing = false;
  return results::Store::open(path, options);
}

// "2026-11-22T03:36:05.482Z" -> "2026-11-22 03:36:05"
std::string short_time(const std::string& iso) {
  std::string out = iso.substr(0, std::min<std::size_t>(iso.size(), 19));
  if (out.size() > 10 && out[10] == 'T') out[10] = ' ';
  return out;
}

std::string or_dash(const std::string& text) { return text.empty() ? "-" : text; }

std::string ms(double value) { return results::format_figure(value, "ms"); }

void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) widths[c] = header[c].size();
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += c + 1 == row.size() ? row[c] : fmt::format("{:<{}}  ", row[c], widths[c]);
    }
    fmt::print("{}\n", line);
  };
  print_row(header);
  for (const auto& row : rows) print_row(row);
}

void print_summary(const results::Record& r) {
  using results::format_figure;
  fmt::print("result      {}\n", r.id);
  fmt::print("created     {}\n", r.created_at);
  if (!r.label.empty()) fmt::print("label       {}\n", r.label);
  fmt::print("command     {}\n", or_dash(r.command));
  fmt::print("valid       {}\n", r.valid ? "yes" : "no");
  for (const std::string& reason : r.invalid_reasons) fmt::print("  - {}\n", reason);

  fmt::print("\nmodel       {}  ({})\n", or_dash(r.model.name), or_dash(r.model.path));
  fmt::print("            sha256 {}\n", or_dash(r.model.sha256));
  fmt::print("            {} parameters ({}), {} MACs\n", human_count(double(r.model.params)),
             human_bytes(double(r.model.params_bytes)), human_count(double(r.model.macs)));
  fmt::print("backend     {}, {} thread{}", r.backend.name, r.backend.threads,
             r.backend.threads == 1 ? "" : "s");
  if (r.backend.options.is_object() && !r.backend.options.empty()) {
    fmt::print("  options {}", r.backend.options.dump());
  }
  fmt::print("\n");
  const results::HostInfo& h = r.host;
  if (!h.cpu_model.empty() || !h.os.empty()) {
    fmt::print("host        {}, {} logical cores, {}{}\n", or_dash(h.cpu_model), h.logical_cores,
               or_dash(h.os), h.hostname.empty() ? "" : " (" + h.hostname + ")");
  }
  if (!h.compiler.empty()) fmt::print("built with  {}\n", h.compiler);
  if (!h.libraries.empty()) {
    std::vector<std::string> libs;
    for (const auto& [name, version] : h.libraries) libs.push_back(name + " " + version);
    fmt::print("libraries   {}\n", fmt::join(libs, ", "));
  }

  const results::ScenarioSettings& s = r.scenario;
  fmt::print("\nscenario    {}: warm-up {} queries, at least {} queries and {} s", s.name,
             s.warmup_queries, s.min_queries, format_figure(s.min_duration_s, ""));
  if (s.samples_per_query != 1) fmt::print(", {} samples per query", s.samples_per_query);
  if (s.batch != 1) fmt::print(", batch {}", s.batch);
  if (s.target_qps) fmt::print(", target {} queries/s", format_figure(*s.target_qps, ""));
  if (s.latency_bound_ms) fmt::print(", latency bound {}", ms(*s.latency_bound_ms));
  fmt::print("\n            inputs {}, seed {}\n", s.inputs, s.seed);

  const results::Timings& t = r.timings;
  fmt::print("\nheadline    {}", results::format_headline(t.headline_metric, t.headline_value));
  if (t.early_stopping_ms) fmt::print("  (early-stopping estimate {})", ms(*t.early_stopping_ms));
  if (t.met_latency_bound) {
    fmt::print("  latency bound {}", *t.met_latency_bound ? "met" : "NOT met");
  }
  fmt::print("\n");
  const results::LatencyStats& l = t.latency;
  fmt::print("latency     p50 {}  p90 {}  p95 {}  p99 {}  p99.9 {}\n", ms(l.p50), ms(l.p90),
             ms(l.p95), ms(l.p99), ms(l.p999));
  fmt::print("            mean {}  std {}  min {}  max {}  over {} queries\n", ms(l.mean),
             ms(l.std), ms(l.min), ms(l.max), l.count);
  fmt::print("            percentiles: {}\n", results::kPercentileConvention);
  fmt::print("throughput  {} queries/s, {} samples/s over {} s\n",
             format_figure(r.throughput.queries_per_s, ""),
             format_figure(r.throughput.samples_per_s, ""), format_figure(t.duration_s, ""));
  fmt::print("start-up    init {}, first inference {}\n", ms(t.init_ms), ms(t.first_inference_ms));
  fmt::print("memory      peak RSS {}, arena {}\n", human_bytes(double(r.memory.peak_rss_bytes)),
             human_bytes(double(r.memory.arena_bytes)));
  fmt::print("CPU time    user {}, system {}\n", format_figure(r.cpu.user_s, "s"),
             format_figure(r.cpu.system_s, "s"));
  if (r.energy.available) {
    std::vector<std::string> domains;
    for (const auto& d : r.energy.domains) {
      domains.push_back(fmt::format("{} {}", d.name, format_figure(d.joules, "J")));
    }
    fmt::print("energy      {} ({}){}{}\n", format_figure(r.energy.joules, "J"), r.energy.source,
               domains.empty() ? "" : ": ", fmt::join(domains, ", "));
  } else {
    fmt::print("energy      not measured\n");
  }
  if (r.quality.is_object() && !r.quality.empty()) {
    fmt::print("\nquality\n");
    for (const auto& [key, value] : r.quality.items()) {
      std::string text = value.is_number() ? format_figure(value.get<double>(), "") : value.dump();
      if (text.size() > 100) text = text.substr(0, 97) + "...";
      fmt::print("  {:<12} {}\n", key, text);
    }
  }
  if (r.profile && !r.profile->by_op_type.empty()) {
    fmt::print("\nprofile by op type ({} runs)\n", r.profile->runs);
    std::vector<results::OpProfileEntry> entries = r.profile->by_op_type;
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.total_ms > b.total_ms; });
    for (std::size_t i = 0; i < entries.size() && i < 15; ++i) {
      fmt::print("  {:<20} {:>10} {:>6.1f}%  {} calls\n", entries[i].name, ms(entries[i].total_ms),
                 entries[i].share * 100, entries[i].calls);
    }
  }
  fmt::print("\nraw latencies: {} stored (`results show {} --json` prints them)\n",
             r.latencies_ms.size(), r.id);
}

}  // namespace

int run_results_list(const ResultsListOptions& options) {
  Result<results::Store> store = open_existing_store(options.db_path);
  if (!store.is_ok()) return report_error(store.status());
  results::ListFilter filter;
  filter.limit = options.limit;
  filter.model_name = options.model;
  filter.backend = options.backend;
  filter.scenario = options.scenario;
  Result<std::vector<results::StoredSummary>> list = store->list(filter);
  if (!list.is_ok()) return report_error(list.status());
  if (list->empty()) {
    fmt::print("no results in '{}'\n", results::display_location(options.db_path));
    return kExitOk;
  }
  const bool any_label =
      std::any_of(list->begin(), list->end(), [](const auto& s) { return !s.label.empty(); });
  std::vector<std::string> header = {"id",       "created",  "model", "backend",
                                     "scenario", "headline", "valid"};
  if (any_label) header.push_back("label");
  std::vector<std::vector<std::string>> rows;
  for (const results::StoredSummary& s : *list) {
    std::vector<std::string> row = {s.id,
                                    short_time(s.created_at),
                                    or_dash(s.model_name),
                                    fmt::format("{} x{}", s.backend, s.threads),
                                    or_dash(s.scenario),
                                    results::format_headline(s.headline_metric, s.headline_value),
                                    s.valid ? "yes" : "no"};
    if (any_label) row.push_back(s.label);
    rows.push_back(std::move(row));
  }
  print_table(header, rows);
  Result<std::uint64_t> total = store->count();
  if (total.is_ok() && *total > list->size()) {
    fmt::print("({} of {} results; --limit 0 lists all)\n", list->size(), *total);
  }
  return kExitOk;
}

int run_results_show(const ResultsShowOptions& options) {
  Result<results::Store> store = open_existing_store(options.db_path);
  if (!store.is_ok()) return report_error(store.status());
  Result<results::Record> record = store->get(options.id);
  if (!record.is_ok()) return report_error(record.status());
  if (options.json) {
    fmt::print("{}\n", results::to_json_text(*record, 2));
  } else {
    print_summary(*record);
  }
  return kExitOk;
}

namespace {

// SQLite's file header: the first 16 bytes of every database file.
bool is_sqlite_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<char, 16> head{};
  return in.read(head.data(), head.size()) &&
         std::string_view(head.data(), head.size()) == std::string_view("SQLite format 3\0", 16);
}

// Every result of an import source, oldest first.
Result<std::vector<results::Record>> read_source(const std::string& source) {
  if (results::is_database_url(source) || is_sqlite_file(source)) {
    EB_ASSIGN_OR_RETURN(results::Store store, open_existing_store(source));
    EB_ASSIGN_OR_RETURN(std::vector<results::Record> records, store.records());
    std::reverse(records.begin(), records.end());
    return records;
  }
  return results::read_result_file(source);
}

struct Copied {
  std::size_t added = 0, present = 0;
};

// Adds the records the store does not hold yet; stops at the first error, keeping what it
// added (each result is its own transaction).
Result<Copied> copy_into(results::Store& store, const std::vector<results::Record>& records) {
  Copied n;
  for (const results::Record& r : records) {
    EB_ASSIGN_OR_RETURN(const bool added, store.add_if_new(r));
    ++(added ? n.added : n.present);
  }
  return n;
}

}  // namespace

int run_results_import(const ResultsImportOptions& options) {
  if (options.sources.empty()) return report_error(invalid_argument("results import: no SOURCE"));
  // Read every source before writing anything: a bad source leaves the store as it was.
  std::vector<std::vector<results::Record>> sources;
  for (const std::string& source : options.sources) {
    Result<std::vector<results::Record>> records = read_source(source);
    if (!records.is_ok()) return report_error(records.status().with_context("results import"));
    sources.push_back(std::move(records).value());
  }
  Result<results::Store> store = results::Store::open(options.db_path);
  if (!store.is_ok()) return report_error(store.status());
  for (std::size_t i = 0; i < sources.size(); ++i) {
    Result<Copied> n = copy_into(*store, sources[i]);
    if (!n.is_ok())
      return report_error(n.status().with_context(results::display_location(options.sources[i])));
    fmt::print("{}: {} result(s) imported into {}, {} already there\n",
               results::display_location(options.sources[i]), n->added, store->name(), n->present);
  }
  return kExitOk;
}

int run_results_export(const ResultsExportOptions& options) {
  if (options.csv_path.empty() && options.jsonl_path.empty() && options.to_store.empty()) {
    return report_error(
        invalid_argument("results export needs --csv FILE, --jsonl FILE or --to STORE"));
  }
  Result<results::Store> store = open_existing_store(options.db_path);
  if (!store.is_ok()) return report_error(store.status());
  Result<std::vector<results::Record>> records = store->records();
  if (!records.is_ok()) return report_error(records.status());
  std::reverse(records->begin(), records->end());  // oldest first reads naturally in a sheet
  if (!options.csv_path.empty()) {
    const Status written = results::write_csv(options.csv_path, *records);
    if (!written.is_ok()) return report_error(written);
    fmt::print("wrote {} result(s) to {}\n", records->size(), options.csv_path);
  }
  if (!options.jsonl_path.empty()) {
    for (const results::Record& r : *records) {
      const Status written = results::append_jsonl(options.jsonl_path, r);
      if (!written.is_ok()) return report_error(written);
    }
    fmt::print("appended {} result(s) to {}\n", records->size(), options.jsonl_path);
  }
  if (!options.to_store.empty()) {
    Result<results::Store> to = results::Store::open(options.to_store);
    if (!to.is_ok()) return report_error(to.status());
    Result<Copied> n = copy_into(*to, *records);
    if (!n.is_ok()) return report_error(n.status());
    fmt::print("{} result(s) copied to {}, {} already there\n", n->added, to->name(), n->present);
  }
  return kExitOk;
}

}  // namespace edgebench::cli
