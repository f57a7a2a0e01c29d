// edgebench bench: LoadGen-style measurement of a model on a backend. Phases are measured and
// reported separately: load + compile (init_ms), the first (cold) inference, warm-up, then the
// measured phase of the chosen scenario; an optional per-op profile runs as its own pass.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "common.h"
#include "edgebench/backends/backend.h"
#include "edgebench/core/npy.h"
#include "edgebench/core/quantize.h"
#include "edgebench/data/dataset.h"
#include "edgebench/engine/plan.h"
#include "edgebench/ir/stats.h"
#include "edgebench/measure/profiler.h"
#include "edgebench/measure/resources.h"
#include "edgebench/measure/scenario.h"

namespace edgebench::cli {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Samples from a dataset spec (data::open_dataset), at most `limit` of them (0: all).
Result<std::vector<std::vector<Tensor>>> load_dataset_samples(const backends::Executable& exe,
                                                              const std::string& spec,
                                                              std::uint64_t random_count,
                                                              std::uint64_t limit) {
  EB_ASSIGN_OR_RETURN(auto dataset, data::open_dataset(spec, dataset_inputs(exe), random_count));
  std::size_t count = dataset->size();
  if (limit > 0) count = std::min<std::size_t>(count, limit);
  std::vector<std::vector<Tensor>> samples;
  for (std::size_t i = 0; i < count; ++i) {
    EB_ASSIGN_OR_RETURN(std::vector<Tensor> sample, dataset->sample(i));
    samples.push_back(std::move(sample));
  }
  return samples;
}

// Samples of a dataset whose files carry shapes, for a model with symbolic input dims: all of
// one shape, since bench measures one compiled plan (eval compiles one per shape instead).
Result<std::vector<std::vector<Tensor>>> load_samples_with_shapes(
    const ir::Graph& graph, const std::map<std::string, Shape, std::less<>>& given,
    const std::string& spec, std::uint64_t limit) {
  EB_ASSIGN_OR_RETURN(auto dataset, data::open_dataset(spec, graph_input_specs(graph, given), 0));
  std::size_t count = dataset->size();
  if (limit > 0) count = std::min<std::size_t>(count, limit);
  if (count == 0) return invalid_argument("the dataset has no samples");
  std::vector<std::vector<Tensor>> samples;
  for (std::size_t i = 0; i < count; ++i) {
    EB_ASSIGN_OR_RETURN(std::vector<Tensor> sample, dataset->sample(i));
    for (std::size_t k = 0; k < sample.size() && !samples.empty(); ++k) {
      if (sample[k].shape() != samples[0][k].shape()) {
        return invalid_argument(fmt::format(
            "samples differ in shape (input '{}': sample 0 is {}, sample {} is {}); bench "
            "measures one compiled plan, so give it samples of one shape (eval compiles one "
            "plan per shape)",
            graph.inputs[k], shape_to_string(samples[0][k].shape()), i,
            shape_to_string(sample[k].shape())));
      }
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

// Preloaded input sets: seeded random tensors (`count` sets, the `random:SEED` dataset), with
// inputs given as .npy files replacing their random tensor (then a single set).
Result<std::vector<std::vector<Tensor>>> make_samples(
    const backends::Executable& exe, const std::map<std::string, Tensor, std::less<>>& given,
    std::uint64_t seed, std::uint64_t count) {
  EB_ASSIGN_OR_RETURN(auto samples, load_dataset_samples(exe, fmt::format("random:{}", seed),
                                                         given.empty() ? count : 1, 0));
  for (std::size_t i = 0; i < exe.inputs().size(); ++i) {
    const backends::TensorSpec& spec = exe.inputs()[i];
    auto it = given.find(spec.name);
    if (it == given.end()) continue;
    // NCHW into NHWC, float into a quantized input (the spec's scale and zero point).
    auto fitted = fit_to_input(it->second, spec.dtype, spec.shape, spec.quant);
    if (!fitted.is_ok()) return fitted.status().with_context(fmt::format("input '{}'", spec.name));
    samples[0][i] = std::move(fitted).value();
  }
  return samples;
}

void print_summary(const results::Record& r) {
  const results::LatencyStats& l = r.timings.latency;
  fmt::print("\n{} on {} ({} thread{}), {}\n", r.model.name, r.backend.name, r.backend.threads,
             r.backend.threads == 1 ? "" : "s", r.scenario.name);
  fmt::print("  init (load + compile)   {:10.3f} ms\n", r.timings.init_ms);
  fmt::print("  first inference (cold)  {:10.3f} ms\n", r.timings.first_inference_ms);
  fmt::print("  queries                 {:10}   in {:.2f} s\n", l.count, r.timings.duration_s);
  fmt::print("  latency ms   min {:.5g}  mean {:.5g}  std {:.5g}  max {:.5g}\n", l.min, l.mean,
             l.std, l.max);
  fmt::print("               p50 {:.5g}  p90 {:.5g}  p95 {:.5g}  p99 {:.5g}  p99.9 {:.5g}\n", l.p50,
             l.p90, l.p95, l.p99, l.p999);
  if (r.timings.target_latency && r.timings.round_trip && r.timings.transport_overhead) {
    const auto line = [](const char* what, const results::LatencyStats& s) {
      fmt::print("  {:<12} p50 {:.5g}  p90 {:.5g}  p99 {:.5g}  mean {:.5g}\n", what, s.p50, s.p90,
                 s.p99, s.mean);
    };
    fmt::print("  latency above: {} time\n", r.timings.latency_source);
    line("target ms", *r.timings.target_latency);
    line("round trip", *r.timings.round_trip);
    line("transport", *r.timings.transport_overhead);
  }
  fmt::print("  throughput   {:.2f} queries/s, {:.2f} samples/s\n", r.throughput.queries_per_s,
             r.throughput.samples_per_s);
  fmt::print("  headline     {} = {:.5g}", r.timings.headline_metric, r.timings.headline_value);
  if (r.timings.early_stopping_ms) {
    fmt::print("   (early-stopping estimate {:.5g} ms)", *r.timings.early_stopping_ms);
  }
  fmt::print("\n");
  if (r.timings.met_latency_bound) {
    fmt::print("  latency bound {} ms: {}\n", r.scenario.latency_bound_ms.value_or(0),
               *r.timings.met_latency_bound ? "met" : "NOT met");
  }
  fmt::print("  memory       peak RSS {}, activation arena {}\n",
             human_bytes(static_cast<double>(r.memory.peak_rss_bytes)),
             human_bytes(static_cast<double>(r.memory.arena_bytes)));
  fmt::print("  CPU time     user {:.3f} s, system {:.3f} s\n", r.cpu.user_s, r.cpu.system_s);
  if (r.energy.available) {
    fmt::print("  energy       {:.3f} J ({})\n", r.energy.joules, r.energy.source);
  } else {
    fmt::print("  energy       not measured (no readable powercap counters)\n");
  }
  if (r.profile) {
    fmt::print("\n  per-op profile ({} runs, separate pass)\n", r.profile->runs);
    for (const results::OpProfileEntry& e : r.profile->by_op_type) {
      fmt::print("    {:<24} {:>6} calls {:>10.3f} ms/run {:>6.1f}%\n", e.op_type, e.calls,
                 r.profile->runs ? e.total_ms / static_cast<double>(r.profile->runs) : 0.0,
                 100.0 * e.share);
    }
  }
  fmt::print("  result {} {}\n", r.id, r.valid ? "(valid)" : "(INVALID)");
  for (const std::string& why : r.invalid_reasons) fmt::print("    invalid: {}\n", why);
}

}  // namespace

}  // namespace edgebench::cli

namespace edgebench::api {

using namespace cli;  // this file's helpers

Result<results::Record> bench_and_store(const BenchOptions& options) {
  auto backend = backends::make_backend(options.backend);
  if (!backend.is_ok()) return backend.status();
  auto kind = measure::parse_scenario(options.scenario);
  if (!kind.is_ok()) return kind.status();
  if (options.threads < 1) return invalid_argument("--threads must be at least 1");
  if (options.samples < 1) return invalid_argument("--samples must be at least 1");

  measure::ScenarioSettings settings = measure::default_settings(*kind);
  if (options.warmup) settings.warmup_queries = *options.warmup;
  if (options.min_queries) settings.min_queries = *options.min_queries;
  if (options.min_duration_s) settings.min_duration_s = *options.min_duration_s;
  if (options.max_duration_s) settings.max_duration_s = *options.max_duration_s;
  settings.target_qps = options.target_qps;
  settings.latency_bound_ms = options.latency_bound_ms;
  if (options.samples_per_query) settings.samples_per_query = *options.samples_per_query;
  settings.batch = options.batch;
  settings.seed = options.random_seed;
  if (Status st = measure::validate(settings); !st.is_ok()) return st;

  // Read the .npy inputs before anything is timed.
  std::map<std::string, Tensor, std::less<>> given;
  for (const std::string& flag : options.inputs) {
    auto kv = split_assignment(flag, "--input");
    if (!kv.is_ok()) return kv.status();
    auto tensor = read_npy(kv->second);
    if (!tensor.is_ok()) return tensor.status();
    given[kv->first] = std::move(tensor).value();
  }
  auto shapes = parse_input_shapes(options.input_shapes);
  if (!shapes.is_ok()) return shapes.status();
  if (!options.dataset.empty() && !given.empty()) {
    return invalid_argument("give inputs with --input or --dataset, not both");
  }

  // Open the store first: a bad --db path should fail before minutes of measurement.
  auto store = open_result_store(options.no_db, options.db_path);
  if (!store.is_ok()) return store.status();

  // Phase 1: load + compile.
  auto init_start = Clock::now();
  Result<ir::Graph> graph = load_model_file(options.model);
  if (!graph.is_ok()) return graph.status();
  // Symbolic input dims are never guessed: they come from --input-shape, the --input files or
  // the dataset's samples (which then must all have one shape: bench measures one plan).
  std::map<std::string, Shape, std::less<>> known_shapes = *shapes;
  for (const auto& [name, tensor] : given) known_shapes[name] = tensor.shape();
  std::optional<std::vector<std::vector<Tensor>>> shaped_samples;
  if (!graph->foreign && !ir::inputs_needing_shapes(*graph, known_shapes).empty()) {
    if (options.dataset.empty() || !dataset_has_shapes(options.dataset)) {
      const Status st = require_input_shapes(
          *graph, known_shapes,
          options.dataset.empty()
              ? "--input-shape NAME=DIMS or --input NAME=FILE.npy"
              : "--input-shape NAME=DIMS (or use a dataset whose files carry shapes: npy:, npz:, "
                "onnx-test:)");
      return st.with_context(fmt::format("model '{}'", options.model));
    }
    auto loaded_samples =
        load_samples_with_shapes(*graph, known_shapes, options.dataset, options.limit);
    if (!loaded_samples.is_ok()) {
      return loaded_samples.status().with_context(fmt::format("--dataset {}", options.dataset));
    }
    for (std::size_t i = 0; i < graph->inputs.size(); ++i) {
      known_shapes[graph->inputs[i]] = (*loaded_samples)[0][i].shape();
    }
    shaped_samples = std::move(loaded_samples).value();
    init_start = Clock::now();  // the dataset is not part of load + compile
  }
  for (const auto& [name, tensor] : given) {
    if (std::find(graph->inputs.begin(), graph->inputs.end(), name) == graph->inputs.end()) {
      return invalid_argument(
          fmt::format("--input {}=...: the model has no input named '{}' (inputs: {})", name, name,
                      fmt::join(graph->inputs, ", ")));
    }
  }
  backends::CompileOptions compile_options;
  compile_options.threads = options.threads;
  compile_options.input_shapes = known_shapes;
  auto exe = (*backend)->compile(*graph, compile_options);
  if (!exe.is_ok()) {
    return with_symbolic_dims_hint(exe.status(), *graph, known_shapes)
        .with_context(fmt::format("model '{}'", options.model));
  }
  const double init_ms = ms_since(init_start);

  results::Record record = new_result_record("bench", options.label, *graph, options.model,
                                             (*backend)->name(), options.threads, known_shapes);
  record.timings.init_ms = init_ms;

  Result<std::vector<std::vector<Tensor>>> samples = std::vector<std::vector<Tensor>>{};
  if (shaped_samples) {
    samples = std::move(*shaped_samples);
  } else if (!options.dataset.empty()) {
    samples = load_dataset_samples(**exe, options.dataset, options.samples, options.limit);
  } else {
    samples = make_samples(**exe, given, options.random_seed, options.samples);
  }
  if (!samples.is_ok()) return samples.status();

  // Phase 2: the cold first inference.
  std::vector<Tensor> outputs = measure::preallocate_outputs(**exe);
  auto first = measure::time_first_inference(**exe, (*samples)[0], outputs);
  if (!first.is_ok()) return first.status().with_context("first inference");
  record.timings.first_inference_ms = *first;

  // Phases 3 and 4: warm-up and the measured phase.
  measure::PowercapReader powercap(
      options.powercap_root.empty() ? std::filesystem::path(measure::PowercapReader::kDefaultRoot)
                                    : std::filesystem::path(options.powercap_root));
  measure::ScenarioHooks hooks;
  hooks.powercap = &powercap;
  const bool show_progress = isatty(STDERR_FILENO) != 0 && !options.quiet;
  if (show_progress) {
    hooks.progress = [&](const measure::Progress& p) {
      std::fprintf(stderr, "\r  %s: %llu queries, %.1f s   ", options.scenario.c_str(),
                   static_cast<unsigned long long>(p.queries), p.elapsed_s);
    };
  }
  measure::Scenario scenario(settings);
  auto measured = scenario.run(**exe, *samples, hooks);
  if (show_progress) std::fprintf(stderr, "\r%60s\r", "");
  if (!measured.is_ok()) return measured.status();
  measure::fill_record(settings, *measured, record);
  record.scenario.inputs = !options.dataset.empty()
                               ? fmt::format("{} ({} samples)", options.dataset, samples->size())
                               : (given.empty() ? fmt::format("random:{} ({} sets)",
                                                              options.random_seed, options.samples)
                                                : "npy");
  record.memory.arena_bytes = (*exe)->arena_bytes();
  record_accelerator(**exe, record);

  // Optional: the per-op profile, in its own pass after the headline figures.
  if (options.profile_ops) {
    auto profile = measure::profile_ops(**exe, *samples);
    if (!profile.is_ok()) return profile.status().with_context("--profile-ops");
    record.profile = std::move(profile).value();
  }

  if (Status st = apply_params(options.params_json, record); !st.is_ok()) return st;
  if (options.summary == Summary::kBrief) print_brief(record);
  if (options.summary == Summary::kTable) print_summary(record);
  if (Status st = save_result_record(record, options.json_path, *store, options.db_path,
                                     options.store_key, options.summary != Summary::kNone);
      !st.is_ok()) {
    return st;
  }
  return record;
}

}  // namespace edgebench::api

namespace edgebench::cli {

int run_bench(const BenchOptions& options) {
  Result<results::Record> record = bench_and_store(options);
  if (!record.is_ok()) return report_error(record.status());
  return record->valid ? kExitOk : kExitCheckFailed;
}

}  // namespace edgebench::cli
