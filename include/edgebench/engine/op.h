// The operator interface of the built-in engine.
//
// Each op lives in one file under src/engine/ops/ and provides an OpDef whose factory parses
// and validates the node's attributes into an OpKernel. The kernel then
//   - infers output dtypes and shapes from input dtypes and shapes (and from constant input
//     values where the op needs them, such as Reshape's shape), and
//   - runs on tensors whose outputs the engine has already allocated with the inferred shapes.
// All validation happens in the factory and in infer(); run() only computes. (TFLite Micro's
// Init/Prepare/Eval split.) run() must not allocate on the hot path for fast kernels; the
// reference kernels may use small scratch buffers.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/core/tensor.h"
#include "edgebench/core/thread_pool.h"
#include "edgebench/ir/graph.h"

namespace edgebench::engine {

// Concrete dtype and shape of a tensor during planning.
struct TensorType {
  DType dtype = DType::kUndefined;
  Shape shape;
};

// What a kernel factory sees: the node and the opset of its domain.
struct KernelCreateContext {
  const ir::Node& node;
  std::int64_t opset = 0;
};

class InferContext {
 public:
  // input_types[i] / input_values[i] are null for absent optional inputs; input_values[i] is
  // also null when the value is not known before run time.
  InferContext(const ir::Node& node, std::int64_t opset,
               std::span<const TensorType* const> input_types,
               std::span<const Tensor* const> input_values);

  const ir::Node& node() const { return node_; }
  std::int64_t opset() const { return opset_; }

  std::size_t num_inputs() const { return input_types_.size(); }
  bool has_input(std::size_t i) const { return i < input_types_.size() && input_types_[i]; }
  DType input_dtype(std::size_t i) const { return input_types_[i]->dtype; }
  const Shape& input_shape(std::size_t i) const { return input_types_[i]->shape; }
  int input_rank(std::size_t i) const { return static_cast<int>(input_types_[i]->shape.size()); }
  // The constant value of input i, or null when it is only known at run time.
  const Tensor* input_value(std::size_t i) const {
    return i < input_values_.size() ? input_values_[i] : nullptr;
  }
  // Returns input i's value, or an error that tells the planner this node's output shape
  // depends on a run-time value (the plan then infers shapes at every run).
  Result<const Tensor*> require_value(std::size_t i);
  bool needs_runtime_values() const { return needs_runtime_values_; }

  std::size_t num_outputs() const { return outputs_.size(); }
  bool has_output(std::size_t i) const;
  void set_output(std::size_t i, DType dtype, Shape shape);
  const std::vector<TensorType>& outputs() const { return outputs_; }

  // Errors that name the node.
  Status error(std::string message) const;
  Status unsupported_error(std::string message) const;
  // Checks that input i is present and has one of the given dtypes.
  Status expect_input_dtype(std::size_t i, std::initializer_list<DType> allowed) const;
  Status expect_input_count(std::size_t min, std::size_t max) const;

 private:
  const ir::Node& node_;
  std::int64_t opset_;
  std::span<const TensorType* const> input_types_;
  std::span<const Tensor* const> input_values_;
  std::vector<TensorType> outputs_;
  bool needs_runtime_values_ = false;
};

// What a kernel's run() sees: its inputs and outputs, and the plan's thread pool (null: one
// thread), which the reference kernels split their work over.
class KernelContext {
 public:
  KernelContext(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs,
                ThreadPool* thread_pool = nullptr)
      : inputs_(inputs), outputs_(outputs), thread_pool_(thread_pool) {}

  std::size_t num_inputs() const { return inputs_.size(); }
  bool has_input(std::size_t i) const { return i < inputs_.size() && inputs_[i] != nullptr; }
  const Tensor& input(std::size_t i) const { return *inputs_[i]; }
  std::size_t num_outputs() const { return outputs_.size(); }
  bool has_output(std::size_t i) const { return i < outputs_.size() && outputs_[i] != nullptr; }
  Tensor& output(std::size_t i) const { return *outputs_[i]; }
  ThreadPool* thread_pool() const { return thread_pool_; }

 private:
  std::span<const Tensor* const> inputs_;
  std::span<Tensor* const> outputs_;
  ThreadPool* thread_pool_;
};

// What a kernel sees once, after inference, in a static plan: concrete types of its inputs and
// outputs, the constant values among its inputs, and the plan's thread pool (null: one thread).
// Fast kernels pack weights and create their library operators here (TFLite Micro's Prepare).
struct PrepareContext {
  const ir::Node& node;
  std::int64_t opset = 0;
  std::span<const TensorType* const> input_types;  // null for absent optional inputs
  std::span<const Tensor* const> input_values;     // null when not a constant
  std::span<const TensorType> output_types;
  ThreadPool* thread_pool = nullptr;
};

class OpKernel {
 public:
  OpKernel() = default;
  OpKernel(const OpKernel&) = delete;
  OpKernel& operator=(const OpKernel&) = delete;
  virtual ~OpKernel() = default;

  virtual Status infer(InferContext& ctx) const = 0;
  // Called once per static plan, between infer() and the first run(). The reference kernels
  // need nothing here.
  virtual Status prepare(const PrepareContext& ctx) { return Status::ok(); }
  virtual Status run(KernelContext& ctx) = 0;
};

using KernelFactory = Result<std::unique_ptr<OpKernel>> (*)(const KernelCreateContext& ctx);

// One registered op. `since_opset` is the first opset of the default domain it accepts; the
// factory handles differences between opset versions itself (via ctx.opset).
struct OpDef {
  std::string_view domain;  // "" for ai.onnx
  std::string_view op_type;
  std::int64_t since_opset = 1;
  KernelFactory create = nullptr;
};

// Helper for the common case: a factory that constructs K(ctx) where K's constructor cannot
// fail, or K has `static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext&)`.
template <typename K>
Result<std::unique_ptr<OpKernel>> make_kernel(const KernelCreateContext& ctx) {
  if constexpr (requires { K::create(ctx); }) {
    return K::create(ctx);
  } else {
    return std::unique_ptr<OpKernel>(std::make_unique<K>(ctx));
  }
}

}  // namespace edgebench::engine
