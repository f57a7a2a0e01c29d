#include "qconv_util.h"

#include <algorithm>

namespace edgebench::engine::ops {
namespace {

// Checked int64 arithmetic for sizes that come from the model.
bool add_overflows(std::int64_t a, std::int64_t b, std::int64_t* out) {
  return __builtin_add_overflow(a, b, out);
}
bool mul_overflows(std::int64_t a, std::int64_t b, std::int64_t* out) {
  return __builtin_mul_overflow(a, b, out);
}

Result<AutoPad> parse_auto_pad(const std::string& text) {
  if (text == "NOTSET" || text.empty()) return AutoPad::kNotSet;
  if (text == "SAME_UPPER") return AutoPad::kSameUpper;
  if (text == "SAME_LOWER") return AutoPad::kSameLower;
  if (text == "VALID") return AutoPad::kValid;
  return invalid_model(fmt::format(
      "attribute 'auto_pad' = '{}'; expected NOTSET, SAME_UPPER, SAME_LOWER or VALID", text));
}

Status expect_at_least(const std::vector<std::int64_t>& values, std::int64_t low,
                       std::string_view name) {
  for (std::int64_t v : values) {
    if (v < low) {
      return invalid_model(fmt::format("attribute '{}' = [{}] has a value below {}", name,
                                       fmt::join(values, ", "), low));
    }
  }
  return Status::ok();
}

Status expect_length(const std::vector<std::int64_t>& values, std::size_t length,
                     std::string_view name) {
  if (values.empty() || values.size() == length) return Status::ok();
  return invalid_argument(
      fmt::format("attribute '{}' has {} values; expected {} for {} spatial "
                  "dims",
                  name, values.size(), length, name == "pads" ? length / 2 : length));
}

}  // namespace

Result<ConvAttributes> parse_conv_attributes(const ir::Attributes& attributes) {
  ConvAttributes out;
  EB_ASSIGN_OR_RETURN(const std::string auto_pad, attributes.get_string("auto_pad", "NOTSET"));
  EB_ASSIGN_OR_RETURN(out.auto_pad, parse_auto_pad(auto_pad));
  EB_ASSIGN_OR_RETURN(out.kernel_shape, attributes.get_ints("kernel_shape", {}));
  EB_ASSIGN_OR_RETURN(out.strides, attributes.get_ints("strides", {}));
  EB_ASSIGN_OR_RETURN(out.dilations, attributes.get_ints("dilations", {}));
  EB_ASSIGN_OR_RETURN(out.pads, attributes.get_ints("pads", {}));
  EB_ASSIGN_OR_RETURN(out.group, attributes.get_int("group", 1));
  EB_RETURN_IF_ERROR(expect_at_least(out.kernel_shape, 1, "kernel_shape"));
  EB_RETURN_IF_ERROR(expect_at_least(out.strides, 1, "strides"));
  EB_RETURN_IF_ERROR(expect_at_least(out.dilations, 1, "dilations"));
  EB_RETURN_IF_ERROR(expect_at_least(out.pads, 0, "pads"));
  if (out.group < 1) {
    return invalid_model(fmt::format("attribute 'group' = {}; expected >= 1", out.group));
  }
  if (out.pads.size() % 2 != 0) {
    return invalid_model(
        fmt::format("attribute 'pads' has {} values; expected 2 per spatial dim", out.pads.size()));
  }
  if (out.auto_pad != AutoPad::kNotSet && !out.pads.empty()) {
    // The spec forbids both; a model that gives explicit pads with auto_pad is ambiguous.
    bool all_zero = true;
    for (std::int64_t p : out.pads) all_zero = all_zero && p == 0;
    if (!all_zero) {
      return invalid_model("attributes 'pads' and 'auto_pad' cannot be used together");
    }
  }
  return out;
}

Result<ConvGeometry> conv_geometry(const ConvAttributes& attrs, const Shape& x, const Shape& w) {
  if (x.size() < 3) {
    return invalid_argument(
        fmt::format("x has shape {}; expected [N, C, D1, ...] (rank >= 3)", shape_to_string(x)));
  }
  if (w.size() != x.size()) {
    return invalid_argument(fmt::format("w has shape {}; expected rank {} like x {}",
                                        shape_to_string(w), x.size(), shape_to_string(x)));
  }
  const std::size_t spatial = x.size() - 2;
  EB_RETURN_IF_ERROR(expect_length(attrs.kernel_shape, spatial, "kernel_shape"));
  EB_RETURN_IF_ERROR(expect_length(attrs.strides, spatial, "strides"));
  EB_RETURN_IF_ERROR(expect_length(attrs.dilations, spatial, "dilations"));
  EB_RETURN_IF_ERROR(expect_length(attrs.pads, 2 * spatial, "pads"));

  ConvGeometry g;
  g.batch = x[0];
  g.in_channels = x[1];
  g.out_channels = w[0];
  g.group = attrs.group;
  if (g.in_channels % g.group != 0 || g.out_channels % g.group != 0) {
    return invalid_argument(
        fmt::format("group = {} must divide the input channels ({}) and the output channels ({})",
                    g.group, g.in_channels, g.out_channels));
  }
  if (w[1] != g.in_channels / g.group) {
    return invalid_argument(
        fmt::format("w has shape {}; expected {} input channels per group (C = {}, group = {})",
                    shape_to_string(w), g.in_channels / g.group, g.in_channels, g.group));
  }
  g.in_spatial.assign(x.begin() + 2, x.end());
  g.kernel.assign(w.begin() + 2, w.end());
  if (!attrs.kernel_shape.empty() && attrs.kernel_shape != g.kernel) {
    return invalid_argument(fmt::format("attribute 'kernel_shape' = [{}] does not match w {}",
                                        fmt::join(attrs.kernel_shape, ", "), shape_to_string(w)));
  }
  g.strides = attrs.strides.empty() ? std::vector<std::int64_t>(spatial, 1) : attrs.strides;
  g.dilations = attrs.dilations.empty() ? std::vector<std::int64_t>(spatial, 1) : attrs.dilations;
  g.pads_begin.assign(spatial, 0);
  g.out_spatial.assign(spatial, 0);
  for (std::size_t d = 0; d < spatial; ++d) {
    const std::int64_t in = g.in_spatial[d];
    const std::int64_t stride = g.strides[d];
    // The extent the dilated kernel covers: (k - 1) * dilation + 1.
    std::int64_t extent = 0;
    if (g.kernel[d] < 1 || mul_overflows(g.kernel[d] - 1, g.dilations[d], &extent) ||
        add_overflows(extent, 1, &extent)) {
      return out_of_range(fmt::format("kernel dim {} with dilation {} is out of range", g.kernel[d],
                                      g.dilations[d]));
    }
    std::int64_t out = 0;
    if (attrs.auto_pad == AutoPad::kSameUpper || attrs.auto_pad == AutoPad::kSameLower) {
      out = in == 0 ? 0 : (in - 1) / stride + 1;  // ceil(in / stride)
      std::int64_t needed = 0;
      if (out > 0 &&
          (mul_overflows(out - 1, stride, &needed) || add_overflows(needed, extent, &needed))) {
        return out_of_range("padding for auto_pad overflows");
      }
      const std::int64_t total = std::max<std::int64_t>(0, needed - in);
      // SAME_UPPER puts the odd pixel at the end, SAME_LOWER at the beginning.
      g.pads_begin[d] = attrs.auto_pad == AutoPad::kSameUpper ? total / 2 : total - total / 2;
    } else {
      std::int64_t padded = in;
      if (attrs.auto_pad == AutoPad::kNotSet && !attrs.pads.empty()) {
        g.pads_begin[d] = attrs.pads[d];
        if (add_overflows(padded, attrs.pads[d], &padded) ||
            add_overflows(padded, attrs.pads[d + spatial], &padded)) {
          return out_of_range("pads overflow");
        }
      }
      if (padded < extent) {
        return invalid_argument(fmt::format(
            "spatial dim {}: the kernel covers {} (kernel {}, dilation {}) but the padded input "
            "has only {}",
            d, extent, g.kernel[d], g.dilations[d], padded));
      }
      out = (padded - extent) / stride + 1;
    }
    g.out_spatial[d] = out;
  }
  g.output_shape = {g.batch, g.out_channels};
  g.output_shape.insert(g.output_shape.end(), g.out_spatial.begin(), g.out_spatial.end());
  EB_RETURN_IF_ERROR(checked_element_count(g.output_shape).status());
  EB_RETURN_IF_ERROR(checked_element_count(w).status());
  return g;
}

void integer_conv(const ConvGeometry& g, std::span<const std::int32_t> x,
                  std::span<const std::int32_t> w, std::span<std::int32_t> y) {
  const std::size_t spatial = g.in_spatial.size();
  const std::int64_t in_size = element_count(g.in_spatial);
  const std::int64_t out_size = element_count(g.out_spatial);
  const std::int64_t kernel_size = element_count(g.kernel);
  const std::int64_t channels_per_group = g.in_channels / g.group;
  const std::int64_t outputs_per_group = g.out_channels / g.group;
  const std::vector<std::int64_t> in_strides = strides_of(g.in_spatial);
  const std::vector<std::int64_t> out_strides = strides_of(g.out_spatial);
  const std::vector<std::int64_t> kernel_strides = strides_of(g.kernel);

  std::vector<std::int64_t> origin(spatial);  // input coordinate of kernel tap 0
  std::vector<std::int64_t> tap_offset(static_cast<std::size_t>(kernel_size));
  std::vector<bool> tap_inside(static_cast<std::size_t>(kernel_size));
  for (std::int64_t n = 0; n < g.batch; ++n) {
    for (std::int64_t o = 0; o < out_size; ++o) {
      for (std::size_t d = 0; d < spatial; ++d) {
        const std::int64_t coord = o / out_strides[d] % g.out_spatial[d];
        origin[d] = coord * g.strides[d] - g.pads_begin[d];
      }
      // Where each kernel tap lands in the input, and whether it lands in the padding; the
      // same for every channel.
      for (std::int64_t t = 0; t < kernel_size; ++t) {
        std::int64_t offset = 0;
        bool inside = true;
        for (std::size_t d = 0; d < spatial; ++d) {
          const std::int64_t k = t / kernel_strides[d] % g.kernel[d];
          const std::int64_t coord = origin[d] + k * g.dilations[d];
          inside = inside && coord >= 0 && coord < g.in_spatial[d];
          offset += coord * in_strides[d];
        }
        tap_offset[static_cast<std::size_t>(t)] = offset;
        tap_inside[static_cast<std::size_t>(t)] = inside;
      }
      for (std::int64_t m = 0; m < g.out_channels; ++m) {
        const std::int64_t first_channel = m / outputs_per_group * channels_per_group;
        std::uint32_t acc = 0;  // wraps modulo 2^32 (defined for unsigned)
        for (std::int64_t c = 0; c < channels_per_group; ++c) {
          const std::int32_t* x_plane =
              x.data() + (n * g.in_channels + first_channel + c) * in_size;
          const std::int32_t* w_taps = w.data() + (m * channels_per_group + c) * kernel_size;
          for (std::int64_t t = 0; t < kernel_size; ++t) {
            if (!tap_inside[static_cast<std::size_t>(t)]) continue;
            acc += static_cast<std::uint32_t>(x_plane[tap_offset[static_cast<std::size_t>(t)]] *
                                              w_taps[t]);
          }
        }
        y[static_cast<std::size_t>((n * g.out_channels + m) * out_size + o)] =
            static_cast<std::int32_t>(acc);
      }
    }
  }
}

}  // namespace edgebench::engine::ops
