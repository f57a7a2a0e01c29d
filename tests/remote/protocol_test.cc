#include "edgebench/remote/protocol.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <random>
#include <thread>

namespace edgebench::remote {
namespace {

std::vector<std::byte> bytes_of(std::string_view text) {
  const auto* p = reinterpret_cast<const std::byte*>(text.data());
  return {p, p + text.size()};
}

std::vector<std::byte> frame_bytes(MessageType type, std::uint16_t flags, std::uint32_t id,
                                   std::span<const std::byte> payload) {
  const std::span<const std::byte> pieces[] = {payload};
  const HeaderBytes h = encode_frame_header(type, flags, id, pieces);
  // Sized up front and copied piecewise: GCC 12 at -O3 warns (falsely) about inserting an
  // empty span.
  std::vector<std::byte> out(h.size() + payload.size());
  std::copy(h.begin(), h.end(), out.begin());
  for (std::size_t i = 0; i < payload.size(); ++i) out[h.size() + i] = payload[i];
  return out;
}

void put_u32_at(std::vector<std::byte>& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::byte>((v >> (8 * i)) & 0xff);
}

Tensor random_tensor(DType dtype, Shape shape, std::mt19937& rng) {
  Tensor t = Tensor::zeros(dtype, std::move(shape));
  auto bytes = t.bytes();
  for (auto& b : bytes) b = static_cast<std::byte>(rng() & 0xff);
  if (dtype == DType::kBool) {
    for (auto& b : bytes) b = static_cast<std::byte>(std::to_integer<int>(b) & 1);
  }
  return t;
}

TEST(RemoteFrame, HeaderRoundTripsWithCrcOverHeaderAndPayload) {
  const auto payload = bytes_of("hello, target");
  auto frame = frame_bytes(MessageType::kData, kFlagMore, 0xdeadbeef, payload);
  ASSERT_EQ(frame.size(), kFrameHeaderBytes + payload.size());
  auto header = parse_frame_header(frame, Limits{});
  ASSERT_TRUE(header.is_ok()) << header.status().to_string();
  EXPECT_EQ(header->type, MessageType::kData);
  EXPECT_TRUE(header->more());
  EXPECT_EQ(header->request_id, 0xdeadbeefu);
  EXPECT_EQ(header->payload_bytes, payload.size());
  EXPECT_TRUE(verify_frame_crc(frame, std::span(frame).subspan(kFrameHeaderBytes)).is_ok());
  // Any flipped bit, in the payload or in the covered header fields, breaks the CRC.
  for (std::size_t i : {std::size_t{8}, std::size_t{13}, kFrameHeaderBytes + 3}) {
    auto bad = frame;
    bad[i] ^= std::byte{0x01};
    if (i == 13) {
      // A length change is caught by the CRC too (when the length still parses).
      EXPECT_FALSE(
          verify_frame_crc(bad, std::span(bad).subspan(kFrameHeaderBytes, payload.size())).is_ok());
    } else {
      EXPECT_EQ(verify_frame_crc(bad, std::span(bad).subspan(kFrameHeaderBytes)).code(),
                StatusCode::kDataLoss)
          << "byte " << i;
    }
  }
}

TEST(RemoteFrame, Crc32MatchesZlibForEveryLengthAndAlignment) {
  // frame_crc32 uses carry-less multiplication where the CPU has it; zlib is the reference.
  const unsigned seed = 99;
  std::mt19937 rng(seed);
  std::vector<std::byte> data((1 << 20) + 64);
  for (auto& b : data) b = static_cast<std::byte>(rng() & 0xff);
  const auto zlib_crc = [](std::span<const std::byte> head, std::span<const std::byte> body) {
    uLong c = ::crc32(0, reinterpret_cast<const Bytef*>(head.data()), 16);
    return static_cast<std::uint32_t>(
        ::crc32(c, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
  };
  const std::span<const std::byte> head(data.data(), 16);
  for (std::size_t len = 0; len < 300; ++len) {
    for (std::size_t offset : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
      const std::span<const std::byte> body(data.data() + 16 + offset, len);
      ASSERT_EQ(frame_crc32(head, body), zlib_crc(head, body))
          << "length " << len << " offset " << offset << " seed " << seed;
    }
  }
  for (std::size_t len : {std::size_t{1} << 20, (std::size_t{1} << 20) + 13, std::size_t{4099}}) {
    const std::span<const std::byte> body(data.data() + 19, len);
    EXPECT_EQ(frame_crc32(head, body), zlib_crc(head, body)) << "length " << len;
  }
}

TEST(RemoteFrame, HeaderRefusesBadMagicVersionTypeFlagsAndLengths) {
  const auto good = frame_bytes(MessageType::kPing, 0, 1, {});
  {
    auto b = good;
    b[0] = std::byte{'X'};
    EXPECT_EQ(parse_frame_header(b, Limits{}).status().code(), StatusCode::kDataLoss);
  }
  {
    auto b = good;
    b[4] = std::byte{2};
    EXPECT_EQ(parse_frame_header(b, Limits{}).status().code(), StatusCode::kUnsupported);
  }
  for (int type : {0, 12, 255}) {
    auto b = good;
    b[5] = static_cast<std::byte>(type);
    EXPECT_EQ(parse_frame_header(b, Limits{}).status().code(), StatusCode::kDataLoss) << type;
  }
  {
    auto b = good;
    b[6] = std::byte{0x02};
    EXPECT_EQ(parse_frame_header(b, Limits{}).status().code(), StatusCode::kDataLoss);
  }
  {
    // A frame claiming 4 GiB is refused from its header alone.
    auto b = good;
    put_u32_at(b, 12, 0xffffffffu);
    auto h = parse_frame_header(b, Limits{});
    EXPECT_EQ(h.status().code(), StatusCode::kOutOfRange);
    EXPECT_NE(h.status().message().find("4294967295"), std::string::npos);
  }
  {
    // Under the frame limit but over the control-message limit of a PING.
    Limits limits;
    limits.max_control_bytes = 100;
    auto b = good;
    put_u32_at(b, 12, 101);
    EXPECT_EQ(parse_frame_header(b, limits).status().code(), StatusCode::kOutOfRange);
  }
  EXPECT_EQ(parse_frame_header(std::span(good).first(19), Limits{}).status().code(),
            StatusCode::kDataLoss);
}

TEST(RemoteFrame, DecoderTakesFramesByteByByte) {
  std::vector<std::byte> stream;
  std::vector<std::vector<std::byte>> payloads = {{}, bytes_of("a"), bytes_of("second payload")};
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    auto f = frame_bytes(MessageType::kStats, 0, static_cast<std::uint32_t>(i), payloads[i]);
    stream.insert(stream.end(), f.begin(), f.end());
  }
  FrameDecoder decoder(Limits{});
  std::vector<Frame> frames;
  for (std::byte b : stream) {
    decoder.append(std::span(&b, 1));
    auto next = decoder.next();
    ASSERT_TRUE(next.is_ok()) << next.status().to_string();
    if (*next) frames.push_back(std::move(**next));
  }
  ASSERT_EQ(frames.size(), payloads.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].header.request_id, i);
    EXPECT_EQ(frames[i].payload, payloads[i]);
  }
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(RemoteFrame, DecoderFailsOnGarbageHugeLengthAndWrongCrcAndStaysFailed) {
  {
    FrameDecoder d(Limits{});
    d.append(bytes_of("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_EQ(d.next().status().code(), StatusCode::kDataLoss);
    // Even a good frame afterwards is refused: the stream is out of sync.
    d.append(frame_bytes(MessageType::kPing, 0, 1, {}));
    EXPECT_FALSE(d.next().is_ok());
  }
  {
    // 4 GiB claimed: refused as soon as the header is complete, nothing buffered for it.
    FrameDecoder d(Limits{});
    auto f = frame_bytes(MessageType::kModel, 0, 1, {});
    put_u32_at(f, 12, 0xffffffffu);
    d.append(f);
    EXPECT_EQ(d.next().status().code(), StatusCode::kOutOfRange);
  }
  {
    // Truncated frame: the decoder waits for more, it never reads past what is present.
    FrameDecoder d(Limits{});
    auto f = frame_bytes(MessageType::kPing, 0, 1, bytes_of("0123456789"));
    d.append(std::span(f).first(f.size() - 3));
    auto next = d.next();
    ASSERT_TRUE(next.is_ok());
    EXPECT_FALSE(next->has_value());
  }
  {
    FrameDecoder d(Limits{});
    auto f = frame_bytes(MessageType::kPing, 0, 1, bytes_of("0123456789"));
    f.back() ^= std::byte{0x40};
    d.append(f);
    auto next = d.next();
    EXPECT_EQ(next.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(next.status().message().find("CRC32"), std::string::npos);
  }
}

TEST(RemoteMessage, AssemblerJoinsChunksAndEnforcesTypeIdAndLimit) {
  Limits limits;
  limits.max_model_bytes = 10;
  MessageAssembler a(limits);
  auto chunk = [](MessageType t, std::uint32_t id, bool more, std::string_view text) {
    Frame f;
    f.header.type = t;
    f.header.request_id = id;
    f.header.flags = more ? kFlagMore : 0;
    f.payload = bytes_of(text);
    f.header.payload_bytes = static_cast<std::uint32_t>(f.payload.size());
    return f;
  };
  auto r1 = a.add(chunk(MessageType::kModel, 7, true, "abcd"));
  ASSERT_TRUE(r1.is_ok());
  EXPECT_FALSE(r1->has_value());
  EXPECT_TRUE(a.in_progress());
  auto r2 = a.add(chunk(MessageType::kModel, 7, false, "efgh"));
  ASSERT_TRUE(r2.is_ok());
  ASSERT_TRUE(r2->has_value());
  EXPECT_EQ((*r2)->payload, bytes_of("abcdefgh"));
  EXPECT_FALSE(a.in_progress());

  ASSERT_TRUE(a.add(chunk(MessageType::kModel, 8, true, "abcdef")).is_ok());
  // The running total (6 + 6) is over the 10-byte model limit.
  EXPECT_EQ(a.add(chunk(MessageType::kModel, 8, true, "ghijkl")).status().code(),
            StatusCode::kOutOfRange);
  // Interleaved chunks of another message are refused.
  EXPECT_EQ(a.add(chunk(MessageType::kData, 8, false, "x")).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(a.add(chunk(MessageType::kModel, 9, false, "x")).status().code(),
            StatusCode::kDataLoss);
}

TEST(RemoteTensors, ListRoundTripsEveryWireDtypeAndRank) {
  const unsigned seed = 20261122;
  std::mt19937 rng(seed);
  std::vector<NamedTensor> list;
  const DType dtypes[] = {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kInt8,
                          DType::kUInt8,   DType::kInt16,   DType::kUInt16,  DType::kInt32,
                          DType::kUInt32,  DType::kInt64,   DType::kUInt64,  DType::kBool};
  int i = 0;
  for (DType d : dtypes) {
    const Shape shapes[] = {{}, {0}, {3}, {1, 7, 13}};
    for (const Shape& s : shapes) {
      list.push_back({fmt::format("t{}", i++), random_tensor(d, s, rng)});
    }
  }
  auto encoded = encode_tensor_list(list);
  ASSERT_TRUE(encoded.is_ok()) << encoded.status().to_string();
  auto decoded = decode_tensor_list(*encoded, Limits{});
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string() << " seed " << seed;
  ASSERT_EQ(decoded->size(), list.size());
  for (std::size_t k = 0; k < list.size(); ++k) {
    const Tensor& a = list[k].tensor;
    const Tensor& b = (*decoded)[k].tensor;
    EXPECT_EQ((*decoded)[k].name, list[k].name);
    EXPECT_EQ(b.dtype(), a.dtype()) << list[k].name;
    EXPECT_EQ(b.shape(), a.shape()) << list[k].name;
    ASSERT_EQ(b.byte_size(), a.byte_size());
    EXPECT_EQ(std::memcmp(a.raw_data(), b.raw_data(), a.byte_size()), 0)
        << list[k].name << " seed " << seed;
  }
}

TEST(RemoteTensors, EmptyListIsItsCountAlone) {
  // Found by remote_frame_fuzz: an empty list used to encode to no bytes at all.
  auto encoded = encode_tensor_list(std::span<const NamedTensor>());
  ASSERT_TRUE(encoded.is_ok());
  EXPECT_EQ(encoded->size(), 4u);
  auto decoded = decode_tensor_list(*encoded, Limits{});
  ASSERT_TRUE(decoded.is_ok());
  EXPECT_TRUE(decoded->empty());
}

TEST(RemoteTensors, EveryTruncationIsAnErrorNeverACrash) {
  std::mt19937 rng(5);
  std::vector<NamedTensor> list = {{"x", random_tensor(DType::kFloat32, {2, 3}, rng)},
                                   {"mask", random_tensor(DType::kBool, {4}, rng)}};
  auto encoded = encode_tensor_list(list);
  ASSERT_TRUE(encoded.is_ok());
  for (std::size_t n = 0; n < encoded->size(); ++n) {
    auto r = decode_tensor_list(std::span(*encoded).first(n), Limits{});
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << "prefix " << n;
  }
  auto longer = *encoded;
  longer.push_back(std::byte{0});
  EXPECT_EQ(decode_tensor_list(longer, Limits{}).status().code(), StatusCode::kDataLoss);
}

TEST(RemoteTensors, LimitsAndLiesAreRefused) {
  // Hand-built list: count, name, dtype, rank, dims, data length.
  auto build = [](std::uint32_t count, std::uint8_t dtype, std::vector<std::uint64_t> dims,
                  std::uint64_t data_len, std::size_t data_present) {
    std::vector<std::byte> b;
    auto put = [&b](std::uint64_t v, int n) {
      for (int i = 0; i < n; ++i) b.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xff));
    };
    put(count, 4);
    put(1, 2);
    b.push_back(std::byte{'x'});
    put(dtype, 1);
    put(dims.size(), 1);
    for (auto d : dims) put(d, 8);
    put(data_len, 8);
    b.resize(b.size() + data_present);
    return b;
  };
  Limits limits;
  limits.max_tensors = 4;
  limits.max_rank = 3;
  limits.max_tensor_bytes = 64;
  EXPECT_TRUE(decode_tensor_list(build(1, 1, {2, 2}, 16, 16), limits).is_ok());
  EXPECT_EQ(decode_tensor_list(build(5, 1, {2, 2}, 16, 16), limits).status().code(),
            StatusCode::kOutOfRange);
  EXPECT_EQ(decode_tensor_list(build(1, 1, {1, 1, 1, 1}, 4, 4), limits).status().code(),
            StatusCode::kOutOfRange);
  EXPECT_EQ(decode_tensor_list(build(1, 1, {100}, 400, 400), limits).status().code(),
            StatusCode::kOutOfRange);
  // Dimensions whose product overflows, and negative ones.
  EXPECT_EQ(decode_tensor_list(build(1, 1, {1ull << 40, 1ull << 40}, 0, 0), limits).status().code(),
            StatusCode::kOutOfRange);
  EXPECT_EQ(decode_tensor_list(build(1, 1, {~0ull}, 0, 0), limits).status().code(),
            StatusCode::kDataLoss);
  // An empty tensor whose other dims overflow (no element, but no sane shape either); an empty
  // one with ordinary dims is fine.
  EXPECT_EQ(decode_tensor_list(build(1, 1, {1ull << 61, 0}, 0, 0), limits).status().code(),
            StatusCode::kOutOfRange);
  EXPECT_TRUE(decode_tensor_list(build(1, 1, {1000, 0}, 0, 0), limits).is_ok());
  // Data length that disagrees with the shape; data shorter than announced; unknown dtype.
  EXPECT_EQ(decode_tensor_list(build(1, 1, {2, 2}, 12, 12), limits).status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(decode_tensor_list(build(1, 1, {2, 2}, 16, 8), limits).status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(decode_tensor_list(build(1, 8, {2}, 2, 2), limits).status().code(),
            StatusCode::kDataLoss);
  // A count larger than the tensors present.
  EXPECT_EQ(decode_tensor_list(build(2, 1, {2}, 8, 8), limits).status().code(),
            StatusCode::kDataLoss);
}

TEST(RemotePayloads, JsonAndErrorCodecs) {
  nlohmann::json j = {{"protocol_version", 1}, {"backends", {"native"}}};
  auto back = decode_json(encode_json(j), Limits{});
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(*back, j);
  EXPECT_EQ(decode_json(bytes_of("{\"a\":"), Limits{}).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(decode_json(bytes_of("[1,2]"), Limits{}).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(decode_json(bytes_of(std::string(100, '[')), Limits{}).status().code(),
            StatusCode::kDataLoss);
  EXPECT_TRUE(decode_json(bytes_of("{\"s\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}"), Limits{})
                  .is_ok());
  Limits small;
  small.max_control_bytes = 4;
  EXPECT_EQ(decode_json(bytes_of("{\"a\":1}"), small).status().code(), StatusCode::kOutOfRange);

  auto e = decode_error(encode_error(ErrorCode::kBusy, "another session is running"), Limits{});
  ASSERT_TRUE(e.is_ok());
  EXPECT_EQ(e->code, ErrorCode::kBusy);
  EXPECT_EQ(e->message, "another session is running");
  auto bad = encode_error(ErrorCode::kAuth, "abc");
  bad.pop_back();
  EXPECT_EQ(decode_error(bad, Limits{}).status().code(), StatusCode::kDataLoss);
  auto unknown = encode_error(static_cast<ErrorCode>(999), "x");
  auto u = decode_error(unknown, Limits{});
  ASSERT_TRUE(u.is_ok());
  EXPECT_EQ(u->code, ErrorCode::kInternal);
  EXPECT_EQ(error_code_name(ErrorCode::kTooLarge), "TOO_LARGE");
  EXPECT_EQ(message_type_name(MessageType::kIoSpec), "IO_SPEC");
}

TEST(RemoteAddress, HostPortParsing) {
  auto a = parse_host_port("127.0.0.1:9000", false);
  ASSERT_TRUE(a.is_ok());
  EXPECT_EQ(a->first, "127.0.0.1");
  EXPECT_EQ(a->second, 9000);
  auto b = parse_host_port("[::1]:0", true);
  ASSERT_TRUE(b.is_ok());
  EXPECT_EQ(b->first, "::1");
  EXPECT_FALSE(parse_host_port("localhost:0", false).is_ok());
  EXPECT_FALSE(parse_host_port("localhost", true).is_ok());
  EXPECT_FALSE(parse_host_port(":80", true).is_ok());
  EXPECT_FALSE(parse_host_port("h:65536", true).is_ok());
  EXPECT_FALSE(parse_host_port("h:12x", true).is_ok());
}

class SocketPair : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0); }
  void TearDown() override {
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  int release(int i) {
    const int fd = fds_[i];
    fds_[i] = -1;
    return fd;
  }
  int fds_[2] = {-1, -1};
};

TEST_F(SocketPair, LargeMessagesTravelInChunksBothWays) {
  Limits limits;
  limits.max_frame_payload = 64 * 1024;  // forces many chunks
  Connection a(release(0), limits), b(release(1), limits);
  std::mt19937 rng(11);
  Tensor big = random_tensor(DType::kFloat32, {3, 333, 1001}, rng);  // ~4 MB, odd size
  const std::string_view names[] = {"input"};
  std::vector<std::byte> scratch;
  std::vector<std::span<const std::byte>> pieces;
  ASSERT_TRUE(encode_tensor_list(names, std::span(&big, 1), scratch, pieces).is_ok());
  Status sent;
  std::thread writer([&] {
    const auto ping = bytes_of("ping");
    const std::span<const std::byte> ping_pieces[] = {ping};
    const Connection::Outgoing batch[] = {{MessageType::kData, 41, pieces},
                                          {MessageType::kPing, 42, ping_pieces}};
    sent = a.send_batch(batch, 5000);
  });
  auto m = b.receive(5000, 5000);
  auto p = b.receive(5000, 5000);
  writer.join();
  ASSERT_TRUE(sent.is_ok()) << sent.to_string();
  ASSERT_TRUE(m.is_ok()) << m.status().to_string();
  EXPECT_EQ(m->type, MessageType::kData);
  EXPECT_EQ(m->request_id, 41u);
  auto list = decode_tensor_list(m->payload, limits);
  ASSERT_TRUE(list.is_ok()) << list.status().to_string();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(std::memcmp((*list)[0].tensor.raw_data(), big.raw_data(), big.byte_size()), 0);
  ASSERT_TRUE(p.is_ok());
  EXPECT_EQ(p->request_id, 42u);
  EXPECT_EQ(p->payload, bytes_of("ping"));
}

TEST_F(SocketPair, TruncatedFrameTimesOutAndClosedPeerIsReported) {
  Connection b(release(1), Limits{});
  auto f = frame_bytes(MessageType::kPing, 0, 1, bytes_of("0123456789"));
  ASSERT_EQ(::write(fds_[0], f.data(), f.size() - 4), static_cast<ssize_t>(f.size() - 4));
  auto r = b.receive(1000, 100);
  EXPECT_TRUE(is_timeout(r.status())) << r.status().to_string();
  // Nothing at all: the idle timeout.
  Connection c(release(0), Limits{});
  auto idle = c.receive(50, 50);
  EXPECT_TRUE(is_timeout(idle.status())) << idle.status().to_string();
  b.shutdown();
  auto closed = c.receive(1000, 1000);
  EXPECT_EQ(closed.status().code(), StatusCode::kIoError);
  EXPECT_FALSE(is_timeout(closed.status()));
}

TEST_F(SocketPair, ReceiveRefusesOversizedInterleavedAndCorruptFrames) {
  Limits limits;
  limits.max_model_bytes = 1000;
  Connection b(release(1), limits);
  const int w = fds_[0];
  auto send_raw = [w](const std::vector<std::byte>& bytes) {
    ASSERT_EQ(::write(w, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  };
  std::vector<std::byte> chunk(600);
  send_raw(frame_bytes(MessageType::kModel, kFlagMore, 1, chunk));
  send_raw(frame_bytes(MessageType::kModel, 0, 1, chunk));
  EXPECT_EQ(b.receive(1000, 1000).status().code(), StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace edgebench::remote
