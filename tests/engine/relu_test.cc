#include <gtest/gtest.h>

#include "edgebench/engine/plan.h"

namespace edgebench::engine {
namespace {

TEST(Relu, ClampsNegativesToZero) {
  ir::Node node;
  node.op_type = "Relu";
  node.inputs = {"x"};
  node.outputs = {"y"};
  Tensor x = Tensor::zeros(DType::kFloat32, {2, 2});
  const float values[] = {-1.5f, 0.0f, 2.0f, -0.0f};
  std::copy(values, values + 4, x.data<float>());
  auto out = run_node(node, 13, std::span<const Tensor>(&x, 1));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  const float* y = (*out)[0].data<float>();
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[2], 2.0f);
  EXPECT_EQ((*out)[0].shape(), (Shape{2, 2}));
}

}  // namespace
}  // namespace edgebench::engine
