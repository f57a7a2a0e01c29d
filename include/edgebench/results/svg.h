// Small, dependency-free SVG charts for reports: scatter/line charts with nice ticks, bar
// charts, histograms and heat maps. Every chart has axes with tick labels and axis titles (with
// units), and a legend when it has several series. Text is XML-escaped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace edgebench::results::svg {

std::string escape(std::string_view text);

// "Nice" tick values (1, 2 or 5 times a power of ten) covering [lo, hi], about `count` of them.
std::vector<double> nice_ticks(double lo, double hi, int count = 5);
// A tick label: no trailing zeros, SI suffixes (k, M, G) for large values.
std::string format_tick(double value);

struct Axis {
  std::string title;  // with its unit, e.g. "p50 latency (ms)"
  bool log = false;   // base-10 log scale (values <= 0 are dropped)
};

struct Series {
  std::string name;
  std::vector<double> x, y;
  std::vector<std::string> labels;  // optional, one per point (shown as tooltips)
  bool lines = true;                // join the points (in the given order)
  bool markers = true;
  bool dashed = false;
};

struct Chart {
  std::string title;
  Axis x, y;
  std::vector<Series> series;
  int width = 640;
  int height = 360;
};

std::string xy_chart(const Chart& chart);

// One group of bars per category, one bar per series name within the group.
struct BarChart {
  std::string title;
  std::string y_title;
  std::vector<std::string> categories;
  std::vector<std::string> series_names;
  std::vector<std::vector<double>> values;  // [series][category]; NaN: no bar
  int width = 720;
  int height = 360;
};
std::string bar_chart(const BarChart& chart);

// A histogram of `values` in `bins` equal bins.
std::string histogram(const std::string& title, const std::string& x_title,
                      const std::vector<double>& values, int bins = 40, int width = 480,
                      int height = 260);

// A square matrix as a heat map with counts in the cells (rows: true, columns: predicted).
std::string heat_map(const std::string& title, const std::vector<std::vector<double>>& matrix,
                     const std::vector<std::string>& labels, int cell = 34);

}  // namespace edgebench::results::svg
