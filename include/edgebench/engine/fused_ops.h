// edgebench's own fused ops, in the "edgebench" domain. Graph passes produce them (see
// passes::make_activation_fusion); models may also use them directly. Any opset version of the
// domain is accepted (the ops have one version so far, kEdgebenchOpset).
//
//   edgebench.FusedConv: ONNX Conv (inputs X, W, optional B and all of Conv's attributes, with
//     opset 13 semantics), then y = min(max(y, activation_min), activation_max).
//   edgebench.FusedGemm: ONNX Gemm (inputs A, B, optional C and all of Gemm's attributes, with
//     opset 13 semantics), then the same clamp.
//
// activation_min / activation_max are float attributes, -inf / +inf when absent (no clamp on
// that side); activation_min > activation_max (or a NaN bound) is an invalid model. The clamp
// is Clip's: a NaN stays NaN. Only float32 is supported; other dtypes are kUnsupported.
#pragma once

#include <cstdint>
#include <string_view>

namespace edgebench::engine {

inline constexpr std::string_view kEdgebenchDomain = "edgebench";
// The version a graph that uses the ops imports the domain with.
inline constexpr std::int64_t kEdgebenchOpset = 1;

inline constexpr std::string_view kFusedConvOp = "FusedConv";
inline constexpr std::string_view kFusedGemmOp = "FusedGemm";

inline constexpr std::string_view kActivationMinAttribute = "activation_min";
inline constexpr std::string_view kActivationMaxAttribute = "activation_max";

}  // namespace edgebench::engine
