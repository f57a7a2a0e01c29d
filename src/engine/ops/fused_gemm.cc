// edgebench.FusedGemm: Gemm then a clamp to [activation_min, activation_max] (Gemm followed by
// Relu or Clip, fused by passes::make_activation_fusion). See edgebench/engine/fused_ops.h.
#include "edgebench/engine/fused_ops.h"
#include "fused_util.h"

namespace edgebench::engine::ops {

OpDef gemm_op();  // gemm.cc

namespace {

Result<std::unique_ptr<OpKernel>> create_fused_gemm(const KernelCreateContext& ctx) {
  return create_clamped_kernel(ctx, gemm_op());
}

}  // namespace

OpDef fused_gemm_op() { return {kEdgebenchDomain, kFusedGemmOp, 1, &create_fused_gemm}; }

}  // namespace edgebench::engine::ops
