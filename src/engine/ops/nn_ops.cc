// Registers the nn family of reference ops; one op per file beside this one.
#include "edgebench/engine/registry.h"

namespace edgebench::engine::ops {

OpDef average_pool_op();
OpDef batch_normalization_op();
OpDef conv_op();
OpDef conv_transpose_op();
OpDef depth_to_space_op();
OpDef global_average_pool_op();
OpDef global_lp_pool_op();
OpDef global_max_pool_op();
OpDef instance_normalization_op();
OpDef layer_normalization_op();
OpDef lp_normalization_op();
OpDef lp_pool_op();
OpDef lrn_op();
OpDef max_pool_op();
OpDef max_unpool_op();
OpDef space_to_depth_op();

void register_nn_ops(Registry& registry) {
  registry.add(average_pool_op());
  registry.add(batch_normalization_op());
  registry.add(conv_op());
  registry.add(conv_transpose_op());
  registry.add(depth_to_space_op());
  registry.add(global_average_pool_op());
  registry.add(global_lp_pool_op());
  registry.add(global_max_pool_op());
  registry.add(instance_normalization_op());
  registry.add(layer_normalization_op());
  registry.add(lp_normalization_op());
  registry.add(lp_pool_op());
  registry.add(lrn_op());
  registry.add(max_pool_op());
  registry.add(max_unpool_op());
  registry.add(space_to_depth_op());
}

}  // namespace edgebench::engine::ops
