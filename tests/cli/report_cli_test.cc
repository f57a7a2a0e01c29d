// edgebench report end to end: HTML and Markdown from a store a sweep filled, and the errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_test_util.h"

namespace {

namespace fs = std::filesystem;
using edgebench::cli_test::edgebench;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ReportCli, HtmlAndMarkdownFromASweep) {
  const fs::path dir = fs::path(::testing::TempDir()) / "edgebench_report_cli";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string db = (dir / "r.db").string();
  ASSERT_EQ(edgebench("sweep dense --neurons 8,16,32 --layers 2 --min-queries 64 "
                      "--min-duration 0 --warmup 1 --db " +
                      db)
                .exit_code,
            0);
  auto r = edgebench("report --db " + db + " --html " + (dir / "r.html").string() + " --markdown " +
                     (dir / "r.md").string() + " --title 'Dense sweep'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string html = slurp(dir / "r.html");
  EXPECT_NE(html.find("<title>Dense sweep</title>"), std::string::npos);
  EXPECT_NE(html.find("data-plot=\"latency-vs-macs\""), std::string::npos);
  EXPECT_NE(html.find("dense_N32_L2_I64_O10"), std::string::npos);
  const std::string md = slurp(dir / "r.md");
  EXPECT_NE(md.find("](r_files/latency_vs_macs.svg)"), std::string::npos) << md.substr(0, 400);
  EXPECT_TRUE(fs::exists(dir / "r_files" / "latency_vs_macs.svg"));
  // Filters that match nothing, and bad weights, are errors.
  r = edgebench("report --db " + db + " --html " + (dir / "x.html").string() + " --model nope");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("no results"), std::string::npos) << r.output;
  r = edgebench("report --db " + db + " --html " + (dir / "x.html").string() +
                " --weights speed=1");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--weights"), std::string::npos) << r.output;
}

TEST(ReportCli, MissingStoreOrOutputExit2) {
  const fs::path dir = fs::path(::testing::TempDir()) / "edgebench_report_cli_bad";
  fs::create_directories(dir);
  auto r = edgebench("report --db " + (dir / "missing.db").string() + " --html " +
                     (dir / "x.html").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("missing.db"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "missing.db"));
  r = edgebench("report --db " + (dir / "missing.db").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--html"), std::string::npos) << r.output;
}

}  // namespace
