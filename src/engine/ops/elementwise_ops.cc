// Registers the elementwise family of reference ops; one op per file beside this one.
#include "edgebench/engine/registry.h"

namespace edgebench::engine::ops {

OpDef relu_op();

void register_elementwise_ops(Registry& registry) { registry.add(relu_op()); }

}  // namespace edgebench::engine::ops
