#include "probe.h"

#include <fmt/format.h>

#include <cmath>

#include "edgebench/data/dataset.h"
#include "edgebench/engine/plan.h"
#include "edgebench/passes/quantize.h"

namespace edgebench::cli {

Result<std::vector<std::vector<Tensor>>> load_samples(const ir::Graph& graph,
                                                      const std::string& spec,
                                                      std::uint64_t limit) {
  EB_ASSIGN_OR_RETURN(auto types, engine::bind_input_types(graph, {}));
  std::vector<data::InputSpec> inputs;
  for (const std::string& name : graph.inputs) {
    const engine::TensorType& type = types.at(name);
    inputs.push_back({name, type.dtype, type.shape});
  }
  // random:SEED makes as many samples as asked for.
  EB_ASSIGN_OR_RETURN(auto dataset, data::open_dataset(spec, inputs, limit > 0 ? limit : 16));
  std::size_t count = dataset->size();
  if (limit > 0) count = std::min<std::size_t>(count, limit);
  std::vector<std::vector<Tensor>> samples;
  samples.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    EB_ASSIGN_OR_RETURN(std::vector<Tensor> sample, dataset->sample(i));
    samples.push_back(std::move(sample));
  }
  if (samples.empty()) return invalid_argument(fmt::format("dataset '{}' has no samples", spec));
  return samples;
}

Result<ProbedModel> ProbedModel::compile(const ir::Graph& graph,
                                         const std::vector<std::string>& values,
                                         const std::string& backend, int threads) {
  ProbedModel model;
  model.model_outputs_ = graph.outputs.size();
  ir::Graph probed = graph;
  for (const std::string& v : values) {
    if (std::find(graph.outputs.begin(), graph.outputs.end(), v) != graph.outputs.end()) {
      return invalid_argument(fmt::format("value '{}' is already a model output", v));
    }
  }
  EB_RETURN_IF_ERROR(passes::expose_values(probed, values));
  for (const std::string& v : values) {
    auto it = std::find(probed.outputs.begin(), probed.outputs.end(), v);
    model.probe_index_.push_back(static_cast<std::size_t>(it - probed.outputs.begin()));
  }
  EB_ASSIGN_OR_RETURN(model.backend_, backends::make_backend(backend));
  backends::CompileOptions options;
  options.threads = threads;
  EB_ASSIGN_OR_RETURN(model.executable_, model.backend_->compile(probed, options));
  return model;
}

Status ProbedModel::run(std::span<const Tensor> sample, std::vector<Tensor>& outputs) {
  outputs.resize(executable_->outputs().size());
  EB_RETURN_IF_ERROR(executable_->run(sample, outputs));
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    if (!outputs[i].defined()) {
      return internal_error(
          fmt::format("the backend computed no value for '{}'", executable_->outputs()[i].name));
    }
  }
  return Status::ok();
}

double relative_l2(const Tensor& y, const Tensor& reference) {
  double diff = 0, norm = 0;
  const std::int64_t n = std::min(y.element_count(), reference.element_count());
  for (std::int64_t i = 0; i < n; ++i) {
    const double r = reference.element_as_double(i);
    const double d = y.element_as_double(i) - r;
    diff += d * d;
    norm += r * r;
  }
  if (norm == 0) return diff == 0 ? 0.0 : INFINITY;
  return std::sqrt(diff / norm);
}

}  // namespace edgebench::cli
