// libFuzzer target: arbitrary bytes through the .npy parser (parse_npy, the in-memory entry that
// read_npy and the .npz reader use). Findings are crashes, sanitizer reports and broken
// invariants (abort): an accepted array must hold exactly its shape's elements and must come
// back unchanged from write and read. Seeds: tests/fuzz/make_data_seeds.py (NumPy's own files).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>

#include "edgebench/core/npy.h"
#include "invariant.h"

using edgebench::fuzz::broken;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto bytes = std::as_bytes(std::span(data, size));
  edgebench::Result<edgebench::Tensor> tensor = edgebench::parse_npy(bytes, "fuzz-input");
  if (!tensor.is_ok()) {
    if (tensor.status().message().find("fuzz-input") == std::string::npos) {
      broken("error message does not name the input");
    }
    return 0;
  }
  // An empty array may have huge other dimensions ((0, 2^60) is valid), so the product is only
  // formed when no dimension is zero, and then it must fit.
  std::int64_t elements = 1;
  bool empty = false;
  for (std::int64_t d : tensor->shape()) {
    if (d < 0) broken("negative dimension accepted");
    empty = empty || d == 0;
  }
  for (std::int64_t d : tensor->shape()) {
    if (empty) break;
    if (__builtin_mul_overflow(elements, d, &elements)) broken("element count overflows");
  }
  if (empty) elements = 0;
  if (elements != tensor->element_count()) broken("element count differs from the shape's");
  const std::string again = edgebench::serialize_npy(*tensor);
  edgebench::Result<edgebench::Tensor> back =
      edgebench::parse_npy(std::as_bytes(std::span(again.data(), again.size())), "round trip");
  if (!back.is_ok()) broken("a written array is not read back");
  if (back->dtype() != tensor->dtype() || back->shape() != tensor->shape() ||
      back->byte_size() != tensor->byte_size() ||
      (tensor->byte_size() > 0 &&
       std::memcmp(back->raw_data(), tensor->raw_data(), tensor->byte_size()) != 0)) {
    broken("array changed through write and read");
  }
  return 0;
}
