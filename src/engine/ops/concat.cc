// Concat: joins tensors along one axis. ONNX opsets 1 (axis defaults to 1), 4 (axis required),
// 11 (negative axis), 13. Moves raw bytes, so every dtype works.
#include <cstring>

#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

class ConcatKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    if (ctx.opset >= 4 && !ctx.node.attributes.has("axis")) {
      return invalid_model("attribute 'axis' is required");
    }
    EB_ASSIGN_OR_RETURN(std::int64_t axis, ctx.node.attributes.get_int("axis", 1));
    return std::unique_ptr<OpKernel>(new ConcatKernel(axis));
  }

  Status infer(InferContext& ctx) const override {
    if (ctx.num_inputs() == 0) return ctx.error("expects at least one input");
    for (std::size_t i = 0; i < ctx.num_inputs(); ++i) {
      if (!ctx.has_input(i)) return ctx.error(fmt::format("input {} is missing", i));
    }
    const Shape& first = ctx.input_shape(0);
    const int rank = ctx.input_rank(0);
    auto axis = normalize_axis(axis_, rank);
    if (!axis.is_ok() || rank == 0) {
      return ctx.error(fmt::format("attribute 'axis' {} is out of range for rank {}", axis_, rank));
    }
    const auto a = static_cast<std::size_t>(*axis);
    Shape out = first;
    out[a] = 0;
    for (std::size_t i = 0; i < ctx.num_inputs(); ++i) {
      if (ctx.input_dtype(i) != ctx.input_dtype(0)) {
        return ctx.error(fmt::format("input {} has dtype {}, input 0 has {}", i,
                                     dtype_name(ctx.input_dtype(i)),
                                     dtype_name(ctx.input_dtype(0))));
      }
      const Shape& s = ctx.input_shape(i);
      bool compatible = s.size() == first.size();
      for (std::size_t d = 0; compatible && d < s.size(); ++d) {
        compatible = d == a || s[d] == first[d];
      }
      if (!compatible) {
        return ctx.error(
            fmt::format("input {} has shape {}, which does not match input 0's {} "
                        "outside axis {}",
                        i, shape_to_string(s), shape_to_string(first), *axis));
      }
      if (__builtin_add_overflow(out[a], s[a], &out[a])) {
        return ctx.error("the concatenated axis overflows");
      }
    }
    return tensor_family::set_checked_output(ctx, 0, ctx.input_dtype(0), std::move(out));
  }

  Status run(KernelContext& ctx) override {
    Tensor& y = ctx.output(0);
    const int axis = axis_ < 0 ? static_cast<int>(axis_) + y.rank() : static_cast<int>(axis_);
    const auto a = static_cast<std::size_t>(axis);
    const std::size_t elem = dtype_size(y.dtype());
    const std::int64_t outer = tensor_family::dims_product(y.shape(), 0, a);
    const std::int64_t inner = tensor_family::dims_product(y.shape(), a + 1, y.shape().size());
    auto* dst = static_cast<std::byte*>(y.raw_data());
    // Each outer index contributes one contiguous block per input, in input order.
    std::vector<tensor_family::CopyPiece> pieces;
    pieces.reserve(static_cast<std::size_t>(outer) * ctx.num_inputs());
    for (std::int64_t o = 0; o < outer; ++o) {
      for (std::size_t i = 0; i < ctx.num_inputs(); ++i) {
        const Tensor& x = ctx.input(i);
        const auto block = static_cast<std::size_t>(x.dim(axis) * inner) * elem;
        if (block == 0) continue;
        pieces.push_back(
            {dst, static_cast<const std::byte*>(x.raw_data()) + static_cast<std::size_t>(o) * block,
             block});
        dst += block;
      }
    }
    tensor_family::copy_pieces(pieces, ctx.thread_pool());
    return Status::ok();
  }

 private:
  explicit ConcatKernel(std::int64_t axis) : axis_(axis) {}
  std::int64_t axis_;
};

}  // namespace

OpDef concat_op() { return {"", "Concat", 1, &make_kernel<ConcatKernel>}; }

}  // namespace edgebench::engine::ops
