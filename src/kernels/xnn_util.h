// Shared plumbing for the XNNPACK-backed kernels: library initialization, status conversion,
// an owning operator handle and attribute access for the lowered nodes.
#pragma once

#include <xnnpack.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/engine/op.h"

namespace edgebench::kernels {

// Initializes XNNPACK once per process; later calls return the first call's result.
Status ensure_xnnpack();

// Turns an XNNPACK status into ours; `what` names the call ("create convolution").
Status xnn_check(xnn_status status, std::string_view what);

struct XnnOperatorDeleter {
  void operator()(xnn_operator_t op) const {
    if (op != nullptr) xnn_delete_operator(op);
  }
};
using XnnOperator = std::unique_ptr<xnn_operator, XnnOperatorDeleter>;

inline pthreadpool_t pool_of(const ThreadPool* pool) {
  return pool != nullptr ? pool->handle() : nullptr;
}

// Attribute readers for the lowered nodes (the lowering writes them; errors mean a bug there).
Result<std::vector<std::int64_t>> required_ints(const ir::Node& node, std::string_view name,
                                                std::size_t count);
float float_attr(const ir::Node& node, std::string_view name, float fallback);

// The activation clamp a lowered node carries (activation_min/activation_max).
struct Clamp {
  float min;
  float max;
};
Clamp clamp_of(const ir::Node& node);

// Runs `op` after binding input/output pointers with `setup`, only when they changed since the
// last run (XNNPACK keeps the pointers; re-setup costs indirection-buffer rebuilds).
class SetupCache {
 public:
  bool needs_setup(const void* in, const void* in2, const void* out) {
    if (in == in_ && in2 == in2_ && out == out_) return false;
    in_ = in;
    in2_ = in2;
    out_ = out;
    return true;
  }
  void invalidate() { in_ = in2_ = out_ = nullptr; }

  // Binds the pointers with `setup` (returns an xnn_status) when they changed, then runs `op`.
  template <typename SetupFn>
  Status run(xnn_operator_t op, pthreadpool_t pool, const void* in, const void* in2,
             const void* out, std::string_view what, SetupFn&& setup) {
    if (needs_setup(in, in2, out)) {
      const xnn_status st = setup();
      if (st != xnn_status_success) {
        invalidate();
        return xnn_check(st, what);
      }
    }
    return xnn_check(xnn_run_operator(op, pool), what);
  }

 private:
  const void* in_ = nullptr;
  const void* in2_ = nullptr;
  const void* out_ = nullptr;
};

// Base of the kernels that own one XNNPACK operator: the operator, its setup cache and the pool.
class XnnKernel : public engine::OpKernel {
 protected:
  // Initializes XNNPACK and takes the plan's thread pool.
  Status start_prepare(const engine::PrepareContext& ctx) {
    EB_RETURN_IF_ERROR(ensure_xnnpack());
    pool_ = pool_of(ctx.thread_pool);
    return Status::ok();
  }
  // Keeps the operator a create call made (or reports why it failed).
  Status adopt(xnn_status status, xnn_operator_t op, std::string_view what) {
    if (status != xnn_status_success) {
      if (op != nullptr) xnn_delete_operator(op);
      return xnn_check(status, what);
    }
    op_.reset(op);
    setup_.invalidate();
    return Status::ok();
  }
  template <typename SetupFn>
  Status run_op(const void* in, const void* in2, const void* out, std::string_view what,
                SetupFn&& setup) {
    return setup_.run(op_.get(), pool_, in, in2, out, what, std::forward<SetupFn>(setup));
  }

  XnnOperator op_;
  SetupCache setup_;
  pthreadpool_t pool_ = nullptr;
};

// Two-input elementwise ops with numpy broadcasting (up to XNNPACK's 6 dimensions): checks
// both inputs have `dtype` and sets the broadcast output shape.
Status infer_broadcast(engine::InferContext& ctx, DType dtype);
// The two input shapes as XNNPACK wants them (a scalar as [1]).
using BroadcastDims = std::array<std::vector<std::size_t>, 2>;
BroadcastDims broadcast_dims(const engine::PrepareContext& ctx);

// Quantization of a two-input integer op (QFullyConnected, QAdd), from its attributes.
struct TwoInputQuant {
  float a_scale = 1, b_scale = 1, y_scale = 1;
  std::int64_t a_zero_point = 0, b_zero_point = 0, y_zero_point = 0;
  std::int64_t out_min = -128, out_max = 127;
  static TwoInputQuant from(const ir::Node& node);
};

// The constant weights (input 1) and, when the node has one, the constant bias (input 2) of a
// fast node; an error when either is not a constant (a lowering bug).
struct ConstantWeights {
  const Tensor* weights = nullptr;
  const Tensor* bias = nullptr;
};
Result<ConstantWeights> constant_weights(const engine::PrepareContext& ctx);

}  // namespace edgebench::kernels
