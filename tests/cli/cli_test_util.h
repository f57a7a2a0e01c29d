// Runs the edgebench binary for end-to-end tests.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
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

}  // namespace edgebench::cli_test
