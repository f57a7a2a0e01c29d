// NumPy matmul geometry shared by MatMul, MatMulInteger and QLinearMatMul (linear_quant
// family), and the layout of their per-row / per-column quantization parameters.
// Internal to the engine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "op_util.h"

namespace edgebench::engine::ops {

// numpy.matmul: a 1-D `a` [K] is promoted to [1, K] and a 1-D `b` [K] to [K, 1]; the promoted
// dims are removed from the output again. The leading (batch) dims broadcast.
struct MatMulGeometry {
  Shape a_shape;       // promoted, rank >= 2
  Shape b_shape;       // promoted, rank >= 2
  Shape output_shape;  // as the op returns it
  std::int64_t m = 0;
  std::int64_t k = 0;
  std::int64_t n = 0;
  // For each output matrix (row-major over the broadcast batch dims): the index of the a matrix
  // and of the b matrix it multiplies (in units of m*k and k*n elements).
  std::vector<std::int64_t> a_matrix;
  std::vector<std::int64_t> b_matrix;

  std::int64_t batch_count() const { return static_cast<std::int64_t>(a_matrix.size()); }
};

// Fails (message without the node; callers add it) on rank-0 operands, a K mismatch or batch
// dims that do not broadcast.
Result<MatMulGeometry> matmul_geometry(const Shape& a, const Shape& b);

// Which operand a quantization parameter belongs to: a's parameters are per row (one per m),
// b's per column (one per n).
enum class MatMulOperand { kA, kB };

// Checks a scale's or zero point's shape: a scalar or one-element tensor (per tensor); a 1-D
// tensor of M (a) or N (b) elements; or an N-D tensor shaped like the operand with the K dim
// set to 1 ([D1, D2, M, 1] for a, [D1, D2, 1, N] for b) or broadcastable to that.
Status check_matmul_param_shape(const Shape& param, const MatMulGeometry& geometry,
                                MatMulOperand operand, const std::string& what);

// For each (operand matrix, row) of a, or (operand matrix, column) of b, in that order, the
// flat index of the parameter element that applies. The shape must have passed the check.
std::vector<std::int64_t> matmul_param_index(const Shape& param, const MatMulGeometry& geometry,
                                             MatMulOperand operand);

// Exact integer product of two int8/uint8 tensors after subtracting their zero points (each may
// be null, meaning 0), accumulated with 32-bit wraparound as the spec allows. Returns the
// output in row-major order of geometry.output_shape.
std::vector<std::int32_t> integer_matmul(const MatMulGeometry& geometry, const Tensor& a,
                                         const Tensor* a_zero_point, const Tensor& b,
                                         const Tensor* b_zero_point);

}  // namespace edgebench::engine::ops
