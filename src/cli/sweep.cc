// edgebench sweep conv|dense: generate -> (optimize) -> bench for every point of a grid, each
// stored in the results store under a key, so that an interrupted sweep resumes where it was.
#include "edgebench/gen/sweep.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "common.h"
#include "edgebench/backends/backend.h"
#include "edgebench/core/temp_dir.h"
#include "edgebench/gen/generators.h"
#include "edgebench/onnx/model_io.h"
#include "edgebench/results/store.h"
#include "optimize_commands.h"
#include "sweep_commands.h"

namespace edgebench::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct Point {
  std::string name;  // model name, e.g. conv_F32_L5_S64_K3
  nlohmann::json params;
  std::uint64_t macs = 0;
  std::function<Result<ir::Graph>()> generate;
};

Result<std::vector<Point>> sweep_points(const SweepOptions& o) {
  std::vector<Point> points;
  const bool conv = o.kind == "conv";
  const std::string layers = o.layers.empty() ? (conv ? "5" : "4") : o.layers;
  const std::string activation = o.activation.empty() ? (conv ? "relu" : "tanh") : o.activation;
  EB_ASSIGN_OR_RETURN(auto layer_values, gen::parse_sweep_values(layers, "--layers"));
  if (conv) {
    gen::ConvSweep sweep;
    EB_ASSIGN_OR_RETURN(sweep.filters, gen::parse_sweep_values(o.filters, "--filters"));
    sweep.layers = layer_values;
    EB_ASSIGN_OR_RETURN(sweep.input_size, gen::parse_sweep_values(o.input, "--input"));
    EB_ASSIGN_OR_RETURN(sweep.kernel, gen::parse_sweep_values(o.kernel, "--kernel"));
    sweep.activation = activation;
    sweep.seed = o.seed;
    for (const gen::ConvSpec& spec : gen::expand(sweep)) {
      Point p;
      p.name = gen::point_name(spec);
      p.params = {{"sweep", "conv"},       {"filters", spec.filters},
                  {"layers", spec.layers}, {"input", spec.input_size},
                  {"kernel", spec.kernel}, {"activation", spec.activation},
                  {"seed", spec.seed}};
      p.macs = gen::conv_macs(spec);
      p.generate = [spec] { return gen::generate_conv(spec); };
      points.push_back(std::move(p));
    }
  } else {
    gen::DenseSweep sweep;
    EB_ASSIGN_OR_RETURN(sweep.neurons, gen::parse_sweep_values(o.neurons, "--neurons"));
    sweep.layers = layer_values;
    EB_ASSIGN_OR_RETURN(sweep.inputs, gen::parse_sweep_values(o.inputs, "--inputs"));
    EB_ASSIGN_OR_RETURN(sweep.outputs, gen::parse_sweep_values(o.outputs, "--outputs"));
    sweep.activation = activation;
    sweep.seed = o.seed;
    for (const gen::DenseSpec& spec : gen::expand(sweep)) {
      Point p;
      p.name = gen::point_name(spec);
      p.params = {{"sweep", "dense"},        {"neurons", spec.neurons},
                  {"layers", spec.layers},   {"inputs", spec.inputs},
                  {"outputs", spec.outputs}, {"activation", spec.activation},
                  {"seed", spec.seed}};
      p.macs = gen::dense_macs(spec);
      p.generate = [spec] { return gen::generate_dense(spec); };
      points.push_back(std::move(p));
    }
  }
  return points;
}

// What makes two runs of a point the same measurement: the point, the variant and where and
// how it ran.
std::string point_key(const nlohmann::json& params, const BenchOptions& b) {
  return fmt::format("sweep|{}|backend={}|threads={}|scenario={}|batch={}", params.dump(),
                     b.backend, b.threads, b.scenario, b.batch);
}

// Seconds left: time per MAC from the points measured so far times the MACs still to measure,
// but never less than the quickest point so far for each point left (the scenario minimums
// bound small points from below).
double eta_seconds(double spent_s, std::uint64_t done_macs, double quickest_s,
                   const std::vector<std::uint64_t>& macs_left) {
  if (done_macs == 0) return 0;
  const double per_mac = spent_s / static_cast<double>(done_macs);
  double eta = 0;
  for (std::uint64_t m : macs_left) eta += std::max(quickest_s, per_mac * static_cast<double>(m));
  return eta;
}

}  // namespace

Result<std::vector<std::string>> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (char c : text) {
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else {
        word += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote != 0)
    return invalid_argument(fmt::format("unterminated {} quote in '{}'", quote, text));
  if (in_word) words.push_back(std::move(word));
  return words;
}

Status optimize_with_flags(const std::string& in, const std::string& out,
                           const std::string& flags) {
  EB_ASSIGN_OR_RETURN(std::vector<std::string> words, split_words(flags));
  Result<OptimizeOptions> options = parse_optimize_flags(in, out, words);
  Status done = options.status();
  if (done.is_ok()) {
    done = optimize_model(*options, print_optimize_progress).status();
  }
  if (done.is_ok()) return done;
  return invalid_argument(fmt::format("optimize {}: {}", flags, done.message()));
}

std::string format_duration(double seconds) {
  const auto s = static_cast<long long>(std::max(0.0, seconds) + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

int run_sweep(const SweepOptions& options) {
  if (options.kind != "conv" && options.kind != "dense") {
    return report_error(invalid_argument("sweep: the kind must be conv or dense"));
  }
  auto points = sweep_points(options);
  if (!points.is_ok()) return report_error(points.status());
  if (auto backend = backends::make_backend(options.bench.backend); !backend.is_ok()) {
    return report_error(backend.status().with_context("--backend"));
  }
  const std::string variant = !options.variant.empty()
                                  ? options.variant
                                  : (options.optimize.empty() ? "float" : options.optimize);
  if (!options.optimize.empty()) {
    auto words = split_words(options.optimize);
    if (!words.is_ok()) return report_error(words.status().with_context("--optimize"));
    // A mistyped mode would fail every point; say so before measuring anything.
    for (std::size_t w = 0; w + 1 < words->size(); ++w) {
      static const std::set<std::string> kModes = {"dynamic", "int8", "int8-fallback", "fp16"};
      if ((*words)[w] == "--quantize" && !kModes.contains((*words)[w + 1])) {
        return report_error(invalid_argument(fmt::format(
            "--optimize: --quantize '{}' is not one of dynamic, int8, int8-fallback, fp16",
            (*words)[w + 1])));
      }
    }
  }
  for (Point& p : *points) p.params["variant"] = variant;

  if (options.dry_run) {
    fmt::print("{} points ({} sweep, variant {})\n", points->size(), options.kind, variant);
    fmt::print("  {:<28} {:>16}\n", "point", "MACs");
    for (const Point& p : *points) fmt::print("  {:<28} {:>16}\n", p.name, p.macs);
    return kExitOk;
  }

  std::optional<results::Store> store;
  if (!options.bench.no_db) {
    auto opened = results::Store::open(options.bench.db_path);
    if (!opened.is_ok()) return report_error(opened.status());
    store = std::move(opened).value();
  }

  // Points already measured (same point, variant, backend, threads, scenario) are skipped.
  std::vector<const Point*> todo;
  std::size_t skipped = 0;
  for (const Point& p : *points) {
    if (store) {
      auto stored = store->contains(point_key(p.params, options.bench));
      if (!stored.is_ok()) return report_error(stored.status());
      if (*stored) {
        ++skipped;
        continue;
      }
    }
    todo.push_back(&p);
  }
  fmt::print("sweep {}: {} points, {} already in {}, {} to measure on {} ({})\n", options.kind,
             points->size(), skipped, results::display_location(options.bench.db_path), todo.size(),
             options.bench.backend, options.bench.scenario);
  std::fflush(stdout);

  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path work_dir;
  const bool keep_models = !options.models_dir.empty();
  if (keep_models) {
    work_dir = options.models_dir;
    fs::create_directories(work_dir, ec);
    if (ec) {
      return report_error(invalid_argument(
          fmt::format("--models-dir '{}': cannot create it: {}", work_dir.string(), ec.message())));
    }
  } else {
    auto made = make_private_dir("edgebench-sweep");
    if (!made.is_ok()) return report_error(made.status().with_context("the sweep's models"));
    work_dir = std::move(made).value();
  }

  const auto start = Clock::now();
  std::uint64_t done_macs = 0;
  double quickest_s = 0;
  int failures = 0;
  for (std::size_t i = 0; i < todo.size(); ++i) {
    const Point& p = *todo[i];
    const auto point_start = Clock::now();
    std::vector<std::uint64_t> macs_left;
    for (std::size_t j = i; j < todo.size(); ++j) macs_left.push_back(todo[j]->macs);
    const double spent = std::chrono::duration<double>(point_start - start).count();
    const std::string eta =
        i == 0 ? ""
               : "  ETA " + format_duration(eta_seconds(spent, done_macs, quickest_s, macs_left));
    std::fprintf(stderr, "[%zu/%zu] %s (%llu MACs)%s\n", i + 1, todo.size(), p.name.c_str(),
                 static_cast<unsigned long long>(p.macs), eta.c_str());
    std::fflush(stderr);
    reset_peak_memory();

    const fs::path model_path = work_dir / (p.name + ".onnx");
    Status st = Status::ok();
    if (auto graph = p.generate(); !graph.is_ok()) {
      st = graph.status();
    } else {
      st = onnx::save_model(*graph, model_path);
    }
    fs::path measured_path = model_path;
    if (st.is_ok() && !options.optimize.empty()) {
      // Same file name in its own folder: the record's model name stays the point's name.
      fs::create_directories(work_dir / "optimized", ec);
      measured_path = work_dir / "optimized" / (p.name + ".onnx");
      st = optimize_with_flags(model_path.string(), measured_path.string(), options.optimize);
    }
    if (st.is_ok()) {
      BenchOptions bench = options.bench;
      bench.model = measured_path.string();
      bench.params_json = p.params.dump();
      bench.store_key = point_key(p.params, options.bench);
      bench.summary = Summary::kBrief;
      bench.quiet = true;
      bench.json_path.clear();
      st = bench_and_store(bench).status();
      std::fflush(stdout);
    }
    if (!st.is_ok()) {
      ++failures;
      std::fprintf(stderr, "  %s failed: %s\n", p.name.c_str(), st.message().c_str());
    }
    if (!keep_models) {
      fs::remove(model_path, ec);
      fs::remove(measured_path, ec);
    }
    const double took = std::chrono::duration<double>(Clock::now() - point_start).count();
    quickest_s = i == 0 ? took : std::min(quickest_s, took);
    done_macs += p.macs;
  }
  if (!keep_models) fs::remove_all(work_dir, ec);
  const double total = std::chrono::duration<double>(Clock::now() - start).count();
  fmt::print("sweep done: {} measured, {} skipped, {} failed, in {}\n", todo.size() - failures,
             skipped, failures, format_duration(total));

  // The whole sweep as stored (earlier runs included), in grid order.
  if (store) {
    fmt::print("  {:<28} {:>14} {:>12} {:>10} {:>12}\n", "point", "MACs", "params", "p50 ms",
               "peak RSS");
    for (const Point& p : *points) {
      results::ListFilter filter;
      filter.model_name = p.name;
      filter.backend = options.bench.backend;
      filter.scenario = options.bench.scenario;
      auto records = store->records(filter);
      if (!records.is_ok()) return report_error(records.status());
      for (const results::Record& r : *records) {
        if (r.params != p.params || r.backend.threads != options.bench.threads) continue;
        fmt::print("  {:<28} {:>14} {:>12} {:>10.4g} {:>12}\n", p.name, r.model.macs,
                   r.model.params, r.timings.latency.p50,
                   human_bytes(static_cast<double>(r.memory.peak_rss_bytes)));
        break;
      }
    }
  }
  return failures == 0 ? kExitOk : kExitCheckFailed;
}

}  // namespace edgebench::cli
