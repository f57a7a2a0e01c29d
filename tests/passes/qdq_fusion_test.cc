// QDQ fusion: small QDQ graphs written the way ONNX Runtime's quantizer writes them, run through
// {activation fusion, QDQ fusion, dead-node elimination} to a fixed point. Checks the integer
// nodes that come out (QLinearConv / QLinearMatMul with the right inputs, integer Clip only
// where the activation clamps inside the type range, integer MaxPool / Concat, uint8 turned into
// int8) and that the outputs agree with the QDQ float graph on seeded inputs in [0, 1): exactly
// where the pass is exact, within one output quantization step where an integer convolution
// replaces a float one.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>

#include "edgebench/engine/fused_ops.h"
#include "passes_test_util.h"

namespace edgebench::passes {
namespace {

using test::expect_same_outputs;
using test::make_node;
using test::random_float;
using test::random_inputs;
using test::run_graph;

struct QParams {
  float scale;
  std::int64_t zero_point;
  DType dtype;
};

// Shifts a uint8 zero point to the int8 one with the same real range when `dtype` is int8.
QParams params(float scale, std::int64_t uint8_zero_point, DType dtype) {
  return {scale, dtype == DType::kInt8 ? uint8_zero_point - 128 : uint8_zero_point, dtype};
}

// Builds QDQ graphs: every Q/DQ pair shares its scale and zero-point initializers, as the
// quantizer writes them.
class QdqGraph {
 public:
  explicit QdqGraph(std::int64_t opset = 13) { graph_.opset_imports = {{"", opset}}; }

  ir::Graph& graph() { return graph_; }

  void input(const std::string& name, Shape shape) {
    graph_.inputs.push_back(name);
    graph_.value_info[name] = {DType::kFloat32, std::move(shape), {}};
  }
  void node(ir::Node n) { graph_.nodes.push_back(std::move(n)); }

  // value -> QuantizeLinear -> "<value>_q"; returns the quantized name.
  std::string quantize(const std::string& value, const QParams& p) {
    add_params(value, p);
    node(make_node("Q_" + value, "QuantizeLinear", {value, value + "_scale", value + "_zero_point"},
                   {value + "_q"}));
    return value + "_q";
  }
  // "<value>_q" -> DequantizeLinear -> "<value>_dq" (a second reader gets `suffix`).
  std::string dequantize(const std::string& value, const std::string& suffix = "") {
    const std::string out = value + "_dq" + suffix;
    node(make_node("DQ_" + value + suffix, "DequantizeLinear",
                   {value + "_q", value + "_scale", value + "_zero_point"}, {out}));
    return out;
  }
  std::string qdq(const std::string& value, const QParams& p) {
    quantize(value, p);
    return dequantize(value);
  }

  // Random float weights [shape], quantized to int8 symmetric (zero point 0, -127..127) per
  // slice along `axis` (or per tensor when axis < 0), behind a DequantizeLinear. Returns the
  // DQ output; the per-slice scales go to *scales.
  std::string weight(const std::string& name, const Shape& shape, int axis, std::uint64_t seed,
                     std::vector<float>* scales = nullptr) {
    const Tensor w = random_float(shape, seed);
    const std::int64_t slices = axis < 0 ? 1 : shape[static_cast<std::size_t>(axis)];
    std::int64_t inner = 1;
    for (std::size_t d = static_cast<std::size_t>(std::max(axis, 0)) + 1; d < shape.size(); ++d) {
      inner *= shape[d];
    }
    if (axis < 0) inner = w.element_count();
    auto slice_of = [&](std::int64_t i) { return axis < 0 ? 0 : i / inner % slices; };
    std::vector<float> max_abs(static_cast<std::size_t>(slices), 0.0f);
    for (std::int64_t i = 0; i < w.element_count(); ++i) {
      float& m = max_abs[static_cast<std::size_t>(slice_of(i))];
      m = std::max(m, std::fabs(w.data<float>()[i]));
    }
    std::vector<float> s(max_abs.size());
    for (std::size_t c = 0; c < s.size(); ++c) s[c] = max_abs[c] / 127.0f;
    Tensor q = Tensor::zeros(DType::kInt8, shape);
    for (std::int64_t i = 0; i < w.element_count(); ++i) {
      q.data<std::int8_t>()[i] = static_cast<std::int8_t>(
          std::nearbyint(w.data<float>()[i] / s[static_cast<std::size_t>(slice_of(i))]));
    }
    graph_.initializers[name + "_q"] = q;
    if (axis < 0) {
      graph_.initializers[name + "_scale"] = Tensor::scalar(DType::kFloat32, s[0]);
      graph_.initializers[name + "_zero_point"] = Tensor::scalar(DType::kInt8, 0);
    } else {
      graph_.initializers[name + "_scale"] = Tensor::vector<float>(DType::kFloat32, s);
      graph_.initializers[name + "_zero_point"] = Tensor::zeros(DType::kInt8, {slices});
    }
    ir::Node dq = make_node("DQ_" + name, "DequantizeLinear",
                            {name + "_q", name + "_scale", name + "_zero_point"}, {name + "_dq"});
    if (axis >= 0) dq.attributes.set("axis", std::int64_t{axis});
    node(dq);
    if (scales != nullptr) *scales = s;
    return name + "_dq";
  }

  // A float bias [channels] quantized to int32 with scale x_scale * w_scale[c] (zero point 0)
  // behind a DequantizeLinear (axis 0), as the quantizer writes Conv biases.
  std::string int32_bias(const std::string& name, std::int64_t channels, float x_scale,
                         const std::vector<float>& w_scales, std::uint64_t seed) {
    const Tensor b = random_float({channels}, seed, -0.5, 0.5);
    std::vector<float> scales(static_cast<std::size_t>(channels));
    Tensor q = Tensor::zeros(DType::kInt32, {channels});
    for (std::int64_t c = 0; c < channels; ++c) {
      const float s = x_scale * w_scales[w_scales.size() == 1 ? 0 : static_cast<std::size_t>(c)];
      scales[static_cast<std::size_t>(c)] = s;
      q.data<std::int32_t>()[c] = static_cast<std::int32_t>(std::nearbyint(b.data<float>()[c] / s));
    }
    graph_.initializers[name + "_q"] = q;
    graph_.initializers[name + "_scale"] = Tensor::vector<float>(DType::kFloat32, scales);
    graph_.initializers[name + "_zero_point"] = Tensor::zeros(DType::kInt32, {channels});
    ir::Node dq = make_node("DQ_" + name, "DequantizeLinear",
                            {name + "_q", name + "_scale", name + "_zero_point"}, {name + "_dq"});
    dq.attributes.set("axis", std::int64_t{0});
    node(dq);
    return name + "_dq";
  }

  ir::Node conv(const std::string& name, std::vector<std::string> inputs, const std::string& out,
                std::int64_t kernel, std::int64_t pad) {
    ir::Node n = make_node(name, "Conv", std::move(inputs), {out});
    n.attributes.set("kernel_shape", std::vector<std::int64_t>{kernel, kernel});
    n.attributes.set("pads", std::vector<std::int64_t>{pad, pad, pad, pad});
    return n;
  }

  // A float32 scalar given by a Constant node (as PyTorch exports Clip bounds).
  std::string float_constant(const std::string& name, float value) {
    ir::Node n = make_node(name, "Constant", {}, {name});
    n.attributes.set("value", Tensor::scalar(DType::kFloat32, value));
    node(n);
    return name;
  }

 private:
  void add_params(const std::string& value, const QParams& p) {
    graph_.initializers[value + "_scale"] = Tensor::scalar(DType::kFloat32, p.scale);
    graph_.initializers[value + "_zero_point"] = Tensor::scalar(p.dtype, p.zero_point);
  }

  ir::Graph graph_;
};

Result<int> run_pipeline(ir::Graph& g) {
  const auto fusion = make_activation_fusion();
  const auto qdq = make_qdq_fusion();
  const auto dead = make_dead_node_elimination();
  const Pass* pipeline[] = {fusion.get(), qdq.get(), dead.get()};
  return run_to_fixed_point(g, pipeline);
}

std::vector<const ir::Node*> nodes_of(const ir::Graph& g, std::string_view op) {
  std::vector<const ir::Node*> out;
  for (const ir::Node& n : g.nodes) {
    if (n.op_type == op) out.push_back(&n);
  }
  return out;
}

const ir::Node* producer_of(const ir::Graph& g, std::string_view value) {
  for (const ir::Node& n : g.nodes) {
    if (std::find(n.outputs.begin(), n.outputs.end(), value) != n.outputs.end()) return &n;
  }
  return nullptr;
}

// The dtype of every value of the graph, as the engine infers it.
std::map<std::string, DType, std::less<>> value_dtypes(const ir::Graph& g) {
  ir::Graph sorted = g;
  EXPECT_TRUE(ir::sort_topologically(sorted).is_ok());
  auto types = engine::infer_types(sorted, engine::builtin_registry(), {});
  EXPECT_TRUE(types.is_ok()) << types.status().to_string();
  std::map<std::string, DType, std::less<>> out;
  if (!types.is_ok()) return out;
  for (const auto& [name, type] : types->types) out[name] = type.dtype;
  return out;
}

std::int64_t scalar_value(const ir::Graph& g, const std::string& name) {
  auto it = g.initializers.find(name);
  EXPECT_NE(it, g.initializers.end()) << name;
  return it == g.initializers.end() ? -1000 : it->second.element_as_int64(0);
}

// Largest |after - before| per output, and how many elements differ at all.
struct Difference {
  double max_abs = 0;
  std::int64_t differing = 0;
  std::int64_t total = 0;
};

Difference compare(const Tensor& after, const Tensor& before) {
  Difference d;
  EXPECT_EQ(after.shape(), before.shape());
  if (after.shape() != before.shape()) return d;
  d.total = before.element_count();
  for (std::int64_t i = 0; i < d.total; ++i) {
    const double diff = std::fabs(after.element_as_double(i) - before.element_as_double(i));
    d.max_abs = std::max(d.max_abs, diff);
    d.differing += diff != 0 ? 1 : 0;
  }
  return d;
}

// ---- The main QDQ chain --------------------------------------------------------------------
//
//   x [1,3,7,9] -> Q/DQ -> conv1 (3x3, per-channel int8 weights, int32 bias) -> Relu -> Q/DQ
//     -> MaxPool 3x3 stride 1 pads 1 -> Q/DQ (same params) --+
//   x_dq -> conv2 (3x3) -> Clip(-0.5, 0.5) (Constant bounds) -> Q/DQ ----+-> Concat -> Q/DQ -> "y"
//   x_dq -> conv3 (1x1, per-tensor weights, float bias) -> Relu -> Q/DQ -> "z"
// conv1's output range [-4, 4] makes its Relu an integer Clip (Q(0) is the middle of the
// range), conv2's Clip one as well; conv3's output range starts at 0, so its Relu needs none.

constexpr std::int64_t kChannels1 = 5;
constexpr std::int64_t kChannels2 = 4;
constexpr std::int64_t kChannels3 = 6;

struct ChainOptions {
  DType dtype = DType::kUInt8;
  // Declares the Conv outputs' types so that activation fusion makes FusedConv nodes first.
  bool declare_conv_types = false;
  std::uint64_t seed = 1;
};

ir::Graph qdq_chain(const ChainOptions& o) {
  QdqGraph b;
  b.input("x", {1, 3, 7, 9});
  const QParams px = params(1.0f / 255, 0, o.dtype);
  const QParams p1 = params(8.0f / 255, 128, o.dtype);
  const QParams p3 = params(3.0f / 255, 0, o.dtype);
  const std::string xd = b.qdq("x", px);

  std::vector<float> ws1, ws2;
  const std::string w1 = b.weight("w1", {kChannels1, 3, 3, 3}, 0, o.seed, &ws1);
  const std::string b1 = b.int32_bias("b1", kChannels1, px.scale, ws1, o.seed + 1);
  b.node(b.conv("conv1", {xd, w1, b1}, "c1", 3, 1));
  b.node(make_node("relu1", "Relu", {"c1"}, {"r1"}));
  const std::string r1d = b.qdq("r1", p1);
  ir::Node pool = make_node("pool", "MaxPool", {r1d}, {"m"});
  pool.attributes.set("kernel_shape", std::vector<std::int64_t>{3, 3});
  pool.attributes.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.node(pool);
  const std::string md = b.qdq("m", p1);

  const std::string w2 = b.weight("w2", {kChannels2, 3, 3, 3}, 0, o.seed + 2, &ws2);
  const std::string b2 = b.int32_bias("b2", kChannels2, px.scale, ws2, o.seed + 3);
  b.node(b.conv("conv2", {xd, w2, b2}, "c2", 3, 1));
  const std::string lo = b.float_constant("clip_lo", -0.5f);
  const std::string hi = b.float_constant("clip_hi", 0.5f);
  b.node(make_node("clip2", "Clip", {"c2", lo, hi}, {"r2"}));
  const std::string r2d = b.qdq("r2", p1);

  ir::Node concat = make_node("concat", "Concat", {md, r2d}, {"cat"});
  concat.attributes.set("axis", std::int64_t{1});
  b.node(concat);
  b.quantize("cat", p1);
  b.node(
      make_node("DQ_out_y", "DequantizeLinear", {"cat_q", "cat_scale", "cat_zero_point"}, {"y"}));

  const std::string w3 = b.weight("w3", {kChannels3, 3, 1, 1}, -1, o.seed + 4);
  b.graph().initializers["b3"] = random_float({kChannels3}, o.seed + 5, -0.2, 0.2);
  b.node(b.conv("conv3", {xd, w3, "b3"}, "c3", 1, 0));
  b.node(make_node("relu3", "Relu", {"c3"}, {"r3"}));
  b.quantize("r3", p3);
  b.node(make_node("DQ_out_z", "DequantizeLinear", {"r3_q", "r3_scale", "r3_zero_point"}, {"z"}));

  b.graph().outputs = {"y", "z"};
  if (o.declare_conv_types) {
    b.graph().value_info["c1"] = {DType::kFloat32, Shape{1, kChannels1, 7, 9}, {}};
    b.graph().value_info["c2"] = {DType::kFloat32, Shape{1, kChannels2, 7, 9}, {}};
    b.graph().value_info["c3"] = {DType::kFloat32, Shape{1, kChannels3, 7, 9}, {}};
    // Constant-node bounds stay outside activation fusion's reach; initializer ones do not.
    b.graph().initializers["clip_lo_init"] = Tensor::scalar(DType::kFloat32, -0.5f);
    b.graph().initializers["clip_hi_init"] = Tensor::scalar(DType::kFloat32, 0.5f);
    for (ir::Node& n : b.graph().nodes) {
      if (n.name == "clip2") n.inputs = {"c2", "clip_lo_init", "clip_hi_init"};
    }
  }
  return b.graph();
}

void check_chain(const ChainOptions& o) {
  const std::string what = fmt::format("{} activations, conv types {}, seed {}",
                                       dtype_name(o.dtype), o.declare_conv_types, o.seed);
  const ir::Graph original = qdq_chain(o);
  ir::Graph g = original;
  auto rounds = run_pipeline(g);
  ASSERT_TRUE(rounds.is_ok()) << rounds.status().to_string() << " " << what;
  EXPECT_GE(*rounds, 1) << what;
  ASSERT_TRUE(ir::validate(g).is_ok()) << ir::validate(g).to_string() << " " << what;

  // No float compute left but the final DequantizeLinear nodes (and the input's Q).
  for (const ir::Node& n : g.nodes) {
    EXPECT_TRUE(n.op_type != "Conv" && n.op_type != "Relu" && n.domain.empty())
        << n.describe() << " left, " << what;
  }
  const auto qconvs = nodes_of(g, "QLinearConv");
  ASSERT_EQ(qconvs.size(), 3u) << what;
  std::map<std::string, const ir::Node*> by_name;
  for (const ir::Node* n : qconvs) by_name[n->name] = n;
  for (const char* name : {"conv1", "conv2", "conv3"}) {
    ASSERT_NE(by_name[name], nullptr) << name << " " << what;
    const ir::Node& c = *by_name[name];
    EXPECT_EQ(c.inputs[0], "x_q") << what;
    EXPECT_EQ(c.inputs[1], "x_scale") << what;
    const std::string w = std::string("w") + name[4];
    EXPECT_EQ(c.inputs[3], w + "_q") << what;
    EXPECT_EQ(c.inputs[4], w + "_scale") << what;
    EXPECT_EQ(c.attributes.has(engine::kActivationMinAttribute), false) << what;
    ASSERT_EQ(c.inputs.size(), 9u) << name << " " << what;
  }
  // The quantizer's int32 biases already have scale x_scale * w_scale: used as they are.
  EXPECT_EQ(by_name["conv1"]->inputs[8], "b1_q");
  EXPECT_EQ(by_name["conv2"]->inputs[8], "b2_q");
  // The float bias is quantized with x_scale * w_scale.
  {
    const Tensor& b3 = g.initializers.at(by_name["conv3"]->inputs[8]);
    ASSERT_EQ(b3.dtype(), DType::kInt32);
    const double s = original.initializers.at("x_scale").element_as_double(0) *
                     original.initializers.at("w3_scale").element_as_double(0);
    for (std::int64_t c = 0; c < kChannels3; ++c) {
      EXPECT_NEAR(b3.element_as_double(c), original.initializers.at("b3").element_as_double(c) / s,
                  0.5 + 1e-9)
          << what;
    }
  }
  // Integer Clips after conv1 (Relu with Q(0) in the middle) and conv2, none after conv3.
  const auto clips = nodes_of(g, "Clip");
  ASSERT_EQ(clips.size(), 2u) << what;
  for (const ir::Node* clip : clips) {
    const ir::Node* src = producer_of(g, clip->inputs[0]);
    ASSERT_NE(src, nullptr);
    EXPECT_EQ(src->op_type, "QLinearConv") << what;
    ASSERT_EQ(clip->inputs.size(), 3u);
    const std::int64_t qlo = scalar_value(g, clip->inputs[1]);
    const std::int64_t qhi = scalar_value(g, clip->inputs[2]);
    if (src->name == "conv1") {
      // Relu: Q(0) = zero point 128 (uint8, then int8 0) / 0 (int8), no upper bound.
      EXPECT_EQ(clip->outputs[0], "r1_q") << what;
      EXPECT_EQ(qlo, 0) << what;
      EXPECT_EQ(qhi, 127) << what;
    } else {
      // Clip(-0.5, 0.5) with scale 8/255: +-round(15.94) = +-16 around the zero point (int8 0
      // in both cases once uint8 moved to int8).
      EXPECT_EQ(src->name, "conv2");
      EXPECT_EQ(clip->outputs[0], "r2_q") << what;
      EXPECT_EQ(qlo, -16) << what;
      EXPECT_EQ(qhi, 16) << what;
    }
  }
  EXPECT_EQ(by_name["conv3"]->outputs[0], "r3_q") << what;
  // MaxPool and Concat run on the quantized values.
  const auto pools = nodes_of(g, "MaxPool");
  ASSERT_EQ(pools.size(), 1u);
  EXPECT_EQ(pools[0]->inputs, std::vector<std::string>{"r1_q"}) << what;
  EXPECT_EQ(pools[0]->outputs, std::vector<std::string>{"m_q"}) << what;
  const auto concats = nodes_of(g, "Concat");
  ASSERT_EQ(concats.size(), 1u);
  EXPECT_EQ(concats[0]->inputs, (std::vector<std::string>{"m_q", "r2_q"})) << what;
  EXPECT_EQ(concats[0]->outputs, std::vector<std::string>{"cat_q"}) << what;
  EXPECT_EQ(nodes_of(g, "QuantizeLinear").size(), 1u) << what;    // x's
  EXPECT_EQ(nodes_of(g, "DequantizeLinear").size(), 2u) << what;  // y's and z's

  // Every quantized value is int8 now (uint8 activations moved); inputs/outputs stay float32.
  const auto dtypes = value_dtypes(g);
  for (const auto& [name, dtype] : dtypes) {
    EXPECT_NE(dtype, DType::kUInt8) << name << " " << what;
  }
  for (const char* name : {"x_q", "r1_q", "m_q", "r2_q", "cat_q", "r3_q"}) {
    EXPECT_EQ(dtypes.count(name) ? dtypes.at(name) : DType::kUndefined, DType::kInt8)
        << name << " " << what;
  }
  for (const char* name : {"x", "y", "z"}) {
    EXPECT_EQ(dtypes.count(name) ? dtypes.at(name) : DType::kUndefined, DType::kFloat32)
        << name << " " << what;
  }
  EXPECT_EQ(g.inputs, original.inputs);
  EXPECT_EQ(g.outputs, original.outputs);

  // A second run finds nothing to do.
  ir::Graph again = g;
  auto more = run_pipeline(again);
  ASSERT_TRUE(more.is_ok());
  EXPECT_EQ(*more, 0) << what;

  // Outputs: within one quantization step of the last DQ (an int32 sum may round the other way
  // than the float sum at a rounding boundary; MaxPool and Concat carry such a flip unchanged).
  for (std::uint64_t input_seed = 100; input_seed < 103; ++input_seed) {
    const std::vector<Tensor> inputs = random_inputs(original, input_seed, 0, 1);
    const std::vector<Tensor> before = run_graph(original, inputs);
    const std::vector<Tensor> after = run_graph(g, inputs);
    ASSERT_EQ(before.size(), 2u);
    ASSERT_EQ(after.size(), 2u);
    const double steps[] = {8.0 / 255, 3.0 / 255};
    for (std::size_t i = 0; i < 2; ++i) {
      const Difference d = compare(after[i], before[i]);
      std::cout << "[qdq] " << what << " input seed " << input_seed << " output "
                << original.outputs[i] << ": max |diff| " << d.max_abs << " ("
                << d.max_abs / steps[i] << " steps), " << d.differing << " of " << d.total
                << " values differ\n";
      EXPECT_LE(d.max_abs, steps[i] * 1.001)
          << what << " input seed " << input_seed << " output " << i;
      // Flips are rare: a handful per thousand values at most.
      EXPECT_LE(d.differing * 100, d.total) << what << " input seed " << input_seed;
    }
  }
}

TEST(QdqFusion, ChainUint8Activations) {
  for (std::uint64_t seed : {1, 2, 3}) check_chain({DType::kUInt8, false, seed});
}

TEST(QdqFusion, ChainInt8Activations) {
  for (std::uint64_t seed : {4, 5}) check_chain({DType::kInt8, false, seed});
}

TEST(QdqFusion, ChainAfterActivationFusion) {
  // conv1 and conv3 become FusedConv first (declared types), conv2's Clip too (initializer
  // bounds): the QDQ pass takes the bounds from the fused node.
  ChainOptions o{DType::kUInt8, true, 6};
  ir::Graph g = qdq_chain(o);
  const auto fusion = make_activation_fusion();
  ASSERT_TRUE(fusion->run(g).is_ok());
  EXPECT_EQ(nodes_of(g, std::string(engine::kFusedConvOp)).size(), 3u);
  check_chain(o);
  check_chain({DType::kInt8, true, 7});
}

TEST(QdqFusion, BiasWithAnotherScaleIsRequantized) {
  // b2 written with half the scale and twice the integers: the same real bias, which the pass
  // brings back to scale x_scale * w_scale.
  const ChainOptions o{DType::kUInt8, false, 8};
  const ir::Graph original = qdq_chain(o);
  ir::Graph g = original;
  Tensor scale = g.initializers.at("b2_scale").clone();
  Tensor q = g.initializers.at("b2_q").clone();
  for (std::int64_t c = 0; c < kChannels2; ++c) {
    scale.data<float>()[c] *= 0.5f;
    q.data<std::int32_t>()[c] *= 2;
  }
  g.initializers["b2_scale"] = scale;
  g.initializers["b2_q"] = q;
  const ir::Graph changed_bias = g;
  ASSERT_TRUE(run_pipeline(g).is_ok());
  const ir::Node* conv2 = test::find_node(g, "conv2");
  ASSERT_NE(conv2, nullptr);
  ASSERT_EQ(conv2->op_type, "QLinearConv");
  ASSERT_EQ(conv2->inputs.size(), 9u);
  EXPECT_NE(conv2->inputs[8], "b2_q");
  const Tensor& bias = g.initializers.at(conv2->inputs[8]);
  ASSERT_EQ(bias.dtype(), DType::kInt32);
  for (std::int64_t c = 0; c < kChannels2; ++c) {
    EXPECT_EQ(bias.data<std::int32_t>()[c],
              original.initializers.at("b2_q").data<std::int32_t>()[c]);
  }
  const std::vector<Tensor> inputs = random_inputs(original, 9, 0, 1);
  const std::vector<Tensor> before = run_graph(changed_bias, inputs);
  const std::vector<Tensor> after = run_graph(g, inputs);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_LE(compare(after[0], before[0]).max_abs, 8.0 / 255 * 1.001);
}

TEST(QdqFusion, Uint8WeightsStayUint8) {
  // x (uint8) -> DQ -> Conv(DQ(uint8 weights, per tensor, zero point 120)) -> Q (uint8) -> DQ.
  QdqGraph b;
  b.input("x", {1, 2, 5, 5});
  const std::string xd = b.qdq("x", {1.0f / 255, 3, DType::kUInt8});
  ir::Graph& g = b.graph();
  g.initializers["w_q"] = *random_tensor(DType::kUInt8, {3, 2, 3, 3}, 70, {.int_high = 255});
  g.initializers["w_scale"] = Tensor::scalar(DType::kFloat32, 0.004f);
  g.initializers["w_zero_point"] = Tensor::scalar(DType::kUInt8, 120);
  b.node(make_node("DQ_w", "DequantizeLinear", {"w_q", "w_scale", "w_zero_point"}, {"w_dq"}));
  b.node(b.conv("conv", {xd, "w_dq"}, "c", 3, 1));
  b.quantize("c", {0.01f, 128, DType::kUInt8});
  b.node(make_node("DQ_out", "DequantizeLinear", {"c_q", "c_scale", "c_zero_point"}, {"y"}));
  g.outputs = {"y"};
  const ir::Graph original = g;
  ir::Graph fused = g;
  ASSERT_TRUE(run_pipeline(fused).is_ok());
  const auto convs = nodes_of(fused, "QLinearConv");
  ASSERT_EQ(convs.size(), 1u);
  EXPECT_EQ(convs[0]->inputs[5], "w_zero_point");
  EXPECT_EQ(convs[0]->inputs.size(), 8u);  // no bias
  const auto dtypes = value_dtypes(fused);
  EXPECT_EQ(dtypes.at("x_q"), DType::kUInt8);
  EXPECT_EQ(dtypes.at("c_q"), DType::kUInt8);
  for (std::uint64_t seed = 71; seed < 74; ++seed) {
    const std::vector<Tensor> inputs = random_inputs(original, seed, 0, 1);
    const Difference d = compare(run_graph(fused, inputs)[0], run_graph(original, inputs)[0]);
    EXPECT_LE(d.max_abs, 0.01 * 1.001) << "seed " << seed;
  }
}

// ---- MatMul --------------------------------------------------------------------------------

// a [3, 4, 7] -> Q/DQ -> MatMul(B [7, 5] int8, per column or per tensor) -> [Relu] -> Q/DQ.
ir::Graph matmul_graph(DType dtype, bool per_column, bool relu, std::uint64_t seed) {
  QdqGraph b;
  b.input("a", {3, 4, 7});
  const std::string ad = b.qdq("a", params(1.0f / 255, 0, dtype));
  const std::string w = b.weight("w", {7, 5}, per_column ? 1 : -1, seed);
  b.node(make_node("mm", "MatMul", {ad, w}, {"mm_out"}));
  std::string last = "mm_out";
  if (relu) {
    b.node(make_node("relu", "Relu", {"mm_out"}, {"r"}));
    last = "r";
  }
  b.quantize(last, params(6.0f / 255, relu ? 0 : 128, dtype));
  b.node(make_node("DQ_out", "DequantizeLinear",
                   {last + "_q", last + "_scale", last + "_zero_point"}, {"y"}));
  b.graph().outputs = {"y"};
  return b.graph();
}

TEST(QdqFusion, MatMul) {
  std::uint64_t seed = 20;
  for (DType dtype : {DType::kUInt8, DType::kInt8}) {
    for (bool per_column : {false, true}) {
      for (bool relu : {false, true}) {
        const std::string what = fmt::format("{} per_column {} relu {} seed {}", dtype_name(dtype),
                                             per_column, relu, seed);
        const ir::Graph original = matmul_graph(dtype, per_column, relu, seed++);
        ir::Graph g = original;
        ASSERT_TRUE(run_pipeline(g).is_ok()) << what;
        const auto mms = nodes_of(g, "QLinearMatMul");
        ASSERT_EQ(mms.size(), 1u) << what;
        EXPECT_EQ(mms[0]->name, "mm");
        EXPECT_EQ(mms[0]->inputs[0], "a_q") << what;
        EXPECT_EQ(mms[0]->inputs[3], "w_q") << what;
        EXPECT_EQ(mms[0]->outputs[0], (relu ? "r_q" : "mm_out_q")) << what;
        EXPECT_TRUE(nodes_of(g, "MatMul").empty()) << what;
        // Relu with zero point at the type's minimum needs no Clip.
        EXPECT_TRUE(nodes_of(g, "Clip").empty()) << what;
        for (const auto& [name, type] : value_dtypes(g)) EXPECT_NE(type, DType::kUInt8) << name;
        const std::vector<Tensor> inputs = random_inputs(original, seed, 0, 1);
        const Difference d = compare(run_graph(g, inputs)[0], run_graph(original, inputs)[0]);
        std::cout << "[qdq] MatMul " << what << ": max |diff| " << d.max_abs << ", " << d.differing
                  << " of " << d.total << " values differ\n";
        EXPECT_LE(d.max_abs, 6.0 / 255 * 1.001) << what;
      }
    }
  }
}

// ---- Exact rewrites ------------------------------------------------------------------------

// x -> Q/DQ -> MaxPool -> Q/DQ -> Concat(it, a second DQ of x_q) -> Q/DQ -> y: no arithmetic
// but quantization, so the rewritten graph gives bit-identical outputs.
ir::Graph pass_through_graph(DType dtype, std::int64_t opset) {
  QdqGraph b(opset);
  b.input("x", {1, 3, 5, 6});
  const QParams p = params(2.0f / 255, 100, dtype);
  const std::string xd = b.qdq("x", p);
  ir::Node pool = make_node("pool", "MaxPool", {xd}, {"m"});
  pool.attributes.set("kernel_shape", std::vector<std::int64_t>{2, 2});
  pool.attributes.set("strides", std::vector<std::int64_t>{1, 1});
  pool.attributes.set("pads", std::vector<std::int64_t>{1, 1, 0, 0});
  b.node(pool);
  const std::string md = b.qdq("m", p);
  const std::string xd2 = b.dequantize("x", "2");
  ir::Node concat = make_node("concat", "Concat", {md, xd2}, {"cat"});
  concat.attributes.set("axis", std::int64_t{-1});
  b.node(concat);
  b.quantize("cat", p);
  b.node(make_node("DQ_out", "DequantizeLinear", {"cat_q", "cat_scale", "cat_zero_point"}, {"y"}));
  b.graph().outputs = {"y"};
  return b.graph();
}

// Each Q/DQ pair has its own scale and zero-point initializers, so this also shows that the
// pass compares values, not names.
TEST(QdqFusion, MaxPoolConcatExact) {
  for (DType dtype : {DType::kUInt8, DType::kInt8}) {
    const ir::Graph original = pass_through_graph(dtype, 13);
    ir::Graph g = original;
    ASSERT_TRUE(run_pipeline(g).is_ok());
    const auto pools = nodes_of(g, "MaxPool");
    ASSERT_EQ(pools.size(), 1u);
    EXPECT_EQ(pools[0]->inputs, std::vector<std::string>{"x_q"});
    EXPECT_EQ(pools[0]->outputs, std::vector<std::string>{"m_q"});
    const auto concats = nodes_of(g, "Concat");
    ASSERT_EQ(concats.size(), 1u);
    EXPECT_EQ(concats[0]->inputs, (std::vector<std::string>{"m_q", "x_q"}));
    EXPECT_EQ(nodes_of(g, "DequantizeLinear").size(), 1u);
    for (const auto& [name, type] : value_dtypes(g)) EXPECT_NE(type, DType::kUInt8) << name;
    for (std::uint64_t seed = 30; seed < 33; ++seed) {
      // Inputs in [-1, 1.5) so that both ends of the range saturate.
      const std::vector<Tensor> inputs = random_inputs(original, seed, -1, 1.5);
      expect_same_outputs(run_graph(g, inputs), run_graph(original, inputs),
                          fmt::format("{} seed {}", dtype_name(dtype), seed));
    }
  }
}

TEST(QdqFusion, MaxPoolNeedsOpset12AndEqualParams) {
  // Opset 11: no integer MaxPool; Concat still goes integer (any type since opset 4).
  {
    ir::Graph g = pass_through_graph(DType::kUInt8, 11);
    ASSERT_TRUE(run_pipeline(g).is_ok());
    const auto pools = nodes_of(g, "MaxPool");
    ASSERT_EQ(pools.size(), 1u);
    EXPECT_EQ(pools[0]->inputs, std::vector<std::string>{"x_dq"});
  }
  // Different scale on the Q after MaxPool: stays float.
  {
    ir::Graph g = pass_through_graph(DType::kUInt8, 13);
    g.initializers["m_scale"] = Tensor::scalar(DType::kFloat32, 3.0f / 255);
    ASSERT_TRUE(run_pipeline(g).is_ok());
    EXPECT_EQ(nodes_of(g, "MaxPool")[0]->inputs, std::vector<std::string>{"x_dq"});
  }
}

// ---- Stage 2 alone: uint8 -> int8 on integer graphs ----------------------------------------

// x -> Q(uint8) -> QLinearConv(int8 or uint8 weights) -> Clip -> MaxPool -> DQ -> y.
ir::Graph integer_conv_graph(DType weight_dtype, std::uint64_t seed) {
  QdqGraph b;
  b.input("x", {1, 3, 6, 5});
  b.quantize("x", {1.0f / 255, 17, DType::kUInt8});
  ir::Graph& g = b.graph();
  const Tensor w = *random_tensor(weight_dtype, {4, 3, 3, 3}, seed,
                                  {.int_low = weight_dtype == DType::kInt8 ? -127 : 0,
                                   .int_high = weight_dtype == DType::kInt8 ? 127 : 255});
  g.initializers["w"] = w;
  g.initializers["w_scale"] = Tensor::scalar(DType::kFloat32, 0.01f);
  g.initializers["w_zero_point"] =
      Tensor::scalar(weight_dtype, weight_dtype == DType::kInt8 ? 0 : 131);
  g.initializers["y_scale"] = Tensor::scalar(DType::kFloat32, 0.05f);
  g.initializers["y_zero_point"] = Tensor::scalar(DType::kUInt8, 140);
  g.initializers["lo"] = Tensor::scalar(DType::kUInt8, 120);
  g.initializers["hi"] = Tensor::scalar(DType::kUInt8, 200);
  ir::Node conv = make_node(
      "qconv", "QLinearConv",
      {"x_q", "x_scale", "x_zero_point", "w", "w_scale", "w_zero_point", "y_scale", "y_zero_point"},
      {"c"});
  conv.attributes.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  g.nodes.push_back(conv);
  g.nodes.push_back(make_node("clip", "Clip", {"c", "lo", "hi"}, {"r"}));
  ir::Node pool = make_node("pool", "MaxPool", {"r"}, {"m"});
  pool.attributes.set("kernel_shape", std::vector<std::int64_t>{2, 2});
  g.nodes.push_back(pool);
  g.nodes.push_back(make_node("dq", "DequantizeLinear", {"m", "y_scale", "y_zero_point"}, {"y"}));
  g.outputs = {"y"};
  return g;
}

TEST(QdqFusion, Uint8ToInt8IsExact) {
  for (std::uint64_t seed = 40; seed < 43; ++seed) {
    const ir::Graph original = integer_conv_graph(DType::kInt8, seed);
    ir::Graph g = original;
    auto changed = make_qdq_fusion()->run(g);
    ASSERT_TRUE(changed.is_ok()) << changed.status().to_string();
    EXPECT_TRUE(*changed);
    ASSERT_TRUE(ir::validate(g).is_ok());
    const auto dtypes = value_dtypes(g);
    for (const char* name : {"x_q", "c", "r", "m"}) {
      EXPECT_EQ(dtypes.at(name), DType::kInt8) << name;
    }
    const ir::Node* conv_node = test::find_node(g, "qconv");
    const ir::Node* clip_node = test::find_node(g, "clip");
    ASSERT_TRUE(conv_node != nullptr && clip_node != nullptr);
    const ir::Node& conv = *conv_node;
    EXPECT_EQ(scalar_value(g, conv.inputs[2]), 17 - 128);
    EXPECT_EQ(scalar_value(g, conv.inputs[7]), 140 - 128);
    const ir::Node& clip = *clip_node;
    EXPECT_EQ(scalar_value(g, clip.inputs[1]), 120 - 128);
    EXPECT_EQ(scalar_value(g, clip.inputs[2]), 200 - 128);
    // The original uint8 initializers are untouched (others may share them).
    EXPECT_EQ(g.initializers.at("y_zero_point").dtype(), DType::kUInt8);
    EXPECT_FALSE(*make_qdq_fusion()->run(g));
    for (std::uint64_t input_seed = 0; input_seed < 2; ++input_seed) {
      const std::vector<Tensor> inputs = random_inputs(original, input_seed, -0.2, 1.2);
      expect_same_outputs(run_graph(g, inputs), run_graph(original, inputs),
                          fmt::format("seed {} input seed {}", seed, input_seed));
    }
  }
}

TEST(QdqFusion, Uint8StaysWhereItMust) {
  // uint8 weights: the activations feeding and leaving the QLinearConv keep uint8.
  {
    ir::Graph g = integer_conv_graph(DType::kUInt8, 50);
    auto changed = make_qdq_fusion()->run(g);
    ASSERT_TRUE(changed.is_ok());
    EXPECT_FALSE(*changed);
  }
  // A uint8 graph output blocks its group (and only its group): here r is an output, so
  // c, r and m (joined by Clip and MaxPool) stay uint8 while x_q still moves.
  {
    ir::Graph g = integer_conv_graph(DType::kInt8, 51);
    g.outputs.push_back("r");
    auto changed = make_qdq_fusion()->run(g);
    ASSERT_TRUE(changed.is_ok());
    EXPECT_TRUE(*changed);
    const auto dtypes = value_dtypes(g);
    EXPECT_EQ(dtypes.at("x_q"), DType::kInt8);
    for (const char* name : {"c", "r", "m"}) EXPECT_EQ(dtypes.at(name), DType::kUInt8) << name;
  }
  // A reader that cannot follow (a Cast) blocks the group too.
  {
    ir::Graph g = integer_conv_graph(DType::kInt8, 52);
    ir::Node cast = make_node("cast", "Cast", {"m"}, {"m_f"});
    cast.attributes.set("to", std::int64_t{1});
    g.nodes.push_back(cast);
    g.outputs.push_back("m_f");
    ASSERT_TRUE(make_qdq_fusion()->run(g).is_ok());
    const auto dtypes = value_dtypes(g);
    for (const char* name : {"c", "r", "m"}) EXPECT_EQ(dtypes.at(name), DType::kUInt8) << name;
  }
}

// ---- Patterns the pass must leave alone ----------------------------------------------------

std::size_t count_qlinear_conv_after_pipeline(ir::Graph g) {
  EXPECT_TRUE(run_pipeline(g).is_ok());
  EXPECT_TRUE(ir::validate(g).is_ok());
  return nodes_of(g, "QLinearConv").size();
}

TEST(QdqFusion, LeavesNonMatchingConvs) {
  const ChainOptions o{DType::kUInt8, false, 60};
  ASSERT_EQ(count_qlinear_conv_after_pipeline(qdq_chain(o)), 3u);
  // conv1's output is also a graph output: not fused.
  {
    ir::Graph g = qdq_chain(o);
    g.outputs.push_back("c1");
    EXPECT_EQ(count_qlinear_conv_after_pipeline(g), 2u);
  }
  // Non-zero int8 weight zero point: not fused.
  {
    ir::Graph g = qdq_chain(o);
    Tensor zp = g.initializers.at("w2_zero_point").clone();
    zp.data<std::int8_t>()[1] = 3;
    g.initializers["w2_zero_point"] = zp;
    EXPECT_EQ(count_qlinear_conv_after_pipeline(g), 2u);
  }
  // Per-channel weights along axis 1: not fused.
  {
    ir::Graph g = qdq_chain(o);
    for (ir::Node& n : g.nodes) {
      if (n.name == "DQ_w1") n.attributes.set("axis", std::int64_t{1});
    }
    g.initializers["w1_scale"] =
        Tensor::vector<float>(DType::kFloat32, std::vector<float>{0.01f, 0.02f, 0.03f});
    g.initializers["w1_zero_point"] = Tensor::zeros(DType::kInt8, {3});
    EXPECT_EQ(count_qlinear_conv_after_pipeline(g), 2u);
  }
  // The output Q has another type than the input: not fused. (A uint8 output that stage 2 can
  // move to int8 would match in the next round, so here it is also a graph output.)
  {
    ir::Graph g = qdq_chain({DType::kInt8, false, 61});
    g.initializers["r3_zero_point"] = Tensor::scalar(DType::kUInt8, 0);
    g.outputs.push_back("r3_q");
    EXPECT_EQ(count_qlinear_conv_after_pipeline(g), 2u);
    ir::Graph moved = qdq_chain({DType::kInt8, false, 61});
    moved.initializers["r3_zero_point"] = Tensor::scalar(DType::kUInt8, 0);
    EXPECT_EQ(count_qlinear_conv_after_pipeline(moved), 3u);
  }
  // Weights computed at run time (not a constant): not fused.
  {
    ir::Graph g = qdq_chain(o);
    g.nodes.push_back(make_node("ident", "Identity", {"w3_q"}, {"w3_q_id"}));
    for (ir::Node& n : g.nodes) {
      if (n.name == "DQ_w3") n.inputs[0] = "w3_q_id";
    }
    EXPECT_EQ(count_qlinear_conv_after_pipeline(g), 2u);
  }
}

}  // namespace
}  // namespace edgebench::passes
