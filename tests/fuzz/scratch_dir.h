// A private folder for fuzz targets whose reader takes only paths (dataset folders): made once
// per process under $TMPDIR, else in memory (/dev/shm, ten times the executions per second of a
// disk-backed /tmp), emptied and removed at exit.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace edgebench::fuzz {

class ScratchDir {
 public:
  ScratchDir() {
    const bool in_memory = std::getenv("TMPDIR") == nullptr && access("/dev/shm", W_OK) == 0;
    const std::filesystem::path base =
        in_memory ? std::filesystem::path("/dev/shm") : std::filesystem::temp_directory_path();
    std::string pattern = (base / "eb_fuzz_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    path_ = pattern;
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

  // Replaces `name` in the folder with `size` bytes.
  std::filesystem::path write(const std::string& name, const std::uint8_t* data,
                              std::size_t size) const {
    const std::filesystem::path file = path_ / name;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    out.close();
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", file.c_str());
      std::abort();
    }
    return file;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace edgebench::fuzz
