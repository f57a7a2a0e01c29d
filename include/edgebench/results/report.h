// Reports over stored results: one self-contained HTML page (inline SVG plots, no network
// access needed to open it) or Markdown with the plots as SVG files beside it.
//
// Sections, each present when the records have what it needs: a table of every run (each id
// links to the record's JSON), failed experiment cells with their errors, per-run latency
// histograms and latency over time, sweep curves (latency and memory against MACs, with the
// on-chip/off-chip parameter split for modelled accelerators), comparison bars across backends
// and variants, one model across runtimes (latency and quality side by side, for a model
// measured on two or more runtimes), accuracy against latency with the Pareto front, confusion
// matrices, and an efficiency rating table.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/results/result.h"

namespace edgebench::results {

// Efficiency ratings in the manner of the USB-accelerator study's rating tables: for each
// environment (host CPU + backend), every metric is scaled against the reference model's value
// in that environment (higher is better: reference / value for latency, memory and energy,
// value / reference for throughput and accuracy); the grades A-E come from the quintile
// boundaries of the scaled values over all rated runs; the compound index is the weighted mean
// of the scaled metrics a run has (weights renormalised over them) and is graded the same way.
struct RatingOptions {
  std::map<std::string, double> weights = {
      {"latency", 0.4}, {"throughput", 0.0}, {"memory", 0.2}, {"energy", 0.1}, {"accuracy", 0.3}};
  std::string reference_model;  // empty: in each environment, the first model by name
};

struct RatingRow {
  std::string id;
  std::string model;
  std::string variant;
  std::string environment;
  std::map<std::string, double> raw;     // metric -> measured value
  std::map<std::string, double> scaled;  // metric -> index against the reference (1 = same)
  std::map<std::string, char> grades;    // metric -> 'A'..'E'
  double compound = 0;
  char compound_grade = 'C';
};

// Parses "latency=0.5,memory=0.2,accuracy=0.3" (metrics: latency, throughput, memory, energy,
// accuracy; weights >= 0, not all zero).
Result<std::map<std::string, double>> parse_weights(const std::string& text);

// The grade of `value` among `population` (higher is better), from the quintile boundaries of
// the population: A in the top fifth, E in the bottom fifth (mid-rank for ties).
char grade(double value, std::vector<double> population);

std::vector<RatingRow> efficiency_ratings(const std::vector<Record>& records,
                                          const RatingOptions& options);

// Indices of the points on the Pareto front when lower x (latency) and higher y (accuracy) are
// better, ordered by x.
std::vector<std::size_t> pareto_front(const std::vector<std::pair<double, double>>& points);

struct ReportOptions {
  std::string title = "edgebench report";
  std::string db_path;  // named in the page, for `edgebench results show ID --db ...`
  RatingOptions rating;
  std::size_t max_runs = 24;           // runs with per-run plots (the newest)
  std::size_t max_plot_points = 2000;  // latency-over-time points per run (evenly thinned)
};

// The HTML page. Every plot is a <figure class="eb-plot" data-plot="KIND"> holding one <svg>.
std::string render_html(const std::vector<Record>& records, const ReportOptions& options);

// Markdown; each plot is written into `figures` as (file name, SVG text) and linked as
// `figures_dir/NAME.svg`.
std::string render_markdown(const std::vector<Record>& records, const ReportOptions& options,
                            const std::string& figures_dir,
                            std::vector<std::pair<std::string, std::string>>& figures);

}  // namespace edgebench::results
