// Split: cuts a tensor into several along one axis. ONNX opsets 1 (sizes from the `split`
// attribute or an optional second input), 2 and 11 (attribute; 11 allows a negative axis),
// 13 (sizes from the optional `split` input), 18 (`num_outputs` attribute, last part may be
// smaller). Without sizes the axis is divided equally among the outputs.
#include <cstring>
#include <optional>

#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

class SplitKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    const ir::Attributes& attrs = ctx.node.attributes;
    auto kernel = std::unique_ptr<SplitKernel>(new SplitKernel());
    EB_ASSIGN_OR_RETURN(kernel->axis_, attrs.get_int("axis", 0));
    kernel->sizes_from_input_ = ctx.opset < 2 || ctx.opset >= 13;
    if (ctx.opset < 13 && attrs.has("split")) {
      EB_ASSIGN_OR_RETURN(kernel->split_attr_, attrs.get_ints("split", {}));
    }
    if (ctx.opset >= 18 && attrs.has("num_outputs")) {
      EB_ASSIGN_OR_RETURN(std::int64_t n, attrs.get_int("num_outputs", 0));
      if (n < 1) return invalid_model(fmt::format("attribute 'num_outputs' {} must be >= 1", n));
      if (static_cast<std::size_t>(n) != ctx.node.outputs.size()) {
        return invalid_model(
            fmt::format("attribute 'num_outputs' is {} but the node has {} outputs", n,
                        ctx.node.outputs.size()));
      }
      kernel->num_outputs_ = n;
    }
    if (ctx.node.outputs.empty()) return invalid_model("Split needs at least one output");
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 2));
    if (ctx.has_input(1) && !sizes_from_input_) {
      return ctx.error("the 'split' input needs opset 13 or later; use the attribute");
    }
    const int rank = ctx.input_rank(0);
    if (rank == 0) return ctx.error("input must have rank >= 1");
    auto axis = normalize_axis(axis_, rank);
    if (!axis.is_ok())
      return ctx.error(fmt::format("attribute 'axis': {}", axis.status().message()));
    const Tensor* split_input = nullptr;
    if (ctx.has_input(1)) {
      EB_ASSIGN_OR_RETURN(split_input, ctx.require_value(1));
      Status st = tensor_family::check_int_list(*split_input, "split");
      if (!st.is_ok()) return ctx.error(st.message());
    }
    auto sizes = part_sizes(ctx.input_shape(0)[static_cast<std::size_t>(*axis)], split_input,
                            ctx.num_outputs());
    if (!sizes.is_ok()) return ctx.error(sizes.status().message());
    for (std::size_t k = 0; k < ctx.num_outputs(); ++k) {
      Shape shape = ctx.input_shape(0);
      shape[static_cast<std::size_t>(*axis)] = (*sizes)[k];
      ctx.set_output(k, ctx.input_dtype(0), std::move(shape));
    }
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const int axis = axis_ < 0 ? static_cast<int>(axis_) + x.rank() : static_cast<int>(axis_);
    const auto a = static_cast<std::size_t>(axis);
    EB_ASSIGN_OR_RETURN(
        std::vector<std::int64_t> sizes,
        part_sizes(x.dim(axis), ctx.has_input(1) ? &ctx.input(1) : nullptr, ctx.num_outputs()));
    const std::size_t elem = dtype_size(x.dtype());
    const std::int64_t outer = tensor_family::dims_product(x.shape(), 0, a);
    const auto inner =
        static_cast<std::size_t>(tensor_family::dims_product(x.shape(), a + 1, x.shape().size()));
    const std::size_t in_block = static_cast<std::size_t>(x.dim(axis)) * inner * elem;
    const auto* src = static_cast<const std::byte*>(x.raw_data());
    std::vector<tensor_family::CopyPiece> pieces;
    std::size_t begin = 0;  // byte offset of part k within one outer block
    for (std::size_t k = 0; k < sizes.size(); ++k) {
      const std::size_t block = static_cast<std::size_t>(sizes[k]) * inner * elem;
      if (ctx.has_output(k) && block > 0) {
        auto* dst = static_cast<std::byte*>(ctx.output(k).raw_data());
        for (std::int64_t o = 0; o < outer; ++o) {
          pieces.push_back({dst + static_cast<std::size_t>(o) * block,
                            src + static_cast<std::size_t>(o) * in_block + begin, block});
        }
      }
      begin += block;
    }
    tensor_family::copy_pieces(pieces, ctx.thread_pool());
    return Status::ok();
  }

 private:
  SplitKernel() = default;

  // The length of each output along the axis.
  Result<std::vector<std::int64_t>> part_sizes(std::int64_t dim, const Tensor* split_input,
                                               std::size_t outputs) const {
    std::vector<std::int64_t> sizes;
    if (split_input != nullptr || !split_attr_.empty()) {
      sizes = split_input != nullptr ? split_input->to_int64_vector() : split_attr_;
      if (sizes.size() != outputs) {
        return invalid_argument(fmt::format("'split' has {} values but the node has {} outputs",
                                            sizes.size(), outputs));
      }
      std::int64_t total = 0;
      for (std::int64_t s : sizes) {
        if (s < 0 || __builtin_add_overflow(total, s, &total)) {
          return invalid_argument(fmt::format("'split' value {} is invalid", s));
        }
      }
      if (total != dim) {
        return invalid_argument(
            fmt::format("'split' values sum to {}, the axis has length {}", total, dim));
      }
      return sizes;
    }
    const auto n = static_cast<std::int64_t>(outputs);
    if (num_outputs_) {
      // Opset 18: parts of ceil(dim / n), the last one takes what is left.
      const std::int64_t part = dim / n + (dim % n != 0 ? 1 : 0);
      const std::int64_t last = dim - part * (n - 1);
      if (last < 0) {
        return invalid_argument(
            fmt::format("an axis of length {} cannot be split into {} outputs", dim, n));
      }
      sizes.assign(outputs, part);
      sizes.back() = last;
      return sizes;
    }
    if (dim % n != 0) {
      return invalid_argument(
          fmt::format("an axis of length {} cannot be split equally into {} outputs", dim, n));
    }
    sizes.assign(outputs, dim / n);
    return sizes;
  }

  std::int64_t axis_ = 0;
  bool sizes_from_input_ = false;
  std::vector<std::int64_t> split_attr_;
  std::optional<std::int64_t> num_outputs_;
};

}  // namespace

OpDef split_op() { return {"", "Split", 1, &make_kernel<SplitKernel>}; }

}  // namespace edgebench::engine::ops
