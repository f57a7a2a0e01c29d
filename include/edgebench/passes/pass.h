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

// Turns QDQ int8 models (QuantizeLinear/DequantizeLinear pairs around float ops, as ONNX
// Runtime's quantizer writes them) into integer ops, in two stages per call.
//
// Stage 1 rewrites each QuantizeLinear Q (per-tensor, constant scale and zero point) whose float
// input nothing else reads, keeping Q's output name:
//   * Q <- [Relu | Clip] <- Conv | edgebench.FusedConv (DQ(x), DQ(w), [bias]) becomes
//     QLinearConv (Conv's attributes and name), then an integer Clip with bounds Q(lo), Q(hi)
//     when the activation's interval [lo, hi] does not cover the whole type range (Q is
//     monotonic, so this is exact). x: per-tensor DQ, same int type as Q. w: constant, int8 with
//     zero points 0, per tensor or per output channel (axis 0), or uint8 per tensor. bias:
//     DQ(int32 constant) or a float32 constant [M], re-quantized as
//     round(b * b_scale / (x_scale * w_scale[c])) (kept as is when b_scale is that product).
//     Relu/Clip bounds may be initializers or Constant nodes; Conv and activation outputs must
//     be read only by the next node of the pattern. A Conv with one input channel and one group
//     stays float (integer kernels pad each tap's reduction to 8+ channels and lose there).
//   * Q <- [Relu | Clip] <- Gemm | edgebench.FusedGemm (DQ(x), DQ(w), [bias]) with int8 x and
//     y, int8 weights (per tensor or per output channel), transA 0, alpha and beta 1 becomes
//     Reshape [B, K, 1, 1] -> 1x1 QLinearConv (weights [N, K, 1, 1], int32 bias) -> Reshape
//     [B, N]: QLinearMatMul has no bias and no per-channel fast path.
//   * Q <- [Relu | Clip] <- MatMul(DQ(a), DQ(b)) with b a constant 2-D matrix becomes
//     QLinearMatMul (b per tensor, or int8 per column (axis 1) with zero points 0).
//   * Q <- MaxPool(DQ(x)) (opset 12+, one output) and Q <- Concat(DQ(x1), DQ(x2), ...) (opset
//     4+) become the same op on the quantized values when every DQ has Q's type, scale and zero
//     point. Exact.
//   The DequantizeLinear nodes stay (others may read them); the replaced float nodes go.
//
// Stage 2 turns uint8 activations into int8 (q - 128, zero points - 128), which signed integer
// kernels need. Values joined through MaxPool/Concat/Clip form groups; a group converts when
// none of its values is a graph input or output, each is produced by QuantizeLinear,
// QLinearConv, QLinearMatMul (both with int8 weights), MaxPool, Concat or Clip, and read only by
// DequantizeLinear, QLinearConv/QLinearMatMul (input 0, int8 weights), MaxPool, Concat or Clip,
// with constant zero points and Clip bounds (new int8 copies replace them). Exact.
//
// Numerics: QLinearConv and QLinearMatMul sum in int32 where the QDQ graph sums in float, so a
// quantized output may differ by 1 at a rounding boundary (in the engine's reference kernels as
// in any integer runtime); everything else is exact. Run it before constant folding, which
// would fold DQ(weights) into float initializers and hide the pattern.
std::unique_ptr<Pass> make_qdq_fusion();

}  // namespace edgebench::passes
