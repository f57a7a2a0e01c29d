// Registers the resample and reduce family of reference ops; one op per file beside this one.
#include "edgebench/engine/registry.h"

namespace edgebench::engine::ops {

OpDef arg_max_op();             // arg_max.cc
OpDef arg_min_op();             // arg_min.cc
OpDef pad_op();                 // pad.cc
OpDef reduce_l1_op();           // reduce_l1.cc
OpDef reduce_l2_op();           // reduce_l2.cc
OpDef reduce_log_sum_op();      // reduce_log_sum.cc
OpDef reduce_log_sum_exp_op();  // reduce_log_sum_exp.cc
OpDef reduce_max_op();          // reduce_max.cc
OpDef reduce_mean_op();         // reduce_mean.cc
OpDef reduce_min_op();          // reduce_min.cc
OpDef reduce_prod_op();         // reduce_prod.cc
OpDef reduce_sum_op();          // reduce_sum.cc
OpDef reduce_sum_square_op();   // reduce_sum_square.cc
OpDef resize_op();              // resize.cc
OpDef upsample_op();            // upsample.cc

void register_resample_reduce_ops(Registry& registry) {
  registry.add(arg_max_op());
  registry.add(arg_min_op());
  registry.add(pad_op());
  registry.add(reduce_l1_op());
  registry.add(reduce_l2_op());
  registry.add(reduce_log_sum_op());
  registry.add(reduce_log_sum_exp_op());
  registry.add(reduce_max_op());
  registry.add(reduce_mean_op());
  registry.add(reduce_min_op());
  registry.add(reduce_prod_op());
  registry.add(reduce_sum_op());
  registry.add(reduce_sum_square_op());
  registry.add(resize_op());
  registry.add(upsample_op());
}

}  // namespace edgebench::engine::ops
