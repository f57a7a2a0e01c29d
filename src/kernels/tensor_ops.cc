// Data movement on 4-byte elements through XNNPACK:
//   Concat  along the last axis (an NHWC channel concat; the lowering maps axis 1 of an NCHW
//           tensor there), each input copied into its channel slice with strided copies;
//   Pad     constant mode, `pads` (begin..., end...) in the layout the tensor is stored in;
//   ResizeBilinear  NHWC float32 to [N, out_height, out_width, C]; align_corners or asymmetric
//           (`legacy`) coordinates, else half-pixel;
//   ChannelShuffle  NHWC 4-byte elements, `groups`: channel j * groups + g of the output is
//           channel g * (C / groups) + j of the input (ShuffleNet's Reshape-Transpose-Reshape).
#include <fmt/format.h>

#include <array>
#include <cstring>

#include "fast_ops.h"
#include "xnn_util.h"

namespace edgebench::kernels {

namespace {

bool one_or_four_bytes(DType t) { return dtype_size(t) == 4 || dtype_size(t) == 1; }

class ConcatLast final : public engine::OpKernel {
 public:
  explicit ConcatLast(const engine::KernelCreateContext&) {}

  Status infer(engine::InferContext& ctx) const override {
    if (ctx.num_inputs() < 1) return ctx.error("needs at least one input");
    const DType dtype = ctx.input_dtype(0);
    if (!one_or_four_bytes(dtype)) {
      return ctx.unsupported_error("fast Concat takes 1- or 4-byte elements");
    }
    Shape out = ctx.input_shape(0);
    if (out.empty()) return ctx.error("inputs must have rank >= 1");
    for (std::size_t i = 1; i < ctx.num_inputs(); ++i) {
      const Shape& s = ctx.input_shape(i);
      if (ctx.input_dtype(i) != dtype || s.size() != out.size() ||
          !std::equal(s.begin(), s.end() - 1, out.begin())) {
        return ctx.error(fmt::format("input {} does not match input 0 outside the last axis", i));
      }
      out.back() += s.back();
    }
    ctx.set_output(0, dtype, out);
    return Status::ok();
  }

  Status prepare(const engine::PrepareContext& ctx) override {
    EB_RETURN_IF_ERROR(ensure_xnnpack());
    pool_ = pool_of(ctx.thread_pool);
    const Shape& out = ctx.output_types[0].shape;
    bytes_ = dtype_size(ctx.output_types[0].dtype);
    const auto total = static_cast<std::size_t>(out.back());
    batch_ = total == 0 ? 0 : static_cast<std::size_t>(element_count(out)) / total;
    ops_.clear();
    offsets_.clear();
    std::size_t offset = 0;
    for (const engine::TensorType* t : ctx.input_types) {
      const auto c = static_cast<std::size_t>(t->shape.back());
      xnn_operator_t op = nullptr;
      if (c > 0) {
        EB_RETURN_IF_ERROR(xnn_check(bytes_ == 4 ? xnn_create_copy_nc_x32(c, c, total, 0, &op)
                                                 : xnn_create_copy_nc_x8(c, c, total, 0, &op),
                                     "create copy"));
      }
      ops_.emplace_back(op);
      offsets_.push_back(offset);
      offset += c;
    }
    return Status::ok();
  }

  Status run(engine::KernelContext& ctx) override {
    auto* out = static_cast<std::byte*>(ctx.output(0).raw_data());
    for (std::size_t i = 0; i < ops_.size(); ++i) {
      if (!ops_[i] || batch_ == 0) continue;
      void* slice = out + offsets_[i] * bytes_;
      const void* in = ctx.input(i).raw_data();
      EB_RETURN_IF_ERROR(
          xnn_check(bytes_ == 4 ? xnn_setup_copy_nc_x32(ops_[i].get(), batch_, in, slice, pool_)
                                : xnn_setup_copy_nc_x8(ops_[i].get(), batch_, in, slice, pool_),
                    "setup copy"));
      EB_RETURN_IF_ERROR(xnn_check(xnn_run_operator(ops_[i].get(), pool_), "run copy"));
    }
    return Status::ok();
  }

 private:
  std::vector<XnnOperator> ops_;
  std::vector<std::size_t> offsets_;
  std::size_t batch_ = 0;
  std::size_t bytes_ = 4;
  pthreadpool_t pool_ = nullptr;
};

class ConstantPad final : public XnnKernel {
 public:
  ConstantPad(std::vector<std::int64_t> pads, float value)
      : pads_(std::move(pads)), value_(value) {}

  static Result<std::unique_ptr<engine::OpKernel>> create(const engine::KernelCreateContext& ctx) {
    auto pads = ctx.node.attributes.get_ints("pads", {});
    if (!pads.is_ok()) return pads.status();
    for (std::int64_t p : pads.value()) {
      if (p < 0) return internal_error(fmt::format("{}: negative pads", ctx.node.describe()));
    }
    return std::unique_ptr<engine::OpKernel>(
        std::make_unique<ConstantPad>(std::move(pads).value(), float_attr(ctx.node, "value", 0)));
  }

  Status infer(engine::InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(0, {DType::kFloat32}));
    const Shape& x = ctx.input_shape(0);
    if (pads_.size() != 2 * x.size() || x.size() > XNN_MAX_TENSOR_DIMS || x.empty()) {
      return ctx.error("pads must have two values per dimension");
    }
    Shape out = x;
    for (std::size_t d = 0; d < x.size(); ++d) out[d] += pads_[d] + pads_[d + x.size()];
    ctx.set_output(0, DType::kFloat32, out);
    return Status::ok();
  }

  Status prepare(const engine::PrepareContext& ctx) override {
    EB_RETURN_IF_ERROR(start_prepare(ctx));
    const Shape& x = ctx.input_types[0]->shape;
    dims_.assign(x.begin(), x.end());
    pre_.assign(pads_.begin(), pads_.begin() + static_cast<std::ptrdiff_t>(x.size()));
    post_.assign(pads_.begin() + static_cast<std::ptrdiff_t>(x.size()), pads_.end());
    std::uint32_t bits;
    std::memcpy(&bits, &value_, sizeof bits);
    xnn_operator_t op = nullptr;
    const xnn_status st = xnn_create_constant_pad_nd_x32(&bits, 0, &op);
    return adopt(st, op, "create pad");
  }

  Status run(engine::KernelContext& ctx) override {
    const void* in = ctx.input(0).raw_data();
    void* out = ctx.output(0).raw_data();
    return run_op(in, nullptr, out, "pad", [&] {
      return xnn_setup_constant_pad_nd_x32(op_.get(), dims_.size(), dims_.data(), pre_.data(),
                                           post_.data(), in, out, pool_);
    });
  }

 private:
  std::vector<std::int64_t> pads_;
  float value_;
  std::vector<std::size_t> dims_, pre_, post_;
};

class ResizeBilinear final : public XnnKernel {
 public:
  explicit ResizeBilinear(const engine::KernelCreateContext& ctx)
      : out_height_(ctx.node.attributes.get_int("out_height", 1).value_or(1)),
        out_width_(ctx.node.attributes.get_int("out_width", 1).value_or(1)),
        flags_((ctx.node.attributes.get_int("align_corners", 0).value_or(0) != 0
                    ? XNN_FLAG_ALIGN_CORNERS
                    : 0) |
               (ctx.node.attributes.get_int("legacy", 0).value_or(0) != 0
                    ? XNN_FLAG_TENSORFLOW_LEGACY_MODE
                    : 0)) {}

  Status infer(engine::InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    EB_RETURN_IF_ERROR(ctx.expect_input_dtype(0, {DType::kFloat32}));
    if (ctx.input_rank(0) != 4) return ctx.error("input must have rank 4");
    if (out_height_ < 1 || out_width_ < 1) return ctx.error("output size must be positive");
    const Shape& x = ctx.input_shape(0);
    ctx.set_output(0, DType::kFloat32, {x[0], out_height_, out_width_, x[3]});
    return Status::ok();
  }

  Status prepare(const engine::PrepareContext& ctx) override {
    EB_RETURN_IF_ERROR(start_prepare(ctx));
    const Shape& x = ctx.input_types[0]->shape;
    dims_ = {static_cast<std::size_t>(x[0]), static_cast<std::size_t>(x[1]),
             static_cast<std::size_t>(x[2])};
    const auto c = static_cast<std::size_t>(x[3]);
    xnn_operator_t op = nullptr;
    const xnn_status st = xnn_create_resize_bilinear2d_nhwc_f32(c, c, c, flags_, &op);
    return adopt(st, op, "create resize");
  }

  Status run(engine::KernelContext& ctx) override {
    const float* in = ctx.input(0).data<float>();
    float* out = ctx.output(0).data<float>();
    return run_op(in, nullptr, out, "resize", [&] {
      return xnn_setup_resize_bilinear2d_nhwc_f32(
          op_.get(), dims_[0], dims_[1], dims_[2], static_cast<std::size_t>(out_height_),
          static_cast<std::size_t>(out_width_), in, out, pool_);
    });
  }

 private:
  std::int64_t out_height_, out_width_;
  std::uint32_t flags_;
  std::array<std::size_t, 3> dims_{};
};

class ChannelShuffle final : public XnnKernel {
 public:
  explicit ChannelShuffle(const engine::KernelCreateContext& ctx)
      : groups_(ctx.node.attributes.get_int("groups", 0).value_or(0)) {}

  Status infer(engine::InferContext& ctx) const override {
    EB_RETURN_IF_ERROR(ctx.expect_input_count(1, 1));
    if (ctx.input_rank(0) != 4 || dtype_size(ctx.input_dtype(0)) != 4) {
      return ctx.error("input must have rank 4 and 4-byte elements");
    }
    const Shape& x = ctx.input_shape(0);
    if (groups_ < 2 || x[3] % groups_ != 0) {
      return ctx.error(fmt::format("{} channels do not split into {} groups", x[3], groups_));
    }
    ctx.set_output(0, ctx.input_dtype(0), x);
    return Status::ok();
  }

  Status prepare(const engine::PrepareContext& ctx) override {
    EB_RETURN_IF_ERROR(start_prepare(ctx));
    const Shape& x = ctx.input_types[0]->shape;
    pixels_ = static_cast<std::size_t>(x[0] * x[1] * x[2]);
    const auto c = static_cast<std::size_t>(x[3]);
    const auto g = static_cast<std::size_t>(groups_);
    xnn_operator_t op = nullptr;
    const xnn_status st = xnn_create_channel_shuffle_nc_x32(g, c / g, c, c, 0, &op);
    return adopt(st, op, "create channel shuffle");
  }

  Status run(engine::KernelContext& ctx) override {
    const void* in = ctx.input(0).raw_data();
    void* out = ctx.output(0).raw_data();
    return run_op(in, nullptr, out, "channel shuffle", [&] {
      return xnn_setup_channel_shuffle_nc_x32(op_.get(), pixels_, in, out, pool_);
    });
  }

 private:
  std::int64_t groups_;
  std::size_t pixels_ = 0;
};

}  // namespace

void register_tensor_ops(engine::Registry& registry) {
  registry.add({kFastDomain, "ResizeBilinear", 1, engine::make_kernel<ResizeBilinear>});
  registry.add({kFastDomain, "Concat", 1, engine::make_kernel<ConcatLast>});
  registry.add({kFastDomain, "Pad", 1, ConstantPad::create});
  registry.add({kFastDomain, "ChannelShuffle", 1, engine::make_kernel<ChannelShuffle>});
}

}  // namespace edgebench::kernels
