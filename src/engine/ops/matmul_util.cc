#include "matmul_util.h"

#include "quant_util.h"

namespace edgebench::engine::ops {

Result<MatMulGeometry> matmul_geometry(const Shape& a, const Shape& b) {
  if (a.empty() || b.empty()) {
    return invalid_argument(fmt::format("matmul operands must have rank >= 1, got {} and {}",
                                        shape_to_string(a), shape_to_string(b)));
  }
  MatMulGeometry g;
  g.a_shape = a;
  g.b_shape = b;
  if (a.size() == 1) g.a_shape.insert(g.a_shape.begin(), 1);
  if (b.size() == 1) g.b_shape.push_back(1);
  const std::size_t ra = g.a_shape.size();
  const std::size_t rb = g.b_shape.size();
  g.m = g.a_shape[ra - 2];
  g.k = g.a_shape[ra - 1];
  g.n = g.b_shape[rb - 1];
  if (g.b_shape[rb - 2] != g.k) {
    return invalid_argument(fmt::format("inner dims differ: {} x {} (K = {} vs {})",
                                        shape_to_string(a), shape_to_string(b), g.k,
                                        g.b_shape[rb - 2]));
  }
  const Shape a_batch(g.a_shape.begin(), g.a_shape.end() - 2);
  const Shape b_batch(g.b_shape.begin(), g.b_shape.end() - 2);
  EB_ASSIGN_OR_RETURN(const Shape batch, broadcast_shapes(a_batch, b_batch));
  EB_ASSIGN_OR_RETURN(const std::uint64_t batch_count, checked_element_count(batch));
  g.output_shape = batch;
  if (a.size() > 1) g.output_shape.push_back(g.m);
  if (b.size() > 1) g.output_shape.push_back(g.n);
  EB_RETURN_IF_ERROR(checked_element_count(g.output_shape).status());
  g.a_matrix.reserve(batch_count);
  g.b_matrix.reserve(batch_count);
  for_each_broadcast<2>(batch, {a_batch, b_batch}, [&](std::int64_t, const auto& offsets) {
    g.a_matrix.push_back(offsets[0]);
    g.b_matrix.push_back(offsets[1]);
  });
  return g;
}

namespace {

// The space a parameter is indexed over: the operand's shape with its K dim set to 1.
Shape param_space(const MatMulGeometry& g, MatMulOperand operand) {
  Shape space = operand == MatMulOperand::kA ? g.a_shape : g.b_shape;
  space[space.size() - (operand == MatMulOperand::kA ? 1 : 2)] = 1;
  return space;
}

// A 1-D per-row parameter [M] means [M, 1]; a 1-D per-column one [N] already broadcasts.
Shape canonical_param_shape(const Shape& param, MatMulOperand operand) {
  if (is_per_tensor_shape(param)) return {};
  if (param.size() == 1 && operand == MatMulOperand::kA) return {param[0], 1};
  return param;
}

}  // namespace

Status check_matmul_param_shape(const Shape& param, const MatMulGeometry& geometry,
                                MatMulOperand operand, const std::string& what) {
  const Shape canonical = canonical_param_shape(param, operand);
  const Shape space = param_space(geometry, operand);
  bool fits = canonical.size() <= space.size();
  for (std::size_t i = 0; fits && i < canonical.size(); ++i) {
    const std::int64_t d = canonical[canonical.size() - 1 - i];
    fits = d == 1 || d == space[space.size() - 1 - i];
  }
  if (fits) return Status::ok();
  const bool is_a = operand == MatMulOperand::kA;
  return invalid_argument(fmt::format(
      "{} has shape {}; expected a scalar, {} {} elements (per {}) or a shape broadcastable to {}",
      what, shape_to_string(param), is_a ? "M =" : "N =", is_a ? geometry.m : geometry.n,
      is_a ? "row" : "column", shape_to_string(space)));
}

std::vector<std::int64_t> matmul_param_index(const Shape& param, const MatMulGeometry& geometry,
                                             MatMulOperand operand) {
  const Shape space = param_space(geometry, operand);
  std::vector<std::int64_t> index;
  index.reserve(static_cast<std::size_t>(element_count(space)));
  for_each_broadcast<1>(space, {canonical_param_shape(param, operand)},
                        [&](std::int64_t, const auto& offsets) { index.push_back(offsets[0]); });
  return index;
}

std::vector<std::int32_t> integer_matmul(const MatMulGeometry& g, const Tensor& a,
                                         const Tensor* a_zero_point, const Tensor& b,
                                         const Tensor* b_zero_point) {
  // Element i of a is in row (i / K) of the flattened (matrix, row) space; element i of b is
  // in column (i % N) of matrix (i / (K * N)).
  const std::vector<std::int64_t> a_zp_index =
      a_zero_point ? matmul_param_index(a_zero_point->shape(), g, MatMulOperand::kA)
                   : std::vector<std::int64_t>{};
  const std::vector<std::int64_t> b_zp_index =
      b_zero_point ? matmul_param_index(b_zero_point->shape(), g, MatMulOperand::kB)
                   : std::vector<std::int64_t>{};
  const std::int64_t k = g.k;
  const std::int64_t n = g.n;
  const std::vector<std::int32_t> a_values =
      centered_int8_values(a, a_zero_point, [&](std::int64_t i) {
        return a_zero_point ? a_zp_index[static_cast<std::size_t>(i / k)] : 0;
      });
  const std::vector<std::int32_t> b_values =
      centered_int8_values(b, b_zero_point, [&](std::int64_t i) {
        return b_zero_point ? b_zp_index[static_cast<std::size_t>(i / (k * n) * n + i % n)] : 0;
      });

  const std::int64_t m = g.m;
  std::vector<std::int32_t> out(static_cast<std::size_t>(g.batch_count() * m * n));
  for (std::int64_t batch = 0; batch < g.batch_count(); ++batch) {
    const std::int32_t* a_matrix = a_values.data() + g.a_matrix[batch] * m * k;
    const std::int32_t* b_matrix = b_values.data() + g.b_matrix[batch] * k * n;
    std::int32_t* y = out.data() + batch * m * n;
    for (std::int64_t i = 0; i < m; ++i) {
      for (std::int64_t j = 0; j < n; ++j) {
        // Each product fits easily (|x| <= 255); the sum wraps modulo 2^32 as the spec allows,
        // done in uint32 so that the wraparound is defined behaviour.
        std::uint32_t acc = 0;
        for (std::int64_t p = 0; p < k; ++p) {
          acc += static_cast<std::uint32_t>(a_matrix[i * k + p] * b_matrix[p * n + j]);
        }
        y[i * n + j] = static_cast<std::int32_t>(acc);
      }
    }
  }
  return out;
}

}  // namespace edgebench::engine::ops
