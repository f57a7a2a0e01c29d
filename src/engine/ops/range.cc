// Range: start, start + delta, ... up to but excluding limit. ONNX opset 11. The element count
// max(ceil((limit - start) / delta), 0) depends on the input values.
#include <cmath>
#include <limits>

#include "tensor_util.h"

namespace edgebench::engine::ops {
namespace {

// Element count for integer bounds, exact for every int64 value (no overflow).
std::uint64_t integer_range_count(std::int64_t start, std::int64_t limit, std::int64_t delta) {
  if (delta > 0 && limit > start) {
    const std::uint64_t distance =
        static_cast<std::uint64_t>(limit) - static_cast<std::uint64_t>(start);
    return (distance - 1) / static_cast<std::uint64_t>(delta) + 1;
  }
  if (delta < 0 && start > limit) {
    const std::uint64_t distance =
        static_cast<std::uint64_t>(start) - static_cast<std::uint64_t>(limit);
    const std::uint64_t magnitude = std::uint64_t{0} - static_cast<std::uint64_t>(delta);
    return (distance - 1) / magnitude + 1;
  }
  return 0;
}

Result<std::int64_t> range_count(const Tensor& start, const Tensor& limit, const Tensor& delta) {
  if (is_floating(start.dtype())) {
    const double s = start.element_as_double(0);
    const double l = limit.element_as_double(0);
    const double d = delta.element_as_double(0);
    if (d == 0) return invalid_argument("'delta' must not be 0");
    const double count = std::ceil((l - s) / d);
    if (!std::isfinite(count))
      return invalid_argument("'start', 'limit' and 'delta' must be finite");
    if (count <= 0) return std::int64_t{0};
    if (count > static_cast<double>(std::int64_t{1} << 53)) {
      return out_of_range(fmt::format("Range would have {} elements", count));
    }
    return static_cast<std::int64_t>(count);
  }
  const std::int64_t d = delta.element_as_int64(0);
  if (d == 0) return invalid_argument("'delta' must not be 0");
  const std::uint64_t count =
      integer_range_count(start.element_as_int64(0), limit.element_as_int64(0), d);
  if (count > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return out_of_range("Range would have more than 2^63 elements");
  }
  return static_cast<std::int64_t>(count);
}

class RangeKernel final : public OpKernel {
 public:
  explicit RangeKernel(const KernelCreateContext& /*ctx*/) {}

  Status infer(InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(3, 3));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(
        0, {DType::kFloat32, DType::kFloat64, DType::kInt16, DType::kInt32, DType::kInt64}));
    const char* names[] = {"start", "limit", "delta"};
    const Tensor* values[3] = {};
    for (std::size_t i = 0; i < 3; ++i) {
      if (ctx.input_dtype(i) != ctx.input_dtype(0)) {
        return ctx.error(fmt::format("'{}' has dtype {}, 'start' has {}", names[i],
                                     dtype_name(ctx.input_dtype(i)),
                                     dtype_name(ctx.input_dtype(0))));
      }
      if (element_count(ctx.input_shape(i)) != 1 || ctx.input_rank(i) > 1) {
        return ctx.error(fmt::format("'{}' must be a scalar, got shape {}", names[i],
                                     shape_to_string(ctx.input_shape(i))));
      }
      EB_ASSIGN_OR_RETURN(values[i], ctx.require_value(i));
    }
    auto count = range_count(*values[0], *values[1], *values[2]);
    if (!count.is_ok()) return ctx.error(count.status().message());
    return tensor_family::set_checked_output(ctx, 0, ctx.input_dtype(0), {*count});
  }

  Status run(KernelContext& ctx) override {
    Tensor& y = ctx.output(0);
    const Tensor& start = ctx.input(0);
    const Tensor& delta = ctx.input(2);
    return dispatch_types<float, double, std::int16_t, std::int32_t, std::int64_t>(
        y.dtype(), "Range", [&](auto* tag) {
          using T = std::remove_pointer_t<decltype(tag)>;
          T* out = y.data<T>();
          if constexpr (std::is_floating_point_v<T>) {
            const T s = start.data<T>()[0];
            const T d = delta.data<T>()[0];
            for (std::int64_t i = 0; i < y.element_count(); ++i) out[i] = s + static_cast<T>(i) * d;
          } else {
            // Modular arithmetic gives the exact value, which lies between start and limit.
            const auto s = static_cast<std::uint64_t>(start.element_as_int64(0));
            const auto d = static_cast<std::uint64_t>(delta.element_as_int64(0));
            for (std::int64_t i = 0; i < y.element_count(); ++i) {
              out[i] =
                  static_cast<T>(static_cast<std::int64_t>(s + static_cast<std::uint64_t>(i) * d));
            }
          }
        });
  }
};

}  // namespace

OpDef range_op() { return {"", "Range", 11, &make_kernel<RangeKernel>}; }

}  // namespace edgebench::engine::ops
