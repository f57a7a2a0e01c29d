#include "edgebench/core/temp_dir.h"

#include <fmt/format.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace edgebench {

Result<std::filesystem::path> make_private_dir(std::string_view prefix,
                                               const std::filesystem::path& root) {
  std::filesystem::path base = root;
  if (base.empty()) {
    std::error_code ec;
    base = std::filesystem::temp_directory_path(ec);
    if (ec) base = "/tmp";
  }
  std::string pattern = (base / fmt::format("{}-XXXXXX", prefix)).string();
  if (::mkdtemp(pattern.data()) == nullptr) {  // mode 0700
    return io_error(
        fmt::format("cannot create a folder under {}: {}", base.string(), std::strerror(errno)));
  }
  return std::filesystem::path(pattern);
}

Result<ScratchDir> ScratchDir::create(std::string_view prefix) {
  EB_ASSIGN_OR_RETURN(std::filesystem::path path, make_private_dir(prefix));
  return ScratchDir(std::move(path));
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

}  // namespace edgebench
