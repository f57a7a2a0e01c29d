// Graph passes: each rewrites an ir::Graph and says whether it changed anything. Passes compose
// into pipelines that run to a fixed point. Every pass keeps the graph's outputs equal (within
// the floating-point tolerance its header states) and is tested for that and for the
// structural change it promises.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "edgebench/core/status.h"
#include "edgebench/ir/graph.h"

namespace edgebench::passes {

class Pass {
 public:
  Pass() = default;
  Pass(const Pass&) = delete;
  Pass& operator=(const Pass&) = delete;
  virtual ~Pass() = default;

  virtual std::string_view name() const = 0;
  // True when the graph changed. On error the graph is left as it was.
  virtual Result<bool> run(ir::Graph& graph) const = 0;
};

// Runs the passes in order, repeatedly, until none changes the graph (at most `max_rounds`).
// Returns the number of rounds that changed something.
Result<int> run_to_fixed_point(ir::Graph& graph, std::span<const Pass* const> passes,
                               int max_rounds = 16);

// Removes nodes whose outputs nothing reads (neither another node nor a graph output) and
// initializers nothing reads. Exact.
std::unique_ptr<Pass> make_dead_node_elimination();

// Folds an inference BatchNormalization into the Conv that feeds it (constant float32 weights,
// the Conv output read only by the BatchNormalization): W' = W * s, B' = (B - mean) * s + beta
// with s = scale / sqrt(var + epsilon) per output channel. Outputs agree within float32
// rounding (relative error around 1e-6).
std::unique_ptr<Pass> make_batchnorm_folding();

}  // namespace edgebench::passes
