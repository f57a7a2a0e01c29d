#include "edgebench/gen/generators.h"

#include <gtest/gtest.h>

#include <cstring>

#include "edgebench/engine/plan.h"
#include "edgebench/ir/stats.h"
#include "edgebench/onnx/model_io.h"

namespace edgebench::gen {
namespace {

std::uint64_t inferred_macs(const ir::Graph& graph) {
  auto types = engine::infer_types(graph, engine::builtin_registry(), {});
  EXPECT_TRUE(types.is_ok()) << types.status().to_string();
  if (!types.is_ok()) return 0;
  ir::Graph annotated = graph;
  engine::annotate_types(annotated, *types);
  return ir::compute_stats(annotated).macs_total;
}

TEST(Generators, ConvMacsMatchTheThesisFormula) {
  // 64x64x3 input, 5 layers of F 3x3 filters: 64^2 * 9 * (3F + 4F^2).
  for (std::int64_t f : {32, 42, 202}) {
    ConvSpec spec;
    spec.filters = f;
    auto g = generate_conv(spec);
    ASSERT_TRUE(g.is_ok()) << g.status().to_string();
    const std::uint64_t expected = 64u * 64 * 9 * static_cast<std::uint64_t>(3 * f + 4 * f * f);
    EXPECT_EQ(conv_macs(spec), expected) << "F=" << f;
    EXPECT_EQ(inferred_macs(*g), expected) << "F=" << f;
  }
}

TEST(Generators, DenseMacsMatchTheThesisFormula) {
  // 64 inputs -> 4 x Dense(N) -> Dense(10): N * (64 + 10 + 3N).
  for (std::int64_t n : {100, 140, 2620}) {
    DenseSpec spec;
    spec.neurons = n;
    auto g = generate_dense(spec);
    ASSERT_TRUE(g.is_ok()) << g.status().to_string();
    const auto expected = static_cast<std::uint64_t>(n * (64 + 10 + 3 * n));
    EXPECT_EQ(dense_macs(spec), expected) << "N=" << n;
    EXPECT_EQ(inferred_macs(*g), expected) << "N=" << n;
  }
}

TEST(Generators, SameSeedSameWeightsOtherSeedOtherWeights) {
  ConvSpec spec;
  spec.filters = 4;
  spec.layers = 2;
  spec.input_size = 8;
  auto a = generate_conv(spec), b = generate_conv(spec);
  spec.seed = 1;
  auto c = generate_conv(spec);
  const Tensor& wa = a->initializers.at("conv0.weight");
  const Tensor& wb = b->initializers.at("conv0.weight");
  const Tensor& wc = c->initializers.at("conv0.weight");
  EXPECT_EQ(std::memcmp(wa.raw_data(), wb.raw_data(), wa.byte_size()), 0);
  EXPECT_NE(std::memcmp(wa.raw_data(), wc.raw_data(), wa.byte_size()), 0);
}

TEST(Generators, ExportedModelsPassTheCheckerAndReimport) {
  ConvSpec conv;
  conv.filters = 8;
  conv.layers = 2;
  conv.input_size = 16;
  conv.activation = "relu6";
  DenseSpec dense;
  dense.neurons = 16;
  for (auto g : {generate_conv(conv), generate_dense(dense)}) {
    ASSERT_TRUE(g.is_ok());
    auto bytes = onnx::export_model(*g);
    ASSERT_TRUE(bytes.is_ok()) << bytes.status().to_string();
    auto back =
        onnx::import_model(std::as_bytes(std::span(bytes->data(), bytes->size())), "", "generated");
    ASSERT_TRUE(back.is_ok()) << back.status().to_string();
    EXPECT_EQ(back->nodes.size(), g->nodes.size());
    EXPECT_EQ(inferred_macs(*back), inferred_macs(*g));
  }
}

TEST(Generators, RejectBadSpecs) {
  ConvSpec conv;
  conv.kernel = 2;
  EXPECT_FALSE(generate_conv(conv).is_ok());
  conv.kernel = 3;
  conv.activation = "swishy";
  EXPECT_FALSE(generate_conv(conv).is_ok());
  DenseSpec dense;
  dense.layers = 0;
  EXPECT_FALSE(generate_dense(dense).is_ok());
}

}  // namespace
}  // namespace edgebench::gen
