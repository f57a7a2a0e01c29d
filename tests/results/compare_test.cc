#include "edgebench/results/compare.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "results/results_test_util.h"

namespace edgebench::results {
namespace {

using testing::full_record;
using ::testing::HasSubstr;
using testing::minimal_record;
using ::testing::Not;

const ComparisonRow& row_named(const Comparison& c, const std::string& metric) {
  auto it = std::find_if(c.rows.begin(), c.rows.end(),
                         [&](const ComparisonRow& r) { return r.metric == metric; });
  EXPECT_NE(it, c.rows.end()) << metric;
  static const ComparisonRow kEmpty;
  return it == c.rows.end() ? kEmpty : *it;
}

std::vector<Record> two_results() {
  Record a = full_record(0);
  a.label = "fp32";
  a.timings.latency.p50 = 12.3;
  Record b = full_record(2);
  b.label = "";
  b.timings.latency.p50 = 6.15;
  b.memory.peak_rss_bytes = a.memory.peak_rss_bytes * 2;
  b.energy.available = false;
  b.quality = {{"top1", 0.70}, {"mse", 0.01}};
  return {a, b};
}

TEST(ResultsCompare, RatiosAgainstTheFirst) {
  const std::vector<Record> records = two_results();
  const Comparison c = compare_records(records);
  ASSERT_EQ(c.columns.size(), 2u);
  EXPECT_EQ(c.columns[0], "fp32");
  EXPECT_EQ(c.columns[1], records[1].id);  // no label: the id

  const ComparisonRow& p50 = row_named(c, "p50");
  EXPECT_EQ(p50.unit, "ms");
  ASSERT_EQ(p50.cells.size(), 2u);
  EXPECT_EQ(p50.cells[0], "12.3 ms (1.00x)");
  EXPECT_EQ(p50.cells[1], "6.15 ms (0.50x)");
  EXPECT_DOUBLE_EQ(*p50.ratios[1], 0.5);

  const ComparisonRow& rss = row_named(c, "peak RSS");
  EXPECT_EQ(rss.cells[0], "117.74 MiB (1.00x)");
  EXPECT_EQ(rss.cells[1], "235.48 MiB (2.00x)");

  // Energy measured only in the first: absent in the second, never 0.
  const ComparisonRow& energy = row_named(c, "energy");
  EXPECT_EQ(energy.cells[0], "42.5 J (1.00x)");
  EXPECT_EQ(energy.cells[1], "-");
  EXPECT_FALSE(energy.values[1].has_value());

  // Quality: the union of numeric members; the confusion matrix is not a figure.
  const ComparisonRow& top1 = row_named(c, "quality.top1");
  EXPECT_EQ(top1.cells[0], "0.715 (1.00x)");
  EXPECT_EQ(top1.cells[1], "0.7 (0.98x)");
  const ComparisonRow& mse = row_named(c, "quality.mse");
  EXPECT_EQ(mse.cells[0], "-");
  EXPECT_EQ(mse.cells[1], "0.01");  // no ratio without a base
  for (const ComparisonRow& r : c.rows) EXPECT_NE(r.metric, "quality.confusion");

  EXPECT_EQ(row_named(c, "backend").cells[1], "native");
  EXPECT_EQ(row_named(c, "valid").cells[0], "yes");
  EXPECT_EQ(row_named(c, "valid").cells[1], "yes");
  EXPECT_EQ(row_named(c, "queries/s").cells[0], "438/s (1.00x)");
}

TEST(ResultsCompare, HeadlineRatiosOnlyForTheSameMetric) {
  Record a = minimal_record();
  a.timings.headline_metric = "p90_ms";
  a.timings.headline_value = 10;
  Record b = a;
  b.timings.headline_value = 20;
  Record c = a;
  c.timings.headline_metric = "samples_per_s";
  c.timings.headline_value = 500;
  const std::vector<Record> records = {a, b, c};
  const Comparison cmp = compare_records(records);
  const ComparisonRow& headline = row_named(cmp, "headline");
  EXPECT_EQ(headline.cells[0], "10 ms (1.00x)");
  EXPECT_EQ(headline.cells[1], "20 ms (2.00x)");
  EXPECT_FALSE(headline.ratios[2].has_value());
  EXPECT_EQ(row_named(cmp, "headline metric").cells[2], "samples_per_s");
}

TEST(ResultsCompare, ZeroBaseGivesNoRatio) {
  Record a = minimal_record();
  Record b = minimal_record();
  b.memory.arena_bytes = 1024;
  const std::vector<Record> records = {a, b};
  const Comparison c = compare_records(records);
  const ComparisonRow& arena = row_named(c, "arena");
  EXPECT_EQ(arena.cells[0], "0 B");
  EXPECT_EQ(arena.cells[1], "1.00 KiB");
}

TEST(ResultsCompare, FigureFormatting) {
  EXPECT_EQ(format_figure(12.345, "ms"), "12.3 ms");
  EXPECT_EQ(format_figure(0.012345, "ms"), "0.0123 ms");
  EXPECT_EQ(format_figure(123456.7, "ms"), "123457 ms");
  EXPECT_EQ(format_figure(999.4, ""), "999");
  EXPECT_EQ(format_figure(1500, "/s"), "1500/s");
  EXPECT_EQ(format_figure(3.25 * 1024 * 1024, "B"), "3.25 MiB");
  EXPECT_EQ(format_figure(100, "B"), "100 B");
  EXPECT_EQ(format_figure(1.5, "s"), "1.5 s");
}

TEST(ResultsCompare, HeadlineFormatting) {
  EXPECT_EQ(format_headline("p90_ms", 12.34), "p90 12.3 ms");
  EXPECT_EQ(format_headline("samples_per_s", 1234.4), "samples 1234/s");
  EXPECT_EQ(format_headline("top1", 0.5), "top1 0.5");
  EXPECT_EQ(format_headline("p99_ms", std::nan("")), "p99 -");
  EXPECT_EQ(format_headline("", 1), "-");
}

TEST(ResultsCompare, TextMarkdownAndHtml) {
  std::vector<Record> records = two_results();
  records[0].label = "a|b <x> & \"y\"";
  const Comparison c = compare_records(records);

  const std::string text = comparison_text(c);
  EXPECT_THAT(text, HasSubstr("metric"));
  const std::size_t p50_at = text.find("\np50 ") + 1;
  const std::string p50_line = text.substr(p50_at, text.find('\n', p50_at) - p50_at);
  EXPECT_THAT(p50_line,
              ::testing::MatchesRegex("p50 +12\\.3 ms \\(1\\.00x\\) +6\\.15 ms \\(0\\.50x\\)"));
  // Columns line up: every p50 figure starts where its header does.
  const std::size_t header_col = text.find("a|b");
  const std::size_t line_start = text.find("\np50 ") + 1;
  EXPECT_EQ(text.find("12.3 ms", line_start) - line_start, header_col);

  const std::string md = comparison_markdown(c);
  EXPECT_THAT(md, HasSubstr("| metric | a\\|b <x> & \"y\" | "));
  EXPECT_THAT(md, HasSubstr("|---|---:|---:|"));
  EXPECT_THAT(md, HasSubstr("| p50 | 12.3 ms (1.00x) | 6.15 ms (0.50x) |"));

  const std::string html = comparison_html(c);
  EXPECT_THAT(html, HasSubstr("<th>a|b &lt;x&gt; &amp; &quot;y&quot;</th>"));
  EXPECT_THAT(html, Not(HasSubstr("<x>")));
  EXPECT_THAT(html, HasSubstr("<td>p50</td><td>12.3 ms (1.00x)</td>"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("http")));
}

TEST(ResultsCompare, EmptyInput) {
  const Comparison c = compare_records({});
  EXPECT_TRUE(c.columns.empty());
  EXPECT_TRUE(c.rows.empty());
  EXPECT_THAT(comparison_markdown(c), HasSubstr("| metric |"));
}

}  // namespace
}  // namespace edgebench::results
