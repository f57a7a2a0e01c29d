#include "edgebench/core/random.h"

#include <random>

namespace edgebench {

Result<Tensor> random_tensor(DType dtype, const Shape& shape, std::uint64_t seed,
                             const RandomSpec& spec) {
  EB_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(dtype, shape));
  std::mt19937_64 rng(seed);
  // Map raw 64-bit draws ourselves: std::uniform_*_distribution differ between libraries.
  auto unit = [&rng] { return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0); };
  const std::int64_t n = t.element_count();
  if (dtype == DType::kFloat16) {
    for (std::int64_t i = 0; i < n; ++i) {
      t.data<std::uint16_t>()[i] =
          float_to_half(static_cast<float>(spec.low + (spec.high - spec.low) * unit()));
    }
    return t;
  }
  const auto span = static_cast<std::uint64_t>(spec.int_high - spec.int_low + 1);
  dispatch_dtype(dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    T* data = t.data<T>();
    for (std::int64_t i = 0; i < n; ++i) {
      if constexpr (std::is_same_v<T, bool>) {
        data[i] = (rng() & 1u) != 0;
      } else if constexpr (std::is_floating_point_v<T>) {
        data[i] = static_cast<T>(spec.low + (spec.high - spec.low) * unit());
      } else {
        data[i] = static_cast<T>(spec.int_low + static_cast<std::int64_t>(rng() % span));
      }
    }
  });
  return t;
}

}  // namespace edgebench
