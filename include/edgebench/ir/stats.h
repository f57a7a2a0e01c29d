// Graph statistics: parameters, MACs and FLOPs per node, from a graph whose value_info carries
// concrete shapes (engine::annotate_types fills them in).
//
// Conventions (stated once, used everywhere):
//  - A MAC is one multiply-accumulate of the layer's main product. Conv, ConvTranspose, Gemm and
//    MatMul (and their integer/quantized forms) are counted exactly; biases are NOT counted as
//    MACs (they add one FLOP per output element instead).
//  - FLOPs = 2 x MACs for those ops, plus one FLOP per output element for elementwise ops and
//    activations, the kernel window for pooling, and small per-element costs for normalization
//    and reductions (estimates, noted per op in stats.cc).
//  - Data movement ops (Reshape, Transpose, Concat, ...) have 0 MACs and 0 FLOPs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "edgebench/ir/graph.h"

namespace edgebench::ir {

struct NodeStats {
  std::string name;
  std::string op_type;
  std::uint64_t macs = 0;
  std::uint64_t flops = 0;
  std::uint64_t param_count = 0;  // elements of initializers this node reads
  bool shapes_known = true;       // false when an input/output shape could not be inferred
};

struct GraphStats {
  std::vector<NodeStats> nodes;  // in graph order
  std::uint64_t macs_total = 0;
  std::uint64_t flops_total = 0;
  std::uint64_t params_total = 0;  // elements of all initializers
  std::uint64_t params_bytes = 0;
  std::map<std::string, std::uint64_t> params_by_dtype;        // dtype name -> elements
  std::map<std::string, std::uint64_t> params_bytes_by_dtype;  // dtype name -> bytes
  std::map<std::string, std::uint64_t> op_counts;              // op type -> nodes
};

GraphStats compute_stats(const Graph& graph);

// A graph input whose declared shape has dims that are symbolic (named) or unknown, or that has
// no declared shape at all. Figures that depend on such dims (MACs, FLOPs, activation bytes)
// exist only for a concrete shape; nothing here guesses one.
struct SymbolicInput {
  std::string name;
  std::optional<Shape> shape;          // declared; -1 for each symbolic or unknown dim
  std::vector<std::string> dim_names;  // as declared ("" where a dim has no name)
};

// The inputs of `graph` that need a shape, leaving out those that `given` fixes.
std::vector<SymbolicInput> inputs_needing_shapes(
    const Graph& graph, const std::map<std::string, Shape, std::less<>>& given = {});

// A declared shape with its dim names: "[N,3,H,W]"; "?" for an unnamed unknown dim, "[?...]"
// for an unknown rank.
std::string shape_with_dim_names(const std::optional<Shape>& shape,
                                 const std::vector<std::string>& dim_names);

// "input 'x' has symbolic dims [N,3,H,W]" for each input in `inputs`, joined by "; ".
std::string describe_symbolic_inputs(const std::vector<SymbolicInput>& inputs);

}  // namespace edgebench::ir
