// Concat, Pad and the layout conversions against the reference kernels.
#include <cstring>

#include "fast_test_util.h"

namespace edgebench::kernels::testing {
namespace {

TEST(FastConcat, ChannelConcatOfConvOutputsStaysNhwc) {
  GraphBuilder b;
  b.input("x", {1, 3, 9, 7});
  b.weight("w1", {5, 3, 1, 1}, 1);
  b.weight("w2", {13, 3, 3, 3}, 2);
  b.weight("k", {1, 2, 9, 7}, 3);
  b.node("Conv", {"x", "w1"}, "a");
  b.node("Conv", {"x", "w2"}, "c").attributes.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  b.node("Concat", {"a", "k", "c"}, "y").attributes.set("axis", std::int64_t{1});
  b.output("y");
  FastRun r = run_fast_and_reference(b.graph(), 1, 3);
  EXPECT_EQ(r.lowered.layout_conversions, 2);
  expect_fast_matches(b.graph(), 3);
}

TEST(FastConcat, LastAxisAndInnerAxis) {
  GraphBuilder b;
  b.input("a", {2, 3, 4});
  b.input("c", {2, 3, 7});
  b.node("Concat", {"a", "c"}, "y").attributes.set("axis", std::int64_t{-1});
  b.output("y");
  expect_fast_matches(b.graph(), 5);

  GraphBuilder inner;
  inner.input("a", {2, 3, 4});
  inner.input("c", {2, 5, 4});
  inner.node("Concat", {"a", "c"}, "y").attributes.set("axis", std::int64_t{1});
  inner.output("y");
  expect_fast_matches(inner.graph(), 6, 0);
}

TEST(FastPad, ConstantPadInBothLayouts) {
  auto pads_tensor = [](std::vector<std::int64_t> v) {
    Tensor t = Tensor::allocate(DType::kInt64, {static_cast<std::int64_t>(v.size())}).value();
    for (std::size_t i = 0; i < v.size(); ++i) t.data<std::int64_t>()[i] = v[i];
    return t;
  };
  Tensor value = Tensor::allocate(DType::kFloat32, {}).value();
  value.data<float>()[0] = 0.5f;
  {
    GraphBuilder b;
    b.input("x", {1, 3, 6, 5});
    b.weight("w", {7, 3, 3, 3}, 1);
    b.node("Conv", {"x", "w"}, "c");
    b.constant("pads", pads_tensor({0, 1, 2, 0, 0, 3, 1, 1}));
    b.constant("v", value);
    b.node("Pad", {"c", "pads", "v"}, "y");
    b.output("y");
    expect_fast_matches(b.graph(), 7);
  }
  {
    GraphBuilder b;
    b.input("x", {2, 3, 5});
    b.constant("pads", pads_tensor({1, 0, 2, 0, 3, 1}));
    b.node("Pad", {"x", "pads"}, "y");
    b.output("y");
    expect_fast_matches(b.graph(), 8);
  }
  {
    GraphBuilder b(2);
    b.input("x", {2, 3, 5});
    ir::Node& n = b.node("Pad", {"x"}, "y");
    n.attributes.set("pads", std::vector<std::int64_t>{0, 0, 1, 0, 0, 2});
    n.attributes.set("value", 1.5f);
    b.output("y");
    expect_fast_matches(b.graph(), 9);
  }
}

TEST(FastLayout, ConversionRoundTripIsExact) {
  for (DType dtype : {DType::kFloat32, DType::kInt8, DType::kFloat16, DType::kInt64}) {
    GraphBuilder b;
    b.graph().opset_imports.push_back({std::string(kFastDomain), 1});
    b.input("x", {2, 13, 33, 35}, dtype);
    b.node("ToNhwc", {"x"}, "t", std::string(kFastDomain));
    b.node("ToNchw", {"t"}, "y", std::string(kFastDomain));
    b.output("t");
    b.output("y");
    for (int threads : {1, 2}) {
      engine::PlanOptions options;
      options.thread_pool = ThreadPool::create(threads).value();
      auto plan = engine::Plan::compile(b.graph(), fast_registry(), options);
      ASSERT_TRUE(plan.is_ok()) << plan.status().message();
      Tensor x = random_tensor(dtype, {2, 13, 33, 35}, 77).value();
      std::vector<Tensor> out(2);
      ASSERT_TRUE(plan.value()->run({&x, 1}, out).is_ok());
      ASSERT_EQ(out[0].shape(), (Shape{2, 33, 35, 13}));
      ASSERT_EQ(out[1].shape(), x.shape());
      EXPECT_EQ(std::memcmp(out[1].raw_data(), x.raw_data(), x.byte_size()), 0);
      // Spot-check the NHWC element (n, h, w, c) == (n, c, h, w).
      const std::size_t e = dtype_size(dtype);
      const auto* nchw = static_cast<const std::uint8_t*>(x.raw_data());
      const auto* nhwc = static_cast<const std::uint8_t*>(out[0].raw_data());
      const std::int64_t n = 1, c = 7, h = 20, w = 31;
      EXPECT_EQ(std::memcmp(nhwc + (((n * 33 + h) * 35 + w) * 13 + c) * e,
                            nchw + (((n * 13 + c) * 33 + h) * 35 + w) * e, e),
                0);
    }
  }
}

TEST(FastLowering, FusedConvAndGemmCarryTheirClamp) {
  GraphBuilder b;
  b.graph().opset_imports.push_back({"edgebench", 1});
  b.input("x", {1, 3, 8, 8});
  b.weight("w", {4, 3, 3, 3}, 1);
  b.weight("fw", {4 * 6 * 6, 10}, 2);
  ir::Node& conv = b.node("FusedConv", {"x", "w"}, "c", "edgebench");
  conv.attributes.set("activation_min", 0.0f);
  conv.attributes.set("activation_max", 0.2f);
  b.constant("shape", [] {
    Tensor t = Tensor::allocate(DType::kInt64, {2}).value();
    t.data<std::int64_t>()[0] = 1;
    t.data<std::int64_t>()[1] = 4 * 6 * 6;
    return t;
  }());
  b.node("Reshape", {"c", "shape"}, "flat");
  ir::Node& gemm = b.node("FusedGemm", {"flat", "fw"}, "y", "edgebench");
  gemm.attributes.set("activation_min", -0.1f);
  b.output("y");
  expect_fast_matches(b.graph(), 13, 2);
}

}  // namespace
}  // namespace edgebench::kernels::testing

namespace edgebench::kernels::testing {
namespace {

TEST(FastResize, BilinearCoordinateModes) {
  auto floats = [](std::vector<float> v) {
    Tensor t = Tensor::allocate(DType::kFloat32, {static_cast<std::int64_t>(v.size())}).value();
    for (std::size_t i = 0; i < v.size(); ++i) t.data<float>()[i] = v[i];
    return t;
  };
  auto ints = [](std::vector<std::int64_t> v) {
    Tensor t = Tensor::allocate(DType::kInt64, {static_cast<std::int64_t>(v.size())}).value();
    for (std::size_t i = 0; i < v.size(); ++i) t.data<std::int64_t>()[i] = v[i];
    return t;
  };
  std::uint64_t seed = 60;
  for (const char* mode : {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"}) {
    for (bool by_sizes : {false, true}) {
      GraphBuilder b;
      b.input("x", {1, 3, 5, 7});
      b.constant("roi", floats({}));
      b.constant("scales", by_sizes ? floats({}) : floats({1, 1, 2, 3}));
      std::vector<std::string> ins = {"x", "roi", "scales"};
      if (by_sizes) ins.push_back(b.constant("sizes", ints({1, 3, 9, 4})));
      ir::Node& n = b.node("Resize", ins, "y");
      n.attributes.set("mode", std::string("linear"));
      n.attributes.set("coordinate_transformation_mode", std::string(mode));
      b.output("y");
      SCOPED_TRACE(::testing::Message() << mode << (by_sizes ? " sizes" : " scales"));
      expect_fast_matches(b.graph(), seed++);
    }
  }
}

TEST(FastResize, NearestAndUnevenScalesStayOnReference) {
  GraphBuilder b;
  b.input("x", {1, 2, 5, 5});
  Tensor roi = Tensor::allocate(DType::kFloat32, {0}).value();
  Tensor scales = Tensor::allocate(DType::kFloat32, {4}).value();
  for (int i = 0; i < 4; ++i) scales.data<float>()[i] = i < 2 ? 1.0f : 1.5f;  // 5 * 1.5 = 7.5
  b.constant("roi", roi);
  b.constant("scales", scales);
  b.node("Resize", {"x", "roi", "scales"}, "y").attributes.set("mode", std::string("linear"));
  b.node("Resize", {"x", "roi", "scales"}, "z");  // nearest
  b.output("y");
  b.output("z");
  expect_fast_matches(b.graph(), 70, 0);
}

}  // namespace
}  // namespace edgebench::kernels::testing
