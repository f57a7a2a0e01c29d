// The execution plan of the reference engine: shape inference with constant propagation, a
// liveness-based memory plan that packs activations into one arena, and the executor.
//
// A Plan is compiled once for concrete input shapes and run many times; run() performs no
// shape inference and no allocation besides the outputs the caller did not pre-allocate. When
// an output shape depends on a value only known at run time (for example a Reshape whose shape
// is a graph input), the plan is "dynamic": it infers and allocates node by node at each run.
// A Plan is not thread-safe; use one per thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/core/tensor.h"
#include "edgebench/engine/op.h"
#include "edgebench/engine/registry.h"
#include "edgebench/ir/graph.h"

namespace edgebench::engine {

struct PlanOptions {
  // Shapes for graph inputs, overriding declared shapes (must agree with declared static dims).
  std::map<std::string, Shape, std::less<>> input_shapes;
  // Value used for symbolic or unknown input dims that input_shapes does not fix.
  std::int64_t default_dim = 1;
  // Constants larger than this are not folded at plan time (they are computed at run time).
  std::uint64_t max_folded_bytes = std::uint64_t{64} << 20;
  // Threads for kernels that parallelize (kept alive by the plan); null: the calling thread.
  std::shared_ptr<ThreadPool> thread_pool;
};

// Types and constant values of a graph's values for concrete input shapes.
struct GraphTypes {
  std::map<std::string, TensorType, std::less<>> types;
  // Values known before run time: initializers, Constant outputs and folded subgraphs.
  std::map<std::string, Tensor, std::less<>> constants;
  // Graph input types as bound (declared shape with symbolic dims resolved).
  std::map<std::string, TensorType, std::less<>> inputs;
  // Some shape depends on a run-time value; `types` then covers only what could be inferred.
  bool dynamic = false;
  std::string dynamic_reason;
};

// Resolves graph input shapes from the declared value info and the options.
Result<std::map<std::string, TensorType, std::less<>>> bind_input_types(const ir::Graph& graph,
                                                                        const PlanOptions& options);

// Infers every value's type and shape, folding nodes whose inputs are all constant. `graph`
// must be topologically sorted. Unsupported ops give kUnsupported naming the node.
Result<GraphTypes> infer_types(const ir::Graph& graph, const Registry& registry,
                               const PlanOptions& options);

// Where each activation lives in the arena.
struct MemoryPlan {
  std::map<std::string, std::uint64_t, std::less<>> offsets;  // byte offset per activation
  std::uint64_t arena_bytes = 0;                              // peak: size of the one arena
  std::uint64_t naive_bytes = 0;  // sum of all activation sizes (no reuse)
};

// Packs activations (values that are neither constants nor graph inputs) into one arena by
// liveness: two values share bytes only if their lifetimes (producer to last consumer, graph
// outputs to the end) do not overlap. Greedy by size, largest first (TFLite Micro's planner).
MemoryPlan plan_memory(const ir::Graph& graph, const GraphTypes& types);

// What the engine can tell about a graph without running it: types (as far as they can be
// inferred), the memory plan, and the nodes it cannot run. Unlike infer_types, unsupported nodes
// do not stop the analysis; values downstream of them stay unknown.
struct GraphAnalysis {
  GraphTypes types;
  MemoryPlan memory;
  struct Unsupported {
    std::size_t node_index;
    Status reason;
  };
  std::vector<Unsupported> unsupported;
};
// `graph` must be topologically sorted.
Result<GraphAnalysis> analyze_graph(const ir::Graph& graph, const Registry& registry,
                                    const PlanOptions& options = {});

// Writes inferred types and shapes into graph.value_info (for ir::compute_stats and export).
void annotate_types(ir::Graph& graph, const GraphTypes& types);

struct TensorSpec {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;
  // Set for the integer inputs and outputs of a quantized model whose runtime takes and gives
  // quantized values (TFLite's full-integer models): real = scale * (q - zero_point).
  std::optional<QuantParams> quant = std::nullopt;
};

class Plan {
 public:
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;
  ~Plan();

  static Result<std::unique_ptr<Plan>> compile(const ir::Graph& graph, const Registry& registry,
                                               const PlanOptions& options = {});

  const std::vector<TensorSpec>& inputs() const { return inputs_; }
  const std::vector<TensorSpec>& outputs() const { return outputs_; }
  bool dynamic() const { return types_.dynamic; }
  const GraphTypes& types() const { return types_; }
  const MemoryPlan& memory() const { return memory_; }
  const ir::Graph& graph() const { return graph_; }

  // Runs the graph. `inputs` follow inputs() order; each output is written into `outputs[i]`,
  // which is (re)allocated when it is undefined or has another dtype or shape.
  Status run(std::span<const Tensor> inputs, std::span<Tensor> outputs);

  // Per-node hook for profiling: called before and after each node when set.
  struct NodeObserver {
    virtual ~NodeObserver() = default;
    virtual void before_node(std::size_t node_index) = 0;
    virtual void after_node(std::size_t node_index) = 0;
  };
  void set_observer(NodeObserver* observer) { observer_ = observer; }

 private:
  Plan() = default;
  Status check_inputs(std::span<const Tensor> inputs) const;
  Status run_static(std::span<const Tensor> inputs, std::span<Tensor> outputs);
  Status run_dynamic(std::span<const Tensor> inputs, std::span<Tensor> outputs);

  struct Step;
  ir::Graph graph_;
  GraphTypes types_;
  MemoryPlan memory_;
  std::vector<TensorSpec> inputs_;
  std::vector<TensorSpec> outputs_;
  std::vector<std::unique_ptr<OpKernel>> kernels_;
  std::vector<Step> steps_;
  std::shared_ptr<std::byte> arena_;
  std::shared_ptr<ThreadPool> thread_pool_;
  std::map<std::string, Tensor, std::less<>> static_tensors_;  // constants + arena views
  NodeObserver* observer_ = nullptr;
};

// Infers the output types of a single node from concrete input tensors (an undefined Tensor
// marks an absent optional input), with `kernel` created for that node. Outputs without a name
// keep an undefined dtype.
Result<std::vector<TensorType>> infer_node(const OpKernel& kernel, const ir::Node& node,
                                           std::int64_t opset, std::span<const Tensor> inputs);

// Runs a single node eagerly on the given inputs (an undefined Tensor marks an absent
// optional input). For tests and constant folding.
Result<std::vector<Tensor>> run_node(const ir::Node& node, std::int64_t opset,
                                     std::span<const Tensor> inputs,
                                     const Registry& registry = builtin_registry());

}  // namespace edgebench::engine
