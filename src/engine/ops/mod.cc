// Mod: c = a mod b with broadcasting. ONNX opsets 10, 13. With fmod = 0 (integers only) the
// result takes the sign of the divisor, as Python's %; with fmod = 1 it takes the sign of the
// dividend, as C's fmod. An integer modulus by zero gives 0 rather than trapping.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

struct ModOp {
  using Types = NumericTypes;
  bool fmod = false;

  static Result<ModOp> create(const KernelCreateContext& ctx) {
    ModOp op;
    EB_ASSIGN_OR_RETURN(const std::int64_t fmod, ctx.node.attributes.get_int("fmod", 0));
    if (fmod != 0 && fmod != 1) {
      return invalid_model(fmt::format("attribute 'fmod' must be 0 or 1, not {}", fmod));
    }
    op.fmod = fmod == 1;
    return op;
  }

  Status check(const InferContext& ctx) const {
    if (!fmod && is_floating(ctx.input_dtype(0))) {
      return ctx.error(
          fmt::format("attribute 'fmod' must be 1 for {} inputs", dtype_name(ctx.input_dtype(0))));
    }
    return Status::ok();
  }

  template <typename C>
  C operator()(C a, C b) const {
    if constexpr (std::is_floating_point_v<C>) {
      return std::fmod(a, b);
    } else {
      if (b == 0) return C(0);
      if constexpr (std::is_signed_v<C>) {
        if (b == C(-1)) return C(0);  // INT_MIN % -1 would trap
        C r = static_cast<C>(a % b);
        if (!fmod && r != 0 && ((r < 0) != (b < 0))) r = static_cast<C>(r + b);
        return r;
      } else {
        return static_cast<C>(a % b);
      }
    }
  }
};

}  // namespace

OpDef mod_op() { return {"", "Mod", 10, &make_binary_kernel<ModOp>}; }

}  // namespace edgebench::engine::ops
