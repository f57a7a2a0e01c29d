// edgebench._core: the C++ library as a Python module (pybind11). NumPy arrays in and out,
// records and reports as plain dicts (the same JSON documents `--json` writes, parsed by Python's
// json module, so the fields cannot drift from the command line's). Every failure raises
// edgebench.EdgebenchError with the message the command line would print. The GIL is released
// while a model compiles, runs or is measured.
#include <fmt/format.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "edgebench/api.h"
#include "edgebench/core/version.h"
#include "edgebench/results/compare.h"

namespace py = pybind11;

namespace edgebench::python {
namespace {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] void raise(const Status& status) { throw Error(status.message()); }

template <typename T>
T value_or_raise(Result<T> result) {
  if (!result.is_ok()) raise(result.status());
  return std::move(result).value();
}

// Calls f with the GIL released (f must not touch Python objects) and returns what it returns.
template <typename F>
auto without_gil(F&& f) -> decltype(f()) {
  py::gil_scoped_release unlocked;
  return f();
}

py::object to_python(const nlohmann::json& j) {
  return py::module_::import("json").attr("loads")(j.dump());
}

nlohmann::json to_json(const py::handle& object) {
  const std::string text = py::module_::import("json").attr("dumps")(object).cast<std::string>();
  return nlohmann::json::parse(text);
}

py::array to_numpy(const Tensor& t) {
  py::dtype dtype(std::string(dtype_name(t.dtype())));
  std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end());
  py::array out(dtype, shape);
  std::memcpy(out.mutable_data(), t.raw_data(), t.byte_size());
  return out;
}

Tensor from_numpy(const std::string& name, const py::array& given) {
  const auto array = py::array::ensure(given, py::array::c_style);
  if (!array) throw Error(fmt::format("input '{}': not an array NumPy can make contiguous", name));
  const std::string type = py::str(array.dtype()).cast<std::string>();
  const std::optional<DType> dtype = dtype_from_name(type);
  if (!dtype) throw Error(fmt::format("input '{}': dtype {} has no edgebench type", name, type));
  Shape shape(array.shape(), array.shape() + array.ndim());
  Tensor t = value_or_raise(Tensor::allocate(*dtype, shape));
  std::memcpy(t.raw_data(), array.data(), t.byte_size());
  return t;
}

std::vector<std::string> shape_flags(const std::map<std::string, std::vector<std::int64_t>>& m) {
  std::vector<std::string> flags;
  for (const auto& [name, dims] : m) {
    flags.push_back(fmt::format("{}={}", name, fmt::join(dims, "x")));
  }
  return flags;
}

py::dict inspect(const std::string& model,
                 const std::map<std::string, std::vector<std::int64_t>>& input_shapes) {
  api::InspectOptions options;
  options.model = model;
  options.input_shapes = shape_flags(input_shapes);
  return to_python(value_or_raise(without_gil([&] { return api::inspect_report(options); })));
}

py::dict run(const std::string& model, const std::map<std::string, py::array>& inputs,
             const std::string& backend, int threads, std::uint64_t seed,
             const std::map<std::string, std::vector<std::int64_t>>& input_shapes) {
  api::RunOptions options;
  options.model = model;
  options.backend = backend;
  options.threads = threads;
  options.random_seed = seed;
  options.input_shapes = shape_flags(input_shapes);
  std::map<std::string, Tensor, std::less<>> given;
  for (const auto& [name, array] : inputs) given[name] = from_numpy(name, array);
  const api::RunOutcome outcome =
      value_or_raise(without_gil([&] { return api::run_model(options, std::move(given)); }));
  py::dict outputs;
  for (const api::RunTensor& out : outcome.outputs) {
    outputs[py::str(out.name)] =
        out.tensor.defined() ? py::object(to_numpy(out.tensor)) : py::none();
  }
  return outputs;
}

// The store: none unless `db` names a file (the command line's default file is for the command
// line).
template <typename Options>
void set_store(Options& options, const std::optional<std::string>& db, const std::string& label) {
  options.quiet = true;
  options.summary = api::Summary::kNone;
  options.no_db = !db.has_value();
  if (db) options.db_path = *db;
  options.label = label;
}

// Measures without the GIL; the record as the dict of its JSON document.
template <typename Measure>
py::dict record_of(Measure&& measure) {
  return to_python(results::to_json(value_or_raise(without_gil(measure))));
}

py::dict bench(const std::string& model, const std::string& backend, const std::string& scenario,
               int threads, std::optional<std::uint64_t> warmup,
               std::optional<std::uint64_t> min_queries, std::optional<double> min_duration,
               std::optional<double> max_duration, std::optional<double> target_qps,
               std::optional<double> latency_bound_ms, std::uint64_t batch,
               const std::string& dataset, std::uint64_t limit, std::uint64_t seed,
               const std::map<std::string, std::vector<std::int64_t>>& input_shapes,
               bool profile_ops, const std::string& cpu, std::uint64_t repeat,
               const std::string& baseline, double noise_threshold,
               const std::optional<std::string>& db, const std::string& label) {
  api::BenchOptions options;
  options.model = model;
  options.backend = backend;
  options.scenario = scenario;
  options.threads = threads;
  options.warmup = warmup;
  options.min_queries = min_queries;
  options.min_duration_s = min_duration;
  options.max_duration_s = max_duration;
  options.target_qps = target_qps;
  options.latency_bound_ms = latency_bound_ms;
  options.batch = batch;
  options.dataset = dataset;
  options.limit = limit;
  options.random_seed = seed;
  options.input_shapes = shape_flags(input_shapes);
  options.profile_ops = profile_ops;
  options.cpus = cpu;
  options.repeat = repeat;
  options.baseline = baseline;
  options.noise_threshold_pct = noise_threshold;
  set_store(options, db, label);
  return record_of([&] { return api::bench_and_store(options); });
}

py::dict eval(const std::string& model, const std::string& dataset,
              std::optional<std::uint64_t> limit, const std::string& backend, int threads,
              const std::string& reference, const std::string& reference_backend,
              const std::map<std::string, std::vector<std::int64_t>>& input_shapes,
              std::uint64_t warmup, const std::optional<std::string>& db,
              const std::string& label) {
  api::EvalOptions options;
  options.model = model;
  options.dataset = dataset;
  options.limit = limit;
  options.backend = backend;
  options.threads = threads;
  options.reference = reference;
  options.reference_backend = reference_backend;
  options.input_shapes = shape_flags(input_shapes);
  options.warmup = warmup;
  set_store(options, db, label);
  return record_of([&] { return api::eval_and_store(options); });
}

py::dict optimize(const std::string& model, const std::string& output, const std::string& quantize,
                  bool per_channel, const std::string& calibration,
                  const std::string& calibration_method, double percentile,
                  std::uint64_t calibration_limit, std::optional<double> prune,
                  const std::string& prune_pattern, const std::vector<std::string>& exclude,
                  int threads, std::uint64_t finetune_epochs, bool qat,
                  const std::string& train_dataset, std::uint64_t train_limit, double lr,
                  std::uint64_t batch, std::uint64_t seed) {
  api::OptimizeOptions options;
  options.model = model;
  options.output = output;
  options.quantize = quantize;
  options.per_channel = per_channel;
  options.calibration = calibration;
  options.calibration_method = calibration_method;
  options.percentile = percentile;
  options.calibration_limit = calibration_limit;
  options.prune = prune;
  options.prune_pattern = prune_pattern;
  options.exclude = exclude;
  options.threads = threads;
  options.finetune_epochs = finetune_epochs;
  options.qat = qat;
  options.train_dataset = train_dataset;
  options.train_limit = train_limit;
  options.lr = lr;
  options.batch = batch;
  options.seed = seed;
  const api::OptimizeSummary done = value_or_raise(
      without_gil([&] { return api::optimize_model(options, [](const std::string&) {}); }));
  py::dict out;
  out["output"] = output;
  out["bytes_before"] = done.bytes_before;
  out["bytes_after"] = done.bytes_after;
  out["weight_bytes"] = done.weight_bytes;
  return out;
}

py::dict analyze(const std::string& model, const std::string& reference, const std::string& dataset,
                 std::uint64_t limit, const std::string& backend, int threads) {
  api::AnalyzeOptions options;
  options.model = model;
  options.reference = reference;
  options.dataset = dataset;
  options.limit = limit;
  options.backend = backend;
  options.threads = threads;
  return to_python(value_or_raise(without_gil([&] { return api::analyze_report(options); })));
}

py::dict plan(const std::vector<std::string>& models, const std::string& device,
              const std::string& trace, bool separately,
              const std::map<std::string, std::vector<std::int64_t>>& input_shapes,
              std::size_t segments, const std::string& strategy,
              const std::vector<std::size_t>& cuts, const std::string& export_dir) {
  api::PlanOptions options;
  options.models = models;
  options.device = device;
  options.trace = trace;
  options.separately = separately;
  options.input_shapes = shape_flags(input_shapes);
  options.segments = segments;
  options.strategy = strategy;
  options.cuts = cuts;
  options.export_dir = export_dir;
  return to_python(value_or_raise(without_gil([&] { return api::plan_report(options); })));
}

std::string compare(const py::list& records, const std::string& format) {
  std::vector<results::Record> parsed;
  for (std::size_t i = 0; i < records.size(); ++i) {
    auto record = results::from_json(to_json(records[i]));
    if (!record.is_ok()) raise(record.status().with_context(fmt::format("records[{}]", i)));
    parsed.push_back(std::move(record).value());
  }
  if (parsed.empty()) throw Error("compare needs at least one record");
  const results::Comparison table = results::compare_records(parsed);
  if (format == "text") return results::comparison_text(table);
  if (format == "markdown") return results::comparison_markdown(table);
  if (format == "html") return results::comparison_html(table);
  throw Error(fmt::format("compare: format '{}' is not text, markdown or html", format));
}

}  // namespace
}  // namespace edgebench::python

PYBIND11_MODULE(_core, m) {
  using namespace edgebench::python;
  using py::arg;
  m.doc() =
      "edgebench's C++ core: inspect, run, bench, eval, optimize, analyze, plan and compare "
      "models.";
  m.attr("__version__") = std::string(edgebench::version());
  py::register_exception<Error>(m, "EdgebenchError", PyExc_RuntimeError);
  using Shapes = std::map<std::string, std::vector<std::int64_t>>;
  m.def("inspect", &inspect, arg("model"), arg("input_shapes") = Shapes{},
        "What a model (ONNX or TFLite) is made of: the `edgebench inspect --json` document.");
  m.def("run", &run, arg("model"), arg("inputs") = std::map<std::string, py::array>{},
        arg("backend") = "native", arg("threads") = 1, arg("seed") = 0,
        arg("input_shapes") = Shapes{},
        "One inference. Inputs not given are seeded random; returns {output name: array}.");
  m.def("bench", &bench, arg("model"), arg("backend") = "native", arg("scenario") = "single-stream",
        arg("threads") = 1, arg("warmup") = py::none(), arg("min_queries") = py::none(),
        arg("min_duration") = py::none(), arg("max_duration") = py::none(),
        arg("target_qps") = py::none(), arg("latency_bound_ms") = py::none(), arg("batch") = 1,
        arg("dataset") = "", arg("limit") = 0, arg("seed") = 0, arg("input_shapes") = Shapes{},
        arg("profile_ops") = false, arg("cpu") = "", arg("repeat") = 1, arg("baseline") = "",
        arg("noise_threshold") = 5.0, arg("db") = py::none(), arg("label") = "",
        "Measures a model as `edgebench bench` does; returns the record (the `--json` document).");
  m.def("eval", &eval, arg("model"), arg("dataset"), arg("limit") = py::none(),
        arg("backend") = "native", arg("threads") = 1, arg("reference") = "",
        arg("reference_backend") = "native", arg("input_shapes") = Shapes{}, arg("warmup") = 3,
        arg("db") = py::none(), arg("label") = "",
        "Quality on a dataset as `edgebench eval` measures it; returns the record.");
  m.def(
      "optimize", &optimize, arg("model"), arg("output"), arg("quantize") = "",
      arg("per_channel") = false, arg("calibration") = "", arg("calibration_method") = "percentile",
      arg("percentile") = 99.99, arg("calibration_limit") = 500, arg("prune") = py::none(),
      arg("prune_pattern") = "unstructured", arg("exclude") = std::vector<std::string>{},
      arg("threads") = 1, arg("finetune_epochs") = 0, arg("qat") = false, arg("train_dataset") = "",
      arg("train_limit") = 0, arg("lr") = 1e-3, arg("batch") = 64, arg("seed") = 0,
      "Quantizes, converts to float16 or prunes a model into `output`, as `edgebench optimize`.");
  m.def("analyze", &analyze, arg("model"), arg("reference"), arg("dataset"), arg("limit") = 200,
        arg("backend") = "native", arg("threads") = 1,
        "Per-tensor quantization error of `model` against its float `reference`: the "
        "`edgebench analyze --json` document.");
  m.def("plan", &plan, arg("models"), arg("device"), arg("trace") = "", arg("separately") = false,
        arg("input_shapes") = Shapes{}, arg("segments") = 0, arg("strategy") = "parameters",
        arg("cuts") = std::vector<std::size_t>{}, arg("export_dir") = "",
        "An accelerator compile plan, as `edgebench plan --json` writes it.");
  m.def("compare", &compare, arg("records"), arg("format") = "text",
        "The `edgebench compare` table of records (text, markdown or html).");
}
