#include "edgebench/results/svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace edgebench::results::svg {

namespace {

// A colour-blind-safe palette (Okabe-Ito), cycled.
constexpr const char* kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                    "#CC79A7", "#56B4E9", "#F0E442", "#000000"};
constexpr int kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);

const char* colour(std::size_t i) { return kPalette[i % kPaletteSize]; }

// Plot area margins: room for tick labels, axis titles and a legend on the right.
struct Frame {
  double left = 70, right = 20, top = 34, bottom = 52;
};

struct Scale {
  double lo = 0, hi = 1;
  double from = 0, to = 1;  // pixels
  bool log = false;
  double operator()(double v) const {
    const double a = log ? std::log10(lo) : lo;
    const double b = log ? std::log10(hi) : hi;
    const double t = log ? std::log10(v) : v;
    if (b == a) return (from + to) / 2;
    return from + (t - a) / (b - a) * (to - from);
  }
};

std::string header(int width, int height, const std::string& title) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" "
      "height=\"{1}\" font-family=\"sans-serif\" font-size=\"11\" role=\"img\">"
      "<title>{2}</title><rect width=\"{0}\" height=\"{1}\" fill=\"#ffffff\"/>"
      "<text x=\"{3}\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" "
      "font-weight=\"bold\">{2}</text>",
      width, height, escape(title), width / 2);
}

void range_of(const std::vector<double>& values, bool log, double& lo, double& hi) {
  for (double v : values) {
    if (!std::isfinite(v) || (log && v <= 0)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
}

std::vector<double> log_ticks(double lo, double hi) {
  std::vector<double> ticks;
  for (double p = std::floor(std::log10(lo)); p <= std::ceil(std::log10(hi)); p += 1) {
    ticks.push_back(std::pow(10.0, p));
  }
  return ticks;
}

// Axes, grid lines, tick labels and titles for a plot area.
std::string axes(const Scale& sx, const Scale& sy, const std::vector<double>& xt,
                 const std::vector<double>& yt, const std::string& x_title,
                 const std::string& y_title, int width, int height, const Frame& f) {
  std::string out = "<g class=\"axes\" stroke=\"#999\" stroke-width=\"1\">";
  for (double t : yt) {
    const double y = sy(t);
    out += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#e5e5e5\"/>",
        f.left, y, width - f.right, y);
    out += fmt::format(
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\" stroke=\"none\" fill=\"#333\">{}"
        "</text>",
        f.left - 6, y + 4, format_tick(t));
  }
  for (double t : xt) {
    const double x = sx(t);
    out += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#e5e5e5\"/>", x,
        f.top, x, height - f.bottom);
    out += fmt::format(
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" stroke=\"none\" fill=\"#333\">{}"
        "</text>",
        x, height - f.bottom + 16, format_tick(t));
  }
  out += fmt::format(
      "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#333\"/>"
      "<line x1=\"{0:.1f}\" y1=\"{2:.1f}\" x2=\"{3:.1f}\" y2=\"{2:.1f}\" stroke=\"#333\"/>",
      f.left, f.top, height - f.bottom, width - f.right);
  out += "</g>";
  out +=
      fmt::format("<text class=\"x-title\" x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                  (f.left + width - f.right) / 2, height - 10, escape(x_title));
  out += fmt::format(
      "<text class=\"y-title\" transform=\"translate(16 {:.1f}) rotate(-90)\" "
      "text-anchor=\"middle\">{}</text>",
      (f.top + height - f.bottom) / 2, escape(y_title));
  return out;
}

std::string legend(const std::vector<std::string>& names, double x, double y) {
  std::string out = "<g class=\"legend\">";
  for (std::size_t i = 0; i < names.size(); ++i) {
    const double yy = y + 16.0 * static_cast<double>(i);
    out += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"10\" height=\"10\" fill=\"{}\"/>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>",
        x, yy - 9, colour(i), x + 14, yy, escape(names[i]));
  }
  return out + "</g>";
}

// The legend goes below the plot, one entry a line, so that long series names stay whole.
double legend_height(const std::vector<std::string>& names) {
  return names.empty() ? 0.0 : 8.0 + 16.0 * static_cast<double>(names.size());
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::vector<double> nice_ticks(double lo, double hi, int count) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {};
  if (hi < lo) std::swap(lo, hi);
  if (hi == lo) {
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / std::max(1, count);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  for (double t = std::floor(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
    if (ticks.size() > 50) break;
  }
  if (!ticks.empty() && ticks.back() < hi) ticks.push_back(ticks.back() + step);
  return ticks;
}

std::string format_tick(double value) {
  const double a = std::abs(value);
  auto trim = [](std::string s) {
    if (s.find('.') != std::string::npos) {
      while (!s.empty() && s.back() == '0') s.pop_back();
      if (!s.empty() && s.back() == '.') s.pop_back();
    }
    return s;
  };
  if (a >= 1e9) return trim(fmt::format("{:.2f}", value / 1e9)) + "G";
  if (a >= 1e6) return trim(fmt::format("{:.2f}", value / 1e6)) + "M";
  if (a >= 1e4) return trim(fmt::format("{:.2f}", value / 1e3)) + "k";
  if (a == 0) return "0";
  if (a < 1e-3) return fmt::format("{:.1e}", value);
  return trim(fmt::format("{:.4f}", value));
}

std::string xy_chart(const Chart& chart) {
  Frame f;
  std::vector<std::string> names;
  for (const Series& s : chart.series) {
    if (!s.name.empty()) names.push_back(s.name);
  }
  const int height = chart.height + static_cast<int>(legend_height(names));
  double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo;
  double ylo = xlo, yhi = -xlo;
  for (const Series& s : chart.series) {
    range_of(s.x, chart.x.log, xlo, xhi);
    range_of(s.y, chart.y.log, ylo, yhi);
  }
  std::string out = header(chart.width, height, chart.title);
  if (!std::isfinite(xlo) || !std::isfinite(ylo)) {
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">no data</text></svg>",
                       chart.width / 2, chart.height / 2);
    return out;
  }
  if (!chart.y.log) ylo = std::min(ylo, 0.0);  // linear y axes start at zero
  std::vector<double> xt = chart.x.log ? log_ticks(xlo, xhi) : nice_ticks(xlo, xhi);
  std::vector<double> yt = chart.y.log ? log_ticks(ylo, yhi) : nice_ticks(ylo, yhi);
  Scale sx{xt.front(), xt.back(), f.left, chart.width - f.right, chart.x.log};
  Scale sy{yt.front(), yt.back(), chart.height - f.bottom, f.top, chart.y.log};
  out += axes(sx, sy, xt, yt, chart.x.title, chart.y.title, chart.width, chart.height, f);
  for (std::size_t i = 0; i < chart.series.size(); ++i) {
    const Series& s = chart.series[i];
    std::string points;
    std::string markers;
    for (std::size_t k = 0; k < s.x.size() && k < s.y.size(); ++k) {
      if (!std::isfinite(s.x[k]) || !std::isfinite(s.y[k])) continue;
      if ((chart.x.log && s.x[k] <= 0) || (chart.y.log && s.y[k] <= 0)) continue;
      const double x = sx(s.x[k]), y = sy(s.y[k]);
      points += fmt::format("{:.1f},{:.1f} ", x, y);
      if (s.markers) {
        const std::string tip = k < s.labels.size() ? s.labels[k] : s.name;
        markers += fmt::format(
            "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"><title>{} ({}, {})</title>"
            "</circle>",
            x, y, colour(i), escape(tip), format_tick(s.x[k]), format_tick(s.y[k]));
      }
    }
    out += fmt::format("<g class=\"series\" data-series=\"{}\">", escape(s.name));
    if (s.lines && !points.empty()) {
      out += fmt::format(
          "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"{} points=\"{}\"/>", colour(i),
          s.dashed ? " stroke-dasharray=\"5 3\"" : "", points);
    }
    out += markers + "</g>";
  }
  out += legend(names, f.left, chart.height + 8);
  return out + "</svg>";
}

std::string bar_chart(const BarChart& chart) {
  Frame f;
  f.bottom += 20;
  const int height = chart.height + static_cast<int>(legend_height(chart.series_names));
  double hi = 0;
  for (const auto& row : chart.values) {
    for (double v : row) {
      if (std::isfinite(v)) hi = std::max(hi, v);
    }
  }
  std::string out = header(chart.width, height, chart.title);
  std::vector<double> yt = nice_ticks(0, hi > 0 ? hi : 1);
  Scale sy{yt.front(), yt.back(), chart.height - f.bottom, f.top, false};
  const double plot_w = chart.width - f.left - f.right;
  const double group_w =
      plot_w / static_cast<double>(std::max<std::size_t>(1, chart.categories.size()));
  const std::size_t n = std::max<std::size_t>(1, chart.series_names.size());
  const double bar_w = group_w * 0.8 / static_cast<double>(n);
  Scale none{0, 1, f.left, chart.width - f.right, false};
  out += axes(none, sy, {}, yt, "", chart.y_title, chart.width, chart.height, f);
  for (std::size_t c = 0; c < chart.categories.size(); ++c) {
    const double gx = f.left + group_w * static_cast<double>(c);
    for (std::size_t s = 0; s < chart.values.size(); ++s) {
      if (c >= chart.values[s].size() || !std::isfinite(chart.values[s][c])) continue;
      const double v = chart.values[s][c];
      const double x = gx + group_w * 0.1 + bar_w * static_cast<double>(s);
      const double y = sy(v);
      out += fmt::format(
          "<rect class=\"bar\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
          "fill=\"{}\"><title>{} / {}: {}</title></rect>",
          x, y, std::max(1.0, bar_w - 1), std::max(0.0, sy(0) - y), colour(s),
          escape(chart.categories[c]),
          escape(s < chart.series_names.size() ? chart.series_names[s] : ""), format_tick(v));
    }
    std::string label = chart.categories[c];
    if (label.size() > 24) label = label.substr(0, 22) + "..";
    out += fmt::format(
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\" transform=\"rotate(-20 {:.1f} "
        "{:.1f})\">{}</text>",
        gx + group_w / 2, chart.height - f.bottom + 14, gx + group_w / 2,
        chart.height - f.bottom + 14, escape(label));
  }
  out += legend(chart.series_names, f.left, chart.height + 8);
  return out + "</svg>";
}

std::string histogram(const std::string& title, const std::string& x_title,
                      const std::vector<double>& values, int bins, int width, int height) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  range_of(values, false, lo, hi);
  std::string out = header(width, height, title);
  if (!std::isfinite(lo)) {
    return out + fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">no data</text></svg>",
                             width / 2, height / 2);
  }
  if (hi == lo) hi = lo + std::max(1e-6, std::abs(lo) * 0.01);
  bins = std::max(1, bins);
  std::vector<double> counts(static_cast<std::size_t>(bins), 0.0);
  const double w = (hi - lo) / bins;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    auto b = static_cast<std::size_t>(std::clamp((v - lo) / w, 0.0, bins - 1.0));
    counts[b] += 1;
  }
  Frame f;
  const double top = *std::max_element(counts.begin(), counts.end());
  std::vector<double> xt = nice_ticks(lo, hi);
  std::vector<double> yt = nice_ticks(0, top);
  Scale sx{std::min(xt.front(), lo), std::max(xt.back(), hi), f.left, width - f.right, false};
  Scale sy{yt.front(), yt.back(), height - f.bottom, f.top, false};
  std::vector<double> xt_in;
  for (double t : xt) {
    if (t >= sx.lo && t <= sx.hi) xt_in.push_back(t);
  }
  out += axes(sx, sy, xt_in, yt, x_title, "queries", width, height, f);
  for (int b = 0; b < bins; ++b) {
    const double x0 = sx(lo + w * b), x1 = sx(lo + w * (b + 1));
    const double y = sy(counts[static_cast<std::size_t>(b)]);
    out += fmt::format(
        "<rect class=\"bar\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
        "fill=\"{}\"/>",
        x0, y, std::max(0.5, x1 - x0 - 0.5), std::max(0.0, sy(0) - y), colour(0));
  }
  return out + "</svg>";
}

std::string heat_map(const std::string& title, const std::vector<std::vector<double>>& matrix,
                     const std::vector<std::string>& labels, int cell) {
  const int n = static_cast<int>(matrix.size());
  const int left = 110, top = 110;
  const int width = left + cell * n + 20, height = top + cell * n + 40;
  std::string out = header(width, height, title);
  double hi = 0;
  for (const auto& row : matrix) {
    for (double v : row) hi = std::max(hi, v);
  }
  for (int r = 0; r < n; ++r) {
    for (int c = 0; c < n && c < static_cast<int>(matrix[r].size()); ++c) {
      const double v = matrix[r][c];
      const double t = hi > 0 ? v / hi : 0;
      // White to the palette's blue; the text turns white on dark cells.
      const int red = static_cast<int>(255 - t * (255 - 0x00));
      const int green = static_cast<int>(255 - t * (255 - 0x72));
      const int blue = static_cast<int>(255 - t * (255 - 0xB2));
      out += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"rgb({},{},{})\" "
          "stroke=\"#ddd\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\" "
          "fill=\"{}\">{}</text>",
          left + c * cell, top + r * cell, cell, cell, red, green, blue, left + c * cell + cell / 2,
          top + r * cell + cell / 2 + 4, t > 0.55 ? "#fff" : "#222", format_tick(v));
    }
  }
  for (int i = 0; i < n; ++i) {
    std::string label = i < static_cast<int>(labels.size()) ? labels[i] : std::to_string(i);
    if (label.size() > 14) label = label.substr(0, 13) + ".";
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", left - 6,
                       top + i * cell + cell / 2 + 4, escape(label));
    out += fmt::format(
        "<text x=\"{0}\" y=\"{1}\" text-anchor=\"start\" transform=\"rotate(-45 {0} {1})\">{2}"
        "</text>",
        left + i * cell + cell / 2, top - 6, escape(label));
  }
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">predicted class</text>",
                     left + cell * n / 2, height - 12);
  out += fmt::format(
      "<text transform=\"translate(14 {}) rotate(-90)\" text-anchor=\"middle\">true class</text>",
      top + cell * n / 2);
  return out + "</svg>";
}

}  // namespace edgebench::results::svg
