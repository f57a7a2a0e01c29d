// LayerNormalization: y = (x - mean) / sqrt(var + epsilon) * Scale + B, with mean and (biased)
// variance over the axes [axis, rank) of each row; optional outputs Mean and InvStdDev (X's shape
// with the normalized axes set to 1, dtype stash_type). ONNX opset 17.
#include <fmt/format.h>

#include <cmath>

#include "nn_util.h"
#include "op_util.h"
#include "parallel_util.h"

namespace edgebench::engine::ops {
namespace {

class LayerNormalizationKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    const ir::Attributes& a = ctx.node.attributes;
    auto kernel = std::make_unique<LayerNormalizationKernel>();
    EB_ASSIGN_OR_RETURN(kernel->axis_, a.get_int("axis", -1));
    EB_ASSIGN_OR_RETURN(kernel->epsilon_, a.get_float("epsilon", 1e-5f));
    if (!(kernel->epsilon_ >= 0.0f)) {
      return invalid_model(
          fmt::format("attribute 'epsilon' must be non-negative, has {}", kernel->epsilon_));
    }
    EB_ASSIGN_OR_RETURN(const std::int64_t stash_type, a.get_int("stash_type", 1));
    const std::optional<DType> stash = dtype_from_onnx_code(stash_type);
    if (!stash || !is_floating(*stash)) {
      return unsupported(fmt::format(
          "attribute 'stash_type' is {}; supported: 1 (float32), 10 (float16), 11 (double)",
          stash_type));
    }
    kernel->stash_type_ = *stash;
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(2, 3));
    EB_RETURN_IF_ERROR(
        ctx.expect_input_dtype(0, {DType::kFloat32, DType::kFloat64, DType::kFloat16}));
    const DType dtype = ctx.input_dtype(0);
    const Shape& x = ctx.input_shape(0);
    const int rank = ctx.input_rank(0);
    auto axis = normalize_axis(axis_, rank);
    if (!axis.is_ok() || rank == 0) {
      return ctx.error(fmt::format("attribute 'axis' {} is out of range for input X of shape {}",
                                   axis_, shape_to_string(x)));
    }
    static constexpr const char* kNames[] = {"X", "Scale", "B"};
    for (std::size_t i = 1; i < 3; ++i) {
      if (!ctx.has_input(i)) {
        if (i == 1) return ctx.error("input Scale is required");
        continue;
      }
      EB_RETURN_IF_ERROR(ctx.expect_input_dtype(i, {dtype}));
      // Scale and B broadcast to X's shape and may vary only along the normalized axes.
      const Shape& s = ctx.input_shape(i);
      bool fits = s.size() <= x.size();
      for (std::size_t d = 0; fits && d < s.size(); ++d) {
        const std::size_t xd = x.size() - s.size() + d;
        fits = s[d] == 1 || (s[d] == x[xd] && static_cast<int>(xd) >= *axis);
      }
      if (!fits) {
        return ctx.error(fmt::format(
            "input {} has shape {}; expected one that broadcasts to X's normalized axes {}",
            kNames[i], shape_to_string(s), shape_to_string(Shape(x.begin() + *axis, x.end()))));
      }
    }
    ctx.set_output(0, dtype, x);
    Shape stats = x;
    for (int d = *axis; d < rank; ++d) stats[static_cast<std::size_t>(d)] = 1;
    if (ctx.has_output(1)) ctx.set_output(1, stash_type_, stats);
    if (ctx.has_output(2)) ctx.set_output(2, stash_type_, std::move(stats));
    return Status::ok();
  }

  // Statistics are computed in double, two passes (mean, then squared deviations), one row per
  // task item so that a row's sums never split between threads.
  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    EB_ASSIGN_OR_RETURN(const int axis, normalize_axis(axis_, x.rank()));
    std::int64_t rows = 1;
    for (int d = 0; d < axis; ++d) rows *= x.dim(d);
    const std::int64_t row_size = rows > 0 ? x.element_count() / rows : 0;
    if (x.element_count() == 0) return Status::ok();
    // Scale and B as one value per position within a row.
    const Shape row_shape(x.shape().begin() + axis, x.shape().end());
    std::vector<double> scale = per_row_position(ctx.input(1), row_shape);
    std::vector<double> bias = ctx.has_input(2) ? per_row_position(ctx.input(2), row_shape)
                                                : std::vector<double>(scale.size(), 0.0);
    Tensor* mean_out = ctx.has_output(1) ? &ctx.output(1) : nullptr;
    Tensor* inv_std_out = ctx.has_output(2) ? &ctx.output(2) : nullptr;
    return dispatch_elements<float, double, Float16>(
        x.dtype(), "LayerNormalization", [&](auto ops) {
          using Ops = decltype(ops);
          using A = typename Ops::Compute;
          const auto* xd = x.data<typename Ops::Storage>();
          auto* yd = y.data<typename Ops::Storage>();
          parallel_outer(
              ctx.thread_pool(), rows, 3 * row_size, [&](std::int64_t first, std::int64_t last) {
                for (std::int64_t row = first; row < last; ++row) {
                  const auto* in = xd + row * row_size;
                  auto* out = yd + row * row_size;
                  double mean = 0;
                  for (std::int64_t i = 0; i < row_size; ++i) mean += Ops::load(in[i]);
                  mean /= static_cast<double>(row_size);
                  double var = 0;
                  for (std::int64_t i = 0; i < row_size; ++i) {
                    const double d = Ops::load(in[i]) - mean;
                    var += d * d;
                  }
                  var /= static_cast<double>(row_size);
                  const double inv_std = 1.0 / std::sqrt(var + static_cast<double>(epsilon_));
                  for (std::int64_t i = 0; i < row_size; ++i) {
                    const auto p = static_cast<std::size_t>(i);
                    const double v = (Ops::load(in[i]) - mean) * inv_std * scale[p] + bias[p];
                    out[i] = Ops::store(static_cast<A>(v));
                  }
                  if (mean_out != nullptr) store_stat(*mean_out, row, mean);
                  if (inv_std_out != nullptr) store_stat(*inv_std_out, row, inv_std);
                }
              });
        });
  }

 private:
  // The values of `t` (which broadcasts to `row_shape`, checked in infer) at every position of
  // a row, in row-major order.
  static std::vector<double> per_row_position(const Tensor& t, const Shape& row_shape) {
    std::vector<double> out(static_cast<std::size_t>(element_count(row_shape)));
    // Leading dims of t beyond the row's rank are 1 (checked in infer); drop them.
    const Shape t_shape(
        t.shape().end() - static_cast<std::ptrdiff_t>(std::min(t.shape().size(), row_shape.size())),
        t.shape().end());
    for_each_broadcast<1>(row_shape, std::array<Shape, 1>{t_shape},
                          [&](std::int64_t i, const std::array<std::int64_t, 1>& offsets) {
                            out[static_cast<std::size_t>(i)] = t.element_as_double(offsets[0]);
                          });
    return out;
  }

  static void store_stat(Tensor& t, std::int64_t i, double value) {
    switch (t.dtype()) {
      case DType::kFloat32: t.data<float>()[i] = static_cast<float>(value); break;
      case DType::kFloat64: t.data<double>()[i] = value; break;
      case DType::kFloat16:
        t.data<std::uint16_t>()[i] = float_to_half(static_cast<float>(value));
        break;
      default: break;  // infer() only sets the float types of stash_type
    }
  }

  std::int64_t axis_ = -1;
  float epsilon_ = 1e-5f;
  DType stash_type_ = DType::kFloat32;
};

}  // namespace

OpDef layer_normalization_op() {
  return {"", "LayerNormalization", 17, &make_kernel<LayerNormalizationKernel>};
}

}  // namespace edgebench::engine::ops
