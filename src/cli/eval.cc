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

// The reference model, compiled, and what it is called in messages and the record.
struct Reference {
  std::string path;
  std::string backend;
  std::unique_ptr<backends::Executable> exe;
  std::vector<Tensor> outputs;
};

Result<std::unique_ptr<backends::Executable>> compile_model(const backends::Backend& backend,
                                                            const ir::Graph& graph,
                                                            const std::string& path, int threads) {
  backends::CompileOptions options;
  options.threads = threads;
  auto exe = backend.compile(graph, options);
  if (!exe.is_ok()) return exe.status().with_context(fmt::format("model '{}'", path));
  return std::move(exe).value();
}

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

int run_eval(const EvalOptions& options) {
  if (options.threads < 1) return report_error(invalid_argument("--threads must be at least 1"));
  if (options.limit && *options.limit == 0) {
    return report_error(
        invalid_argument("--limit must be at least 1 (leave it out to use every sample)"));
  }
  auto backend = backends::make_backend(options.backend);
  if (!backend.is_ok()) return report_error(backend.status());
  auto reference_backend = backends::make_backend(options.reference_backend);
  if (!reference_backend.is_ok()) {
    return report_error(reference_backend.status().with_context("--reference-backend"));
  }

  // Open the store first: a bad --db path should fail before the evaluation.
  auto store = open_result_store(options.no_db, options.db_path);
  if (!store.is_ok()) return report_error(store.status());

  const auto init_start = Clock::now();
  Result<ir::Graph> graph = load_model_file(options.model);
  if (!graph.is_ok()) return report_error(graph.status());
  auto exe = compile_model(**backend, *graph, options.model, options.threads);
  if (!exe.is_ok()) return report_error(exe.status());
  const double init_ms = ms_between(init_start, Clock::now());
  if ((*exe)->outputs().empty()) {
    return report_error(invalid_argument(fmt::format("model '{}' has no outputs", options.model)));
  }

  results::Record record = new_result_record("eval", options.label, *graph, options.model,
                                             (*backend)->name(), options.threads);
  record.timings.init_ms = init_ms;

  auto dataset =
      data::open_dataset(options.dataset, dataset_inputs(**exe), options.limit.value_or(4));
  if (!dataset.is_ok()) {
    return report_error(
        dataset.status().with_context(fmt::format("--dataset {}", options.dataset)));
  }
  std::size_t count = (*dataset)->size();
  if (options.limit) count = std::min<std::size_t>(count, *options.limit);
  if (count == 0) {
    return report_error(
        invalid_argument(fmt::format("dataset '{}' has no samples", options.dataset)));
  }

  std::optional<Reference> reference;
  if (!options.reference.empty()) {
    Result<ir::Graph> ref_graph = load_model_file(options.reference);
    if (!ref_graph.is_ok()) return report_error(ref_graph.status().with_context("--reference"));
    auto ref_exe =
        compile_model(**reference_backend, *ref_graph, options.reference, options.threads);
    if (!ref_exe.is_ok()) return report_error(ref_exe.status().with_context("--reference"));
    if (Status st = check_same_inputs(**exe, **ref_exe, options.reference); !st.is_ok()) {
      return report_error(st);
    }
    reference.emplace();
    reference->path = options.reference;
    reference->backend = (*reference_backend)->name();
    reference->outputs = measure::preallocate_outputs(**ref_exe);
    reference->exe = std::move(ref_exe).value();
  }

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
  std::vector<Tensor> outputs = measure::preallocate_outputs(**exe);
  for (std::uint64_t w = 0; w < options.warmup; ++w) {
    auto sample = (*dataset)->sample(static_cast<std::size_t>(w % count));
    if (!sample.is_ok()) return report_error(sample.status());
    if (w == 0) {
      auto first = measure::time_first_inference(**exe, *sample, outputs);
      if (!first.is_ok()) return report_error(first.status().with_context("first inference"));
      record.timings.first_inference_ms = *first;
    } else if (Status st = (*exe)->run(*sample, outputs); !st.is_ok()) {
      return report_error(st.with_context(fmt::format("warm-up run {}", w)));
    }
  }

  const bool show_progress = isatty(STDERR_FILENO) != 0 && !options.quiet;
  std::vector<double> latencies_ms;
  latencies_ms.reserve(count);
  // Remote targets time each inference themselves (RunInfo::device_ms).
  std::vector<double> target_ms;
  bool target_timed = true;
  std::vector<double> values, reference_values;
  measure::PowercapReader powercap{std::filesystem::path(measure::PowercapReader::kDefaultRoot)};
  measure::ResourceMeter meter(&powercap);
  meter.start();
  const auto loop_start = Clock::now();
  for (std::size_t i = 0; i < count; ++i) {
    auto sample = (*dataset)->sample(i);
    if (!sample.is_ok()) return report_error(sample.status());
    const auto start = Clock::now();
    const Status run = (*exe)->run(*sample, outputs);
    const auto end = Clock::now();
    if (!run.is_ok()) return report_error(run.with_context(fmt::format("sample {}", i)));
    latencies_ms.push_back(ms_between(start, end));
    if (const backends::RunInfo* info = (*exe)->last_run_info(); info && info->device_ms) {
      target_ms.push_back(*info->device_ms);
    } else {
      target_timed = false;
    }
    if (i == 0 && options.warmup == 0) record.timings.first_inference_ms = latencies_ms.back();

    Status st = first_output_values(outputs, (*backend)->name(), values,
                                    (*exe)->outputs()[0].quant);
    if (!st.is_ok()) return report_error(st);
    if (classification) {
      if (values.size() != classification->num_classes()) {
        return report_error(invalid_argument(fmt::format(
            "the model's first output '{}' is {} ({} values), but dataset '{}' has {} classes",
            (*exe)->outputs()[0].name, outputs[0].describe(), values.size(), options.dataset,
            classification->num_classes())));
      }
      auto label = (*dataset)->label(i);
      if (!label.is_ok()) return report_error(label.status());
      st = classification->add(values, *label);
    } else if (regression) {
      auto label = (*dataset)->label(i);
      if (!label.is_ok()) return report_error(label.status());
      const double target = static_cast<double>(*label);
      st = regression->add(values, std::span<const double>(&target, 1));
    }
    if (!st.is_ok()) return report_error(st.with_context(fmt::format("sample {}", i)));

    if (reference) {
      st = reference->exe->run(*sample, reference->outputs);
      if (!st.is_ok()) {
        return report_error(st.with_context(fmt::format("reference, sample {}", i)));
      }
      st = first_output_values(reference->outputs, reference->backend, reference_values,
                               reference->exe->outputs()[0].quant);
      if (!st.is_ok()) return report_error(st.with_context("--reference"));
      if (reference->outputs[0].shape() != outputs[0].shape()) {
        return report_error(invalid_argument(fmt::format(
            "output shape mismatch: the model's first output '{}' is {}, the reference's '{}' "
            "('{}') is {}",
            (*exe)->outputs()[0].name, outputs[0].describe(), reference->exe->outputs()[0].name,
            reference->path, reference->outputs[0].describe())));
      }
      st = relative.add(values, reference_values);
      if (!st.is_ok()) return report_error(st.with_context(fmt::format("sample {}", i)));
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
  record.scenario.inputs = fmt::format("{} ({} samples)", options.dataset, count);
  if (target_timed && !target_ms.empty()) {
    // As in bench: the target's own time is the headline, the round trip is kept beside it.
    std::vector<double> overhead(latencies_ms.size());
    for (std::size_t i = 0; i < overhead.size(); ++i) overhead[i] = latencies_ms[i] - target_ms[i];
    record.timings.round_trip = measure::summarize(latencies_ms);
    record.timings.transport_overhead = measure::summarize(overhead);
    record.timings.target_latency = measure::summarize(target_ms);
    const backends::RunInfo* info = (*exe)->last_run_info();
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
  record.memory.arena_bytes = (*exe)->arena_bytes();
  record_accelerator(**exe, record);
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

  if (Status st = apply_params(options.params_json, record); !st.is_ok()) return report_error(st);
  if (options.brief) {
    print_brief(record);
  } else {
    print_eval_summary(record, options, classification, regression, reference, relative);
  }
  if (Status st =
          save_result_record(record, options.json_path, *store, options.db_path, options.store_key);
      !st.is_ok()) {
    return report_error(st);
  }
  return kExitOk;
}

}  // namespace edgebench::cli
