// What the protocol vectors are made of, shared by their writer (write_protocol_vectors.cc) and
// their test (protocol_vectors_test.cc), so that the test re-encodes exactly as the writer did.
#pragma once

#include <fmt/format.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/remote/protocol.h"

namespace edgebench::remote::vectors {

// The bytes Connection::send writes for one message, chunked at `chunk_bytes` (a socket pair
// stands in for the network).
inline Result<std::vector<std::byte>> sent_frames(MessageType type, std::uint32_t request_id,
                                                  std::span<const std::byte> payload,
                                                  std::uint32_t chunk_bytes) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return io_error("socketpair failed");
  {
    Connection sender(fds[0], Limits{});
    sender.set_send_chunk_limit(chunk_bytes);
    const Status sent = sender.send(type, request_id, payload, 5000);
    if (!sent.is_ok()) {
      ::close(fds[1]);
      return sent;
    }
  }  // closes fds[0]: the reader below sees the end
  std::vector<std::byte> frames;
  std::byte buf[4096];
  for (ssize_t n; (n = ::read(fds[1], buf, sizeof(buf))) > 0;) {
    frames.insert(frames.end(), buf, buf + n);
  }
  ::close(fds[1]);
  return frames;
}

inline std::string hex(std::span<const std::byte> bytes) {
  std::string out;
  for (std::byte b : bytes) out += fmt::format("{:02x}", std::to_integer<unsigned>(b));
  return out;
}

}  // namespace edgebench::remote::vectors
