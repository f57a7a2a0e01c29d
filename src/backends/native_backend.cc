// The native backend: the built-in engine. `native` lowers the graph onto the fast kernels
// (XNNPACK, NHWC, pthreadpool) and runs the rest on the reference kernels; `native-ref` runs
// the reference kernels only, on one thread.
#include <fmt/format.h>

#include <algorithm>

#include "edgebench/backends/backend.h"
#include "edgebench/core/version.h"
#include "edgebench/engine/registry.h"
#include "edgebench/kernels/fast.h"
#include "edgebench/passes/pass.h"
#include "remote_backend.h"

namespace edgebench::backends {

namespace {

// The engine runs only graphs it can execute itself; a foreign model (TFLite bytes described as
// a graph) goes to the runtime that reads it.
Status refuse_foreign(const ir::Graph& graph) {
  if (!graph.foreign) return Status::ok();
  return unsupported(fmt::format(
      "the model is a {} model; run it with --backend {}",
      graph.foreign->format == "tflite" ? "TFLite" : graph.foreign->format, graph.foreign->format));
}

class NativeExecutable final : public Executable {
 public:
  // `op_labels`: the op type to report per plan node (empty: the node's own).
  NativeExecutable(std::unique_ptr<engine::Plan> plan, const std::vector<std::string>& op_labels,
                   nlohmann::json target_info)
      : plan_(std::move(plan)), target_info_(std::move(target_info)) {
    const auto& nodes = plan_->graph().nodes;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      names_.emplace_back(nodes[i].name, i < op_labels.size() ? op_labels[i] : nodes[i].op_type);
    }
  }

  const std::vector<TensorSpec>& inputs() const override { return plan_->inputs(); }
  const std::vector<TensorSpec>& outputs() const override { return plan_->outputs(); }
  Status run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    return plan_->run(inputs, outputs);
  }
  bool set_node_observer(engine::Plan::NodeObserver* observer) override {
    plan_->set_observer(observer);
    return true;
  }
  std::vector<std::pair<std::string, std::string>> node_names() const override { return names_; }
  std::uint64_t arena_bytes() const override { return plan_->memory().arena_bytes; }
  const nlohmann::json* target_info() const override { return &target_info_; }

 private:
  std::unique_ptr<engine::Plan> plan_;
  nlohmann::json target_info_;
  std::vector<std::pair<std::string, std::string>> names_;
};

// The graph passes the fast path wants before lowering: constants folded, BatchNorm folded into
// Conv, Relu/Clip fused into the Conv/Gemm before them, QDQ patterns turned into integer ops,
// dead nodes removed.
Status optimize_for_fast_kernels(ir::Graph& graph) {
  static const auto folding = passes::make_constant_folding();
  static const auto batchnorm = passes::make_batchnorm_folding();
  static const auto fusion = passes::make_activation_fusion();
  static const auto qdq = passes::make_qdq_fusion();
  static const auto dead = passes::make_dead_node_elimination();
  // QDQ fusion runs before constant folding, which would otherwise turn the DequantizeLinear of
  // int8 weights into float weights.
  const passes::Pass* pipeline[] = {batchnorm.get(), fusion.get(), qdq.get(), folding.get(),
                                    dead.get()};
  return passes::run_to_fixed_point(graph, pipeline).status();
}

// The record's "runtime" for the built-in engine: precision int8 when the model computes in
// quantized integers (QDQ or integer ops), else f32.
nlohmann::json describe_engine(const ir::Graph& graph, const std::string& name, int threads) {
  static constexpr std::string_view kIntegerOps[] = {
      "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul",
      "MatMulInteger",  "ConvInteger"};
  const bool integer = std::any_of(graph.nodes.begin(), graph.nodes.end(), [](const ir::Node& n) {
    return std::find(std::begin(kIntegerOps), std::end(kIntegerOps), n.op_type) !=
           std::end(kIntegerOps);
  });
  return {{"runtime",
           {{"name", "edgebench"},
            {"version", version()},
            {"device", "cpu"},
            {"delegate", nullptr},
            {"threads", threads},
            {"precision", integer ? "int8" : "f32"},
            {"options", {{"kernels", name == "native" ? "fast" : "reference"}}}}}};
}

class NativeBackend final : public Backend {
 public:
  explicit NativeBackend(std::string name) : name_(std::move(name)), fast_(name_ == "native") {}

  std::string name() const override { return name_; }

  Capabilities capabilities() const override {
    return {name_,
            fast_ ? "built-in engine: oneDNN convolutions (x86, AVX2) and XNNPACK kernels where "
                    "they apply, reference kernels elsewhere"
                  : "built-in engine, reference kernels only",
            {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kInt8, DType::kUInt8,
             DType::kInt16, DType::kUInt16, DType::kInt32, DType::kUInt32, DType::kInt64,
             DType::kUInt64, DType::kBool},
            fast_ ? 256 : 1,
            "host"};
  }

  // The graph as the fast kernels see it: optimized and sorted (first), then lowered (second).
  static Result<std::pair<ir::Graph, kernels::LoweredGraph>> lower(const ir::Graph& graph) {
    ir::Graph sorted = graph;
    EB_RETURN_IF_ERROR(optimize_for_fast_kernels(sorted));
    EB_RETURN_IF_ERROR(ir::sort_topologically(sorted));
    EB_ASSIGN_OR_RETURN(const engine::GraphTypes types,
                        engine::infer_types(sorted, engine::builtin_registry(), {}));
    EB_ASSIGN_OR_RETURN(kernels::LoweredGraph lowered,
                        kernels::lower_for_fast_kernels(sorted, types));
    return std::pair<ir::Graph, kernels::LoweredGraph>(std::move(sorted), std::move(lowered));
  }

  std::vector<NodeSupport> support(const ir::Graph& graph) const override {
    std::vector<NodeSupport> out;
    std::vector<kernels::NodeLowering> lowering;
    if (fast_) {
      if (auto lowered = lower(graph); lowered.is_ok()) {
        // Lowering reports in the sorted order; map back by node name.
        const auto& [sorted, lowered_graph] = lowered.value();
        std::map<std::string, kernels::NodeLowering> by_name;
        for (std::size_t i = 0; i < sorted.nodes.size(); ++i) {
          by_name[sorted.nodes[i].name] = lowered_graph.nodes[i];
        }
        for (const ir::Node& node : graph.nodes) {
          auto it = by_name.find(node.name);
          lowering.push_back(
              it != by_name.end()
                  ? it->second
                  : kernels::NodeLowering{true, "folded",
                                          "folded or fused into another node by graph passes"});
        }
      }
    }
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
      const ir::Node& node = graph.nodes[i];
      auto kernel = engine::builtin_registry().create_kernel(node, graph.opset_for(node.domain));
      NodeSupport s;
      s.node_index = i;
      s.supported = kernel.is_ok();
      if (!kernel.is_ok()) {
        s.reason = kernel.status().message();
      } else if (i < lowering.size() && lowering[i].fast) {
        s.kernel = lowering[i].kernel;
      } else {
        s.kernel = "reference";
        if (i < lowering.size()) s.reason = lowering[i].reason;
      }
      out.push_back(std::move(s));
    }
    return out;
  }

  std::optional<int> layout_conversions(const ir::Graph& graph) const override {
    if (!fast_) return 0;  // the reference kernels run every node in the graph's own layout
    auto lowered = lower(graph);
    if (!lowered.is_ok()) return std::nullopt;
    return lowered.value().second.layout_conversions;
  }

  Result<std::unique_ptr<Executable>> compile(const ir::Graph& graph,
                                              const CompileOptions& options) const override {
    if (options.threads < 1) {
      return invalid_argument(fmt::format("threads must be at least 1, got {}", options.threads));
    }
    EB_RETURN_IF_ERROR(refuse_foreign(graph));
    engine::PlanOptions plan_options;
    plan_options.input_shapes = options.input_shapes;
    nlohmann::json info = describe_engine(graph, name_, fast_ ? options.threads : 1);
    if (!fast_) {
      EB_ASSIGN_OR_RETURN(auto plan,
                          engine::Plan::compile(graph, engine::builtin_registry(), plan_options));
      return std::unique_ptr<Executable>(std::make_unique<NativeExecutable>(
          std::move(plan), std::vector<std::string>{}, std::move(info)));
    }
    EB_ASSIGN_OR_RETURN(plan_options.thread_pool, ThreadPool::create(options.threads));
    ir::Graph g = graph;
    EB_RETURN_IF_ERROR(ir::validate(g));
    EB_RETURN_IF_ERROR(optimize_for_fast_kernels(g));
    EB_RETURN_IF_ERROR(ir::sort_topologically(g));
    EB_ASSIGN_OR_RETURN(auto types,
                        engine::infer_types(g, engine::builtin_registry(), plan_options));
    EB_ASSIGN_OR_RETURN(auto lowered, kernels::lower_for_fast_kernels(g, types));
    EB_ASSIGN_OR_RETURN(
        auto plan, engine::Plan::compile(lowered.graph, kernels::fast_registry(), plan_options));
    return std::unique_ptr<Executable>(
        std::make_unique<NativeExecutable>(std::move(plan), lowered.op_labels, std::move(info)));
  }

 private:
  std::string name_;
  bool fast_;
};

// Does nothing at run time: its figures are the harness's own overhead (LoadGen's null SUT).
class NullExecutable final : public Executable {
 public:
  NullExecutable(std::vector<TensorSpec> inputs, std::vector<TensorSpec> outputs)
      : inputs_(std::move(inputs)), outputs_(std::move(outputs)) {}
  const std::vector<TensorSpec>& inputs() const override { return inputs_; }
  const std::vector<TensorSpec>& outputs() const override { return outputs_; }
  Status run(std::span<const Tensor>, std::span<Tensor>) override { return Status::ok(); }

 private:
  std::vector<TensorSpec> inputs_;
  std::vector<TensorSpec> outputs_;
};

class NullBackend final : public Backend {
 public:
  std::string name() const override { return "null"; }
  Capabilities capabilities() const override {
    return {"null", "does no work; measures the harness", {}, 1, "host"};
  }
  std::vector<NodeSupport> support(const ir::Graph& graph) const override {
    std::vector<NodeSupport> out;
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) out.push_back({i, true, "none", ""});
    return out;
  }
  Result<std::unique_ptr<Executable>> compile(const ir::Graph& graph,
                                              const CompileOptions& options) const override {
    EB_RETURN_IF_ERROR(refuse_foreign(graph));
    engine::PlanOptions plan_options;
    plan_options.input_shapes = options.input_shapes;
    EB_ASSIGN_OR_RETURN(auto bound, engine::bind_input_types(graph, plan_options));
    std::vector<TensorSpec> inputs, outputs;
    for (const std::string& name : graph.inputs) {
      inputs.push_back({name, bound.at(name).dtype, bound.at(name).shape, std::nullopt});
    }
    for (const std::string& name : graph.outputs) {
      const ir::ValueInfo* info = graph.find_value_info(name);
      outputs.push_back({name, info ? info->dtype : DType::kUndefined,
                         info && info->shape ? *info->shape : Shape{}, std::nullopt});
    }
    return std::unique_ptr<Executable>(
        std::make_unique<NullExecutable>(std::move(inputs), std::move(outputs)));
  }
};

}  // namespace

std::vector<std::string> available_backends() { return {"native", "native-ref", "null"}; }

Result<std::unique_ptr<Backend>> make_backend(std::string_view spec) {
  if (spec == "native" || spec == "native-ref") {
    return std::unique_ptr<Backend>(std::make_unique<NativeBackend>(std::string(spec)));
  }
  if (spec == "null") return std::unique_ptr<Backend>(std::make_unique<NullBackend>());
  if (spec.starts_with("tcp://")) return make_remote_backend(spec);
  if (spec.starts_with("sim:")) return make_sim_backend(spec);
  if (is_runtime_spec(spec)) return make_runtime_backend(spec);
  return invalid_argument(
      fmt::format("unknown backend '{}' (available: {}, {}[?K=V&...], tcp://HOST:PORT, sim:DEVICE)",
                  spec, fmt::join(available_backends(), ", "), fmt::join(runtime_names(), "|")));
}

}  // namespace edgebench::backends
