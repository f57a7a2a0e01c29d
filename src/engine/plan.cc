#include "edgebench/engine/plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <new>

namespace edgebench::engine {

namespace {

constexpr std::uint64_t kArenaAlignment = kTensorAlignment;

std::uint64_t align_up(std::uint64_t n, std::uint64_t a) { return (n + a - 1) / a * a; }

// The kernels of a graph, created once and shared by inference and execution.
// With `unsupported` given, nodes the registry cannot run get a null kernel and are listed
// there; otherwise the first failure is returned.
Result<std::vector<std::unique_ptr<OpKernel>>> create_kernels(
    const ir::Graph& graph, const Registry& registry,
    std::vector<GraphAnalysis::Unsupported>* unsupported = nullptr) {
  std::vector<std::unique_ptr<OpKernel>> kernels;
  kernels.reserve(graph.nodes.size());
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node& node = graph.nodes[n];
    auto kernel = registry.create_kernel(node, graph.opset_for(node.domain));
    if (!kernel.is_ok()) {
      if (unsupported == nullptr) return kernel.status();
      unsupported->push_back({n, kernel.status()});
      kernels.push_back(nullptr);
      continue;
    }
    kernels.push_back(std::move(kernel).value());
  }
  return kernels;
}

bool is_foldable(const ir::Node& node, std::size_t present_inputs) {
  if (present_inputs == 0) return node.op_type == "Constant";
  return true;
}

// Ops whose outputs depend only on their inputs' dtypes and shapes, never on the values, so
// they fold as soon as the shapes are known (Shape -> Gather -> Concat -> Reshape chains).
bool reads_only_shapes(const ir::Node& node) {
  return node.domain.empty() && (node.op_type == "Shape" || node.op_type == "Size");
}

// With `unsupported` given, nodes without a kernel, nodes whose inputs are unknown and nodes
// whose inference reports kUnsupported are skipped (and the latter listed) instead of failing.
Result<GraphTypes> infer_with_kernels(
    const ir::Graph& graph, const std::vector<std::unique_ptr<OpKernel>>& kernels,
    const PlanOptions& options, std::vector<GraphAnalysis::Unsupported>* unsupported = nullptr) {
  GraphTypes out;
  EB_ASSIGN_OR_RETURN(out.inputs, bind_input_types(graph, options));
  out.types = out.inputs;
  for (const auto& [name, tensor] : graph.initializers) {
    out.types[name] = TensorType{tensor.dtype(), tensor.shape()};
    out.constants[name] = tensor;
  }

  std::vector<const TensorType*> input_types;
  std::vector<const Tensor*> input_values;
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::Node& node = graph.nodes[n];
    if (kernels[n] == nullptr) continue;
    input_types.assign(node.inputs.size(), nullptr);
    input_values.assign(node.inputs.size(), nullptr);
    std::size_t present = 0;
    std::size_t constant = 0;
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      const std::string& in = node.inputs[i];
      if (in.empty()) continue;
      ++present;
      auto t = out.types.find(in);
      if (t == out.types.end() && unsupported != nullptr) break;
      if (t == out.types.end()) {
        return internal_error(
            fmt::format("{}: no type for input '{}' (graph not sorted?)", node.describe(), in));
      }
      input_types[i] = &t->second;
      auto c = out.constants.find(in);
      if (c != out.constants.end()) {
        input_values[i] = &c->second;
        ++constant;
      }
    }
    bool inputs_known = true;
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      inputs_known = inputs_known && (node.inputs[i].empty() || input_types[i] != nullptr);
    }
    if (!inputs_known) continue;  // downstream of an unsupported node (tolerant mode only)
    InferContext ctx(node, graph.opset_for(node.domain), input_types, input_values);
    Status st = kernels[n]->infer(ctx);
    if (!st.is_ok()) {
      if (unsupported != nullptr && st.code() == StatusCode::kUnsupported &&
          !ctx.needs_runtime_values()) {
        unsupported->push_back({n, st});
        continue;
      }
      if (ctx.needs_runtime_values()) {
        out.dynamic = true;
        out.dynamic_reason = st.message();
        return out;
      }
      return st;
    }
    for (std::size_t o = 0; o < node.outputs.size(); ++o) {
      if (node.outputs[o].empty()) continue;
      const TensorType& type = ctx.outputs()[o];
      if (type.dtype == DType::kUndefined) {
        return internal_error(
            fmt::format("{}: shape inference did not set output {}", node.describe(), o));
      }
      EB_RETURN_IF_ERROR(
          checked_byte_size(type.dtype, type.shape)
              .status()
              .with_context(fmt::format("{} output '{}'", node.describe(), node.outputs[o])));
      out.types[node.outputs[o]] = type;
    }
    // Fold nodes whose inputs are all known now, so that shape-computing subgraphs (Shape ->
    // Gather -> Concat -> Reshape) resolve before run time.
    const bool shape_only = reads_only_shapes(node);
    if ((present == constant || shape_only) && is_foldable(node, present)) {
      std::uint64_t bytes = 0;
      for (const TensorType& t : ctx.outputs()) {
        if (t.dtype != DType::kUndefined) bytes += element_count(t.shape) * dtype_size(t.dtype);
      }
      if (bytes > options.max_folded_bytes) continue;
      std::vector<Tensor> results(node.outputs.size());
      std::vector<Tensor*> result_ptrs(node.outputs.size(), nullptr);
      for (std::size_t o = 0; o < node.outputs.size(); ++o) {
        const TensorType& t = ctx.outputs()[o];
        if (node.outputs[o].empty() || t.dtype == DType::kUndefined) continue;
        EB_ASSIGN_OR_RETURN(results[o], Tensor::allocate(t.dtype, t.shape));
        result_ptrs[o] = &results[o];
      }
      // Shape-only ops see data-less views of inputs whose values are not known yet.
      std::vector<Tensor> shape_views(node.inputs.size());
      std::vector<const Tensor*> fold_inputs = input_values;
      for (std::size_t i = 0; i < node.inputs.size(); ++i) {
        if (fold_inputs[i] != nullptr || input_types[i] == nullptr) continue;
        shape_views[i] = Tensor::view(input_types[i]->dtype, input_types[i]->shape, nullptr);
        fold_inputs[i] = &shape_views[i];
      }
      KernelContext kctx(fold_inputs, result_ptrs, options.thread_pool.get());
      EB_RETURN_IF_ERROR(kernels[n]->run(kctx).with_context(node.describe()));
      for (std::size_t o = 0; o < node.outputs.size(); ++o) {
        if (result_ptrs[o] != nullptr) out.constants[node.outputs[o]] = std::move(results[o]);
      }
    }
  }
  return out;
}

}  // namespace

Result<std::map<std::string, TensorType, std::less<>>> bind_input_types(
    const ir::Graph& graph, const PlanOptions& options) {
  std::map<std::string, TensorType, std::less<>> bound;
  for (const auto& [name, shape] : options.input_shapes) {
    if (std::find(graph.inputs.begin(), graph.inputs.end(), name) == graph.inputs.end()) {
      return invalid_argument(fmt::format("the model has no input named '{}'", name));
    }
  }
  for (const std::string& name : graph.inputs) {
    const ir::ValueInfo* info = graph.find_value_info(name);
    if (info == nullptr || info->dtype == DType::kUndefined) {
      return invalid_model(fmt::format("graph input '{}' has no declared element type", name));
    }
    TensorType type{info->dtype, {}};
    auto given = options.input_shapes.find(name);
    if (given != options.input_shapes.end()) {
      if (info->shape) {
        const Shape& declared = *info->shape;
        bool agrees = declared.size() == given->second.size();
        for (std::size_t i = 0; agrees && i < declared.size(); ++i) {
          agrees = declared[i] < 0 || declared[i] == given->second[i];
        }
        if (!agrees) {
          return invalid_argument(fmt::format("input '{}': shape {} does not match the model's {}",
                                              name, shape_to_string(given->second),
                                              shape_to_string(declared)));
        }
      }
      type.shape = given->second;
    } else if (info->shape) {
      type.shape = *info->shape;
      for (std::int64_t& d : type.shape) {
        if (d < 0) d = options.default_dim;
      }
    } else {
      return invalid_argument(
          fmt::format("graph input '{}' has no declared shape; give one explicitly", name));
    }
    EB_RETURN_IF_ERROR(
        checked_byte_size(type.dtype, type.shape).status().with_context("input '" + name + "'"));
    bound[name] = std::move(type);
  }
  return bound;
}

Result<GraphTypes> infer_types(const ir::Graph& graph, const Registry& registry,
                               const PlanOptions& options) {
  EB_ASSIGN_OR_RETURN(auto kernels, create_kernels(graph, registry));
  return infer_with_kernels(graph, kernels, options);
}

Result<GraphAnalysis> analyze_graph(const ir::Graph& graph, const Registry& registry,
                                    const PlanOptions& options) {
  GraphAnalysis analysis;
  EB_ASSIGN_OR_RETURN(auto kernels, create_kernels(graph, registry, &analysis.unsupported));
  EB_ASSIGN_OR_RETURN(analysis.types,
                      infer_with_kernels(graph, kernels, options, &analysis.unsupported));
  analysis.memory = plan_memory(graph, analysis.types);
  return analysis;
}

void annotate_types(ir::Graph& graph, const GraphTypes& types) {
  for (const auto& [name, type] : types.types) {
    if (graph.is_initializer(name)) continue;
    ir::ValueInfo& info = graph.value_info[name];
    info.dtype = type.dtype;
    info.shape = type.shape;
    info.dim_names.assign(type.shape.size(), "");
  }
}

MemoryPlan plan_memory(const ir::Graph& graph, const GraphTypes& types) {
  struct Buffer {
    std::string name;
    std::uint64_t bytes;
    std::size_t first;
    std::size_t last;
    std::uint64_t offset = 0;
  };
  const std::size_t end = graph.nodes.size();
  std::map<std::string, std::size_t, std::less<>> index;
  std::vector<Buffer> buffers;
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    for (const std::string& out : graph.nodes[n].outputs) {
      if (out.empty() || types.constants.count(out) != 0) continue;
      auto t = types.types.find(out);
      if (t == types.types.end()) continue;  // beyond the point a dynamic graph was inferred
      const std::uint64_t bytes =
          static_cast<std::uint64_t>(element_count(t->second.shape)) * dtype_size(t->second.dtype);
      index[out] = buffers.size();
      buffers.push_back({out, bytes, n, n});
    }
  }
  for (std::size_t n = 0; n < graph.nodes.size(); ++n) {
    for (const std::string& in : graph.nodes[n].inputs) {
      auto it = index.find(in);
      if (it != index.end()) buffers[it->second].last = std::max(buffers[it->second].last, n);
    }
  }
  for (const std::string& out : graph.outputs) {
    auto it = index.find(out);
    if (it != index.end()) buffers[it->second].last = end;
  }

  MemoryPlan plan;
  std::vector<std::size_t> order(buffers.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return buffers[a].bytes > buffers[b].bytes;
  });
  std::vector<std::size_t> placed;
  for (std::size_t i : order) {
    Buffer& b = buffers[i];
    plan.naive_bytes += b.bytes;
    // Placed buffers whose lifetime overlaps b, by offset; take the first gap that fits.
    std::vector<const Buffer*> live;
    for (std::size_t p : placed) {
      const Buffer& q = buffers[p];
      if (q.first <= b.last && b.first <= q.last) live.push_back(&q);
    }
    std::sort(live.begin(), live.end(),
              [](const Buffer* x, const Buffer* y) { return x->offset < y->offset; });
    std::uint64_t offset = 0;
    for (const Buffer* q : live) {
      if (offset + b.bytes <= q->offset) break;
      offset = std::max(offset, align_up(q->offset + q->bytes, kArenaAlignment));
    }
    b.offset = offset;
    placed.push_back(i);
    plan.arena_bytes = std::max(plan.arena_bytes, align_up(offset + b.bytes, kArenaAlignment));
    plan.offsets[b.name] = offset;
  }
  return plan;
}

// One node's bound tensors in a static plan.
struct Plan::Step {
  std::vector<const Tensor*> inputs;
  std::vector<Tensor*> outputs;
  bool folded = false;  // every output was computed at plan time; nothing to run
};

Plan::~Plan() = default;

Result<std::unique_ptr<Plan>> Plan::compile(const ir::Graph& graph, const Registry& registry,
                                            const PlanOptions& options) {
  std::unique_ptr<Plan> plan(new Plan());
  plan->graph_ = graph;
  EB_RETURN_IF_ERROR(ir::validate(plan->graph_));
  EB_RETURN_IF_ERROR(ir::sort_topologically(plan->graph_));
  const ir::Graph& g = plan->graph_;
  EB_ASSIGN_OR_RETURN(plan->kernels_, create_kernels(g, registry));
  plan->thread_pool_ = options.thread_pool;
  EB_ASSIGN_OR_RETURN(plan->types_, infer_with_kernels(g, plan->kernels_, options));
  plan->memory_ = plan_memory(g, plan->types_);

  for (const std::string& name : g.inputs) {
    const TensorType& t = plan->types_.inputs.at(name);
    plan->inputs_.push_back({name, t.dtype, t.shape});
  }
  for (const std::string& name : g.outputs) {
    auto t = plan->types_.types.find(name);
    if (t != plan->types_.types.end()) {
      plan->outputs_.push_back({name, t->second.dtype, t->second.shape});
    } else {
      const ir::ValueInfo* info = g.find_value_info(name);
      plan->outputs_.push_back({name, info ? info->dtype : DType::kUndefined,
                                info && info->shape ? *info->shape : Shape{}});
    }
  }
  if (plan->types_.dynamic) return plan;

  // Static plan: bind every tensor once.
  try {
    auto* arena = static_cast<std::byte*>(::operator new[](
        plan->memory_.arena_bytes + kTensorTailPadding, std::align_val_t(kTensorAlignment)));
    plan->arena_ = std::shared_ptr<std::byte>(
        arena, [](std::byte* p) { ::operator delete[](p, std::align_val_t(kTensorAlignment)); });
  } catch (const std::bad_alloc&) {
    return out_of_range(
        fmt::format("cannot allocate the {}-byte activation arena", plan->memory_.arena_bytes));
  }
  std::memset(plan->arena_.get(), 0, plan->memory_.arena_bytes + kTensorTailPadding);
  for (const auto& [name, tensor] : plan->types_.constants) plan->static_tensors_[name] = tensor;
  for (const auto& [name, offset] : plan->memory_.offsets) {
    const TensorType& t = plan->types_.types.at(name);
    plan->static_tensors_[name] = Tensor::view(t.dtype, t.shape, plan->arena_.get() + offset);
  }
  for (const auto& [name, t] : plan->types_.inputs) {
    plan->static_tensors_[name] = Tensor::view(t.dtype, t.shape, nullptr);
  }
  for (const ir::Node& node : g.nodes) {
    Step step;
    step.folded = true;
    for (const std::string& out : node.outputs) {
      if (!out.empty() && plan->types_.constants.count(out) == 0) step.folded = false;
    }
    for (const std::string& in : node.inputs) {
      step.inputs.push_back(in.empty() ? nullptr : &plan->static_tensors_.at(in));
    }
    for (const std::string& out : node.outputs) {
      auto it = plan->static_tensors_.find(out);
      step.outputs.push_back(out.empty() || it == plan->static_tensors_.end() ? nullptr
                                                                              : &it->second);
    }
    plan->steps_.push_back(std::move(step));
  }

  // Prepare: kernels see their final types, constant inputs and the thread pool once.
  std::vector<const TensorType*> in_types;
  std::vector<const Tensor*> in_values;
  std::vector<TensorType> out_types;
  for (std::size_t n = 0; n < g.nodes.size(); ++n) {
    if (plan->steps_[n].folded) continue;
    const ir::Node& node = g.nodes[n];
    in_types.assign(node.inputs.size(), nullptr);
    in_values.assign(node.inputs.size(), nullptr);
    out_types.assign(node.outputs.size(), TensorType{});
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      if (node.inputs[i].empty()) continue;
      in_types[i] = &plan->types_.types.at(node.inputs[i]);
      auto c = plan->types_.constants.find(node.inputs[i]);
      if (c != plan->types_.constants.end()) in_values[i] = &c->second;
    }
    for (std::size_t o = 0; o < node.outputs.size(); ++o) {
      auto t = plan->types_.types.find(node.outputs[o]);
      if (!node.outputs[o].empty() && t != plan->types_.types.end()) out_types[o] = t->second;
    }
    PrepareContext ctx{node,      g.opset_for(node.domain), in_types, in_values,
                       out_types, plan->thread_pool_.get()};
    EB_RETURN_IF_ERROR(plan->kernels_[n]->prepare(ctx).with_context(node.describe()));
  }
  return plan;
}

Status Plan::check_inputs(std::span<const Tensor> inputs) const {
  if (inputs.size() != inputs_.size()) {
    return invalid_argument(
        fmt::format("the model takes {} inputs, {} given", inputs_.size(), inputs.size()));
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const TensorSpec& spec = inputs_[i];
    if (inputs[i].dtype() != spec.dtype) {
      return invalid_argument(fmt::format("input '{}' must be {}, got {}", spec.name,
                                          dtype_name(spec.dtype), dtype_name(inputs[i].dtype())));
    }
    if (!types_.dynamic && inputs[i].shape() != spec.shape) {
      return invalid_argument(fmt::format("input '{}' must have shape {}, got {}", spec.name,
                                          shape_to_string(spec.shape),
                                          shape_to_string(inputs[i].shape())));
    }
  }
  return Status::ok();
}

Status Plan::run(std::span<const Tensor> inputs, std::span<Tensor> outputs) {
  if (outputs.size() != outputs_.size()) {
    return invalid_argument(
        fmt::format("the model has {} outputs, {} given", outputs_.size(), outputs.size()));
  }
  EB_RETURN_IF_ERROR(check_inputs(inputs));
  return types_.dynamic ? run_dynamic(inputs, outputs) : run_static(inputs, outputs);
}

namespace {

Status copy_to_output(const Tensor& value, Tensor& out) {
  if (!out.defined() || out.dtype() != value.dtype() || out.shape() != value.shape()) {
    EB_ASSIGN_OR_RETURN(out, Tensor::allocate(value.dtype(), value.shape()));
  }
  if (value.byte_size() > 0) std::memcpy(out.raw_data(), value.raw_data(), value.byte_size());
  return Status::ok();
}

}  // namespace

Status Plan::run_static(std::span<const Tensor> inputs, std::span<Tensor> outputs) {
  // Graph inputs are views of the caller's tensors for the duration of the run.
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    Tensor& slot = static_tensors_.at(inputs_[i].name);
    slot = inputs[i];
  }
  for (std::size_t n = 0; n < steps_.size(); ++n) {
    Step& step = steps_[n];
    if (step.folded) continue;
    KernelContext ctx(step.inputs, step.outputs, thread_pool_.get());
    if (observer_ != nullptr) observer_->before_node(n);
    Status st = kernels_[n]->run(ctx);
    if (observer_ != nullptr) observer_->after_node(n);
    if (!st.is_ok()) return st.with_context(graph_.nodes[n].describe());
  }
  for (std::size_t o = 0; o < outputs.size(); ++o) {
    EB_RETURN_IF_ERROR(copy_to_output(static_tensors_.at(outputs_[o].name), outputs[o]));
  }
  // The input slots keep their handles until the next run: resetting them would free their
  // shape vectors and make the next run allocate.
  return Status::ok();
}

Status Plan::run_dynamic(std::span<const Tensor> inputs, std::span<Tensor> outputs) {
  std::map<std::string, Tensor, std::less<>> values = types_.constants;
  for (std::size_t i = 0; i < inputs.size(); ++i) values[inputs_[i].name] = inputs[i];
  std::map<std::string, std::size_t, std::less<>> last_use;
  for (std::size_t n = 0; n < graph_.nodes.size(); ++n) {
    for (const std::string& in : graph_.nodes[n].inputs) last_use[in] = n;
  }
  for (const std::string& out : graph_.outputs) last_use[out] = graph_.nodes.size();

  std::vector<const TensorType*> types;
  std::vector<TensorType> type_storage;
  std::vector<const Tensor*> in_ptrs;
  for (std::size_t n = 0; n < graph_.nodes.size(); ++n) {
    const ir::Node& node = graph_.nodes[n];
    type_storage.assign(node.inputs.size(), {});
    types.assign(node.inputs.size(), nullptr);
    in_ptrs.assign(node.inputs.size(), nullptr);
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      if (node.inputs[i].empty()) continue;
      auto it = values.find(node.inputs[i]);
      if (it == values.end()) {
        return internal_error(
            fmt::format("{}: input '{}' was not computed", node.describe(), node.inputs[i]));
      }
      type_storage[i] = {it->second.dtype(), it->second.shape()};
      types[i] = &type_storage[i];
      in_ptrs[i] = &it->second;
    }
    InferContext ictx(node, graph_.opset_for(node.domain), types, in_ptrs);
    EB_RETURN_IF_ERROR(kernels_[n]->infer(ictx));
    std::vector<Tensor> results(node.outputs.size());
    std::vector<Tensor*> out_ptrs(node.outputs.size(), nullptr);
    for (std::size_t o = 0; o < node.outputs.size(); ++o) {
      const TensorType& t = ictx.outputs()[o];
      if (node.outputs[o].empty() || t.dtype == DType::kUndefined) continue;
      EB_ASSIGN_OR_RETURN(results[o], Tensor::allocate(t.dtype, t.shape));
      out_ptrs[o] = &results[o];
    }
    KernelContext kctx(in_ptrs, out_ptrs, thread_pool_.get());
    if (observer_ != nullptr) observer_->before_node(n);
    Status st = kernels_[n]->run(kctx);
    if (observer_ != nullptr) observer_->after_node(n);
    if (!st.is_ok()) return st.with_context(node.describe());
    for (std::size_t o = 0; o < node.outputs.size(); ++o) {
      if (out_ptrs[o] != nullptr) values[node.outputs[o]] = std::move(results[o]);
    }
    for (const std::string& in : node.inputs) {
      auto lu = last_use.find(in);
      if (lu != last_use.end() && lu->second == n) values.erase(in);
    }
  }
  for (std::size_t o = 0; o < outputs.size(); ++o) {
    auto it = values.find(outputs_[o].name);
    if (it == values.end()) {
      return internal_error(fmt::format("output '{}' was not computed", outputs_[o].name));
    }
    outputs[o] = it->second;
  }
  return Status::ok();
}

namespace {

// The inputs of a single-node call as inference and kernels see them.
struct NodeInputs {
  std::vector<TensorType> type_storage;
  std::vector<const TensorType*> types;
  std::vector<const Tensor*> values;

  explicit NodeInputs(std::span<const Tensor> inputs)
      : type_storage(inputs.size()), types(inputs.size(), nullptr), values(inputs.size(), nullptr) {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (!inputs[i].defined()) continue;
      type_storage[i] = {inputs[i].dtype(), inputs[i].shape()};
      types[i] = &type_storage[i];
      values[i] = &inputs[i];
    }
  }
};

}  // namespace

Result<std::vector<TensorType>> infer_node(const OpKernel& kernel, const ir::Node& node,
                                           std::int64_t opset, std::span<const Tensor> inputs) {
  const NodeInputs bound(inputs);
  InferContext ictx(node, opset, bound.types, bound.values);
  EB_RETURN_IF_ERROR(kernel.infer(ictx));
  return ictx.outputs();
}

Result<std::vector<Tensor>> run_node(const ir::Node& node, std::int64_t opset,
                                     std::span<const Tensor> inputs, const Registry& registry) {
  EB_ASSIGN_OR_RETURN(auto kernel, registry.create_kernel(node, opset));
  EB_ASSIGN_OR_RETURN(const std::vector<TensorType> types,
                      infer_node(*kernel, node, opset, inputs));
  std::vector<Tensor> results(node.outputs.size());
  std::vector<Tensor*> out_ptrs(node.outputs.size(), nullptr);
  for (std::size_t o = 0; o < node.outputs.size(); ++o) {
    const TensorType& t = types[o];
    if (node.outputs[o].empty() || t.dtype == DType::kUndefined) continue;
    EB_ASSIGN_OR_RETURN(results[o], Tensor::allocate(t.dtype, t.shape));
    out_ptrs[o] = &results[o];
  }
  const NodeInputs bound(inputs);
  KernelContext kctx(bound.values, out_ptrs);
  EB_RETURN_IF_ERROR(kernel->run(kctx).with_context(node.describe()));
  return results;
}

}  // namespace edgebench::engine
