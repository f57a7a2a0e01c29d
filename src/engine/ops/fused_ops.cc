// Registers the fused family: edgebench-domain ops that graph passes produce; one op per file
// beside this one.
#include "edgebench/engine/registry.h"

namespace edgebench::engine::ops {

OpDef fused_conv_op();
OpDef fused_gemm_op();

void register_fused_ops(Registry& registry) {
  registry.add(fused_conv_op());
  registry.add(fused_gemm_op());
}

}  // namespace edgebench::engine::ops
