// Shared by the fused ops (FusedConv, FusedGemm): an ONNX op's kernel followed by a clamp.
// Internal to the engine; the op and attribute names are in edgebench/engine/fused_ops.h.
#pragma once

#include <memory>

#include "edgebench/core/status.h"
#include "edgebench/engine/op.h"

namespace edgebench::engine::ops {

// The opset whose semantics the inner ONNX op follows, whatever the edgebench domain's version.
inline constexpr std::int64_t kFusedInnerOpset = 13;

// Creates the kernel of a fused node: `inner` (an ONNX op such as Conv) built from a copy of the
// node in the default domain without the activation attributes, then a float32 clamp of output
// 0 to [activation_min, activation_max]. Fails when the bounds are not floats, are NaN or
// min > max, or when `inner` rejects the node's other attributes.
Result<std::unique_ptr<OpKernel>> create_clamped_kernel(const KernelCreateContext& ctx,
                                                        const OpDef& inner);

}  // namespace edgebench::engine::ops
