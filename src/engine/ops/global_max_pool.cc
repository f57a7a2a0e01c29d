// GlobalMaxPool: the maximum over all spatial axes of each (n, c) plane. ONNX opset 1.
#include <limits>

#include "nn_util.h"
#include "op_util.h"
#include "parallel_util.h"

namespace edgebench::engine::ops {
namespace {

class GlobalMaxPoolKernel final : public OpKernel {
 public:
  explicit GlobalMaxPoolKernel(const KernelCreateContext& /*ctx*/) {}

  Status infer(InferContext& ctx) const override { return infer_global_pool(ctx); }

  // NaN propagates, as in MaxPool.
  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    return dispatch_elements<float, double, Float16>(x.dtype(), "GlobalMaxPool", [&](auto ops) {
      using Ops = decltype(ops);
      using A = typename Ops::Compute;
      const auto* xd = x.data<typename Ops::Storage>();
      auto* yd = y.data<typename Ops::Storage>();
      const std::int64_t planes = x.dim(0) * x.dim(1);
      const std::int64_t plane_size = planes > 0 ? x.element_count() / planes : 0;
      parallel_outer(ctx.thread_pool(), planes, plane_size,
                     [&](std::int64_t first, std::int64_t last) {
                       for (std::int64_t plane = first; plane < last; ++plane) {
                         A best = std::numeric_limits<A>::lowest();
                         for (std::int64_t i = 0; i < plane_size; ++i) {
                           const A v = Ops::load(xd[plane * plane_size + i]);
                           if (v > best || (v != v && best == best))
                             best = v;  // v != v only for NaN
                         }
                         yd[plane] = Ops::store(best);
                       }
                     });
    });
  }
};

}  // namespace

OpDef global_max_pool_op() { return {"", "GlobalMaxPool", 1, &make_kernel<GlobalMaxPoolKernel>}; }

}  // namespace edgebench::engine::ops
