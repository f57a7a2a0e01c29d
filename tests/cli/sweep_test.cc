// edgebench sweep and run-experiment end to end: every point or cell lands in the store with its
// params, a second run measures nothing already stored, a failing cell is stored with its error
// while the rest go on, and bad input exits 2 naming the flag or the field.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_test_util.h"
#include "edgebench/results/store.h"

namespace {

namespace fs = std::filesystem;
using edgebench::cli_test::edgebench;
using edgebench::results::Record;
using edgebench::results::Store;

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<Record> stored(const fs::path& db) {
  auto store = Store::open(db, {.create_if_missing = false});
  EXPECT_TRUE(store.is_ok()) << store.status().message();
  if (!store.is_ok()) return {};
  auto records = store->records();
  EXPECT_TRUE(records.is_ok()) << records.status().message();
  return records.is_ok() ? *records : std::vector<Record>{};
}

constexpr const char* kQuick = "--min-queries 5 --min-duration 0 --warmup 1";

TEST(SweepCli, StoresEveryPointWithItsParamsAndMacsAndResumes) {
  const fs::path dir = fresh_dir("edgebench_sweep");
  const std::string db = (dir / "sweep.db").string();
  auto r = edgebench("sweep conv --filters 8:24:8 --layers 2 --input 16 " + std::string(kQuick) +
                     " --db " + db);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("3 points, 0 already"), std::string::npos) << r.output;
  std::vector<Record> records = stored(db);
  ASSERT_EQ(records.size(), 3u);
  std::set<std::int64_t> filters;
  for (const Record& rec : records) {
    ASSERT_TRUE(rec.params.is_object());
    EXPECT_EQ(rec.params["sweep"], "conv");
    EXPECT_EQ(rec.params["layers"], 2);
    EXPECT_EQ(rec.params["input"], 16);
    EXPECT_EQ(rec.params["variant"], "float");
    const std::int64_t f = rec.params["filters"].get<std::int64_t>();
    filters.insert(f);
    // The thesis formula: S^2 K^2 (3F + (L-1) F^2), biases not counted.
    EXPECT_EQ(rec.model.macs, static_cast<std::uint64_t>(16 * 16 * 9 * (3 * f + f * f))) << f;
    EXPECT_EQ(rec.model.name, "conv_F" + std::to_string(f) + "_L2_S16_K3");
    EXPECT_GT(rec.timings.latency.p50, 0);
  }
  EXPECT_EQ(filters, (std::set<std::int64_t>{8, 16, 24}));

  // A wider grid measures only the new point.
  r = edgebench("sweep conv --filters 8,16,24,32 --layers 2 --input 16 " + std::string(kQuick) +
                " --db " + db);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("4 points, 3 already in"), std::string::npos) << r.output;
  EXPECT_EQ(stored(db).size(), 4u);
  // Another backend is another measurement.
  r = edgebench("sweep conv --filters 8 --layers 2 --input 16 --backend native-ref " +
                std::string(kQuick) + " --db " + db);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(stored(db).size(), 5u);
}

TEST(SweepCli, DenseSweepWithOptimizeStoresTheVariant) {
  const fs::path dir = fresh_dir("edgebench_sweep_dense");
  const std::string db = (dir / "sweep.db").string();
  auto r = edgebench(
      "sweep dense --neurons 16,32 --layers 2 --inputs 8 --outputs 4 "
      "--optimize \"--quantize int8 --calibration random:0 --calibration-limit 8\" "
      "--variant int8 " +
      std::string(kQuick) + " --db " + db);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<Record> records = stored(db);
  ASSERT_EQ(records.size(), 2u);
  for (const Record& rec : records) {
    EXPECT_EQ(rec.params["sweep"], "dense");
    EXPECT_EQ(rec.params["variant"], "int8");
    const std::int64_t n = rec.params["neurons"].get<std::int64_t>();
    // I*N + (L-1)*N^2 + N*O
    EXPECT_EQ(rec.model.macs, static_cast<std::uint64_t>(8 * n + n * n + n * 4));
    EXPECT_EQ(rec.model.name, "dense_N" + std::to_string(n) + "_L2_I8_O4");
  }
}

// Optimize flags are parsed as `edgebench optimize` parses them; a point whose flags are wrong
// fails with optimize's own message, and the sweep goes on.
TEST(SweepCli, AnUnknownOptimizeFlagFailsThePointNamingIt) {
  const fs::path dir = fresh_dir("edgebench_sweep_flags");
  auto r = edgebench("sweep conv --filters 4 --layers 1 --input 8 --min-duration 0 --db " +
                     (dir / "x.db").string() + " --optimize \"--quantize fp16 --no-such-flag\"");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("optimize --quantize fp16 --no-such-flag: The following argument was "
                          "not expected: --no-such-flag"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("0 measured, 0 skipped, 1 failed"), std::string::npos) << r.output;
}

TEST(SweepCli, BadRangesAndBackendsExit2NamingTheFlag) {
  for (const auto& [args, needle] : std::vector<std::pair<std::string, std::string>>{
           {"sweep conv --filters 8:x:8", "--filters '8:x:8'"},
           {"sweep conv --filters 32:16:8", "STOP 16 is below START 32"},
           {"sweep conv --filters 8:16", "START:STOP:STEP"},
           {"sweep conv --filters 0,8", "at least 1"},
           {"sweep dense --neurons 1:100000000:1", "more than"},
           {"sweep dense --layers ,", "--layers"},
           {"sweep conv --backend bogus", "unknown backend"},
           {"sweep conv --optimize \"--quantize 'int8\"", "unterminated"},
       }) {
    auto r = edgebench(args + " --db " + (fresh_dir("edgebench_sweep_bad") / "x.db").string());
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(needle), std::string::npos) << args << "\n" << r.output;
  }
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

TEST(ExperimentCli, RunsTheGridRecordsFailedCellsAndCompletesOnlyMissingCells) {
  const fs::path dir = fresh_dir("edgebench_experiment");
  // tcp://127.0.0.1:1 refuses connections: its cells fail, and are stored with the error.
  write_text(dir / "exp.json", R"({
    "name": "tiny",
    "models": [
      {"name": "convs", "generate": {"kind": "conv", "filters": 4, "layers": 2, "input": 8}},
      {"name": "denses", "generate": {"kind": "dense", "neurons": 8, "layers": 2, "inputs": 4,
                                      "outputs": 3}}
    ],
    "variants": {"float": "", "fp16": "--quantize fp16"},
    "backends": ["native", "tcp://127.0.0.1:1"],
    "bench": {"warmup": 1, "min_queries": 5, "min_duration": 0}
  })");
  const std::string db = (dir / "exp.db").string();
  const std::string run = "run-experiment " + (dir / "exp.json").string() + " --db " + db;

  // An interrupted run, as far as the store can tell: only some cells are there.
  auto r = edgebench(run + " --only backend=native --only variant=float");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(stored(db).size(), 2u);

  r = edgebench(run);
  EXPECT_EQ(r.exit_code, 1) << r.output;  // the tcp cells failed
  EXPECT_NE(r.output.find("8 cells"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("2 already in"), std::string::npos) << r.output;
  std::vector<Record> records = stored(db);
  ASSERT_EQ(records.size(), 8u);
  int failed = 0;
  std::set<std::string> cells;
  for (const Record& rec : records) {
    ASSERT_TRUE(rec.params.is_object());
    EXPECT_EQ(rec.params["experiment"], "tiny");
    const auto& cell = rec.params["cell"];
    cells.insert(cell["model"].get<std::string>() + "/" + cell["variant"].get<std::string>() + "/" +
                 cell["backend"].get<std::string>());
    if (cell["backend"] == "tcp://127.0.0.1:1") {
      ++failed;
      EXPECT_FALSE(rec.valid);
      ASSERT_EQ(rec.invalid_reasons.size(), 1u);
      EXPECT_NE(rec.invalid_reasons[0].find("127.0.0.1"), std::string::npos)
          << rec.invalid_reasons[0];
    } else {
      EXPECT_EQ(rec.model.name, cell["model"]);
      EXPECT_GT(rec.timings.latency.p50, 0);
    }
  }
  EXPECT_EQ(failed, 4);
  EXPECT_EQ(cells.size(), 8u);

  // Once more: the native cells are skipped; the failed ones are tried again.
  r = edgebench(run + " --only backend=native");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("0 cells run"), std::string::npos) << r.output;
  EXPECT_EQ(stored(db).size(), 8u);
}

TEST(ExperimentCli, FileErrorsNameTheFieldAndExit2) {
  const fs::path dir = fresh_dir("edgebench_experiment_bad");
  for (const auto& [text, needle] : std::vector<std::pair<std::string, std::string>>{
           {"[1, 2]", "expected a JSON object"},
           {"{\"models\": [", "not valid JSON"},
           {"{\"models\": []}", "models: expected a non-empty list"},
           {R"({"models": ["missing.onnx"]})", "models[0]: model"},
           {R"({"models": [{"name": "a", "generate": {"kind": "lstm"}}]})",
            "models[0].generate.kind"},
           {R"({"models": [{"name": "a", "generate": {"kind": "conv", "filters": -1}}]})",
            "models[0].generate.filters"},
           {R"({"models": [{"name": "a", "generate": {"kind": "conv"}}], "variants": {"int8": 3}})",
            "variants.int8: expected a string"},
           {R"({"models": [{"name": "a", "generate": {"kind": "conv"}}], "backends": ["gpu"]})",
            "backends[0]"},
           {R"({"models": [{"name": "a", "generate": {"kind": "conv"}}], "bench": {"qps": 1}})",
            "bench.qps: unknown key"},
           {R"({"modles": []})", "modles: unknown key"},
       }) {
    write_text(dir / "bad.json", text);
    auto r = edgebench("run-experiment " + (dir / "bad.json").string() + " --db " +
                       (dir / "x.db").string());
    EXPECT_EQ(r.exit_code, 2) << text << "\n" << r.output;
    EXPECT_NE(r.output.find("bad.json"), std::string::npos) << text << "\n" << r.output;
    EXPECT_NE(r.output.find(needle), std::string::npos) << text << "\n" << r.output;
  }
  auto r = edgebench("run-experiment " + (dir / "none.json").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("none.json"), std::string::npos) << r.output;
}

}  // namespace
