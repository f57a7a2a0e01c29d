// The shared protocol vectors (tests/remote/vectors, written by write_protocol_vectors and
// committed): each decodes to the content its manifest states and re-encodes byte for byte. The
// Python codec passes the same vectors (tests/python/test_protocol_vectors.py).
#include "remote/protocol_vectors.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "edgebench/remote/protocol.h"

namespace edgebench::remote {
namespace {

const std::filesystem::path kVectors =
    std::filesystem::path(EDGEBENCH_SOURCE_DIR) / "tests" / "remote" / "vectors";

std::vector<std::byte> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  const auto* p = reinterpret_cast<const std::byte*>(text.data());
  return {p, p + text.size()};
}

nlohmann::json manifest() {
  std::ifstream in(kVectors / "manifest.json");
  return nlohmann::json::parse(in);
}

TEST(ProtocolVectors, ManifestCoversEveryMessageTypeAndAChunkedMessage) {
  const nlohmann::json m = manifest();
  std::set<int> types;
  bool chunked = false;
  for (const auto& v : m["vectors"]) {
    types.insert(v["type_code"].get<int>());
    chunked = chunked || v["frame_flags"].size() > 1;
  }
  EXPECT_EQ(types.size(), 11u);
  EXPECT_TRUE(chunked);
}

TEST(ProtocolVectors, EachDecodesToItsManifestAndReencodesByteForByte) {
  const nlohmann::json m = manifest();
  ASSERT_GE(m["vectors"].size(), 11u);
  for (const auto& v : m["vectors"]) {
    const std::string file = v["file"];
    SCOPED_TRACE(file);
    const std::vector<std::byte> data = read_file(kVectors / file);
    ASSERT_FALSE(data.empty());
    FrameDecoder decoder(Limits{});
    MessageAssembler assembler(Limits{});
    decoder.append(data);
    std::vector<int> flags;
    std::optional<Message> message;
    for (;;) {
      auto frame = decoder.next();
      ASSERT_TRUE(frame.is_ok()) << frame.status().to_string();
      if (!frame->has_value()) break;
      flags.push_back((*frame)->header.flags);
      ASSERT_FALSE(message.has_value()) << "frames after the end of the message";
      auto done = assembler.add(std::move(**frame));
      ASSERT_TRUE(done.is_ok()) << done.status().to_string();
      if (done->has_value()) message = std::move(**done);
    }
    EXPECT_EQ(decoder.buffered_bytes(), 0u);
    ASSERT_TRUE(message.has_value());
    EXPECT_EQ(flags, v["frame_flags"].get<std::vector<int>>());
    EXPECT_EQ(static_cast<int>(message->type), v["type_code"].get<int>());
    EXPECT_EQ(message_type_name(message->type), v["type"].get<std::string>());
    EXPECT_EQ(message->request_id, v["request_id"].get<std::uint32_t>());

    const auto& content = v["content"];
    const std::string kind = content["kind"];
    std::vector<std::byte> payload;
    if (kind == "json") {
      auto j = decode_json(message->payload, Limits{});
      ASSERT_TRUE(j.is_ok()) << j.status().to_string();
      EXPECT_EQ(*j, content["value"]);
      payload = encode_json(*j);
    } else if (kind == "raw") {
      EXPECT_EQ(vectors::hex(message->payload), content["hex"].get<std::string>());
      payload = message->payload;
    } else if (kind == "error") {
      auto e = decode_error(message->payload, Limits{});
      ASSERT_TRUE(e.is_ok()) << e.status().to_string();
      EXPECT_EQ(static_cast<int>(e->code), content["code"].get<int>());
      EXPECT_EQ(error_code_name(e->code), content["code_name"].get<std::string>());
      EXPECT_EQ(e->message, content["message"].get<std::string>());
      payload = encode_error(e->code, e->message);
    } else {
      ASSERT_EQ(kind, "tensors");
      auto list = decode_tensor_list(message->payload, Limits{});
      ASSERT_TRUE(list.is_ok()) << list.status().to_string();
      ASSERT_EQ(list->size(), content["tensors"].size());
      for (std::size_t i = 0; i < list->size(); ++i) {
        const auto& want = content["tensors"][i];
        const NamedTensor& t = (*list)[i];
        EXPECT_EQ(t.name, want["name"].get<std::string>());
        EXPECT_EQ(dtype_name(t.tensor.dtype()), want["dtype"].get<std::string>());
        EXPECT_EQ(*dtype_wire_code(t.tensor.dtype()), want["wire_code"].get<int>());
        EXPECT_EQ(t.tensor.shape(), want["shape"].get<Shape>());
        EXPECT_EQ(vectors::hex(t.tensor.bytes()), want["data_hex"].get<std::string>());
      }
      auto encoded = encode_tensor_list(*list);
      ASSERT_TRUE(encoded.is_ok()) << encoded.status().to_string();
      payload = *encoded;
    }
    EXPECT_EQ(payload, message->payload);
    auto frames = vectors::sent_frames(message->type, message->request_id, payload,
                                       v["chunk_bytes"].get<std::uint32_t>());
    ASSERT_TRUE(frames.is_ok()) << frames.status().to_string();
    EXPECT_EQ(*frames, data);
  }
}

}  // namespace
}  // namespace edgebench::remote
