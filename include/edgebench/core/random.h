// Seeded random tensors for inputs and tests. The same seed, dtype and shape give the same
// values on every platform (the generator is std::mt19937_64 and the mapping is ours).
#pragma once

#include <cstdint>

#include "edgebench/core/tensor.h"

namespace edgebench {

struct RandomSpec {
  double low = 0.0;  // floating types: uniform in [low, high)
  double high = 1.0;
  std::int64_t int_low = 0;  // integer types: uniform in [int_low, int_high]
  std::int64_t int_high = 9;
};

Result<Tensor> random_tensor(DType dtype, const Shape& shape, std::uint64_t seed,
                             const RandomSpec& spec = {});

}  // namespace edgebench
