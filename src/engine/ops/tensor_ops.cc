// Registers the tensor family of reference ops; one op per file beside this one.
#include "edgebench/engine/registry.h"

namespace edgebench::engine::ops {

void register_tensor_ops(Registry& registry) { (void)registry; }

}  // namespace edgebench::engine::ops
