// Constant folding: nodes whose inputs are all initializers (or that have none, like Constant)
// are run once with the reference engine and replaced by initializers holding their outputs.
// See pass.h for the conditions.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>

#include "edgebench/engine/plan.h"
#include "edgebench/passes/pass.h"

namespace edgebench::passes {

namespace {

// Ops whose outputs are drawn at random: folding would freeze one draw into the model.
constexpr std::array<std::string_view, 6> kRandomOps = {"RandomNormal",     "RandomUniform",
                                                        "RandomNormalLike", "RandomUniformLike",
                                                        "Multinomial",      "Bernoulli"};

bool is_random(const ir::Node& node) {
  return ir::is_default_domain(node.domain) &&
         std::find(kRandomOps.begin(), kRandomOps.end(), node.op_type) != kRandomOps.end();
}

class ConstantFolding final : public Pass {
 public:
  explicit ConstantFolding(std::uint64_t max_output_bytes) : max_output_bytes_(max_output_bytes) {}

  std::string_view name() const override { return "constant-folding"; }

  Result<bool> run(ir::Graph& graph) const override {
    // Topological order lets a chain of constant nodes fold in one call.
    EB_ASSIGN_OR_RETURN(const std::vector<std::size_t> order, ir::topological_order(graph));
    const engine::Registry& registry = engine::builtin_registry();
    std::set<std::size_t> folded;
    for (std::size_t n : order) {
      const ir::Node& node = graph.nodes[n];
      if (is_random(node) || registry.find(node.domain, node.op_type) == nullptr) continue;
      std::vector<Tensor> inputs(node.inputs.size());
      bool constant = true;
      for (std::size_t i = 0; constant && i < node.inputs.size(); ++i) {
        if (node.inputs[i].empty()) continue;
        auto it = graph.initializers.find(node.inputs[i]);
        constant = it != graph.initializers.end();
        if (constant) inputs[i] = it->second;
      }
      if (!constant) continue;
      const std::int64_t opset = graph.opset_for(node.domain);
      if (!fits_cap(node, opset, inputs, registry)) continue;
      auto outputs = engine::run_node(node, opset, inputs, registry);
      // The engine cannot compute this node now (unsupported, or invalid in a way the engine
      // will report when it runs the graph): it stays a node.
      if (!outputs.is_ok()) continue;
      for (std::size_t o = 0; o < node.outputs.size(); ++o) {
        if (node.outputs[o].empty() || !(*outputs)[o].defined()) continue;
        graph.initializers[node.outputs[o]] = std::move((*outputs)[o]);
      }
      folded.insert(n);
    }
    for (auto it = folded.rbegin(); it != folded.rend(); ++it) {
      graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(*it));
    }
    return !folded.empty();
  }

 private:
  // Whether the node's outputs, as shape inference sees them, stay within max_output_bytes_.
  // Checked before running so that a huge ConstantOfShape is never allocated.
  bool fits_cap(const ir::Node& node, std::int64_t opset, std::span<const Tensor> inputs,
                const engine::Registry& registry) const {
    auto kernel = registry.create_kernel(node, opset);
    if (!kernel.is_ok()) return false;
    auto types = engine::infer_node(**kernel, node, opset, inputs);
    if (!types.is_ok()) return false;
    std::uint64_t total = 0;
    for (std::size_t o = 0; o < node.outputs.size(); ++o) {
      if (node.outputs[o].empty()) continue;
      const engine::TensorType& t = (*types)[o];
      if (t.dtype == DType::kUndefined) return false;
      auto bytes = checked_byte_size(t.dtype, t.shape);
      if (!bytes.is_ok()) return false;
      total += *bytes;
      if (total > max_output_bytes_) return false;
    }
    return true;
  }

  std::uint64_t max_output_bytes_;
};

}  // namespace

std::unique_ptr<Pass> make_constant_folding(std::uint64_t max_output_bytes) {
  return std::make_unique<ConstantFolding>(max_output_bytes);
}

}  // namespace edgebench::passes
