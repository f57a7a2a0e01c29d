// edgebench bench: LoadGen-style measurement of a model on a backend. Phases are measured and
// reported separately: load + compile (init_ms), the first (cold) inference, warm-up, then the
// measured phase of the chosen scenario; an optional per-op profile runs as its own pass.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
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
#include "edgebench/measure/conditions.h"
#include "edgebench/measure/profiler.h"
#include "edgebench/measure/resources.h"
#include "edgebench/measure/scenario.h"
#include "edgebench/results/significance.h"

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

void print_conditions(const results::Conditions& c) {
  const auto optional = [](const std::optional<double>& v, const char* format) {
    return v ? fmt::format(fmt::runtime(format), *v) : std::string("?");
  };
  fmt::print(
      "  conditions   CPUs {}{}, governor {}, clock {} MHz, steal {}%, other load {}%, "
      "load average {} -> {}\n",
      measure::format_cpu_list(c.cpus), c.pinned ? " (pinned)" : "",
      c.governor.empty() ? "?" : c.governor, optional(c.cpu_mhz, "{:.0f}"),
      optional(c.steal_pct, "{:.1f}"), optional(c.other_load_pct, "{:.0f}"),
      optional(c.loadavg_start, "{:.2f}"), optional(c.loadavg_end, "{:.2f}"));
  if (c.round_p50_ms.size() > 1) {
    fmt::print("  rounds       p50 {} ms; spread {}%\n", fmt::join(c.round_p50_ms, " "),
               optional(c.spread_pct, "{:.2f}"));
  }
  if (c.noisy) {
    fmt::print("  NOISY        {}\n", fmt::join(c.noise_reasons, "; "));
  } else {
    fmt::print("  noise        quiet by these readings\n");
  }
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
  if (r.conditions) print_conditions(*r.conditions);
  fmt::print("  result {} {}\n", r.id, r.valid ? "(valid)" : "(INVALID)");
  for (const std::string& why : r.invalid_reasons) fmt::print("    invalid: {}\n", why);
}

}  // namespace

}  // namespace edgebench::cli

namespace edgebench::api {

using namespace cli;  // this file's helpers

namespace {

// One model compiled on one backend with its input sets, ready to measure: what bench measures,
// and with --baseline what it measures against.
struct Subject {
  std::string model_path;
  std::unique_ptr<backends::Backend> backend;
  std::unique_ptr<backends::Executable> exe;
  std::vector<std::vector<Tensor>> samples;
  results::Record record;
};

Result<Subject> prepare_subject(const BenchOptions& options, const std::string& model_path,
                                const std::string& backend_spec,
                                const std::map<std::string, Tensor, std::less<>>& given,
                                const std::map<std::string, Shape, std::less<>>& shapes) {
  Subject subject;
  subject.model_path = model_path;
  auto backend = backends::make_backend(backend_spec);
  if (!backend.is_ok()) return backend.status();
  subject.backend = std::move(backend).value();

  // Phase 1: load + compile.
  auto init_start = Clock::now();
  Result<ir::Graph> graph = load_model_file(model_path);
  if (!graph.is_ok()) return graph.status();
  // Symbolic input dims are never guessed: they come from --input-shape, the --input files or
  // the dataset's samples (which then must all have one shape: bench measures one plan).
  std::map<std::string, Shape, std::less<>> known_shapes = shapes;
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
      return st.with_context(fmt::format("model '{}'", model_path));
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
  auto exe = subject.backend->compile(*graph, compile_options);
  if (!exe.is_ok()) {
    return with_symbolic_dims_hint(exe.status(), *graph, known_shapes)
        .with_context(fmt::format("model '{}'", model_path));
  }
  subject.exe = std::move(exe).value();
  const double init_ms = ms_since(init_start);

  subject.record = new_result_record("bench", options.label, *graph, model_path,
                                     subject.backend->name(), options.threads, known_shapes);
  subject.record.timings.init_ms = init_ms;

  Result<std::vector<std::vector<Tensor>>> samples = std::vector<std::vector<Tensor>>{};
  if (shaped_samples) {
    samples = std::move(*shaped_samples);
  } else if (!options.dataset.empty()) {
    samples = load_dataset_samples(*subject.exe, options.dataset, options.samples, options.limit);
  } else {
    samples = make_samples(*subject.exe, given, options.random_seed, options.samples);
  }
  if (!samples.is_ok()) return samples.status();
  subject.samples = std::move(samples).value();
  subject.record.scenario.inputs =
      !options.dataset.empty()
          ? fmt::format("{} ({} samples)", options.dataset, subject.samples.size())
          : (given.empty()
                 ? fmt::format("random:{} ({} sets)", options.random_seed, options.samples)
                 : "npy");

  // Phase 2: the cold first inference.
  std::vector<Tensor> outputs = measure::preallocate_outputs(*subject.exe);
  auto first = measure::time_first_inference(*subject.exe, subject.samples[0], outputs);
  if (!first.is_ok()) return first.status().with_context("first inference");
  subject.record.timings.first_inference_ms = *first;
  return subject;
}

// Restores the calling thread's CPUs when bench returns (the library may be called from a
// program that does not expect its thread to stay pinned).
class AffinityGuard {
 public:
  AffinityGuard() : saved_(measure::allowed_cpus()) {}
  ~AffinityGuard() {
    if (!saved_.empty()) (void)measure::pin_to_cpus(saved_);
  }
  AffinityGuard(const AffinityGuard&) = delete;
  AffinityGuard& operator=(const AffinityGuard&) = delete;

 private:
  std::vector<int> saved_;
};

void print_side_by_side(const results::Record& baseline, const results::Record& candidate) {
  const std::vector<double>& base_rounds = baseline.conditions->round_p50_ms;
  const std::vector<double>& rounds = candidate.conditions->round_p50_ms;
  fmt::print("\n  side by side, p50 per round (baseline {} on {}):\n", baseline.model.name,
             baseline.backend.name);
  for (std::size_t i = 0; i < rounds.size() && i < base_rounds.size(); ++i) {
    fmt::print("    round {:>2}   baseline {:.5g} ms   this {:.5g} ms   ratio {:.4f}\n", i + 1,
               base_rounds[i], rounds[i], base_rounds[i] > 0 ? rounds[i] / base_rounds[i] : 0.0);
  }
  const auto ratio = results::median_ratio_interval(results::raw_latencies(baseline),
                                                    results::raw_latencies(candidate));
  if (ratio) {
    fmt::print("  p50 ratio (this / baseline) {:.4f}, 95% CI {}\n", ratio->ratio,
               results::significance_text(*ratio));
  }
}

}  // namespace

Result<results::Record> bench_and_store(const BenchOptions& options) {
  auto kind = measure::parse_scenario(options.scenario);
  if (!kind.is_ok()) return kind.status();
  if (options.threads < 1) return invalid_argument("--threads must be at least 1");
  if (options.samples < 1) return invalid_argument("--samples must be at least 1");
  if (options.repeat < 1) return invalid_argument("--repeat must be at least 1");
  if (!(options.noise_threshold_pct > 0 && std::isfinite(options.noise_threshold_pct))) {
    return invalid_argument(fmt::format("--noise-threshold must be a percentage above 0, got {}",
                                        options.noise_threshold_pct));
  }
  std::vector<int> cpus;
  if (!options.cpus.empty()) {
    auto parsed = measure::parse_cpu_list(options.cpus);
    if (!parsed.is_ok()) return parsed.status();
    cpus = std::move(parsed).value();
  }

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

  // Pin before any backend starts its worker threads: they inherit the mask.
  AffinityGuard affinity;
  if (!cpus.empty()) {
    if (Status st = measure::pin_to_cpus(cpus); !st.is_ok()) return st;
  }

  auto subject = prepare_subject(options, options.model, options.backend, given, *shapes);
  if (!subject.is_ok()) return subject.status();
  // --baseline: another model file on the same backend, or the same model on another backend.
  std::optional<Subject> baseline;
  if (!options.baseline.empty()) {
    const bool is_model = std::filesystem::exists(options.baseline);
    auto prepared = prepare_subject(options, is_model ? options.baseline : options.model,
                                    is_model ? options.backend : options.baseline, given, *shapes);
    if (!prepared.is_ok()) {
      return prepared.status().with_context(fmt::format("--baseline {}", options.baseline));
    }
    baseline = std::move(prepared).value();
  }

  // Phases 3 and 4: warm-up and the measured phase, `repeat` rounds, alternating with the
  // baseline's rounds so that both see the same drift of the machine.
  measure::PowercapReader powercap(
      options.powercap_root.empty() ? std::filesystem::path(measure::PowercapReader::kDefaultRoot)
                                    : std::filesystem::path(options.powercap_root));
  measure::ScenarioHooks hooks;
  hooks.powercap = &powercap;
  const bool show_progress = isatty(STDERR_FILENO) != 0 && !options.quiet;
  std::uint64_t round_number = 0;
  if (show_progress) {
    hooks.progress = [&](const measure::Progress& p) {
      std::fprintf(stderr, "\r  %s, round %llu/%llu: %llu queries, %.1f s   ",
                   options.scenario.c_str(), static_cast<unsigned long long>(round_number),
                   static_cast<unsigned long long>(options.repeat),
                   static_cast<unsigned long long>(p.queries), p.elapsed_s);
    };
  }
  measure::Scenario scenario(settings);
  measure::ConditionsMeter conditions_meter;
  const measure::CpuTimes cpu_before = measure::process_cpu_times();
  conditions_meter.start(cpus.empty() ? measure::allowed_cpus() : cpus, !cpus.empty());
  std::vector<measure::MeasuredRound> rounds, baseline_rounds;
  for (round_number = 1; round_number <= options.repeat; ++round_number) {
    for (Subject* s : {baseline ? &*baseline : nullptr, &*subject}) {
      if (s == nullptr) continue;
      auto round = scenario.run_round(*s->exe, s->samples, hooks);
      if (!round.is_ok()) {
        if (show_progress) std::fprintf(stderr, "\r%70s\r", "");
        return round.status().with_context(
            fmt::format("{}round {}", s == &*subject ? "" : "--baseline ", round_number));
      }
      (s == &*subject ? rounds : baseline_rounds).push_back(std::move(round).value());
    }
  }
  const measure::CpuTimes cpu_after = measure::process_cpu_times();
  const results::Conditions conditions = conditions_meter.stop(
      (cpu_after.user_s - cpu_before.user_s) + (cpu_after.system_s - cpu_before.system_s));
  if (show_progress) std::fprintf(stderr, "\r%70s\r", "");

  measure::NoiseThresholds thresholds;
  thresholds.spread_pct = options.noise_threshold_pct;
  const auto finish = [&](Subject& s, const std::vector<measure::MeasuredRound>& measured) {
    results::Record& record = s.record;
    measure::fill_record(settings, scenario.summarize(measured), record);
    record.memory.arena_bytes = s.exe->arena_bytes();
    record_accelerator(*s.exe, record);
    record.conditions = conditions;
    for (const measure::MeasuredRound& round : measured) {
      record.conditions->round_p50_ms.push_back(round.p50_ms(settings.kind));
    }
    record.conditions->spread_pct = measure::round_spread_pct(record.conditions->round_p50_ms);
    measure::judge_noise(*record.conditions, thresholds);
  };
  finish(*subject, rounds);
  if (baseline) finish(*baseline, baseline_rounds);
  results::Record& record = subject->record;

  // Optional: the per-op profile, in its own pass after the headline figures.
  if (options.profile_ops) {
    auto profile = measure::profile_ops(*subject->exe, subject->samples);
    if (!profile.is_ok()) return profile.status().with_context("--profile-ops");
    record.profile = std::move(profile).value();
  }

  if (baseline) {
    results::Record& base = baseline->record;
    if (Status st = apply_params(options.params_json, base); !st.is_ok()) return st;
    base.params = base.params.is_object() ? base.params : nlohmann::json::object();
    base.params["baseline_for"] = record.id;
    if (options.summary == Summary::kTable) print_summary(base);
    // The baseline's record is stored but not written to --json, which holds the subject's.
    if (Status st = save_result_record(base, "", *store, options.db_path, "",
                                       options.summary != Summary::kNone);
        !st.is_ok()) {
      return st;
    }
  }
  if (Status st = apply_params(options.params_json, record); !st.is_ok()) return st;
  if (baseline) {
    record.params = record.params.is_object() ? record.params : nlohmann::json::object();
    record.params["baseline"] = baseline->record.id;
  }
  if (options.summary == Summary::kBrief) print_brief(record);
  if (options.summary == Summary::kTable) print_summary(record);
  if (baseline && options.summary == Summary::kTable) {
    print_side_by_side(baseline->record, record);
  }
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
