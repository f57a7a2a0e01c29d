// The edgebench remote protocol: how the host (`--backend tcp://HOST:PORT`) drives a target
// daemon (`edgebench-target`). docs/protocol.md describes the wire format byte by byte.
//
// A message travels as one or more frames. Every frame has a fixed 20-byte little-endian header
// (magic, version, type, flags, request id, payload length, CRC32 over the header fields and
// the payload); a message larger than one frame's payload limit is split into chunks, every
// chunk but the last carrying kFlagMore. Payloads are raw bytes (MODEL), tensor lists (DATA,
// OUTPUT) or JSON objects (everything else).
//
// Everything that arrives from the wire is untrusted: every length and count is checked against
// the Limits and against the bytes actually present before it is used; failures come back as
// Status values (kDataLoss: malformed or corrupt; kOutOfRange: over a limit), never as crashes.
// Nothing here keeps global state; the classes are not thread-safe (one per connection).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/core/tensor.h"

namespace edgebench::remote {

inline constexpr std::uint32_t kFrameMagic = 0x50524245;  // bytes 'E' 'B' 'R' 'P'
inline constexpr std::uint8_t kProtocolVersion = 1;
inline constexpr std::size_t kFrameHeaderBytes = 20;

// Wire values are fixed here (never list positions).
enum class MessageType : std::uint8_t {
  kHello = 1,    // both ways: JSON (client: version; target: version + capabilities)
  kAuth = 2,     // client: the shared token (raw bytes)
  kModel = 3,    // client: a serialized ONNX model (raw bytes, usually chunked)
  kIoSpec = 4,   // client: compile options (JSON); target: input/output specs (JSON)
  kData = 5,     // client: input tensors (tensor list)
  kProcess = 6,  // client: run once (empty); target answers OK with {"target_ms": ...}
  kOutput = 7,   // client: request the outputs (empty); target: output tensors (tensor list)
  kStats = 8,    // both ways: target statistics (JSON)
  kPing = 9,     // client: liveness (any payload, echoed in the OK)
  kOk = 10,      // target: success (JSON object or empty)
  kError = 11,   // target: failure (error payload)
};

// "HELLO", "MODEL", ...; "UNKNOWN(n)" for values outside the enum.
std::string message_type_name(MessageType type);
bool is_known_message_type(std::uint8_t value);

inline constexpr std::uint16_t kFlagMore = 0x0001;  // more chunks of this message follow
inline constexpr std::uint16_t kKnownFlags = kFlagMore;

enum class ErrorCode : std::uint16_t {
  kBusy = 1,      // another session is running
  kAuth = 2,      // missing or wrong token
  kBadFrame = 3,  // malformed frame: magic, version, type, flags, CRC, chunk sequence
  kTooLarge = 4,  // a frame, message, model or tensor over the target's limits
  kBadModel = 5,  // the model does not import or does not compile
  kBadInput = 6,  // a tensor list or option that does not fit the model
  kInternal = 7,  // the target failed (inference error, I/O)
  kBadState = 8,  // a message that is not valid at this point of the session
  kVersion = 9,   // protocol version not spoken by the target
  kTimeout = 10,  // the client was idle or stalled mid-message for too long
};
std::string error_code_name(ErrorCode code);

// Sizes the decoder accepts. Defaults suit a board with a few hundred MiB of memory.
struct Limits {
  std::uint32_t max_frame_payload = 4u << 20;  // one frame's payload
  std::uint64_t max_model_bytes = std::uint64_t{256} << 20;
  std::uint64_t max_tensor_bytes = std::uint64_t{256} << 20;       // one tensor's data
  std::uint64_t max_tensor_list_bytes = std::uint64_t{512} << 20;  // a DATA/OUTPUT message
  std::uint64_t max_control_bytes = 1u << 20;  // JSON, AUTH, PING, ERROR messages
  std::uint32_t max_rank = 16;
  std::uint32_t max_tensors = 1024;  // per tensor list
  std::uint32_t max_name_bytes = 4096;

  // The largest whole message of `type` (over all its chunks).
  std::uint64_t max_message_bytes(MessageType type) const;
};

struct FrameHeader {
  MessageType type = MessageType::kPing;
  std::uint16_t flags = 0;
  std::uint32_t request_id = 0;
  std::uint32_t payload_bytes = 0;
  std::uint32_t crc32 = 0;
  bool more() const { return (flags & kFlagMore) != 0; }
};

using HeaderBytes = std::array<std::byte, kFrameHeaderBytes>;

// The header with its CRC32 computed over the first 16 header bytes followed by `payload`
// (which may be given in pieces: the CRC runs over their concatenation).
HeaderBytes encode_frame_header(MessageType type, std::uint16_t flags, std::uint32_t request_id,
                                std::span<const std::span<const std::byte>> payload);

// Checks magic, version, type, flags and payload length against the limits (without the
// payload: its CRC is checked by verify_frame_crc once it is read).
Result<FrameHeader> parse_frame_header(std::span<const std::byte> bytes, const Limits& limits);
// The CRC32 (zlib's) a header carries: over its first 16 bytes, then the payload.
std::uint32_t frame_crc32(std::span<const std::byte> header_first16,
                          std::span<const std::byte> payload);
Status verify_frame_crc(std::span<const std::byte> header_bytes,
                        std::span<const std::byte> payload);

struct Frame {
  FrameHeader header;
  std::vector<std::byte> payload;
};

// Incremental decoder over a byte stream: feed whatever arrived, take complete frames. A
// header is validated as soon as its 20 bytes are present, before any payload is buffered,
// so a frame claiming 4 GiB fails at once. After an error the stream is out of sync: the
// decoder stays failed.
class FrameDecoder {
 public:
  explicit FrameDecoder(Limits limits) : limits_(limits) {}
  void append(std::span<const std::byte> bytes);
  // A complete frame, nullopt when more bytes are needed, or the error.
  Result<std::optional<Frame>> next();
  std::size_t buffered_bytes() const { return buffer_.size() - consumed_; }

 private:
  Limits limits_;
  std::vector<std::byte> buffer_;
  std::size_t consumed_ = 0;
  std::optional<Status> failed_;
};

struct Message {
  MessageType type = MessageType::kPing;
  std::uint32_t request_id = 0;
  std::vector<std::byte> payload;
};

// Joins the chunks of one message: every chunk has the first chunk's type and request id, and
// the running total is checked against the message limit of the type before a chunk is taken
// (check_next() lets a socket reader refuse a chunk from its header alone).
class MessageAssembler {
 public:
  explicit MessageAssembler(Limits limits) : limits_(limits) {}
  Status check_next(const FrameHeader& header) const;
  // The complete message when `frame` was its last chunk.
  Result<std::optional<Message>> add(Frame frame);
  bool in_progress() const { return in_progress_; }

 private:
  Limits limits_;
  bool in_progress_ = false;
  Message partial_;
};

// --- payload codecs ---------------------------------------------------------------------

// Tensor list: u32 count, then per tensor u16 name length, name, u8 dtype (ONNX
// TensorProto.DataType code), u8 rank, rank x i64 dims, u64 data length, data.
struct NamedTensor {
  std::string name;
  Tensor tensor;
};

// The payload as pieces that reference the tensors' memory (no copy of the data): metadata
// pieces live in `scratch`, which must outlive the pieces. Fails for dtypes without a wire code.
Status encode_tensor_list(std::span<const std::string_view> names, std::span<const Tensor> tensors,
                          std::vector<std::byte>& scratch,
                          std::vector<std::span<const std::byte>>& pieces);
// One contiguous payload (tests, small lists).
Result<std::vector<std::byte>> encode_tensor_list(std::span<const NamedTensor> tensors);
Result<std::vector<NamedTensor>> decode_tensor_list(std::span<const std::byte> payload,
                                                    const Limits& limits);
// The same into `out`, reusing the buffer of each tensor already there with the same dtype and
// shape (a receiver decoding the same inputs again and again then allocates nothing). Tensors
// are handles: whoever shares one of them sees it overwritten. On error `out` is unspecified.
Status decode_tensor_list_into(std::span<const std::byte> payload, const Limits& limits,
                               std::vector<NamedTensor>& out);

// ONNX TensorProto.DataType code <-> DType (nullopt: not carried).
std::optional<std::uint8_t> dtype_wire_code(DType dtype);
std::optional<DType> dtype_from_wire_code(std::uint8_t code);

// JSON payloads: a JSON object, at most limits.max_control_bytes.
std::vector<std::byte> encode_json(const nlohmann::json& object);
Result<nlohmann::json> decode_json(std::span<const std::byte> payload, const Limits& limits);

// ERROR payload: u16 code, u32 message length, UTF-8 message (at most 64 KiB is sent).
struct ErrorInfo {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};
std::vector<std::byte> encode_error(ErrorCode code, std::string_view message);
Result<ErrorInfo> decode_error(std::span<const std::byte> payload, const Limits& limits);

// --- socket I/O -------------------------------------------------------------------------

// Timeouts in milliseconds; negative: wait forever.
// Reads exactly bytes.size() bytes. kIoError "connection closed" when the peer closes first,
// "timed out" after timeout_ms without progress.
Status read_exact(int fd, std::span<std::byte> bytes, int timeout_ms);
// Whether a status from the I/O functions below is a timeout (rather than a close or an error).
bool is_timeout(const Status& status);
// Writes all pieces (gathered writes, MSG_NOSIGNAL), timing out after timeout_ms without
// progress.
Status write_all(int fd, std::span<const std::span<const std::byte>> pieces, int timeout_ms);

// One end of a connection: owns the socket, frames outgoing messages into chunks and
// reassembles incoming ones. Reads are buffered; large payloads are read straight into place.
class Connection {
 public:
  Connection(int fd, Limits limits);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd() const { return fd_; }
  const Limits& limits() const { return limits_; }
  // Sent frames carry at most this much payload (the peer's frame limit; default: ours, and
  // never more than 1 MiB, so that a long message is checked chunk by chunk as it streams).
  void set_send_chunk_limit(std::uint32_t bytes);

  // Sends one message, split into chunks of at most limits.max_frame_payload.
  Status send(MessageType type, std::uint32_t request_id,
              std::span<const std::span<const std::byte>> payload, int timeout_ms);
  Status send(MessageType type, std::uint32_t request_id, std::span<const std::byte> payload,
              int timeout_ms);
  // Several messages in one gathered write (the host pipelines DATA, PROCESS and OUTPUT).
  struct Outgoing {
    MessageType type;
    std::uint32_t request_id;
    std::span<const std::span<const std::byte>> payload;
  };
  Status send_batch(std::span<const Outgoing> messages, int timeout_ms);

  // Receives one whole message: waits up to idle_timeout_ms for its first byte, then up to
  // read_timeout_ms for each further piece. Errors: kIoError (closed, timed out, OS error),
  // kDataLoss (malformed frame, bad CRC, broken chunk sequence), kOutOfRange (over a limit).
  Result<Message> receive(int idle_timeout_ms, int read_timeout_ms);
  // The same into `message`, reusing its payload's memory.
  Status receive(Message& message, int idle_timeout_ms, int read_timeout_ms);

  // Before sleeping until a message arrives, check for it without blocking for up to this
  // many microseconds (0: sleep at once). A host waiting for a short inference on a loopback or
  // LAN target spends fewer microseconds waking up this way, at the cost of a busy core.
  void set_busy_poll_us(int us) { busy_poll_us_ = us; }

  // Whether a whole frame already sits in the receive buffer (the peer pipelined requests):
  // the next receive() will not wait for it.
  bool has_buffered_frame() const;

  // Closes both directions (wakes a thread blocked in receive on this connection).
  void shutdown();

 private:
  Status read_bytes(std::span<std::byte> out, int timeout_ms);
  Status append_frames(MessageType type, std::uint32_t request_id,
                       std::span<const std::span<const std::byte>> payload, int timeout_ms);

  int fd_;
  Limits limits_;
  std::vector<std::byte> rx_;  // buffered bytes not yet consumed: rx_[rx_begin_, rx_end_)
  std::size_t rx_begin_ = 0;
  std::size_t rx_end_ = 0;
  std::size_t send_chunk_;
  int busy_poll_us_ = 0;
  // Outgoing frame headers and the gathered pieces of one send (reused between sends).
  std::vector<HeaderBytes> tx_headers_;
  std::vector<std::span<const std::byte>> tx_pieces_;
};

// "HOST:PORT" (HOST may be [v6]) -> host and port; port 0 allowed when allow_port_zero.
Result<std::pair<std::string, std::uint16_t>> parse_host_port(std::string_view text,
                                                              bool allow_port_zero);
// A connected TCP socket (TCP_NODELAY set), or the error naming the address.
Result<int> connect_tcp(const std::string& host, std::uint16_t port, int timeout_ms);
// A listening TCP socket (SO_REUSEADDR) and the port it got (useful with port 0).
Result<std::pair<int, std::uint16_t>> listen_tcp(const std::string& host, std::uint16_t port);

}  // namespace edgebench::remote
