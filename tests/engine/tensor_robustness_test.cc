// Hostile values for the tensor ops: shape-like inputs, indices and attributes drawn from
// extremes (INT64_MIN/MAX, huge, negative, zero). Every case must end in a Status, never a
// crash, an overflow or an out-of-bounds access (run under the sanitizer build too). Sizes are
// chosen so that no accepted case allocates more than a few bytes: the large values are all
// beyond the 16 GiB tensor limit.
#include <gtest/gtest.h>

#include <limits>

#include "tensor_test_util.h"

namespace edgebench::engine {
namespace {

using tensor_test::int64s;
using tensor_test::make_node;
using tensor_test::random_shape;
using tensor_test::random_tensor;

constexpr std::int64_t kHostile[] = {std::numeric_limits<std::int64_t>::min(),
                                     std::numeric_limits<std::int64_t>::min() + 1,
                                     -(std::int64_t{1} << 40),
                                     -7,
                                     -3,
                                     -2,
                                     -1,
                                     0,
                                     1,
                                     2,
                                     3,
                                     5,
                                     std::int64_t{1} << 35,
                                     std::int64_t{1} << 40,
                                     std::numeric_limits<std::int64_t>::max() - 1,
                                     std::numeric_limits<std::int64_t>::max()};

std::int64_t hostile(std::mt19937& rng) { return kHostile[rng() % std::size(kHostile)]; }

std::vector<std::int64_t> hostile_list(std::mt19937& rng, std::size_t max_length = 4) {
  std::vector<std::int64_t> v(rng() % (max_length + 1));
  for (auto& x : v) x = hostile(rng);
  return v;
}

Tensor hostile_tensor(std::mt19937& rng) { return int64s(hostile_list(rng)); }

struct OpCase {
  const char* op_type;
  std::int64_t opset;
  std::size_t inputs;   // total inputs, the first is the data tensor
  std::size_t outputs;  // node outputs
  std::vector<const char*> int_attributes;
  std::vector<const char*> ints_attributes;
};

TEST(TensorRobustness, HostileValuesGiveStatusesNotCrashes) {
  const std::vector<OpCase> cases = {
      {"Concat", 13, 2, 1, {"axis"}, {}},
      {"Split", 13, 2, 2, {"axis"}, {}},
      {"Split", 18, 1, 3, {"axis", "num_outputs"}, {}},
      {"Split", 11, 1, 2, {"axis"}, {"split"}},
      {"Slice", 13, 5, 1, {}, {}},
      {"Slice", 9, 1, 1, {}, {"starts", "ends", "axes"}},
      {"Gather", 13, 2, 1, {"axis"}, {}},
      {"Reshape", 14, 2, 1, {"allowzero"}, {}},
      {"Reshape", 1, 1, 1, {}, {"shape"}},
      {"Flatten", 13, 1, 1, {"axis"}, {}},
      {"Transpose", 13, 1, 1, {}, {"perm"}},
      {"Squeeze", 13, 2, 1, {}, {}},
      {"Squeeze", 11, 1, 1, {}, {"axes"}},
      {"Unsqueeze", 13, 2, 1, {}, {}},
      {"Unsqueeze", 11, 1, 1, {}, {"axes"}},
      {"Shape", 15, 1, 1, {"start", "end"}, {}},
      {"Expand", 13, 2, 1, {}, {}},
      {"Tile", 13, 2, 1, {}, {}},
      {"ConstantOfShape", 9, 1, 1, {}, {}},
      {"Range", 11, 3, 1, {}, {}},
      {"GatherElements", 13, 2, 1, {"axis"}, {}},
      {"GatherND", 13, 2, 1, {"batch_dims"}, {}},
      {"ScatterElements", 13, 3, 1, {"axis"}, {}},
      {"ScatterND", 13, 3, 1, {}, {}},
      {"EyeLike", 9, 1, 1, {"k", "dtype"}, {}},
      {"Trilu", 14, 2, 1, {"upper"}, {}},
      {"CumSum", 14, 2, 1, {"exclusive", "reverse"}, {}},
      {"OneHot", 11, 3, 1, {"axis"}, {}},
      {"TopK", 11, 2, 2, {"axis", "largest"}, {}},
      {"Compress", 11, 2, 1, {"axis"}, {}},
      {"ReverseSequence", 10, 2, 1, {"batch_axis", "time_axis"}, {}},
  };
  int accepted = 0;
  for (const OpCase& op : cases) {
    for (std::uint32_t seed = 1; seed <= 150; ++seed) {
      std::mt19937 rng(seed);
      ir::Node node = make_node(op.op_type, op.inputs, op.outputs);
      for (const char* name : op.int_attributes) {
        if (rng() % 4 != 0) node.attributes.set(name, hostile(rng));
      }
      for (const char* name : op.ints_attributes) {
        if (rng() % 4 != 0) node.attributes.set(name, hostile_list(rng));
      }
      const DType dtype = tensor_test::kSomeDTypes[rng() % std::size(tensor_test::kSomeDTypes)];
      std::vector<Tensor> inputs;
      // The data input: small, possibly empty or a scalar; some ops want int64 data.
      const Shape shape = random_shape(rng, static_cast<int>(rng() % 4), 3, 0);
      inputs.push_back(random_tensor(rng() % 3 == 0 ? DType::kInt64 : dtype, shape, rng));
      for (std::size_t i = 1; i < op.inputs; ++i) {
        switch (rng() % 6) {
          case 0:
            inputs.push_back(Tensor::scalar<std::int64_t>(DType::kInt64, hostile(rng)));
            break;
          case 1:
            inputs.push_back(
                random_tensor(DType::kBool, {static_cast<std::int64_t>(rng() % 4)}, rng));
            break;
          case 2: inputs.push_back(random_tensor(dtype, shape, rng)); break;
          default: inputs.push_back(hostile_tensor(rng)); break;
        }
      }
      auto out = run_node(node, op.opset, inputs);
      if (!out.is_ok()) {
        EXPECT_FALSE(out.status().message().empty()) << op.op_type << " seed " << seed;
        continue;
      }
      ++accepted;
      for (const Tensor& t : *out) {
        EXPECT_LE(t.byte_size(), std::size_t{1} << 20) << op.op_type << " seed " << seed;
      }
    }
  }
  // Some cases are valid; the loop must not only ever exercise the error paths.
  EXPECT_GT(accepted, 200);
}

}  // namespace
}  // namespace edgebench::engine
