// Convolution geometry (kernel_shape, pads, auto_pad, strides, dilations, group) and the exact
// integer convolution shared by ConvInteger and QLinearConv (linear_quant family). Internal to
// the engine; the float Conv keeps its own copy so that the two families stay independent.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "op_util.h"

namespace edgebench::engine::ops {

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

// The conv attributes as the node gives them; empty vectors mean "not given" (defaults depend
// on the spatial rank, known only at inference).
struct ConvAttributes {
  AutoPad auto_pad = AutoPad::kNotSet;
  std::vector<std::int64_t> kernel_shape;
  std::vector<std::int64_t> strides;
  std::vector<std::int64_t> dilations;
  std::vector<std::int64_t> pads;  // [x1_begin, x2_begin, ..., x1_end, x2_end, ...]
  std::int64_t group = 1;
};

// Parses and checks the values that do not depend on shapes (positive strides, dilations and
// group, non-negative pads, a known auto_pad). Messages name the attribute, not the node.
Result<ConvAttributes> parse_conv_attributes(const ir::Attributes& attributes);

struct ConvGeometry {
  std::int64_t batch = 0;
  std::int64_t in_channels = 0;   // C
  std::int64_t out_channels = 0;  // M
  std::int64_t group = 1;
  Shape in_spatial;
  Shape kernel;
  Shape out_spatial;
  std::vector<std::int64_t> strides;
  std::vector<std::int64_t> dilations;
  std::vector<std::int64_t> pads_begin;
  Shape output_shape;  // [N, M, out_spatial...]
};

// Output geometry of x [N, C, D1..Dn] convolved with w [M, C/group, k1..kn]. Fails (message
// without the node) on rank or channel mismatches, inconsistent attributes, a kernel larger than
// the padded input, or sizes that overflow.
Result<ConvGeometry> conv_geometry(const ConvAttributes& attributes, const Shape& x,
                                   const Shape& w);

// y[n, m, o...] = sum over the group's channels c and kernel taps t of x[n, c, o*s - pad + t*d]
// * w[m, c, t], where x and w already have their zero points subtracted; taps that fall into
// the padding contribute 0 (the zero point in the quantized domain). Accumulates with 32-bit
// wraparound, as ConvInteger and QLinearConv allow.
void integer_conv(const ConvGeometry& geometry, std::span<const std::int32_t> x,
                  std::span<const std::int32_t> w, std::span<std::int32_t> y);

}  // namespace edgebench::engine::ops
