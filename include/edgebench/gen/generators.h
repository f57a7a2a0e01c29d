// Model generators for sweeps: the conv and dense families of the Edge TPU thesis.
//
//   conv:  input 1x3xSxS -> L x [Conv(F filters, KxK, stride 1, same padding) -> activation]
//          MACs = S^2 * K^2 * (3F + (L-1) F^2)              (biases not counted)
//   dense: input 1xI -> L x [Gemm(N) -> activation] -> Gemm(O)
//          MACs = I*N + (L-1)*N^2 + N*O                      (biases not counted)
// Weights are seeded (uniform, scaled by fan-in so activations stay in range).
#pragma once

#include <cstdint>
#include <string>

#include "edgebench/core/status.h"
#include "edgebench/ir/graph.h"

namespace edgebench::gen {

struct ConvSpec {
  std::int64_t filters = 32;
  std::int64_t layers = 5;
  std::int64_t input_size = 64;  // S
  std::int64_t kernel = 3;       // K (odd)
  std::int64_t channels = 3;
  std::string activation = "relu";  // relu | relu6 | tanh | sigmoid | none
  std::uint64_t seed = 0;
};

struct DenseSpec {
  std::int64_t neurons = 100;
  std::int64_t layers = 4;
  std::int64_t inputs = 64;
  std::int64_t outputs = 10;
  std::string activation = "tanh";
  std::uint64_t seed = 0;
};

Result<ir::Graph> generate_conv(const ConvSpec& spec);
Result<ir::Graph> generate_dense(const DenseSpec& spec);

// The closed-form MAC counts above.
std::uint64_t conv_macs(const ConvSpec& spec);
std::uint64_t dense_macs(const DenseSpec& spec);

}  // namespace edgebench::gen
