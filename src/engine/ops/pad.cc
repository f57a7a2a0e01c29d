// Pad: adds elements at the start and end of each axis, or removes them where a pad is negative.
// Opsets 2 (pads and value attributes), 11 (pads and constant_value inputs), 13 (more types),
// 18 (optional axes input). Modes constant, reflect and edge; wrap (opset 19) is unsupported.
// Pad only moves elements, so the kernel works on element bytes and takes every dtype.
#include <array>
#include <cstring>

#include "resample_reduce_util.h"

namespace edgebench::engine::ops {
namespace {

enum class PadMode { kConstant, kReflect, kEdge };

constexpr std::size_t kMaxElementBytes = 8;

// Index into an axis of length n for a position that may lie outside it; -1 means "use the
// constant". Reflect repeats the mirror image as NumPy does when a pad exceeds the axis.
std::int64_t source_index(std::int64_t i, std::int64_t n, PadMode mode) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case PadMode::kConstant: return -1;
    case PadMode::kEdge: return i < 0 ? 0 : n - 1;
    case PadMode::kReflect: {
      if (n == 1) return 0;
      const std::int64_t period = 2 * (n - 1);
      std::int64_t m = i % period;
      if (m < 0) m += period;
      return m < n ? m : period - m;
    }
  }
  return -1;
}

class PadKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    const ir::Attributes& attrs = ctx.node.attributes;
    EB_ASSIGN_OR_RETURN(std::string mode_name, attrs.get_string("mode", "constant"));
    PadMode mode;
    if (mode_name == "constant") {
      mode = PadMode::kConstant;
    } else if (mode_name == "reflect") {
      mode = PadMode::kReflect;
    } else if (mode_name == "edge") {
      mode = PadMode::kEdge;
    } else if (mode_name == "wrap") {
      return unsupported("attribute 'mode' = 'wrap' (opset 19) is not implemented");
    } else {
      return invalid_model(fmt::format(
          "attribute 'mode' is '{}'; expected 'constant', 'reflect' or 'edge'", mode_name));
    }
    auto kernel = std::unique_ptr<PadKernel>(new PadKernel(mode, ctx.opset));
    if (ctx.opset < 11) {
      if (!attrs.has("pads")) return invalid_model("attribute 'pads' is required before opset 11");
      EB_ASSIGN_OR_RETURN(kernel->pads_attribute_, attrs.get_ints("pads", {}));
      EB_ASSIGN_OR_RETURN(kernel->value_attribute_, attrs.get_float("value", 0.0f));
    }
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status infer(InferContext& ctx) const override {
    const bool inputs_form = opset_ >= 11;
    std::size_t max_inputs = 1;  // data; then pads, constant_value (11) and axes (18)
    if (inputs_form) max_inputs = opset_ >= 18 ? 4 : 3;
    EB_RETURN_IF_ERROR(ctx.expect_input_count(inputs_form ? 2 : 1, max_inputs));
    EB_RETURN_IF_ERROR(expect_numeric_input(ctx, 0, /*with_bool=*/true));
    const Tensor* pads = nullptr;
    const Tensor* axes = nullptr;
    if (inputs_form) {
      EB_ASSIGN_OR_RETURN(pads, ctx.require_value(1));
      if (ctx.has_input(3)) {
        EB_ASSIGN_OR_RETURN(axes, ctx.require_value(3));
      }
      if (ctx.has_input(2)) {
        if (ctx.input_dtype(2) != ctx.input_dtype(0)) {
          return ctx.error(fmt::format("input 'constant_value' has dtype {}; expected {} as 'data'",
                                       dtype_name(ctx.input_dtype(2)),
                                       dtype_name(ctx.input_dtype(0))));
        }
        if (element_count(ctx.input_shape(2)) != 1) {
          return ctx.error(fmt::format("input 'constant_value' must hold one value, has shape {}",
                                       shape_to_string(ctx.input_shape(2))));
        }
      }
    }
    const Shape& in = ctx.input_shape(0);
    auto out = output_shape(in, pads, axes);
    if (!out.is_ok()) return out.status().with_context(ctx.node().describe());
    auto bytes = checked_byte_size(ctx.input_dtype(0), *out);
    if (!bytes.is_ok()) return bytes.status().with_context(ctx.node().describe());
    ctx.set_output(0, ctx.input_dtype(0), std::move(*out));
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    if (y.element_count() == 0) return Status::ok();
    const bool inputs_form = opset_ >= 11;
    EB_ASSIGN_OR_RETURN(std::vector<std::int64_t> pads,
                        resolve_pads(x.rank(), inputs_form ? &ctx.input(1) : nullptr,
                                     ctx.has_input(3) ? &ctx.input(3) : nullptr));
    const std::size_t element_bytes = dtype_size(x.dtype());
    std::array<std::byte, kMaxElementBytes> constant{};
    if (inputs_form && ctx.has_input(2)) {
      std::memcpy(constant.data(), ctx.input(2).raw_data(), element_bytes);
    } else if (!inputs_form) {
      EB_RETURN_IF_ERROR(dispatch_numeric<true>(x.dtype(), "Pad", [&](auto* tag) {
        using T = std::remove_pointer_t<decltype(tag)>;
        const T value = from_double<T>(value_attribute_);
        std::memcpy(constant.data(), &value, sizeof(T));
      }));
    }

    // For each axis and output position, the input position it copies (-1: the constant).
    const int rank = x.rank();
    std::vector<std::vector<std::int64_t>> sources(static_cast<std::size_t>(rank));
    for (int d = 0; d < rank; ++d) {
      const auto ud = static_cast<std::size_t>(d);
      for (std::int64_t o = 0; o < y.dim(d); ++o) {
        sources[ud].push_back(source_index(o - pads[ud], x.dim(d), mode_));
      }
    }
    const std::vector<std::int64_t> in_strides = strides_of(x.shape());
    const auto* in = static_cast<const std::byte*>(x.raw_data());
    auto* out = static_cast<std::byte*>(y.raw_data());
    parallel_elements(
        ctx.thread_pool(), y.element_count(), [&](std::int64_t begin, std::int64_t end) {
          std::vector<std::int64_t> index = unravel_index(y.shape(), begin);
          for (std::int64_t i = begin; i < end; ++i) {
            std::int64_t offset = 0;
            for (std::size_t d = 0; d < index.size() && offset >= 0; ++d) {
              const std::int64_t s = sources[d][static_cast<std::size_t>(index[d])];
              offset = s < 0 ? -1 : offset + s * in_strides[d];
            }
            const std::byte* from = offset < 0 ? constant.data() : in + offset * element_bytes;
            std::memcpy(out + i * element_bytes, from, element_bytes);
            for (int d = rank - 1; d >= 0; --d) {
              const auto ud = static_cast<std::size_t>(d);
              if (++index[ud] < y.dim(d)) break;
              index[ud] = 0;
            }
          }
        });
    return Status::ok();
  }

 private:
  PadKernel(PadMode mode, std::int64_t opset) : mode_(mode), opset_(opset) {}

  // Pads for every axis, [begin_0 .. begin_{r-1}, end_0 .. end_{r-1}], from the attribute (before
  // opset 11) or from the pads input and the optional axes input (opset 18).
  Result<std::vector<std::int64_t>> resolve_pads(int rank, const Tensor* pads_input,
                                                 const Tensor* axes_input) const {
    std::vector<std::int64_t> pads = pads_attribute_;
    if (pads_input != nullptr) {
      EB_ASSIGN_OR_RETURN(pads, read_int_list(*pads_input, "input 'pads'", {DType::kInt64}));
    }
    std::vector<int> axes;
    if (axes_input != nullptr) {
      EB_ASSIGN_OR_RETURN(
          std::vector<std::int64_t> raw,
          read_int_list(*axes_input, "input 'axes'", {DType::kInt32, DType::kInt64}));
      EB_ASSIGN_OR_RETURN(axes, normalize_axes(raw, rank, "input 'axes'"));
    } else {
      for (int d = 0; d < rank; ++d) axes.push_back(d);
    }
    const std::size_t n = axes.size();
    if (pads.size() != 2 * n) {
      return invalid_model(
          fmt::format("'pads' has {} values; expected {} (a begin and an end for each of {} axes)",
                      pads.size(), 2 * n, n));
    }
    std::vector<std::int64_t> full(2 * static_cast<std::size_t>(rank), 0);
    for (std::size_t i = 0; i < n; ++i) {
      full[static_cast<std::size_t>(axes[i])] = pads[i];
      full[static_cast<std::size_t>(rank + axes[i])] = pads[n + i];
    }
    return full;
  }

  Result<Shape> output_shape(const Shape& in, const Tensor* pads_input,
                             const Tensor* axes_input) const {
    const int rank = static_cast<int>(in.size());
    EB_ASSIGN_OR_RETURN(std::vector<std::int64_t> pads, resolve_pads(rank, pads_input, axes_input));
    Shape out(in.size());
    for (std::size_t d = 0; d < in.size(); ++d) {
      const std::int64_t begin = pads[d];
      const std::int64_t end = pads[in.size() + d];
      std::int64_t dim = 0;
      if (__builtin_add_overflow(in[d], begin, &dim) || __builtin_add_overflow(dim, end, &dim)) {
        return out_of_range(
            fmt::format("pads {} and {} overflow axis {} of size {}", begin, end, d, in[d]));
      }
      if (dim < 0) {
        return invalid_model(fmt::format(
            "pads {} and {} remove more than the {} elements of axis {}", begin, end, in[d], d));
      }
      if (mode_ != PadMode::kConstant && in[d] == 0 && dim > 0) {
        return invalid_model(
            fmt::format("cannot pad empty axis {} in '{}' mode: there is no value to repeat", d,
                        mode_ == PadMode::kReflect ? "reflect" : "edge"));
      }
      out[d] = dim;
    }
    return out;
  }

  PadMode mode_;
  std::int64_t opset_;
  std::vector<std::int64_t> pads_attribute_;
  float value_attribute_ = 0.0f;
};

}  // namespace

OpDef pad_op() { return {"", "Pad", 2, &make_kernel<PadKernel>}; }

}  // namespace edgebench::engine::ops
