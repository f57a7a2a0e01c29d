// Runs the edgebench binary for end-to-end tests.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace edgebench::cli_test {

struct CommandResult {
  int exit_code;
  std::string output;  // stdout and stderr together
};

// Runs `edgebench ARGS` through the shell and collects its output and exit code.
inline CommandResult edgebench(const std::string& args) {
  const std::string command = std::string(EDGEBENCH_BINARY) + " " + args + " 2>&1";
  CommandResult r{-1, {}};
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) r.output += buffer.data();
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// An empty folder `<tmp>/eb_<name>_<pid>` (emptied when it exists).
inline std::filesystem::path fresh_temp_dir(const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("eb_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// The JSON document in `path`; a discarded value (is_discarded()) when it does not parse.
inline nlohmann::json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
}

}  // namespace edgebench::cli_test
