// Fast kernels: XNNPACK operators (packed once, run on pthreadpool) for the heavy ops, in NHWC
// where the op wants it; float convolutions on oneDNN on x86 with AVX2 (src/kernels/dnnl_conv.h).
//
// The native backend lowers a graph before planning it: every node a fast kernel covers is
// replaced by a node of the internal domain kFastDomain whose inputs are already in the layout
// that kernel wants; NCHW <-> NHWC conversions (ToNhwc / ToNchw nodes) are inserted only where a
// value crosses between an NHWC node and a node or graph output that needs NCHW, never between
// two NHWC nodes. Layout-agnostic ops (elementwise, BatchNormalization, Concat, Pad, Slice,
// Split, Resize, reductions) run in either layout, on a fast kernel or on their reference kernel
// with remapped axes, and one pass over the whole graph picks the layout of each so that as few
// values as possible are converted. Everything else stays on the reference kernels. The lowered
// graph is then an ordinary graph for engine::Plan, compiled with fast_registry().
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/engine/plan.h"
#include "edgebench/engine/registry.h"
#include "edgebench/ir/graph.h"

namespace edgebench::kernels {

inline constexpr std::string_view kFastDomain = "edgebench.fast";

// The builtin reference ops plus the fast ops of kFastDomain.
const engine::Registry& fast_registry();

// How one node of the input graph runs after lowering.
struct NodeLowering {
  bool fast = false;
  // "onednn", "xnnpack", "sparse" (a block-sparse 1x1 convolution, src/kernels/sparse_conv.h) or
  // "reference" (possibly run on NHWC data)
  std::string kernel;
  std::string reason;  // why it stays on the reference kernel (empty when fast)
};

struct LoweredGraph {
  ir::Graph graph;
  std::vector<NodeLowering> nodes;  // one per node of the input graph, same order
  // One per node of the lowered graph: the op type of the node it came from (for profiles and
  // reports: a lowered Gemm shows as "Gemm", not as the fast op), or ToNhwc / ToNchw.
  std::vector<std::string> op_labels;
  int fast_nodes = 0;
  int layout_conversions = 0;  // ToNhwc + ToNchw nodes inserted
};

// Lowers `graph` (topologically sorted) given its inferred types. A dynamic graph (types.dynamic)
// is returned unchanged, every node on the reference kernels.
Result<LoweredGraph> lower_for_fast_kernels(const ir::Graph& graph,
                                            const engine::GraphTypes& types);

}  // namespace edgebench::kernels
