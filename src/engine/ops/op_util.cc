#include "op_util.h"

#include <algorithm>

namespace edgebench::engine::ops {

Result<int> normalize_axis(std::int64_t axis, int rank) {
  if (axis < -rank || axis >= std::max(rank, 1)) {
    return invalid_argument(fmt::format("axis {} is out of range for rank {}", axis, rank));
  }
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

Result<Shape> broadcast_shapes(std::span<const Shape> shapes) {
  std::size_t rank = 0;
  for (const Shape& s : shapes) rank = std::max(rank, s.size());
  Shape out(rank, 1);
  for (const Shape& s : shapes) {
    const std::size_t offset = rank - s.size();
    for (std::size_t i = 0; i < s.size(); ++i) {
      std::int64_t& o = out[offset + i];
      const std::int64_t d = s[i];
      if (d == o || d == 1) continue;
      if (o == 1) {
        o = d;
        continue;
      }
      std::vector<std::string> texts;
      for (const Shape& t : shapes) texts.push_back(shape_to_string(t));
      return invalid_argument(
          fmt::format("shapes {} cannot be broadcast together", fmt::join(texts, " and ")));
    }
  }
  return out;
}

Result<Shape> broadcast_shapes(const Shape& a, const Shape& b) {
  const Shape both[] = {a, b};
  return broadcast_shapes(std::span<const Shape>(both));
}

std::vector<std::int64_t> strides_of(const Shape& shape) {
  std::vector<std::int64_t> strides(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

std::vector<std::int64_t> broadcast_strides(const Shape& input, const Shape& output) {
  std::vector<std::int64_t> out(output.size(), 0);
  const std::vector<std::int64_t> in_strides = strides_of(input);
  const std::size_t offset = output.size() - input.size();
  for (std::size_t i = 0; i < input.size(); ++i) {
    out[offset + i] = input[i] == 1 ? 0 : in_strides[i];
  }
  return out;
}

}  // namespace edgebench::engine::ops
