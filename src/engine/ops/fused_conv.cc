// edgebench.FusedConv: Conv then a clamp to [activation_min, activation_max] (Conv followed by
// Relu or Clip, fused by passes::make_activation_fusion). See edgebench/engine/fused_ops.h.
#include "edgebench/engine/fused_ops.h"
#include "fused_util.h"

namespace edgebench::engine::ops {

OpDef conv_op();  // conv.cc

namespace {

Result<std::unique_ptr<OpKernel>> create_fused_conv(const KernelCreateContext& ctx) {
  return create_clamped_kernel(ctx, conv_op());
}

}  // namespace

OpDef fused_conv_op() { return {kEdgebenchDomain, kFusedConvOp, 1, &create_fused_conv}; }

}  // namespace edgebench::engine::ops
