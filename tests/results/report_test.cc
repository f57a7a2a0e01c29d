// Report rendering: the Pareto front, quantile grades, efficiency ratings, weights, SVG ticks,
// and the HTML page (plots present, names escaped).
#include "edgebench/results/report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <string_view>

#include "edgebench/results/svg.h"

namespace {

using namespace edgebench::results;

// What a page would fetch from another host when opened: the values of src=, href=, srcset=,
// action=, poster= and data= attributes, CSS url(...) and @import, that name a scheme other
// than data: or a protocol-relative //host. Namespace names (xmlns="http://www.w3.org/...") are
// identifiers, never fetched, and are not looked at.
std::vector<std::string> external_loads(std::string_view html) {
  std::string lower(html);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::vector<std::string> found;
  const auto check_value = [&](std::size_t at, std::string_view what) {
    while (at < lower.size() &&
           (lower[at] == ' ' || lower[at] == '"' || lower[at] == '\'' || lower[at] == '(')) {
      ++at;
    }
    const std::string_view value = std::string_view(lower).substr(at, 64);
    const bool remote = value.starts_with("http:") || value.starts_with("https:") ||
                        value.starts_with("//") || value.starts_with("ftp:") ||
                        value.starts_with("ws:") || value.starts_with("wss:");
    if (remote) found.push_back(std::string(what) + std::string(html.substr(at, 64)));
  };
  for (std::string_view attribute : {"src=", "href=", "srcset=", "action=", "poster=", "data="}) {
    for (std::size_t at = lower.find(attribute); at != std::string::npos;
         at = lower.find(attribute, at + 1)) {
      // Only whole attribute names: "xlink:href=" counts, "data-plot=" does not match "data=".
      const char before = at == 0 ? ' ' : lower[at - 1];
      if (std::isalnum(static_cast<unsigned char>(before)) || before == '-' || before == '_') {
        continue;
      }
      check_value(at + attribute.size(), attribute);
    }
  }
  for (std::string_view css : {"url(", "@import"}) {
    for (std::size_t at = lower.find(css); at != std::string::npos; at = lower.find(css, at + 1)) {
      check_value(at + css.size(), css);
    }
  }
  return found;
}

TEST(ReportHtml, ExternalLoadCheckFindsRemoteReferences) {
  // The checker behind "nothing loaded from the network" below: it must see each kind of load
  // and must not count namespace names or in-page links.
  EXPECT_TRUE(external_loads("<svg xmlns=\"http://www.w3.org/2000/svg\"><a href=\"#rec-1\">"
                             "<img src=\"data:image/png;base64,AA\"></a></svg>")
                  .empty());
  for (const char* page : {"<script src=\"https://cdn.example.com/d3.js\"></script>",
                           "<link rel=stylesheet href='http://example.com/a.css'>",
                           "<image xlink:href=\"//example.com/x.png\"/>",
                           "<style>body{background:url( \"https://example.com/b.png\")}</style>",
                           "<style>@import 'https://example.com/c.css';</style>",
                           "<IMG SRC=HTTPS://example.com/i.png>"}) {
    EXPECT_EQ(external_loads(page).size(), 1u) << page;
  }
}

TEST(ReportPareto, FrontOfLatencyAndAccuracy) {
  // (latency ms, accuracy %): 0 is fastest; 2 is slower and more accurate; 1 is dominated by 0;
  // 3 is the most accurate; 4 ties 3 on accuracy but is slower.
  const std::vector<std::pair<double, double>> points = {{1.0, 80}, {2.0, 79}, {3.0, 85},
                                                         {5.0, 90}, {6.0, 90}, {0.5, 60}};
  EXPECT_EQ(pareto_front(points), (std::vector<std::size_t>{5, 0, 2, 3}));
  EXPECT_TRUE(pareto_front({}).empty());
}

TEST(ReportGrades, QuintileBoundariesHigherIsBetter) {
  const std::vector<double> population = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(grade(10, population), 'A');
  EXPECT_EQ(grade(9, population), 'A');
  EXPECT_EQ(grade(8, population), 'B');
  EXPECT_EQ(grade(6, population), 'C');
  EXPECT_EQ(grade(4, population), 'D');
  EXPECT_EQ(grade(2, population), 'E');
  EXPECT_EQ(grade(1, population), 'E');
  EXPECT_EQ(grade(3, {3}), 'C');
  EXPECT_EQ(grade(5, {5, 5, 5}), 'C');
}

Record run(const std::string& model, const std::string& backend, double p50, double rss_mib,
           std::optional<double> top1 = std::nullopt) {
  static int n = 0;
  Record r;
  r.id = "id" + std::to_string(n++);
  r.command = top1 ? "eval" : "bench";
  r.model.name = model;
  r.backend.name = backend;
  r.backend.threads = 1;
  r.host.cpu_model = "cpu";
  r.timings.latency.p50 = p50;
  r.timings.latency.count = 100;
  r.memory.peak_rss_bytes = static_cast<std::uint64_t>(rss_mib * 1024 * 1024);
  if (top1) r.quality = {{"top1", *top1}};
  return r;
}

TEST(ReportRatings, ScaledAgainstTheReferenceInEachEnvironment) {
  // Environment "native": a is the reference (first by name); b is twice as fast and uses the
  // same memory. Environment "native-ref": a is 10x slower there, but scaled within its own
  // environment it is 1.0 again.
  std::vector<Record> records = {run("a", "native", 2.0, 10), run("b", "native", 1.0, 10),
                                 run("a", "native-ref", 20.0, 10),
                                 run("b", "native-ref", 40.0, 20)};
  RatingOptions options;
  options.weights = {{"latency", 1.0}, {"memory", 1.0}};
  const std::vector<RatingRow> rows = efficiency_ratings(records, options);
  ASSERT_EQ(rows.size(), 4u);
  std::map<std::string, const RatingRow*> by;
  for (const RatingRow& r : rows) by[r.model + "@" + r.environment] = &r;
  const RatingRow* b_native = by.at("b@cpu / native / 1 thread");
  EXPECT_DOUBLE_EQ(b_native->scaled.at("latency"), 2.0);
  EXPECT_DOUBLE_EQ(b_native->scaled.at("memory"), 1.0);
  EXPECT_DOUBLE_EQ(b_native->compound, 1.5);
  EXPECT_EQ(b_native->compound_grade, 'A');
  const RatingRow* a_ref = by.at("a@cpu / native-ref / 1 thread");
  EXPECT_DOUBLE_EQ(a_ref->scaled.at("latency"), 1.0);
  const RatingRow* b_ref = by.at("b@cpu / native-ref / 1 thread");
  EXPECT_DOUBLE_EQ(b_ref->scaled.at("latency"), 0.5);
  EXPECT_DOUBLE_EQ(b_ref->compound, 0.5);
  EXPECT_EQ(b_ref->compound_grade, 'E');
  EXPECT_EQ(rows.front().model, "b");  // best compound first

  // Another reference model flips the scale.
  options.reference_model = "b";
  int seen = 0;
  for (const RatingRow& r : efficiency_ratings(records, options)) {
    if (r.model == "a" && r.environment == "cpu / native / 1 thread") {
      ++seen;
      EXPECT_DOUBLE_EQ(r.scaled.at("latency"), 0.5);
    }
  }
  EXPECT_EQ(seen, 1) << "rows for model a in environment 'cpu / native / 1 thread'";
}

TEST(ReportRatings, AccuracyCountsOnlyWhereMeasuredAndWeightsRenormalise) {
  std::vector<Record> records = {run("a", "native", 1.0, 10, 0.80),
                                 run("b", "native", 1.0, 10, 0.88)};
  RatingOptions options;
  options.weights = {{"latency", 1.0}, {"accuracy", 1.0}, {"energy", 5.0}};  // no energy data
  int seen = 0;
  for (const RatingRow& r : efficiency_ratings(records, options)) {
    if (r.model == "b") {
      ++seen;
      EXPECT_NEAR(r.scaled.at("accuracy"), 1.1, 1e-12);
      EXPECT_NEAR(r.compound, (1.0 + 1.1) / 2, 1e-12);
      EXPECT_FALSE(r.scaled.contains("energy"));
    }
  }
  EXPECT_EQ(seen, 1) << "rows for model b";
}

TEST(ReportWeights, ParsesAndRejects) {
  auto w = parse_weights("latency=0.5,accuracy=0.25");
  ASSERT_TRUE(w.is_ok()) << w.status().message();
  EXPECT_DOUBLE_EQ(w->at("latency"), 0.5);
  EXPECT_DOUBLE_EQ(w->at("accuracy"), 0.25);
  EXPECT_DOUBLE_EQ(w->at("memory"), 0.0);
  for (const char* bad :
       {"", "speed=1", "latency", "latency=-1", "latency=x", "latency=0", "latency=1,,memory=1"}) {
    auto r = parse_weights(bad);
    EXPECT_FALSE(r.is_ok()) << bad;
    if (!r.is_ok()) {
      EXPECT_NE(r.status().message().find("--weights"), std::string::npos) << bad;
    }
  }
}

TEST(ReportSvg, NiceTicksAndLabels) {
  const auto unit = svg::nice_ticks(0, 1);
  ASSERT_EQ(unit.size(), 6u);
  for (std::size_t i = 0; i < unit.size(); ++i) EXPECT_NEAR(unit[i], 0.2 * i, 1e-12);
  const auto t = svg::nice_ticks(154533888, 6039134208);
  ASSERT_GE(t.size(), 3u);
  EXPECT_LE(t.front(), 154533888);
  EXPECT_GE(t.back(), 6039134208);
  EXPECT_EQ(svg::format_tick(2e9), "2G");
  EXPECT_EQ(svg::format_tick(1500000), "1.5M");
  EXPECT_EQ(svg::format_tick(25000), "25k");
  EXPECT_EQ(svg::format_tick(0.25), "0.25");
  EXPECT_EQ(svg::format_tick(0), "0");
  EXPECT_EQ(svg::escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
}

TEST(ReportHtml, SweepCurvesAccuracyAndEscaping) {
  std::vector<Record> records;
  for (int f : {8, 16, 32}) {
    Record r = run("conv_F" + std::to_string(f), "native", 0.1 * f, 20);
    r.model.macs = static_cast<std::uint64_t>(f) * 1000;
    r.params = {{"sweep", "conv"}, {"filters", f}, {"layers", 5}, {"variant", "float"}};
    r.accelerator = {{"on_chip_bytes", 1024 * f}, {"off_chip_bytes", 0}};
    r.latencies_ms = {0.1, 0.2, 0.3};
    records.push_back(r);
  }
  records.push_back(run("<script>alert(1)</script>", "native", 1.0, 10, 0.9));
  ReportOptions options;
  options.title = "t & <b>";
  const std::string html = render_html(records, options);
  for (const char* kind : {"latency-vs-macs", "memory-vs-macs", "accuracy-vs-latency",
                           "latency-histogram", "latency-over-time"}) {
    EXPECT_NE(html.find(std::string("data-plot=\"") + kind + "\""), std::string::npos) << kind;
  }
  EXPECT_EQ(html.find("<script>alert(1)"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)"), std::string::npos);
  EXPECT_NE(html.find("t &amp; &lt;b&gt;"), std::string::npos);
  EXPECT_NE(html.find("on-chip"), std::string::npos);      // the accelerator split is drawn
  EXPECT_NE(html.find("id=\"rec-id"), std::string::npos);  // raw records to link to
  // Nothing loaded from the network: the page is self-contained.
  const std::vector<std::string> loads = external_loads(html);
  EXPECT_TRUE(loads.empty()) << loads.size() << " external load(s), first: " << loads.front();

  std::vector<std::pair<std::string, std::string>> figures;
  const std::string md = render_markdown(records, options, "out_files", figures);
  EXPECT_NE(md.find("](out_files/latency_vs_macs.svg)"), std::string::npos);
  ASSERT_FALSE(figures.empty());
  EXPECT_EQ(figures.front().second.rfind("<svg", 0), 0u);
}

TEST(ReportHtml, ComparisonMarksDifferencesInsideTheNoise) {
  // Latencies from a seeded generator: b is a rerun of a, c is 10% slower.
  auto latencies = [](double median, unsigned seed) {
    std::mt19937 random(seed);
    std::normal_distribution<double> noise(median, 0.02 * median);
    std::vector<double> out(500);
    for (double& x : out) x = noise(random);
    return out;
  };
  Record a = run("net", "native", 1.0, 10), b = run("net", "native-ref", 1.0, 10),
         c = run("net", "null", 1.1, 10);
  a.latencies_ms = latencies(1.0, 1);
  b.latencies_ms = latencies(1.0, 2);
  c.latencies_ms = latencies(1.1, 3);
  const std::string html = render_html({a, b, c}, ReportOptions{});
  EXPECT_NE(html.find("1.00x (within noise)"), std::string::npos);
  EXPECT_NE(html.find("1.10x (significant)"), std::string::npos);
}

TEST(ReportHtml, MachinesSectionComparesTheSameRunAcrossMachines) {
  std::vector<Record> records;
  // The same model on two boards (as their targets report themselves) and on the host.
  Record a = run("mobilenet", "tcp://board-a:7000", 4.0, 10);
  a.backend.target = {{"hostname", "board-a"}, {"cpu", "Cortex-A72"}};
  Record b = run("mobilenet", "tcp://board-b:7000", 2.0, 10);
  b.backend.target = {{"hostname", "board-b"}, {"cpu", "Cortex-A76"}};
  Record h = run("mobilenet", "native", 1.0, 10);
  h.host.hostname = "lab-host";
  Record only_here = run("resnet", "native", 9.0, 10);  // on one machine only: not compared
  only_here.host.hostname = "lab-host";
  records = {a, b, h, only_here};
  const std::string html = render_html(records, ReportOptions{});
  const auto start = html.find("<section id=\"machines\">");
  ASSERT_NE(start, std::string::npos);
  const std::string section = html.substr(start, html.find("</section>", start) - start);
  for (const char* text : {"board-a p50 ms", "board-b p50 ms", "lab-host p50 ms", "board-b ratio",
                           "0.500", "0.250", "data-plot=\"machine-bars\""}) {
    EXPECT_NE(section.find(text), std::string::npos) << text;
  }
  EXPECT_EQ(section.find("resnet"), std::string::npos);
  // One machine: no section.
  EXPECT_EQ(render_html({h, only_here}, ReportOptions{}).find("id=\"machines\""),
            std::string::npos);
}

}  // namespace
