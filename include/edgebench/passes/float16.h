// Float16 weight storage: halves the size of a model's float32 weights while every computation
// stays float32 (ONNX Runtime's "keep_io_types" weight-only conversion).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/ir/graph.h"

namespace edgebench::passes {

// Initializers with fewer elements stay float32: a Cast node costs more than the bytes it
// saves, and tiny initializers are often scalars (Clip bounds, Pow exponents) better left exact.
inline constexpr std::int64_t kMinFloat16Elements = 16;

struct Float16Report {
  std::vector<std::string> converted;                         // initializer names
  std::vector<std::pair<std::string, std::string>> kept;      // name, why it stayed float32
  std::vector<std::pair<std::string, std::string>> warnings;  // name, what changed beyond rounding
  std::uint64_t bytes_before = 0, bytes_after = 0;            // all initializers of the graph
};

// Stores each float32 initializer as float16 (round to nearest even) when every reader is a
// compute node that takes it as a float data input and nothing else reads it (not a graph
// output): Conv / ConvTranspose (W, B), Gemm (A, B, C), MatMul (A, B), Add / Sub / Mul / Div,
// BatchNormalization (scale, B, mean, var), InstanceNormalization / LayerNormalization (scale,
// B), PRelu (slope), edgebench.FusedConv / FusedGemm (as Conv / Gemm). Float inputs that steer
// shapes or control (Resize scales, Clip bounds, QuantizeLinear scales, Pad values, ...) stay
// float32, and so do initializers with fewer than kMinFloat16Elements elements.
//
// The initializer keeps its name; one Cast(to=FLOAT) node per converted initializer (at the
// front of the node list) produces a fresh float32 value "<name>_fp32" that the readers take
// instead, so the graph runs unchanged in ONNX Runtime and in our engine (constant folding
// folds the Cast back). Finite values beyond the float16 range are clamped to +-65504 (a
// warning names the initializer and the count); infinities and NaN keep their meaning.
// Outputs change only by float16 weight rounding (relative error 2^-11 per weight).
//
// Errors: kUnsupported when the graph imports the ONNX domain below opset 6 (Cast's `to` was a
// string then). On error the graph is unchanged.
Result<Float16Report> convert_weights_to_float16(ir::Graph& graph);

}  // namespace edgebench::passes
