// edgebench pipeline MODEL --segments N --workers SPEC,...: the model cut into segments, one
// worker per segment (native threads, remote targets, ...), joined by bounded queues; reports
// per-segment service times, queue waits, throughput and the speed-up over the whole model on
// one worker, for several numbers of inputs in flight.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "common.h"
#include "edgebench/backends/pipeline.h"
#include "edgebench/core/random.h"
#include "edgebench/engine/plan.h"
#include "edgebench/engine/registry.h"
#include "edgebench/ir/stats.h"
#include "edgebench/measure/stats.h"
#include "edgebench/plan/device.h"
#include "edgebench/plan/segment.h"
#include "edgebench/results/io.h"
#include "edgebench/results/store.h"
#include "results_commands.h"

namespace edgebench::cli {

namespace {

struct PipelineCommandOptions {
  std::string model;
  std::size_t segments = 0;  // default: one per worker
  std::string workers = "native";
  std::string strategy = "macs";
  std::vector<std::size_t> cuts;
  std::string device = "edgetpu-usb3";
  std::vector<std::size_t> in_flight = {1, 2, 4, 8};
  std::size_t queries = 200;
  std::size_t warmup = 20;
  int threads = 1;
  bool no_pin = false;
  std::string json_path;
  std::uint64_t seed = 0;
  std::string db_path = "edgebench-results.db";
  bool no_db = false;
  std::string label;
  std::string op_times;  // strategy measured: a `bench --profile-ops --json` record to read
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The project's statistics (nearest-rank percentiles) of a list of times.
double mean(const std::vector<double>& v) { return measure::summarize(v).mean; }
double p50(const std::vector<double>& v) { return measure::summarize(v).p50; }

double max_abs_diff(const Tensor& a, const Tensor& b) {
  if (a.dtype() != DType::kFloat32 || b.dtype() != DType::kFloat32 ||
      a.element_count() != b.element_count()) {
    return std::numeric_limits<double>::infinity();
  }
  double m = 0;
  const float* x = a.data<float>();
  const float* y = b.data<float>();
  for (std::int64_t i = 0; i < a.element_count(); ++i) {
    m = std::max(m, static_cast<double>(std::abs(x[i] - y[i])));
  }
  return m;
}

// One pipeline measurement (a number of inputs in flight) as a result record: scenario
// "pipeline", the per-query latencies from issue to completion, the throughput, and in params
// the segments, workers, speed-up over one worker and each stage's times.
results::Record pipeline_record(const PipelineCommandOptions& o, const ir::Graph& graph,
                                const std::vector<std::string>& workers, const nlohmann::json& plan,
                                const backends::PipelineRun& run, double speedup,
                                const nlohmann::json& stages) {
  results::Record r = new_result_record("pipeline", o.label, graph, o.model,
                                        fmt::format("{}", fmt::join(workers, ",")), o.threads);
  r.scenario.name = "pipeline";
  r.scenario.warmup_queries = o.warmup;
  r.scenario.min_queries = o.queries;
  r.scenario.seed = o.seed;
  r.timings.latency = measure::summarize(run.latency_ms);
  r.timings.duration_s = run.wall_s;
  r.timings.headline_metric = "samples_per_s";
  r.timings.headline_value = run.throughput_per_s;
  r.throughput.queries_per_s = run.throughput_per_s;
  r.throughput.samples_per_s = run.throughput_per_s;
  r.latencies_ms = run.latency_ms;
  r.params = {{"pipeline",
               {{"in_flight", run.in_flight},
                {"segments", plan.at("segments")},
                {"strategy", plan.at("strategy")},
                {"pinned", plan.at("pinned")},
                {"speedup", speedup},
                {"single_worker", plan.at("single_worker")},
                {"stages", stages}}}};
  return r;
}

// Per-node costs measured on the whole model: each node's time in an op profile (a `bench
// --profile-ops` record), matched by node name. A node the engine fused into another (a Relu
// into its Conv) has no entry and costs nothing of its own; the layout conversions the engine
// inserted are not nodes of the model and are left out. Every cost is at least a microsecond's
// fraction, so that no node weighs nothing.
Result<std::vector<double>> measured_node_costs(const ir::Graph& graph,
                                                const results::OpProfile& profile,
                                                const std::string& source) {
  std::map<std::string, double> ms_of;
  for (const results::OpProfileEntry& e : profile.by_node) {
    if (e.calls > 0) ms_of[e.name] += e.total_ms / static_cast<double>(e.calls);
  }
  std::vector<double> costs;
  std::size_t matched = 0;
  for (const ir::Node& node : graph.nodes) {
    auto it = ms_of.find(node.name);
    matched += it != ms_of.end();
    costs.push_back(std::max(1e-9, it == ms_of.end() ? 0.0 : it->second * 1e-3));
  }
  if (matched == 0) {
    return invalid_argument(fmt::format(
        "{}: its op profile names none of the model's nodes (a profile of another model?)",
        source));
  }
  return costs;
}

// The profile of the whole model on `worker`: read from --op-times, or measured now with
// `bench --profile-ops`.
Result<results::OpProfile> whole_model_profile(const PipelineCommandOptions& o,
                                               const std::string& worker) {
  if (!o.op_times.empty()) {
    EB_ASSIGN_OR_RETURN(results::Record r, results::read_json_file(o.op_times));
    if (!r.profile) {
      return invalid_argument(fmt::format(
          "--op-times '{}' holds no op profile (write it with bench --profile-ops --json)",
          o.op_times));
    }
    return *r.profile;
  }
  BenchOptions bench;
  bench.model = o.model;
  bench.backend = worker;
  bench.threads = o.threads;
  bench.profile_ops = true;
  bench.min_queries = std::max<std::uint64_t>(o.queries, 64);
  bench.min_duration_s = 0;
  bench.no_db = true;
  bench.quiet = true;
  bench.summary = Summary::kNone;
  EB_ASSIGN_OR_RETURN(results::Record r, bench_and_store(bench));
  if (!r.profile) {
    return unsupported(
        fmt::format("backend '{}' does not profile ops: give --op-times FILE", worker));
  }
  return *r.profile;
}

int run_pipeline(const PipelineCommandOptions& o) {
  std::vector<std::string> workers = split_list(o.workers);
  for (const std::string& w : workers) {
    if (auto b = backends::make_backend(w); !b.is_ok()) {
      return report_error(b.status().with_context("--workers"));
    }
  }
  const std::size_t segments = o.segments > 0 ? o.segments : workers.size();
  if (workers.size() == 1 && segments > 1) workers.assign(segments, workers.front());
  if (workers.size() != segments) {
    return report_error(invalid_argument(
        fmt::format("--workers: {} workers for {} segments (give one, or one per segment)",
                    workers.size(), segments)));
  }
  if (o.queries < 1) return report_error(invalid_argument("--queries must be at least 1"));
  for (std::size_t d : o.in_flight) {
    if (d < 1) return report_error(invalid_argument("--in-flight values must be at least 1"));
  }

  Result<ir::Graph> loaded = load_model_file(o.model);
  if (!loaded.is_ok()) return report_error(loaded.status());
  ir::Graph graph = std::move(loaded).value();
  if (Status st = ir::sort_topologically(graph); !st.is_ok()) return report_error(st);
  auto analysis = engine::analyze_graph(graph, engine::builtin_registry(), {});
  if (!analysis.is_ok()) {
    return report_error(analysis.status().with_context(fmt::format("model '{}'", o.model)));
  }
  engine::annotate_types(graph, analysis->types);

  // Opened before anything is measured, so that a bad store fails early.
  auto store = open_result_store(o.no_db, o.db_path);
  if (!store.is_ok()) return report_error(store.status());

  auto device = plan::find_device(o.device, plan::device_search_dirs());
  if (!device.is_ok()) return report_error(device.status().with_context("--device"));
  plan::SegmentationOptions so;
  so.segments = segments;
  if (!o.cuts.empty()) {
    so.strategy = plan::SegmentStrategy::kManual;
    so.cuts = o.cuts;
  } else if (o.strategy == "measured") {
    // Balanced measured time: bisection on each node's time in a profile of the whole model.
    so.strategy = plan::SegmentStrategy::kLatency;
    auto profile = whole_model_profile(o, workers.front());
    if (!profile.is_ok()) return report_error(profile.status().with_context("--strategy measured"));
    auto costs = measured_node_costs(
        graph, *profile, o.op_times.empty() ? "the profile" : "--op-times '" + o.op_times + "'");
    if (!costs.is_ok()) return report_error(costs.status());
    so.node_costs = std::move(costs).value();
  } else if (o.strategy == "macs") {
    // Balanced work for CPU workers: bisection on per-node MACs (a node without MACs counts
    // as one, so that element-wise runs still weigh something).
    so.strategy = plan::SegmentStrategy::kLatency;
    const ir::GraphStats stats = ir::compute_stats(graph);
    for (const ir::NodeStats& n : stats.nodes) {
      so.node_costs.push_back(static_cast<double>(std::max<std::uint64_t>(n.macs, 1)));
    }
  } else {
    auto strategy = plan::parse_segment_strategy(o.strategy);
    if (!strategy.is_ok()) return report_error(strategy.status());
    so.strategy = *strategy;
  }
  auto seg = plan::segment_model(graph, *device, so);
  if (!seg.is_ok()) return report_error(seg.status());

  // Inputs: seeded random tensors of the model's input types.
  std::vector<std::map<std::string, Tensor>> samples(4);
  for (std::size_t s = 0; s < samples.size(); ++s) {
    for (const std::string& name : graph.inputs) {
      const ir::ValueInfo* info = graph.find_value_info(name);
      if (info == nullptr || !info->has_static_shape()) {
        return report_error(
            invalid_argument(fmt::format("model input '{}' has no static shape", name)));
      }
      auto t = random_tensor(info->dtype, *info->shape, o.seed + s);
      if (!t.is_ok()) return report_error(t.status());
      samples[s][name] = std::move(t).value();
    }
  }

  // The anchor: the whole model on one worker of the first kind.
  std::vector<backends::PipelineStage> whole_stage = {{workers.front(), graph}};
  auto whole = backends::Pipeline::create(std::move(whole_stage), o.threads, !o.no_pin);
  if (!whole.is_ok()) return report_error(whole.status());
  std::map<std::string, Tensor> reference;
  if (auto w = (*whole)->run(samples, std::min(o.warmup, o.queries), 1); !w.is_ok()) {
    return report_error(w.status());
  }
  auto single = (*whole)->run(samples, o.queries, 1, &reference);
  if (!single.is_ok()) return report_error(single.status());
  // Let the worker go first: a remote target serves one session at a time.
  whole->reset();

  std::vector<backends::PipelineStage> stages;
  for (std::size_t i = 0; i < seg->segments.size(); ++i) {
    stages.push_back({workers[i], seg->segments[i].graph});
  }
  auto pipe = backends::Pipeline::create(std::move(stages), o.threads, !o.no_pin);
  if (!pipe.is_ok()) return report_error(pipe.status());
  if (auto w = (*pipe)->run(samples, std::min(o.warmup, o.queries), 1); !w.is_ok()) {
    return report_error(w.status());
  }

  fmt::print("pipeline: {} in {} segments ({} split{}), workers {}{}\n", o.model,
             seg->segments.size(), o.cuts.empty() ? o.strategy : std::string("manual"),
             !o.cuts.empty()            ? ""
             : o.strategy == "macs"     ? ": balanced MACs"
             : o.strategy == "measured" ? ": balanced measured per-op times"
                                        : "",
             fmt::join(workers, ", "),
             (*pipe)->pinned() ? " (native workers pinned to cores)" : "");
  const ir::GraphStats stats = ir::compute_stats(graph);
  for (std::size_t i = 0; i < seg->segments.size(); ++i) {
    const plan::Segment& s = seg->segments[i];
    std::uint64_t macs = 0;
    for (std::size_t n = s.begin; n < s.end; ++n) macs += stats.nodes[n].macs;
    fmt::print("  segment {}: nodes {}-{} ({} .. {}), {} MACs, hands on {:.1f} KiB, on {}\n", i + 1,
               s.begin, s.end - 1, graph.nodes[s.begin].name, graph.nodes[s.end - 1].name, macs,
               static_cast<double>(s.output_bytes) / 1024.0, workers[i]);
  }
  const double base = single->throughput_per_s;
  fmt::print("  one worker ({}), whole model: {:.1f} inferences/s, p50 {:.4g} ms\n",
             workers.front(), base, p50(single->latency_ms));

  nlohmann::json j;
  j["schema"] = "edgebench.pipeline/1";
  j["model"] = o.model;
  j["workers"] = workers;
  j["strategy"] = o.cuts.empty() ? o.strategy : "manual";
  j["pinned"] = (*pipe)->pinned();
  j["queries"] = o.queries;
  j["single_worker"] = {{"backend", workers.front()},
                        {"throughput_per_s", base},
                        {"latency_p50_ms", p50(single->latency_ms)}};
  j["segments"] = nlohmann::json::array();
  for (std::size_t i = 0; i < seg->segments.size(); ++i) {
    const plan::Segment& s = seg->segments[i];
    j["segments"].push_back({{"index", i},
                             {"first_node", s.begin},
                             {"end_node", s.end},
                             {"worker", workers[i]},
                             {"output_bytes", s.output_bytes}});
  }
  j["runs"] = nlohmann::json::array();

  fmt::print("\n  {:>9} {:>14} {:>8} {:>12}", "in flight", "inferences/s", "speedup", "p50 ms");
  for (std::size_t i = 0; i < seg->segments.size(); ++i) {
    fmt::print(" {:>17}", fmt::format("seg{} ms (wait)", i + 1));
  }
  fmt::print("\n");
  std::map<std::string, Tensor> outputs;
  std::vector<results::Record> records;  // one per number in flight
  for (std::size_t depth : o.in_flight) {
    auto r = (*pipe)->run(samples, o.queries, depth, &outputs);
    if (!r.is_ok()) return report_error(r.status());
    const double speedup = base > 0 ? r->throughput_per_s / base : 0;
    fmt::print("  {:>9} {:>14.1f} {:>7.2f}x {:>12.4g}", depth, r->throughput_per_s, speedup,
               p50(r->latency_ms));
    nlohmann::json stages_json = nlohmann::json::array();
    for (const backends::StageTimes& t : r->stages) {
      fmt::print(" {:>8.4g} ({:>6.3g})", mean(t.service_ms), mean(t.wait_ms));
      stages_json.push_back({{"service_mean_ms", mean(t.service_ms)},
                             {"service_p50_ms", p50(t.service_ms)},
                             {"wait_mean_ms", mean(t.wait_ms)}});
    }
    fmt::print("\n");
    records.push_back(pipeline_record(o, graph, workers, j, *r, speedup, stages_json));
    j["runs"].push_back({{"in_flight", depth},
                         {"throughput_per_s", r->throughput_per_s},
                         {"speedup", speedup},
                         {"latency_p50_ms", p50(r->latency_ms)},
                         {"wall_s", r->wall_s},
                         {"stages", std::move(stages_json)}});
  }

  // The pipeline must compute what the whole model computes.
  double worst = 0;
  for (const auto& [name, ref] : reference) {
    auto it = outputs.find(name);
    worst = std::max(worst, it == outputs.end() ? std::numeric_limits<double>::infinity()
                                                : max_abs_diff(ref, it->second));
  }
  fmt::print("  outputs against the whole model on one worker: max |difference| {:.3g}\n", worst);
  j["max_abs_difference"] = std::isfinite(worst) ? worst : -1.0;
  if (!o.json_path.empty()) {
    if (Status st = write_text_file(o.json_path, j.dump(2) + "\n", "--json"); !st.is_ok()) {
      return report_error(st);
    }
  }
  // The records, like every measuring command's: to the store, and invalid when the outputs
  // differ from the whole model's.
  for (results::Record& record : records) {
    if (!(worst <= 1e-4)) {
      record.valid = false;
      record.invalid_reasons.push_back(
          fmt::format("the pipeline's outputs differ from the whole model's by {:.3g}", worst));
    }
    if (Status st = save_result_record(record, "", *store, o.db_path, "", false); !st.is_ok()) {
      return report_error(st);
    }
  }
  if (*store && !records.empty()) {
    fmt::print("  {} result(s) stored in {}\n", records.size(), (*store)->name());
  }
  if (!(worst <= 1e-4)) {
    fmt::print(stderr, "edgebench: the pipeline's outputs differ from the whole model's\n");
    return kExitCheckFailed;
  }
  return kExitOk;
}

}  // namespace

std::function<std::optional<int>()> add_pipeline_command(CLI::App& app) {
  auto o = std::make_shared<PipelineCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "pipeline",
      "Run a model cut into segments on a pipeline of workers (one thread per segment, bounded "
      "queues): per-segment times, throughput and speed-up over one worker vs inputs in flight");
  cmd->add_option("MODEL", o->model, "ONNX model file")->required();
  cmd->add_option("--segments", o->segments, "Number of segments (default: one per worker)");
  cmd->add_option("--workers", o->workers,
                  "Backends, one per segment, comma-separated (native, native-ref, "
                  "onnxruntime, tflite, openvino, tvm, tcp://HOST:PORT, sim:DEVICE); one spec "
                  "is used for every segment")
      ->default_val("native");
  cmd->add_option("--strategy", o->strategy,
                  "Where to cut: macs (balanced MACs, for CPU workers), measured (balanced "
                  "measured per-op times: a profile of the whole model on the first worker, or "
                  "--op-times), parameters, latency (the device model's per-op times), "
                  "exhaustive")
      ->default_val("macs");
  cmd->add_option("--op-times", o->op_times,
                  "For --strategy measured: a `bench --profile-ops --json` record of the model "
                  "(from the native engine or a target) instead of profiling it now");
  cmd->add_option("--cuts", o->cuts, "Manual cuts: the first node index of each later segment");
  cmd->add_option("--device", o->device,
                  "Device description for the parameters/latency/exhaustive strategies")
      ->default_val("edgetpu-usb3");
  cmd->add_option("--in-flight", o->in_flight, "Inputs in flight to measure (e.g. 1 2 4 8)")
      ->delimiter(',')
      ->default_str("1,2,4,8");
  cmd->add_option("--queries", o->queries, "Inputs per measurement")->default_val(200);
  cmd->add_option("--warmup", o->warmup, "Untimed inputs first")->default_val(20);
  cmd->add_option("--threads", o->threads, "Threads per native worker")->default_val(1);
  cmd->add_flag("--no-pin", o->no_pin, "Do not pin native workers to cores");
  cmd->add_option("--random-seed", o->seed, "Seed of the random inputs")->default_val(0);
  cmd->add_option("--json", o->json_path, "Write the figures as JSON");
  cmd->add_option("--db", o->db_path, kStoreHelp)->default_val("edgebench-results.db");
  cmd->add_flag("--no-db", o->no_db, "Do not store the results");
  cmd->add_option("--label", o->label, "Free text stored with the results");
  return [=]() -> std::optional<int> {
    if (*cmd) return run_pipeline(*o);
    return std::nullopt;
  };
}

}  // namespace edgebench::cli
