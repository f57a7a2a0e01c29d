// Backends: every target edgebench can run a model on (the built-in engine, a null backend
// that measures the harness, later remote boards and modelled accelerators) implements this
// interface, so every scenario, metric and report works with every target.
//
// Life cycle (ONNX Runtime's execution providers, XNNPACK's create/setup/run):
//   capabilities() -> support(graph) -> compile(graph, options) -> Executable::run(...)
// compile() validates and plans everything; Executable::run() only computes and is
// allocation-free after its first call. A Backend is thread-safe; an Executable is used by one
// thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/core/tensor.h"
#include "edgebench/engine/plan.h"
#include "edgebench/ir/graph.h"

namespace edgebench::backends {

using engine::TensorSpec;

struct Capabilities {
  std::string name;
  std::string description;
  std::vector<DType> dtypes;   // element types its kernels compute in
  int max_threads = 1;         // 1: runs on the calling thread only
  std::string where = "host";  // host | remote | model
};

// Whether a backend can run one node, and why not.
struct NodeSupport {
  std::size_t node_index = 0;
  bool supported = true;
  std::string kernel;  // "reference", "fast", ... (backend-specific)
  std::string reason;  // empty when supported
};

struct CompileOptions {
  int threads = 1;
  // Concrete shapes for inputs with symbolic dims (see engine::PlanOptions).
  std::map<std::string, Shape, std::less<>> input_shapes;
};

// What only the backend knows about its last run (for example a remote target's own timing).
struct RunInfo {
  std::optional<double> device_ms;  // inference time measured by the target itself
  // "target": measured on a remote target; "model": predicted by a modelled accelerator.
  std::string device_ms_source = "target";
  // What only a modelled accelerator knows (on_chip_bytes, off_chip_bytes, first_ms, ...),
  // and its device's name.
  std::map<std::string, double> accelerator;
  std::string accelerator_device;
};

class Executable {
 public:
  Executable() = default;
  Executable(const Executable&) = delete;
  Executable& operator=(const Executable&) = delete;
  virtual ~Executable() = default;

  virtual const std::vector<TensorSpec>& inputs() const = 0;
  virtual const std::vector<TensorSpec>& outputs() const = 0;
  // Inputs follow inputs() order; outputs[i] is (re)allocated when undefined or mis-shaped.
  virtual Status run(std::span<const Tensor> inputs, std::span<Tensor> outputs) = 0;

  virtual const RunInfo* last_run_info() const { return nullptr; }
  // Per-node profiling: engine-based executables call the observer around each node and
  // return true; others return false (profiling unavailable).
  virtual bool set_node_observer(engine::Plan::NodeObserver* observer) { return false; }
  // Node names/op types in execution order, for per-node profiles (empty if unknown).
  virtual std::vector<std::pair<std::string, std::string>> node_names() const { return {}; }
  // Bytes of the planned activation arena (0 if the backend does not plan one).
  virtual std::uint64_t arena_bytes() const { return 0; }
  // What ran the model, for result records (null when the backend does not say):
  //   {"runtime": {"name", "version", "device", "delegate", "threads", "precision", "options"},
  //    "host": {"cpu", "cores", "os", "python"}}  (host: the target's machine, remote only).
  // Fixed once compile() returns; owned by the executable.
  virtual const nlohmann::json* target_info() const { return nullptr; }
};

class Backend {
 public:
  Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;
  virtual ~Backend() = default;

  virtual std::string name() const = 0;
  virtual Capabilities capabilities() const = 0;
  virtual std::vector<NodeSupport> support(const ir::Graph& graph) const = 0;
  // How many NCHW <-> NHWC conversions running `graph` (concrete shapes) adds (the native
  // engine's ToNhwc / ToNchw nodes); nullopt when the backend does not say.
  virtual std::optional<int> layout_conversions(const ir::Graph& graph) const {
    return std::nullopt;
  }
  virtual Result<std::unique_ptr<Executable>> compile(const ir::Graph& graph,
                                                      const CompileOptions& options) const = 0;
};

// Backend names accepted by make_backend, for help texts and messages.
std::vector<std::string> available_backends();
// "native" (default), "native-ref" (reference kernels only), "null" (does no work; measures
// the harness), "tcp://HOST:PORT" (a remote target), "sim:DEVICE" (a modelled accelerator:
// outputs from the native engine, latency from the device model) or a runtime,
// "onnxruntime|tflite|openvino|tvm[?K=V&K=V]" (the Python target, started as a child process on
// loopback at the first compile; K=V are runtime options, delegate=LIB a TFLite delegate).
// Unknown names give kInvalidArgument listing the available ones.
Result<std::unique_ptr<Backend>> make_backend(std::string_view spec);

}  // namespace edgebench::backends
