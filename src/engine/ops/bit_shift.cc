// BitShift: c = a << b or a >> b (attribute direction "LEFT" / "RIGHT") on unsigned integers,
// with broadcasting. ONNX opset 11. Shifting by the bit width or more gives 0.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct BitShiftOp {
  using Types = UnsignedTypes;
  bool left = true;

  static Result<BitShiftOp> create(const KernelCreateContext& ctx) {
    BitShiftOp op;
    if (!ctx.node.attributes.has("direction")) {
      return invalid_model("attribute 'direction' (\"LEFT\" or \"RIGHT\") is required");
    }
    EB_ASSIGN_OR_RETURN(const std::string direction,
                        ctx.node.attributes.get_string("direction", ""));
    if (direction != "LEFT" && direction != "RIGHT") {
      return invalid_model(fmt::format(
          "attribute 'direction' must be \"LEFT\" or \"RIGHT\", not \"{}\"", direction));
    }
    op.left = direction == "LEFT";
    return op;
  }

  template <typename C>
  C operator()(C a, C b) const {
    if (b >= C(std::numeric_limits<C>::digits)) return C(0);  // a full-width shift is UB in C++
    using U = wrap_unsigned_t<C>;  // shift in at least unsigned int, never in promoted int
    return static_cast<C>(left ? static_cast<U>(a) << b : static_cast<U>(a) >> b);
  }
};

}  // namespace

OpDef bit_shift_op() { return {"", "BitShift", 11, &make_binary_kernel<BitShiftOp>}; }

}  // namespace edgebench::engine::ops
