// Reading the kernel's small text files (/proc, /sys) for the measure module: resource use
// (resources.cc) and run conditions (conditions.cc). Internal to src/measure.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace edgebench::measure {

// The whole of a small text file, read with plain POSIX calls so that a directory, a permission
// error or an I/O error all come back as nullopt (at most about 1 MiB is read).
std::optional<std::string> read_small_file(const std::filesystem::path& path);

// `s` without leading and trailing spaces, tabs and line ends.
std::string_view trim(std::string_view s);

// A whole (trimmed) text as an unsigned decimal; nullopt for anything else.
std::optional<std::uint64_t> parse_u64(std::string_view text);

// read_small_file, then parse_u64.
std::optional<std::uint64_t> read_u64_file(const std::filesystem::path& path);

}  // namespace edgebench::measure
