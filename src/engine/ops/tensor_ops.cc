// Registers the tensor family of reference ops (shape manipulation and data movement); one op
// per file beside this one. Shared helpers live in tensor_util.h.
#include "edgebench/engine/registry.h"

namespace edgebench::engine::ops {

OpDef concat_op();
OpDef constant_of_shape_op();
OpDef expand_op();
OpDef flatten_op();
OpDef gather_op();
OpDef reshape_op();
OpDef shape_op();
OpDef size_op();
OpDef slice_op();
OpDef split_op();
OpDef squeeze_op();
OpDef tile_op();
OpDef transpose_op();
OpDef unsqueeze_op();

void register_tensor_ops(Registry& registry) {
  for (OpDef (*op)() :
       {concat_op, constant_of_shape_op, expand_op, flatten_op, gather_op, reshape_op, shape_op,
        size_op, slice_op, split_op, squeeze_op, tile_op, transpose_op, unsqueeze_op}) {
    registry.add(op());
  }
}

}  // namespace edgebench::engine::ops
