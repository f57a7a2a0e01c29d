#include <gtest/gtest.h>

#include <algorithm>

#include "edgebench/plan/planner.h"
#include "edgebench/plan/segment.h"
#include "plan/plan_test_util.h"

namespace edgebench::plan {
namespace {

using plan_test::dense_model;
using plan_test::test_device;

std::vector<const LayerPlan*> weighted_layers(const ModelPlan& p) {
  std::vector<const LayerPlan*> out;
  for (const LayerPlan& l : p.layers) {
    if (l.param_bytes > 0) out.push_back(&l);
  }
  return out;
}

TEST(PlanPlacement, WeightColumnsArePaddedAndBiasesNotCounted) {
  // 64 -> 4 x Dense(300) -> Dense(10): output columns padded to 64 (300 -> 320, 10 -> 64).
  const ir::Graph g = dense_model(300);
  auto p = plan_model({"dense300", &g}, test_device(), 1 << 20);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  const auto layers = weighted_layers(*p);
  ASSERT_EQ(layers.size(), 5u);
  EXPECT_EQ(layers[0]->param_bytes, 64u * 320);
  EXPECT_EQ(layers[1]->param_bytes, 300u * 320);
  EXPECT_EQ(layers[4]->param_bytes, 300u * 64);
  // The Edge TPU compiler reported exactly 0.3125 MiB for this model in the thesis sweep.
  EXPECT_EQ(p->on_chip_bytes, 327680u);
  EXPECT_EQ(p->off_chip_bytes, 0u);
  EXPECT_TRUE(p->planned_as_int8);  // the generator writes float32 weights
  // Padded MACs count the idle columns of the array.
  EXPECT_EQ(layers[1]->macs, 300u * 300);
  EXPECT_EQ(layers[1]->padded_macs, 300u * 320);
}

TEST(PlanPlacement, WholeLayersInExecutionOrderFirstFit) {
  // Layers: 40960, 384000, 384000, 384000, 38400 bytes; cache 1 MiB = 1048576.
  const ir::Graph g = dense_model(600);
  auto p = plan_model({"dense600", &g}, test_device(), 1 << 20);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  const auto layers = weighted_layers(*p);
  ASSERT_EQ(layers.size(), 5u);
  EXPECT_EQ(layers[0]->placement, Placement::kOnChip);
  EXPECT_EQ(layers[1]->placement, Placement::kOnChip);
  EXPECT_EQ(layers[2]->placement, Placement::kOnChip);
  EXPECT_EQ(layers[3]->placement, Placement::kOffChip);  // would pass the cache: streamed whole
  EXPECT_EQ(layers[4]->placement, Placement::kOnChip);   // the small last layer still fits
  EXPECT_EQ(p->on_chip_bytes, 40960u + 2 * 384000 + 38400);
  EXPECT_EQ(p->off_chip_bytes, 384000u);
}

TEST(PlanPlacement, SpillStartsWhenTheModelNoLongerFits) {
  const Device d = test_device();
  std::int64_t first_spill = 0;
  for (std::int64_t n = 100; n <= 1000; n += 20) {
    const ir::Graph g = dense_model(n);
    auto p = plan_model({"dense", &g}, d, d.param_cache_bytes);
    ASSERT_TRUE(p.is_ok());
    const std::uint64_t total = p->on_chip_bytes + p->off_chip_bytes;
    EXPECT_LE(p->on_chip_bytes, d.param_cache_bytes) << "N " << n;
    if (total <= d.param_cache_bytes) {
      EXPECT_EQ(p->off_chip_bytes, 0u) << "N " << n;
    } else {
      EXPECT_GT(p->off_chip_bytes, 0u) << "N " << n;
      if (first_spill == 0) first_spill = n;
    }
  }
  // 64*pad(N) + 3N*pad(N) + 64N passes 1 MiB between N = 560 (1040384) and N = 580 (1191680).
  EXPECT_EQ(first_spill, 580);
}

TEST(PlanCoCompilation, FirstModelHasPriorityLaterOnesGetWhatIsLeft) {
  const Device d = test_device();
  const ir::Graph a = dense_model(300);  // 327680 bytes
  const ir::Graph b = dense_model(600);  // 1231360 bytes
  auto ab = co_compile({{"a", &a}, {"b", &b}}, d);
  ASSERT_TRUE(ab.is_ok()) << ab.status().to_string();
  EXPECT_EQ((*ab)[0].cache_available_bytes, 1u << 20);
  EXPECT_EQ((*ab)[0].on_chip_bytes, 327680u);
  EXPECT_EQ((*ab)[1].cache_available_bytes, (1u << 20) - 327680);
  EXPECT_EQ((*ab)[1].on_chip_bytes, 40960u + 384000 + 38400);
  EXPECT_EQ((*ab)[1].off_chip_bytes, 2u * 384000);

  auto ba = co_compile({{"b", &b}, {"a", &a}}, d);
  ASSERT_TRUE(ba.is_ok());
  EXPECT_EQ((*ba)[0].on_chip_bytes, 847360u);
  EXPECT_EQ((*ba)[1].on_chip_bytes, 20480u + 96000 + 19200);
  EXPECT_EQ((*ba)[1].off_chip_bytes, 2u * 96000);
  EXPECT_LE((*ba)[0].on_chip_bytes + (*ba)[1].on_chip_bytes, d.param_cache_bytes);

  auto alone = compile_separately({{"a", &a}, {"b", &b}}, d);
  ASSERT_TRUE(alone.is_ok());
  EXPECT_EQ((*alone)[1].cache_available_bytes, 1u << 20);
  EXPECT_EQ((*alone)[1].on_chip_bytes, 847360u);
}

TEST(PlanMapping, UnmappedOpsSplitOrCutTheModel) {
  Device d = test_device();
  d.mapped_ops.erase("Tanh");
  const ir::Graph g = dense_model(100);  // Gemm Tanh Gemm Tanh Gemm Tanh Gemm Tanh Gemm

  d.partition = Partition::kSplit;
  auto split = plan_model({"m", &g}, d, d.param_cache_bytes);
  ASSERT_TRUE(split.is_ok());
  EXPECT_EQ(split->subgraphs.size(), 5u);
  EXPECT_EQ(split->mapped_ops, 5u);
  EXPECT_EQ(split->unmapped_ops, 4u);
  for (const LayerPlan& l : split->layers) {
    if (l.op_type != "Tanh") continue;
    EXPECT_FALSE(l.mapped);
    EXPECT_NE(l.reason.find("op type Tanh has no test-tpu kernel"), std::string::npos);
    EXPECT_EQ(l.placement, Placement::kHost);
  }
  // Each subgraph takes its input over the link and sends its output back: 64 in, 100 int8
  // values between layers, 10 out.
  EXPECT_EQ(split->subgraphs.front().input_bytes, 64u);
  EXPECT_EQ(split->subgraphs.front().output_bytes, 100u);
  EXPECT_EQ(split->subgraphs.back().output_bytes, 10u);

  d.partition = Partition::kPrefix;
  auto prefix = plan_model({"m", &g}, d, d.param_cache_bytes);
  ASSERT_TRUE(prefix.is_ok());
  EXPECT_EQ(prefix->subgraphs.size(), 1u);
  EXPECT_EQ(prefix->mapped_ops, 1u);
  EXPECT_EQ(prefix->unmapped_ops, 8u);
  EXPECT_NE(prefix->layers.back().reason.find("cuts the graph only once"), std::string::npos);
  // Host layers keep their parameters in host memory: neither on nor off chip.
  EXPECT_EQ(prefix->on_chip_bytes, 64u * 128);
  EXPECT_EQ(prefix->off_chip_bytes, 0u);
}

TEST(PlanLatency, WarmAndFirstFollowTheDeviceModel) {
  Device d = test_device();
  d.activation_elements_per_s = 1e9;
  d.link_output_bytes_per_s = 5e7;
  d.interval_low = -0.1;
  d.interval_high = 0.25;
  d.interval_coverage = 0.9;
  const ir::Graph g = dense_model(600);
  auto p = plan_model({"m", &g}, d, d.param_cache_bytes);
  ASSERT_TRUE(p.is_ok());
  // The header's formula, recomputed from the layers.
  double compute = 0;
  double streaming = 0;
  for (const LayerPlan& l : p->layers) {
    const double work = static_cast<double>(l.padded_macs) / d.int8_macs_per_s +
                        static_cast<double>(l.output_elements) / d.activation_elements_per_s;
    if (l.placement == Placement::kOffChip) {
      streaming += d.per_layer_s + d.link_latency_s + work +
                   static_cast<double>(l.param_bytes) / d.link_bytes_per_s;
    } else {
      compute +=
          d.per_layer_s + work + static_cast<double>(l.param_bytes) / d.param_read_bytes_per_s;
    }
  }
  // 64 bytes in over the link, 10 out at the output rate.
  const double io = 2 * d.link_latency_s + 64.0 / d.link_bytes_per_s + 10.0 / 5e7;
  EXPECT_NEAR(p->latency.warm_s(), d.per_inference_s + io + compute + streaming, 1e-12);
  EXPECT_NEAR(p->latency.first_s() - p->latency.warm_s(),
              d.link_latency_s + static_cast<double>(p->on_chip_bytes) / d.link_bytes_per_s, 1e-12);
  // Streaming one 384000-byte layer over a 100 MB/s link dominates: about 3.84 ms.
  EXPECT_GT(p->latency.streaming_s, 3.8e-3);
  EXPECT_LT(p->latency.streaming_s, 3.9e-3);
  // The interval is the device file's, around the warm latency.
  EXPECT_NEAR(p->latency.warm_low_s(), 0.9 * p->latency.warm_s(), 1e-15);
  EXPECT_NEAR(p->latency.warm_high_s(), 1.25 * p->latency.warm_s(), 1e-15);
  // The terms the fit reads add up to the same latency.
  const LatencyTerms& t = p->terms;
  EXPECT_EQ(t.device_subgraphs, 1u);
  EXPECT_EQ(t.mapped_ops, p->mapped_ops);
  EXPECT_EQ(t.on_chip_bytes + t.streamed_bytes, p->on_chip_bytes + p->off_chip_bytes);
  EXPECT_EQ(t.streamed_layers, 1u);
  EXPECT_EQ(t.io_bytes, 74u);
  EXPECT_EQ(t.output_bytes, 10u);
  const double from_terms =
      d.per_inference_s + d.link_latency_s * static_cast<double>(2 + t.streamed_layers) +
      d.per_layer_s * static_cast<double>(t.mapped_ops) +
      static_cast<double>(t.padded_macs) / d.int8_macs_per_s +
      static_cast<double>(t.output_elements) / d.activation_elements_per_s +
      static_cast<double>(t.on_chip_bytes) / d.param_read_bytes_per_s +
      static_cast<double>(t.io_bytes - t.output_bytes + t.streamed_bytes) / d.link_bytes_per_s +
      static_cast<double>(t.output_bytes) / d.link_output_bytes_per_s;
  EXPECT_NEAR(p->latency.warm_s(), from_terms, 1e-12);
}

TEST(PlanLatency, ChannelsArePaddedToTheArraysTile) {
  Device d = test_device();
  d.input_channel_alignment = 8;
  // 64 -> 4 x Dense(100) -> Dense(10): the first layer is 64 x 100 (64 in, already a multiple
  // of 8; 100 out padded to 128), the hidden ones 100 x 100 (in 100 -> 104, out -> 128), the
  // last 100 x 10 (in -> 104, out -> 64).
  const ir::Graph g = dense_model(100);
  auto p = plan_model({"m", &g}, d, d.param_cache_bytes);
  ASSERT_TRUE(p.is_ok());
  std::vector<std::uint64_t> padded;
  std::vector<std::uint64_t> outputs;
  for (const LayerPlan& l : p->layers) {
    if (l.param_bytes == 0) continue;
    padded.push_back(l.padded_macs);
    outputs.push_back(l.output_elements);
  }
  EXPECT_EQ(padded,
            (std::vector<std::uint64_t>{64 * 128, 104 * 128, 104 * 128, 104 * 128, 104 * 64}));
  EXPECT_EQ(outputs, (std::vector<std::uint64_t>{100, 100, 100, 100, 10}));
  // Without the input tile only the output channels are padded.
  d.input_channel_alignment = 1;
  auto q = plan_model({"m", &g}, d, d.param_cache_bytes);
  ASSERT_TRUE(q.is_ok());
  EXPECT_EQ(q->terms.padded_macs, 64u * 128 + 3 * 100 * 128 + 100 * 64);
  EXPECT_GT(p->latency.compute_s, q->latency.compute_s);
}

TEST(PlanLatency, TheLinksEffectiveBandwidthGrowsWithTheTransferSize) {
  // A transfer costs link_latency + bytes / link_bw: small layers pay mostly the latency, large
  // ones approach the link's bandwidth.
  Device d = test_device();
  d.param_cache_bytes = 1;  // every layer streams
  d.link_latency_s = 1e-3;
  double previous_rate = 0;
  for (std::int64_t n : {64, 256, 1024}) {
    const ir::Graph g = dense_model(n, 1);
    auto p = plan_model({"m", &g}, d, d.param_cache_bytes);
    ASSERT_TRUE(p.is_ok());
    for (const LayerPlan& l : p->layers) {
      if (l.placement != Placement::kOffChip) continue;
      const double link_time =
          l.time_s - d.per_layer_s - static_cast<double>(l.padded_macs) / d.int8_macs_per_s;
      EXPECT_NEAR(link_time,
                  d.link_latency_s + static_cast<double>(l.param_bytes) / d.link_bytes_per_s,
                  1e-12);
    }
    const double rate =
        static_cast<double>(p->terms.streamed_bytes) /
        (p->latency.streaming_s - static_cast<double>(p->terms.streamed_layers) * d.per_layer_s);
    EXPECT_GT(rate, previous_rate) << n;
    EXPECT_LT(rate, d.link_bytes_per_s) << n;
    previous_rate = rate;
  }
}

TEST(PlanPipeline, HostCostsPerStageAndPerStreamedLayer) {
  Device d = test_device();
  d.pipeline_per_stage_s = 2e-4;
  d.pipeline_per_streamed_layer_s = 1e-3;
  const ir::Graph g = dense_model(800);
  SegmentationOptions options;
  options.segments = 2;
  options.strategy = SegmentStrategy::kManual;
  options.cuts = {4};
  auto seg = segment_model(g, d, options);
  ASSERT_TRUE(seg.is_ok()) << seg.status().to_string();
  ASSERT_EQ(seg->segments.size(), 2u);
  double sum = 0;
  double slowest = 0;
  std::uint64_t streamed = 0;
  for (const Segment& s : seg->segments) {
    const double w =
        s.plan.latency.warm_s() + 1e-3 * static_cast<double>(s.plan.terms.streamed_layers);
    sum += w;
    slowest = std::max(slowest, w);
    streamed += s.plan.terms.streamed_layers;
  }
  EXPECT_GT(streamed, 0u);  // the 1 MiB test cache cannot hold both 800 x 800 layers of the second
  EXPECT_NEAR(pipeline_latency_s(*seg, d, 1), sum + 2 * 2e-4, 1e-12);
  EXPECT_NEAR(pipeline_latency_s(*seg, d, 50), std::max(2 * 2e-4, slowest + 2e-4) * 51 / 50, 1e-12);
  // A host that costs more than a stage is the bottleneck of a full pipeline.
  d.pipeline_per_stage_s = 1.0;
  EXPECT_NEAR(pipeline_latency_s(*seg, d, 50), 2.0 * 51 / 50, 1e-9);
}

TEST(PlanLatency, BiggerModelsAreNeverFaster) {
  const Device d = test_device();
  double previous = 0;
  for (std::int64_t n = 100; n <= 1200; n += 100) {
    const ir::Graph g = dense_model(n);
    auto p = plan_model({"m", &g}, d, d.param_cache_bytes);
    ASSERT_TRUE(p.is_ok());
    EXPECT_GE(p->latency.warm_s(), previous) << "N " << n;
    previous = p->latency.warm_s();
  }
}

}  // namespace
}  // namespace edgebench::plan
