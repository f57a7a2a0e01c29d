// The reference kernels on the plan's thread pool: a graph of the ops that split their work
// (elementwise, broadcasting, normalizations, reductions, softmax, copies, Resize, Pad, Gather)
// at sizes large enough to be split gives bit-identical outputs at 1, 2 and 3 threads and
// without a pool; the range splitter covers every item once; LayerNormalization against a
// direct double-precision computation.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <random>

#include "edgebench/engine/plan.h"
#include "engine/ops/parallel_util.h"
#include "nn_test_util.h"

namespace edgebench::engine {
namespace {

using nn_test::float_tensor;
using nn_test::int64_tensor;
using nn_test::make_node;
using nn_test::random_tensor;

constexpr std::int64_t kChannels = 64;
constexpr std::int64_t kSize = 56;

ir::Node node(std::string op_type, std::vector<std::string> inputs, std::string output) {
  ir::Node n = make_node(std::move(op_type), std::move(inputs), {std::move(output)});
  n.name = n.outputs[0];
  return n;
}

// x [1, 64, 56, 56] through every op family that uses the pool; every intermediate of
// interest is a graph output.
ir::Graph threaded_graph(std::uint32_t seed) {
  std::mt19937 rng(seed);
  ir::Graph g;
  g.opset_imports = {{"", 17}};
  g.inputs = {"x"};
  g.value_info["x"] = {DType::kFloat32, Shape{1, kChannels, kSize, kSize}, {}};
  const Shape per_channel = {kChannels};
  g.initializers["bn_scale"] = random_tensor(rng, DType::kFloat32, per_channel, 0.5, 1.5);
  g.initializers["bn_bias"] = random_tensor(rng, DType::kFloat32, per_channel);
  g.initializers["bn_mean"] = random_tensor(rng, DType::kFloat32, per_channel);
  g.initializers["bn_var"] = random_tensor(rng, DType::kFloat32, per_channel, 0.5, 2.0);
  g.initializers["ln_scale"] = random_tensor(rng, DType::kFloat32, Shape{2 * kChannels}, 0.5, 1.5);
  g.initializers["ln_bias"] = random_tensor(rng, DType::kFloat32, Shape{2 * kChannels});
  g.initializers["pads"] = int64_tensor({8}, {0, 0, 1, 2, 0, 0, 3, 1});
  g.initializers["resize_scales"] = float_tensor({4}, {1.0f, 1.0f, 2.0f, 2.0f});
  g.initializers["gather_indices"] = int64_tensor({3}, {5, 1, 100});
  g.initializers["clip_min"] = Tensor::scalar(DType::kFloat32, -0.25f);
  g.initializers["clip_max"] = Tensor::scalar(DType::kFloat32, 0.5f);

  auto add = [&](ir::Node n) { g.nodes.push_back(std::move(n)); };
  add(node("Sigmoid", {"x"}, "sig"));
  add(node("Mul", {"x", "sig"}, "swish"));
  add(node("GlobalAveragePool", {"swish"}, "gap"));
  add(node("Mul", {"swish", "gap"}, "se"));  // general broadcast
  add(node("BatchNormalization", {"se", "bn_scale", "bn_bias", "bn_mean", "bn_var"}, "bn"));
  add(node("HardSwish", {"bn"}, "hswish"));
  add(node("Erf", {"hswish"}, "erf"));
  add(node("Tanh", {"erf"}, "tanh"));
  add(node("Clip", {"tanh", "clip_min", "clip_max"}, "clip"));
  add(node("Relu", {"bn"}, "relu"));
  add(node("Sum", {"relu", "clip", "gap"}, "sum"));
  ir::Node reduce = node("ReduceMean", {"sum"}, "reduce_mean");
  reduce.attributes.set("axes", std::vector<std::int64_t>{2, 3});
  add(std::move(reduce));
  ir::Node reduce_max = node("ReduceMax", {"sum"}, "reduce_max");
  reduce_max.attributes.set("axes", std::vector<std::int64_t>{1});
  add(std::move(reduce_max));
  ir::Node argmax = node("ArgMax", {"sum"}, "argmax");
  argmax.attributes.set("axis", std::int64_t{1});
  add(std::move(argmax));
  ir::Node softmax = node("Softmax", {"sum"}, "softmax");
  softmax.attributes.set("axis", std::int64_t{1});
  add(std::move(softmax));
  ir::Node concat = node("Concat", {"softmax", "hswish"}, "concat");
  concat.attributes.set("axis", std::int64_t{1});
  add(std::move(concat));
  ir::Node transpose = node("Transpose", {"concat"}, "nhwc");
  transpose.attributes.set("perm", std::vector<std::int64_t>{0, 2, 3, 1});
  add(std::move(transpose));
  ir::Node ln = make_node("LayerNormalization", {"nhwc", "ln_scale", "ln_bias"},
                          {"layer_norm", "ln_mean", "ln_inv_std"});
  ln.name = "layer_norm";
  add(std::move(ln));
  ir::Node split = make_node("Split", {"concat"}, {"split0", "split1"});
  split.name = "split";
  split.attributes.set("axis", std::int64_t{1});
  add(std::move(split));
  ir::Node gather = node("Gather", {"concat", "gather_indices"}, "gather");
  gather.attributes.set("axis", std::int64_t{1});
  add(std::move(gather));
  ir::Node pad = node("Pad", {"x", "pads"}, "pad");
  pad.attributes.set("mode", std::string("reflect"));
  add(std::move(pad));
  ir::Node resize = node("Resize", {"x", "", "resize_scales"}, "resize");
  resize.attributes.set("mode", std::string("linear"));
  add(std::move(resize));
  add(node("InstanceNormalization", {"x", "bn_scale", "bn_bias"}, "instance_norm"));
  ir::Node cast = node("Cast", {"sum"}, "cast");
  cast.attributes.set("to", std::int64_t{11});  // double
  add(std::move(cast));
  g.outputs = {"se",     "clip",       "sum",     "reduce_mean",   "reduce_max",
               "argmax", "layer_norm", "ln_mean", "ln_inv_std",    "split1",
               "gather", "pad",        "resize",  "instance_norm", "cast"};
  return g;
}

std::vector<Tensor> run_graph(const ir::Graph& g, const Tensor& x, int threads) {
  PlanOptions options;
  if (threads > 0) options.thread_pool = ThreadPool::create(threads).value();
  auto plan = Plan::compile(g, builtin_registry(), options);
  EXPECT_TRUE(plan.is_ok()) << plan.status().to_string();
  if (!plan.is_ok()) return {};
  std::vector<Tensor> outputs(g.outputs.size());
  const Status st = (*plan)->run(std::span<const Tensor>(&x, 1), outputs);
  EXPECT_TRUE(st.is_ok()) << st.to_string();
  return outputs;
}

TEST(ThreadedOps, BitIdenticalAtAnyThreadCount) {
  const std::uint32_t seed = 1234;
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  const ir::Graph g = threaded_graph(seed);
  std::mt19937 rng(seed);
  const Tensor x = random_tensor(rng, DType::kFloat32, {1, kChannels, kSize, kSize}, -3.0, 3.0);
  const std::vector<Tensor> reference = run_graph(g, x, 0);  // no pool
  ASSERT_EQ(reference.size(), g.outputs.size());
  for (int threads : {1, 2, 3}) {
    const std::vector<Tensor> got = run_graph(g, x, threads);
    ASSERT_EQ(got.size(), reference.size());
    for (std::size_t o = 0; o < got.size(); ++o) {
      SCOPED_TRACE(::testing::Message() << g.outputs[o] << " at " << threads << " threads");
      ASSERT_EQ(got[o].dtype(), reference[o].dtype());
      ASSERT_EQ(got[o].shape(), reference[o].shape());
      ASSERT_GT(got[o].byte_size(), 0u);
      EXPECT_EQ(std::memcmp(got[o].raw_data(), reference[o].raw_data(), got[o].byte_size()), 0);
    }
  }
}

TEST(ThreadedOps, SplitterCoversEveryItemOnce) {
  for (int threads : {1, 2, 3, 5}) {
    auto pool = ThreadPool::create(threads).value();
    for (std::int64_t count : {std::int64_t{0}, std::int64_t{1}, std::int64_t{7},
                               std::int64_t{1000}, std::int64_t{100003}}) {
      for (std::int64_t work : {std::int64_t{1}, std::int64_t{50}, std::int64_t{100000}}) {
        std::vector<std::atomic<int>> hits(static_cast<std::size_t>(count));
        std::atomic<int> ranges{0};
        ops::parallel_outer(pool.get(), count, work, [&](std::int64_t begin, std::int64_t end) {
          ASSERT_LT(begin, end);
          ++ranges;
          for (std::int64_t i = begin; i < end; ++i) ++hits[static_cast<std::size_t>(i)];
        });
        for (std::int64_t i = 0; i < count; ++i) {
          ASSERT_EQ(hits[static_cast<std::size_t>(i)].load(), 1)
              << "item " << i << " of " << count << ", " << threads << " threads";
        }
        // Work worth several tasks is split when there is more than one thread.
        const std::int64_t min_tasks =
            std::min<std::int64_t>(count, count * work / ops::kMinParallelWork);
        if (threads > 1 && min_tasks >= 2) {
          EXPECT_GE(ranges.load(), 2) << count << " items of " << work;
        } else if (count > 0 && threads == 1) {
          EXPECT_EQ(ranges.load(), 1);
        }
      }
    }
  }
}

// --- LayerNormalization ----------------------------------------------------------------------

struct LayerNormCase {
  DType dtype;
  Shape x_shape;
  std::int64_t axis;
  Shape scale_shape;
  bool with_bias;
  float epsilon;
};

// Direct computation in double: Y, Mean and InvStdDev.
std::array<std::vector<double>, 3> layer_norm_reference(const Tensor& x, const Tensor& scale,
                                                        const Tensor* bias, int axis,
                                                        double epsilon) {
  std::int64_t rows = 1;
  for (int d = 0; d < axis; ++d) rows *= x.dim(d);
  const std::int64_t row_size = x.element_count() / rows;
  std::array<std::vector<double>, 3> out;
  for (std::int64_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (std::int64_t i = 0; i < row_size; ++i) sum += x.element_as_double(r * row_size + i);
    const double mean = sum / static_cast<double>(row_size);
    double sq = 0;
    for (std::int64_t i = 0; i < row_size; ++i) {
      const double d = x.element_as_double(r * row_size + i) - mean;
      sq += d * d;
    }
    const double inv_std = 1.0 / std::sqrt(sq / static_cast<double>(row_size) + epsilon);
    for (std::int64_t i = 0; i < row_size; ++i) {
      // Scale and B broadcast from the trailing axes: position i of the row maps to
      // i % their element count.
      const double s = scale.element_as_double(i % scale.element_count());
      const double b = bias ? bias->element_as_double(i % bias->element_count()) : 0.0;
      out[0].push_back((x.element_as_double(r * row_size + i) - mean) * inv_std * s + b);
    }
    out[1].push_back(mean);
    out[2].push_back(inv_std);
  }
  return out;
}

TEST(LayerNormalization, MatchesDirectComputation) {
  const LayerNormCase cases[] = {
      {DType::kFloat32, {2, 3, 4, 5}, -1, {5}, true, 1e-5f},
      {DType::kFloat32, {2, 3, 4, 5}, 1, {3, 4, 5}, true, 1e-5f},
      {DType::kFloat32, {2, 3, 4, 5}, 2, {4, 5}, false, 1e-3f},
      {DType::kFloat32, {2, 3, 4, 5}, -2, {1, 5}, true, 1e-5f},  // Scale broadcast within rows
      {DType::kFloat64, {3, 7, 13}, 0, {7, 13}, true, 1e-5f},
      {DType::kFloat16, {4, 17}, -1, {17}, true, 1e-5f},
      {DType::kFloat32, {1, 56, 56, 96}, -1, {96}, true, 1e-6f},  // ConvNeXt's shape
  };
  std::uint32_t seed = 77;
  for (const LayerNormCase& c : cases) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed << " x " << shape_to_string(c.x_shape)
                                      << " axis " << c.axis << " dtype " << dtype_name(c.dtype));
    std::mt19937 rng(seed++);
    std::vector<Tensor> inputs = {random_tensor(rng, c.dtype, c.x_shape, -2.0, 3.0),
                                  random_tensor(rng, c.dtype, c.scale_shape, 0.5, 1.5)};
    std::vector<std::string> names = {"x", "scale"};
    if (c.with_bias) {
      Shape bias_shape(c.scale_shape.end() - 1, c.scale_shape.end());  // B along the last axis
      inputs.push_back(random_tensor(rng, c.dtype, bias_shape));
      names.push_back("b");
    }
    ir::Node n = make_node("LayerNormalization", names, {"y", "mean", "inv_std"});
    n.attributes.set("axis", c.axis);
    n.attributes.set("epsilon", c.epsilon);
    const std::vector<Tensor> got = nn_test::run_ok(n, 17, inputs, "LayerNormalization");
    ASSERT_EQ(got.size(), 3u);
    const int rank = static_cast<int>(c.x_shape.size());
    const int axis = static_cast<int>(c.axis < 0 ? c.axis + rank : c.axis);
    const auto want = layer_norm_reference(inputs[0], inputs[1], c.with_bias ? &inputs[2] : nullptr,
                                           axis, c.epsilon);
    Shape stats_shape = c.x_shape;
    for (int d = axis; d < rank; ++d) stats_shape[static_cast<std::size_t>(d)] = 1;
    EXPECT_EQ(got[0].dtype(), c.dtype);
    EXPECT_EQ(got[1].dtype(), DType::kFloat32);  // stash_type 1
    nn_test::expect_close(got[0], c.x_shape, want[0], nn_test::tolerance_for(c.dtype), "Y");
    nn_test::expect_close(got[1], stats_shape, want[1], 1e-6, "Mean");
    nn_test::expect_close(got[2], stats_shape, want[2], 1e-6, "InvStdDev");
  }
}

TEST(LayerNormalization, OptionalOutputsAndStashType) {
  std::mt19937 rng(5);
  const Tensor x = random_tensor(rng, DType::kFloat64, {2, 6}, -1.0, 1.0);
  const Tensor scale = random_tensor(rng, DType::kFloat64, {6});
  // Y alone.
  const std::vector<Tensor> y_only =
      nn_test::run_ok(make_node("LayerNormalization", {"x", "s"}, {"y"}), 17, {x, scale}, "Y");
  ASSERT_EQ(y_only.size(), 1u);
  // Y and InvStdDev, with the statistics in double.
  ir::Node n = make_node("LayerNormalization", {"x", "s"}, {"y", "", "inv_std"});
  n.attributes.set("stash_type", std::int64_t{11});
  const std::vector<Tensor> got = nn_test::run_ok(n, 17, {x, scale}, "InvStdDev");
  ASSERT_EQ(got.size(), 3u);
  EXPECT_FALSE(got[1].defined());
  EXPECT_EQ(got[2].dtype(), DType::kFloat64);
  EXPECT_EQ(got[2].shape(), (Shape{2, 1}));
  EXPECT_EQ(std::memcmp(got[0].raw_data(), y_only[0].raw_data(), got[0].byte_size()), 0);
  const auto want = layer_norm_reference(x, scale, nullptr, 1, 1e-5);
  nn_test::expect_close(got[2], {2, 1}, want[2], 1e-12, "InvStdDev");
}

TEST(LayerNormalization, RejectsBadInputs) {
  std::mt19937 rng(9);
  const Tensor x = random_tensor(rng, DType::kFloat32, {2, 3, 4});
  // Scale that varies along an axis before `axis`.
  ir::Node n = make_node("LayerNormalization", {"x", "s"});
  n.attributes.set("axis", std::int64_t{-1});
  Status st = nn_test::run_status(n, 17, {x, random_tensor(rng, DType::kFloat32, {3, 4})});
  EXPECT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("input Scale has shape [3,4]"), std::string::npos) << st.message();
  // Axis out of range.
  n.attributes.set("axis", std::int64_t{3});
  st = nn_test::run_status(n, 17, {x, random_tensor(rng, DType::kFloat32, {4})});
  EXPECT_NE(st.message().find("attribute 'axis' 3 is out of range"), std::string::npos)
      << st.message();
  // Scale of another dtype.
  n.attributes.set("axis", std::int64_t{-1});
  st = nn_test::run_status(n, 17, {x, random_tensor(rng, DType::kFloat64, {4})});
  EXPECT_FALSE(st.is_ok());
  // stash_type that is not a float type.
  n.attributes.set("stash_type", std::int64_t{7});
  st = nn_test::run_status(n, 17, {x, random_tensor(rng, DType::kFloat32, {4})});
  EXPECT_NE(st.message().find("stash_type"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace edgebench::engine
