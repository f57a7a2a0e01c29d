#include "edgebench/target/server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "edgebench/backends/backend.h"
#include "edgebench/core/hash.h"
#include "edgebench/core/host.h"
#include "edgebench/core/temp_dir.h"
#include "edgebench/onnx/model_io.h"

namespace edgebench::target {

namespace {

using Clock = std::chrono::steady_clock;
using remote::ErrorCode;
using remote::MessageType;

// Replies up to this size may be held back to go out with the next one.
constexpr std::size_t kMaxDeferredBytes = 64 * 1024;

// Compares digests so that the time taken does not depend on where the strings differ (nor on
// the length of the token sent).
bool token_matches(std::span<const std::byte> given, const std::string& expected) {
  const std::string a = sha256_hex(given);
  const std::string b =
      sha256_hex(std::span(reinterpret_cast<const std::byte*>(expected.data()), expected.size()));
  volatile unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    diff = static_cast<unsigned char>(diff | (a[i] ^ b[i]));
  }
  return diff == 0 && a.size() == b.size();
}

// The ERROR code for a failure to receive or decode a message.
ErrorCode error_code_for(const Status& status) {
  if (remote::is_timeout(status)) return ErrorCode::kTimeout;
  switch (status.code()) {
    case StatusCode::kOutOfRange: return ErrorCode::kTooLarge;
    case StatusCode::kUnsupported: return ErrorCode::kVersion;
    case StatusCode::kDataLoss: return ErrorCode::kBadFrame;
    default: return ErrorCode::kInternal;
  }
}

nlohmann::json spec_json(const std::vector<backends::TensorSpec>& specs) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : specs) {
    list.push_back({{"name", s.name}, {"dtype", dtype_name(s.dtype)}, {"shape", s.shape}});
  }
  return list;
}

std::uint64_t peak_rss_bytes() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
}

}  // namespace

struct Server::Session {
  enum class State { kHello, kAuth, kNoModel, kModel, kCompiled };

  Session(const ServerOptions& options, remote::Connection& connection, ServerCounters& counters)
      : options_(options), conn_(connection), counters_(counters) {}

  ~Session() {
    executable_.reset();
    if (!folder_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(folder_, ec);
    }
  }

  // Runs the session to its end; returns whether it ended cleanly (the client closed).
  bool run() {
    auto backend = backends::make_backend(options_.backend);
    if (!backend.is_ok()) {
      reply_error(0, ErrorCode::kInternal, backend.status().message());
      return false;
    }
    backend_ = std::move(backend).value();
    for (;;) {
      // Before HELLO only the read timeout applies: a silent client is not a session yet.
      const int idle =
          state_ == State::kHello ? options_.read_timeout_ms : options_.idle_timeout_ms;
      if (!conn_.has_buffered_frame() && !flush_pending()) return false;
      const Status st = conn_.receive(message_, idle, options_.read_timeout_ms);
      if (!st.is_ok()) {
        const bool closed = st.code() == StatusCode::kIoError && !remote::is_timeout(st);
        if (!closed) reply_error(0, error_code_for(st), st.message());
        return closed;
      }
      if (!handle(message_)) return false;
    }
  }

 private:
  // Returns false when the session must end (after the reply).
  bool handle(remote::Message& m) {
    const std::uint32_t id = m.request_id;
    if (m.type == MessageType::kPing) return reply(MessageType::kOk, id, m.payload);
    switch (state_) {
      case State::kHello:
        if (m.type != MessageType::kHello) {
          reply_error(id, ErrorCode::kBadState,
                      fmt::format("expected HELLO first, got {}", message_type_name(m.type)));
          return false;
        }
        return on_hello(m);
      case State::kAuth:
        if (m.type != MessageType::kAuth) {
          reply_error(
              id, ErrorCode::kAuth,
              fmt::format("this target requires AUTH before {}", message_type_name(m.type)));
          return false;
        }
        return on_auth(m);
      default: break;
    }
    switch (m.type) {
      case MessageType::kModel: return on_model(m);
      case MessageType::kIoSpec: return on_io_spec(m);
      case MessageType::kData: return on_data(m);
      case MessageType::kProcess: return on_process(m);
      case MessageType::kOutput: return on_output(m);
      case MessageType::kStats: return on_stats(m);
      default:
        return reply_error(
            id, ErrorCode::kBadState,
            fmt::format("{} is not a request a target accepts here", message_type_name(m.type)));
    }
  }

  // Replies to pipelined requests (the host sends DATA, PROCESS and OUTPUT in one write) are
  // held while the next request is already buffered, and go out together in one write: one
  // wake-up for the host instead of three.
  bool reply(MessageType type, std::uint32_t id, std::span<const std::byte> payload) {
    if (conn_.has_buffered_frame() && payload.size() <= kMaxDeferredBytes) {
      pending_.push_back({type, id, {payload.begin(), payload.end()}});
      return true;
    }
    const std::span<const std::byte> pieces[] = {payload};
    return send_with_pending(type, id, pieces);
  }
  // Sends the held replies, then this one, in one write.
  bool send_with_pending(MessageType type, std::uint32_t id,
                         std::span<const std::span<const std::byte>> pieces) {
    std::vector<std::span<const std::byte>> held(pending_.size());
    std::vector<remote::Connection::Outgoing> batch;
    for (std::size_t i = 0; i < pending_.size(); ++i) {
      held[i] = pending_[i].payload;
      batch.push_back({pending_[i].type, pending_[i].request_id, std::span(&held[i], 1)});
    }
    batch.push_back({type, id, pieces});
    const bool sent = conn_.send_batch(batch, options_.read_timeout_ms).is_ok();
    pending_.clear();
    return sent;
  }
  bool flush_pending() {
    if (pending_.empty()) return true;
    std::vector<std::span<const std::byte>> held(pending_.size());
    std::vector<remote::Connection::Outgoing> batch;
    for (std::size_t i = 0; i < pending_.size(); ++i) {
      held[i] = pending_[i].payload;
      batch.push_back({pending_[i].type, pending_[i].request_id, std::span(&held[i], 1)});
    }
    const bool sent = conn_.send_batch(batch, options_.read_timeout_ms).is_ok();
    pending_.clear();
    return sent;
  }
  bool reply_json(MessageType type, std::uint32_t id, const nlohmann::json& j) {
    return reply(type, id, remote::encode_json(j));
  }
  // Sends ERROR at once (with any held replies: the session may end after it); returns whether
  // the session can go on (the write worked).
  bool reply_error(std::uint32_t id, ErrorCode code, std::string_view message) {
    const auto payload = remote::encode_error(code, message);
    const std::span<const std::byte> pieces[] = {payload};
    return send_with_pending(MessageType::kError, id, pieces);
  }

  bool on_hello(const remote::Message& m) {
    auto hello = remote::decode_json(m.payload, options_.limits);
    if (!hello.is_ok()) {
      reply_error(m.request_id, ErrorCode::kBadFrame, "HELLO: " + hello.status().message());
      return false;
    }
    const auto version = hello->find("protocol_version");
    if (version == hello->end() || !version->is_number_integer() ||
        version->get<std::int64_t>() != remote::kProtocolVersion) {
      reply_error(m.request_id, ErrorCode::kVersion,
                  fmt::format("this target speaks protocol version {}; HELLO said {}",
                              remote::kProtocolVersion,
                              version == hello->end() ? "nothing" : version->dump()));
      return false;
    }
    const backends::Capabilities caps = backend_->capabilities();
    max_threads_ = std::max(
        1, std::min(caps.max_threads, static_cast<int>(std::thread::hardware_concurrency())));
    nlohmann::json dtypes = nlohmann::json::array();
    for (DType d : caps.dtypes) dtypes.push_back(dtype_name(d));
    const remote::Limits& l = options_.limits;
    nlohmann::json reply = {{"protocol_version", remote::kProtocolVersion},
                            {"server", "edgebench-target"},
                            {"auth_required", options_.token.has_value()},
                            {"backends", backends::available_backends()},
                            {"backend", backend_->name()},
                            {"dtypes", dtypes},
                            {"max_threads", max_threads_},
                            {"hostname", host_name()},
                            {"cpu", cpu_model()},
                            {"arch", machine_architecture()},
                            {"emulated", running_under_emulation()},
                            {"cores", std::thread::hardware_concurrency()},
                            {"limits",
                             {{"max_frame_payload", l.max_frame_payload},
                              {"max_model_bytes", l.max_model_bytes},
                              {"max_tensor_bytes", l.max_tensor_bytes},
                              {"max_tensor_list_bytes", l.max_tensor_list_bytes},
                              {"max_control_bytes", l.max_control_bytes},
                              {"max_rank", l.max_rank},
                              {"max_tensors", l.max_tensors}}}};
    state_ = options_.token ? State::kAuth : State::kNoModel;
    return reply_json(MessageType::kHello, m.request_id, reply);
  }

  bool on_auth(const remote::Message& m) {
    if (!token_matches(m.payload, *options_.token)) {
      reply_error(m.request_id, ErrorCode::kAuth, "wrong token");
      return false;
    }
    state_ = State::kNoModel;
    return reply_json(MessageType::kOk, m.request_id, nlohmann::json::object());
  }

  Status make_folder() {
    if (!folder_.empty()) return Status::ok();
    auto made = make_private_dir("edgebench-target", options_.temp_root);
    if (!made.is_ok()) return made.status().with_context("the session folder");
    folder_ = std::move(made).value();
    return Status::ok();
  }

  bool on_model(const remote::Message& m) {
    // A new model replaces the old one and everything compiled from it.
    executable_.reset();
    graph_.reset();
    inputs_valid_ = outputs_valid_ = false;
    state_ = State::kNoModel;
    if (Status st = make_folder(); !st.is_ok()) {
      return reply_error(m.request_id, ErrorCode::kInternal, st.message());
    }
    const std::filesystem::path file = folder_ / "model.onnx";
    {
      std::ofstream out(file, std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char*>(m.payload.data()),
                static_cast<std::streamsize>(m.payload.size()));
      if (!out) {
        return reply_error(m.request_id, ErrorCode::kInternal,
                           fmt::format("cannot write the model to {}", file.string()));
      }
    }
    onnx::ImportOptions import_options;
    import_options.max_model_bytes = options_.limits.max_model_bytes;
    import_options.allow_external_data = false;
    // An empty base folder: a received model may not reference files on the target.
    auto graph = onnx::import_model(m.payload, {}, "received model", import_options);
    if (!graph.is_ok()) {
      return reply_error(m.request_id, ErrorCode::kBadModel, graph.status().to_string());
    }
    graph_ = std::make_unique<ir::Graph>(std::move(graph).value());
    model_bytes_ = m.payload.size();
    state_ = State::kModel;
    return reply_json(MessageType::kOk, m.request_id,
                      {{"nodes", graph_->nodes.size()}, {"model_bytes", model_bytes_}});
  }

  Status parse_compile_options(const nlohmann::json& j, backends::CompileOptions& out) const {
    out.threads = 1;
    if (auto t = j.find("threads"); t != j.end()) {
      if (!t->is_number_integer() || t->get<std::int64_t>() < 1 ||
          t->get<std::int64_t>() > max_threads_) {
        return invalid_argument(fmt::format("IO_SPEC: threads must be an integer in 1..{}, got {}",
                                            max_threads_, t->dump()));
      }
      out.threads = static_cast<int>(t->get<std::int64_t>());
    }
    if (auto s = j.find("input_shapes"); s != j.end()) {
      if (!s->is_object() || s->size() > options_.limits.max_tensors) {
        return invalid_argument("IO_SPEC: input_shapes must be an object of name -> dims");
      }
      for (const auto& [name, dims] : s->items()) {
        if (!dims.is_array() || dims.size() > options_.limits.max_rank) {
          return invalid_argument(
              fmt::format("IO_SPEC: input_shapes['{}'] must be a list of at "
                          "most {} dims",
                          name, options_.limits.max_rank));
        }
        Shape shape;
        for (const auto& d : dims) {
          if (!d.is_number_integer() || d.get<std::int64_t>() < 0) {
            return invalid_argument(
                fmt::format("IO_SPEC: input_shapes['{}'] holds {}", name, d.dump()));
          }
          shape.push_back(d.get<std::int64_t>());
        }
        EB_RETURN_IF_ERROR(checked_byte_size(DType::kFloat64, shape)
                               .status()
                               .with_context(fmt::format("IO_SPEC: input_shapes['{}']", name)));
        out.input_shapes[name] = std::move(shape);
      }
    }
    return Status::ok();
  }

  bool on_io_spec(const remote::Message& m) {
    if (state_ == State::kNoModel) {
      return reply_error(m.request_id, ErrorCode::kBadState, "IO_SPEC before a MODEL");
    }
    auto request = remote::decode_json(m.payload.empty() ? remote::encode_json({}) : m.payload,
                                       options_.limits);
    if (!request.is_ok()) {
      return reply_error(m.request_id, ErrorCode::kBadInput,
                         "IO_SPEC: " + request.status().message());
    }
    backends::CompileOptions compile_options;
    if (Status st = parse_compile_options(*request, compile_options); !st.is_ok()) {
      return reply_error(m.request_id, ErrorCode::kBadInput, st.message());
    }
    executable_.reset();
    inputs_valid_ = outputs_valid_ = false;
    const auto t0 = Clock::now();
    auto exe = backend_->compile(*graph_, compile_options);
    const double compile_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (!exe.is_ok()) {
      state_ = State::kModel;
      return reply_error(m.request_id, ErrorCode::kBadModel, exe.status().to_string());
    }
    executable_ = std::move(exe).value();
    inputs_.assign(executable_->inputs().size(), Tensor());
    outputs_.assign(executable_->outputs().size(), Tensor());
    for (std::size_t i = 0; i < outputs_.size(); ++i) {
      const auto& spec = executable_->outputs()[i];
      if (spec.dtype == DType::kUndefined) continue;
      auto t = Tensor::allocate(spec.dtype, spec.shape);
      if (t.is_ok()) outputs_[i] = std::move(t).value();
    }
    output_names_.clear();
    for (const auto& spec : executable_->outputs()) output_names_.push_back(spec.name);
    state_ = State::kCompiled;
    return reply_json(MessageType::kIoSpec, m.request_id,
                      {{"inputs", spec_json(executable_->inputs())},
                       {"outputs", spec_json(executable_->outputs())},
                       {"compile_ms", compile_ms},
                       {"threads", compile_options.threads},
                       {"arena_bytes", executable_->arena_bytes()}});
  }

  Status check_inputs(const std::vector<remote::NamedTensor>& list) const {
    const auto& specs = executable_->inputs();
    if (list.size() != specs.size()) {
      return invalid_argument(
          fmt::format("DATA holds {} tensors; the model takes {}", list.size(), specs.size()));
    }
    for (std::size_t i = 0; i < specs.size(); ++i) {
      const auto& spec = specs[i];
      const Tensor& t = list[i].tensor;
      bool shape_ok = t.shape().size() == spec.shape.size();
      for (std::size_t d = 0; shape_ok && d < spec.shape.size(); ++d) {
        shape_ok = spec.shape[d] < 0 || spec.shape[d] == t.shape()[d];
      }
      if (list[i].name != spec.name || t.dtype() != spec.dtype || !shape_ok) {
        return invalid_argument(fmt::format("DATA tensor {} is '{}' {}; input {} is '{}' {}{}", i,
                                            list[i].name, t.describe(), i, spec.name,
                                            dtype_name(spec.dtype), shape_to_string(spec.shape)));
      }
    }
    return Status::ok();
  }

  bool on_data(const remote::Message& m) {
    inputs_valid_ = outputs_valid_ = false;
    if (state_ != State::kCompiled) {
      return reply_error(m.request_id, ErrorCode::kBadState, "DATA before IO_SPEC");
    }
    // Decoded into the buffers of the previous DATA where they fit (no allocation per query).
    if (Status st = remote::decode_tensor_list_into(m.payload, options_.limits, decoded_);
        !st.is_ok()) {
      return reply_error(
          m.request_id,
          st.code() == StatusCode::kOutOfRange ? ErrorCode::kTooLarge : ErrorCode::kBadInput,
          "DATA: " + st.message());
    }
    if (Status st = check_inputs(decoded_); !st.is_ok()) {
      return reply_error(m.request_id, ErrorCode::kBadInput, st.message());
    }
    for (std::size_t i = 0; i < inputs_.size(); ++i) inputs_[i] = decoded_[i].tensor;
    inputs_valid_ = true;
    return reply(MessageType::kOk, m.request_id, {});
  }

  bool on_process(const remote::Message& m) {
    outputs_valid_ = false;
    if (state_ != State::kCompiled || !inputs_valid_) {
      return reply_error(m.request_id, ErrorCode::kBadState,
                         "PROCESS without valid inputs (send a DATA that is accepted first)");
    }
    // The target's figure: the backend call alone, on a monotonic clock.
    const auto t0 = Clock::now();
    const Status st = executable_->run(inputs_, outputs_);
    const auto t1 = Clock::now();
    if (!st.is_ok()) return reply_error(m.request_id, ErrorCode::kInternal, st.to_string());
    const double ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    outputs_valid_ = true;
    ++queries_;
    ++counters_.processed;
    target_ms_total_ += ms;
    target_ms_min_ = queries_ == 1 ? ms : std::min(target_ms_min_, ms);
    target_ms_max_ = std::max(target_ms_max_, ms);
    // Formatted by hand: this reply is on every query's path.
    const std::string text = fmt::format("{{\"target_ms\":{:.9g}}}", ms);
    return reply(MessageType::kOk, m.request_id,
                 std::span(reinterpret_cast<const std::byte*>(text.data()), text.size()));
  }

  bool on_output(const remote::Message& m) {
    if (!outputs_valid_) {
      return reply_error(m.request_id, ErrorCode::kBadState,
                         "OUTPUT without a successful PROCESS before it");
    }
    std::vector<std::string_view> names(output_names_.begin(), output_names_.end());
    if (Status st = remote::encode_tensor_list(names, outputs_, scratch_, pieces_); !st.is_ok()) {
      return reply_error(m.request_id, ErrorCode::kInternal, st.message());
    }
    return send_with_pending(MessageType::kOutput, m.request_id, pieces_);
  }

  bool on_stats(const remote::Message& m) {
    return reply_json(
        MessageType::kStats, m.request_id,
        {{"queries", queries_},
         {"target_ms_total", target_ms_total_},
         {"target_ms_min", target_ms_min_},
         {"target_ms_max", target_ms_max_},
         {"target_ms_mean", queries_ ? target_ms_total_ / static_cast<double>(queries_) : 0.0},
         {"model_bytes", model_bytes_},
         {"peak_rss_bytes", peak_rss_bytes()},
         {"backend", backend_->name()}});
  }

  const ServerOptions& options_;
  remote::Connection& conn_;
  ServerCounters& counters_;
  State state_ = State::kHello;
  std::unique_ptr<backends::Backend> backend_;
  int max_threads_ = 1;
  std::filesystem::path folder_;
  std::unique_ptr<ir::Graph> graph_;
  std::uint64_t model_bytes_ = 0;
  std::unique_ptr<backends::Executable> executable_;
  std::vector<Tensor> inputs_, outputs_;
  std::vector<std::string> output_names_;
  bool inputs_valid_ = false, outputs_valid_ = false;
  std::uint64_t queries_ = 0;
  double target_ms_total_ = 0, target_ms_min_ = 0, target_ms_max_ = 0;
  std::vector<std::byte> scratch_;
  std::vector<std::span<const std::byte>> pieces_;
  struct PendingReply {
    MessageType type;
    std::uint32_t request_id;
    std::vector<std::byte> payload;
  };
  std::vector<PendingReply> pending_;
  remote::Message message_;                   // reused for every request
  std::vector<remote::NamedTensor> decoded_;  // DATA tensors, reused when they fit
};

Result<std::unique_ptr<Server>> Server::create(ServerOptions options) {
  EB_RETURN_IF_ERROR(backends::make_backend(options.backend).status());
  if (options.backend.starts_with("tcp://")) {
    return invalid_argument("a target cannot forward to another target (--backend tcp://...)");
  }
  if (options.token && options.token->empty()) return invalid_argument("the token is empty");
  EB_ASSIGN_OR_RETURN(auto listening, remote::listen_tcp(options.host, options.port));
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    ::close(listening.first);
    return io_error(fmt::format("pipe: {}", std::strerror(errno)));
  }
  return std::unique_ptr<Server>(
      new Server(std::move(options), listening.first, listening.second, pipe_fds[0], pipe_fds[1]));
}

Server::Server(ServerOptions options, int listen_fd, std::uint16_t port, int wake_read,
               int wake_write)
    : options_(std::move(options)),
      listen_fd_(listen_fd),
      port_(port),
      wake_read_(wake_read),
      wake_write_(wake_write) {}

Server::~Server() {
  {
    std::lock_guard lock(session_mutex_);
    if (session_connection_) session_connection_->shutdown();
  }
  if (session_thread_.joinable()) session_thread_.join();
  ::close(listen_fd_);
  ::close(wake_read_);
  ::close(wake_write_);
}

void Server::stop() {
  const char byte = 1;
  // A full pipe already holds a wake-up; nothing else to do.
  [[maybe_unused]] const ssize_t n = ::write(wake_write_, &byte, 1);
}

void Server::refuse_busy(int fd) {
  ++counters_.busy_refusals;
  remote::Connection conn(fd, options_.limits);
  const auto payload = remote::encode_error(
      ErrorCode::kBusy, "the target is running another benchmark session; try again later");
  // Request id 0: the refusal answers no request (the client may not have sent one yet).
  (void)conn.send(MessageType::kError, 0, payload, 1000);
}

void Server::end_session_thread() {
  if (session_thread_.joinable()) session_thread_.join();
}

Status Server::serve() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    const int r = ::poll(fds, 2, -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      return io_error(fmt::format("poll: {}", std::strerror(errno)));
    }
    if (fds[1].revents != 0) break;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;  // the client went away already, or a transient error
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    // A client that has just closed its session often reconnects at once (a new benchmark run):
    // give a session that is ending a moment to finish before answering BUSY.
    for (int i = 0; i < 50 && session_active_.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (session_active_.load()) {
      refuse_busy(fd);
      continue;
    }
    end_session_thread();
    session_active_ = true;
    ++counters_.sessions;
    session_thread_ = std::thread([this, fd] {
      remote::Connection conn(fd, options_.limits);
      {
        std::lock_guard lock(session_mutex_);
        session_connection_ = &conn;
      }
      bool clean = false;
      {
        Session session(options_, conn, counters_);
        clean = session.run();
      }  // the session folder is removed here
      if (!clean) ++counters_.failed_sessions;
      {
        std::lock_guard lock(session_mutex_);
        session_connection_ = nullptr;
      }
      session_active_ = false;
    });
  }
  {
    std::lock_guard lock(session_mutex_);
    if (session_connection_) session_connection_->shutdown();
  }
  end_session_thread();
  return Status::ok();
}

}  // namespace edgebench::target
