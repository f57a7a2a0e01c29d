// The remote proxy backend, `tcp://HOST:PORT`: compile() opens a session with an
// edgebench-target or a Python target (docs/protocol.md), sends the model (a TFLite model's own
// bytes, otherwise the graph exported to ONNX) and compiles it there; each run sends DATA, PROCESS
// and OUTPUT in one write and reads the three replies. The target's own inference time comes back
// with every run (last_run_info()->device_ms).
//
// Authentication: the token is read from the file named by `?token-file=PATH` after the
// address, or else by the environment variable EDGEBENCH_TARGET_TOKEN_FILE. While it waits for
// a reply, a run checks for it without sleeping for EDGEBENCH_REMOTE_BUSY_POLL_US (default 200)
// microseconds first.
#include "remote_backend.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "edgebench/onnx/model_io.h"
#include "edgebench/remote/protocol.h"

namespace edgebench::backends {

namespace {

using remote::ErrorCode;
using remote::MessageType;

constexpr int kConnectTimeoutMs = 10'000;
// Waiting for a reply covers the target's compile or inference, which may take long on a slow
// board; once a reply starts, it must keep flowing.
constexpr int kReplyTimeoutMs = 600'000;
constexpr int kReadTimeoutMs = 30'000;
constexpr int kDefaultBusyPollUs = 200;

Status status_from_error(const remote::ErrorInfo& e, std::string_view what) {
  std::string message =
      fmt::format("target refused {}: {} ({})", what, e.message, remote::error_code_name(e.code));
  switch (e.code) {
    case ErrorCode::kBadModel: return invalid_model(std::move(message));
    case ErrorCode::kBadInput:
    case ErrorCode::kAuth: return invalid_argument(std::move(message));
    case ErrorCode::kTooLarge: return out_of_range(std::move(message));
    case ErrorCode::kBadState:
    case ErrorCode::kInternal: return internal_error(std::move(message));
    default: return io_error(std::move(message));
  }
}

// Receives the reply to `request_id`; an ERROR becomes a Status. `expect` is the success type.
Result<remote::Message> receive_reply(remote::Connection& conn, std::uint32_t request_id,
                                      MessageType expect, std::string_view what) {
  EB_ASSIGN_OR_RETURN(remote::Message m, conn.receive(kReplyTimeoutMs, kReadTimeoutMs));
  if (m.type == MessageType::kError) {
    EB_ASSIGN_OR_RETURN(remote::ErrorInfo e, remote::decode_error(m.payload, conn.limits()));
    return status_from_error(e, what);
  }
  if (m.type != expect || m.request_id != request_id) {
    return data_loss(fmt::format(
        "target answered {} with {} (request {}); expected {} (request {})", what,
        message_type_name(m.type), m.request_id, message_type_name(expect), request_id));
  }
  return m;
}

Result<std::vector<TensorSpec>> parse_specs(const nlohmann::json& j, std::string_view key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_array()) {
    return data_loss(fmt::format("target's IO_SPEC has no '{}' list", key));
  }
  std::vector<TensorSpec> specs;
  for (const auto& s : *it) {
    TensorSpec spec;
    if (!s.is_object() || !s.contains("name") || !s["name"].is_string() || !s.contains("dtype") ||
        !s["dtype"].is_string() || !s.contains("shape") || !s["shape"].is_array()) {
      return data_loss(fmt::format("target's IO_SPEC '{}' entry is malformed: {}", key, s.dump()));
    }
    spec.name = s["name"].get<std::string>();
    const auto dtype = dtype_from_name(s["dtype"].get<std::string>());
    spec.dtype = dtype.value_or(DType::kUndefined);
    for (const auto& d : s["shape"]) {
      if (!d.is_number_integer()) return data_loss("target's IO_SPEC has a non-integer dim");
      spec.shape.push_back(d.get<std::int64_t>());
    }
    // A runtime that takes and gives quantized integers says how they map to real values.
    if (const auto q = s.find("quantization"); q != s.end() && !q->is_null()) {
      const auto scale = q->is_object() ? q->find("scale") : q->end();
      const auto zero = q->is_object() ? q->find("zero_point") : q->end();
      if (scale == q->end() || !scale->is_number() || zero == q->end() ||
          !zero->is_number_integer() || !(scale->get<double>() > 0)) {
        return data_loss(fmt::format(
            "target's IO_SPEC '{}' entry '{}' has a malformed quantization (expected a positive "
            "scale and an integer zero_point): {}",
            key, spec.name, q->dump()));
      }
      QuantParams quant;
      quant.scales.push_back(scale->get<float>());
      quant.zero_points.push_back(zero->get<std::int64_t>());
      spec.quant = std::move(quant);
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

// The record's view of the target: its runtime (IO_SPEC's, which knows the compiled precision,
// over HELLO's) and its machine. Only well-formed members are kept; the target is not trusted
// to send any of them.
nlohmann::json describe_target(const nlohmann::json& hello, const nlohmann::json& io_spec) {
  nlohmann::json out = nlohmann::json::object();
  nlohmann::json runtime = nlohmann::json::object();
  for (const nlohmann::json* source : {&hello, &io_spec}) {
    const auto r = source->find("runtime");
    if (r == source->end() || !r->is_object()) continue;
    for (const char* key : {"name", "version", "device", "delegate", "precision"}) {
      if (const auto v = r->find(key); v != r->end() && (v->is_string() || v->is_null())) {
        runtime[key] = *v;
      }
    }
    if (const auto v = r->find("threads"); v != r->end() && v->is_number_integer()) {
      runtime["threads"] = *v;
    }
    if (const auto v = r->find("options"); v != r->end() && v->is_object()) {
      runtime["options"] = *v;
    }
  }
  if (!runtime.empty()) out["runtime"] = std::move(runtime);
  // The machine is described at HELLO's top level (edgebench-target) or under "host".
  nlohmann::json host = nlohmann::json::object();
  const auto nested = hello.find("host");
  for (const nlohmann::json* source :
       {&hello, nested != hello.end() && nested->is_object() ? &*nested : &hello}) {
    for (const char* key : {"hostname", "cpu", "arch", "os", "python"}) {
      if (const auto v = source->find(key); v != source->end() && v->is_string()) host[key] = *v;
    }
    if (const auto v = source->find("emulated"); v != source->end() && v->is_boolean()) {
      host["emulated"] = *v;
    }
    if (const auto v = source->find("cores"); v != source->end() && v->is_number_integer()) {
      host["cores"] = *v;
    }
  }
  if (!host.empty()) out["host"] = std::move(host);
  return out.empty() ? nlohmann::json() : out;
}

class RemoteExecutable final : public Executable {
 public:
  RemoteExecutable(std::unique_ptr<remote::Connection> conn, std::vector<TensorSpec> inputs,
                   std::vector<TensorSpec> outputs, std::uint64_t arena_bytes,
                   std::uint32_t next_request_id, nlohmann::json target_info)
      : conn_(std::move(conn)),
        inputs_(std::move(inputs)),
        outputs_(std::move(outputs)),
        arena_bytes_(arena_bytes),
        next_id_(next_request_id),
        target_info_(std::move(target_info)) {
    for (const TensorSpec& s : inputs_) input_names_.push_back(s.name);
    // Waking from a sleep costs tens of microseconds (measured on loopback: transport overhead
    // p50 about 100 us sleeping, 35 us checking for 100 us first); a short inference's reply is
    // checked for without sleeping first. EDGEBENCH_REMOTE_BUSY_POLL_US overrides (0: off).
    int busy_poll_us = kDefaultBusyPollUs;
    if (const char* env = std::getenv("EDGEBENCH_REMOTE_BUSY_POLL_US"); env && *env) {
      busy_poll_us = std::clamp(std::atoi(env), 0, 1'000'000);
    }
    conn_->set_busy_poll_us(busy_poll_us);
  }

  const std::vector<TensorSpec>& inputs() const override { return inputs_; }
  const std::vector<TensorSpec>& outputs() const override { return outputs_; }
  const RunInfo* last_run_info() const override { return &info_; }
  std::uint64_t arena_bytes() const override { return arena_bytes_; }
  const nlohmann::json* target_info() const override {
    return target_info_.is_null() ? nullptr : &target_info_;
  }

  Status run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    info_.device_ms.reset();
    if (broken_) return io_error("the session with the target ended after an earlier error");
    if (inputs.size() != inputs_.size()) {
      return invalid_argument(
          fmt::format("{} inputs given; the model takes {}", inputs.size(), inputs_.size()));
    }
    if (outputs.size() != outputs_.size()) {
      return invalid_argument(
          fmt::format("{} outputs given; the model has {}", outputs.size(), outputs_.size()));
    }
    EB_RETURN_IF_ERROR(remote::encode_tensor_list(input_names_, inputs, scratch_, pieces_));
    const std::uint32_t data_id = next_id_++, process_id = next_id_++, output_id = next_id_++;
    const remote::Connection::Outgoing batch[] = {{MessageType::kData, data_id, pieces_},
                                                  {MessageType::kProcess, process_id, {}},
                                                  {MessageType::kOutput, output_id, {}}};
    if (Status st = conn_->send_batch(batch, kReadTimeoutMs); !st.is_ok()) {
      broken_ = true;
      return st.with_context("sending DATA to the target");
    }
    // Three replies always come back (an ERROR for each step that could not run); read them all
    // to stay in step, then report the first failure.
    auto data = receive_reply(*conn_, data_id, MessageType::kOk, "DATA");
    auto process = receive_reply(*conn_, process_id, MessageType::kOk, "PROCESS");
    auto output = receive_reply(*conn_, output_id, MessageType::kOutput, "OUTPUT");
    for (const Status* st : {&data.status(), &process.status(), &output.status()}) {
      if (!st->is_ok()) {
        // Transport failures leave the stream unusable; refusals (ERROR replies) do not.
        if (st->code() == StatusCode::kIoError || st->code() == StatusCode::kDataLoss) {
          broken_ = true;
        }
        return *st;
      }
    }
    EB_ASSIGN_OR_RETURN(nlohmann::json timing,
                        remote::decode_json(process->payload, conn_->limits()));
    const auto ms = timing.find("target_ms");
    if (ms == timing.end() || !ms->is_number()) {
      return data_loss("target's PROCESS reply has no target_ms");
    }
    EB_ASSIGN_OR_RETURN(auto list, remote::decode_tensor_list(output->payload, conn_->limits()));
    if (list.size() != outputs_.size()) {
      return data_loss(
          fmt::format("target sent {} outputs; the model has {}", list.size(), outputs_.size()));
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      Tensor& out = outputs[i];
      const Tensor& got = list[i].tensor;
      if (out.defined() && out.dtype() == got.dtype() && out.shape() == got.shape()) {
        std::memcpy(out.raw_data(), got.raw_data(), got.byte_size());  // keep the caller's buffer
      } else {
        out = got;
      }
    }
    info_.device_ms = ms->get<double>();
    return Status::ok();
  }

 private:
  std::unique_ptr<remote::Connection> conn_;
  std::vector<TensorSpec> inputs_;
  std::vector<TensorSpec> outputs_;
  std::vector<std::string_view> input_names_;  // views of inputs_[i].name
  std::uint64_t arena_bytes_;
  std::uint32_t next_id_;
  nlohmann::json target_info_;
  RunInfo info_;
  bool broken_ = false;
  std::vector<std::byte> scratch_;
  std::vector<std::span<const std::byte>> pieces_;
};

class RemoteBackend final : public Backend {
 public:
  RemoteBackend(std::string spec, std::string host, std::uint16_t port,
                std::optional<std::string> token)
      : spec_(std::move(spec)), host_(std::move(host)), port_(port), token_(std::move(token)) {}

  std::string name() const override { return spec_; }

  Capabilities capabilities() const override {
    return {spec_,
            fmt::format("remote target (edgebench-target) at {}:{}", host_, port_),
            {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kInt8, DType::kUInt8,
             DType::kInt16, DType::kUInt16, DType::kInt32, DType::kUInt32, DType::kInt64,
             DType::kUInt64, DType::kBool},
            256,
            "remote"};
  }

  // Which nodes the target runs is only known once it compiles the model there.
  std::vector<NodeSupport> support(const ir::Graph& graph) const override {
    std::vector<NodeSupport> out;
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) out.push_back({i, true, "remote", ""});
    return out;
  }

  Result<std::unique_ptr<Executable>> compile(const ir::Graph& graph,
                                              const CompileOptions& options) const override {
    if (options.threads < 1) {
      return invalid_argument(fmt::format("threads must be at least 1, got {}", options.threads));
    }
    // A TFLite model goes as its own bytes (the graph only describes it); others as ONNX.
    std::string model;
    if (graph.foreign) {
      if (!graph.foreign->bytes || graph.foreign->bytes->empty()) {
        return invalid_model(fmt::format("the {} model has no bytes", graph.foreign->format));
      }
      model.assign(reinterpret_cast<const char*>(graph.foreign->bytes->data()),
                   graph.foreign->bytes->size());
    } else {
      EB_ASSIGN_OR_RETURN(model, onnx::export_model(graph));
    }
    EB_ASSIGN_OR_RETURN(int fd, remote::connect_tcp(host_, port_, kConnectTimeoutMs));
    // The host accepts whatever the target sends back within generous limits.
    remote::Limits limits;
    limits.max_model_bytes = std::max<std::uint64_t>(model.size(), 1);
    limits.max_tensor_bytes = std::uint64_t{4} << 30;
    limits.max_tensor_list_bytes = std::uint64_t{8} << 30;
    limits.max_frame_payload = 64u << 20;
    auto conn = std::make_unique<remote::Connection>(fd, limits);
    std::uint32_t id = 1;
    const std::string where = fmt::format("target {}:{}", host_, port_);

    // HELLO
    EB_RETURN_IF_ERROR(
        conn->send(MessageType::kHello, id,
                   remote::encode_json(
                       {{"protocol_version", remote::kProtocolVersion}, {"client", "edgebench"}}),
                   kReadTimeoutMs)
            .with_context(where));
    EB_ASSIGN_OR_RETURN(remote::Message hello,
                        receive_reply(*conn, id++, MessageType::kHello, "HELLO"));
    EB_ASSIGN_OR_RETURN(nlohmann::json info, remote::decode_json(hello.payload, limits));
    if (info.value("protocol_version", -1) != remote::kProtocolVersion) {
      return unsupported(fmt::format("{} speaks protocol version {}; this host speaks {}", where,
                                     info.value("protocol_version", -1), remote::kProtocolVersion));
    }
    // Send no larger model than the target accepts: fail here with a clear message.
    const std::uint64_t target_max_model =
        info.contains("limits") && info["limits"].is_object()
            ? info["limits"].value("max_model_bytes", std::uint64_t{0})
            : 0;
    if (target_max_model > 0 && model.size() > target_max_model) {
      return out_of_range(
          fmt::format("the model is {} bytes; {} accepts at most {} "
                      "(edgebench-target --max-model-bytes)",
                      model.size(), where, target_max_model));
    }
    if (info.contains("limits") && info["limits"].is_object()) {
      const auto frame = info["limits"].value("max_frame_payload", std::uint64_t{0});
      if (frame > 0 && frame < std::numeric_limits<std::uint32_t>::max()) {
        conn->set_send_chunk_limit(static_cast<std::uint32_t>(frame));
      }
    }

    if (info.value("auth_required", false)) {
      if (!token_) {
        return invalid_argument(fmt::format(
            "{} requires a token: set EDGEBENCH_TARGET_TOKEN_FILE or add ?token-file=PATH", where));
      }
      EB_RETURN_IF_ERROR(
          conn->send(MessageType::kAuth, id,
                     std::span(reinterpret_cast<const std::byte*>(token_->data()), token_->size()),
                     kReadTimeoutMs));
      EB_RETURN_IF_ERROR(receive_reply(*conn, id++, MessageType::kOk, "AUTH").status());
    }

    // MODEL
    EB_RETURN_IF_ERROR(conn->send(
        MessageType::kModel, id,
        std::span(reinterpret_cast<const std::byte*>(model.data()), model.size()), kReadTimeoutMs));
    EB_RETURN_IF_ERROR(receive_reply(*conn, id++, MessageType::kOk, "MODEL").status());

    // IO_SPEC: compile there.
    nlohmann::json shapes = nlohmann::json::object();
    for (const auto& [name, shape] : options.input_shapes) shapes[name] = shape;
    EB_RETURN_IF_ERROR(
        conn->send(MessageType::kIoSpec, id,
                   remote::encode_json({{"threads", options.threads}, {"input_shapes", shapes}}),
                   kReadTimeoutMs));
    EB_ASSIGN_OR_RETURN(remote::Message spec_message,
                        receive_reply(*conn, id++, MessageType::kIoSpec, "IO_SPEC"));
    EB_ASSIGN_OR_RETURN(nlohmann::json spec, remote::decode_json(spec_message.payload, limits));
    EB_ASSIGN_OR_RETURN(auto inputs, parse_specs(spec, "inputs"));
    EB_ASSIGN_OR_RETURN(auto outputs, parse_specs(spec, "outputs"));
    const std::uint64_t arena = spec.value("arena_bytes", std::uint64_t{0});
    return std::unique_ptr<Executable>(
        std::make_unique<RemoteExecutable>(std::move(conn), std::move(inputs), std::move(outputs),
                                           arena, id, describe_target(info, spec)));
  }

 private:
  std::string spec_;
  std::string host_;
  std::uint16_t port_;
  std::optional<std::string> token_;
};

}  // namespace

Result<std::unique_ptr<Backend>> make_remote_backend(std::string_view spec) {
  std::string_view rest = spec.substr(std::string_view("tcp://").size());
  std::optional<std::string> token_file;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    const std::string_view query = rest.substr(q + 1);
    rest = rest.substr(0, q);
    if (!query.starts_with("token-file=") || query.size() == 11) {
      return invalid_argument(
          fmt::format("backend '{}': the only option after '?' is token-file=PATH", spec));
    }
    token_file = std::string(query.substr(11));
  } else if (const char* env = std::getenv("EDGEBENCH_TARGET_TOKEN_FILE"); env && *env) {
    token_file = env;
  }
  auto address = remote::parse_host_port(rest, /*allow_port_zero=*/false);
  if (!address.is_ok()) return address.status().with_context(fmt::format("backend '{}'", spec));
  std::optional<std::string> token;
  if (token_file) {
    std::ifstream in(*token_file, std::ios::binary);
    if (!in) return not_found(fmt::format("token file '{}' cannot be opened", *token_file));
    std::ostringstream text;
    text << in.rdbuf();
    token = text.str();
    while (!token->empty() &&
           (token->back() == '\n' || token->back() == '\r' || token->back() == ' ')) {
      token->pop_back();
    }
  }
  return std::unique_ptr<Backend>(std::make_unique<RemoteBackend>(
      std::string(spec), address->first, address->second, std::move(token)));
}

}  // namespace edgebench::backends
