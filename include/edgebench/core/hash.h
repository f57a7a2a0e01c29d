// Content hashes for result provenance.
#pragma once

#include <filesystem>
#include <span>
#include <string>

#include "edgebench/core/status.h"

namespace edgebench {

// Lower-case hex SHA-256 of a file's bytes.
Result<std::string> sha256_file(const std::filesystem::path& path);
std::string sha256_hex(std::span<const std::byte> bytes);

}  // namespace edgebench
