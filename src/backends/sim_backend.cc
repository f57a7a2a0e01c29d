// sim:DEVICE: a modelled accelerator. The outputs are real (the native engine computes them);
// the latency each run reports is the device model's prediction (docs/devices.md): the first
// inference loads the parameter cache, later ones do not. The harness records these as
// "model" latencies beside its own clock, and the record carries the compile plan's figures.
#include <fmt/format.h>

#include "edgebench/engine/plan.h"
#include "edgebench/engine/registry.h"
#include "edgebench/plan/device.h"
#include "edgebench/plan/planner.h"
#include "remote_backend.h"

namespace edgebench::backends {

namespace {

class SimExecutable final : public Executable {
 public:
  SimExecutable(std::unique_ptr<Executable> native, const plan::ModelPlan& p,
                const std::string& device)
      : native_(std::move(native)),
        first_ms_(p.latency.first_s() * 1e3),
        warm_ms_(p.latency.warm_s() * 1e3) {
    info_.device_ms_source = "model";
    info_.accelerator_device = device;
    info_.accelerator = {{"on_chip_bytes", static_cast<double>(p.on_chip_bytes)},
                         {"off_chip_bytes", static_cast<double>(p.off_chip_bytes)},
                         {"device_subgraphs", static_cast<double>(p.subgraphs.size())},
                         {"mapped_ops", static_cast<double>(p.mapped_ops)},
                         {"unmapped_ops", static_cast<double>(p.unmapped_ops)},
                         {"first_ms", first_ms_},
                         {"warm_ms", warm_ms_}};
  }
  const std::vector<TensorSpec>& inputs() const override { return native_->inputs(); }
  const std::vector<TensorSpec>& outputs() const override { return native_->outputs(); }
  Status run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override {
    EB_RETURN_IF_ERROR(native_->run(inputs, outputs));
    info_.device_ms = loaded_ ? warm_ms_ : first_ms_;
    loaded_ = true;
    return Status::ok();
  }
  const RunInfo* last_run_info() const override { return &info_; }
  std::uint64_t arena_bytes() const override { return native_->arena_bytes(); }

 private:
  std::unique_ptr<Executable> native_;
  double first_ms_, warm_ms_;
  bool loaded_ = false;
  RunInfo info_;
};

class SimBackend final : public Backend {
 public:
  SimBackend(std::string spec, plan::Device device)
      : spec_(std::move(spec)), device_(std::move(device)) {}
  std::string name() const override { return spec_; }
  Capabilities capabilities() const override {
    Capabilities c;
    c.name = spec_;
    c.description = fmt::format("modelled {} (outputs from the native engine)", device_.name);
    c.dtypes = {DType::kFloat32, DType::kInt8, DType::kUInt8};
    c.where = "model";
    return c;
  }
  // Where the device model places each node: "device" for an op mapped onto the accelerator,
  // "host" (with the planner's reason) for one left to the CPU. Symbolic dims are planned at the
  // engine's default size; when the model cannot be planned at all, each node the engine can run
  // is "undetermined", with the planner's error.
  std::vector<NodeSupport> support(const ir::Graph& graph) const override {
    std::vector<NodeSupport> out;
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
      const ir::Node& node = graph.nodes[i];
      auto kernel = engine::builtin_registry().create_kernel(node, graph.opset_for(node.domain));
      out.push_back({i, kernel.is_ok(), "undetermined",
                     kernel.is_ok() ? std::string() : kernel.status().message()});
    }
    auto p = plan(graph, {});
    if (!p.is_ok()) {
      for (NodeSupport& s : out) {
        if (s.supported) s.reason = "no device plan: " + p.status().message();
      }
      return out;
    }
    for (const plan::LayerPlan& layer : p->layers) {
      if (layer.node_index >= out.size() || !out[layer.node_index].supported) continue;
      out[layer.node_index].kernel = layer.mapped ? "device" : "host";
      out[layer.node_index].reason = layer.reason;
    }
    return out;
  }
  Result<std::unique_ptr<Executable>> compile(const ir::Graph& graph,
                                              const CompileOptions& options) const override {
    // The native engine computes the outputs; it refuses what it cannot run (a TFLite model)
    // before the device model is planned.
    EB_ASSIGN_OR_RETURN(std::unique_ptr<Backend> native, make_backend("native"));
    EB_ASSIGN_OR_RETURN(std::unique_ptr<Executable> exe, native->compile(graph, options));
    EB_ASSIGN_OR_RETURN(plan::ModelPlan p, plan(graph, options.input_shapes));
    return std::unique_ptr<Executable>(
        std::make_unique<SimExecutable>(std::move(exe), p, device_.name));
  }

 private:
  // The device model's plan of `graph` with these input shapes, the whole cache to itself.
  Result<plan::ModelPlan> plan(const ir::Graph& graph,
                               const std::map<std::string, Shape, std::less<>>& shapes) const {
    ir::Graph annotated = graph;
    engine::PlanOptions plan_options;
    plan_options.input_shapes = shapes;
    EB_ASSIGN_OR_RETURN(auto analysis,
                        engine::analyze_graph(annotated, engine::builtin_registry(), plan_options));
    engine::annotate_types(annotated, analysis.types);
    return plan::plan_model({graph.name, &annotated}, device_, device_.param_cache_bytes);
  }

  std::string spec_;
  plan::Device device_;
};

}  // namespace

Result<std::unique_ptr<Backend>> make_sim_backend(std::string_view spec) {
  const std::string name(spec.substr(4));
  if (name.empty()) {
    return invalid_argument("backend 'sim:': name a device, e.g. sim:edgetpu-usb3");
  }
  EB_ASSIGN_OR_RETURN(plan::Device device, plan::find_device(name, plan::device_search_dirs()));
  return std::unique_ptr<Backend>(
      std::make_unique<SimBackend>(std::string(spec), std::move(device)));
}

}  // namespace edgebench::backends
