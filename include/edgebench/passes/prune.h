// Magnitude pruning of constant float32 weights (unstructured, NVIDIA's 2:4 semi-structured
// pattern, or whole blocks) for sparsity experiments with `edgebench optimize`.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/ir/graph.h"

namespace edgebench::passes {

enum class PrunePattern { kUnstructured, k2of4, kBlock };

struct PruneOptions {
  double sparsity = 0.5;  // fraction of each layer's weights set to zero, in [0, 1)
  PrunePattern pattern = PrunePattern::kUnstructured;
  std::vector<std::string> exclude = {};        // node names or op types left dense
  std::int64_t block_rows = 1, block_cols = 1;  // kBlock: outputs x reduction elements a block
};

struct PruneReport {
  struct Layer {
    std::string node, op, weight;  // the first node reading the weight (see note when shared)
    std::int64_t elements = 0, zeros_before = 0, zeros_after = 0;
    std::string note;  // shared readers, dense tail of a 2:4 reduction, ... ("" if none)
  };
  std::vector<Layer> layers;
  std::vector<std::pair<std::string, std::string>> skipped;  // weight, why it stayed dense
  std::int64_t total_elements = 0, total_zeros = 0;          // over `layers`, after pruning
};

// Prunes the float32 initializer weights of Conv, ConvTranspose (input W), Gemm (input B) and
// MatMul (input B when constant, else input A when constant); biases are untouched.
//   kUnstructured: per weight, zero the round(sparsity * n) smallest |w| (ties broken by the
//     lower index first; NaN counts as the largest magnitude).
//   k2of4: sparsity must be 0.5; in every group of 4 consecutive weights along the reduction
//     (input-channel) dimension keep the 2 largest |w| (same tie rule): Conv W [M, C/g, k...]
//     along C/g for each (m, k...); ConvTranspose W [C, M/g, k...] along C within each group;
//     Gemm B along K ([K, N], or [N, K] with transB); MatMul B [..., K, N] along K, A [..., K]
//     along K. When the reduction length is not a multiple of 4 the last (K mod 4) weights of
//     every row stay dense and the layer's note says so.
//   kBlock: the weight viewed as [outputs, reduction] (Conv W [M, C*kh*kw], Gemm/MatMul B as
//     [N, K]) is cut into block_rows x block_cols blocks (the last row and column of blocks may
//     be partial); the round(sparsity * blocks) blocks of smallest L2 norm become zero (same tie
//     rule, by block index). Grouped convolutions, ConvTranspose, batched MatMul weights and
//     constant MatMul A inputs stay dense (listed in `skipped`): their blocks are no matrix
//     product's. A sparse kernel runs 1x1 convolutions pruned in 16x1 (AVX-512) or 8x1 (AVX2)
//     blocks (src/kernels/sparse_conv.h).
// A weight shared by several such nodes is pruned once (for 2:4 and blocks they must agree on
// the layout). A weight also read by any other node or input (or as a graph output), or
// by an excluded node, stays dense and is listed in `skipped` with the reason. Pruned weights
// are new tensors: graphs sharing the old buffers (copies of the graph) are not affected.
//
// Errors: kInvalidArgument for a sparsity outside [0, 1) (or NaN), k2of4 with a sparsity
// other than 0.5, or kBlock with a block dimension below 1. On error the graph is unchanged.
Result<PruneReport> prune_weights(ir::Graph& graph, const PruneOptions& options);

}  // namespace edgebench::passes
