// MaxPool / AveragePool / GlobalAveragePool fast kernels against the reference kernels.
#include "fast_test_util.h"

namespace edgebench::kernels::testing {
namespace {

struct PoolCase {
  std::string op;
  std::int64_t c, h, w, k, stride;
  std::vector<std::int64_t> pads;
  bool ceil = false;
  std::int64_t dilation = 1;
  std::string auto_pad = "NOTSET";
};

TEST(FastPool, MatchesReference) {
  const std::vector<PoolCase> cases = {
      {"MaxPool", 64, 112, 112, 3, 2, {1, 1, 1, 1}},  // ResNet stem
      {"MaxPool", 3, 13, 11, 2, 2, {0, 0, 0, 0}},
      {"MaxPool", 7, 10, 10, 3, 2, {0, 0, 0, 0}, true},  // ceil_mode
      {"MaxPool", 13, 17, 15, 3, 1, {1, 0, 1, 0}, false, 2},
      {"MaxPool", 1, 9, 9, 2, 2, {}, false, 1, "SAME_UPPER"},
      {"AveragePool", 3, 13, 11, 3, 2, {1, 1, 1, 1}},
      {"AveragePool", 127, 7, 7, 2, 2, {0, 0, 0, 0}, true},
      {"AveragePool", 7, 9, 8, 3, 1, {0, 1, 0, 1}},
  };
  std::uint64_t seed = 700;
  for (const PoolCase& c : cases) {
    GraphBuilder b;
    b.input("x", {2, c.c, c.h, c.w});
    ir::Node& n = b.node(c.op, {"x"}, "y");
    n.attributes.set("kernel_shape", std::vector<std::int64_t>{c.k, c.k});
    n.attributes.set("strides", std::vector<std::int64_t>{c.stride, c.stride});
    if (!c.pads.empty()) n.attributes.set("pads", c.pads);
    if (c.ceil) n.attributes.set("ceil_mode", std::int64_t{1});
    if (c.dilation != 1) {
      n.attributes.set("dilations", std::vector<std::int64_t>{c.dilation, c.dilation});
    }
    if (c.auto_pad != "NOTSET") n.attributes.set("auto_pad", c.auto_pad);
    b.output("y");
    SCOPED_TRACE(::testing::Message() << c.op << " c=" << c.c << " k=" << c.k);
    expect_fast_matches(b.graph(), seed);
    seed += 10;
  }
}

TEST(FastPool, AveragePoolCountingPaddingStaysOnReference) {
  GraphBuilder b;
  b.input("x", {1, 3, 8, 8});
  ir::Node& n = b.node("AveragePool", {"x"}, "y");
  n.attributes.set("kernel_shape", std::vector<std::int64_t>{3, 3});
  n.attributes.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  n.attributes.set("count_include_pad", std::int64_t{1});
  b.output("y");
  expect_fast_matches(b.graph(), 9, 0);
}

TEST(FastPool, GlobalAveragePool) {
  for (Shape s : {Shape{1, 1, 1, 1}, Shape{2, 13, 7, 9}, Shape{1, 1280, 7, 7}}) {
    GraphBuilder b;
    b.input("x", s);
    b.node("GlobalAveragePool", {"x"}, "y");
    b.output("y");
    expect_fast_matches(b.graph(), 21);
  }
}

}  // namespace
}  // namespace edgebench::kernels::testing
