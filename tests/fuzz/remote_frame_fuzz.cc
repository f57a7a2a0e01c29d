// libFuzzer target: arbitrary bytes through the remote protocol's frame decoder, chunk
// reassembler and payload decoders (tensor lists, JSON, ERROR), the code a target runs on
// whatever a client sends. The first byte picks a mode:
//   bit 0  repair the CRC of every frame header found, so that mutations reach the
//          reassembler and payload decoders instead of stopping at the checksum;
//   bits 1-3  how the stream is split when fed to the decoder (1..128 bytes at a time).
// The rest of the input is also decoded directly as each payload kind. Findings are crashes,
// sanitizer reports and broken invariants (abort): what decodes must encode to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "edgebench/remote/protocol.h"

namespace {

namespace remote = edgebench::remote;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

remote::Limits fuzz_limits() {
  // Small limits so that the fuzzer reaches them.
  remote::Limits limits;
  limits.max_frame_payload = 4096;
  limits.max_model_bytes = 16384;
  limits.max_tensor_bytes = 8192;
  limits.max_tensor_list_bytes = 16384;
  limits.max_control_bytes = 4096;
  limits.max_rank = 8;
  limits.max_tensors = 16;
  limits.max_name_bytes = 64;
  return limits;
}

void decode_payload(remote::MessageType type, std::span<const std::byte> payload,
                    const remote::Limits& limits) {
  using remote::MessageType;
  switch (type) {
    case MessageType::kData:
    case MessageType::kOutput: {
      auto list = remote::decode_tensor_list(payload, limits);
      if (!list.is_ok()) return;
      auto again = remote::encode_tensor_list(*list);
      if (!again.is_ok()) fail("decoded tensor list does not encode");
      if (again->size() != payload.size() ||
          std::memcmp(again->data(), payload.data(), payload.size()) != 0) {
        fail("tensor list does not round-trip");
      }
      return;
    }
    case MessageType::kError: {
      auto error = remote::decode_error(payload, limits);
      if (!error.is_ok()) return;
      if (remote::error_code_name(error->code).empty()) fail("error code without a name");
      return;
    }
    case MessageType::kModel:
    case MessageType::kAuth:
    case MessageType::kPing:
    case MessageType::kProcess: return;  // raw bytes: nothing to decode here
    default: {
      auto json = remote::decode_json(payload, limits);
      if (json.is_ok() && !json->is_object()) fail("JSON payload accepted but not an object");
      return;
    }
  }
}

// Rewrites the CRC field of each frame header in `bytes` (walking frame by frame) so that it
// matches the header fields and payload as they are.
void repair_crcs(std::vector<std::byte>& bytes) {
  std::size_t at = 0;
  while (at + remote::kFrameHeaderBytes <= bytes.size()) {
    std::uint32_t length = 0;
    for (int i = 0; i < 4; ++i) {
      length |= std::to_integer<std::uint32_t>(bytes[at + 12 + i]) << (8 * i);
    }
    if (length > bytes.size() - at - remote::kFrameHeaderBytes) return;
    const std::uint32_t crc =
        remote::frame_crc32(std::span(bytes).subspan(at, 16),
                            std::span(bytes).subspan(at + remote::kFrameHeaderBytes, length));
    for (int i = 0; i < 4; ++i)
      bytes[at + 16 + i] = static_cast<std::byte>((crc >> (8 * i)) & 0xff);
    at += remote::kFrameHeaderBytes + length;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const remote::Limits limits = fuzz_limits();
  const std::uint8_t mode = data[0];
  std::vector<std::byte> stream(reinterpret_cast<const std::byte*>(data) + 1,
                                reinterpret_cast<const std::byte*>(data) + size);

  // Payload decoders straight on the bytes.
  for (auto type :
       {remote::MessageType::kData, remote::MessageType::kError, remote::MessageType::kHello}) {
    decode_payload(type, stream, limits);
  }

  if ((mode & 1) != 0) repair_crcs(stream);
  const std::size_t step = std::size_t{1} << ((mode >> 1) & 7);
  remote::FrameDecoder decoder(limits);
  remote::MessageAssembler assembler(limits);
  for (std::size_t at = 0; at < stream.size(); at += step) {
    decoder.append(std::span(stream).subspan(at, std::min(step, stream.size() - at)));
    for (;;) {
      auto frame = decoder.next();
      if (!frame.is_ok() || !frame->has_value()) break;
      if ((*frame)->payload.size() > limits.max_frame_payload) fail("frame over the limit");
      auto message = assembler.add(std::move(**frame));
      if (!message.is_ok()) return 0;
      if (message->has_value()) {
        const remote::Message& m = **message;
        if (m.payload.size() > limits.max_message_bytes(m.type)) fail("message over the limit");
        decode_payload(m.type, m.payload, limits);
      }
    }
  }
  return 0;
}
