// Does edgebench's single-stream p50 agree with an outside timer? Google Benchmark times the
// same Executable::run calls on the same model; the two medians should agree within 3%.
//
//   build/release/bench_outside_timer [--filters F --layers L --input S]
// Prints both figures and their ratio; exits 1 when they differ by more than 3%.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "edgebench/backends/backend.h"
#include "edgebench/core/random.h"
#include "edgebench/gen/generators.h"
#include "edgebench/measure/scenario.h"

namespace {

using namespace edgebench;

struct Fixture {
  std::unique_ptr<backends::Backend> backend;
  std::unique_ptr<backends::Executable> exe;
  std::vector<std::vector<Tensor>> samples;
  std::vector<Tensor> outputs;
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void run_model(benchmark::State& state) {
  Fixture& f = fixture();
  for (auto _ : state) {
    Status st = f.exe->run(f.samples[0], f.outputs);
    if (!st.is_ok()) state.SkipWithError(st.message().c_str());
  }
}

int fail(const Status& st) {
  fmt::print(stderr, "bench_outside_timer: {}\n", st.to_string());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  gen::ConvSpec spec;
  spec.filters = 16;
  spec.layers = 3;
  spec.input_size = 32;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::int64_t value = std::atoll(argv[i + 1]);
    if (flag == "--filters") spec.filters = value;
    if (flag == "--layers") spec.layers = value;
    if (flag == "--input") spec.input_size = value;
  }
  auto graph = gen::generate_conv(spec);
  if (!graph.is_ok()) return fail(graph.status());
  Fixture& f = fixture();
  auto backend = backends::make_backend("native");
  if (!backend.is_ok()) return fail(backend.status());
  f.backend = std::move(backend).value();
  auto exe = f.backend->compile(*graph, {});
  if (!exe.is_ok()) return fail(exe.status());
  f.exe = std::move(exe).value();
  auto x = random_tensor(DType::kFloat32, f.exe->inputs()[0].shape, 1);
  if (!x.is_ok()) return fail(x.status());
  f.samples.push_back({*x});
  f.outputs = measure::preallocate_outputs(*f.exe);

  // edgebench's own figure: single-stream p50.
  measure::ScenarioSettings settings =
      measure::default_settings(measure::ScenarioKind::kSingleStream);
  settings.min_queries = 200;
  settings.min_duration_s = 2.0;
  auto measured = measure::Scenario(settings).run(*f.exe, f.samples);
  if (!measured.is_ok()) return fail(measured.status());
  const double edgebench_p50 = measured->latency.p50;

  // The outside timer: Google Benchmark, 10 repetitions, median of the per-repetition means.
  benchmark::RegisterBenchmark("Executable::run", run_model)
      ->Unit(benchmark::kMillisecond)
      ->Repetitions(10)
      ->ReportAggregatesOnly(true)
      ->MinTime(0.2);
  std::vector<char*> args = {argv[0]};
  int bench_argc = 1;
  benchmark::Initialize(&bench_argc, args.data());
  struct Collect : benchmark::ConsoleReporter {
    double median_ms = 0;
    void ReportRuns(const std::vector<Run>& runs) override {
      for (const Run& r : runs) {
        if (r.aggregate_name == "median") median_ms = r.GetAdjustedRealTime();
      }
      ConsoleReporter::ReportRuns(runs);
    }
  } reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  const double outside = reporter.median_ms;
  const double ratio = edgebench_p50 / outside;
  fmt::print(
      "\nmodel conv f{} l{} s{}: edgebench single-stream p50 {:.4f} ms, Google Benchmark "
      "median {:.4f} ms, ratio {:.4f} ({:+.2f}%; goal within 3%)\n",
      spec.filters, spec.layers, spec.input_size, edgebench_p50, outside, ratio,
      100.0 * (ratio - 1.0));
  return std::fabs(ratio - 1.0) <= 0.03 ? 0 : 1;
}
