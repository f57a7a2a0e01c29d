// Registers the linear_quant family of reference ops; one op per file beside this one.
#include "edgebench/engine/registry.h"

namespace edgebench::engine::ops {

OpDef gemm_op();
OpDef matmul_op();
OpDef quantize_linear_op();
OpDef dequantize_linear_op();
OpDef dynamic_quantize_linear_op();
OpDef matmul_integer_op();
OpDef qlinear_matmul_op();
OpDef conv_integer_op();
OpDef qlinear_conv_op();

void register_linear_quant_ops(Registry& registry) {
  registry.add(gemm_op());
  registry.add(matmul_op());
  registry.add(quantize_linear_op());
  registry.add(dequantize_linear_op());
  registry.add(dynamic_quantize_linear_op());
  registry.add(matmul_integer_op());
  registry.add(qlinear_matmul_op());
  registry.add(conv_integer_op());
  registry.add(qlinear_conv_op());
}

}  // namespace edgebench::engine::ops
