#include "edgebench/core/quantize.h"

#include <fmt/format.h>

#include <cstring>
#include <type_traits>

namespace edgebench {

namespace {

// Index of the parameter for flat element i: 0 per tensor, else the element's index along axis.
struct ParamIndex {
  bool per_axis = false;
  std::int64_t axis_size = 1;
  std::int64_t inner = 1;
  std::size_t operator()(std::int64_t i) const {
    return per_axis ? static_cast<std::size_t>((i / inner) % axis_size) : 0;
  }
};

Result<ParamIndex> param_index(const Shape& shape, const QuantParams& params) {
  if (params.scales.empty()) return invalid_argument("quantization parameters have no scale");
  if (params.zero_points.size() != params.scales.size()) {
    return invalid_argument(fmt::format("quantization parameters have {} scales but {} zero points",
                                        params.scales.size(), params.zero_points.size()));
  }
  for (float s : params.scales) {
    if (!(s > 0.0f) || !std::isfinite(s)) {
      return invalid_argument(fmt::format("quantization scale {} is not positive and finite", s));
    }
  }
  ParamIndex index;
  if (!params.axis) {
    if (params.scales.size() != 1) {
      return invalid_argument(
          fmt::format("{} scales without a quantized axis", params.scales.size()));
    }
    return index;
  }
  const int rank = static_cast<int>(shape.size());
  const int axis = *params.axis;
  if (axis < 0 || axis >= rank) {
    return invalid_argument(
        fmt::format("quantized axis {} is outside a rank-{} tensor", axis, rank));
  }
  if (static_cast<std::int64_t>(params.scales.size()) != shape[static_cast<std::size_t>(axis)]) {
    return invalid_argument(fmt::format("{} scales for axis {} of size {}", params.scales.size(),
                                        axis, shape[static_cast<std::size_t>(axis)]));
  }
  index.per_axis = true;
  index.axis_size = shape[static_cast<std::size_t>(axis)];
  for (int d = axis + 1; d < rank; ++d) index.inner *= shape[static_cast<std::size_t>(d)];
  return index;
}

}  // namespace

Result<Tensor> quantize_tensor(const Tensor& real, DType dtype, const QuantParams& params) {
  if (!is_floating(real.dtype())) {
    return invalid_argument(fmt::format("cannot quantize a {} tensor: expected floating point",
                                        dtype_name(real.dtype())));
  }
  EB_ASSIGN_OR_RETURN(ParamIndex index, param_index(real.shape(), params));
  EB_ASSIGN_OR_RETURN(Tensor out, Tensor::allocate(dtype, real.shape()));
  bool supported = false;
  dispatch_dtype(dtype, [&](auto* tag) {
    using Q = std::remove_pointer_t<decltype(tag)>;
    if constexpr (std::is_integral_v<Q> && !std::is_same_v<Q, bool> && sizeof(Q) <= 4) {
      // float16 is stored as uint16 too: only quantize to uint16 when it is the dtype asked for.
      if (dtype == DType::kFloat16) return;
      supported = true;
      Q* q = out.data<Q>();
      for (std::int64_t i = 0; i < real.element_count(); ++i) {
        const std::size_t p = index(i);
        q[i] = quantize_value<Q>(real.element_as_double(i) / static_cast<double>(params.scales[p]),
                                 params.zero_points[p]);
      }
    }
  });
  if (!supported) {
    return invalid_argument(fmt::format(
        "cannot quantize to {}: expected int8, uint8, int16, uint16 or int32", dtype_name(dtype)));
  }
  out.set_quant(params);
  return out;
}

Result<Tensor> dequantize_tensor(const Tensor& quantized, const QuantParams& params) {
  if (!is_integer(quantized.dtype())) {
    return invalid_argument(fmt::format("cannot dequantize a {} tensor: expected an integer type",
                                        dtype_name(quantized.dtype())));
  }
  EB_ASSIGN_OR_RETURN(ParamIndex index, param_index(quantized.shape(), params));
  EB_ASSIGN_OR_RETURN(Tensor out, Tensor::allocate(DType::kFloat32, quantized.shape()));
  float* r = out.data<float>();
  for (std::int64_t i = 0; i < quantized.element_count(); ++i) {
    const std::size_t p = index(i);
    r[i] = static_cast<float>(
        static_cast<double>(params.scales[p]) *
        static_cast<double>(quantized.element_as_int64(i) - params.zero_points[p]));
  }
  return out;
}

}  // namespace edgebench

namespace edgebench {

namespace {

// [N,C,H,W] -> [N,H,W,C] when `target` is the NHWC form of `from`.
bool is_nchw_of(const Shape& from, const Shape& target) {
  return from.size() == 4 && target.size() == 4 && from[0] == target[0] && from[1] == target[3] &&
         from[2] == target[1] && from[3] == target[2];
}

Tensor nchw_to_nhwc(const Tensor& t) {
  const std::int64_t n = t.dim(0), c = t.dim(1), h = t.dim(2), w = t.dim(3);
  Tensor out = Tensor::zeros(t.dtype(), {n, h, w, c});
  const std::size_t elem = dtype_size(t.dtype());
  const auto* src = static_cast<const std::byte*>(t.raw_data());
  auto* dst = static_cast<std::byte*>(out.raw_data());
  for (std::int64_t b = 0; b < n; ++b) {
    for (std::int64_t ch = 0; ch < c; ++ch) {
      for (std::int64_t y = 0; y < h; ++y) {
        for (std::int64_t x = 0; x < w; ++x) {
          const std::int64_t from = ((b * c + ch) * h + y) * w + x;
          const std::int64_t to = ((b * h + y) * w + x) * c + ch;
          std::memcpy(dst + static_cast<std::size_t>(to) * elem,
                      src + static_cast<std::size_t>(from) * elem, elem);
        }
      }
    }
  }
  out.set_quant(t.quant());
  return out;
}

}  // namespace

Result<Tensor> fit_to_input(const Tensor& sample, DType dtype, const Shape& shape,
                            const std::optional<QuantParams>& quant) {
  Tensor t = sample;
  if (t.shape() != shape) {
    if (!is_nchw_of(t.shape(), shape)) {
      return invalid_argument(fmt::format("holds {}, the input expects {}{}", sample.describe(),
                                          dtype_name(dtype), shape_to_string(shape)));
    }
    t = t.dim(1) == 1 ? t.reshaped(shape) : nchw_to_nhwc(t);
  }
  if (t.dtype() == dtype) return t;
  if (quant && is_integer(dtype) && is_floating(t.dtype())) {
    auto q = quantize_tensor(t, dtype, *quant);
    if (!q.is_ok()) return q.status().with_context(fmt::format("quantizing {}", t.describe()));
    return q;
  }
  return invalid_argument(fmt::format(
      "holds {}, the input expects {}{}{}", sample.describe(), dtype_name(dtype),
      shape_to_string(shape),
      is_integer(dtype) && !quant ? " (not quantized: no scale to convert real values)" : ""));
}

}  // namespace edgebench
