// edgebench-target as a child process on a free loopback port, for end-to-end tests.
#pragma once

#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace edgebench::remote {

// The words EDGEBENCH_TARGET_COMMAND holds (split at spaces), or this build's edgebench-target:
// bench/arm64_emulated.sh runs the target tests against the arm64 build under qemu this way.
inline std::vector<std::string> target_command() {
  const char* given = std::getenv("EDGEBENCH_TARGET_COMMAND");
  if (given == nullptr || *given == '\0') return {EDGEBENCH_TARGET_BINARY};
  std::vector<std::string> words;
  std::string word;
  for (const char* c = given;; ++c) {
    if (*c == ' ' || *c == '\0') {
      if (!word.empty()) words.push_back(word);
      word.clear();
      if (*c == '\0') break;
    } else {
      word += *c;
    }
  }
  return words;
}

// The daemon as a child process. Its session folders go to `tmp` (TMPDIR).
class Target {
 public:
  explicit Target(std::vector<std::string> args, const std::filesystem::path& tmp) {
    int out[2];
    if (::pipe(out) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::close(out[0]);
      ::close(out[1]);
      ::setenv("TMPDIR", tmp.c_str(), 1);
      std::vector<std::string> all = target_command();
      all.insert(all.end(), {"--listen", "127.0.0.1:0"});
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    stdout_ = ::fdopen(out[0], "r");
    std::array<char, 512> line{};
    if (std::fgets(line.data(), line.size(), stdout_) != nullptr) {
      const std::string text = line.data();
      const auto colon = text.find("127.0.0.1:");
      if (colon != std::string::npos) port_ = std::stoi(text.substr(colon + 10));
    }
  }
  ~Target() {
    if (pid_ > 0) stop();
    if (stdout_) std::fclose(stdout_);
  }
  std::uint16_t port() const { return static_cast<std::uint16_t>(port_); }
  std::string address() const { return fmt::format("tcp://127.0.0.1:{}", port_); }
  bool alive() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }
  // SIGTERM; the exit status (-1 if it did not exit normally within 10 s).
  int stop() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 1000; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return -1;
  }

 private:
  pid_t pid_ = -1;
  FILE* stdout_ = nullptr;
  int port_ = 0;
};

}  // namespace edgebench::remote
