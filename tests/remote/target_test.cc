// End-to-end tests of edgebench-target: the daemon runs as a child process on a free loopback
// port; `edgebench run/bench/eval --backend tcp://...` and raw-socket clients talk to it. Every
// hostile client is followed by a good client that must be served.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/cli_test_util.h"
#include "edgebench/backends/backend.h"
#include "edgebench/core/host.h"
#include "edgebench/remote/protocol.h"
#include "remote/target_process.h"

namespace edgebench::remote {
namespace {

namespace fs = std::filesystem;

const std::string kModel = std::string(EDGEBENCH_SOURCE_DIR) + "/models/fashion_mnist_cnn.onnx";

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() /
                       fmt::format("eb_remote_{}_{}", name, static_cast<long>(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

ir::Graph relu_graph() {
  ir::Graph g;
  g.opset_imports = {{"", 13}};
  g.inputs = {"x"};
  g.value_info["x"] = {DType::kFloat32, Shape{2, 4}, {}};
  ir::Node n;
  n.name = "relu";
  n.op_type = "Relu";
  n.inputs = {"x"};
  n.outputs = {"y"};
  g.nodes.push_back(n);
  g.outputs = {"y"};
  g.value_info["y"] = {DType::kFloat32, Shape{2, 4}, {}};
  return g;
}

// A good client: compiles Relu on the target through the proxy backend and checks one run.
void expect_good_client(const Target& target, const std::string& suffix = "") {
  auto backend = backends::make_backend(target.address() + suffix);
  ASSERT_TRUE(backend.is_ok()) << backend.status().to_string();
  auto exe = (*backend)->compile(relu_graph(), {});
  ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
  Tensor x = Tensor::zeros(DType::kFloat32, {2, 4});
  for (int i = 0; i < 8; ++i) x.data<float>()[i] = static_cast<float>(i - 4);
  std::vector<Tensor> outputs(1);
  ASSERT_TRUE((*exe)->run(std::span(&x, 1), outputs).is_ok());
  for (int i = 0; i < 8; ++i) EXPECT_EQ(outputs[0].data<float>()[i], std::max(0, i - 4));
  const backends::RunInfo* info = (*exe)->last_run_info();
  ASSERT_NE(info, nullptr);
  ASSERT_TRUE(info->device_ms.has_value());
  EXPECT_GE(*info->device_ms, 0.0);
}

std::unique_ptr<Connection> raw_client(const Target& target) {
  auto fd = connect_tcp("127.0.0.1", target.port(), 5000);
  EXPECT_TRUE(fd.is_ok()) << fd.status().to_string();
  return std::make_unique<Connection>(fd.is_ok() ? *fd : -1, Limits{});
}

std::vector<std::byte> bytes_of(std::string_view text) {
  const auto* p = reinterpret_cast<const std::byte*>(text.data());
  return {p, p + text.size()};
}

void send_raw(Connection& c, std::span<const std::byte> bytes) {
  ASSERT_EQ(::send(c.fd(), bytes.data(), bytes.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(bytes.size()));
}

// The ERROR the target answers with (fails the test when it answers something else).
ErrorInfo expect_error(Connection& c) {
  auto m = c.receive(10000, 10000);
  EXPECT_TRUE(m.is_ok()) << m.status().to_string();
  if (!m.is_ok()) return {};
  EXPECT_EQ(m->type, MessageType::kError) << message_type_name(m->type);
  auto e = decode_error(m->payload, Limits{});
  EXPECT_TRUE(e.is_ok());
  return e.is_ok() ? *e : ErrorInfo{};
}

// HELLO exchange; returns the target's HELLO.
nlohmann::json hello(Connection& c) {
  EXPECT_TRUE(c.send(MessageType::kHello, 1, encode_json({{"protocol_version", 1}}), 5000).is_ok());
  auto m = c.receive(5000, 5000);
  EXPECT_TRUE(m.is_ok()) << m.status().to_string();
  if (!m.is_ok() || m->type != MessageType::kHello) return {};
  return *decode_json(m->payload, Limits{});
}

// After an ERROR that ends the session the target closes the connection.
void expect_closed(Connection& c) {
  auto m = c.receive(10000, 10000);
  EXPECT_EQ(m.status().code(), StatusCode::kIoError) << m.status().to_string();
  EXPECT_FALSE(is_timeout(m.status()));
}

class TargetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = fresh_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { fs::remove_all(tmp_); }
  bool session_folders_left() const {
    for (const auto& e : fs::directory_iterator(tmp_)) {
      if (e.path().filename().string().starts_with("edgebench-target-")) return true;
    }
    return false;
  }
  // A session ends (and removes its folder) shortly after its client closes.
  bool session_folders_remain() const {
    for (int i = 0; i < 200 && session_folders_left(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return session_folders_left();
  }
  fs::path tmp_;
};

TEST_F(TargetTest, HelloAdvertisesVersionCapabilitiesAndLimits) {
  Target target({"--max-model-bytes", "123456"}, tmp_);
  ASSERT_NE(target.port(), 0);
  auto c = raw_client(target);
  nlohmann::json h = hello(*c);
  EXPECT_EQ(h.value("protocol_version", 0), 1);
  EXPECT_EQ(h.value("auth_required", true), false);
  EXPECT_EQ(h["backend"], "native");
  EXPECT_GE(h.value("max_threads", 0), 1);
  EXPECT_FALSE(h.value("cpu", "").empty());
  // This build's target runs natively; bench/arm64_emulated.sh runs these tests against the
  // arm64 build under qemu (EDGEBENCH_TARGET_COMMAND), which must say so.
  const bool emulated = std::getenv("EDGEBENCH_TARGET_COMMAND") != nullptr;
  EXPECT_EQ(h.value("arch", ""), emulated ? std::string("aarch64") : machine_architecture());
  EXPECT_EQ(h.value("emulated", !emulated), emulated);
  EXPECT_EQ(h["limits"]["max_model_bytes"], 123456);
  // A PING is echoed.
  ASSERT_TRUE(c->send(MessageType::kPing, 2, bytes_of("are you there"), 5000).is_ok());
  auto pong = c->receive(5000, 5000);
  ASSERT_TRUE(pong.is_ok());
  EXPECT_EQ(pong->type, MessageType::kOk);
  EXPECT_EQ(pong->payload, bytes_of("are you there"));
  // STATS works at any point after HELLO.
  ASSERT_TRUE(c->send(MessageType::kStats, 3, std::span<const std::byte>(), 5000).is_ok());
  auto stats = c->receive(5000, 5000);
  ASSERT_TRUE(stats.is_ok());
  ASSERT_EQ(stats->type, MessageType::kStats);
  auto s = decode_json(stats->payload, Limits{});
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(s->value("queries", -1), 0);
  EXPECT_GT(s->value("peak_rss_bytes", 0), 0);
  c.reset();
  EXPECT_EQ(target.stop(), 0);
}

TEST_F(TargetTest, LoopbackRunMatchesLocalRunAndBenchRecordsBothClocks) {
  Target target({}, tmp_);
  const fs::path local = tmp_ / "local", remote = tmp_ / "remote";
  auto r1 = cli_test::edgebench(
      fmt::format("run {} --random-seed 7 --output-dir {}", kModel, local.string()));
  ASSERT_EQ(r1.exit_code, 0) << r1.output;
  auto r2 = cli_test::edgebench(fmt::format("run {} --random-seed 7 --output-dir {} --backend {}",
                                            kModel, remote.string(), target.address()));
  ASSERT_EQ(r2.exit_code, 0) << r2.output;
  std::ifstream a(local / "logits.npy", std::ios::binary),
      b(remote / "logits.npy", std::ios::binary);
  const std::string la((std::istreambuf_iterator<char>(a)), {});
  const std::string lb((std::istreambuf_iterator<char>(b)), {});
  ASSERT_FALSE(la.empty());
  if (std::getenv("EDGEBENCH_TARGET_COMMAND") == nullptr) {
    EXPECT_EQ(la, lb) << "the target's outputs differ from the local run";
  } else {
    // Another build of the target (arm64 under emulation): other kernels, so the same header
    // and float32 values within 1e-5 of the largest, not the same bits.
    ASSERT_EQ(la.size(), lb.size());
    const std::size_t data = 10 + (static_cast<std::uint8_t>(la[8]) |
                                   static_cast<std::size_t>(static_cast<std::uint8_t>(la[9])) << 8);
    ASSERT_EQ(la.substr(0, data), lb.substr(0, data));
    double largest = 0, worst = 0;
    for (std::size_t at = data; at + 4 <= la.size(); at += 4) {
      float x, y;
      std::memcpy(&x, la.data() + at, 4);
      std::memcpy(&y, lb.data() + at, 4);
      largest = std::max(largest, std::abs(double(x)));
      worst = std::max(worst, std::abs(double(x) - double(y)));
    }
    EXPECT_LE(worst, 1e-5 * largest) << "the target's outputs differ from the local run";
  }

  for (const char* scenario : {"single-stream", "multi-stream", "server", "offline"}) {
    const fs::path json = tmp_ / fmt::format("{}.json", scenario);
    std::string extra = "--min-queries 20 --min-duration 0.1 --warmup 2";
    if (std::string_view(scenario) == "server") extra += " --target-qps 200";
    if (std::string_view(scenario) == "multi-stream") extra += " --samples-per-query 2";
    auto r =
        cli_test::edgebench(fmt::format("bench {} --backend {} --scenario {} {} --no-db "
                                        "--quiet --json {}",
                                        kModel, target.address(), scenario, extra, json.string()));
    // Few queries make stream results invalid (no early-stopping estimate): exit 1, not 2.
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << scenario << "\n" << r.output;
    std::ifstream in(json);
    const nlohmann::json j = nlohmann::json::parse(in);
    const auto& t = j["timings"];
    EXPECT_EQ(j["backend"]["name"], target.address());
    ASSERT_TRUE(t["target_latency_ms"].is_object()) << scenario;
    ASSERT_TRUE(t["round_trip_ms"].is_object()) << scenario;
    ASSERT_TRUE(t["transport_overhead_ms"].is_object()) << scenario;
    const double target_p50 = t["target_latency_ms"]["p50"];
    const double trip_p50 = t["round_trip_ms"]["p50"];
    EXPECT_GT(target_p50, 0) << scenario;
    EXPECT_GT(trip_p50, target_p50) << scenario;
    EXPECT_GE(t["transport_overhead_ms"]["min"].get<double>(), 0.0) << scenario;
    if (std::string_view(scenario) == "server") {
      EXPECT_EQ(t["latency_source"], "host");
    } else {
      EXPECT_EQ(t["latency_source"], "target") << scenario;
      EXPECT_EQ(t["latency_ms"]["p50"], t["target_latency_ms"]["p50"]) << scenario;
    }
  }

  auto e =
      cli_test::edgebench(fmt::format("eval {} --dataset random:3 --limit 20 --backend {} "
                                      "--no-db --quiet --json {}",
                                      kModel, target.address(), (tmp_ / "eval.json").string()));
  ASSERT_TRUE(e.exit_code == 0 || e.exit_code == 1) << e.output;
  std::ifstream ein(tmp_ / "eval.json");
  const nlohmann::json ej = nlohmann::json::parse(ein);
  EXPECT_EQ(ej["timings"]["latency_source"], "target");
  EXPECT_TRUE(ej["timings"]["transport_overhead_ms"].is_object());

  EXPECT_FALSE(session_folders_remain()) << "a finished session left its model folder behind";
  EXPECT_EQ(target.stop(), 0);
}

TEST_F(TargetTest, HostileClientsLeaveTheServerServing) {
  Target target({"--read-timeout", "0.5"}, tmp_);
  ASSERT_TRUE(target.alive());
  expect_good_client(target);

  {  // Garbage bytes.
    auto c = raw_client(target);
    send_raw(*c, bytes_of("GET / HTTP/1.1\r\nHost: target\r\n\r\n"));
    EXPECT_EQ(expect_error(*c).code, ErrorCode::kBadFrame);
    expect_closed(*c);
  }
  expect_good_client(target);

  {  // A frame claiming 4 GiB.
    auto c = raw_client(target);
    hello(*c);
    HeaderBytes h = encode_frame_header(MessageType::kModel, 0, 2, {});
    for (int i = 0; i < 4; ++i) h[12 + i] = std::byte{0xff};
    send_raw(*c, h);
    const ErrorInfo e = expect_error(*c);
    EXPECT_EQ(e.code, ErrorCode::kTooLarge) << e.message;
    expect_closed(*c);
  }
  expect_good_client(target);

  {  // A truncated frame, then silence: meanwhile a second client is told BUSY at once.
    auto c = raw_client(target);
    hello(*c);
    const auto payload = bytes_of("0123456789");
    const std::span<const std::byte> pieces[] = {payload};
    HeaderBytes h = encode_frame_header(MessageType::kPing, 0, 2, pieces);
    send_raw(*c, h);
    send_raw(*c, std::span(payload).first(3));
    auto second = raw_client(target);
    const auto t0 = std::chrono::steady_clock::now();
    const ErrorInfo busy = expect_error(*second);
    EXPECT_EQ(busy.code, ErrorCode::kBusy) << busy.message;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
    expect_closed(*second);
    EXPECT_EQ(expect_error(*c).code, ErrorCode::kTimeout);
    expect_closed(*c);
  }
  expect_good_client(target);

  {  // Wrong CRC.
    auto c = raw_client(target);
    hello(*c);
    const auto payload = bytes_of("ping");
    const std::span<const std::byte> pieces[] = {payload};
    HeaderBytes h = encode_frame_header(MessageType::kPing, 0, 2, pieces);
    h[16] ^= std::byte{0x55};
    send_raw(*c, h);
    send_raw(*c, payload);
    EXPECT_EQ(expect_error(*c).code, ErrorCode::kBadFrame);
    expect_closed(*c);
  }
  expect_good_client(target);

  {  // A MODEL that is not ONNX, then DATA with the wrong shape (on a model that compiled).
    auto c = raw_client(target);
    hello(*c);
    ASSERT_TRUE(
        c->send(MessageType::kModel, 2, bytes_of("this is not an onnx model"), 5000).is_ok());
    EXPECT_EQ(expect_error(*c).code, ErrorCode::kBadModel);
    // IO_SPEC without a model that imported.
    ASSERT_TRUE(c->send(MessageType::kIoSpec, 3, encode_json({}), 5000).is_ok());
    EXPECT_EQ(expect_error(*c).code, ErrorCode::kBadState);
  }
  expect_good_client(target);

  {
    auto backend = backends::make_backend(target.address());
    ASSERT_TRUE(backend.is_ok());
    auto exe = (*backend)->compile(relu_graph(), {});
    ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
    Tensor wrong = Tensor::zeros(DType::kFloat32, {4, 2});
    std::vector<Tensor> outputs(1);
    Status st = (*exe)->run(std::span(&wrong, 1), outputs);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.to_string();
    EXPECT_NE(st.message().find("BAD_INPUT"), std::string::npos) << st.message();
    // The session survives a refused DATA: the next good DATA runs.
    Tensor right = Tensor::zeros(DType::kFloat32, {2, 4});
    st = (*exe)->run(std::span(&right, 1), outputs);
    EXPECT_TRUE(st.is_ok()) << st.to_string();
  }
  expect_good_client(target);

  {  // A client that disconnects half way through a MODEL.
    auto c = raw_client(target);
    hello(*c);
    std::vector<std::byte> model(100000, std::byte{7});
    const std::span<const std::byte> pieces[] = {model};
    HeaderBytes h = encode_frame_header(MessageType::kModel, 0, 2, pieces);
    send_raw(*c, h);
    send_raw(*c, std::span(model).first(5000));
  }
  expect_good_client(target);

  {  // A message before HELLO.
    auto c = raw_client(target);
    ASSERT_TRUE(c->send(MessageType::kData, 1, std::span<const std::byte>(), 5000).is_ok());
    EXPECT_EQ(expect_error(*c).code, ErrorCode::kBadState);
    expect_closed(*c);
  }
  {  // A protocol version the target does not speak.
    auto c = raw_client(target);
    ASSERT_TRUE(
        c->send(MessageType::kHello, 1, encode_json({{"protocol_version", 2}}), 5000).is_ok());
    EXPECT_EQ(expect_error(*c).code, ErrorCode::kVersion);
  }
  expect_good_client(target);

  EXPECT_TRUE(target.alive());
  EXPECT_FALSE(session_folders_remain());
  EXPECT_EQ(target.stop(), 0);
}

TEST_F(TargetTest, IdleSessionTimesOutAndFreesTheTarget) {
  Target target({"--idle-timeout", "0.3"}, tmp_);
  auto c = raw_client(target);
  hello(*c);
  const auto t0 = std::chrono::steady_clock::now();
  const ErrorInfo e = expect_error(*c);
  EXPECT_EQ(e.code, ErrorCode::kTimeout) << e.message;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  expect_closed(*c);
  expect_good_client(target);
  EXPECT_EQ(target.stop(), 0);
}

TEST_F(TargetTest, TokenIsRequiredAndCheckedAndModelLimitEnforced) {
  const fs::path token = tmp_ / "token";
  {
    std::ofstream out(token);
    out << "s3cret-token\n";
  }
  fs::permissions(token, fs::perms::owner_read | fs::perms::owner_write);
  Target target({"--token-file", token.string(), "--max-model-bytes", "2000"}, tmp_);
  {  // Wrong token.
    auto c = raw_client(target);
    EXPECT_TRUE(hello(*c).value("auth_required", false));
    ASSERT_TRUE(c->send(MessageType::kAuth, 2, bytes_of("s3cret-tokeN"), 5000).is_ok());
    EXPECT_EQ(expect_error(*c).code, ErrorCode::kAuth);
    expect_closed(*c);
  }
  {  // No token: anything but AUTH is refused.
    auto c = raw_client(target);
    hello(*c);
    ASSERT_TRUE(c->send(MessageType::kModel, 2, bytes_of("x"), 5000).is_ok());
    EXPECT_EQ(expect_error(*c).code, ErrorCode::kAuth);
  }
  {
    auto backend = backends::make_backend(target.address());
    ASSERT_TRUE(backend.is_ok());
    auto exe = (*backend)->compile(relu_graph(), {});
    EXPECT_NE(exe.status().message().find("requires a token"), std::string::npos)
        << exe.status().to_string();
  }
  expect_good_client(target, "?token-file=" + token.string());
  {  // A model over --max-model-bytes: refused by the host before sending, and by the target
     // when sent anyway.
    auto r = cli_test::edgebench(
        fmt::format("run {} --backend {}?token-file={}", kModel, target.address(), token.string()));
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("--max-model-bytes"), std::string::npos) << r.output;
    auto c = raw_client(target);
    hello(*c);
    ASSERT_TRUE(c->send(MessageType::kAuth, 2, bytes_of("s3cret-token"), 5000).is_ok());
    ASSERT_TRUE(c->receive(5000, 5000).is_ok());
    std::vector<std::byte> model(3000);
    ASSERT_TRUE(c->send(MessageType::kModel, 3, model, 5000).is_ok());
    EXPECT_EQ(expect_error(*c).code, ErrorCode::kTooLarge);
  }
  expect_good_client(target, "?token-file=" + token.string());
  EXPECT_EQ(target.stop(), 0);
}

TEST_F(TargetTest, SigtermDuringASessionExitsCleanlyAndRemovesTheModelFolder) {
  Target target({}, tmp_);
  auto backend = backends::make_backend(target.address());
  ASSERT_TRUE(backend.is_ok());
  auto exe = (*backend)->compile(relu_graph(), {});
  ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
  EXPECT_TRUE(session_folders_left()) << "the received model should live in a session folder";
  EXPECT_EQ(target.stop(), 0);
  EXPECT_FALSE(session_folders_left());
  Tensor x = Tensor::zeros(DType::kFloat32, {2, 4});
  std::vector<Tensor> outputs(1);
  EXPECT_FALSE((*exe)->run(std::span(&x, 1), outputs).is_ok());
}

}  // namespace
}  // namespace edgebench::remote
