#include "edgebench/results/compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <set>

#include "edgebench/results/significance.h"
#include "edgebench/results/svg.h"

namespace edgebench::results {
namespace {

std::string format_number(double value) {
  if (!std::isfinite(value)) return fmt::format("{}", value);
  // Three significant digits, but never exponent notation for large figures.
  if (std::fabs(value) >= 1000) return fmt::format("{:.0f}", value);
  return fmt::format("{:.3g}", value);
}

std::string format_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (std::fabs(bytes) >= 1024.0 && u < 4) {
    bytes /= 1024.0;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.2f} {}", bytes, units[u]);
}

// The unit of a headline metric from its name ("p90_ms" -> ms, "samples_per_s" -> /s).
std::string headline_unit(const std::string& metric) {
  if (metric.ends_with("_ms")) return "ms";
  if (metric.ends_with("_per_s")) return "/s";
  return "";
}

ComparisonRow text_row(std::string metric, std::span<const Record> records,
                       const std::function<std::string(const Record&)>& text) {
  ComparisonRow row;
  row.metric = std::move(metric);
  for (const Record& r : records) {
    row.values.emplace_back();
    row.ratios.emplace_back();
    row.cells.push_back(text(r));
  }
  return row;
}

// `comparable(r)`: whether r's figure may be divided by column 0's (same headline metric).
ComparisonRow number_row(std::string metric, std::string unit, std::span<const Record> records,
                         const std::function<std::optional<double>(const Record&)>& value,
                         const std::function<bool(const Record&)>& comparable = nullptr) {
  ComparisonRow row;
  row.metric = std::move(metric);
  row.unit = std::move(unit);
  for (const Record& r : records) {
    std::optional<double> v = value(r);
    if (v && std::isnan(*v)) v.reset();
    row.values.push_back(v);
  }
  const std::optional<double> base = row.values.empty() ? std::nullopt : row.values.front();
  for (std::size_t i = 0; i < records.size(); ++i) {
    const std::optional<double>& v = row.values[i];
    std::optional<double> ratio;
    if (v && base && *base != 0 && std::isfinite(*base) && std::isfinite(*v) &&
        (!comparable || comparable(records[i]))) {
      ratio = *v / *base;
    }
    row.ratios.push_back(ratio);
    if (!v) {
      row.cells.push_back("-");
    } else if (ratio) {
      row.cells.push_back(fmt::format("{} ({:.2f}x)", format_figure(*v, row.unit), *ratio));
    } else {
      row.cells.push_back(format_figure(*v, row.unit));
    }
  }
  return row;
}

// "p50 95% CI": per column after the first, the bootstrap interval on the ratio of its median
// latency to the first column's, from the raw latencies, and whether it excludes 1.
ComparisonRow significance_row(std::span<const Record> records) {
  ComparisonRow row;
  row.metric = "p50 ratio 95% CI";
  const std::vector<double> base = raw_latencies(records.front());
  for (std::size_t i = 0; i < records.size(); ++i) {
    row.values.emplace_back();
    row.ratios.emplace_back();
    std::optional<MedianRatio> m;
    if (i > 0) m = median_ratio_interval(base, raw_latencies(records[i]));
    std::string cell = i == 0 ? "(base)" : m ? significance_text(*m) : "-";
    if (i > 0 && m && (is_noisy(records[i]) || is_noisy(records.front()))) cell += ", noisy run";
    row.cells.push_back(std::move(cell));
  }
  return row;
}

// Display width of UTF-8 text: one column per code point (good enough for labels and names).
std::size_t display_width(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string pad(const std::string& text, std::size_t width) {
  const std::size_t w = display_width(text);
  return w >= width ? text : text + std::string(width - w, ' ');
}

std::string markdown_cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    if (c == '\n' || c == '\r') {
      out += ' ';
      continue;
    }
    out += c;
  }
  return out;
}

std::string html_escape(const std::string& text) { return svg::escape(text); }

// A table as rows of cells, the header first; the first column is left-aligned, the rest
// right-aligned (Markdown, HTML) or padded (text).
using Grid = std::vector<std::vector<std::string>>;

std::string grid_text(const Grid& grid) {
  std::vector<std::size_t> widths;
  for (const std::vector<std::string>& row : grid) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i)
      out += (i ? "  " : "") + pad(cells[i], widths[i]);
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  if (grid.empty()) return "";
  std::string out = line(grid.front());
  std::size_t total = 0;
  for (std::size_t i = 0; i < widths.size(); ++i) total += (i ? 2 : 0) + widths[i];
  out += std::string(total, '-') + "\n";
  for (std::size_t r = 1; r < grid.size(); ++r) out += line(grid[r]);
  return out;
}

std::string grid_markdown(const Grid& grid) {
  if (grid.empty()) return "";
  auto line = [](const std::vector<std::string>& cells) {
    std::string out = "|";
    for (const std::string& cell : cells) out += " " + markdown_cell(cell) + " |";
    return out + "\n";
  };
  std::string out = line(grid.front()) + "|---|";
  for (std::size_t i = 1; i < grid.front().size(); ++i) out += "---:|";
  out += "\n";
  for (std::size_t r = 1; r < grid.size(); ++r) out += line(grid[r]);
  return out;
}

std::string grid_html(const std::string& title, const std::string& note, const Grid& grid) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>" +
      html_escape(title) +
      "</title>\n<style>\n"
      "body{font-family:system-ui,sans-serif;margin:2em}\n"
      "table{border-collapse:collapse}\n"
      "th,td{border:1px solid #ccc;padding:4px 8px;text-align:right;white-space:nowrap}\n"
      "th:first-child,td:first-child{text-align:left}\n"
      "thead th{background:#f3f3f3}\n"
      "</style>\n</head>\n<body>\n<h1>" +
      html_escape(title) + "</h1>\n<p>" + html_escape(note) + "</p>\n<table>\n<thead><tr>";
  if (!grid.empty()) {
    for (const std::string& c : grid.front()) out += "<th>" + html_escape(c) + "</th>";
  }
  out += "</tr></thead>\n<tbody>\n";
  for (std::size_t r = 1; r < grid.size(); ++r) {
    out += "<tr>";
    for (const std::string& cell : grid[r]) out += "<td>" + html_escape(cell) + "</td>";
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n</body>\n</html>\n";
  return out;
}

Grid comparison_grid(const Comparison& comparison) {
  Grid grid;
  grid.push_back({"metric"});
  for (const std::string& c : comparison.columns) grid.back().push_back(c);
  for (const ComparisonRow& row : comparison.rows) {
    grid.push_back({row.metric});
    for (const std::string& cell : row.cells) grid.back().push_back(cell);
  }
  return grid;
}

Grid variant_grid(const VariantTable& table) {
  Grid grid;
  grid.push_back(table.columns);
  for (const VariantRow& row : table.rows) grid.push_back(row.cells);
  return grid;
}

// Two decimals, but three significant digits for ratios that two decimals would show as 0.00x
// (the reference kernels can be hundreds of times slower than the fast path).
std::string ratio_cell(const std::optional<double>& ratio) {
  if (!ratio) return "-";
  if (*ratio != 0 && std::fabs(*ratio) < 0.01) return fmt::format("{:.3g}x", *ratio);
  return fmt::format("{:.2f}x", *ratio);
}

// a / b when both are present, finite and b is not 0.
std::optional<double> ratio_of(const std::optional<double>& a, const std::optional<double>& b) {
  if (!a || !b || *b == 0 || !std::isfinite(*a) || !std::isfinite(*b)) return std::nullopt;
  return *a / *b;
}

std::optional<double> quality_number(const Record& r, const char* key) {
  if (!r.quality.is_object()) return std::nullopt;
  auto it = r.quality.find(key);
  if (it == r.quality.end() || !it->is_number()) return std::nullopt;
  const double v = it->get<double>();
  return std::isnan(v) ? std::nullopt : std::optional<double>(v);
}

}  // namespace

std::string format_figure(double value, const std::string& unit) {
  if (unit == "B") return format_bytes(value);
  if (unit.empty()) return format_number(value);
  if (unit == "/s") return format_number(value) + "/s";
  return fmt::format("{} {}", format_number(value), unit);
}

std::string format_headline(const std::string& metric, double value) {
  if (metric.empty()) return "-";
  std::string name = metric;
  const std::string unit = headline_unit(metric);
  if (unit == "ms") name.resize(name.size() - 3);
  if (unit == "/s") name.resize(name.size() - 6);
  if (std::isnan(value)) return name + " -";
  return name + " " + format_figure(value, unit);
}

Comparison compare_records(std::span<const Record> records) {
  Comparison c;
  for (const Record& r : records) c.columns.push_back(r.label.empty() ? r.id : r.label);
  if (records.empty()) return c;

  auto latency = [&](const char* name, double LatencyStats::*member) {
    c.rows.push_back(number_row(name, "ms", records, [member](const Record& r) {
      return std::optional<double>(r.timings.latency.*member);
    }));
  };
  auto figure = [&](const char* name, const char* unit, auto get) {
    c.rows.push_back(number_row(name, unit, records,
                                [get](const Record& r) { return std::optional<double>(get(r)); }));
  };

  c.rows.push_back(text_row("id", records, [](const Record& r) { return r.id; }));
  c.rows.push_back(text_row("model", records, [](const Record& r) { return r.model.name; }));
  c.rows.push_back(text_row("backend", records, [](const Record& r) { return r.backend.name; }));
  // The runtime is an axis of its own when the results differ in it (name, version, precision
  // or device): the same backend name may stand for different builds or settings.
  const auto runtime_key = [](const Record& r) {
    return fmt::format("{}|{}|{}|{}", runtime_field(r.backend, "name"),
                       runtime_field(r.backend, "version"), runtime_field(r.backend, "precision"),
                       runtime_field(r.backend, "device"));
  };
  if (std::any_of(records.begin(), records.end(),
                  [&](const Record& r) { return runtime_key(r) != runtime_key(records[0]); })) {
    const auto field = [](const char* key) {
      return [key](const Record& r) {
        const std::string v = runtime_field(r.backend, key);
        return v.empty() ? std::string("-") : v;
      };
    };
    c.rows.push_back(text_row("runtime", records, field("name")));
    c.rows.push_back(text_row("runtime version", records, field("version")));
    c.rows.push_back(text_row("precision", records, field("precision")));
    c.rows.push_back(text_row("device", records, field("device")));
  }
  c.rows.push_back(text_row("threads", records,
                            [](const Record& r) { return std::to_string(r.backend.threads); }));
  c.rows.push_back(text_row("scenario", records, [](const Record& r) { return r.scenario.name; }));
  c.rows.push_back(
      text_row("valid", records, [](const Record& r) { return r.valid ? "yes" : "no"; }));
  c.rows.push_back(text_row("noise", records, [](const Record& r) { return noise_text(r); }));
  c.rows.push_back(text_row("headline metric", records,
                            [](const Record& r) { return r.timings.headline_metric; }));
  const std::string& base_metric = records.front().timings.headline_metric;
  c.rows.push_back(number_row(
      "headline", headline_unit(base_metric), records,
      [](const Record& r) { return std::optional<double>(r.timings.headline_value); },
      [&base_metric](const Record& r) { return r.timings.headline_metric == base_metric; }));

  latency("p50", &LatencyStats::p50);
  c.rows.push_back(significance_row(records));
  latency("p90", &LatencyStats::p90);
  latency("p95", &LatencyStats::p95);
  latency("p99", &LatencyStats::p99);
  latency("p99.9", &LatencyStats::p999);
  latency("mean", &LatencyStats::mean);
  latency("std", &LatencyStats::std);
  latency("min", &LatencyStats::min);
  latency("max", &LatencyStats::max);
  figure("queries", "", [](const Record& r) { return double(r.timings.latency.count); });
  figure("queries/s", "/s", [](const Record& r) { return r.throughput.queries_per_s; });
  figure("samples/s", "/s", [](const Record& r) { return r.throughput.samples_per_s; });
  figure("init", "ms", [](const Record& r) { return r.timings.init_ms; });
  figure("first inference", "ms", [](const Record& r) { return r.timings.first_inference_ms; });
  figure("peak RSS", "B", [](const Record& r) { return double(r.memory.peak_rss_bytes); });
  figure("arena", "B", [](const Record& r) { return double(r.memory.arena_bytes); });
  figure("CPU user", "s", [](const Record& r) { return r.cpu.user_s; });
  figure("CPU system", "s", [](const Record& r) { return r.cpu.system_s; });
  c.rows.push_back(number_row("energy", "J", records, [](const Record& r) {
    return r.energy.available ? std::optional<double>(r.energy.joules) : std::nullopt;
  }));

  std::set<std::string> quality_keys;
  for (const Record& r : records) {
    if (!r.quality.is_object()) continue;
    for (const auto& [key, value] : r.quality.items()) {
      if (value.is_number()) quality_keys.insert(key);
    }
  }
  for (const std::string& key : quality_keys) {
    c.rows.push_back(
        number_row("quality." + key, "", records, [&key](const Record& r) -> std::optional<double> {
          if (!r.quality.is_object()) return std::nullopt;
          auto it = r.quality.find(key);
          if (it == r.quality.end() || !it->is_number()) {
            return std::nullopt;
          }
          return it->get<double>();
        }));
  }
  return c;
}

std::string comparison_text(const Comparison& comparison) {
  return grid_text(comparison_grid(comparison));
}

std::string comparison_markdown(const Comparison& comparison) {
  return grid_markdown(comparison_grid(comparison));
}

std::string comparison_html(const Comparison& comparison) {
  return grid_html("edgebench comparison",
                   "Ratios are against the first result. Percentiles: nearest-rank on sorted "
                   "latencies.",
                   comparison_grid(comparison));
}

VariantTable variant_table(std::span<const Record> records) {
  VariantTable table;
  table.columns = {"variant", "size", "quality", "p50", "speedup", "size ratio"};
  for (const Record& r : records) {
    VariantRow row;
    if (!r.label.empty()) {
      row.name = r.label;
    } else if (!r.model.path.empty()) {
      row.name = std::filesystem::path(r.model.path).filename().string();
    } else {
      row.name = r.model.name;
    }
    if (r.model.file_bytes > 0) row.file_bytes = static_cast<double>(r.model.file_bytes);
    if (auto top1 = quality_number(r, "top1")) {
      row.quality_metric = "top1";
      row.quality = top1;
    } else if (auto mse = quality_number(r, "mse")) {
      row.quality_metric = "mse";
      row.quality = mse;
    }
    if (r.timings.latency.count > 0 && std::isfinite(r.timings.latency.p50)) {
      row.p50_ms = r.timings.latency.p50;
    }
    table.rows.push_back(std::move(row));
  }
  if (table.rows.empty()) return table;
  const VariantRow& first = table.rows.front();
  const std::optional<double> base_p50 = first.p50_ms, base_bytes = first.file_bytes;
  for (VariantRow& row : table.rows) {
    row.speedup = ratio_of(base_p50, row.p50_ms);
    row.size_ratio = ratio_of(row.file_bytes, base_bytes);
    std::string quality = "-";
    if (row.quality_metric == "top1") quality = fmt::format("{:.2f}%", 100.0 * *row.quality);
    if (row.quality_metric == "mse") quality = "mse " + format_number(*row.quality);
    row.cells = {row.name,
                 row.file_bytes ? format_figure(*row.file_bytes, "B") : "-",
                 quality,
                 row.p50_ms ? format_figure(*row.p50_ms, "ms") : "-",
                 ratio_cell(row.speedup),
                 ratio_cell(row.size_ratio)};
  }
  return table;
}

std::string variant_table_text(const VariantTable& table) { return grid_text(variant_grid(table)); }

std::string variant_table_markdown(const VariantTable& table) {
  return grid_markdown(variant_grid(table));
}

std::string variant_table_html(const VariantTable& table) {
  return grid_html("edgebench variants",
                   "Speedup: the first row's p50 over this row's. Size ratio: this model file "
                   "over the first's. Percentiles: nearest-rank on sorted latencies.",
                   variant_grid(table));
}

}  // namespace edgebench::results
