// Shared by the pass tests: node building, seeded random tensors, and running a graph before and
// after a pass on the same seeded random inputs.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "edgebench/core/random.h"
#include "edgebench/engine/plan.h"
#include "edgebench/passes/pass.h"

namespace edgebench::passes::test {

inline Tensor random_float(const Shape& shape, std::uint64_t seed, double low = -1,
                           double high = 1) {
  return *random_tensor(DType::kFloat32, shape, seed, {.low = low, .high = high});
}

inline ir::Node make_node(std::string name, std::string op, std::vector<std::string> inputs,
                          std::vector<std::string> outputs) {
  ir::Node n;
  n.name = std::move(name);
  n.op_type = std::move(op);
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  return n;
}

// Seeded random float32 values in [low, high) for every graph input, in the plan's order.
inline std::vector<Tensor> random_inputs(const ir::Graph& g, std::uint64_t seed, double low = -1,
                                         double high = 1) {
  auto plan = engine::Plan::compile(g, engine::builtin_registry());
  EXPECT_TRUE(plan.is_ok()) << plan.status().to_string();
  std::vector<Tensor> inputs;
  if (!plan.is_ok()) return inputs;
  for (const engine::TensorSpec& spec : (*plan)->inputs()) {
    inputs.push_back(*random_tensor(spec.dtype, spec.shape, seed++, {.low = low, .high = high}));
  }
  return inputs;
}

// The graph's outputs on `inputs` (empty on failure, which the test then reports).
inline std::vector<Tensor> run_graph(const ir::Graph& g, const std::vector<Tensor>& inputs) {
  auto plan = engine::Plan::compile(g, engine::builtin_registry());
  EXPECT_TRUE(plan.is_ok()) << plan.status().to_string();
  if (!plan.is_ok()) return {};
  std::vector<Tensor> outputs((*plan)->outputs().size());
  Status st = (*plan)->run(inputs, outputs);
  EXPECT_TRUE(st.is_ok()) << st.to_string();
  return st.is_ok() ? outputs : std::vector<Tensor>{};
}

// Bit-for-bit equal outputs (the passes under test promise exact results).
inline void expect_same_outputs(const std::vector<Tensor>& after, const std::vector<Tensor>& before,
                                const std::string& what) {
  ASSERT_EQ(after.size(), before.size()) << what;
  ASSERT_FALSE(before.empty()) << what;
  for (std::size_t i = 0; i < before.size(); ++i) {
    ASSERT_EQ(after[i].dtype(), before[i].dtype()) << what << " output " << i;
    ASSERT_EQ(after[i].shape(), before[i].shape()) << what << " output " << i;
    EXPECT_EQ(std::memcmp(after[i].raw_data(), before[i].raw_data(), before[i].byte_size()), 0)
        << what << " output " << i;
  }
}

inline const ir::Node* find_node(const ir::Graph& g, std::string_view name) {
  for (const ir::Node& n : g.nodes) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

}  // namespace edgebench::passes::test
