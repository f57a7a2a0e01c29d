// edgebench eval: output quality of a model on a dataset, with per-sample latency. Every sample
// runs once; the first output is the prediction. Quality: classification metrics (labelled
// classification datasets), MSE/MAE against the label (regression), and with --reference the
// relative error and argmax agreement against a reference model on the same samples.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "common.h"
#include "edgebench/backends/backend.h"
#include "edgebench/core/quantize.h"
#include "edgebench/data/dataset.h"
#include "edgebench/ir/stats.h"
#include "edgebench/measure/quality.h"
#include "edgebench/measure/resources.h"
#include "edgebench/measure/scenario.h"
#include "edgebench/measure/stats.h"

namespace edgebench::cli {

namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point start, Clock::time_point end) {
  return std::chrono::duration<double, std::milli>(end - start).count();
}

// A model's compiled plans, one per distinct set of input shapes, each compiled on first use
// (a dataset whose samples differ in size runs each on a plan made for its shape).
class PlanCache {
 public:
  struct Entry {
    std::unique_ptr<backends::Executable> exe;
    std::vector<Tensor> outputs;  // preallocated, reused across samples
    bool fresh = true;            // not run yet
  };

  PlanCache(const backends::Backend& backend, ir::Graph graph, std::string path, int threads,
            std::map<std::string, Shape, std::less<>> given)
      : backend_(backend),
        graph_(std::move(graph)),
        path_(std::move(path)),
        threads_(threads),
        given_(std::move(given)) {}

  // The plan for the given shapes of graph inputs (others as declared or --input-shape).
  Result<Entry*> plan_for(const std::map<std::string, Shape, std::less<>>& shapes) {
    std::map<std::string, Shape, std::less<>> bound = given_;
    for (const auto& [name, shape] : shapes) bound[name] = shape;
    // Keyed by the shapes the plan runs on: an input not bound here runs on its declared shape,
    // so the default plan serves the samples of a static model (a target takes one session).
    std::vector<Shape> key;
    for (const std::string& name : graph_.inputs) {
      auto it = bound.find(name);
      const ir::ValueInfo* info = graph_.find_value_info(name);
      key.push_back(it != bound.end()                ? it->second
                    : info != nullptr && info->shape ? *info->shape
                                                     : Shape{});
    }
    auto found = entries_.find(key);
    if (found != entries_.end()) return &found->second;
    backends::CompileOptions options;
    options.threads = threads_;
    options.input_shapes = bound;
    auto exe = backend_.compile(graph_, options);
    if (!exe.is_ok()) {
      return with_symbolic_dims_hint(exe.status(), graph_, bound)
          .with_context(fmt::format("model '{}'", path_));
    }
    Entry entry;
    entry.outputs = measure::preallocate_outputs(**exe);
    entry.exe = std::move(exe).value();
    return &entries_.emplace(std::move(key), std::move(entry)).first->second;
  }
  // The plan for a sample's own shapes (inputs in graph order, as the dataset feeds them).
  Result<Entry*> plan_for_sample(std::span<const Tensor> sample) {
    std::map<std::string, Shape, std::less<>> shapes;
    for (std::size_t i = 0; i < sample.size() && i < graph_.inputs.size(); ++i) {
      shapes[graph_.inputs[i]] = sample[i].shape();
    }
    return plan_for(shapes);
  }

  std::size_t size() const { return entries_.size(); }
  std::uint64_t max_arena_bytes() const {
    std::uint64_t bytes = 0;
    for (const auto& [key, entry] : entries_) bytes = std::max(bytes, entry.exe->arena_bytes());
    return bytes;
  }
  const ir::Graph& graph() const { return graph_; }

 private:
  const backends::Backend& backend_;
  ir::Graph graph_;
  std::string path_;
  int threads_;
  std::map<std::string, Shape, std::less<>> given_;
  std::map<std::vector<Shape>, Entry> entries_;
};

// The reference model, its plans, and what it is called in messages and the record.
struct Reference {
  std::string path;
  std::string backend;
  std::unique_ptr<PlanCache> plans;
};

// The reference must take the same inputs as the model (the dataset feeds both).
Status check_same_inputs(const backends::Executable& model, const backends::Executable& reference,
                         const std::string& reference_path) {
  const auto& a = model.inputs();
  const auto& b = reference.inputs();
  if (a.size() != b.size()) {
    return invalid_argument(fmt::format("reference '{}' has {} inputs, the model {}",
                                        reference_path, b.size(), a.size()));
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].dtype != b[i].dtype || a[i].shape != b[i].shape) {
      return invalid_argument(fmt::format(
          "reference '{}': input {} '{}' is {}{}, the model's '{}' is {}{}", reference_path, i,
          b[i].name, dtype_name(b[i].dtype), shape_to_string(b[i].shape), a[i].name,
          dtype_name(a[i].dtype), shape_to_string(a[i].shape)));
    }
  }
  if (reference.outputs().empty()) {
    return invalid_argument(fmt::format("reference '{}' has no outputs", reference_path));
  }
  return Status::ok();
}

// The first output as doubles (into `values`, reused across samples).
// A quantized integer output (`quant` from the executable's output spec) is dequantized first,
// so that quality metrics see real values.
Status first_output_values(const std::vector<Tensor>& outputs, const std::string& backend,
                           std::vector<double>& values,
                           const std::optional<QuantParams>& quant = std::nullopt) {
  if (outputs.empty() || !outputs[0].defined()) {
    return invalid_argument(fmt::format(
        "backend '{}' computed no outputs; eval needs the model's first output", backend));
  }
  Tensor t = outputs[0];
  if (quant && is_integer(t.dtype())) {
    EB_ASSIGN_OR_RETURN(t, dequantize_tensor(t, *quant));
  }
  values.resize(static_cast<std::size_t>(t.element_count()));
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] = t.element_as_double(static_cast<std::int64_t>(i));
  }
  return Status::ok();
}

std::string percent(double fraction) { return fmt::format("{:.2f}%", 100.0 * fraction); }

void print_classification(const measure::ClassificationMetrics& m) {
  fmt::print("  top-1 {}   top-{} {}   ({} samples)\n", percent(m.top1()), m.top_k(),
             percent(m.top5()), m.samples());
  std::size_t width = 5;
  for (std::size_t c = 0; c < m.num_classes(); ++c) {
    width = std::max(width, m.class_name(c).size());
  }
  fmt::print("  {:<{}}  {:>9}  {:>6}  {:>6}  {:>7}\n", "class", width, "precision", "recall", "f1",
             "support");
  for (std::size_t c = 0; c < m.num_classes(); ++c) {
    fmt::print("  {:<{}}  {:>9.3f}  {:>6.3f}  {:>6.3f}  {:>7}\n", m.class_name(c), width,
               m.precision(c), m.recall(c), m.f1(c), m.support(c));
  }
  fmt::print("  {:<{}}  {:>9.3f}  {:>6.3f}  {:>6.3f}  {:>7}\n", "macro", width, m.macro_precision(),
             m.macro_recall(), m.macro_f1(), m.samples());
  constexpr std::size_t kMaxConfusionClasses = 20;
  if (m.num_classes() > kMaxConfusionClasses) return;
  fmt::print("  confusion matrix (rows: true class, columns: predicted)\n");
  std::string header = fmt::format("  {:>4}", "");
  for (std::size_t c = 0; c < m.num_classes(); ++c) header += fmt::format(" {:>5}", c);
  fmt::print("{}\n", header);
  for (std::size_t t = 0; t < m.num_classes(); ++t) {
    std::string line = fmt::format("  {:>4}", t);
    for (std::uint64_t n : m.confusion_matrix()[t]) line += fmt::format(" {:>5}", n);
    fmt::print("{}\n", line);
  }
}

void print_eval_summary(const results::Record& record, const EvalOptions& options,
                        const std::optional<measure::ClassificationMetrics>& classification,
                        const std::optional<measure::RegressionMetrics>& regression,
                        const std::optional<Reference>& reference,
                        const measure::RelativeErrorAccumulator& relative) {
  fmt::print("\n{} on {} ({} thread{}), {}\n", record.model.name, record.backend.name,
             options.threads, options.threads == 1 ? "" : "s", record.scenario.inputs);
  if (classification) print_classification(*classification);
  if (regression) {
    fmt::print("  mse {:.6g}   mae {:.6g}   ({} samples)\n", regression->mse(), regression->mae(),
               regression->samples());
  }
  if (!classification && !regression) {
    fmt::print("  dataset '{}' has no labels: latency only\n", options.dataset);
  }
  const results::LatencyStats& l = record.timings.latency;
  fmt::print("  latency ms   p50 {:.5g}  p90 {:.5g}  mean {:.5g}  max {:.5g}   ({} runs)\n", l.p50,
             l.p90, l.mean, l.max, l.count);
  if (reference) {
    fmt::print(
        "  vs reference {} ({}): relative error mean {:.3g}, max {:.3g}; argmax changed {}\n",
        reference->path, reference->backend, relative.mean(), relative.max(),
        percent(relative.argmax_changed()));
  }
  fmt::print("  result {}\n", record.id);
}

}  // namespace

}  // namespace edgebench::cli

namespace edgebench::api {

using namespace cli;  // this file's helpers

Result<results::Record> eval_and_store(const EvalOptions& options) {
  if (options.threads < 1) return invalid_argument("--threads must be at least 1");
  if (options.limit && *options.limit == 0) {
    return invalid_argument("--limit must be at least 1 (leave it out to use every sample)");
  }
  auto backend = backends::make_backend(options.backend);
  if (!backend.is_ok()) return backend.status();
  auto reference_backend = backends::make_backend(options.reference_backend);
  if (!reference_backend.is_ok()) {
    return reference_backend.status().with_context("--reference-backend");
  }

  // Open the store first: a bad --db path should fail before the evaluation.
  auto store = open_result_store(options.no_db, options.db_path);
  if (!store.is_ok()) return store.status();

  auto given_shapes = parse_input_shapes(options.input_shapes);
  if (!given_shapes.is_ok()) return given_shapes.status();

  const auto init_start = Clock::now();
  Result<ir::Graph> graph = load_model_file(options.model);
  if (!graph.is_ok()) return graph.status();
  // Symbolic input dims left by --input-shape come from each sample's own shape: the dataset
  // must then carry shapes (npy:, npz:, onnx-test:). Nothing is computed for a guessed dim.
  const bool shapes_from_samples =
      !graph->foreign && !ir::inputs_needing_shapes(*graph, *given_shapes).empty();
  if (shapes_from_samples && !dataset_has_shapes(options.dataset)) {
    return require_input_shapes(
               *graph, *given_shapes,
               "--input-shape NAME=DIMS (or use a dataset whose files carry shapes: "
               "npy:, npz:, onnx-test:)")
        .with_context(fmt::format("model '{}'", options.model));
  }
  PlanCache plans(**backend, *graph, options.model, options.threads, *given_shapes);
  std::vector<data::InputSpec> input_specs = graph_input_specs(*graph, *given_shapes);
  if (!shapes_from_samples) {
    auto entry = plans.plan_for({});
    if (!entry.is_ok()) return entry.status();
    input_specs = dataset_inputs(*(*entry)->exe);
    if ((*entry)->exe->outputs().empty()) {
      return invalid_argument(fmt::format("model '{}' has no outputs", options.model));
    }
  }

  auto dataset = data::open_dataset(options.dataset, input_specs, options.limit.value_or(4));
  if (!dataset.is_ok()) {
    return dataset.status().with_context(fmt::format("--dataset {}", options.dataset));
  }
  std::size_t count = (*dataset)->size();
  if (options.limit) count = std::min<std::size_t>(count, *options.limit);
  if (count == 0) {
    return invalid_argument(fmt::format("dataset '{}' has no samples", options.dataset));
  }
  // With shapes from the samples, the first sample's plan is compiled as part of the set-up.
  std::map<std::string, Shape, std::less<>> record_shapes = *given_shapes;
  if (shapes_from_samples) {
    auto first_sample = (*dataset)->sample(0);
    if (!first_sample.is_ok()) return first_sample.status();
    auto entry = plans.plan_for_sample(*first_sample);
    if (!entry.is_ok()) return entry.status();
    if ((*entry)->exe->outputs().empty()) {
      return invalid_argument(fmt::format("model '{}' has no outputs", options.model));
    }
    for (std::size_t i = 0; i < first_sample->size() && i < graph->inputs.size(); ++i) {
      record_shapes[graph->inputs[i]] = (*first_sample)[i].shape();
    }
  }
  const double init_ms = ms_between(init_start, Clock::now());

  results::Record record = new_result_record("eval", options.label, *graph, options.model,
                                             (*backend)->name(), options.threads, record_shapes);
  record.timings.init_ms = init_ms;

  std::optional<Reference> reference;
  if (!options.reference.empty()) {
    Result<ir::Graph> ref_graph = load_model_file(options.reference);
    if (!ref_graph.is_ok()) return ref_graph.status().with_context("--reference");
    reference.emplace();
    reference->path = options.reference;
    reference->backend = (*reference_backend)->name();
    reference->plans =
        std::make_unique<PlanCache>(**reference_backend, *ref_graph, options.reference,
                                    options.threads, std::map<std::string, Shape, std::less<>>{});
  }
  // The plans of the model and of the reference for one sample; the reference must take the
  // same inputs as the model (the dataset feeds both).
  const auto plans_for = [&](const std::vector<Tensor>& sample)
      -> Result<std::pair<PlanCache::Entry*, PlanCache::Entry*>> {
    EB_ASSIGN_OR_RETURN(PlanCache::Entry * model, plans.plan_for_sample(sample));
    PlanCache::Entry* ref = nullptr;
    if (reference) {
      const std::size_t before = reference->plans->size();
      auto ref_entry = reference->plans->plan_for_sample(sample);
      if (!ref_entry.is_ok()) return ref_entry.status().with_context("--reference");
      ref = *ref_entry;
      if (reference->plans->size() != before) {
        EB_RETURN_IF_ERROR(check_same_inputs(*model->exe, *ref->exe, reference->path));
      }
    }
    return std::pair{model, ref};
  };

  const data::Task task = (*dataset)->task();
  std::optional<measure::ClassificationMetrics> classification;
  std::optional<measure::RegressionMetrics> regression;
  if (task == data::Task::kClassification) {
    classification.emplace((*dataset)->num_classes(), (*dataset)->class_names());
  } else if (task == data::Task::kRegression) {
    regression.emplace();
  }
  measure::RelativeErrorAccumulator relative;

  // Warm-up: untimed runs over the first samples; the first of them is the cold inference.
  for (std::uint64_t w = 0; w < options.warmup; ++w) {
    auto sample = (*dataset)->sample(static_cast<std::size_t>(w % count));
    if (!sample.is_ok()) return sample.status();
    auto entries = plans_for(*sample);
    if (!entries.is_ok()) return entries.status();
    PlanCache::Entry& entry = *entries->first;
    entry.fresh = false;
    if (w == 0) {
      auto first = measure::time_first_inference(*entry.exe, *sample, entry.outputs);
      if (!first.is_ok()) return first.status().with_context("first inference");
      record.timings.first_inference_ms = *first;
    } else if (Status st = entry.exe->run(*sample, entry.outputs); !st.is_ok()) {
      return st.with_context(fmt::format("warm-up run {}", w));
    }
  }

  const bool show_progress = isatty(STDERR_FILENO) != 0 && !options.quiet;
  std::vector<double> latencies_ms;
  latencies_ms.reserve(count);
  // Remote targets time each inference themselves (RunInfo::device_ms).
  std::vector<double> target_ms;
  bool target_timed = true;
  std::vector<double> values, reference_values;
  backends::Executable* last_exe = nullptr;  // the plan of the last sample
  measure::PowercapReader powercap{std::filesystem::path(measure::PowercapReader::kDefaultRoot)};
  measure::ResourceMeter meter(&powercap);
  meter.start();
  const auto loop_start = Clock::now();
  for (std::size_t i = 0; i < count; ++i) {
    auto sample = (*dataset)->sample(i);
    if (!sample.is_ok()) return sample.status();
    auto entries = plans_for(*sample);
    if (!entries.is_ok()) return entries.status().with_context(fmt::format("sample {}", i));
    backends::Executable& exe = *entries->first->exe;
    std::vector<Tensor>& outputs = entries->first->outputs;
    // A plan compiled for a new shape gets its cold run untimed, as the first plan does.
    if (entries->first->fresh && options.warmup > 0) {
      if (Status st = exe.run(*sample, outputs); !st.is_ok()) {
        return st.with_context(fmt::format("warm-up run of sample {}", i));
      }
    }
    entries->first->fresh = false;
    const auto start = Clock::now();
    const Status run = exe.run(*sample, outputs);
    const auto end = Clock::now();
    if (!run.is_ok()) return run.with_context(fmt::format("sample {}", i));
    latencies_ms.push_back(ms_between(start, end));
    last_exe = &exe;
    if (const backends::RunInfo* info = exe.last_run_info(); info && info->device_ms) {
      target_ms.push_back(*info->device_ms);
    } else {
      target_timed = false;
    }
    if (i == 0 && options.warmup == 0) record.timings.first_inference_ms = latencies_ms.back();

    Status st = first_output_values(outputs, (*backend)->name(), values, exe.outputs()[0].quant);
    if (!st.is_ok()) return st;
    if (classification) {
      if (values.size() != classification->num_classes()) {
        return invalid_argument(fmt::format(
            "the model's first output '{}' is {} ({} values), but dataset '{}' has {} classes",
            exe.outputs()[0].name, outputs[0].describe(), values.size(), options.dataset,
            classification->num_classes()));
      }
      auto label = (*dataset)->label(i);
      if (!label.is_ok()) return label.status();
      st = classification->add(values, *label);
    } else if (regression) {
      auto label = (*dataset)->label(i);
      if (!label.is_ok()) return label.status();
      const double target = static_cast<double>(*label);
      st = regression->add(values, std::span<const double>(&target, 1));
    }
    if (!st.is_ok()) return st.with_context(fmt::format("sample {}", i));

    if (reference) {
      PlanCache::Entry& ref = *entries->second;
      st = ref.exe->run(*sample, ref.outputs);
      if (!st.is_ok()) {
        return st.with_context(fmt::format("reference, sample {}", i));
      }
      st = first_output_values(ref.outputs, reference->backend, reference_values,
                               ref.exe->outputs()[0].quant);
      if (!st.is_ok()) return st.with_context("--reference");
      if (ref.outputs[0].shape() != outputs[0].shape()) {
        return invalid_argument(fmt::format(
            "output shape mismatch: the model's first output '{}' is {}, the reference's '{}' "
            "('{}') is {}",
            exe.outputs()[0].name, outputs[0].describe(), ref.exe->outputs()[0].name,
            reference->path, ref.outputs[0].describe()));
      }
      st = relative.add(values, reference_values);
      if (!st.is_ok()) return st.with_context(fmt::format("sample {}", i));
    }
    if (show_progress && (i % 100 == 99 || i + 1 == count)) {
      std::fprintf(stderr, "\r  eval: %zu / %zu samples   ", i + 1, count);
    }
  }
  const double loop_s = ms_between(loop_start, Clock::now()) / 1000.0;
  const measure::ResourceUsage usage = meter.stop();
  if (show_progress) std::fprintf(stderr, "\r%60s\r", "");

  // Latency figures as bench reports them (nearest-rank percentiles); the headline is p90 as
  // in single-stream, whose one-query-at-a-time pattern this loop follows.
  record.scenario.name = "eval";
  record.scenario.warmup_queries = options.warmup;
  record.scenario.min_queries = count;
  record.scenario.inputs = plans.size() > 1
                               ? fmt::format("{} ({} samples, {} input shapes, one plan each)",
                                             options.dataset, count, plans.size())
                               : fmt::format("{} ({} samples)", options.dataset, count);
  // MACs depend on the input shape: with several shapes there is no one figure.
  if (plans.size() > 1) record.model.macs = 0;
  if (target_timed && !target_ms.empty()) {
    // As in bench: the target's own time is the headline, the round trip is kept beside it.
    std::vector<double> overhead(latencies_ms.size());
    for (std::size_t i = 0; i < overhead.size(); ++i) overhead[i] = latencies_ms[i] - target_ms[i];
    record.timings.round_trip = measure::summarize(latencies_ms);
    record.timings.transport_overhead = measure::summarize(overhead);
    record.timings.target_latency = measure::summarize(target_ms);
    const backends::RunInfo* info = last_exe != nullptr ? last_exe->last_run_info() : nullptr;
    record.timings.latency_source = info != nullptr ? info->device_ms_source : "target";
    latencies_ms = target_ms;
  }
  record.timings.latency = measure::summarize(latencies_ms);
  record.timings.headline_metric = "p90_ms";
  record.timings.headline_value = record.timings.latency.p90;
  std::vector<double> sorted = latencies_ms;
  std::sort(sorted.begin(), sorted.end());
  record.timings.early_stopping_ms = measure::early_stopping_estimate(sorted, 0.90);
  record.timings.duration_s = loop_s;
  // Throughput of the inferences alone: the loop also loads samples, scores outputs and runs
  // the reference, none of which the model's speed should answer for.
  double busy_ms = 0;
  for (double l : latencies_ms) busy_ms += l;
  const double per_s = busy_ms > 0 ? 1000.0 * static_cast<double>(count) / busy_ms : 0.0;
  record.throughput.queries_per_s = per_s;
  record.throughput.samples_per_s = per_s;
  record.cpu = usage.cpu;
  record.energy = usage.energy;
  record.memory.peak_rss_bytes = usage.peak_rss_bytes;
  record.memory.arena_bytes = plans.max_arena_bytes();
  if (last_exe != nullptr) record_accelerator(*last_exe, record);
  record.latencies_ms = std::move(latencies_ms);

  nlohmann::json quality = nlohmann::json::object();
  quality["dataset"] = options.dataset;
  quality["task"] = task == data::Task::kClassification ? "classification"
                    : task == data::Task::kRegression   ? "regression"
                                                        : "none";
  quality["samples"] = count;
  if (classification) quality.update(classification->to_json());
  if (regression) quality.update(regression->to_json());
  if (reference) {
    quality.update(relative.to_json());
    quality["reference"] = {{"path", reference->path}, {"backend", reference->backend}};
  }
  record.quality = std::move(quality);

  if (Status st = apply_params(options.params_json, record); !st.is_ok()) return st;
  if (options.summary == Summary::kBrief) print_brief(record);
  if (options.summary == Summary::kTable) {
    print_eval_summary(record, options, classification, regression, reference, relative);
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

int run_eval(const EvalOptions& options) {
  Result<results::Record> record = eval_and_store(options);
  return record.is_ok() ? kExitOk : report_error(record.status());
}

}  // namespace edgebench::cli
