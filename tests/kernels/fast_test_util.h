// Builds small graphs and checks that the fast (lowered, XNNPACK) plan agrees with the reference
// plan on seeded random inputs.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "edgebench/core/random.h"
#include "edgebench/engine/plan.h"
#include "edgebench/kernels/fast.h"

namespace edgebench::kernels::testing {

// Values in [-1, 1): activations get clamped, negative slopes matter.
inline const RandomSpec kSigned{-1.0, 1.0, -100, 100};

class GraphBuilder {
 public:
  explicit GraphBuilder(std::int64_t opset = 13) {
    graph_.name = "test";
    graph_.opset_imports.push_back({"", opset});
  }

  std::string input(const std::string& name, Shape shape, DType dtype = DType::kFloat32) {
    graph_.inputs.push_back(name);
    graph_.value_info[name] = {dtype, shape, std::vector<std::string>(shape.size())};
    return name;
  }

  // A seeded random float32 initializer in [-1, 1).
  std::string weight(const std::string& name, Shape shape, std::uint64_t seed) {
    graph_.initializers[name] = random_tensor(DType::kFloat32, shape, seed, kSigned).value();
    return name;
  }
  std::string constant(const std::string& name, Tensor value) {
    graph_.initializers[name] = std::move(value);
    return name;
  }

  ir::Node& node(const std::string& op, std::vector<std::string> inputs, const std::string& output,
                 std::string domain = "") {
    ir::Node n;
    n.name = output + "_node";
    n.op_type = op;
    n.domain = std::move(domain);
    n.inputs = std::move(inputs);
    n.outputs = {output};
    graph_.nodes.push_back(std::move(n));
    return graph_.nodes.back();
  }

  void output(const std::string& name) { graph_.outputs.push_back(name); }
  ir::Graph& graph() { return graph_; }

 private:
  ir::Graph graph_;
};

struct FastRun {
  LoweredGraph lowered;
  std::vector<Tensor> fast;
  std::vector<Tensor> reference;
};

// Runs `graph` on the fast plan (twice: the second run reuses the bound pointers) and on the
// reference plan, with `given` inputs or, when it is null, seeded random ones (input i from
// seed + i, values in [-1, 1)).
inline FastRun run_fast_and_reference_on(const ir::Graph& graph, int threads,
                                         const std::vector<Tensor>* given, std::uint64_t seed) {
  FastRun r;
  engine::PlanOptions options;
  auto types = engine::infer_types(graph, engine::builtin_registry(), options);
  EXPECT_TRUE(types.is_ok()) << types.status().message();
  if (!types.is_ok()) return r;
  auto lowered = lower_for_fast_kernels(graph, types.value());
  EXPECT_TRUE(lowered.is_ok()) << lowered.status().message();
  if (!lowered.is_ok()) return r;
  r.lowered = std::move(lowered).value();
  options.thread_pool = ThreadPool::create(threads).value();
  auto fast = engine::Plan::compile(r.lowered.graph, fast_registry(), options);
  EXPECT_TRUE(fast.is_ok()) << fast.status().message();
  auto ref = engine::Plan::compile(graph, engine::builtin_registry());
  EXPECT_TRUE(ref.is_ok()) << ref.status().message();
  if (!fast.is_ok() || !ref.is_ok()) return r;
  std::vector<Tensor> inputs;
  if (given != nullptr) {
    inputs = *given;
  } else {
    for (std::size_t i = 0; i < ref.value()->inputs().size(); ++i) {
      const auto& spec = ref.value()->inputs()[i];
      inputs.push_back(random_tensor(spec.dtype, spec.shape, seed + i, kSigned).value());
    }
  }
  r.fast.resize(ref.value()->outputs().size());
  r.reference.resize(ref.value()->outputs().size());
  for (int k = 0; k < 2; ++k) {
    Status st = fast.value()->run(inputs, r.fast);
    EXPECT_TRUE(st.is_ok()) << st.message();
  }
  Status st = ref.value()->run(inputs, r.reference);
  EXPECT_TRUE(st.is_ok()) << st.message();
  return r;
}

inline FastRun run_fast_and_reference(const ir::Graph& graph, int threads, std::uint64_t seed) {
  return run_fast_and_reference_on(graph, threads, nullptr, seed);
}
inline FastRun run_fast_and_reference(const ir::Graph& graph, int threads,
                                      const std::vector<Tensor>& inputs) {
  return run_fast_and_reference_on(graph, threads, &inputs, 0);
}

// max |a - b| / max |b|
inline double max_relative_error(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != DType::kFloat32) return INFINITY;
  double diff = 0, scale = 0;
  for (std::int64_t i = 0; i < a.element_count(); ++i) {
    diff = std::max(diff, std::abs(double(a.data<float>()[i]) - double(b.data<float>()[i])));
    scale = std::max(scale, std::abs(double(b.data<float>()[i])));
  }
  return scale == 0 ? diff : diff / scale;
}

// Lowers, runs both plans and checks every output within `tolerance`; `fast_nodes` is how many
// nodes of the graph must have been lowered (-1: all).
inline void expect_fast_matches(const ir::Graph& graph, std::uint64_t seed, int fast_nodes = -1,
                                double tolerance = 1e-4) {
  for (int threads : {1, 2}) {
    FastRun r = run_fast_and_reference(graph, threads, seed);
    ASSERT_EQ(r.fast.size(), r.reference.size());
    const int expected = fast_nodes < 0 ? static_cast<int>(graph.nodes.size()) : fast_nodes;
    EXPECT_EQ(r.lowered.fast_nodes, expected) << "seed " << seed;
    for (std::size_t i = 0; i < r.lowered.nodes.size(); ++i) {
      if (!r.lowered.nodes[i].fast && fast_nodes < 0) {
        ADD_FAILURE() << graph.nodes[i].describe() << " not lowered: " << r.lowered.nodes[i].reason;
      }
    }
    for (std::size_t o = 0; o < r.fast.size(); ++o) {
      ASSERT_EQ(r.fast[o].shape(), r.reference[o].shape()) << "output " << o << " seed " << seed;
      EXPECT_LE(max_relative_error(r.fast[o], r.reference[o]), tolerance)
          << "output " << o << " threads " << threads << " seed " << seed;
    }
  }
}

}  // namespace edgebench::kernels::testing
