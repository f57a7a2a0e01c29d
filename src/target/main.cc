// edgebench-target: the daemon that runs on the board. It serves one benchmark session at a time
// over the remote protocol (docs/protocol.md):
//   edgebench-target --listen HOST:PORT [--token-file FILE] [--max-model-bytes N]
//                    [--max-tensor-bytes N] [--max-frame-bytes N]
//                    [--backend native|native-ref|null] [--idle-timeout SEC] [--read-timeout SEC]
// It binds 127.0.0.1 unless told otherwise (also for --listen PORT). SIGTERM or SIGINT closes the
// session in progress and exits with status 0. With port 0 it listens on a free port; the first
// line it prints names it
// ("edgebench-target: listening on HOST:PORT"), for scripts and tests.
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "edgebench/remote/protocol.h"
#include "edgebench/target/server.h"

namespace {

edgebench::target::Server* g_server = nullptr;

void on_signal(int) {
  if (g_server != nullptr) g_server->stop();
}

edgebench::Result<std::string> read_token(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return edgebench::not_found(fmt::format("--token-file {}: cannot open it", path));
  std::ostringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
    token.pop_back();
  }
  if (token.empty()) {
    return edgebench::invalid_argument(fmt::format("--token-file {}: the file is empty", path));
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    std::fprintf(stderr, "edgebench-target: warning: %s is readable by other users\n",
                 path.c_str());
  }
  return token;
}

int fail(const edgebench::Status& status) {
  std::fprintf(stderr, "edgebench-target: error: %s\n", status.to_string().c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"edgebench-target: runs models sent by `edgebench --backend tcp://HOST:PORT`"};
  std::string listen = "127.0.0.1:7878";
  std::string token_file;
  std::uint64_t max_model_bytes = 0;
  std::uint64_t max_tensor_bytes = 0;
  std::uint32_t max_frame_bytes = 0;
  std::string backend = "native";
  double idle_timeout_s = 300;
  double read_timeout_s = 10;
  app.add_option("--listen", listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--token-file", token_file,
                 "file holding a shared token that clients must send (AUTH)");
  app.add_option("--max-model-bytes", max_model_bytes, "largest model accepted (bytes)");
  app.add_option("--max-tensor-bytes", max_tensor_bytes, "largest tensor accepted (bytes)");
  app.add_option("--max-frame-bytes", max_frame_bytes,
                 "largest frame payload accepted (bytes; longer messages come in chunks)");
  app.add_option("--backend", backend, "backend that runs the models: native, native-ref, null")
      ->capture_default_str();
  app.add_option("--idle-timeout", idle_timeout_s, "seconds a session may stay silent")
      ->capture_default_str();
  app.add_option("--read-timeout", read_timeout_s,
                 "seconds a message may stall part way (also bounds each reply's write)")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  // A bare port (or ":PORT") listens on loopback only.
  if (listen.find(':') == std::string::npos) listen = "127.0.0.1:" + listen;
  if (listen.front() == ':') listen = "127.0.0.1" + listen;
  auto address = edgebench::remote::parse_host_port(listen, /*allow_port_zero=*/true);
  if (!address.is_ok()) return fail(address.status().with_context("--listen"));
  if (!(idle_timeout_s > 0 && idle_timeout_s < 1e6 && read_timeout_s > 0 && read_timeout_s < 1e6)) {
    return fail(edgebench::invalid_argument("timeouts must be between 0 and 1e6 seconds"));
  }
  edgebench::target::ServerOptions options;
  options.host = address->first;
  options.port = address->second;
  options.backend = backend;
  options.idle_timeout_ms = static_cast<int>(idle_timeout_s * 1000);
  options.read_timeout_ms = static_cast<int>(read_timeout_s * 1000);
  if (max_model_bytes > 0) options.limits.max_model_bytes = max_model_bytes;
  if (max_frame_bytes > 0) {
    if (max_frame_bytes < 4096) {
      return fail(edgebench::invalid_argument("--max-frame-bytes must be at least 4096"));
    }
    options.limits.max_frame_payload = max_frame_bytes;
  }
  if (max_tensor_bytes > 0) {
    options.limits.max_tensor_bytes = max_tensor_bytes;
    options.limits.max_tensor_list_bytes =
        std::max(options.limits.max_tensor_list_bytes, max_tensor_bytes);
  }
  if (!token_file.empty()) {
    auto token = read_token(token_file);
    if (!token.is_ok()) return fail(token.status());
    options.token = std::move(token).value();
  }

  auto server = edgebench::target::Server::create(options);
  if (!server.is_ok()) return fail(server.status());
  g_server = server->get();
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const std::string shown =
      options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
  std::printf("edgebench-target: listening on %s:%u (backend %s%s)\n", shown.c_str(),
              static_cast<unsigned>((*server)->port()), backend.c_str(),
              options.token ? ", token required" : "");
  std::fflush(stdout);
  edgebench::Status st = (*server)->serve();
  const auto& c = (*server)->counters();
  std::printf(
      "edgebench-target: stopped after %llu sessions (%llu busy refusals, %llu ended by "
      "an error)\n",
      static_cast<unsigned long long>(c.sessions.load()),
      static_cast<unsigned long long>(c.busy_refusals.load()),
      static_cast<unsigned long long>(c.failed_sessions.load()));
  g_server = nullptr;
  server->reset();
  if (!st.is_ok()) return fail(st);
  return 0;
}
