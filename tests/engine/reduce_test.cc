// Reduce* and ArgMax/ArgMin against double-precision reference loops written here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>

#include "engine/resample_reduce_test_util.h"

namespace edgebench::engine {
namespace {

using testing::int64_tensor;
using testing::make_node;
using testing::make_tensor;
using testing::random_float;
using testing::ravel;
using testing::run_ok;
using testing::run_status;
using testing::unravel;

// The fold of each op over the values of one output element, in double.
double reference_fold(const std::string& op, const std::vector<double>& v) {
  double acc = 0;
  if (op == "ReduceSum") {
    for (double x : v) acc += x;
  } else if (op == "ReduceMean") {
    for (double x : v) acc += x;
    acc /= static_cast<double>(v.size());
  } else if (op == "ReduceMax") {
    acc = -INFINITY;
    for (double x : v) acc = std::max(acc, x);
  } else if (op == "ReduceMin") {
    acc = INFINITY;
    for (double x : v) acc = std::min(acc, x);
  } else if (op == "ReduceProd") {
    acc = 1;
    for (double x : v) acc *= x;
  } else if (op == "ReduceL1") {
    for (double x : v) acc += std::fabs(x);
  } else if (op == "ReduceL2") {
    for (double x : v) acc += x * x;
    acc = std::sqrt(acc);
  } else if (op == "ReduceLogSum") {
    for (double x : v) acc += x;
    acc = std::log(acc);
  } else if (op == "ReduceLogSumExp") {
    for (double x : v) acc += std::exp(x);
    acc = std::log(acc);
  } else if (op == "ReduceSumSquare") {
    for (double x : v) acc += x * x;
  } else {
    ADD_FAILURE() << "no reference for " << op;
  }
  return acc;
}

// Reference reduction: groups every input element by its output position.
std::vector<double> reference_reduce(const std::string& op, const Tensor& x,
                                     std::vector<std::int64_t> axes, bool keepdims,
                                     Shape* out_shape) {
  const int rank = x.rank();
  std::vector<bool> reduced(static_cast<std::size_t>(rank), axes.empty());
  for (std::int64_t a : axes) reduced[static_cast<std::size_t>(a < 0 ? a + rank : a)] = true;
  Shape kept_shape;
  out_shape->clear();
  for (int d = 0; d < rank; ++d) {
    const auto ud = static_cast<std::size_t>(d);
    if (!reduced[ud]) kept_shape.push_back(x.dim(d));
    if (!reduced[ud]) {
      out_shape->push_back(x.dim(d));
    } else if (keepdims) {
      out_shape->push_back(1);
    }
  }
  std::map<std::int64_t, std::vector<double>> groups;
  for (std::int64_t i = 0; i < x.element_count(); ++i) {
    const std::vector<std::int64_t> index = unravel(i, x.shape());
    std::vector<std::int64_t> kept;
    for (int d = 0; d < rank; ++d) {
      if (!reduced[static_cast<std::size_t>(d)]) kept.push_back(index[static_cast<std::size_t>(d)]);
    }
    groups[ravel(kept, kept_shape)].push_back(x.element_as_double(i));
  }
  std::vector<double> out;
  for (const auto& [key, values] : groups) out.push_back(reference_fold(op, values));
  return out;
}

const char* const kReduceOps[] = {"ReduceSum",       "ReduceMean",     "ReduceMax", "ReduceMin",
                                  "ReduceProd",      "ReduceL1",       "ReduceL2",  "ReduceLogSum",
                                  "ReduceLogSumExp", "ReduceSumSquare"};

// Runs op with the axes as an attribute (opset 11) or as an input (opset 18).
Result<std::vector<Tensor>> run_reduce(const std::string& op, std::int64_t opset, const Tensor& x,
                                       const std::vector<std::int64_t>& axes, bool keepdims,
                                       bool axes_given = true) {
  const bool axes_input = opset >= (op == "ReduceSum" ? 13 : 18);
  ir::Node node = make_node(op, {"x"});
  node.attributes.set("keepdims", std::int64_t{keepdims ? 1 : 0});
  std::vector<Tensor> inputs = {x};
  if (axes_input) {
    if (axes_given) {
      node.inputs.push_back("axes");
      inputs.push_back(int64_tensor(axes));
    }
  } else if (axes_given && !axes.empty()) {
    node.attributes.set("axes", axes);
  }
  return run_node(node, opset, inputs);
}

TEST(ResampleReduce, RandomFloat32MatchesDoubleReference) {
  const std::vector<std::pair<Shape, std::vector<std::vector<std::int64_t>>>> cases = {
      {{7}, {{}, {0}, {-1}}},
      {{3, 5}, {{}, {0}, {1}, {-1}, {0, 1}, {-2, 1}}},
      {{2, 7, 13}, {{}, {1}, {0, 2}, {-1, 0}, {2, 1, 0}}},
      {{1, 3, 1, 5}, {{0}, {2}, {1, 3}, {-3, -1}}},
      {{13, 1, 7}, {{1}, {0, 2}}},
  };
  for (const char* op : kReduceOps) {
    for (std::int64_t opset : {11, 13, 18}) {
      std::uint32_t seed = 1234;
      for (const auto& [shape, axes_list] : cases) {
        for (const auto& axes : axes_list) {
          for (bool keepdims : {false, true}) {
            ++seed;
            std::mt19937 rng(seed);
            const std::string name = op;
            const float lo = name == "ReduceLogSum" ? 0.1f : name == "ReduceProd" ? 0.5f : -2.0f;
            const float hi = name == "ReduceProd" ? 1.5f : 2.0f;
            const Tensor x = random_float(shape, rng, lo, hi);
            Shape want_shape;
            const std::vector<double> want = reference_reduce(op, x, axes, keepdims, &want_shape);
            auto got = run_reduce(op, opset, x, axes, keepdims);
            ASSERT_TRUE(got.is_ok()) << op << " seed " << seed << ": " << got.status().to_string();
            const Tensor& y = (*got)[0];
            ASSERT_EQ(y.shape(), want_shape) << op << " seed " << seed;
            for (std::int64_t i = 0; i < y.element_count(); ++i) {
              const double w = want[static_cast<std::size_t>(i)];
              EXPECT_NEAR(y.data<float>()[i], w, 1e-5 * std::max(1.0, std::fabs(w)))
                  << op << " opset " << opset << " shape " << shape_to_string(shape) << " keepdims "
                  << keepdims << " element " << i << " seed " << seed;
            }
          }
        }
      }
    }
  }
}

TEST(ResampleReduce, AbsentAxesReduceEverything) {
  std::mt19937 rng(7);
  const Tensor x = random_float({3, 4, 5}, rng);
  for (const char* op : kReduceOps) {
    if (std::string(op) == "ReduceLogSum") continue;  // needs positive sums
    for (std::int64_t opset : {13, 18}) {
      auto got = run_reduce(op, opset, x, {}, true, /*axes_given=*/false);
      ASSERT_TRUE(got.is_ok()) << op << ": " << got.status().to_string();
      EXPECT_EQ((*got)[0].shape(), (Shape{1, 1, 1})) << op;
      Shape shape;
      const std::vector<double> want = reference_reduce(op, x, {}, true, &shape);
      EXPECT_NEAR((*got)[0].data<float>()[0], want[0], 1e-4 * std::max(1.0, std::fabs(want[0])))
          << op;
    }
  }
}

TEST(ResampleReduce, EmptyAxesInputReducesAllUnlessNoop) {
  std::mt19937 rng(8);
  const Tensor x = random_float({3, 2, 2}, rng);
  ir::Node node = make_node("ReduceSum", {"x", "axes"});
  const Tensor empty_axes = make_tensor<std::int64_t>(DType::kInt64, {0}, {});
  auto all = run_ok(node, 13, {x, empty_axes});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].shape(), (Shape{1, 1, 1}));

  node.attributes.set("noop_with_empty_axes", std::int64_t{1});
  for (const char* op : {"ReduceSum", "ReduceSumSquare", "ReduceL2", "ReduceMax"}) {
    node.op_type = op;
    auto same = run_ok(node, 18, {x, empty_axes});
    ASSERT_EQ(same.size(), 1u);
    ASSERT_EQ(same[0].shape(), x.shape());
    for (std::int64_t i = 0; i < x.element_count(); ++i) {
      EXPECT_EQ(same[0].data<float>()[i], x.data<float>()[i]) << op;
    }
  }
}

TEST(ResampleReduce, AxesInputMayBeARunTimeValue) {
  ir::Graph graph;
  graph.opset_imports = {{"", 18}};
  graph.inputs = {"x", "axes"};
  graph.outputs = {"y0"};
  graph.value_info["x"] = {DType::kFloat32, Shape{2, 3, 4}, {"", "", ""}};
  graph.value_info["axes"] = {DType::kInt64, Shape{1}, {""}};
  ir::Node node = make_node("ReduceMean", {"x", "axes"});
  node.attributes.set("keepdims", std::int64_t{0});
  graph.nodes.push_back(node);
  auto plan = Plan::compile(graph, builtin_registry());
  ASSERT_TRUE(plan.is_ok()) << plan.status().to_string();
  EXPECT_TRUE((*plan)->dynamic());
  std::mt19937 rng(9);
  const Tensor x = random_float({2, 3, 4}, rng);
  for (std::int64_t axis : {0, 1, -1}) {
    std::vector<Tensor> outputs(1);
    const Tensor inputs[] = {x, int64_tensor({axis})};
    ASSERT_TRUE((*plan)->run(inputs, outputs).is_ok());
    Shape want_shape;
    const std::vector<double> want = reference_reduce("ReduceMean", x, {axis}, false, &want_shape);
    ASSERT_EQ(outputs[0].shape(), want_shape) << "axis " << axis;
    for (std::int64_t i = 0; i < outputs[0].element_count(); ++i) {
      EXPECT_NEAR(outputs[0].data<float>()[i], want[static_cast<std::size_t>(i)], 1e-5);
    }
  }
}

TEST(ResampleReduce, IntegerTypes) {
  ir::Node node = make_node("ReduceSum", {"x"});
  node.attributes.set("axes", std::vector<std::int64_t>{1});
  node.attributes.set("keepdims", std::int64_t{0});
  const Tensor x32 = make_tensor<std::int32_t>(DType::kInt32, {2, 3}, {1, -2, 3, 40, 50, 60});
  auto sum = run_ok(node, 11, {x32});
  ASSERT_EQ(sum.size(), 1u);
  EXPECT_EQ(sum[0].dtype(), DType::kInt32);
  EXPECT_EQ(sum[0].data<std::int32_t>()[0], 2);
  EXPECT_EQ(sum[0].data<std::int32_t>()[1], 150);

  // Integer means truncate toward zero, as NumPy's astype in the ONNX reference.
  node.op_type = "ReduceMean";
  auto mean = run_ok(node, 11, {x32});
  EXPECT_EQ(mean[0].data<std::int32_t>()[0], 0);  // 2 / 3
  EXPECT_EQ(mean[0].data<std::int32_t>()[1], 50);

  node.op_type = "ReduceMax";
  const Tensor x64 = make_tensor<std::int64_t>(
      DType::kInt64, {2, 2}, {std::int64_t{1} << 60, (std::int64_t{1} << 60) + 1, -5, -7});
  auto max = run_ok(node, 13, {x64});
  EXPECT_EQ(max[0].data<std::int64_t>()[0], (std::int64_t{1} << 60) + 1);
  EXPECT_EQ(max[0].data<std::int64_t>()[1], -5);

  const Tensor u8 = make_tensor<std::uint8_t>(DType::kUInt8, {1, 4}, {3, 250, 7, 9});
  node.op_type = "ReduceMin";
  auto min = run_ok(node, 13, {u8});
  EXPECT_EQ(min[0].data<std::uint8_t>()[0], 3);

  node.op_type = "ReduceL1";
  const Tensor i8 = make_tensor<std::int8_t>(DType::kInt8, {1, 3}, {-128, 100, -1});
  auto l1 = run_ok(node, 13, {i8});
  EXPECT_EQ(l1[0].data<std::int8_t>()[0], static_cast<std::int8_t>(229));  // wraps like int8
}

TEST(ResampleReduce, Float64AndFloat16) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> dist(-3, 3);
  std::vector<double> values(3 * 7);
  for (double& v : values) v = dist(rng);
  const Tensor x = make_tensor<double>(DType::kFloat64, {3, 7}, values);
  ir::Node node = make_node("ReduceLogSumExp", {"x"});
  node.attributes.set("axes", std::vector<std::int64_t>{-1});
  auto out = run_ok(node, 13, {x});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].dtype(), DType::kFloat64);
  for (int r = 0; r < 3; ++r) {
    double sum = 0;
    for (int c = 0; c < 7; ++c) sum += std::exp(values[static_cast<std::size_t>(r * 7 + c)]);
    EXPECT_NEAR(out[0].data<double>()[r], std::log(sum), 1e-12) << "seed 11";
  }

  std::vector<std::uint16_t> halves;
  std::vector<float> as_float;
  for (int i = 0; i < 13; ++i) {
    halves.push_back(float_to_half(static_cast<float>(i) * 0.25f - 1.0f));
    as_float.push_back(half_to_float(halves.back()));
  }
  const Tensor h = make_tensor<std::uint16_t>(DType::kFloat16, {13}, halves);
  ir::Node mean = make_node("ReduceMean", {"x"});
  mean.attributes.set("keepdims", std::int64_t{0});
  auto got = run_ok(mean, 13, {h});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].dtype(), DType::kFloat16);
  EXPECT_EQ(got[0].shape(), Shape{});
  double want = 0;
  for (float v : as_float) want += v;
  want /= 13;
  EXPECT_NEAR(half_to_float(got[0].data<std::uint16_t>()[0]), want, 1e-3);
}

TEST(ResampleReduce, EmptyReductions) {
  const Tensor x = Tensor::zeros(DType::kFloat32, {3, 0});
  const std::map<std::string, float> want = {
      {"ReduceSum", 0.0f},     {"ReduceProd", 1.0f},      {"ReduceMax", -INFINITY},
      {"ReduceMin", INFINITY}, {"ReduceSumSquare", 0.0f}, {"ReduceLogSumExp", -INFINITY}};
  for (const auto& [op, value] : want) {
    auto got = run_reduce(op, 13, x, {1}, false);
    ASSERT_TRUE(got.is_ok()) << op << ": " << got.status().to_string();
    ASSERT_EQ((*got)[0].shape(), Shape{3}) << op;
    for (int i = 0; i < 3; ++i) EXPECT_EQ((*got)[0].data<float>()[i], value) << op;
  }
}

TEST(ResampleReduce, ScalarInput) {
  const Tensor x = Tensor::scalar<float>(DType::kFloat32, -3.0f);
  auto got = run_reduce("ReduceSumSquare", 13, x, {}, true, /*axes_given=*/false);
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  EXPECT_EQ((*got)[0].shape(), Shape{});
  EXPECT_EQ((*got)[0].data<float>()[0], 9.0f);
}

TEST(ResampleReduce, BadAxesAndAttributesFail) {
  const Tensor x = Tensor::zeros(DType::kFloat32, {2, 3});
  EXPECT_EQ(run_reduce("ReduceMean", 13, x, {2}, true).status().code(), StatusCode::kInvalidModel);
  EXPECT_EQ(run_reduce("ReduceMean", 13, x, {-3}, true).status().code(), StatusCode::kInvalidModel);
  EXPECT_EQ(run_reduce("ReduceSum", 13, x, {1, -1}, true).status().code(),
            StatusCode::kInvalidModel);
  EXPECT_EQ(run_reduce("ReduceMax", 18, x, {5}, true).status().code(), StatusCode::kInvalidModel);

  ir::Node node = make_node("ReduceMean", {"x"});
  node.attributes.set("keepdims", std::int64_t{2});
  EXPECT_EQ(run_status(node, 13, {x}).code(), StatusCode::kInvalidModel);

  // The attribute form is gone once axes is an input.
  ir::Node attr18 = make_node("ReduceMean", {"x"});
  attr18.attributes.set("axes", std::vector<std::int64_t>{0});
  const Status s = run_status(attr18, 18, {x});
  EXPECT_EQ(s.code(), StatusCode::kInvalidModel);
  EXPECT_NE(s.message().find("axes"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("ReduceMean node 'n'"), std::string::npos) << s.message();

  // Axes must be int64; and there is no axes input before opset 13 / 18.
  ir::Node with_input = make_node("ReduceSum", {"x", "axes"});
  const Tensor float_axes = testing::float_vector({0.0f});
  EXPECT_EQ(run_status(with_input, 13, {x, float_axes}).code(), StatusCode::kInvalidModel);
  EXPECT_FALSE(run_status(with_input, 11, {x, int64_tensor({0})}).is_ok());
  with_input.op_type = "ReduceMean";
  EXPECT_FALSE(run_status(with_input, 13, {x, int64_tensor({0})}).is_ok());

  // bool is not a reducible type.
  ir::Node sum = make_node("ReduceSum", {"x"});
  EXPECT_EQ(run_status(sum, 11, {Tensor::zeros(DType::kBool, {2})}).code(),
            StatusCode::kUnsupported);
}

// ---- ArgMax / ArgMin ----

std::vector<std::int64_t> reference_arg(const Tensor& x, int axis, bool is_max, bool last) {
  const Shape& shape = x.shape();
  Shape out_shape = shape;
  out_shape[static_cast<std::size_t>(axis)] = 1;
  std::vector<std::int64_t> out(static_cast<std::size_t>(element_count(out_shape)));
  for (std::size_t o = 0; o < out.size(); ++o) {
    std::vector<std::int64_t> index = unravel(static_cast<std::int64_t>(o), out_shape);
    double best = 0;
    std::int64_t best_k = -1;
    for (std::int64_t k = 0; k < shape[static_cast<std::size_t>(axis)]; ++k) {
      index[static_cast<std::size_t>(axis)] = k;
      const double v = x.element_as_double(ravel(index, shape));
      const bool better = best_k < 0 || (is_max ? v > best : v < best) || (last && v == best);
      if (better) {
        best = v;
        best_k = k;
      }
    }
    out[o] = best_k;
  }
  return out;
}

TEST(ResampleArgReduce, RandomWithTiesMatchesReference) {
  const std::vector<Shape> shapes = {{7}, {3, 5}, {2, 7, 13}, {1, 3, 1, 5}, {13, 1}};
  std::uint32_t seed = 99;
  for (const char* op : {"ArgMax", "ArgMin"}) {
    for (const Shape& shape : shapes) {
      const int rank = static_cast<int>(shape.size());
      for (int axis = -rank; axis < rank; ++axis) {
        for (bool keepdims : {false, true}) {
          for (bool last : {false, true}) {
            ++seed;
            std::mt19937 rng(seed);
            // Few distinct values, so ties are common.
            std::uniform_int_distribution<int> dist(-2, 2);
            Tensor x = Tensor::zeros(DType::kFloat32, shape);
            for (std::int64_t i = 0; i < x.element_count(); ++i) {
              x.data<float>()[i] = static_cast<float>(dist(rng));
            }
            ir::Node node = make_node(op, {"x"});
            node.attributes.set("axis", std::int64_t{axis});
            node.attributes.set("keepdims", std::int64_t{keepdims ? 1 : 0});
            node.attributes.set("select_last_index", std::int64_t{last ? 1 : 0});
            auto got = run_ok(node, 13, {x});
            ASSERT_EQ(got.size(), 1u) << "seed " << seed;
            const int a = axis < 0 ? axis + rank : axis;
            Shape want_shape = shape;
            if (keepdims) {
              want_shape[static_cast<std::size_t>(a)] = 1;
            } else {
              want_shape.erase(want_shape.begin() + a);
            }
            ASSERT_EQ(got[0].shape(), want_shape) << "seed " << seed;
            ASSERT_EQ(got[0].dtype(), DType::kInt64);
            const auto want = reference_arg(x, a, std::string(op) == "ArgMax", last);
            for (std::size_t i = 0; i < want.size(); ++i) {
              EXPECT_EQ(got[0].data<std::int64_t>()[i], want[i])
                  << op << " axis " << axis << " last " << last << " seed " << seed;
            }
          }
        }
      }
    }
  }
}

TEST(ResampleArgReduce, OtherTypes) {
  ir::Node node = make_node("ArgMax", {"x"});
  node.attributes.set("axis", std::int64_t{1});
  const Tensor i32 = make_tensor<std::int32_t>(DType::kInt32, {2, 3}, {5, 9, 9, -1, -7, -1});
  auto got = run_ok(node, 13, {i32});
  EXPECT_EQ(got[0].data<std::int64_t>()[0], 1);
  EXPECT_EQ(got[0].data<std::int64_t>()[1], 0);

  const Tensor i64 = make_tensor<std::int64_t>(
      DType::kInt64, {1, 2}, {(std::int64_t{1} << 60) + 1, std::int64_t{1} << 60});
  node.op_type = "ArgMin";
  got = run_ok(node, 13, {i64});
  EXPECT_EQ(got[0].data<std::int64_t>()[0], 1);  // beyond double's 53 bits

  const Tensor h = make_tensor<std::uint16_t>(
      DType::kFloat16, {1, 3}, {float_to_half(0.5f), float_to_half(-2.0f), float_to_half(3.0f)});
  got = run_ok(node, 13, {h});
  EXPECT_EQ(got[0].data<std::int64_t>()[0], 1);
  node.op_type = "ArgMax";
  got = run_ok(node, 13, {h});
  EXPECT_EQ(got[0].data<std::int64_t>()[0], 2);
}

TEST(ResampleArgReduce, ErrorsAreStatuses) {
  ir::Node node = make_node("ArgMax", {"x"});
  node.attributes.set("axis", std::int64_t{2});
  const Tensor x = Tensor::zeros(DType::kFloat32, {2, 3});
  EXPECT_EQ(run_status(node, 13, {x}).code(), StatusCode::kInvalidModel);
  node.attributes.set("axis", std::int64_t{-3});
  EXPECT_EQ(run_status(node, 13, {x}).code(), StatusCode::kInvalidModel);
  node.attributes.set("axis", std::int64_t{0});
  EXPECT_EQ(run_status(node, 13, {Tensor::scalar<float>(DType::kFloat32, 1.0f)}).code(),
            StatusCode::kInvalidModel);
  EXPECT_EQ(run_status(node, 13, {Tensor::zeros(DType::kFloat32, {0, 3})}).code(),
            StatusCode::kInvalidModel);
  node.attributes.set("select_last_index", std::int64_t{1});
  EXPECT_EQ(run_status(node, 11, {x}).code(), StatusCode::kInvalidModel);
  node.attributes.set("select_last_index", std::int64_t{3});
  EXPECT_EQ(run_status(node, 13, {x}).code(), StatusCode::kInvalidModel);
}

}  // namespace
}  // namespace edgebench::engine
