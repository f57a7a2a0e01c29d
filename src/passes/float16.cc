// Float16 weight storage with Cast nodes back to float32. See float16.h for the rules.
#include "edgebench/passes/float16.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <set>
#include <string_view>

#include "edgebench/engine/fused_ops.h"

namespace edgebench::passes {

namespace {

constexpr float kMaxHalf = 65504.0f;
constexpr std::int64_t kOnnxFloatCode = 1;  // TensorProto.DataType FLOAT

// Inputs where a weight's value only enters arithmetic, so rounding it perturbs the outputs
// smoothly. Any other float input (Resize scales, Clip bounds, quantization scales) may steer
// a shape, a branch or a quantization grid and is left alone.
bool is_float_data_input(const ir::Node& node, std::size_t i) {
  const std::string_view op = node.op_type;
  if (node.domain == engine::kEdgebenchDomain) {
    if (op == engine::kFusedConvOp) return i == 1 || i == 2;
    if (op == engine::kFusedGemmOp) return i <= 2;
    return false;
  }
  if (!node.domain.empty() && node.domain != "ai.onnx") return false;
  if (op == "Conv" || op == "ConvTranspose") return i == 1 || i == 2;
  if (op == "Gemm") return i <= 2;
  if (op == "MatMul" || op == "Add" || op == "Sub" || op == "Mul" || op == "Div") return i <= 1;
  if (op == "BatchNormalization") return i >= 1 && i <= 4;
  if (op == "InstanceNormalization" || op == "LayerNormalization") return i == 1 || i == 2;
  if (op == "PRelu") return i == 1;
  return false;
}

std::string fresh_name(const std::set<std::string, std::less<>>& used, const std::string& base) {
  std::string name = base;
  for (int k = 1; used.count(name) != 0; ++k) name = fmt::format("{}_{}", base, k);
  return name;
}

std::uint64_t initializer_bytes(const ir::Graph& graph) {
  std::uint64_t bytes = 0;
  for (const auto& [name, tensor] : graph.initializers) bytes += tensor.byte_size();
  return bytes;
}

}  // namespace

Result<Float16Report> convert_weights_to_float16(ir::Graph& graph) {
  Float16Report report;
  report.bytes_before = initializer_bytes(graph);

  // Why each float32 initializer must stay float32; absent = convertible.
  std::map<std::string, std::string, std::less<>> blocked;
  std::map<std::string, int, std::less<>> data_reads;
  std::set<std::string, std::less<>> used;
  for (const auto& [name, tensor] : graph.initializers) used.insert(name);
  for (const std::string& in : graph.inputs) used.insert(in);
  for (const auto& [name, info] : graph.value_info) used.insert(name);
  for (const std::string& out : graph.outputs) {
    used.insert(out);
    if (graph.is_initializer(out)) blocked.emplace(out, "is a graph output");
  }
  for (const ir::Node& node : graph.nodes) {
    used.insert(node.name);
    used.insert(node.outputs.begin(), node.outputs.end());
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      const std::string& in = node.inputs[i];
      if (in.empty() || !graph.is_initializer(in)) continue;
      if (is_float_data_input(node, i)) {
        ++data_reads[in];
      } else {
        blocked.emplace(
            in, fmt::format("input {} of {} is not a float data input", i, node.describe()));
      }
    }
  }

  std::vector<std::string> candidates;
  for (const auto& [name, tensor] : graph.initializers) {
    if (tensor.dtype() != DType::kFloat32) continue;
    if (auto b = blocked.find(name); b != blocked.end()) {
      report.kept.emplace_back(name, b->second);
    } else if (data_reads.count(name) == 0) {
      report.kept.emplace_back(name, "not read by any node");
    } else if (tensor.element_count() < kMinFloat16Elements) {
      report.kept.emplace_back(name, fmt::format("{} elements, fewer than {}",
                                                 tensor.element_count(), kMinFloat16Elements));
    } else {
      candidates.push_back(name);
    }
  }
  if (candidates.empty()) {
    report.bytes_after = report.bytes_before;
    return report;
  }
  if (graph.onnx_opset() < 6) {
    return unsupported(
        fmt::format("float16 weights need Cast from ONNX opset 6, the graph imports opset {}",
                    graph.onnx_opset()));
  }

  // Nothing below fails, so the graph is either fully converted or untouched.
  std::map<std::string, std::string, std::less<>> renamed;  // initializer -> Cast output
  std::vector<ir::Node> casts;
  for (const std::string& name : candidates) {
    const Tensor& source = graph.initializers.at(name);
    Tensor half = Tensor::zeros(DType::kFloat16, source.shape());
    std::int64_t clamped = 0;
    const float* src = source.data<float>();
    std::uint16_t* dst = half.data<std::uint16_t>();
    for (std::int64_t k = 0; k < source.element_count(); ++k) {
      float v = src[k];
      if (std::isfinite(v) && std::fabs(v) > kMaxHalf) {
        v = std::copysign(kMaxHalf, v);
        ++clamped;
      }
      dst[k] = float_to_half(v);
    }
    if (clamped > 0) {
      report.warnings.emplace_back(
          name, fmt::format("{} values beyond the float16 range clamped to +-65504", clamped));
    }
    const std::string value = fresh_name(used, name + "_fp32");
    used.insert(value);
    const std::string cast_name = fresh_name(used, name + "_cast_fp32");
    used.insert(cast_name);
    ir::Node cast;
    cast.name = cast_name;
    cast.op_type = "Cast";
    cast.inputs = {name};
    cast.outputs = {value};
    cast.attributes.set("to", kOnnxFloatCode);
    casts.push_back(std::move(cast));

    graph.value_info[value] = {DType::kFloat32, source.shape(), {}};
    if (auto vi = graph.value_info.find(name); vi != graph.value_info.end()) {
      vi->second.dtype = DType::kFloat16;
    }
    graph.initializers[name] = std::move(half);
    renamed.emplace(name, value);
    report.converted.push_back(name);
  }
  for (ir::Node& node : graph.nodes) {
    for (std::string& in : node.inputs) {
      if (auto r = renamed.find(in); r != renamed.end()) in = r->second;
    }
  }
  graph.nodes.insert(graph.nodes.begin(), std::make_move_iterator(casts.begin()),
                     std::make_move_iterator(casts.end()));
  report.bytes_after = initializer_bytes(graph);
  return report;
}

}  // namespace edgebench::passes
