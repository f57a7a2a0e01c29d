// Running a model over dataset samples with some of its inner values exposed: what calibration
// (edgebench optimize) and quantization error analysis (edgebench analyze) are built on.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "edgebench/backends/backend.h"
#include "edgebench/core/status.h"
#include "edgebench/core/tensor.h"
#include "edgebench/ir/graph.h"

namespace edgebench::cli {

// The first `limit` samples (0: all) of the dataset `spec`, opened for the inputs of `graph`
// (symbolic dims resolved to 1). Errors name the spec.
Result<std::vector<std::vector<Tensor>>> load_samples(const ir::Graph& graph,
                                                      const std::string& spec, std::uint64_t limit);

// A model compiled with extra outputs: the graph's own outputs first, then `values` in order.
class ProbedModel {
 public:
  static Result<ProbedModel> compile(const ir::Graph& graph, const std::vector<std::string>& values,
                                     const std::string& backend, int threads);
  // Runs one sample; `outputs` holds the model's outputs followed by the probed values.
  Status run(std::span<const Tensor> sample, std::vector<Tensor>& outputs);
  std::size_t model_outputs() const { return model_outputs_; }
  // Where the i-th of the probed `values` is in `outputs` (a name listed twice is run once).
  std::size_t probe_index(std::size_t i) const { return probe_index_[i]; }

 private:
  std::unique_ptr<backends::Backend> backend_;
  std::unique_ptr<backends::Executable> executable_;
  std::size_t model_outputs_ = 0;
  std::vector<std::size_t> probe_index_;
};

// ||y - y_ref||_2 / ||y_ref||_2 (0 when both are 0, infinity when only y_ref is).
double relative_l2(const Tensor& y, const Tensor& reference);

}  // namespace edgebench::cli
