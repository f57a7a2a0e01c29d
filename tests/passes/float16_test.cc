// Float16 weight storage: same outputs as the float32 graph with its weights rounded to float16,
// float16 initializers behind one Cast each, non-weight inputs untouched.
#include "edgebench/passes/float16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "passes/passes_test_util.h"

namespace edgebench::passes {
namespace {

using test::make_node;
using test::random_float;

// x[1,3,7,9] -> Conv(w, b) -> Relu -> Clip(lo, hi) -> GlobalAveragePool -> Reshape(shape)
//   -> Gemm(B^T, C) -> Mul(scale) -> y
ir::Graph conv_gemm_graph(std::uint64_t seed) {
  ir::Graph g;
  g.opset_imports = {{"", 13}};
  g.inputs = {"x"};
  g.value_info["x"] = {DType::kFloat32, Shape{1, 3, 7, 9}, {}};
  g.initializers["w"] = random_float({5, 3, 3, 3}, seed);
  g.initializers["b"] = random_float({5}, seed + 1);  // too small to convert
  ir::Node conv = make_node("conv", "Conv", {"x", "w", "b"}, {"c"});
  conv.attributes.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  g.nodes.push_back(conv);
  g.nodes.push_back(make_node("relu", "Relu", {"c"}, {"r"}));
  g.initializers["lo"] = Tensor::scalar(DType::kFloat32, 0.0f);
  g.initializers["hi"] = Tensor::scalar(DType::kFloat32, 0.75f);
  g.nodes.push_back(make_node("clip", "Clip", {"r", "lo", "hi"}, {"k"}));
  g.nodes.push_back(make_node("pool", "GlobalAveragePool", {"k"}, {"p"}));
  const std::int64_t shape[] = {1, 5};
  g.initializers["shape"] = Tensor::vector<std::int64_t>(DType::kInt64, shape);
  g.nodes.push_back(make_node("reshape", "Reshape", {"p", "shape"}, {"f"}));
  g.initializers["gemm_b"] = random_float({20, 5}, seed + 2);
  g.initializers["gemm_c"] = random_float({20}, seed + 3);
  ir::Node gemm = make_node("gemm", "Gemm", {"f", "gemm_b", "gemm_c"}, {"h"});
  gemm.attributes.set("transB", std::int64_t{1});
  g.nodes.push_back(gemm);
  g.initializers["scale"] = random_float({1, 20}, seed + 4, 0.5, 2.0);
  g.nodes.push_back(make_node("mul", "Mul", {"h", "scale"}, {"y"}));
  g.outputs = {"y"};
  return g;
}

// The float32 graph with every converted initializer rounded through float16.
ir::Graph rounded_copy(const ir::Graph& g, const std::vector<std::string>& names) {
  ir::Graph r = g;
  for (const std::string& name : names) {
    Tensor t = g.initializers.at(name).clone();
    for (std::int64_t i = 0; i < t.element_count(); ++i) {
      t.data<float>()[i] = half_to_float(float_to_half(t.data<float>()[i]));
    }
    r.initializers[name] = t;
  }
  return r;
}

TEST(Float16Weights, ConvertsWeightsAndKeepsOutputsWithinHalfRounding) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    const ir::Graph original = conv_gemm_graph(seed * 10);
    ir::Graph g = original;
    auto report = convert_weights_to_float16(g);
    ASSERT_TRUE(report.is_ok()) << report.status().to_string();
    EXPECT_EQ(report->converted, (std::vector<std::string>{"gemm_b", "gemm_c", "scale", "w"}))
        << "seed " << seed;
    ASSERT_TRUE(ir::validate(g).is_ok()) << ir::validate(g).to_string();

    const auto inputs = test::random_inputs(original, seed);
    const auto before = test::run_graph(original, inputs);
    const auto after = test::run_graph(g, inputs);
    // Exactly the float graph with float16-rounded weights: the Cast is exact.
    test::expect_same_outputs(after,
                              test::run_graph(rounded_copy(original, report->converted), inputs),
                              "seed " + std::to_string(seed));
    // And close to the float32 graph: each weight moves by at most 2^-11 relative.
    ASSERT_EQ(after.size(), 1u);
    double diff = 0, scale = 0;
    for (std::int64_t i = 0; i < before[0].element_count(); ++i) {
      diff =
          std::max(diff, std::fabs(after[0].element_as_double(i) - before[0].element_as_double(i)));
      scale = std::max(scale, std::fabs(before[0].element_as_double(i)));
    }
    EXPECT_LT(diff, 4e-3 * scale) << "seed " << seed;
    EXPECT_GT(diff, 0.0) << "seed " << seed << ": weights were not rounded at all";
  }
}

TEST(Float16Weights, StructureHalfInitializersOneCastEach) {
  const ir::Graph original = conv_gemm_graph(7);
  ir::Graph g = original;
  auto report = convert_weights_to_float16(g);
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  ASSERT_EQ(report->converted.size(), 4u);
  for (const std::string& name : report->converted) {
    const Tensor& t = g.initializers.at(name);
    EXPECT_EQ(t.dtype(), DType::kFloat16) << name;
    EXPECT_EQ(t.shape(), original.initializers.at(name).shape()) << name;
    for (std::int64_t i = 0; i < t.element_count(); ++i) {
      ASSERT_EQ(t.data<std::uint16_t>()[i],
                float_to_half(original.initializers.at(name).data<float>()[i]))
          << name << " element " << i;
    }
    int casts = 0;
    std::string cast_output;
    for (const ir::Node& n : g.nodes) {
      bool reads = false;
      for (const std::string& in : n.inputs) reads = reads || in == name;
      if (!reads) continue;
      ++casts;
      EXPECT_EQ(n.op_type, "Cast") << name;
      EXPECT_EQ(n.attributes.get_int("to", 0).value_or(0), 1) << name;
      ASSERT_EQ(n.outputs.size(), 1u);
      cast_output = n.outputs[0];
    }
    EXPECT_EQ(casts, 1) << name;
    EXPECT_NE(cast_output, name);
    EXPECT_EQ(g.value_info.at(cast_output).dtype, DType::kFloat32);
  }
  EXPECT_EQ(g.nodes.size(), original.nodes.size() + 4);
  EXPECT_EQ(test::find_node(g, "conv")->inputs[1], "w_fp32");
  EXPECT_EQ(test::find_node(g, "conv")->inputs[2], "b");  // 5 elements: kept
  // Shape and bound inputs untouched.
  EXPECT_EQ(g.initializers.at("shape").dtype(), DType::kInt64);
  EXPECT_EQ(test::find_node(g, "reshape")->inputs[1], "shape");
  EXPECT_EQ(g.initializers.at("lo").dtype(), DType::kFloat32);
  EXPECT_EQ(g.initializers.at("hi").dtype(), DType::kFloat32);
  EXPECT_EQ(test::find_node(g, "clip")->inputs[1], "lo");
  std::map<std::string, std::string> kept(report->kept.begin(), report->kept.end());
  EXPECT_EQ(kept.size(), 3u);
  EXPECT_TRUE(kept.count("b") && kept.count("lo") && kept.count("hi"));
  EXPECT_NE(kept["lo"].find("not a float data input"), std::string::npos) << kept["lo"];
  EXPECT_TRUE(report->warnings.empty());
  // Byte accounting: converted tensors halve.
  const std::uint64_t converted_bytes = (5 * 27 + 100 + 20 + 20) * 4;
  EXPECT_EQ(report->bytes_before - report->bytes_after, converted_bytes / 2);
  // Constant folding folds the Casts back into float32 initializers.
  auto folding = make_constant_folding();
  auto dce = make_dead_node_elimination();
  const Pass* pipeline[] = {folding.get(), dce.get()};
  ir::Graph folded = g;
  ASSERT_TRUE(run_to_fixed_point(folded, pipeline).is_ok());
  for (const ir::Node& n : folded.nodes) EXPECT_NE(n.op_type, "Cast");
  const auto inputs = test::random_inputs(original, 3);
  test::expect_same_outputs(test::run_graph(folded, inputs), test::run_graph(g, inputs), "folded");
}

TEST(Float16Weights, LargeFloatInputThatIsNotDataStaysFloat32) {
  // A 16-element float initializer read as Conv weight and also as Resize-like non-data input
  // (here Identity's only input, then a graph output): it must stay float32.
  ir::Graph g;
  g.opset_imports = {{"", 13}};
  g.inputs = {"x"};
  g.value_info["x"] = {DType::kFloat32, Shape{1, 16}, {}};
  g.initializers["v"] = random_float({1, 16}, 5);
  g.initializers["out_init"] = random_float({4, 4}, 6);
  g.nodes.push_back(make_node("add", "Add", {"x", "v"}, {"a"}));
  g.nodes.push_back(make_node("id", "Identity", {"v"}, {"y2"}));
  g.outputs = {"a", "y2", "out_init"};
  auto report = convert_weights_to_float16(g);
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_TRUE(report->converted.empty());
  EXPECT_EQ(g.initializers.at("v").dtype(), DType::kFloat32);
  EXPECT_EQ(g.initializers.at("out_init").dtype(), DType::kFloat32);
  EXPECT_EQ(report->kept.size(), 2u);
  EXPECT_EQ(report->bytes_before, report->bytes_after);
  EXPECT_EQ(g.nodes.size(), 2u);
}

TEST(Float16Weights, OverflowIsClampedWithAWarning) {
  ir::Graph g;
  g.opset_imports = {{"", 13}};
  g.inputs = {"x"};
  g.value_info["x"] = {DType::kFloat32, Shape{20}, {}};
  Tensor big = random_float({20}, 9);
  big.data<float>()[0] = 1e5f;
  big.data<float>()[1] = -7e4f;
  big.data<float>()[2] = 65519.0f;  // rounds to 65504 anyway: not counted
  big.data<float>()[3] = std::numeric_limits<float>::infinity();
  g.initializers["big"] = big;
  g.nodes.push_back(make_node("mul", "Mul", {"x", "big"}, {"y"}));
  g.outputs = {"y"};
  auto report = convert_weights_to_float16(g);
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  ASSERT_EQ(report->converted.size(), 1u);
  const std::uint16_t* h = g.initializers.at("big").data<std::uint16_t>();
  EXPECT_EQ(half_to_float(h[0]), 65504.0f);
  EXPECT_EQ(half_to_float(h[1]), -65504.0f);
  EXPECT_EQ(half_to_float(h[2]), 65504.0f);
  EXPECT_TRUE(std::isinf(half_to_float(h[3])));
  ASSERT_EQ(report->warnings.size(), 1u);
  EXPECT_EQ(report->warnings[0].first, "big");
  EXPECT_NE(report->warnings[0].second.find("3 values"), std::string::npos)
      << report->warnings[0].second;
  // The graph still runs and gives the clamped products.
  Tensor x = Tensor::zeros(DType::kFloat32, {20});
  for (int i = 0; i < 20; ++i) x.data<float>()[i] = 1.0f;
  const auto out = test::run_graph(g, {x});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data<float>()[0], 65504.0f);
  EXPECT_EQ(out[0].data<float>()[1], -65504.0f);
}

TEST(Float16Weights, OldOpsetIsUnsupportedAndGraphUnchanged) {
  ir::Graph g = conv_gemm_graph(3);
  g.opset_imports = {{"", 5}};
  const ir::Graph before = g;
  auto report = convert_weights_to_float16(g);
  ASSERT_FALSE(report.is_ok());
  EXPECT_EQ(report.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(g.nodes.size(), before.nodes.size());
  EXPECT_EQ(g.initializers.at("w").dtype(), DType::kFloat32);
}

TEST(Float16Weights, SharedWeightGetsOneCast) {
  ir::Graph g;
  g.opset_imports = {{"", 13}};
  g.inputs = {"x"};
  g.value_info["x"] = {DType::kFloat32, Shape{2, 16}, {}};
  g.initializers["m"] = random_float({16, 16}, 11);
  g.nodes.push_back(make_node("mm1", "MatMul", {"x", "m"}, {"a"}));
  g.nodes.push_back(make_node("mm2", "MatMul", {"a", "m"}, {"y"}));
  g.outputs = {"y"};
  auto report = convert_weights_to_float16(g);
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(report->converted, std::vector<std::string>{"m"});
  EXPECT_EQ(g.nodes.size(), 3u);
  EXPECT_EQ(test::find_node(g, "mm1")->inputs[1], test::find_node(g, "mm2")->inputs[1]);
  EXPECT_EQ(test::run_graph(g, test::random_inputs(g, 1)).size(), 1u);
}

}  // namespace
}  // namespace edgebench::passes
