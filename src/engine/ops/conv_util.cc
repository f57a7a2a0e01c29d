#include "conv_util.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "nn_util.h"

namespace edgebench::engine::ops {
namespace {

Status check_all(std::string_view name, const std::vector<std::int64_t>& values,
                 std::int64_t minimum) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] < minimum) {
      return invalid_model(fmt::format("attribute '{}' must be {} along every axis, has {} at {}",
                                       name, minimum == 0 ? "non-negative" : "positive", values[i],
                                       i));
    }
  }
  return Status::ok();
}

Status check_length(std::string_view name, const std::vector<std::int64_t>& values,
                    std::size_t expected, int rank) {
  if (values.empty() || values.size() == expected) return Status::ok();
  return invalid_model(fmt::format("attribute '{}' has {} values; expected {} for {} spatial axes",
                                   name, values.size(), expected, rank));
}

Status overflow_error(std::string_view what, int axis) {
  return out_of_range(fmt::format("{} overflows along spatial axis {}", what, axis));
}

}  // namespace

Result<WindowAttributes> parse_window_attributes(const ir::Node& node, WindowAttributeSpec spec) {
  const ir::Attributes& a = node.attributes;
  WindowAttributes out;
  EB_ASSIGN_OR_RETURN(std::string auto_pad, a.get_string("auto_pad", "NOTSET"));
  if (auto_pad == "NOTSET") {
    out.auto_pad = AutoPad::kNotSet;
  } else if (auto_pad == "VALID") {
    out.auto_pad = AutoPad::kValid;
  } else if (auto_pad == "SAME_UPPER") {
    out.auto_pad = AutoPad::kSameUpper;
  } else if (auto_pad == "SAME_LOWER") {
    out.auto_pad = AutoPad::kSameLower;
  } else {
    return invalid_model(fmt::format(
        "attribute 'auto_pad' is '{}'; expected NOTSET, VALID, SAME_UPPER or SAME_LOWER",
        auto_pad));
  }
  EB_ASSIGN_OR_RETURN(out.kernel_shape, a.get_ints("kernel_shape", {}));
  if (spec.kernel_shape_required && out.kernel_shape.empty()) {
    return invalid_model("attribute 'kernel_shape' is required");
  }
  EB_ASSIGN_OR_RETURN(out.strides, a.get_ints("strides", {}));
  EB_ASSIGN_OR_RETURN(out.dilations, a.get_ints("dilations", {}));
  EB_ASSIGN_OR_RETURN(out.pads, a.get_ints("pads", {}));
  EB_RETURN_IF_ERROR(check_all("kernel_shape", out.kernel_shape, 1));
  EB_RETURN_IF_ERROR(check_all("strides", out.strides, 1));
  EB_RETURN_IF_ERROR(check_all("dilations", out.dilations, 1));
  EB_RETURN_IF_ERROR(check_all("pads", out.pads, 0));
  if (spec.has_ceil_mode) {
    EB_ASSIGN_OR_RETURN(std::int64_t ceil_mode, a.get_int("ceil_mode", 0));
    if (ceil_mode != 0 && ceil_mode != 1) {
      return invalid_model(fmt::format("attribute 'ceil_mode' must be 0 or 1, has {}", ceil_mode));
    }
    out.ceil_mode = ceil_mode == 1;
  }
  return out;
}

Result<WindowGeometry> expand_window_attributes(const WindowAttributes& attrs,
                                                std::span<const std::int64_t> input_spatial,
                                                std::span<const std::int64_t> kernel) {
  const int rank = static_cast<int>(input_spatial.size());
  const auto n = input_spatial.size();
  if (kernel.size() != n) {
    return invalid_model(
        fmt::format("kernel has {} spatial axes; the input has {}", kernel.size(), rank));
  }
  EB_RETURN_IF_ERROR(check_length("strides", attrs.strides, n, rank));
  EB_RETURN_IF_ERROR(check_length("dilations", attrs.dilations, n, rank));
  EB_RETURN_IF_ERROR(check_length("pads", attrs.pads, 2 * n, rank));
  WindowGeometry g;
  g.input.assign(input_spatial.begin(), input_spatial.end());
  g.kernel.assign(kernel.begin(), kernel.end());
  g.strides = attrs.strides.empty() ? std::vector<std::int64_t>(n, 1) : attrs.strides;
  g.dilations = attrs.dilations.empty() ? std::vector<std::int64_t>(n, 1) : attrs.dilations;
  g.pads_begin.assign(n, 0);
  g.pads_end.assign(n, 0);
  if (!attrs.pads.empty()) {
    for (std::size_t i = 0; i < n; ++i) {
      g.pads_begin[i] = attrs.pads[i];
      g.pads_end[i] = attrs.pads[n + i];
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (g.kernel[i] <= 0) {
      return invalid_model(
          fmt::format("kernel size {} along spatial axis {} is not positive", g.kernel[i], i));
    }
    if (g.input[i] < 0) {
      return invalid_model(
          fmt::format("input size {} along spatial axis {} is negative", g.input[i], i));
    }
  }
  // Kernel offsets and AveragePool's divisor are products of kernel sizes.
  if (!checked_element_count(g.kernel).is_ok()) {
    return out_of_range(fmt::format("kernel {} has too many elements", shape_to_string(g.kernel)));
  }
  return g;
}

Result<std::int64_t> window_extent(std::int64_t kernel, std::int64_t dilation) {
  auto extent = checked_mul(kernel - 1, dilation);
  if (extent) extent = checked_add(*extent, 1);
  if (!extent) {
    return out_of_range(fmt::format("kernel size {} with dilation {} overflows", kernel, dilation));
  }
  return *extent;
}

Result<WindowGeometry> resolve_window(const WindowAttributes& attrs,
                                      std::span<const std::int64_t> input_spatial,
                                      std::span<const std::int64_t> kernel) {
  EB_ASSIGN_OR_RETURN(WindowGeometry g, expand_window_attributes(attrs, input_spatial, kernel));
  g.output.assign(input_spatial.size(), 0);
  for (int axis = 0; axis < g.rank(); ++axis) {
    const auto i = static_cast<std::size_t>(axis);
    const std::int64_t in = g.input[i];
    const std::int64_t stride = g.strides[i];
    EB_ASSIGN_OR_RETURN(const std::int64_t extent, window_extent(g.kernel[i], g.dilations[i]));
    std::int64_t out = 0;
    if (attrs.auto_pad == AutoPad::kSameUpper || attrs.auto_pad == AutoPad::kSameLower) {
      // The output keeps ceil(in / stride) positions; padding makes the last window fit.
      out = in / stride + (in % stride != 0 ? 1 : 0);
      auto needed = checked_mul(std::max<std::int64_t>(out - 1, 0), stride);
      if (needed) needed = checked_add(*needed, extent);
      if (!needed) return overflow_error("padding for auto_pad SAME", axis);
      const std::int64_t total = std::max<std::int64_t>(*needed - in, 0);
      // SAME_UPPER puts the odd padding element at the end, SAME_LOWER at the beginning.
      g.pads_begin[i] = attrs.auto_pad == AutoPad::kSameUpper ? total / 2 : total - total / 2;
      g.pads_end[i] = total - g.pads_begin[i];
    } else {
      if (attrs.auto_pad == AutoPad::kValid) {
        g.pads_begin[i] = 0;
        g.pads_end[i] = 0;
      }
      auto padded = checked_add(in, g.pads_begin[i]);
      if (padded) padded = checked_add(*padded, g.pads_end[i]);
      if (!padded) return overflow_error("input size plus 'pads'", axis);
      const std::int64_t span = *padded - extent;
      if (span < 0) {
        return invalid_model(fmt::format(
            "the window (kernel {}, 'dilations' {}) spans {} along spatial axis {}, more than the "
            "padded input size {} (input {}, 'pads' {} and {})",
            g.kernel[i], g.dilations[i], extent, axis, *padded, in, g.pads_begin[i],
            g.pads_end[i]));
      }
      out = span / stride + 1;
      if (attrs.ceil_mode && span % stride != 0) {
        ++out;
        // A last window that would start inside the end padding reads no input: drop it.
        const auto last_start = checked_mul(out - 1, stride);
        if (!last_start || *last_start >= in + g.pads_begin[i]) --out;
      }
    }
    if (out <= 0) {
      return invalid_model(fmt::format(
          "output size along spatial axis {} is {} (input {}, kernel {}, 'strides' {}); it must be "
          "positive",
          axis, out, in, g.kernel[i], stride));
    }
    g.output[i] = out;
  }
  return g;
}

std::span<const WindowTap> WindowTaps::at(std::span<const std::int64_t> out_index) {
  const WindowGeometry& g = geometry_;
  const auto rank = static_cast<std::size_t>(g.rank());
  axis_taps_.resize(rank);
  position_.assign(rank, 0);
  taps_.clear();
  for (std::size_t d = 0; d < rank; ++d) {
    std::vector<AxisTap>& list = axis_taps_[d];
    list.clear();
    const std::int64_t dilation = g.dilations[d];
    if (mode_ == Mode::kForward) {
      // x = start + k * dilation must lie in [0, in); solve for the range of k rather than
      // scanning the kernel, whose size comes from an attribute.
      const std::int64_t start = out_index[d] * g.strides[d] - g.pads_begin[d];
      const std::int64_t k_first =
          start >= 0 ? 0 : -start / dilation + (-start % dilation != 0 ? 1 : 0);
      const std::int64_t last = g.input[d] - 1 - start;
      if (last < 0) return taps_;
      const std::int64_t k_last = std::min(g.kernel[d] - 1, last / dilation);
      for (std::int64_t k = k_first; k <= k_last; ++k) list.push_back({k, start + k * dilation});
    } else {
      // out + pad_begin = x * stride + k * dilation; the kernel comes from the weights tensor.
      for (std::int64_t k = 0; k < g.kernel[d]; ++k) {
        const std::int64_t scaled = out_index[d] + g.pads_begin[d] - k * dilation;
        if (scaled < 0 || scaled % g.strides[d] != 0) continue;
        const std::int64_t x = scaled / g.strides[d];
        if (x < g.input[d]) list.push_back({k, x});
      }
    }
    if (list.empty()) return taps_;
  }
  // Every combination of the per-axis taps, in row-major kernel order.
  while (true) {
    WindowTap tap{0, 0};
    for (std::size_t d = 0; d < rank; ++d) {
      const AxisTap& t = axis_taps_[d][position_[d]];
      tap.kernel_offset = tap.kernel_offset * g.kernel[d] + t.k;
      tap.input_offset = tap.input_offset * g.input[d] + t.in;
    }
    taps_.push_back(tap);
    std::size_t d = rank;
    for (; d > 0; --d) {
      if (++position_[d - 1] < axis_taps_[d - 1].size()) break;
      position_[d - 1] = 0;
    }
    if (d == 0) return taps_;
  }
}

std::int64_t WindowTaps::padded_count(std::span<const std::int64_t> out_index) const {
  const WindowGeometry& g = geometry_;
  std::int64_t count = 1;
  for (std::size_t d = 0; d < static_cast<std::size_t>(g.rank()); ++d) {
    // Windows start at or after -pad_begin, so only the end of the padded input can cut them.
    const std::int64_t start = out_index[d] * g.strides[d] - g.pads_begin[d];
    const std::int64_t last = g.input[d] + g.pads_end[d] - 1 - start;
    if (last < 0) return 0;
    count *= std::min(g.kernel[d] - 1, last / g.dilations[d]) + 1;
  }
  return count;
}

bool next_index(std::vector<std::int64_t>& index, std::span<const std::int64_t> dims) {
  for (std::size_t d = index.size(); d > 0; --d) {
    if (++index[d - 1] < dims[d - 1]) return true;
    index[d - 1] = 0;
  }
  return false;
}

}  // namespace edgebench::engine::ops
