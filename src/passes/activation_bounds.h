// The clamp interval of a Relu or a Clip, shared by the passes that fold activations
// (activation fusion, QDQ fusion). Internal to the passes module.
#pragma once

#include <functional>
#include <limits>
#include <optional>
#include <string_view>

#include "edgebench/core/tensor.h"
#include "edgebench/ir/graph.h"

namespace edgebench::passes {

struct Bounds {
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();
};

// Looks up the constant value of a graph value; null when it is not a known constant.
using ConstantLookup = std::function<const Tensor*(std::string_view)>;

// The interval a default-domain Relu, or a Clip whose bounds are constant float32 scalars,
// clamps to. `attribute_bounds`: the Clip takes min/max as attributes (before opset 11), else
// as optional inputs (absent ones do not clamp). nullopt for other nodes, for bounds that are not
// constant and for an empty interval (which Clip maps to `max` everywhere).
std::optional<Bounds> activation_bounds(const ir::Node& node, bool attribute_bounds,
                                        const ConstantLookup& constant);

}  // namespace edgebench::passes
