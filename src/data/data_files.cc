#include "data_files.h"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <iterator>
#include <string_view>

namespace edgebench::data {

namespace fs = std::filesystem;

namespace {

// A labels file with more lines than this is not one line per sample of any folder we read.
constexpr std::uint64_t kMaxLabelsBytes = std::uint64_t{64} << 20;
// num_classes is the largest label + 1; far more classes than any classifier has is a typo.
constexpr std::int64_t kMaxClassIndex = 1'000'000;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

Result<std::string> read_whole_file(const fs::path& path, std::uint64_t max_bytes) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return not_found(fmt::format("'{}': not a regular file", path.string()));
  }
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) return io_error(fmt::format("'{}': cannot stat: {}", path.string(), ec.message()));
  if (size > max_bytes) {
    return out_of_range(
        fmt::format("'{}': {} bytes, over the limit of {} bytes", path.string(), size, max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error(fmt::format("'{}': cannot open for reading", path.string()));
  std::string bytes(static_cast<std::size_t>(size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (static_cast<std::uintmax_t>(in.gcount()) != size) {
    return io_error(
        fmt::format("'{}': short read ({} of {} bytes)", path.string(), in.gcount(), size));
  }
  return bytes;
}

Result<std::optional<std::vector<std::int64_t>>> read_labels_file(const fs::path& dir,
                                                                  std::size_t count) {
  const fs::path path = dir / "labels.txt";
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::optional<std::vector<std::int64_t>>();
  EB_ASSIGN_OR_RETURN(std::string text, read_whole_file(path, kMaxLabelsBytes));
  std::vector<std::int64_t> labels;
  std::string_view rest = text;
  std::size_t line_number = 0;
  bool seen_blank = false;
  while (!rest.empty()) {
    const std::size_t newline = rest.find('\n');
    const std::string_view line = trim(rest.substr(0, newline));
    rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    ++line_number;
    if (line.empty()) {
      seen_blank = true;
      continue;
    }
    if (seen_blank) {
      return invalid_argument(
          fmt::format("'{}': line {}: a label after a blank line", path.string(), line_number));
    }
    std::int64_t value = 0;
    const auto [ptr, err] = std::from_chars(line.data(), line.data() + line.size(), value);
    if (err != std::errc() || ptr != line.data() + line.size() || value < 0) {
      return invalid_argument(fmt::format("'{}': line {}: '{}' is not a non-negative integer",
                                          path.string(), line_number, line));
    }
    if (value > kMaxClassIndex) {
      return out_of_range(fmt::format("'{}': line {}: label {} is over the limit of {}",
                                      path.string(), line_number, value, kMaxClassIndex));
    }
    labels.push_back(value);
  }
  if (labels.size() != count) {
    return invalid_argument(fmt::format("'{}': {} labels for {} samples (one line per sample)",
                                        path.string(), labels.size(), count));
  }
  return std::optional<std::vector<std::int64_t>>(std::move(labels));
}

}  // namespace edgebench::data
