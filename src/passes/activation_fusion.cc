// Activation fusion: Conv or Gemm followed by Relu or by a Clip with constant bounds becomes one
// edgebench.FusedConv / FusedGemm node, and an activation after a fused node tightens its
// bounds. See pass.h for the conditions.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "activation_bounds.h"
#include "edgebench/engine/fused_ops.h"
#include "edgebench/passes/pass.h"

namespace edgebench::passes {

namespace {

constexpr float kInfinity = std::numeric_limits<float>::infinity();

bool in_default_domain(const ir::Node& node) { return ir::is_default_domain(node.domain); }

// The interval `node` clamps to when it is a Relu or a Clip with initializer bounds.
std::optional<Bounds> activation_bounds(const ir::Graph& graph, const ir::Node& node) {
  const std::int64_t opset = graph.onnx_opset();
  return passes::activation_bounds(node, opset != 0 && opset < 11,
                                   [&](std::string_view name) -> const Tensor* {
                                     auto it = graph.initializers.find(name);
                                     return it == graph.initializers.end() ? nullptr : &it->second;
                                   });
}

// The fused op a producer becomes, or empty when it cannot take an activation.
std::string_view fused_op_for(const ir::Graph& graph, const ir::Node& node) {
  if (in_default_domain(node)) {
    if (node.op_type == "Conv") return engine::kFusedConvOp;
    // Gemm before opset 6 has no kernel in the engine; from 6 on, opset 13 semantics agree with
    // every valid model.
    const std::int64_t opset = graph.onnx_opset();
    if (node.op_type == "Gemm" && (opset == 0 || opset >= 6)) return engine::kFusedGemmOp;
    return {};
  }
  if (node.domain == engine::kEdgebenchDomain &&
      (node.op_type == engine::kFusedConvOp || node.op_type == engine::kFusedGemmOp)) {
    return node.op_type;
  }
  return {};
}

// Float32 from the declared or inferred type of the output, else from the weight initializer.
bool computes_float32(const ir::Graph& graph, const ir::Node& node) {
  if (const ir::ValueInfo* info = graph.find_value_info(node.outputs[0]);
      info != nullptr && info->dtype != DType::kUndefined) {
    return info->dtype == DType::kFloat32;
  }
  if (!node.has_input(1)) return false;
  auto w = graph.initializers.find(node.inputs[1]);
  return w != graph.initializers.end() && w->second.dtype() == DType::kFloat32;
}

class ActivationFusion final : public Pass {
 public:
  std::string_view name() const override { return "activation-fusion"; }

  Result<bool> run(ir::Graph& graph) const override {
    std::map<std::string, int, std::less<>> readers;
    for (const ir::Node& node : graph.nodes) {
      for (const std::string& in : node.inputs) {
        if (!in.empty()) ++readers[in];
      }
    }
    for (const std::string& out : graph.outputs) ++readers[out];
    auto producers = ir::producer_index(graph);

    std::set<std::size_t> fused_away;
    // Repeats so that chains fuse in one call whatever the node order is.
    for (bool fused = true; fused;) {
      fused = false;
      for (std::size_t a = 0; a < graph.nodes.size(); ++a) {
        if (fused_away.count(a) != 0) continue;
        const ir::Node& activation = graph.nodes[a];
        const std::optional<Bounds> bounds = activation_bounds(graph, activation);
        if (!bounds) continue;
        auto p = producers.find(activation.inputs[0]);
        if (p == producers.end()) continue;
        const std::size_t producer_at = p->second;
        ir::Node& producer = graph.nodes[producer_at];
        const std::string_view fused_op = fused_op_for(graph, producer);
        if (fused_op.empty() || producer.outputs.size() != 1 || readers[producer.outputs[0]] != 1 ||
            !computes_float32(graph, producer)) {
          continue;
        }
        // A fused node with malformed bounds is left for the engine to report.
        const Result<Bounds> existing = existing_bounds(producer);
        if (!existing.is_ok()) continue;
        Bounds merged = *existing;
        merged.min = std::max(merged.min, bounds->min);
        merged.max = std::min(merged.max, bounds->max);
        // Disjoint intervals: the second clamp alone decides the value, which is not a clamp
        // to the intersection.
        if (!(merged.min <= merged.max)) continue;

        const std::string old_output = producer.outputs[0];
        producer.op_type = std::string(fused_op);
        producer.domain = std::string(engine::kEdgebenchDomain);
        // Infinite bounds are the attributes' defaults; merged bounds only get tighter, so a
        // finite bound is never replaced by an infinite one.
        if (merged.min != -kInfinity) {
          producer.attributes.set(std::string(engine::kActivationMinAttribute), merged.min);
        }
        if (merged.max != kInfinity) {
          producer.attributes.set(std::string(engine::kActivationMaxAttribute), merged.max);
        }
        producer.outputs[0] = activation.outputs[0];
        producers.erase(old_output);
        producers[producer.outputs[0]] = producer_at;
        readers.erase(old_output);
        graph.value_info.erase(old_output);
        fused_away.insert(a);
        fused = true;
      }
    }
    if (fused_away.empty()) return false;
    for (auto it = fused_away.rbegin(); it != fused_away.rend(); ++it) {
      graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(*it));
    }
    const bool imported =
        std::any_of(graph.opset_imports.begin(), graph.opset_imports.end(),
                    [](const ir::OpsetImport& o) { return o.domain == engine::kEdgebenchDomain; });
    if (!imported) {
      graph.opset_imports.push_back(
          {std::string(engine::kEdgebenchDomain), engine::kEdgebenchOpset});
    }
    return true;
  }

 private:
  // The bounds a fused node already has (infinite for plain Conv and Gemm).
  static Result<Bounds> existing_bounds(const ir::Node& node) {
    Bounds bounds;
    if (node.domain != engine::kEdgebenchDomain) return bounds;
    EB_ASSIGN_OR_RETURN(bounds.min,
                        node.attributes.get_float(engine::kActivationMinAttribute, -kInfinity));
    EB_ASSIGN_OR_RETURN(bounds.max,
                        node.attributes.get_float(engine::kActivationMaxAttribute, kInfinity));
    return bounds;
  }
};

}  // namespace

std::unique_ptr<Pass> make_activation_fusion() { return std::make_unique<ActivationFusion>(); }

}  // namespace edgebench::passes
