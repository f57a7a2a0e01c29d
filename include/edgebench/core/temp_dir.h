// Private scratch folders: mode 0700 with an unguessable name (mkdtemp), under the system's
// temporary folder or a given root.
#pragma once

#include <filesystem>
#include <string_view>

#include "edgebench/core/status.h"

namespace edgebench {

// Creates ROOT/PREFIX-XXXXXX and returns its path. ROOT defaults to the temporary folder
// (TMPDIR, else /tmp). The error names the root and the system's reason.
Result<std::filesystem::path> make_private_dir(std::string_view prefix,
                                               const std::filesystem::path& root = {});

// A private folder removed, with everything in it, when this goes out of scope.
class ScratchDir {
 public:
  static Result<ScratchDir> create(std::string_view prefix);
  ScratchDir(ScratchDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  ScratchDir& operator=(ScratchDir&&) = delete;
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir();

  const std::filesystem::path& path() const { return path_; }

 private:
  explicit ScratchDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

}  // namespace edgebench
