// GlobalAveragePool: the mean over all spatial axes of each (n, c) plane. ONNX opset 1.
#include "nn_util.h"
#include "op_util.h"
#include "parallel_util.h"

namespace edgebench::engine::ops {
namespace {

class GlobalAveragePoolKernel final : public OpKernel {
 public:
  explicit GlobalAveragePoolKernel(const KernelCreateContext& /*ctx*/) {}

  Status infer(InferContext& ctx) const override { return infer_global_pool(ctx); }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    return dispatch_elements<float, double, Float16>(x.dtype(), "GlobalAveragePool", [&](auto ops) {
      using Ops = decltype(ops);
      using A = typename Ops::Compute;
      const auto* xd = x.data<typename Ops::Storage>();
      auto* yd = y.data<typename Ops::Storage>();
      const std::int64_t planes = x.dim(0) * x.dim(1);
      const std::int64_t plane_size = planes > 0 ? x.element_count() / planes : 0;
      parallel_outer(
          ctx.thread_pool(), planes, plane_size, [&](std::int64_t first, std::int64_t last) {
            for (std::int64_t plane = first; plane < last; ++plane) {
              A sum = 0;
              for (std::int64_t i = 0; i < plane_size; ++i) {
                sum += Ops::load(xd[plane * plane_size + i]);
              }
              yd[plane] = Ops::store(plane_size > 0 ? sum / static_cast<A>(plane_size) : A(0));
            }
          });
    });
  }
};

}  // namespace

OpDef global_average_pool_op() {
  return {"", "GlobalAveragePool", 1, &make_kernel<GlobalAveragePoolKernel>};
}

}  // namespace edgebench::engine::ops
