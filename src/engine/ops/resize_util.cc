#include "resize_util.h"

#include <algorithm>
#include <cmath>

namespace edgebench::engine::ops {

namespace {

Result<bool> get_flag(const ir::Attributes& attrs, std::string_view name) {
  EB_ASSIGN_OR_RETURN(std::int64_t value, attrs.get_int(name, 0));
  if (value != 0 && value != 1) {
    return invalid_model(fmt::format("attribute '{}' must be 0 or 1, got {}", name, value));
  }
  return value == 1;
}

}  // namespace

Result<ResizeAttributes> parse_resize_attributes(const ir::Attributes& attrs, std::int64_t opset) {
  ResizeAttributes out;
  EB_ASSIGN_OR_RETURN(std::string mode, attrs.get_string("mode", "nearest"));
  if (mode == "nearest") {
    out.mode = ResizeMode::kNearest;
  } else if (mode == "linear") {
    out.mode = ResizeMode::kLinear;
  } else if (mode == "cubic" && opset >= 11) {
    out.mode = ResizeMode::kCubic;
  } else {
    return invalid_model(fmt::format("attribute 'mode' is '{}'; expected 'nearest', 'linear'{}",
                                     mode, opset >= 11 ? " or 'cubic'" : ""));
  }
  if (opset < 11) {
    out.transform = CoordinateTransform::kAsymmetric;
    out.nearest = NearestRounding::kLegacy;
    return out;
  }

  EB_ASSIGN_OR_RETURN(std::string transform,
                      attrs.get_string("coordinate_transformation_mode", "half_pixel"));
  if (transform == "half_pixel") {
    out.transform = CoordinateTransform::kHalfPixel;
  } else if (transform == "pytorch_half_pixel") {
    out.transform = CoordinateTransform::kPytorchHalfPixel;
  } else if (transform == "align_corners") {
    out.transform = CoordinateTransform::kAlignCorners;
  } else if (transform == "asymmetric") {
    out.transform = CoordinateTransform::kAsymmetric;
  } else if (transform == "tf_crop_and_resize") {
    out.transform = CoordinateTransform::kTfCropAndResize;
  } else if (transform == "tf_half_pixel_for_nn" && opset < 13) {
    out.transform = CoordinateTransform::kTfHalfPixelForNn;
  } else if (transform == "half_pixel_symmetric") {
    return unsupported(
        "attribute 'coordinate_transformation_mode' = 'half_pixel_symmetric' (opset 19) is not "
        "implemented");
  } else {
    return invalid_model(fmt::format(
        "attribute 'coordinate_transformation_mode' is '{}'; expected 'half_pixel', "
        "'pytorch_half_pixel', 'align_corners', 'asymmetric', {}or 'tf_crop_and_resize'",
        transform, opset < 13 ? "'tf_half_pixel_for_nn' " : ""));
  }

  EB_ASSIGN_OR_RETURN(std::string nearest, attrs.get_string("nearest_mode", "round_prefer_floor"));
  if (nearest == "round_prefer_floor") {
    out.nearest = NearestRounding::kRoundPreferFloor;
  } else if (nearest == "round_prefer_ceil") {
    out.nearest = NearestRounding::kRoundPreferCeil;
  } else if (nearest == "floor") {
    out.nearest = NearestRounding::kFloor;
  } else if (nearest == "ceil") {
    out.nearest = NearestRounding::kCeil;
  } else {
    return invalid_model(fmt::format(
        "attribute 'nearest_mode' is '{}'; expected 'round_prefer_floor', 'round_prefer_ceil', "
        "'floor' or 'ceil'",
        nearest));
  }

  EB_ASSIGN_OR_RETURN(float cubic_coeff_a, attrs.get_float("cubic_coeff_a", -0.75f));
  EB_ASSIGN_OR_RETURN(float extrapolation_value, attrs.get_float("extrapolation_value", 0.0f));
  out.cubic_coeff_a = cubic_coeff_a;
  out.extrapolation_value = extrapolation_value;
  EB_ASSIGN_OR_RETURN(out.exclude_outside, get_flag(attrs, "exclude_outside"));

  if (opset >= 18) {
    EB_ASSIGN_OR_RETURN(out.antialias, get_flag(attrs, "antialias"));
    EB_ASSIGN_OR_RETURN(out.axes, attrs.get_ints("axes", {}));
    EB_ASSIGN_OR_RETURN(std::string policy,
                        attrs.get_string("keep_aspect_ratio_policy", "stretch"));
    if (policy == "stretch") {
      out.aspect_ratio_policy = AspectRatioPolicy::kStretch;
    } else if (policy == "not_larger") {
      out.aspect_ratio_policy = AspectRatioPolicy::kNotLarger;
    } else if (policy == "not_smaller") {
      out.aspect_ratio_policy = AspectRatioPolicy::kNotSmaller;
    } else {
      return invalid_model(fmt::format(
          "attribute 'keep_aspect_ratio_policy' is '{}'; expected 'stretch', 'not_larger' or "
          "'not_smaller'",
          policy));
    }
  }
  return out;
}

Result<std::vector<double>> read_float_list(const Tensor& tensor, std::string_view what) {
  if (!is_floating(tensor.dtype())) {
    return invalid_model(fmt::format("{} must be a float tensor, got {}", what, tensor.describe()));
  }
  if (tensor.rank() > 1) {
    return invalid_model(fmt::format("{} must be 1-D, got {}", what, tensor.describe()));
  }
  std::vector<double> out(static_cast<std::size_t>(tensor.element_count()));
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = tensor.element_as_double(static_cast<std::int64_t>(i));
  }
  return out;
}

Result<ResizeGeometry> resolve_resize_geometry(const ResizeAttributes& attributes,
                                               const Shape& input, const ResizeTargets& targets,
                                               double min_scale) {
  const int rank = static_cast<int>(input.size());
  std::vector<int> axes;
  if (attributes.axes.empty()) {
    for (int d = 0; d < rank; ++d) axes.push_back(d);
  } else {
    EB_ASSIGN_OR_RETURN(axes, normalize_axes(attributes.axes, rank, "attribute 'axes'"));
  }
  const std::size_t n = axes.size();

  ResizeGeometry out;
  out.output_shape = input;
  out.scales.assign(input.size(), 1.0);
  out.roi_start.assign(input.size(), 0.0);
  out.roi_end.assign(input.size(), 1.0);

  if (attributes.transform == CoordinateTransform::kTfCropAndResize && targets.roi_known) {
    if (targets.roi.size() != 2 * n) {
      return invalid_model(fmt::format(
          "'tf_crop_and_resize' needs input 'roi' with {} values (a start and an end for each of "
          "{} axes); it has {}",
          2 * n, n, targets.roi.size()));
    }
    for (std::size_t i = 0; i < n; ++i) {
      const auto d = static_cast<std::size_t>(axes[i]);
      out.roi_start[d] = targets.roi[i];
      out.roi_end[d] = targets.roi[n + i];
      if (!std::isfinite(out.roi_start[d]) || !std::isfinite(out.roi_end[d])) {
        return invalid_model(fmt::format("input 'roi' is not finite on axis {}", d));
      }
    }
  }

  const bool has_scales = !targets.scales.empty();
  const bool has_sizes = !targets.sizes.empty();
  if (has_scales == has_sizes) {
    return invalid_model(fmt::format(
        "exactly one of the inputs 'scales' and 'sizes' must be given and non-empty; {}",
        has_scales ? "both are" : "neither is"));
  }
  if (has_scales) {
    if (targets.scales.size() != n) {
      return invalid_model(fmt::format("input 'scales' has {} values; expected {} (one per axis)",
                                       targets.scales.size(), n));
    }
    for (std::size_t i = 0; i < n; ++i) {
      const auto d = static_cast<std::size_t>(axes[i]);
      const double scale = targets.scales[i];
      if (!std::isfinite(scale) || scale <= 0.0 || scale < min_scale) {
        return invalid_model(fmt::format(
            "input 'scales' has {} for axis {}; scales must be {}", scale, d,
            min_scale > 0.0 ? fmt::format(">= {}", min_scale) : std::string("finite and > 0")));
      }
      const double length = std::floor(static_cast<double>(input[d]) * scale);
      if (length > static_cast<double>(std::int64_t{1} << 62)) {
        return out_of_range(
            fmt::format("scale {} makes axis {} of length {} too long", scale, d, input[d]));
      }
      out.scales[d] = scale;
      out.output_shape[d] = static_cast<std::int64_t>(length);
    }
    return out;
  }

  if (targets.sizes.size() != n) {
    return invalid_model(fmt::format("input 'sizes' has {} values; expected {} (one per axis)",
                                     targets.sizes.size(), n));
  }
  for (std::size_t i = 0; i < n; ++i) {
    const auto d = static_cast<std::size_t>(axes[i]);
    if (targets.sizes[i] < 0) {
      return invalid_model(
          fmt::format("input 'sizes' has {} for axis {}; sizes must be >= 0", targets.sizes[i], d));
    }
    if (input[d] == 0 && targets.sizes[i] > 0) {
      return invalid_model(fmt::format(
          "input 'sizes' asks for {} elements on axis {}, which is empty", targets.sizes[i], d));
    }
  }
  if (attributes.aspect_ratio_policy == AspectRatioPolicy::kStretch) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto d = static_cast<std::size_t>(axes[i]);
      out.output_shape[d] = targets.sizes[i];
      if (input[d] > 0) {
        out.scales[d] = static_cast<double>(targets.sizes[i]) / static_cast<double>(input[d]);
      }
    }
    return out;
  }
  // One scale for all the axes: the largest that fits inside the sizes (not_larger) or the
  // smallest that covers them (not_smaller); lengths round half up, as in the spec.
  const bool not_larger = attributes.aspect_ratio_policy == AspectRatioPolicy::kNotLarger;
  double scale = not_larger ? INFINITY : 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto d = static_cast<std::size_t>(axes[i]);
    if (input[d] == 0) continue;
    const double ratio = static_cast<double>(targets.sizes[i]) / static_cast<double>(input[d]);
    scale = not_larger ? std::min(scale, ratio) : std::max(scale, ratio);
  }
  if (!std::isfinite(scale)) scale = 1.0;  // every axis empty
  for (std::size_t i = 0; i < n; ++i) {
    const auto d = static_cast<std::size_t>(axes[i]);
    out.scales[d] = scale;
    out.output_shape[d] =
        static_cast<std::int64_t>(std::floor(scale * static_cast<double>(input[d]) + 0.5));
  }
  return out;
}

namespace {

struct Tap {
  std::int64_t index;
  double weight;
};

// The taps of every output position along one axis: position o reads
// taps[first[o] .. first[o + 1]), or the extrapolation value when outside[o].
struct AxisSampling {
  std::vector<std::size_t> first;
  std::vector<Tap> taps;
  std::vector<bool> outside;
};

// One axis of a resize.
struct AxisGeometry {
  std::int64_t in_length = 0;
  std::int64_t out_length = 0;
  double scale = 1.0;
  double roi_start = 0.0;
  double roi_end = 1.0;
};

// Where output position `o` of an axis lies in input coordinates (spec formulas; the resized
// length is scale * input length, which for scales need not be a whole number).
double source_coordinate(CoordinateTransform transform, const AxisGeometry& axis, double o) {
  const auto in_length = static_cast<double>(axis.in_length);
  const double scale = axis.scale;
  const double resized_length = scale * in_length;
  switch (transform) {
    case CoordinateTransform::kHalfPixel: return (o + 0.5) / scale - 0.5;
    case CoordinateTransform::kPytorchHalfPixel:
      return resized_length > 1 ? (o + 0.5) / scale - 0.5 : 0.0;
    case CoordinateTransform::kAlignCorners:
      return resized_length > 1 ? o * (in_length - 1) / (resized_length - 1) : 0.0;
    case CoordinateTransform::kAsymmetric: return o / scale;
    case CoordinateTransform::kTfHalfPixelForNn: return (o + 0.5) / scale;
    case CoordinateTransform::kTfCropAndResize:
      return resized_length > 1
                 ? axis.roi_start * (in_length - 1) +
                       o * (axis.roi_end - axis.roi_start) * (in_length - 1) / (resized_length - 1)
                 : 0.5 * (axis.roi_start + axis.roi_end) * (in_length - 1);
  }
  return 0.0;
}

std::int64_t nearest_index(NearestRounding rounding, double x, double scale) {
  switch (rounding) {
    case NearestRounding::kRoundPreferFloor: return static_cast<std::int64_t>(std::ceil(x - 0.5));
    case NearestRounding::kRoundPreferCeil: return static_cast<std::int64_t>(std::floor(x + 0.5));
    case NearestRounding::kFloor: return static_cast<std::int64_t>(std::floor(x));
    case NearestRounding::kCeil: return static_cast<std::int64_t>(std::ceil(x));
    case NearestRounding::kLegacy:
      return static_cast<std::int64_t>(scale < 1.0 ? std::ceil(x) : std::floor(x));
  }
  return 0;
}

// Keys' cubic convolution kernel with parameter a (cubic_coeff_a).
double cubic_kernel(double t, double a) {
  t = std::fabs(t);
  if (t <= 1.0) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2.0) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  return 0.0;
}

double linear_kernel(double t) { return std::max(0.0, 1.0 - std::fabs(t)); }

// Appends the interpolation taps of coordinate x (before clamping to the axis).
void interpolation_taps(const ResizeAttributes& attributes, double x, double scale,
                        std::vector<Tap>& taps) {
  const bool cubic = attributes.mode == ResizeMode::kCubic;
  const double a = attributes.cubic_coeff_a;
  if (attributes.antialias && scale < 1.0) {
    // The filter stretched by 1/scale, renormalized so that the weights sum to 1.
    const double support = (cubic ? 2.0 : 1.0) / scale;
    const auto first = static_cast<std::int64_t>(std::ceil(x - support));
    const auto last = static_cast<std::int64_t>(std::floor(x + support));
    double sum = 0;
    const std::size_t begin = taps.size();
    for (std::int64_t k = first; k <= last; ++k) {
      const double t = scale * (static_cast<double>(k) - x);
      const double w = cubic ? cubic_kernel(t, a) : linear_kernel(t);
      taps.push_back({k, w});
      sum += w;
    }
    if (sum != 0.0) {
      for (std::size_t i = begin; i < taps.size(); ++i) taps[i].weight /= sum;
    }
    return;
  }
  const double base = std::floor(x);
  const double f = x - base;
  const auto i0 = static_cast<std::int64_t>(base);
  if (cubic) {
    taps.push_back({i0 - 1, cubic_kernel(1 + f, a)});
    taps.push_back({i0, cubic_kernel(f, a)});
    taps.push_back({i0 + 1, cubic_kernel(1 - f, a)});
    taps.push_back({i0 + 2, cubic_kernel(2 - f, a)});
  } else {
    taps.push_back({i0, 1 - f});
    taps.push_back({i0 + 1, f});
  }
}

AxisSampling sample_axis(const ResizeAttributes& attributes, const AxisGeometry& axis) {
  const std::int64_t in_length = axis.in_length;
  const std::int64_t out_length = axis.out_length;
  const double scale = axis.scale;
  AxisSampling s;
  s.first.reserve(static_cast<std::size_t>(out_length) + 1);
  s.outside.assign(static_cast<std::size_t>(out_length), false);
  const auto length = static_cast<double>(in_length);
  std::vector<Tap> taps;
  for (std::int64_t o = 0; o < out_length; ++o) {
    s.first.push_back(s.taps.size());
    const double x = source_coordinate(attributes.transform, axis, static_cast<double>(o));
    // tf_crop_and_resize: positions outside the input take the extrapolation value, as
    // TensorFlow's CropAndResize does.
    if (attributes.transform == CoordinateTransform::kTfCropAndResize &&
        (x < 0.0 || x > length - 1)) {
      s.outside[static_cast<std::size_t>(o)] = true;
      continue;
    }
    taps.clear();
    if (attributes.mode == ResizeMode::kNearest) {
      taps.push_back({nearest_index(attributes.nearest, x, scale), 1.0});
    } else {
      interpolation_taps(attributes, x, scale, taps);
    }
    if (attributes.exclude_outside) {
      double sum = 0;
      for (Tap& t : taps) {
        if (t.index < 0 || t.index >= in_length) t.weight = 0;
        sum += t.weight;
      }
      if (sum != 0.0) {
        for (Tap& t : taps) t.weight /= sum;
      }
    }
    // Positions beyond the edges read the edge element; zero weights are dropped.
    for (const Tap& t : taps) {
      if (t.weight == 0.0 && attributes.mode != ResizeMode::kNearest) continue;
      s.taps.push_back({std::clamp<std::int64_t>(t.index, 0, in_length - 1), t.weight});
    }
  }
  s.first.push_back(s.taps.size());
  return s;
}

// Weighted sum over the taps of axes d.. for the output position `out_index`.
template <typename T>
double interpolate(const T* in, std::span<const AxisSampling> axes,
                   std::span<const std::int64_t> strides, std::span<const std::int64_t> out_index,
                   std::size_t d, std::int64_t offset) {
  if (d == axes.size()) return to_double(in[offset]);
  const AxisSampling& axis = axes[d];
  const auto o = static_cast<std::size_t>(out_index[d]);
  double sum = 0;
  for (std::size_t t = axis.first[o]; t < axis.first[o + 1]; ++t) {
    sum += axis.taps[t].weight * interpolate(in, axes, strides, out_index, d + 1,
                                             offset + axis.taps[t].index * strides[d]);
  }
  return sum;
}

}  // namespace

Status resize(const ResizeAttributes& attributes, const ResizeGeometry& geometry, const Tensor& x,
              Tensor& y, ThreadPool* pool) {
  if (y.element_count() == 0) return Status::ok();
  const int rank = x.rank();
  std::vector<AxisSampling> axes;
  for (int d = 0; d < rank; ++d) {
    const auto ud = static_cast<std::size_t>(d);
    axes.push_back(sample_axis(attributes, {x.dim(d), y.dim(d), geometry.scales[ud],
                                            geometry.roi_start[ud], geometry.roi_end[ud]}));
  }
  const std::vector<std::int64_t> strides = strides_of(x.shape());
  return dispatch_numeric<true>(x.dtype(), "Resize", [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* in = x.data<T>();
    T* out = y.data<T>();
    const T extrapolation = from_double<T>(attributes.extrapolation_value);
    // Taps per output element: the product of the axes' widest tap counts, roughly.
    std::int64_t taps = 1;
    for (const AxisSampling& axis : axes) {
      const auto positions = static_cast<std::int64_t>(axis.first.size()) - 1;
      if (positions > 0)
        taps *= std::max<std::int64_t>(1, static_cast<std::int64_t>(axis.taps.size()) / positions);
    }
    parallel_outer(pool, y.element_count(), taps, [&](std::int64_t begin, std::int64_t end) {
      std::vector<std::int64_t> index = unravel_index(y.shape(), begin);
      for (std::int64_t i = begin; i < end; ++i) {
        bool outside = false;
        for (std::size_t d = 0; d < axes.size(); ++d) {
          outside = outside || axes[d].outside[static_cast<std::size_t>(index[d])];
        }
        if (outside) {
          out[i] = extrapolation;
        } else if (attributes.mode == ResizeMode::kNearest) {
          // One tap per axis: copy the element itself, exact for every type.
          std::int64_t offset = 0;
          for (std::size_t d = 0; d < axes.size(); ++d) {
            offset +=
                axes[d].taps[axes[d].first[static_cast<std::size_t>(index[d])]].index * strides[d];
          }
          out[i] = in[offset];
        } else {
          out[i] = from_double<T>(interpolate(in, std::span<const AxisSampling>(axes),
                                              std::span<const std::int64_t>(strides),
                                              std::span<const std::int64_t>(index), 0, 0));
        }
        for (int d = rank - 1; d >= 0; --d) {
          const auto ud = static_cast<std::size_t>(d);
          if (++index[ud] < y.dim(d)) break;
          index[ud] = 0;
        }
      }
    });
  });
}

}  // namespace edgebench::engine::ops
