// Graph passes: each rewrites an ir::Graph and says whether it changed anything. Passes compose
// into pipelines that run to a fixed point. Every pass keeps the graph's outputs equal (within
// the floating-point tolerance its header states) and is tested for that and for the
// structural change it promises.
#pragma once

#include <cstdint>
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

// Fuses Conv or Gemm followed by Relu, or by Clip with constant bounds (attributes before opset
// 11; float32 scalar initializers or absent inputs from 11 on), into one edgebench.FusedConv /
// FusedGemm node (edgebench/engine/fused_ops.h) that keeps the Conv's name and takes the
// activation's output. An activation after a fused node narrows its bounds (when the intervals
// overlap). Conditions: the Conv/Gemm output is read only by the activation and is not a graph
// output, and it is float32 (by its value_info, else by its weight initializer). Adds the
// "edgebench" opset import when it fuses. Exact for finite values; a NaN stays NaN where Relu
// would give 0.
std::unique_ptr<Pass> make_activation_fusion();

// Replaces every deterministic node whose inputs are all initializers (or that has none, like
// Constant) and that the engine supports by initializers holding its outputs, computed with
// engine::run_node (same names, so graph outputs stay valid). Skips nodes whose outputs would
// take more than `max_output_bytes` in all, and nodes the engine fails on (the engine reports
// those when it runs the graph). Unread initializers are left to dead-node elimination. Exact:
// the same kernels compute the same values.
inline constexpr std::uint64_t kDefaultMaxFoldedBytes = std::uint64_t{64} << 20;
std::unique_ptr<Pass> make_constant_folding(
    std::uint64_t max_output_bytes = kDefaultMaxFoldedBytes);

}  // namespace edgebench::passes
