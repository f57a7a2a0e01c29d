// The complete list of reference ops, by family. Each family file lists its ops once.
#include "edgebench/engine/registry.h"

namespace edgebench::engine {
namespace ops {
void register_elementwise_ops(Registry& registry);      // elementwise_ops.cc
void register_nn_ops(Registry& registry);               // nn_ops.cc
void register_linear_quant_ops(Registry& registry);     // linear_quant_ops.cc
void register_tensor_ops(Registry& registry);           // tensor_ops.cc
void register_resample_reduce_ops(Registry& registry);  // resample_reduce_ops.cc
void register_fused_ops(Registry& registry);            // fused_ops.cc
}  // namespace ops

void register_builtin_ops(Registry& registry) {
  ops::register_elementwise_ops(registry);
  ops::register_nn_ops(registry);
  ops::register_linear_quant_ops(registry);
  ops::register_tensor_ops(registry);
  ops::register_resample_reduce_ops(registry);
  ops::register_fused_ops(registry);
}

}  // namespace edgebench::engine
