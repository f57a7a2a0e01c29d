#include "common.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdio>

#include "edgebench/onnx/model_io.h"

namespace edgebench::cli {

int report_error(const Status& status) {
  std::fprintf(stderr, "edgebench: error: %s\n", status.message().c_str());
  return status.code() == StatusCode::kInternal ? kExitCheckFailed : kExitBadInput;
}

Result<ir::Graph> load_model_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return not_found(fmt::format("model '{}' does not exist", path));
  if (std::filesystem::is_directory(path, ec)) {
    return invalid_argument(fmt::format("model '{}' is a directory, expected an .onnx file", path));
  }
  return onnx::load_model(path);
}

Result<std::pair<std::string, std::string>> split_assignment(std::string_view text,
                                                             std::string_view flag) {
  const std::size_t eq = text.rfind('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size()) {
    return invalid_argument(fmt::format("{} expects NAME=VALUE, got '{}'", flag, text));
  }
  return std::pair<std::string, std::string>(std::string(text.substr(0, eq)),
                                             std::string(text.substr(eq + 1)));
}

Result<Shape> parse_shape(std::string_view text) {
  Shape shape;
  if (text.empty() || text == "scalar") return shape;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find_first_of("x,", pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view part = text.substr(pos, end - pos);
    std::int64_t d = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), d);
    if (ec != std::errc() || ptr != part.data() + part.size() || d < 0) {
      return invalid_argument(
          fmt::format("bad shape '{}': '{}' is not a non-negative integer", text, part));
    }
    shape.push_back(d);
    pos = end + 1;
  }
  EB_RETURN_IF_ERROR(checked_element_count(shape).status());
  return shape;
}

Result<std::map<std::string, Shape, std::less<>>> parse_input_shapes(
    const std::vector<std::string>& flags) {
  std::map<std::string, Shape, std::less<>> shapes;
  for (const std::string& flag : flags) {
    EB_ASSIGN_OR_RETURN(auto kv, split_assignment(flag, "--input-shape"));
    EB_ASSIGN_OR_RETURN(Shape shape, parse_shape(kv.second));
    shapes[kv.first] = std::move(shape);
  }
  return shapes;
}

std::string human_count(double value) {
  const char* units[] = {"", " k", " M", " G", " T"};
  int u = 0;
  while (value >= 1000.0 && u < 4) {
    value /= 1000.0;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f}", value) : fmt::format("{:.2f}{}", value, units[u]);
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 4) {
    bytes /= 1024.0;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[u]);
}

std::string sanitize_file_name(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  if (out.empty() || out == "." || out == "..") out = "_" + out;
  return out;
}

}  // namespace edgebench::cli
