// Post-training quantization (passes/quantize.h): the QDQ and dynamic graphs it writes (which
// nodes, which types, which names), that their outputs stay close to the float graph's on
// seeded inputs, and that the native pipeline turns the static result into integer kernels.
#include "edgebench/passes/quantize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "passes_test_util.h"

namespace edgebench::passes {
namespace {

using test::make_node;
using test::random_float;
using test::random_inputs;
using test::run_graph;

// x [1,3,8,8] -> Conv(4, 3x3, pad 1) -> Relu -> MaxPool 2x2 -> Flatten -> Gemm(5) -> y, the Gemm
// weights [5, 64] with transB or [64, 5] without.
ir::Graph small_cnn(bool trans_b = true) {
  ir::Graph g;
  g.opset_imports = {{"", 13}};
  g.inputs = {"x"};
  g.value_info["x"] = {DType::kFloat32, Shape{1, 3, 8, 8}, {}};
  g.outputs = {"y"};
  g.value_info["y"] = {DType::kFloat32, Shape{1, 5}, {}};
  g.initializers["w"] = random_float({4, 3, 3, 3}, 11, -0.5, 0.5);
  g.initializers["b"] = random_float({4}, 12, -0.1, 0.1);
  g.initializers["fc_w"] = random_float(trans_b ? Shape{5, 64} : Shape{64, 5}, 13, -0.3, 0.3);
  g.initializers["fc_b"] = random_float({5}, 14, -0.1, 0.1);
  ir::Node conv = make_node("conv", "Conv", {"x", "w", "b"}, {"conv_out"});
  conv.attributes.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  g.nodes.push_back(conv);
  g.nodes.push_back(make_node("relu", "Relu", {"conv_out"}, {"relu_out"}));
  ir::Node pool = make_node("pool", "MaxPool", {"relu_out"}, {"pool_out"});
  pool.attributes.set("kernel_shape", std::vector<std::int64_t>{2, 2});
  pool.attributes.set("strides", std::vector<std::int64_t>{2, 2});
  g.nodes.push_back(pool);
  g.nodes.push_back(make_node("flatten", "Flatten", {"pool_out"}, {"flat"}));
  ir::Node gemm = make_node("fc", "Gemm", {"flat", "fc_w", "fc_b"}, {"y"});
  gemm.attributes.set("transB", std::int64_t{trans_b ? 1 : 0});
  g.nodes.push_back(gemm);
  return g;
}

// Observed [min, max] of every listed value over the given input sets (minmax calibration).
std::map<std::string, TensorRange> observe_ranges(const ir::Graph& graph,
                                                  const std::vector<std::string>& values,
                                                  const std::vector<std::vector<Tensor>>& inputs) {
  ir::Graph probed = graph;
  std::vector<std::string> inner;
  for (const std::string& v : values) {
    if (std::find(graph.inputs.begin(), graph.inputs.end(), v) == graph.inputs.end()) {
      inner.push_back(v);
    }
  }
  EXPECT_TRUE(expose_values(probed, inner).is_ok());
  std::map<std::string, TensorRange> ranges;
  auto widen = [&](const std::string& name, const Tensor& t) {
    TensorRange& r = ranges[name];
    for (std::int64_t i = 0; i < t.element_count(); ++i) {
      r.min = std::min(r.min, t.data<float>()[i]);
      r.max = std::max(r.max, t.data<float>()[i]);
    }
  };
  for (const std::vector<Tensor>& sample : inputs) {
    const std::vector<Tensor> outputs = run_graph(probed, sample);
    for (std::size_t i = 0; i < probed.outputs.size() && i < outputs.size(); ++i) {
      widen(probed.outputs[i], outputs[i]);
    }
    for (std::size_t i = 0; i < graph.inputs.size(); ++i) widen(graph.inputs[i], sample[i]);
  }
  return ranges;
}

double relative_l2(const Tensor& a, const Tensor& b) {
  double diff = 0, norm = 0;
  for (std::int64_t i = 0; i < b.element_count(); ++i) {
    const double d = a.element_as_double(i) - b.element_as_double(i);
    diff += d * d;
    norm += b.element_as_double(i) * b.element_as_double(i);
  }
  return std::sqrt(diff / norm);
}

int count_op(const ir::Graph& g, std::string_view op) {
  return static_cast<int>(std::count_if(g.nodes.begin(), g.nodes.end(),
                                        [&](const ir::Node& n) { return n.op_type == op; }));
}

const ir::Node* producer_of(const ir::Graph& g, const std::string& value) {
  for (const ir::Node& n : g.nodes) {
    if (std::find(n.outputs.begin(), n.outputs.end(), value) != n.outputs.end()) return &n;
  }
  return nullptr;
}

std::vector<std::vector<Tensor>> input_sets(const ir::Graph& g, int count) {
  std::vector<std::vector<Tensor>> sets;
  for (int i = 0; i < count; ++i) sets.push_back(random_inputs(g, 100 + 10 * i, 0.0, 1.0));
  return sets;
}

TEST(Int8Parameters, RangesMapOntoTheInt8Grid) {
  QuantParameters p = int8_parameters({0.0f, 1.0f});
  EXPECT_FLOAT_EQ(p.scale, 1.0f / 255.0f);
  EXPECT_EQ(p.zero_point, -128);
  p = int8_parameters({-1.0f, 1.0f});
  EXPECT_FLOAT_EQ(p.scale, 2.0f / 255.0f);
  // -128 + 1 / scale = -0.5 up to float rounding of the scale.
  EXPECT_TRUE(p.zero_point == 0 || p.zero_point == -1) << p.zero_point;
  p = int8_parameters({2.0f, 3.0f});  // widened to hold 0: [0, 3]
  EXPECT_FLOAT_EQ(p.scale, 3.0f / 255.0f);
  EXPECT_EQ(p.zero_point, -128);
  p = int8_parameters({-4.0f, -1.0f});  // [-4, 0]
  EXPECT_EQ(p.zero_point, 127);
  p = int8_parameters({0.0f, 0.0f});
  EXPECT_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.zero_point, 0);
}

TEST(QuantizeStatic, PlanCoversTheChainAndItsActivations) {
  const ir::Graph g = small_cnn();
  auto plan = plan_static_quantization(g, {});
  ASSERT_TRUE(plan.is_ok()) << plan.status().to_string();
  std::vector<std::string> ops;
  for (std::size_t i : plan->nodes) ops.push_back(g.nodes[i].op_type);
  EXPECT_EQ(ops, (std::vector<std::string>{"Conv", "MaxPool", "Flatten", "Gemm"}));
  // The Relu folds into the Conv: its output, not the Conv's, is quantized.
  EXPECT_EQ(plan->activations,
            (std::vector<std::string>{"x", "relu_out", "pool_out", "flat", "y"}));
  EXPECT_TRUE(plan->kept_float.empty());
}

TEST(QuantizeStatic, PerChannelGraphStructure) {
  ir::Graph g = small_cnn();
  auto plan = plan_static_quantization(g, {});
  ASSERT_TRUE(plan.is_ok());
  const auto ranges = observe_ranges(g, plan->activations, input_sets(g, 4));
  QuantizeOptions options;
  options.per_channel = true;
  auto report = quantize_static(g, ranges, options);
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(report->quantized.size(), 4u);
  EXPECT_EQ(report->quantized_tensors, 5);
  EXPECT_EQ(report->quantized_weights, 2);
  EXPECT_EQ(count_op(g, "QuantizeLinear"), 5);
  // Weights: int8 per output channel, symmetric; biases int32; float weights gone.
  ASSERT_TRUE(g.initializers.count("w_quantized"));
  EXPECT_EQ(g.initializers.at("w_quantized").dtype(), DType::kInt8);
  EXPECT_EQ(g.initializers.at("w_scale").shape(), (Shape{4}));
  EXPECT_EQ(g.initializers.at("fc_w_scale").shape(), (Shape{5}));
  EXPECT_EQ(g.initializers.at("b_quantized").dtype(), DType::kInt32);
  EXPECT_EQ(g.initializers.at("fc_b_quantized").dtype(), DType::kInt32);
  EXPECT_FALSE(g.initializers.count("w"));
  EXPECT_FALSE(g.initializers.count("fc_w"));
  const ir::Node* w_dq = producer_of(g, "w_dequantized");
  ASSERT_NE(w_dq, nullptr);
  EXPECT_EQ(w_dq->attributes.get_int("axis", -1).value(), 0);
  const Tensor& wq = g.initializers.at("w_quantized");
  for (std::int64_t i = 0; i < wq.element_count(); ++i) {
    EXPECT_GE(wq.data<std::int8_t>()[i], -127);
  }
  // Bias scale = x_scale * w_scale per channel.
  const float x_scale = g.initializers.at("x_scale").data<float>()[0];
  for (int c = 0; c < 4; ++c) {
    EXPECT_FLOAT_EQ(g.initializers.at("b_scale").data<float>()[c],
                    x_scale * g.initializers.at("w_scale").data<float>()[c]);
  }
  // MaxPool keeps its input's scale; the graph output keeps its name on the DequantizeLinear.
  EXPECT_EQ(g.initializers.at("pool_out_scale").data<float>()[0],
            g.initializers.at("relu_out_scale").data<float>()[0]);
  const ir::Node* out = producer_of(g, "y");
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->op_type, "DequantizeLinear");
  EXPECT_EQ(g.outputs, (std::vector<std::string>{"y"}));
  EXPECT_TRUE(ir::validate(g).is_ok());
}

// A NaN or infinite bias has no integer value: it becomes 0 (NaN) or saturates (infinity) rather
// than reaching a float-to-int conversion (undefined behaviour); the other channels are exact.
TEST(QuantizeStatic, NonFiniteBiasesSaturateInsteadOfOverflowing) {
  ir::Graph g = small_cnn();
  Tensor& b = g.initializers.at("b");
  b.data<float>()[0] = std::numeric_limits<float>::quiet_NaN();
  b.data<float>()[1] = std::numeric_limits<float>::infinity();
  b.data<float>()[2] = -std::numeric_limits<float>::infinity();
  const float finite = b.data<float>()[3];
  auto plan = plan_static_quantization(g, {});
  ASSERT_TRUE(plan.is_ok());
  const auto ranges = observe_ranges(small_cnn(), plan->activations, input_sets(g, 2));
  QuantizeOptions options;
  options.per_channel = true;
  ASSERT_TRUE(quantize_static(g, ranges, options).is_ok());
  const Tensor& bq = g.initializers.at("b_quantized");
  ASSERT_EQ(bq.dtype(), DType::kInt32);
  EXPECT_EQ(bq.data<std::int32_t>()[0], 0);
  EXPECT_EQ(bq.data<std::int32_t>()[1], std::numeric_limits<std::int32_t>::max());
  EXPECT_EQ(bq.data<std::int32_t>()[2], std::numeric_limits<std::int32_t>::lowest());
  const float scale = g.initializers.at("b_scale").data<float>()[3];
  EXPECT_EQ(bq.data<std::int32_t>()[3], static_cast<std::int32_t>(std::nearbyint(finite / scale)));
}

TEST(QuantizeStatic, OutputsStayCloseAndFuseIntoIntegerKernels) {
  for (int variant = 0; variant < 4; ++variant) {
    const bool per_channel = variant & 1;
    const ir::Graph reference = small_cnn(/*trans_b=*/variant & 2);
    ir::Graph g = reference;
    auto plan = plan_static_quantization(g, {});
    ASSERT_TRUE(plan.is_ok());
    const auto sets = input_sets(g, 8);
    const auto ranges = observe_ranges(g, plan->activations, sets);
    QuantizeOptions options;
    options.per_channel = per_channel;
    ASSERT_TRUE(quantize_static(g, ranges, options).is_ok());
    ir::Graph fused = g;
    const auto qdq = make_qdq_fusion();
    const auto folding = make_constant_folding();
    const auto dead = make_dead_node_elimination();
    const Pass* pipeline[] = {qdq.get(), folding.get(), dead.get()};
    ASSERT_TRUE(run_to_fixed_point(fused, pipeline).is_ok());
    // The Conv, and the Gemm as a 1x1 QLinearConv between two Reshapes.
    EXPECT_EQ(count_op(fused, "QLinearConv"), 2) << "per_channel " << per_channel;
    EXPECT_EQ(count_op(fused, "Reshape"), 2) << "per_channel " << per_channel;
    EXPECT_EQ(count_op(fused, "Gemm"), 0) << "per_channel " << per_channel;
    for (const auto& sample : sets) {
      const auto expected = run_graph(reference, sample);
      const auto simulated = run_graph(g, sample);
      const auto integer = run_graph(fused, sample);
      ASSERT_EQ(simulated.size(), 1u);
      ASSERT_EQ(integer.size(), 1u);
      EXPECT_LT(relative_l2(simulated[0], expected[0]), 0.03) << "per_channel " << per_channel;
      // The integer graph differs from the QDQ graph by at most one output step.
      const float step = g.initializers.at("y_scale").data<float>()[0];
      for (std::int64_t i = 0; i < integer[0].element_count(); ++i) {
        EXPECT_LE(std::fabs(integer[0].data<float>()[i] - simulated[0].data<float>()[i]),
                  step * 1.001f);
      }
    }
  }
}

TEST(QuantizeStatic, ExcludedNodesStayFloatWithAReason) {
  ir::Graph g = small_cnn();
  QuantizeOptions options;
  options.exclude = {"Gemm"};
  auto plan = plan_static_quantization(g, options);
  ASSERT_TRUE(plan.is_ok());
  const auto ranges = observe_ranges(g, plan->activations, input_sets(g, 2));
  auto report = quantize_static(g, ranges, options);
  ASSERT_TRUE(report.is_ok());
  ASSERT_EQ(report->kept_float.size(), 1u);
  EXPECT_EQ(report->kept_float[0].first, "fc");
  EXPECT_NE(report->kept_float[0].second.find("exclude"), std::string::npos);
  EXPECT_TRUE(g.initializers.count("fc_w"));  // still float32
  EXPECT_EQ(g.initializers.at("fc_w").dtype(), DType::kFloat32);
  EXPECT_EQ(producer_of(g, "y")->op_type, "Gemm");
  // The Gemm's input (Flatten's quantized output) is not quantized for it: nobody else reads it.
  EXPECT_FALSE(g.initializers.count("flat_scale"));
}

TEST(QuantizeStatic, Errors) {
  ir::Graph g = small_cnn();
  auto missing = quantize_static(g, {}, {});
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("'x'"), std::string::npos);
  g.opset_imports = {{"", 9}};
  std::map<std::string, TensorRange> ranges;
  for (const char* v : {"x", "relu_out", "pool_out", "flat", "y"}) ranges[v] = {-1, 1};
  auto old = quantize_static(g, ranges, {});
  ASSERT_FALSE(old.is_ok());
  EXPECT_NE(old.status().message().find("opset 10"), std::string::npos);
}

TEST(QuantizeDynamic, IntegerOpsAndCloseOutputs) {
  for (bool per_channel : {false, true}) {
    const ir::Graph reference = small_cnn();
    ir::Graph g = reference;
    QuantizeOptions options;
    options.per_channel = per_channel;
    auto report = quantize_dynamic(g, options);
    ASSERT_TRUE(report.is_ok()) << report.status().to_string();
    EXPECT_EQ(report->quantized, (std::vector<std::string>{"conv", "fc"}));
    EXPECT_EQ(count_op(g, "DynamicQuantizeLinear"), 2);
    EXPECT_EQ(count_op(g, "ConvInteger"), 1);
    EXPECT_EQ(count_op(g, "MatMulInteger"), 1);
    EXPECT_EQ(g.initializers.at("w_quantized").dtype(), DType::kInt8);
    // Gemm's transB weights are stored as [K, N] for MatMulInteger.
    EXPECT_EQ(g.initializers.at("fc_w_quantized").shape(), (Shape{64, 5}));
    EXPECT_EQ(g.initializers.at("w_scale").shape(), (per_channel ? Shape{4, 1, 1} : Shape{}));
    EXPECT_FALSE(g.initializers.count("w"));
    EXPECT_TRUE(ir::validate(g).is_ok());
    for (const auto& sample : input_sets(reference, 4)) {
      const auto expected = run_graph(reference, sample);
      const auto actual = run_graph(g, sample);
      ASSERT_EQ(actual.size(), 1u);
      EXPECT_LT(relative_l2(actual[0], expected[0]), 0.03) << "per_channel " << per_channel;
    }
  }
}

TEST(QuantizeDynamic, NodesItCannotTakeAreReported) {
  ir::Graph g = small_cnn();
  g.nodes.back().attributes.set("alpha", 0.5f);
  QuantizeOptions options;
  options.exclude = {"conv"};
  auto report = quantize_dynamic(g, options);
  ASSERT_TRUE(report.is_ok());
  EXPECT_TRUE(report->quantized.empty());
  ASSERT_EQ(report->kept_float.size(), 2u);
  EXPECT_EQ(report->kept_float[0].first, "conv");
  EXPECT_EQ(report->kept_float[1].second, "alpha != 1");
}

TEST(ExposeValues, AddsOutputsOnceAndRejectsUnknownNames) {
  ir::Graph g = small_cnn();
  ASSERT_TRUE(expose_values(g, {"relu_out", "y", "relu_out"}).is_ok());
  EXPECT_EQ(g.outputs, (std::vector<std::string>{"y", "relu_out"}));
  EXPECT_FALSE(expose_values(g, {"nope"}).is_ok());
}

}  // namespace
}  // namespace edgebench::passes
