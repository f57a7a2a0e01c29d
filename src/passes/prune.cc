// Magnitude pruning, unstructured, 2:4 or by blocks. See prune.h for the rules.
#include "edgebench/passes/prune.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <variant>

#include "edgebench/engine/fused_ops.h"

namespace edgebench::passes {

namespace {

// A weight viewed as [outer, reduction, inner]: element (o, r, i) sits at
// (o * reduction + r) * inner + i, and 2:4 groups run along r.
struct ReductionLayout {
  std::int64_t outer = 0, reduction = 0, inner = 0;
  bool operator==(const ReductionLayout&) const = default;
};

// A weight viewed as the matrix [rows (outputs), cols (reduction)]: element (r, c) sits at
// r * row_stride + c * col_stride.
struct BlockView {
  std::int64_t rows = 0, cols = 0, row_stride = 0, col_stride = 0;
  bool operator==(const BlockView&) const = default;
};

struct WeightRead {
  std::size_t node = 0;
  std::optional<ReductionLayout> layout;       // nullopt when the shape does not fit the op
  std::variant<BlockView, std::string> block;  // or why blocks do not fit the op
};

std::int64_t product(const Shape& shape, std::size_t begin, std::size_t end) {
  std::int64_t p = 1;
  for (std::size_t d = begin; d < end; ++d) p *= shape[d];
  return p;
}

bool is_op(const ir::Node& node, std::string_view onnx_op, std::string_view fused_op) {
  if (ir::is_default_domain(node.domain)) return node.op_type == onnx_op;
  return !fused_op.empty() && node.domain == engine::kEdgebenchDomain && node.op_type == fused_op;
}

const Tensor* float_weight(const ir::Graph& graph, const ir::Node& node, std::size_t i) {
  if (!node.has_input(i)) return nullptr;
  auto it = graph.initializers.find(node.inputs[i]);
  if (it == graph.initializers.end() || it->second.dtype() != DType::kFloat32) return nullptr;
  return &it->second;
}

// The input index of the node's prunable weight (nullopt when the node has none) and the
// weight's reduction layout.
std::optional<std::pair<std::size_t, std::optional<ReductionLayout>>> prunable_weight(
    const ir::Graph& graph, const ir::Node& node) {
  using Found = std::pair<std::size_t, std::optional<ReductionLayout>>;
  if (is_op(node, "Conv", engine::kFusedConvOp)) {
    const Tensor* w = float_weight(graph, node, 1);
    if (w == nullptr) return std::nullopt;
    if (w->rank() < 3) return Found{1, std::nullopt};
    return Found{1,
                 ReductionLayout{w->dim(0), w->dim(1), product(w->shape(), 2, w->shape().size())}};
  }
  if (is_op(node, "ConvTranspose", "")) {
    const Tensor* w = float_weight(graph, node, 1);
    if (w == nullptr) return std::nullopt;
    const std::int64_t groups = node.attributes.get_int("group", 1).value_or(0);
    if (w->rank() < 3 || groups <= 0 || w->dim(0) % groups != 0) return Found{1, std::nullopt};
    return Found{
        1, ReductionLayout{groups, w->dim(0) / groups, product(w->shape(), 1, w->shape().size())}};
  }
  if (is_op(node, "Gemm", engine::kFusedGemmOp)) {
    const Tensor* b = float_weight(graph, node, 1);
    if (b == nullptr) return std::nullopt;
    if (b->rank() != 2) return Found{1, std::nullopt};
    if (node.attributes.get_int("transB", 0).value_or(0) != 0) {
      return Found{1, ReductionLayout{b->dim(0), b->dim(1), 1}};
    }
    return Found{1, ReductionLayout{1, b->dim(0), b->dim(1)}};
  }
  if (is_op(node, "MatMul", "")) {
    if (const Tensor* b = float_weight(graph, node, 1)) {
      if (b->rank() == 0) return Found{1, std::nullopt};
      if (b->rank() == 1) return Found{1, ReductionLayout{1, b->dim(0), 1}};
      const std::size_t r = b->shape().size();
      return Found{1,
                   ReductionLayout{product(b->shape(), 0, r - 2), b->dim(static_cast<int>(r) - 2),
                                   b->dim(static_cast<int>(r) - 1)}};
    }
    if (const Tensor* a = float_weight(graph, node, 0)) {
      if (a->rank() == 0) return Found{0, std::nullopt};
      const std::size_t r = a->shape().size();
      return Found{
          0, ReductionLayout{product(a->shape(), 0, r - 1), a->dim(static_cast<int>(r) - 1), 1}};
    }
  }
  return std::nullopt;
}

// The [outputs, reduction] view of the weight input `i` of `node` for block pruning, or why the
// node's weight has none.
std::variant<BlockView, std::string> block_view(const ir::Node& node, std::size_t i,
                                                const Tensor& w) {
  if (is_op(node, "Conv", engine::kFusedConvOp)) {
    if (node.attributes.get_int("group", 1).value_or(0) != 1) {
      return std::string("a grouped convolution's blocks are no matrix product's");
    }
    if (w.rank() < 3) return fmt::format("shape {} does not fit Conv", shape_to_string(w.shape()));
    const std::int64_t cols = product(w.shape(), 1, w.shape().size());
    return BlockView{w.dim(0), cols, cols, 1};
  }
  const bool gemm = is_op(node, "Gemm", engine::kFusedGemmOp);
  if ((gemm || is_op(node, "MatMul", "")) && i == 1 && w.rank() == 2) {
    if (gemm && node.attributes.get_int("transB", 0).value_or(0) != 0) {  // B [N, K]
      return BlockView{w.dim(0), w.dim(1), w.dim(1), 1};
    }
    return BlockView{w.dim(1), w.dim(0), 1, w.dim(1)};  // B [K, N]
  }
  return fmt::format("blocks of {} input {} (shape {}) are no matrix product's", node.op_type, i,
                     shape_to_string(w.shape()));
}

// Strict total order on magnitude: NaN above everything, ties by index.
struct SmallerMagnitude {
  const float* w;
  bool operator()(std::int64_t a, std::int64_t b) const {
    const bool nan_a = std::isnan(w[a]), nan_b = std::isnan(w[b]);
    if (nan_a != nan_b) return nan_b;
    if (!nan_a) {
      const float ma = std::fabs(w[a]), mb = std::fabs(w[b]);
      if (ma != mb) return ma < mb;
    }
    return a < b;
  }
};

void prune_unstructured(Tensor& w, double sparsity) {
  const std::int64_t n = w.element_count();
  const auto k = std::min<std::int64_t>(n, std::llround(sparsity * static_cast<double>(n)));
  if (k <= 0) return;
  float* data = w.data<float>();
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::nth_element(order.begin(), order.begin() + (k - 1), order.end(), SmallerMagnitude{data});
  for (std::int64_t j = 0; j < k; ++j) data[order[static_cast<std::size_t>(j)]] = 0.0f;
}

void prune_2of4(Tensor& w, const ReductionLayout& layout) {
  float* data = w.data<float>();
  const std::int64_t full = layout.reduction / 4 * 4;
  for (std::int64_t o = 0; o < layout.outer; ++o) {
    for (std::int64_t i = 0; i < layout.inner; ++i) {
      for (std::int64_t r = 0; r < full; r += 4) {
        std::int64_t group[4];
        for (std::int64_t j = 0; j < 4; ++j) {
          group[j] = (o * layout.reduction + r + j) * layout.inner + i;
        }
        std::sort(group, group + 4, SmallerMagnitude{data});
        data[group[0]] = 0.0f;
        data[group[1]] = 0.0f;
      }
    }
  }
}

// Zeroes the round(sparsity * blocks) rows x cols blocks of the view with the smallest L2 norms.
void prune_blocks(Tensor& w, const BlockView& view, std::int64_t rows, std::int64_t cols,
                  double sparsity) {
  float* data = w.data<float>();
  const std::int64_t block_rows = (view.rows + rows - 1) / rows;
  const std::int64_t block_cols = (view.cols + cols - 1) / cols;
  const std::int64_t blocks = block_rows * block_cols;
  const auto k = std::min<std::int64_t>(blocks, std::llround(sparsity * double(blocks)));
  if (k <= 0) return;
  auto for_each = [&](std::int64_t b, auto&& fn) {
    const std::int64_t r0 = b / block_cols * rows, c0 = b % block_cols * cols;
    for (std::int64_t r = r0; r < std::min(view.rows, r0 + rows); ++r) {
      for (std::int64_t c = c0; c < std::min(view.cols, c0 + cols); ++c) {
        fn(data[r * view.row_stride + c * view.col_stride]);
      }
    }
  };
  std::vector<float> norms(static_cast<std::size_t>(blocks));
  for (std::int64_t b = 0; b < blocks; ++b) {
    double sum = 0;
    for_each(b, [&](float v) { sum += double(v) * double(v); });
    norms[static_cast<std::size_t>(b)] = static_cast<float>(sum);
  }
  std::vector<std::int64_t> order(static_cast<std::size_t>(blocks));
  std::iota(order.begin(), order.end(), 0);
  std::nth_element(order.begin(), order.begin() + (k - 1), order.end(),
                   SmallerMagnitude{norms.data()});
  for (std::int64_t j = 0; j < k; ++j) {
    for_each(order[static_cast<std::size_t>(j)], [](float& v) { v = 0.0f; });
  }
}

std::int64_t count_zeros(const Tensor& w) {
  const float* data = w.data<float>();
  return std::count(data, data + w.element_count(), 0.0f);
}

}  // namespace

Result<PruneReport> prune_weights(ir::Graph& graph, const PruneOptions& options) {
  if (!(options.sparsity >= 0.0 && options.sparsity < 1.0)) {
    return invalid_argument(fmt::format("pruning sparsity {} is outside [0, 1)", options.sparsity));
  }
  const bool two_of_four = options.pattern == PrunePattern::k2of4;
  if (two_of_four && options.sparsity != 0.5) {
    return invalid_argument(fmt::format(
        "2:4 pruning has sparsity 0.5 by construction, {} was requested", options.sparsity));
  }
  const bool blocks = options.pattern == PrunePattern::kBlock;
  if (blocks && (options.block_rows < 1 || options.block_cols < 1)) {
    return invalid_argument(fmt::format("block pruning needs blocks of at least 1x1, not {}x{}",
                                        options.block_rows, options.block_cols));
  }
  const std::set<std::string, std::less<>> excluded(options.exclude.begin(), options.exclude.end());

  // Weights in the order of their first reader; why a weight must stay dense.
  std::vector<std::string> weights;
  std::map<std::string, std::vector<WeightRead>, std::less<>> reads;
  std::map<std::string, std::string, std::less<>> blocked;
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node& node = graph.nodes[n];
    const auto found = prunable_weight(graph, node);
    if (found.has_value()) {
      const std::string& name = node.inputs[found->first];
      if (reads.count(name) == 0) weights.push_back(name);
      reads[name].push_back(
          {n, found->second, block_view(node, found->first, graph.initializers.at(name))});
      if (excluded.count(node.name) != 0 || excluded.count(node.op_type) != 0) {
        blocked.emplace(name, fmt::format("read by excluded {}", node.describe()));
      }
    }
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      if (found.has_value() && i == found->first) continue;
      const std::string& in = node.inputs[i];
      if (!in.empty() && graph.is_initializer(in)) {
        blocked.emplace(in, fmt::format("also input {} of {}", i, node.describe()));
      }
    }
  }
  for (const std::string& out : graph.outputs) {
    if (graph.is_initializer(out)) blocked.emplace(out, "also a graph output");
  }

  PruneReport report;
  std::map<std::string, Tensor, std::less<>> pruned;
  for (const std::string& name : weights) {
    const std::vector<WeightRead>& readers = reads.at(name);
    const ir::Node& first = graph.nodes[readers.front().node];
    if (auto b = blocked.find(name); b != blocked.end()) {
      report.skipped.emplace_back(name, b->second);
      continue;
    }
    std::optional<ReductionLayout> layout = readers.front().layout;
    if (two_of_four) {
      bool consistent = layout.has_value();
      for (const WeightRead& r : readers) consistent = consistent && r.layout == layout;
      if (!consistent) {
        report.skipped.emplace_back(
            name, readers.size() > 1 && layout.has_value()
                      ? "readers disagree on the reduction dimension"
                      : fmt::format("shape {} does not fit {}",
                                    shape_to_string(graph.initializers.at(name).shape()),
                                    first.describe()));
        continue;
      }
    }
    const BlockView* view = nullptr;
    if (blocks) {
      view = std::get_if<BlockView>(&readers.front().block);
      bool consistent = view != nullptr;
      for (const WeightRead& r : readers) {
        const auto* v = std::get_if<BlockView>(&r.block);
        consistent = consistent && v != nullptr && *v == *view;
      }
      if (!consistent) {
        const auto* why = std::get_if<std::string>(&readers.front().block);
        report.skipped.emplace_back(name, why != nullptr ? *why : "readers disagree on the layout");
        continue;
      }
    }
    const Tensor& source = graph.initializers.at(name);
    PruneReport::Layer layer;
    layer.node = first.name;
    layer.op = first.op_type;
    layer.weight = name;
    layer.elements = source.element_count();
    layer.zeros_before = count_zeros(source);
    std::vector<std::string> notes;
    if (readers.size() > 1) {
      std::string names;
      for (const WeightRead& r : readers) {
        names += (names.empty() ? "" : ", ") + graph.nodes[r.node].name;
      }
      notes.push_back(fmt::format("shared by {} nodes ({})", readers.size(), names));
    }
    Tensor w = source.clone();
    if (two_of_four) {
      prune_2of4(w, *layout);
      if (layout->reduction % 4 != 0) {
        notes.push_back(fmt::format(
            "reduction length {} is not a multiple of 4: the last {} weights of each row stay "
            "dense",
            layout->reduction, layout->reduction % 4));
      }
    } else if (blocks) {
      prune_blocks(w, *view, options.block_rows, options.block_cols, options.sparsity);
    } else {
      prune_unstructured(w, options.sparsity);
    }
    layer.zeros_after = count_zeros(w);
    for (const std::string& note : notes) {
      layer.note += (layer.note.empty() ? "" : "; ") + note;
    }
    report.total_elements += layer.elements;
    report.total_zeros += layer.zeros_after;
    report.layers.push_back(std::move(layer));
    pruned.emplace(name, std::move(w));
  }
  for (auto& [name, w] : pruned) graph.initializers[name] = std::move(w);
  return report;
}

}  // namespace edgebench::passes
