#include <gtest/gtest.h>

#include <cmath>

#include "edgebench/engine/plan.h"

namespace edgebench::engine {
namespace {

// ONNX's reference implementation (onnx.reference, np.maximum(x, 0)) maps -0.0 to +0.0; so does
// the engine's kernel (x > 0 ? x : 0). ONNX Runtime 1.31's CPU kernel keeps -0.0; the two
// compare equal, so only the sign bit tells them apart.
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
  ASSERT_EQ((*out)[0].shape(), (Shape{2, 2}));
  const float* y = (*out)[0].data<float>();
  const float expected[] = {0.0f, 0.0f, 2.0f, 0.0f};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(y[i], expected[i]) << "element " << i << " (x = " << values[i] << ")";
    EXPECT_FALSE(std::signbit(y[i]))
        << "element " << i << " (x = " << values[i] << ") gives -0.0; ONNX's reference gives +0.0";
  }
}

}  // namespace
}  // namespace edgebench::engine
