// Registers the linear_quant family of reference ops; one op per file beside this one.
#include "edgebench/engine/registry.h"

namespace edgebench::engine::ops {

void register_linear_quant_ops(Registry& registry) { (void)registry; }

}  // namespace edgebench::engine::ops
