// The target daemon's server (`edgebench-target`): accepts one benchmark session at a time over
// the remote protocol (docs/protocol.md), runs the received model on a local backend and times
// each inference on the target itself.
//
// Threads: serve() runs the accept loop on the calling thread and each session on one worker
// thread; a client arriving while a session runs gets ERROR BUSY at once. stop() may be called
// from any thread or from a signal handler (it only writes to a pipe). Everything a client
// sends is untrusted: malformed input ends that session with an ERROR reply, never the server.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "edgebench/core/status.h"
#include "edgebench/remote/protocol.h"

namespace edgebench::target {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port (see Server::port())
  std::string backend = "native";
  std::optional<std::string> token;  // shared token; nullopt: no authentication
  remote::Limits limits;
  int idle_timeout_ms = 300'000;    // waiting for a session's next message
  int read_timeout_ms = 10'000;     // a message that stalls part way, and each reply written
  std::filesystem::path temp_root;  // where session folders go; empty: the system's temp dir
};

// Counters a test or the daemon's log can read (updated as sessions end).
struct ServerCounters {
  std::atomic<std::uint64_t> sessions{0};         // sessions that started (got past BUSY)
  std::atomic<std::uint64_t> busy_refusals{0};    // clients sent ERROR BUSY
  std::atomic<std::uint64_t> failed_sessions{0};  // ended by an error (bad frame, timeout, ...)
  std::atomic<std::uint64_t> processed{0};        // PROCESS requests that ran the model
};

class Server {
 public:
  // Binds and listens (kIoError naming the address when that fails); checks the backend name.
  static Result<std::unique_ptr<Server>> create(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const { return port_; }
  const ServerCounters& counters() const { return counters_; }

  // Accepts clients until stop(); then closes the running session (waiting for an inference in
  // progress to finish), removes its folder and returns OK.
  Status serve();
  // Async-signal-safe.
  void stop();

  // The session worker (public for the implementation file's helpers only).
  struct Session;

 private:
  Server(ServerOptions options, int listen_fd, std::uint16_t port, int wake_read, int wake_write);
  void refuse_busy(int fd);
  void end_session_thread();

  ServerOptions options_;
  int listen_fd_;
  std::uint16_t port_;
  int wake_read_, wake_write_;
  ServerCounters counters_;
  std::atomic<bool> session_active_{false};
  std::thread session_thread_;
  std::mutex session_mutex_;
  remote::Connection* session_connection_ = nullptr;  // guarded by session_mutex_
};

}  // namespace edgebench::target
