// Side-by-side comparison of results: one row per metric, one column per result, each figure
// with its ratio to the first result's ("12.3 ms (1.00x) | 6.1 ms (0.50x)").
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "edgebench/results/result.h"

namespace edgebench::results {

struct ComparisonRow {
  std::string metric;  // "p50", "peak RSS", "quality.top1", ...
  std::string unit;    // "ms", "B", "/s", "s", "J" or "" (a count or a text row)
  // Per column: the figure (absent when the result does not have it; always absent for text
  // rows), its ratio to column 0 (absent when either figure is absent or column 0's is 0),
  // and the cell as displayed.
  std::vector<std::optional<double>> values;
  std::vector<std::optional<double>> ratios;
  std::vector<std::string> cells;
};

struct Comparison {
  std::vector<std::string> columns;  // the label, or the id when there is no label
  std::vector<ComparisonRow> rows;
};

// Rows: identity (id, model, backend, threads, scenario, valid), the headline figure, latency
// statistics (after p50, "p50 ratio 95% CI": each column's bootstrap interval on its median's
// ratio to the first column's, from the raw latencies, and whether it is significant: wholly
// more than 1% away from 1),
// throughput, start-up times, memory, CPU time, energy, and every numeric
// top-level `quality` member any of the results has.
Comparison compare_records(std::span<const Record> records);

// A fixed-width table for the terminal.
std::string comparison_text(const Comparison& comparison);
// A GitHub-flavoured Markdown table ('|' in cells escaped).
std::string comparison_markdown(const Comparison& comparison);
// A self-contained HTML page holding the table (no scripts, no external resources).
std::string comparison_html(const Comparison& comparison);

// The study-style table of model variants (one model optimized several ways, say): one row per
// result with its size, quality and p50 latency, and speed and size against the first row.
struct VariantRow {
  std::string name;                  // the label, or else the model's file name
  std::optional<double> file_bytes;  // model file size; absent when not recorded
  std::string quality_metric;        // "top1", "mse" or "" (none)
  std::optional<double> quality;     // top1 as a fraction, or mse
  std::optional<double> p50_ms;      // absent when the result has no latencies
  std::optional<double> speedup;     // first row's p50 / this p50
  std::optional<double> size_ratio;  // this file size / the first row's
  std::vector<std::string> cells;    // as displayed, in VariantTable::columns order
};

struct VariantTable {
  std::vector<std::string> columns;  // "variant", "size", "quality", "p50", "speedup", "size ratio"
  std::vector<VariantRow> rows;
};

// Quality shows top1 in percent when the result has it, else mse, else "-". Ratios are absent
// (shown as "-") when either figure is absent or the first row's is 0.
VariantTable variant_table(std::span<const Record> records);
std::string variant_table_text(const VariantTable& table);
std::string variant_table_markdown(const VariantTable& table);
std::string variant_table_html(const VariantTable& table);

// "12.3 ms", "3.10 MiB", "1234/s": the cell formatting, exposed for tests and reports.
std::string format_figure(double value, const std::string& unit);
// A headline metric and its value: ("p90_ms", 12.34) -> "p90 12.3 ms",
// ("samples_per_s", 1234) -> "samples 1234/s"; NaN shows as "-".
std::string format_headline(const std::string& metric, double value);

}  // namespace edgebench::results
