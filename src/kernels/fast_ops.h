// Registration of the fast-op families (one file each under src/kernels/).
#pragma once

#include "edgebench/engine/registry.h"
#include "edgebench/kernels/fast.h"

namespace edgebench::kernels {

void register_layout_ops(engine::Registry& registry);
void register_conv_ops(engine::Registry& registry);
void register_fully_connected_ops(engine::Registry& registry);
void register_pool_ops(engine::Registry& registry);
void register_elementwise_ops(engine::Registry& registry);
void register_tensor_ops(engine::Registry& registry);
void register_quantized_ops(engine::Registry& registry);

// int8 or uint8: the element types of the integer kernels.
bool is_int8_or_uint8(DType t);

}  // namespace edgebench::kernels
