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

namespace edgebench::results {
namespace {

Record variant(const std::string& label, const std::string& path, std::uint64_t bytes, double p50) {
  Record r = testing::minimal_record();
  r.label = label;
  r.model.path = path;
  r.model.file_bytes = bytes;
  r.timings.latency.count = 10;
  r.timings.latency.p50 = p50;
  return r;
}

TEST(ResultsVariantTable, OneRowPerResultWithRatiosAgainstTheFirst) {
  Record fp32 = variant("fp32", "/m/model.onnx", 4 * 1024 * 1024, 12.0);
  fp32.quality = {{"top1", 0.9175}, {"mse", 0.5}};
  Record int8 = variant("", "/m/model_int8.onnx", 1024 * 1024, 4.0);
  int8.quality = {{"mse", 0.0123}};
  Record unknown = variant("old", "/m/x.onnx", 0, 24.0);  // no file size, no quality
  const std::vector<Record> records = {fp32, int8, unknown};

  const VariantTable t = variant_table(records);
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.columns, (std::vector<std::string>{"variant", "size", "quality", "p50", "speedup",
                                                 "size ratio"}));
  // First row: everything 1x; top1 wins over mse.
  EXPECT_EQ(t.rows[0].name, "fp32");
  EXPECT_EQ(t.rows[0].quality_metric, "top1");
  EXPECT_DOUBLE_EQ(*t.rows[0].speedup, 1.0);
  EXPECT_EQ(t.rows[0].cells,
            (std::vector<std::string>{"fp32", "4.00 MiB", "91.75%", "12 ms", "1.00x", "1.00x"}));
  // No label: the model's file name. Speedup 12 / 4 = 3; size 1/4.
  EXPECT_EQ(t.rows[1].name, "model_int8.onnx");
  EXPECT_EQ(t.rows[1].quality_metric, "mse");
  EXPECT_DOUBLE_EQ(*t.rows[1].speedup, 3.0);
  EXPECT_DOUBLE_EQ(*t.rows[1].size_ratio, 0.25);
  EXPECT_EQ(t.rows[1].cells, (std::vector<std::string>{"model_int8.onnx", "1.00 MiB", "mse 0.0123",
                                                       "4 ms", "3.00x", "0.25x"}));
  // Unknown size and quality show as "-"; speedup 12 / 24.
  EXPECT_FALSE(t.rows[2].file_bytes);
  EXPECT_FALSE(t.rows[2].size_ratio);
  EXPECT_EQ(t.rows[2].cells, (std::vector<std::string>{"old", "-", "-", "24 ms", "0.50x", "-"}));
}

TEST(ResultsVariantTable, NoLatenciesNoSpeedup) {
  Record a = variant("a", "/a.onnx", 100, 0.0);
  a.timings.latency.count = 0;
  const std::vector<Record> records = {a, variant("b", "/b.onnx", 200, 5.0)};
  const VariantTable t = variant_table(records);
  EXPECT_FALSE(t.rows[0].p50_ms);
  EXPECT_FALSE(t.rows[1].speedup);
  EXPECT_DOUBLE_EQ(*t.rows[1].size_ratio, 2.0);
  EXPECT_TRUE(variant_table({}).rows.empty());
}

TEST(ResultsVariantTable, SmallRatiosKeepThreeDigits) {
  const std::vector<Record> records = {variant("fast", "/a.onnx", 1000, 0.05),
                                       variant("slow", "/b.onnx", 1, 23.4)};
  const VariantTable t = variant_table(records);
  EXPECT_EQ(t.rows[1].cells[4], "0.00214x");  // 0.05 / 23.4
  EXPECT_EQ(t.rows[1].cells[5], "0.001x");    // 1 / 1000
}

TEST(ResultsVariantTable, TextMarkdownAndHtml) {
  const std::vector<Record> records = {variant("fp32 | base", "/a.onnx", 2048, 10.0),
                                       variant("<int8>", "/b.onnx", 1024, 5.0)};
  const VariantTable t = variant_table(records);
  const std::string text = variant_table_text(t);
  EXPECT_THAT(text, HasSubstr("variant"));
  EXPECT_THAT(text, HasSubstr("size ratio"));
  EXPECT_THAT(text, HasSubstr("2.00x"));
  EXPECT_THAT(text, HasSubstr("0.50x"));
  // One header, one rule, one line per result.
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4);
  const std::string markdown = variant_table_markdown(t);
  EXPECT_THAT(markdown, HasSubstr("| variant | size | quality | p50 | speedup | size ratio |"));
  EXPECT_THAT(markdown, HasSubstr("fp32 \\| base"));
  EXPECT_THAT(markdown, HasSubstr("|---|---:|---:|---:|---:|---:|"));
  const std::string html = variant_table_html(t);
  EXPECT_THAT(html, HasSubstr("&lt;int8&gt;"));
  EXPECT_THAT(html, HasSubstr("<th>speedup</th>"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
}

}  // namespace
}  // namespace edgebench::results
