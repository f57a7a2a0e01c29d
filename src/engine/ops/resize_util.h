// The interpolation behind Resize (opsets 10, 11, 13, 18) and the deprecated Upsample (7, 9):
// output geometry from scales or sizes, coordinate transformation, and nearest, N-linear and
// N-cubic sampling. Internal to the engine.
//
// Resampling is separable: for every axis and every output position we list the input
// positions it reads and their weights ("taps"); an output element is the sum over the
// Cartesian product of its per-axis taps. Nearest has one tap per axis, linear two, cubic four,
// and antialiasing stretches linear and cubic filters over 1/scale input positions.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "resample_reduce_util.h"

namespace edgebench::engine::ops {

enum class ResizeMode { kNearest, kLinear, kCubic };

enum class CoordinateTransform {
  kHalfPixel,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfHalfPixelForNn,  // opset 11 only
  kTfCropAndResize,
};

enum class NearestRounding {
  kRoundPreferFloor,
  kRoundPreferCeil,
  kFloor,
  kCeil,
  // Resize-10 and Upsample, which predate nearest_mode: floor when upsampling an axis, ceil when
  // downsampling it. This reproduces the opset-10 ONNX test data and ONNX Runtime.
  kLegacy,
};

enum class AspectRatioPolicy { kStretch, kNotLarger, kNotSmaller };

struct ResizeAttributes {
  ResizeMode mode = ResizeMode::kNearest;
  CoordinateTransform transform = CoordinateTransform::kHalfPixel;
  NearestRounding nearest = NearestRounding::kRoundPreferFloor;
  double cubic_coeff_a = -0.75;
  bool exclude_outside = false;
  double extrapolation_value = 0.0;
  bool antialias = false;
  std::vector<std::int64_t> axes;  // opset 18; empty: every axis
  AspectRatioPolicy aspect_ratio_policy = AspectRatioPolicy::kStretch;
};

// Parses Resize's attributes for an opset (10, 11, 13 or 18 forms).
Result<ResizeAttributes> parse_resize_attributes(const ir::Attributes& attrs, std::int64_t opset);

// The values of Resize's optional inputs; empty vectors are absent (or empty) inputs.
struct ResizeTargets {
  std::vector<double> roi;
  bool roi_known = true;  // false while planning with a run-time roi: roi is not checked
  std::vector<double> scales;
  std::vector<std::int64_t> sizes;
};

// Everything about one resize, per axis of the input.
struct ResizeGeometry {
  Shape output_shape;
  std::vector<double> scales;     // output / input length along each axis
  std::vector<double> roi_start;  // tf_crop_and_resize region, normalized; 0 and 1 otherwise
  std::vector<double> roi_end;
};

// Validates the targets against the input shape and computes the output shape: sizes as given
// (or fitted to the aspect-ratio policy), or floor(input * scale) per axis. Errors name the
// offending input; `min_scale` lets Upsample insist on scales >= 1.
Result<ResizeGeometry> resolve_resize_geometry(const ResizeAttributes& attributes,
                                               const Shape& input, const ResizeTargets& targets,
                                               double min_scale = 0.0);

// Writes y (already shaped as geometry.output_shape, same dtype as x).
Status resize(const ResizeAttributes& attributes, const ResizeGeometry& geometry, const Tensor& x,
              Tensor& y, ThreadPool* pool = nullptr);

// Reads a 1-D float tensor (scales, roi) as doubles.
Result<std::vector<double>> read_float_list(const Tensor& tensor, std::string_view what);

}  // namespace edgebench::engine::ops
