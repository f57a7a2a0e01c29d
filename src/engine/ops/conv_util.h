// Sliding-window arithmetic shared by Conv, ConvTranspose and the pooling ops: parsing of
// kernel_shape / strides / dilations / pads / auto_pad / ceil_mode, output sizes, and the list of
// input positions ("taps") one output position reads. Internal to the engine.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/core/tensor.h"
#include "edgebench/ir/graph.h"

namespace edgebench::engine::ops {

enum class AutoPad { kNotSet, kValid, kSameUpper, kSameLower };

// The window attributes as written in the node; lengths are checked against the input rank later
// (resolve_window), values when parsed.
struct WindowAttributes {
  AutoPad auto_pad = AutoPad::kNotSet;
  std::vector<std::int64_t> kernel_shape;  // empty when absent
  std::vector<std::int64_t> strides;       // empty: 1 along every axis
  std::vector<std::int64_t> dilations;     // empty: 1 along every axis
  std::vector<std::int64_t> pads;          // empty: 0; else [x1_begin, x2_begin, ..., x1_end, ...]
  bool ceil_mode = false;
};

// Which of the optional window attributes an op has.
struct WindowAttributeSpec {
  bool kernel_shape_required = false;
  bool has_ceil_mode = false;
};

// Parses the window attributes of `node`: kernel_shape, strides and dilations must be positive,
// pads non-negative, auto_pad one of the four ONNX names. Errors name the attribute.
Result<WindowAttributes> parse_window_attributes(const ir::Node& node, WindowAttributeSpec spec);

// The window of one node at concrete shapes, one entry per spatial axis.
struct WindowGeometry {
  Shape input;  // spatial dims of the input
  Shape kernel;
  std::vector<std::int64_t> strides;
  std::vector<std::int64_t> dilations;
  std::vector<std::int64_t> pads_begin;
  std::vector<std::int64_t> pads_end;
  Shape output;  // spatial dims of the output

  int rank() const { return static_cast<int>(input.size()); }
};

// Fills input, kernel, strides, dilations and the explicit pads of a geometry from the attributes,
// checking that each attribute has one value per spatial axis (pads two). Output is left empty.
Result<WindowGeometry> expand_window_attributes(const WindowAttributes& attrs,
                                                std::span<const std::int64_t> input_spatial,
                                                std::span<const std::int64_t> kernel);

// (kernel - 1) * dilation + 1: the input span one window covers; error on overflow.
Result<std::int64_t> window_extent(std::int64_t kernel, std::int64_t dilation);

// Geometry of Conv and the pooling ops: applies auto_pad and computes output sizes (ceil_mode
// rounds up, but a window that would start inside the end padding is dropped, as PyTorch and
// later ONNX revisions do). Errors name the attribute; every output size is positive.
Result<WindowGeometry> resolve_window(const WindowAttributes& attrs,
                                      std::span<const std::int64_t> input_spatial,
                                      std::span<const std::int64_t> kernel);

// One input element read by one output position.
struct WindowTap {
  std::int64_t kernel_offset;  // row-major offset of the kernel position within the window
  std::int64_t input_offset;   // row-major offset within one channel's spatial input block
};

// Lists, for one output position at a time, the kernel positions whose input coordinate lies
// inside the input (padding is skipped), in row-major kernel order. Keeps its scratch between
// calls so that a kernel can call it once per output position.
class WindowTaps {
 public:
  enum class Mode {
    kForward,     // input coordinate = out * stride - pad_begin + k * dilation (Conv, pools)
    kTransposed,  // out + pad_begin = in * stride + k * dilation (ConvTranspose)
  };

  WindowTaps(const WindowGeometry& geometry, Mode mode) : geometry_(geometry), mode_(mode) {}

  std::span<const WindowTap> at(std::span<const std::int64_t> out_index);

  // Kernel positions whose coordinate lies inside the padded input [-pad_begin, in + pad_end):
  // the divisor of AveragePool with count_include_pad (forward mode only).
  std::int64_t padded_count(std::span<const std::int64_t> out_index) const;

 private:
  struct AxisTap {
    std::int64_t k;
    std::int64_t in;
  };
  const WindowGeometry& geometry_;
  Mode mode_;
  std::vector<std::vector<AxisTap>> axis_taps_;
  std::vector<std::size_t> position_;
  std::vector<WindowTap> taps_;
};

// Advances a row-major multi-index over `dims`; returns false (index back at zeros) after the last.
bool next_index(std::vector<std::int64_t>& index, std::span<const std::int64_t> dims);

}  // namespace edgebench::engine::ops
