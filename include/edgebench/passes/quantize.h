// Post-training quantization of float32 ONNX graphs, written as standard ONNX so that every
// result runs in any ONNX runtime as well as in the native backend:
//
//   * static int8 (QDQ): QuantizeLinear -> DequantizeLinear pairs on the activations that
//     quantized nodes read and write, int8 weights (per tensor or per output channel) behind a
//     DequantizeLinear, int32 biases with scale x_scale * w_scale. The native backend's QDQ
//     fusion turns the patterns into integer kernels; other runtimes do the same or simulate.
//   * dynamic int8: DynamicQuantizeLinear on the activation, MatMulInteger / ConvInteger on int8
//     weights, the int32 result scaled back to float (activations stay float between layers).
//
// Naming: a quantized value T becomes T_quantized (Q's output) and T_dequantized (DQ's output);
// a weight W becomes the initializers W_quantized, W_scale, W_zero_point. `edgebench analyze`
// relies on it to pair a quantized model's tensors with the float model's.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/ir/graph.h"
#include "edgebench/passes/calibration.h"

namespace edgebench::passes {

inline constexpr std::string_view kQuantizedSuffix = "_quantized";
inline constexpr std::string_view kDequantizedSuffix = "_dequantized";

struct QuantizeOptions {
  // Weights per output channel (Conv: axis 0; Gemm/MatMul: per column) instead of per tensor.
  bool per_channel = false;
  // Nodes that stay float: node names or op types.
  std::vector<std::string> exclude;
};

struct QuantizeReport {
  std::vector<std::string> quantized;                           // node names
  std::vector<std::pair<std::string, std::string>> kept_float;  // node name, why
  int quantized_tensors = 0;  // activations with a Q/DQ pair (static) or a dynamic quantizer
  int quantized_weights = 0;
};

// The nodes static quantization would quantize and the float activations it needs a range for
// (the calibration run observes these), in graph order. `graph` must be topologically sorted.
struct StaticQuantizationPlan {
  std::vector<std::size_t> nodes;
  std::vector<std::string> activations;
  std::vector<std::pair<std::string, std::string>> kept_float;  // node name, why
};
Result<StaticQuantizationPlan> plan_static_quantization(const ir::Graph& graph,
                                                        const QuantizeOptions& options);

// Rewrites `graph` into a QDQ int8 graph. `ranges` must hold every activation of the plan.
// Activations are int8 with a zero point (asymmetric, the range widened to hold 0); weights are
// symmetric int8 in [-127, 127]. Needs opset 10 (opset 13 for per-channel weights; the graph's
// opset is raised to 13 when that changes no other op's meaning, else weights stay per tensor).
Result<QuantizeReport> quantize_static(ir::Graph& graph,
                                       const std::map<std::string, TensorRange>& ranges,
                                       const QuantizeOptions& options);

// Rewrites `graph` for dynamic quantization of its Conv, Gemm and MatMul nodes with constant
// weights: uint8 activations quantized at run time (DynamicQuantizeLinear), int8 weights.
Result<QuantizeReport> quantize_dynamic(ir::Graph& graph, const QuantizeOptions& options);

// Scale and zero point for an int8 value with the given range, widened to hold 0.
struct QuantParameters {
  float scale = 1.0f;
  std::int32_t zero_point = 0;
};
QuantParameters int8_parameters(TensorRange range);

// Adds `names` (values of the graph) to its outputs, for calibration and analysis runs.
// Names already outputs are kept once; unknown names give kNotFound.
Status expose_values(ir::Graph& graph, const std::vector<std::string>& names);

}  // namespace edgebench::passes
