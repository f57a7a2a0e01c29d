// Writes the shared protocol test vectors: one file of frames per message, encoded by the C++
// encoder (Connection::send over a socket pair, so chunking is the real sender's), and a
// manifest.json describing each (type, request id, the flags of each frame, the chunk size and
// the decoded content). Both test suites decode every vector and re-encode it byte for byte.
//   write_protocol_vectors OUT_DIR       (tests/remote/vectors/make_vectors.sh runs it)

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "edgebench/remote/protocol.h"
#include "remote/protocol_vectors.h"

namespace {

using edgebench::DType;
using edgebench::Shape;
using edgebench::Tensor;
using namespace edgebench::remote;

std::vector<std::byte> bytes_of(std::string_view text) {
  const auto* p = reinterpret_cast<const std::byte*>(text.data());
  return {p, p + text.size()};
}

// Deterministic contents: element i of every tensor is a small function of i.
Tensor make_tensor(DType dtype, Shape shape) {
  Tensor t = Tensor::zeros(dtype, std::move(shape));
  const std::int64_t n = t.element_count();
  for (std::int64_t i = 0; i < n; ++i) {
    switch (dtype) {
      case DType::kFloat32: t.data<float>()[i] = 0.5f * static_cast<float>(i) - 1.25f; break;
      case DType::kFloat64: t.data<double>()[i] = 1.0 / 3.0 + static_cast<double>(i); break;
      case DType::kFloat16:
        t.data<std::uint16_t>()[i] = edgebench::float_to_half(static_cast<float>(i) - 0.5f);
        break;
      case DType::kInt8: t.data<std::int8_t>()[i] = static_cast<std::int8_t>(i * 37 - 100); break;
      case DType::kUInt8: t.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(i * 61 + 7); break;
      case DType::kInt16: t.data<std::int16_t>()[i] = static_cast<std::int16_t>(i * -1201); break;
      case DType::kUInt16: t.data<std::uint16_t>()[i] = static_cast<std::uint16_t>(i * 9001); break;
      case DType::kInt32: t.data<std::int32_t>()[i] = static_cast<std::int32_t>(i * -70001); break;
      case DType::kUInt32:
        t.data<std::uint32_t>()[i] = static_cast<std::uint32_t>(i * 4000001u);
        break;
      case DType::kInt64: t.data<std::int64_t>()[i] = -(std::int64_t{1} << 40) + i; break;
      case DType::kUInt64: t.data<std::uint64_t>()[i] = (std::uint64_t{1} << 63) + i; break;
      case DType::kBool: t.data<bool>()[i] = (i % 3) == 1; break;
      case DType::kUndefined: break;
    }
  }
  return t;
}

struct Writer {
  std::filesystem::path dir;
  nlohmann::json manifest = nlohmann::json::array();

  // Sends the message through a real Connection and writes what came out of the socket.
  void add(const std::string& name, MessageType type, std::uint32_t request_id,
           std::span<const std::byte> payload, std::uint32_t chunk_bytes, nlohmann::json content) {
    auto sent = edgebench::remote::vectors::sent_frames(type, request_id, payload, chunk_bytes);
    if (!sent.is_ok()) throw std::runtime_error(name + ": " + sent.status().to_string());
    const std::vector<std::byte>& frames = *sent;
    // The flags of each frame, read back from the headers.
    nlohmann::json flags = nlohmann::json::array();
    for (std::size_t at = 0; at + kFrameHeaderBytes <= frames.size();) {
      auto header = parse_frame_header(std::span(frames).subspan(at), Limits{});
      if (!header.is_ok()) throw std::runtime_error(name + ": " + header.status().to_string());
      flags.push_back(header->flags);
      at += kFrameHeaderBytes + header->payload_bytes;
    }
    std::ofstream out(dir / (name + ".bin"), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(frames.data()),
              static_cast<std::streamsize>(frames.size()));
    manifest.push_back({{"file", name + ".bin"},
                        {"type", message_type_name(type)},
                        {"type_code", static_cast<int>(type)},
                        {"request_id", request_id},
                        {"chunk_bytes", chunk_bytes},
                        {"frame_flags", flags},
                        {"payload_bytes", payload.size()},
                        {"content", std::move(content)}});
  }

  void json(const std::string& name, MessageType type, std::uint32_t id, nlohmann::json object) {
    add(name, type, id, encode_json(object), 1u << 20, {{"kind", "json"}, {"value", object}});
  }
  void raw(const std::string& name, MessageType type, std::uint32_t id,
           std::span<const std::byte> payload, std::uint32_t chunk = 1u << 20) {
    add(name, type, id, payload, chunk,
        {{"kind", "raw"}, {"hex", edgebench::remote::vectors::hex(payload)}});
  }
  void tensors(const std::string& name, MessageType type, std::uint32_t id,
               const std::vector<NamedTensor>& list, std::uint32_t chunk = 1u << 20) {
    auto payload = encode_tensor_list(list);
    if (!payload.is_ok()) throw std::runtime_error(name + ": " + payload.status().to_string());
    nlohmann::json described = nlohmann::json::array();
    for (const NamedTensor& t : list) {
      described.push_back({{"name", t.name},
                           {"dtype", edgebench::dtype_name(t.tensor.dtype())},
                           {"wire_code", *dtype_wire_code(t.tensor.dtype())},
                           {"shape", t.tensor.shape()},
                           {"data_hex", edgebench::remote::vectors::hex(t.tensor.bytes())}});
    }
    add(name, type, id, *payload, chunk, {{"kind", "tensors"}, {"tensors", described}});
  }
  void error(const std::string& name, std::uint32_t id, ErrorCode code, const std::string& text) {
    add(name, MessageType::kError, id, encode_error(code, text), 1u << 20,
        {{"kind", "error"},
         {"code", static_cast<int>(code)},
         {"code_name", error_code_name(code)},
         {"message", text}});
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_protocol_vectors OUT_DIR\n");
    return 2;
  }
  Writer w;
  w.dir = argv[1];
  std::filesystem::create_directories(w.dir);
  try {
    using MT = MessageType;
    w.json("hello_request", MT::kHello, 1, {{"protocol_version", 1}, {"client", "edgebench"}});
    w.json("hello_reply", MT::kHello, 1,
           {{"protocol_version", 1},
            {"server", "edgebench-target"},
            {"auth_required", false},
            {"backends", {"native", "null"}},
            {"max_threads", 4},
            {"cpu", "Grüße ✓ \"quoted\" \\ back\tslash"},
            {"limits", {{"max_frame_payload", 4194304}, {"max_model_bytes", 268435456}}},
            {"nested", {{"a", {{"b", {{"c", nlohmann::json::array({1, -2, 3.5, nullptr})}}}}}}}});
    w.raw("auth", MT::kAuth, 2, bytes_of("s3cret-token"));
    std::vector<std::byte> model(300);
    for (std::size_t i = 0; i < model.size(); ++i) model[i] = static_cast<std::byte>(i * 7 + 3);
    w.raw("model_chunked", MT::kModel, 3, model, 128);
    w.json("io_spec_request", MT::kIoSpec, 4,
           {{"threads", 2},
            {"input_shapes", {{"x", {1, 3, 224, 224}}}},
            {"runtime_options", {{"ep", "cpu"}}}});
    w.json("io_spec_reply", MT::kIoSpec, 4,
           {{"inputs", {{{"name", "x"}, {"dtype", "float32"}, {"shape", {1, 3}}}}},
            {"outputs", {{{"name", "y"}, {"dtype", "int8"}, {"shape", {1, 2}}}}},
            {"compile_ms", 12.5},
            {"threads", 2}});
    w.tensors("data_all_dtypes", MT::kData, 5,
              {{"f32", make_tensor(DType::kFloat32, {2, 3})},
               {"u8", make_tensor(DType::kUInt8, {4})},
               {"i8", make_tensor(DType::kInt8, {2, 2})},
               {"u16", make_tensor(DType::kUInt16, {3})},
               {"i16", make_tensor(DType::kInt16, {1, 3})},
               {"i32", make_tensor(DType::kInt32, {2})},
               {"i64", make_tensor(DType::kInt64, {2, 1})},
               {"flag", make_tensor(DType::kBool, {5})},
               {"f16", make_tensor(DType::kFloat16, {2, 2})},
               {"scalar f64", make_tensor(DType::kFloat64, {})},
               {"empty u32", make_tensor(DType::kUInt32, {0, 3})},
               {"u64", make_tensor(DType::kUInt64, {1, 1, 2})},
               {"", make_tensor(DType::kFloat32, {1})}});
    w.tensors("data_empty_list", MT::kData, 6, {});
    w.tensors("data_chunked", MT::kData, 7, {{"input", make_tensor(DType::kFloat32, {1, 5, 7})}},
              64);
    w.raw("process", MT::kProcess, 8, {});
    w.json("ok_process", MT::kOk, 8, {{"target_ms", 0.123}});
    w.raw("output_request", MT::kOutput, 9, {});
    w.tensors("output_reply", MT::kOutput, 9, {{"logits", make_tensor(DType::kFloat32, {1, 10})}});
    w.raw("stats_request", MT::kStats, 10, {});
    w.json("stats_reply", MT::kStats, 10,
           {{"queries", 3}, {"target_ms_total", 1.5}, {"backend", "native"}});
    w.raw("ping", MT::kPing, 0xffffffffu, bytes_of("are you there?"));
    w.raw("ok_empty", MT::kOk, 0, {});
    w.error("error_bad_input", 11, ErrorCode::kBadInput,
            "DATA tensor 0 is 'x' float32[4,2]; input 0 is 'x' float32[2,4]");
    w.error("error_busy", 0, ErrorCode::kBusy, "");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "write_protocol_vectors: %s\n", e.what());
    return 1;
  }
  std::ofstream out(w.dir / "manifest.json", std::ios::trunc);
  out << nlohmann::json{{"protocol_version", kProtocolVersion}, {"vectors", w.manifest}}.dump(1)
      << "\n";
  return out ? 0 : 1;
}
