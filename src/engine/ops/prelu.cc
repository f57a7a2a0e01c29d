// PRelu: y = x < 0 ? slope * x : x, where slope broadcasts to x's shape (unidirectional).
// ONNX opsets 7, 9 (adds int32, int64, uint32, uint64), 16.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

using PReluTypes =
    TypeList<float, double, Half, std::int32_t, std::int64_t, std::uint32_t, std::uint64_t>;

struct PReluOp {
  using Types = PReluTypes;
  static constexpr bool kLegacyChannelSlope = true;  // opset < 7: 1-D slope along axis 1

  // The output must keep x's shape: slope may broadcast to x, not the other way.
  Status check(const InferContext& ctx) const {
    auto shape = broadcast_shapes(ctx.input_shape(0), ctx.input_shape(1));
    if (!shape.is_ok() || *shape != ctx.input_shape(0)) {
      return ctx.error(fmt::format("slope shape {} does not broadcast to input shape {}",
                                   shape_to_string(ctx.input_shape(1)),
                                   shape_to_string(ctx.input_shape(0))));
    }
    return Status::ok();
  }

  template <typename C>
  C operator()(C x, C slope) const {
    return x < C(0) ? wrapping_mul(slope, x) : x;
  }
};

}  // namespace

OpDef prelu_op() { return {"", "PRelu", 1, &make_binary_kernel<PReluOp>}; }

}  // namespace edgebench::engine::ops
