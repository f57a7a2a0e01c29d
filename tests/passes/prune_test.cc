// Magnitude pruning: exact per-layer sparsity of the smallest weights, the 2:4 pattern along the
// reduction dimension, whole blocks of the [outputs, reduction] view, shared / excluded /
// foreign-read weights, and option validation.
#include "edgebench/passes/prune.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "passes/passes_test_util.h"

namespace edgebench::passes {
namespace {

using test::make_node;
using test::random_float;

// x[1,6,5,5] -> Conv(w [8,6,3,3], b) -> GlobalAveragePool -> Flatten -> Gemm(gb [10,8], gc)
//   -> MatMul(mb [10,12]) -> y
ir::Graph model(std::uint64_t seed, bool trans_b = false) {
  ir::Graph g;
  g.opset_imports = {{"", 13}};
  g.inputs = {"x"};
  g.value_info["x"] = {DType::kFloat32, Shape{1, 6, 5, 5}, {}};
  g.initializers["w"] = random_float({8, 6, 3, 3}, seed);
  g.initializers["b"] = random_float({8}, seed + 1);
  g.nodes.push_back(make_node("conv", "Conv", {"x", "w", "b"}, {"c"}));
  g.nodes.push_back(make_node("pool", "GlobalAveragePool", {"c"}, {"p"}));
  g.nodes.push_back(make_node("flat", "Flatten", {"p"}, {"f"}));
  g.initializers["gb"] =
      trans_b ? random_float({10, 8}, seed + 2) : random_float({8, 10}, seed + 2);
  g.initializers["gc"] = random_float({10}, seed + 3);
  ir::Node gemm = make_node("gemm", "Gemm", {"f", "gb", "gc"}, {"h"});
  if (trans_b) gemm.attributes.set("transB", std::int64_t{1});
  g.nodes.push_back(gemm);
  g.initializers["mb"] = random_float({10, 12}, seed + 4);
  g.nodes.push_back(make_node("mm", "MatMul", {"h", "mb"}, {"y"}));
  g.outputs = {"y"};
  return g;
}

std::vector<float> values(const Tensor& t) {
  return {t.data<float>(), t.data<float>() + t.element_count()};
}

// Reference: the k smallest |w| (stable by index) are zero, the rest unchanged.
void expect_magnitude_pruned(const Tensor& before, const Tensor& after, double sparsity,
                             const std::string& what) {
  const std::vector<float> w = values(before), p = values(after);
  const auto n = static_cast<std::int64_t>(w.size());
  const auto k = static_cast<std::int64_t>(std::llround(sparsity * static_cast<double>(n)));
  std::vector<std::int64_t> order(w.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    return std::fabs(w[static_cast<std::size_t>(a)]) < std::fabs(w[static_cast<std::size_t>(b)]);
  });
  std::int64_t zeros = 0;
  for (std::int64_t j = 0; j < n; ++j) {
    const auto idx = static_cast<std::size_t>(order[static_cast<std::size_t>(j)]);
    if (j < k) {
      EXPECT_EQ(p[idx], 0.0f) << what << " element " << idx;
    } else {
      EXPECT_EQ(p[idx], w[idx]) << what << " element " << idx;
    }
    zeros += p[idx] == 0.0f;
  }
  EXPECT_EQ(zeros, k) << what;
}

TEST(PruneUnstructured, ExactSparsityOfSmallestWeightsPerLayer) {
  for (const double sparsity : {0.0, 0.3, 0.5, 0.9, 0.99}) {
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
      const ir::Graph original = model(seed * 7);
      ir::Graph g = original;
      auto report = prune_weights(g, {.sparsity = sparsity});
      const std::string what =
          "seed " + std::to_string(seed) + " sparsity " + std::to_string(sparsity);
      ASSERT_TRUE(report.is_ok()) << report.status().to_string();
      ASSERT_EQ(report->layers.size(), 3u) << what;
      EXPECT_EQ(report->layers[0].node, "conv");
      EXPECT_EQ(report->layers[0].op, "Conv");
      EXPECT_EQ(report->layers[0].weight, "w");
      EXPECT_EQ(report->layers[1].weight, "gb");
      EXPECT_EQ(report->layers[2].weight, "mb");
      std::int64_t total = 0, zeros = 0;
      for (const PruneReport::Layer& layer : report->layers) {
        expect_magnitude_pruned(original.initializers.at(layer.weight),
                                g.initializers.at(layer.weight), sparsity,
                                what + " " + layer.weight);
        EXPECT_EQ(layer.elements, original.initializers.at(layer.weight).element_count());
        EXPECT_EQ(layer.zeros_before, 0);
        EXPECT_EQ(layer.zeros_after, std::llround(sparsity * static_cast<double>(layer.elements)));
        total += layer.elements;
        zeros += layer.zeros_after;
      }
      EXPECT_EQ(report->total_elements, total);
      EXPECT_EQ(report->total_zeros, zeros);
      // Biases untouched; the original graph's buffers untouched.
      EXPECT_EQ(values(g.initializers.at("b")), values(original.initializers.at("b")));
      EXPECT_EQ(values(g.initializers.at("gc")), values(original.initializers.at("gc")));
      const std::vector<float> w0 = values(original.initializers.at("w"));
      EXPECT_EQ(std::count(w0.begin(), w0.end(), 0.0f), 0) << what;
      EXPECT_EQ(test::run_graph(g, test::random_inputs(g, seed)).size(), 1u) << what;
    }
  }
}

TEST(PruneUnstructured, TiesGoToTheLowerIndexAndExistingZerosCount) {
  ir::Graph g;
  g.opset_imports = {{"", 13}};
  g.inputs = {"x"};
  g.value_info["x"] = {DType::kFloat32, Shape{1, 8}, {}};
  const float w[] = {1, -1, 0, 2, 1, -2, 0.5f, -1};
  g.initializers["w"] = Tensor::vector<float>(DType::kFloat32, w).reshaped({8, 1});
  g.nodes.push_back(make_node("mm", "MatMul", {"x", "w"}, {"y"}));
  g.outputs = {"y"};
  auto report = prune_weights(g, {.sparsity = 0.5});
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  // Order by (|w|, index): 2 (0), 6 (0.5), 0 (1), 1 (1), 4 (1), 7 (1), ...: four zeros.
  EXPECT_EQ(values(g.initializers.at("w")), (std::vector<float>{0, 0, 0, 2, 1, -2, 0, -1}));
  EXPECT_EQ(report->layers.at(0).zeros_before, 1);
  EXPECT_EQ(report->layers.at(0).zeros_after, 4);
}

// Every full group of 4 along the reduction dimension has exactly 2 zeros, at its 2 smallest
// |w| (ties by index); the tail beyond the last full group is unchanged.
void expect_2of4(const Tensor& before, const Tensor& after, std::int64_t outer,
                 std::int64_t reduction, std::int64_t inner, const std::string& what) {
  const std::vector<float> w = values(before), p = values(after);
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t i = 0; i < inner; ++i) {
      for (std::int64_t r = 0; r < reduction; r += 4) {
        std::vector<std::size_t> group;
        for (std::int64_t j = r; j < std::min(r + 4, reduction); ++j) {
          group.push_back(static_cast<std::size_t>((o * reduction + j) * inner + i));
        }
        if (group.size() < 4) {
          for (std::size_t idx : group) EXPECT_EQ(p[idx], w[idx]) << what << " tail " << idx;
          continue;
        }
        std::vector<std::size_t> sorted = group;
        std::stable_sort(sorted.begin(), sorted.end(), [&](std::size_t a, std::size_t b) {
          return std::fabs(w[a]) < std::fabs(w[b]);
        });
        for (std::size_t j = 0; j < 4; ++j) {
          const std::size_t idx = sorted[j];
          EXPECT_EQ(p[idx], j < 2 ? 0.0f : w[idx])
              << what << " o " << o << " i " << i << " r " << r << " element " << idx;
        }
      }
    }
  }
}

TEST(Prune2of4, ConvGemmMatMulGroupsAlongReduction) {
  for (const bool trans_b : {false, true}) {
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
      const ir::Graph original = model(seed * 13, trans_b);
      ir::Graph g = original;
      auto report = prune_weights(g, {.sparsity = 0.5, .pattern = PrunePattern::k2of4});
      ASSERT_TRUE(report.is_ok()) << report.status().to_string();
      const std::string what =
          "seed " + std::to_string(seed) + " transB " + std::to_string(trans_b);
      ASSERT_EQ(report->layers.size(), 3u);
      // Conv W [8, 6, 3, 3]: groups along C=6 for each (m, kh, kw); the last 2 stay dense.
      expect_2of4(original.initializers.at("w"), g.initializers.at("w"), 8, 6, 9, what + " w");
      EXPECT_NE(report->layers[0].note.find("not a multiple of 4"), std::string::npos);
      EXPECT_EQ(report->layers[0].zeros_after, 8 * 9 * 2);
      // Gemm B: K=8 along dim 0 ([K, N]) or dim 1 ([N, K] with transB).
      if (trans_b) {
        expect_2of4(original.initializers.at("gb"), g.initializers.at("gb"), 10, 8, 1,
                    what + " gb");
      } else {
        expect_2of4(original.initializers.at("gb"), g.initializers.at("gb"), 1, 8, 10,
                    what + " gb");
      }
      EXPECT_EQ(report->layers[1].zeros_after, 40);
      EXPECT_TRUE(report->layers[1].note.empty()) << report->layers[1].note;
      // MatMul B [K=10, N=12]: 2 full groups and a tail of 2 per column.
      expect_2of4(original.initializers.at("mb"), g.initializers.at("mb"), 1, 10, 12, what + " mb");
      EXPECT_EQ(report->layers[2].zeros_after, 12 * 4);
      EXPECT_EQ(test::run_graph(g, test::random_inputs(g, seed)).size(), 1u) << what;
    }
  }
}

TEST(Prune2of4, BatchedMatMulAndConstantLeftOperand) {
  ir::Graph g;
  g.opset_imports = {{"", 13}};
  g.inputs = {"x", "z"};
  g.value_info["x"] = {DType::kFloat32, Shape{2, 3, 8}, {}};
  g.value_info["z"] = {DType::kFloat32, Shape{12, 5}, {}};
  g.initializers["b"] = random_float({2, 8, 5}, 21);
  g.initializers["a"] = random_float({3, 12}, 22);
  g.nodes.push_back(make_node("mm_b", "MatMul", {"x", "b"}, {"y"}));
  g.nodes.push_back(make_node("mm_a", "MatMul", {"a", "z"}, {"y2"}));
  g.outputs = {"y", "y2"};
  const ir::Graph original = g;
  auto report = prune_weights(g, {.sparsity = 0.5, .pattern = PrunePattern::k2of4});
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  ASSERT_EQ(report->layers.size(), 2u);
  expect_2of4(original.initializers.at("b"), g.initializers.at("b"), 2, 8, 5, "batched b");
  expect_2of4(original.initializers.at("a"), g.initializers.at("a"), 3, 12, 1, "left a");
}

TEST(Prune2of4, ConvTransposeGroupsWithinEachGroup) {
  ir::Graph g;
  g.opset_imports = {{"", 13}};
  g.inputs = {"x"};
  g.value_info["x"] = {DType::kFloat32, Shape{1, 16, 4, 4}, {}};
  g.initializers["w"] = random_float({16, 3, 2, 2}, 31);  // C=16, groups 2: 8 per group
  ir::Node ct = make_node("ct", "ConvTranspose", {"x", "w"}, {"y"});
  ct.attributes.set("group", std::int64_t{2});
  g.nodes.push_back(ct);
  g.outputs = {"y"};
  const ir::Graph original = g;
  auto report = prune_weights(g, {.sparsity = 0.5, .pattern = PrunePattern::k2of4});
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  expect_2of4(original.initializers.at("w"), g.initializers.at("w"), 2, 8, 12, "convT");
  EXPECT_EQ(test::run_graph(g, test::random_inputs(g, 1)).size(), 1u);
}

TEST(PruneWeights, SharedWeightPrunedOnce) {
  ir::Graph g;
  g.opset_imports = {{"", 13}};
  g.inputs = {"x"};
  g.value_info["x"] = {DType::kFloat32, Shape{2, 16}, {}};
  g.initializers["m"] = random_float({16, 16}, 41);
  g.nodes.push_back(make_node("mm1", "MatMul", {"x", "m"}, {"a"}));
  g.nodes.push_back(make_node("mm2", "MatMul", {"a", "m"}, {"y"}));
  g.outputs = {"y"};
  const ir::Graph original = g;
  for (const PrunePattern pattern : {PrunePattern::kUnstructured, PrunePattern::k2of4}) {
    ir::Graph h = original;
    auto report = prune_weights(h, {.sparsity = 0.5, .pattern = pattern});
    ASSERT_TRUE(report.is_ok()) << report.status().to_string();
    ASSERT_EQ(report->layers.size(), 1u);
    EXPECT_EQ(report->layers[0].node, "mm1");
    EXPECT_NE(report->layers[0].note.find("shared by 2 nodes"), std::string::npos);
    EXPECT_EQ(report->layers[0].zeros_after, 128);
    if (pattern == PrunePattern::kUnstructured) {
      expect_magnitude_pruned(original.initializers.at("m"), h.initializers.at("m"), 0.5, "m");
    } else {
      expect_2of4(original.initializers.at("m"), h.initializers.at("m"), 1, 16, 16, "m");
    }
  }
  // Readers that disagree on the reduction layout: 2:4 skips the weight.
  ir::Graph mixed = original;
  ir::Node gemm = make_node("gemm", "Gemm", {"x", "m"}, {"y3"});
  gemm.attributes.set("transB", std::int64_t{1});
  mixed.nodes.push_back(gemm);
  mixed.outputs.push_back("y3");
  auto report = prune_weights(mixed, {.sparsity = 0.5, .pattern = PrunePattern::k2of4});
  ASSERT_TRUE(report.is_ok());
  EXPECT_TRUE(report->layers.empty());
  ASSERT_EQ(report->skipped.size(), 1u);
  EXPECT_EQ(values(mixed.initializers.at("m")), values(original.initializers.at("m")));
}

TEST(PruneWeights, WeightAlsoReadByOtherNodeIsSkipped) {
  ir::Graph g = model(3);
  g.nodes.push_back(make_node("add", "Add", {"mb", "mb"}, {"y2"}));
  g.outputs.push_back("y2");
  const ir::Graph original = g;
  auto report = prune_weights(g, {.sparsity = 0.5});
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(report->layers.size(), 2u);
  ASSERT_EQ(report->skipped.size(), 1u);
  EXPECT_EQ(report->skipped[0].first, "mb");
  EXPECT_NE(report->skipped[0].second.find("Add node 'add'"), std::string::npos)
      << report->skipped[0].second;
  EXPECT_EQ(values(g.initializers.at("mb")), values(original.initializers.at("mb")));
}

TEST(PruneWeights, ExcludedNodesByNameOrOpTypeStayDense) {
  const ir::Graph original = model(5);
  ir::Graph by_name = original;
  auto report = prune_weights(by_name, {.sparsity = 0.5, .exclude = {"conv"}});
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(report->layers.size(), 2u);
  EXPECT_EQ(values(by_name.initializers.at("w")), values(original.initializers.at("w")));
  EXPECT_NE(values(by_name.initializers.at("gb")), values(original.initializers.at("gb")));
  ASSERT_EQ(report->skipped.size(), 1u);
  EXPECT_NE(report->skipped[0].second.find("excluded"), std::string::npos);

  ir::Graph by_op = original;
  report = prune_weights(by_op, {.sparsity = 0.5, .exclude = {"Gemm", "MatMul"}});
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  ASSERT_EQ(report->layers.size(), 1u);
  EXPECT_EQ(report->layers[0].weight, "w");
  EXPECT_EQ(values(by_op.initializers.at("gb")), values(original.initializers.at("gb")));
  EXPECT_EQ(values(by_op.initializers.at("mb")), values(original.initializers.at("mb")));
}

// Reference for block pruning: the weight as the [rows, cols] view (element (r, c) at
// r * row_stride + c * col_stride) in br x bc blocks; the k blocks of smallest L2 norm (stable by
// block index) are all zero, the others unchanged.
void expect_blocks_pruned(const Tensor& before, const Tensor& after, std::int64_t rows,
                          std::int64_t cols, std::int64_t row_stride, std::int64_t col_stride,
                          std::int64_t br, std::int64_t bc, double sparsity,
                          const std::string& what) {
  const std::vector<float> w = values(before), p = values(after);
  const std::int64_t nbr = (rows + br - 1) / br, nbc = (cols + bc - 1) / bc;
  std::vector<double> norms(static_cast<std::size_t>(nbr * nbc), 0.0);
  auto at = [&](std::int64_t r, std::int64_t c) {
    return static_cast<std::size_t>(r * row_stride + c * col_stride);
  };
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) {
      const double v = w[at(r, c)];
      norms[static_cast<std::size_t>(r / br * nbc + c / bc)] += v * v;
    }
  }
  std::vector<std::int64_t> order(norms.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    return norms[static_cast<std::size_t>(a)] < norms[static_cast<std::size_t>(b)];
  });
  const auto k = std::llround(sparsity * static_cast<double>(norms.size()));
  std::vector<bool> pruned(norms.size(), false);
  for (std::int64_t j = 0; j < k; ++j) pruned[static_cast<std::size_t>(order[j])] = true;
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) {
      const bool zero = pruned[static_cast<std::size_t>(r / br * nbc + c / bc)];
      EXPECT_EQ(p[at(r, c)], zero ? 0.0f : w[at(r, c)]) << what << " (" << r << ", " << c << ")";
    }
  }
}

TEST(PruneBlocks, SmallestBlocksOfTheOutputsByReductionView) {
  for (const bool trans_b : {false, true}) {
    for (const double sparsity : {0.5, 0.8}) {
      const ir::Graph original = model(31, trans_b);
      ir::Graph g = original;
      auto report = prune_weights(g, {.sparsity = sparsity,
                                      .pattern = PrunePattern::kBlock,
                                      .block_rows = 4,
                                      .block_cols = 2});
      ASSERT_TRUE(report.is_ok()) << report.status().to_string();
      const std::string what =
          "transB " + std::to_string(trans_b) + " sparsity " + std::to_string(sparsity);
      ASSERT_EQ(report->layers.size(), 3u) << what;
      // Conv W [8, 6, 3, 3] as [8, 54].
      expect_blocks_pruned(original.initializers.at("w"), g.initializers.at("w"), 8, 54, 54, 1, 4,
                           2, sparsity, what + " w");
      // Gemm B as [N=10, K=8]: partial blocks in the last row of blocks.
      if (trans_b) {
        expect_blocks_pruned(original.initializers.at("gb"), g.initializers.at("gb"), 10, 8, 8, 1,
                             4, 2, sparsity, what + " gb");
      } else {
        expect_blocks_pruned(original.initializers.at("gb"), g.initializers.at("gb"), 10, 8, 1, 10,
                             4, 2, sparsity, what + " gb");
      }
      // MatMul B [K=10, N=12] as [12, 10].
      expect_blocks_pruned(original.initializers.at("mb"), g.initializers.at("mb"), 12, 10, 1, 12,
                           4, 2, sparsity, what + " mb");
      EXPECT_EQ(test::run_graph(g, test::random_inputs(g, 5)).size(), 1u) << what;
    }
  }
}

TEST(PruneBlocks, GroupedConvolutionsAndBatchedWeightsStayDense) {
  ir::Graph g;
  g.opset_imports = {{"", 13}};
  g.inputs = {"x", "z"};
  g.value_info["x"] = {DType::kFloat32, Shape{1, 4, 5, 5}, {}};
  g.value_info["z"] = {DType::kFloat32, Shape{2, 3, 8}, {}};
  g.initializers["dw"] = random_float({4, 1, 3, 3}, 41);
  ir::Node dw = make_node("depthwise", "Conv", {"x", "dw"}, {"y"});
  dw.attributes.set("group", std::int64_t{4});
  g.nodes.push_back(dw);
  g.initializers["bb"] = random_float({2, 8, 5}, 42);
  g.nodes.push_back(make_node("batched", "MatMul", {"z", "bb"}, {"y2"}));
  g.outputs = {"y", "y2"};
  const ir::Graph original = g;
  auto report = prune_weights(
      g, {.sparsity = 0.5, .pattern = PrunePattern::kBlock, .block_rows = 2, .block_cols = 1});
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_TRUE(report->layers.empty());
  ASSERT_EQ(report->skipped.size(), 2u);
  EXPECT_NE(report->skipped[0].second.find("grouped"), std::string::npos);
  EXPECT_NE(report->skipped[1].second.find("no matrix product"), std::string::npos);
  EXPECT_EQ(values(g.initializers.at("dw")), values(original.initializers.at("dw")));
  EXPECT_EQ(values(g.initializers.at("bb")), values(original.initializers.at("bb")));
}

TEST(PruneWeights, BadSparsityIsRejectedAndGraphUnchanged) {
  const ir::Graph original = model(9);
  for (const double bad : {-0.1, 1.0, 1.5, std::nan("")}) {
    ir::Graph g = original;
    auto report = prune_weights(g, {.sparsity = bad});
    ASSERT_FALSE(report.is_ok()) << bad;
    EXPECT_EQ(report.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(values(g.initializers.at("w")), values(original.initializers.at("w")));
  }
  ir::Graph g = original;
  auto report = prune_weights(g, {.sparsity = 0.6, .pattern = PrunePattern::k2of4});
  ASSERT_FALSE(report.is_ok());
  EXPECT_EQ(report.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(values(g.initializers.at("w")), values(original.initializers.at("w")));
  report = prune_weights(
      g, {.sparsity = 0.5, .pattern = PrunePattern::kBlock, .block_rows = 0, .block_cols = 1});
  ASSERT_FALSE(report.is_ok());
  EXPECT_EQ(report.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(values(g.initializers.at("w")), values(original.initializers.at("w")));
}

}  // namespace
}  // namespace edgebench::passes
