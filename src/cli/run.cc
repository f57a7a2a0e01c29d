// edgebench run: one inference on given or seeded random inputs; outputs as .npy.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "commands.h"
#include "common.h"
#include "edgebench/backends/backend.h"
#include "edgebench/core/npy.h"
#include "edgebench/core/quantize.h"
#include "edgebench/core/random.h"

namespace edgebench::cli {

namespace {

void print_summary(const std::string& name, const Tensor& t) {
  if (!t.defined()) {
    fmt::print("  {:<28} (not computed by this backend)\n", name);
    return;
  }
  double lo = INFINITY, hi = -INFINITY, sum = 0;
  const std::int64_t n = t.element_count();
  for (std::int64_t i = 0; i < n; ++i) {
    const double v = t.element_as_double(i);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
  }
  std::string head;
  for (std::int64_t i = 0; i < std::min<std::int64_t>(n, 5); ++i) {
    head += fmt::format("{}{:.6g}", i ? ", " : "", t.element_as_double(i));
  }
  fmt::print("  {:<28} {:<8} {:<18} min {:<11.6g} max {:<11.6g} mean {:<11.6g} [{}{}]\n", name,
             dtype_name(t.dtype()), shape_to_string(t.shape()), n ? lo : 0.0, n ? hi : 0.0,
             n ? sum / static_cast<double>(n) : 0.0, head, n > 5 ? ", ..." : "");
}

}  // namespace

}  // namespace edgebench::cli

namespace edgebench::api {

using namespace cli;  // this file's helpers

Result<RunOutcome> run_model(const RunOptions& options,
                             std::map<std::string, Tensor, std::less<>> given) {
  auto backend = backends::make_backend(options.backend);
  if (!backend.is_ok()) return backend.status();
  if (options.threads < 1) return invalid_argument("--threads must be at least 1");
  Result<ir::Graph> loaded = load_model_file(options.model);
  if (!loaded.is_ok()) return loaded.status();
  const ir::Graph& graph = *loaded;

  // Inputs given (in memory or as .npy files) fix their shapes; the rest come from
  // --input-shape or the model. `what` names the input as the caller gave it.
  const auto check_name = [&](const std::string& name, const std::string& what) -> Status {
    if (std::find(graph.inputs.begin(), graph.inputs.end(), name) != graph.inputs.end()) {
      return Status::ok();
    }
    return invalid_argument(fmt::format("{}: the model has no input named '{}' (inputs: {})", what,
                                        name, fmt::join(graph.inputs, ", ")));
  };
  for (const auto& [name, tensor] : given) {
    EB_RETURN_IF_ERROR(check_name(name, fmt::format("input '{}'", name)));
  }
  for (const std::string& flag : options.inputs) {
    auto kv = split_assignment(flag, "--input");
    if (!kv.is_ok()) return kv.status();
    EB_RETURN_IF_ERROR(check_name(kv->first, "--input " + flag));
    auto tensor = read_npy(kv->second);
    if (!tensor.is_ok()) return tensor.status();
    given[kv->first] = std::move(tensor).value();
  }
  auto shapes = parse_input_shapes(options.input_shapes);
  if (!shapes.is_ok()) return shapes.status();
  backends::CompileOptions compile_options;
  compile_options.threads = options.threads;
  compile_options.input_shapes = *shapes;
  // A TFLite model's input shapes are the file's (an NCHW .npy is fitted to them below).
  if (!graph.foreign) {
    for (const auto& [name, tensor] : given) compile_options.input_shapes[name] = tensor.shape();
  }
  // Random inputs need a concrete shape: symbolic dims are never guessed.
  if (Status st = graph.foreign
                      ? Status::ok()
                      : require_input_shapes(graph, compile_options.input_shapes,
                                             "--input-shape NAME=DIMS or --input NAME=FILE.npy");
      !st.is_ok()) {
    return st.with_context(fmt::format("model '{}'", options.model));
  }

  auto plan = (*backend)->compile(graph, compile_options);
  if (!plan.is_ok()) {
    return with_symbolic_dims_hint(plan.status(), graph, compile_options.input_shapes)
        .with_context(fmt::format("model '{}'", options.model));
  }
  RunOutcome outcome;
  std::uint64_t seed = options.random_seed;
  for (const backends::TensorSpec& spec : (*plan)->inputs()) {
    auto it = given.find(spec.name);
    if (it != given.end()) {
      // NCHW into NHWC, float into a quantized input (the spec's scale and zero point).
      auto fitted = fit_to_input(it->second, spec.dtype, spec.shape, spec.quant);
      if (!fitted.is_ok())
        return fitted.status().with_context(fmt::format("input '{}'", spec.name));
      outcome.inputs.push_back({spec.name, std::move(fitted).value(), false});
      continue;
    }
    auto tensor = random_tensor(spec.dtype, spec.shape, seed++);
    if (!tensor.is_ok()) return tensor.status().with_context("input '" + spec.name + "'");
    outcome.inputs.push_back({spec.name, std::move(tensor).value(), true});
  }

  std::vector<Tensor> inputs;
  for (const RunTensor& in : outcome.inputs) inputs.push_back(in.tensor);
  std::vector<Tensor> outputs((*plan)->outputs().size());
  Status st = (*plan)->run(inputs, outputs);
  if (!st.is_ok()) {
    return with_symbolic_dims_hint(st, graph, compile_options.input_shapes)
        .with_context(fmt::format("model '{}'", options.model));
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    outcome.outputs.push_back({(*plan)->outputs()[i].name, std::move(outputs[i]), false});
  }
  return outcome;
}

}  // namespace edgebench::api

namespace edgebench::cli {

int run_run(const RunOptions& options) {
  auto outcome = run_model(options, {});
  if (!outcome.is_ok()) return report_error(outcome.status());
  fmt::print("inputs\n");
  for (const RunTensor& in : outcome->inputs) {
    print_summary(in.random ? in.name + " (random)" : in.name, in.tensor);
  }
  fmt::print("outputs\n");
  for (const RunTensor& out : outcome->outputs) print_summary(out.name, out.tensor);
  if (!options.output_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.output_dir, ec);
    if (ec) {
      return report_error(io_error(
          fmt::format("cannot create output folder '{}': {}", options.output_dir, ec.message())));
    }
    for (const RunTensor& out : outcome->outputs) {
      if (!out.tensor.defined()) continue;  // the null backend computes nothing
      const auto path =
          std::filesystem::path(options.output_dir) / (sanitize_file_name(out.name) + ".npy");
      if (Status w = write_npy(path, out.tensor); !w.is_ok()) return report_error(w);
      fmt::print("wrote {}\n", path.string());
    }
  }
  return kExitOk;
}

}  // namespace edgebench::cli
