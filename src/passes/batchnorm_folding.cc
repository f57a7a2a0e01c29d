// BatchNormalization folded into the preceding Conv (inference graphs from training
// frameworks). See pass.h for the arithmetic and the conditions.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "edgebench/passes/pass.h"

namespace edgebench::passes {

namespace {

const Tensor* float_initializer(const ir::Graph& graph, const ir::Node& node, std::size_t i) {
  if (!node.has_input(i)) return nullptr;
  auto it = graph.initializers.find(node.inputs[i]);
  if (it == graph.initializers.end() || it->second.dtype() != DType::kFloat32) return nullptr;
  return &it->second;
}

std::string fresh_name(const ir::Graph& graph, const std::set<std::string, std::less<>>& used,
                       const std::string& base) {
  std::string name = base;
  for (int k = 1; used.count(name) != 0 || graph.is_initializer(name); ++k) {
    name = fmt::format("{}_{}", base, k);
  }
  return name;
}

class BatchNormFolding final : public Pass {
 public:
  std::string_view name() const override { return "batchnorm-folding"; }

  Result<bool> run(ir::Graph& graph) const override {
    std::set<std::string, std::less<>> used;
    std::map<std::string, int, std::less<>> readers;
    for (const ir::Node& node : graph.nodes) {
      for (const std::string& in : node.inputs) {
        if (!in.empty()) ++readers[in];
        used.insert(in);
      }
      used.insert(node.outputs.begin(), node.outputs.end());
    }
    for (const std::string& out : graph.outputs) readers[out] += 1;
    auto producers = ir::producer_index(graph);

    for (std::size_t b = 0; b < graph.nodes.size(); ++b) {
      const ir::Node& bn = graph.nodes[b];
      if (!ir::is_onnx_op(bn, "BatchNormalization") || bn.inputs.size() < 5) continue;
      // Only the first output may be named (the others exist in training mode only).
      bool extra_outputs = false;
      for (std::size_t o = 1; o < bn.outputs.size(); ++o) extra_outputs |= !bn.outputs[o].empty();
      if (extra_outputs || bn.attributes.get_int("training_mode", 0).value_or(1) != 0 ||
          bn.attributes.get_int("spatial", 1).value_or(0) != 1) {
        continue;
      }
      auto p = producers.find(bn.inputs[0]);
      if (p == producers.end()) continue;
      ir::Node& conv = graph.nodes[p->second];
      if (!ir::is_onnx_op(conv, "Conv") || conv.outputs.size() != 1 ||
          readers[conv.outputs[0]] != 1) {
        continue;
      }
      const Tensor* w = float_initializer(graph, conv, 1);
      const Tensor* bias = conv.has_input(2) ? float_initializer(graph, conv, 2) : nullptr;
      const Tensor* scale = float_initializer(graph, bn, 1);
      const Tensor* beta = float_initializer(graph, bn, 2);
      const Tensor* mean = float_initializer(graph, bn, 3);
      const Tensor* var = float_initializer(graph, bn, 4);
      if (w == nullptr || w->rank() < 3 || (conv.has_input(2) && bias == nullptr) || !scale ||
          !beta || !mean || !var) {
        continue;
      }
      const std::int64_t channels = w->dim(0);
      bool shapes_ok = true;
      for (const Tensor* t : {scale, beta, mean, var}) {
        shapes_ok = shapes_ok && t->element_count() == channels;
      }
      if (bias != nullptr) shapes_ok = shapes_ok && bias->element_count() == channels;
      if (!shapes_ok) continue;
      const double epsilon = bn.attributes.get_float("epsilon", 1e-5f).value_or(1e-5f);

      Tensor new_w = w->clone();
      Tensor new_b = Tensor::zeros(DType::kFloat32, {channels});
      const std::int64_t per_channel = w->element_count() / std::max<std::int64_t>(channels, 1);
      for (std::int64_t c = 0; c < channels; ++c) {
        const double s = static_cast<double>(scale->data<float>()[c]) /
                         std::sqrt(static_cast<double>(var->data<float>()[c]) + epsilon);
        float* wc = new_w.data<float>() + c * per_channel;
        for (std::int64_t k = 0; k < per_channel; ++k) {
          wc[k] = static_cast<float>(static_cast<double>(wc[k]) * s);
        }
        const double b0 = bias != nullptr ? bias->data<float>()[c] : 0.0;
        new_b.data<float>()[c] = static_cast<float>(
            (b0 - static_cast<double>(mean->data<float>()[c])) * s + beta->data<float>()[c]);
      }
      const std::string base = conv.name.empty() ? conv.outputs[0] : conv.name;
      const std::string w_name = fresh_name(graph, used, base + ".bn_folded_weight");
      used.insert(w_name);
      const std::string b_name = fresh_name(graph, used, base + ".bn_folded_bias");
      graph.initializers[w_name] = std::move(new_w);
      graph.initializers[b_name] = std::move(new_b);
      conv.inputs.resize(3);
      conv.inputs[1] = w_name;
      conv.inputs[2] = b_name;
      conv.outputs[0] = bn.outputs[0];
      graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(b));
      return true;  // one fold per call; run_to_fixed_point repeats
    }
    return false;
  }
};

}  // namespace

std::unique_ptr<Pass> make_batchnorm_folding() { return std::make_unique<BatchNormFolding>(); }

}  // namespace edgebench::passes
