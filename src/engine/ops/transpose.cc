// Transpose: permutes the axes; output axis i is input axis perm[i]. ONNX opsets 1, 13. The
// default perm reverses the axes.
#include <numeric>

#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

class TransposeKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    auto kernel = std::unique_ptr<TransposeKernel>(new TransposeKernel());
    if (ctx.node.attributes.has("perm")) {
      EB_ASSIGN_OR_RETURN(std::vector<std::int64_t> perm, ctx.node.attributes.get_ints("perm", {}));
      kernel->perm_ = std::move(perm);
    }
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    const Shape& in = ctx.input_shape(0);
    auto perm = permutation(in.size());
    if (!perm.is_ok()) return ctx.error(perm.status().message());
    Shape out(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) out[i] = in[static_cast<std::size_t>((*perm)[i])];
    ctx.set_output(0, ctx.input_dtype(0), std::move(out));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    EB_ASSIGN_OR_RETURN(std::vector<std::int64_t> perm, permutation(x.shape().size()));
    const std::vector<std::int64_t> in_strides = strides_of(x.shape());
    std::vector<std::int64_t> strides(perm.size());
    for (std::size_t i = 0; i < perm.size(); ++i) {
      strides[i] = in_strides[static_cast<std::size_t>(perm[i])];
    }
    Tensor& y = ctx.output(0);
    tensor_family::copy_strided(static_cast<const std::byte*>(x.raw_data()), 0, strides,
                                static_cast<std::byte*>(y.raw_data()), y.shape(),
                                dtype_size(x.dtype()), ctx.thread_pool());
    return Status::ok();
  }

 private:
  TransposeKernel() = default;

  Result<std::vector<std::int64_t>> permutation(std::size_t rank) const {
    if (!perm_) {
      std::vector<std::int64_t> reversed(rank);
      std::iota(reversed.rbegin(), reversed.rend(), 0);
      return reversed;
    }
    const std::vector<std::int64_t>& perm = *perm_;
    if (perm.size() != rank) {
      return invalid_argument(
          fmt::format("attribute 'perm' has {} values for an input of rank {}", perm.size(), rank));
    }
    std::vector<bool> seen(rank, false);
    for (std::int64_t p : perm) {
      if (p < 0 || p >= static_cast<std::int64_t>(rank) || seen[static_cast<std::size_t>(p)]) {
        return invalid_argument(fmt::format("attribute 'perm' [{}] is not a permutation of 0..{}",
                                            fmt::join(perm, ","), rank - 1));
      }
      seen[static_cast<std::size_t>(p)] = true;
    }
    return perm;
  }

  std::optional<std::vector<std::int64_t>> perm_;
};

}  // namespace

OpDef transpose_op() { return {"", "Transpose", 1, &make_kernel<TransposeKernel>}; }

}  // namespace edgebench::engine::ops
