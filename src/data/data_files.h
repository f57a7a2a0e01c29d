// File helpers shared by the folder datasets (images:, npz:, npy:).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "edgebench/core/status.h"

namespace edgebench::data {

// Reads a whole regular file, refusing files larger than `max_bytes`. Errors name the file.
Result<std::string> read_whole_file(const std::filesystem::path& path, std::uint64_t max_bytes);

// Class labels from DIR/labels.txt: one integer in 0..1000000 per line (blank lines and a final
// newline allowed only at the end), exactly `count` lines. std::nullopt when there is no such
// file; errors name the file and the line.
Result<std::optional<std::vector<std::int64_t>>> read_labels_file(const std::filesystem::path& dir,
                                                                  std::size_t count);

}  // namespace edgebench::data
