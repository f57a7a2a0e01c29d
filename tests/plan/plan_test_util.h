// Helpers for the planner tests: a device built in code and generated models with shapes.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "edgebench/engine/plan.h"
#include "edgebench/engine/registry.h"
#include "edgebench/gen/generators.h"
#include "edgebench/plan/device.h"

namespace edgebench::plan_test {

// An Edge TPU-like device with round numbers, so expected values can be worked out by hand.
inline plan::Device test_device() {
  plan::Device d;
  d.name = "test-tpu";
  d.on_chip_bytes = 8 << 20;
  d.param_cache_bytes = 1 << 20;
  d.column_alignment = 64;
  d.int8_macs_per_s = 1e12;
  d.param_read_bytes_per_s = 1e11;
  d.per_inference_s = 1e-4;
  d.per_layer_s = 1e-6;
  d.link_kind = "usb3";
  d.link_bytes_per_s = 1e8;
  d.link_latency_s = 1e-5;
  d.dtypes = {"int8", "uint8"};
  d.mapped_ops = {"Gemm", "Tanh", "Relu", "Conv", "MatMul", "Add"};
  d.partition = plan::Partition::kPrefix;
  d.host.macs_per_s = 1e9;
  d.host.per_op_s = 1e-5;
  return d;
}

// Infers shapes and writes them into value_info, as the CLI does before planning.
inline ir::Graph annotated(ir::Graph graph) {
  auto analysis = engine::analyze_graph(graph, engine::builtin_registry());
  EXPECT_TRUE(analysis.is_ok()) << analysis.status().to_string();
  if (analysis.is_ok()) engine::annotate_types(graph, analysis->types);
  return graph;
}

// The thesis's dense family: 64 -> layers x Dense(neurons, activation) -> Dense(10).
inline ir::Graph dense_model(std::int64_t neurons, std::int64_t layers = 4,
                             const std::string& activation = "tanh") {
  gen::DenseSpec spec;
  spec.neurons = neurons;
  spec.layers = layers;
  spec.activation = activation;
  auto g = gen::generate_dense(spec);
  EXPECT_TRUE(g.is_ok()) << g.status().to_string();
  return annotated(std::move(g).value());
}

}  // namespace edgebench::plan_test
