// NumPy .npy files (format versions 1.0, 2.0 and 3.0): little-endian, C order.
// Fortran order, object arrays (pickles), big-endian and unknown dtypes are rejected with a
// message naming the file and the header field; truncated data is detected before reading.
#pragma once

#include <filesystem>
#include <span>
#include <string_view>

#include "edgebench/core/status.h"
#include "edgebench/core/tensor.h"

namespace edgebench {

Result<Tensor> read_npy(const std::filesystem::path& path);
// Parses an in-memory .npy image; `source_name` names it in messages.
Result<Tensor> parse_npy(std::span<const std::byte> bytes, std::string_view source_name);
Status write_npy(const std::filesystem::path& path, const Tensor& tensor);
std::string serialize_npy(const Tensor& tensor);

}  // namespace edgebench
