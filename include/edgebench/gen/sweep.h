// Sweep grids: the generator points a sweep visits.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/gen/generators.h"

namespace edgebench::gen {

// The values of one sweep flag: "64" (one value), "32,64,128" (a list), or "32:202:10"
// (START:STOP:STEP, STOP included when the steps reach it: 32, 42, ..., 202). Values are
// integers >= 1; errors name the flag and say what is wrong.
Result<std::vector<std::int64_t>> parse_sweep_values(std::string_view text, std::string_view flag);

// Value lists of the conv and dense generator parameters; the grid is their product, in the
// order the flags are listed (the first varies slowest).
struct ConvSweep {
  std::vector<std::int64_t> filters, layers, input_size, kernel;
  std::string activation = "relu";
  std::uint64_t seed = 0;
};
struct DenseSweep {
  std::vector<std::int64_t> neurons, layers, inputs, outputs;
  std::string activation = "tanh";
  std::uint64_t seed = 0;
};

std::vector<ConvSpec> expand(const ConvSweep& sweep);
std::vector<DenseSpec> expand(const DenseSweep& sweep);

// A point's name, used as its model name: "conv_F32_L5_S64_K3", "dense_N100_L4_I64_O10".
std::string point_name(const ConvSpec& spec);
std::string point_name(const DenseSpec& spec);

}  // namespace edgebench::gen
