// Registers the tensor family of reference ops (shape manipulation and data movement); one op
// per file beside this one. Shared helpers live in tensor_util.h.
#include "edgebench/engine/registry.h"

namespace edgebench::engine::ops {

OpDef compress_op();
OpDef concat_op();
OpDef constant_of_shape_op();
OpDef cum_sum_op();
OpDef expand_op();
OpDef eye_like_op();
OpDef flatten_op();
OpDef gather_op();
OpDef gather_elements_op();
OpDef gather_nd_op();
OpDef non_zero_op();
OpDef one_hot_op();
OpDef range_op();
OpDef reshape_op();
OpDef reverse_sequence_op();
OpDef scatter_op();
OpDef scatter_elements_op();
OpDef scatter_nd_op();
OpDef shape_op();
OpDef size_op();
OpDef slice_op();
OpDef split_op();
OpDef squeeze_op();
OpDef tile_op();
OpDef top_k_op();
OpDef transpose_op();
OpDef trilu_op();
OpDef unsqueeze_op();

void register_tensor_ops(Registry& registry) {
  for (OpDef (*op)() : {compress_op,
                        concat_op,
                        constant_of_shape_op,
                        cum_sum_op,
                        expand_op,
                        eye_like_op,
                        flatten_op,
                        gather_op,
                        gather_elements_op,
                        gather_nd_op,
                        non_zero_op,
                        one_hot_op,
                        range_op,
                        reshape_op,
                        reverse_sequence_op,
                        scatter_op,
                        scatter_elements_op,
                        scatter_nd_op,
                        shape_op,
                        size_op,
                        slice_op,
                        split_op,
                        squeeze_op,
                        tile_op,
                        top_k_op,
                        transpose_op,
                        trilu_op,
                        unsqueeze_op}) {
    registry.add(op());
  }
}

}  // namespace edgebench::engine::ops
