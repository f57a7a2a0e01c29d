// TopK: the k largest (or smallest) elements along an axis and their int64 indices, sorted,
// with equal values in index order. ONNX opsets 1 (`k` attribute), 10 (`K` input), 11
// (`largest`, `sorted`, negative axis). With sorted=0 any order is allowed; this kernel sorts
// anyway. K is a value and sets the output shape.
#include <algorithm>
#include <cmath>

#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

class TopKKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    const ir::Attributes& attrs = ctx.node.attributes;
    auto kernel = std::unique_ptr<TopKKernel>(new TopKKernel());
    EB_ASSIGN_OR_RETURN(kernel->axis_, attrs.get_int("axis", -1));
    kernel->k_from_attribute_ = ctx.opset != 0 && ctx.opset < 10;
    if (kernel->k_from_attribute_) {
      if (!attrs.has("k")) return invalid_model("attribute 'k' is required before opset 10");
      EB_ASSIGN_OR_RETURN(kernel->k_attr_, attrs.get_int("k", 0));
    }
    if (ctx.opset == 0 || ctx.opset >= 11) {
      EB_ASSIGN_OR_RETURN(std::int64_t largest, attrs.get_int("largest", 1));
      kernel->largest_ = largest != 0;
    }
    if (ctx.node.outputs.size() != 2) return invalid_model("TopK has two outputs");
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(
        ctx.expect_input_count(k_from_attribute_ ? 1 : 2, k_from_attribute_ ? 1 : 2));
    EB_RETURN_IF_ERROR(
        ctx.expect_input_dtype(0, {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kInt8,
                                   DType::kUInt8, DType::kInt16, DType::kUInt16, DType::kInt32,
                                   DType::kUInt32, DType::kInt64, DType::kUInt64}));
    const Shape& in = ctx.input_shape(0);
    if (in.empty()) return ctx.error("input must have rank >= 1");
    auto axis = normalize_axis(axis_, ctx.input_rank(0));
    if (!axis.is_ok())
      return ctx.error(fmt::format("attribute 'axis': {}", axis.status().message()));
    std::int64_t k = k_attr_;
    if (!k_from_attribute_) {
      EB_ASSIGN_OR_RETURN(auto values, tensor_family::require_int_list(ctx, 1, "K"));
      if (values.size() != 1) return ctx.error("'K' must hold one value");
      k = values[0];
    }
    const std::int64_t dim = in[static_cast<std::size_t>(*axis)];
    if (k < 0 || k > dim) {
      return ctx.error(fmt::format("k {} is out of range for axis {} of length {}", k, *axis, dim));
    }
    Shape out = in;
    out[static_cast<std::size_t>(*axis)] = k;
    ctx.set_output(0, ctx.input_dtype(0), out);
    ctx.set_output(1, DType::kInt64, std::move(out));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const int axis = axis_ < 0 ? static_cast<int>(axis_) + x.rank() : static_cast<int>(axis_);
    const auto a = static_cast<std::size_t>(axis);
    const std::int64_t dim = x.dim(axis);
    const std::int64_t outer = tensor_family::dims_product(x.shape(), 0, a);
    const std::int64_t inner = tensor_family::dims_product(x.shape(), a + 1, x.shape().size());
    // Output shapes carry k; an unnamed output has no tensor, so take k from the other.
    const Tensor& shaped = ctx.has_output(0) ? ctx.output(0) : ctx.output(1);
    const std::int64_t k = shaped.dim(axis);
    return tensor_family::dispatch_numeric(x.dtype(), "TopK", [&](auto* storage, auto* compute) {
      using S = std::remove_pointer_t<decltype(storage)>;
      using C = std::remove_pointer_t<decltype(compute)>;
      const S* in = x.data<S>();
      S* values = ctx.has_output(0) ? ctx.output(0).data<S>() : nullptr;
      std::int64_t* indices = ctx.has_output(1) ? ctx.output(1).data<std::int64_t>() : nullptr;
      // NaN ranks above every number (as in NumPy's sort); equal values keep index order.
      auto before = [&](const std::pair<C, std::int64_t>& p, const std::pair<C, std::int64_t>& q) {
        if constexpr (std::is_floating_point_v<C>) {
          const bool pn = std::isnan(p.first);
          const bool qn = std::isnan(q.first);
          if (pn || qn) {
            if (pn && qn) return p.second < q.second;
            return largest_ ? pn : qn;
          }
        }
        if (p.first != q.first) return largest_ ? p.first > q.first : p.first < q.first;
        return p.second < q.second;
      };
      std::vector<std::pair<C, std::int64_t>> lane(static_cast<std::size_t>(dim));
      for (std::int64_t o = 0; o < outer; ++o) {
        for (std::int64_t i = 0; i < inner; ++i) {
          for (std::int64_t j = 0; j < dim; ++j) {
            lane[static_cast<std::size_t>(j)] = {
                tensor_family::load_value<S, C>(in[(o * dim + j) * inner + i]), j};
          }
          std::partial_sort(lane.begin(), lane.begin() + k, lane.end(), before);
          for (std::int64_t j = 0; j < k; ++j) {
            const std::int64_t offset = (o * k + j) * inner + i;
            const auto& [value, index] = lane[static_cast<std::size_t>(j)];
            if (values != nullptr) values[offset] = in[(o * dim + index) * inner + i];
            if (indices != nullptr) indices[offset] = index;
          }
        }
      }
    });
  }

 private:
  TopKKernel() = default;

  std::int64_t axis_ = -1;
  bool k_from_attribute_ = false;
  std::int64_t k_attr_ = 0;
  bool largest_ = true;
};

}  // namespace

OpDef top_k_op() { return {"", "TopK", 1, &make_kernel<TopKKernel>}; }

}  // namespace edgebench::engine::ops
