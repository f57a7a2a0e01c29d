// Segmentation: a model cut into N consecutive segments, one per device of a pipeline (the
// thesis's multi-TPU experiments; the vendor compiler's --num_segments).
//
// Strategies:
//  - parameters: balanced parameter bytes (the vendor compiler's default): cut k goes where
//    the running sum of parameter bytes first reaches k/N of the total;
//  - latency: bisection on a latency target T over per-node costs (the device model's time of
//    each op with its parameters on chip, or costs the caller profiled, e.g. measured on the
//    native engine): each of the first N-1 segments takes the longest run of ops whose cost
//    stays under T, the last takes the rest; T moves down when the last segment fits and up
//    when it does not, and the search stops when the slowest and the fastest segment differ by
//    less than the threshold (relative) or T stops moving;
//  - exhaustive: every placement of the N-1 cuts (when there are at most `exhaustive_limit`),
//    each segment planned on its own device; the one whose slowest segment is fastest wins.
// Every segment is then planned on its own device (its own parameter cache).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/ir/graph.h"
#include "edgebench/plan/device.h"
#include "edgebench/plan/planner.h"

namespace edgebench::plan {

enum class SegmentStrategy { kParameters, kLatency, kExhaustive, kManual };

Result<SegmentStrategy> parse_segment_strategy(const std::string& name);
std::string segment_strategy_name(SegmentStrategy s);

struct SegmentationOptions {
  std::size_t segments = 2;
  SegmentStrategy strategy = SegmentStrategy::kParameters;
  std::vector<double> node_costs;  // latency: per-node cost (s); empty: the device model's
  std::vector<std::size_t> cuts;   // manual: the first node of segments 2..N
  double threshold = 0.05;         // latency: relative spread at which the bisection stops
  std::uint64_t exhaustive_limit = 20000;
};

struct Segment {
  std::size_t begin = 0, end = 0;  // node range [begin, end) in execution order
  ir::Graph graph;                 // the segment as a model of its own
  ModelPlan plan;                  // planned alone on one device
  std::uint64_t param_bytes = 0;
  std::uint64_t input_bytes = 0;   // what crosses the cut into it
  std::uint64_t output_bytes = 0;  // what it hands on
  double cost_s = 0;               // the strategy's cost of this segment (latency: node costs)
};

struct Segmentation {
  SegmentStrategy strategy = SegmentStrategy::kParameters;
  std::vector<Segment> segments;
  int iterations = 0;             // latency: bisection steps; exhaustive: candidates tried
  double slowest_warm_s() const;  // the pipeline's bottleneck, per the device model
  double total_warm_s() const;    // one input through every segment in turn
};

// The latency of a pipeline of the segments, one device each, driven by one host (the
// device's pipeline_* figures: a host cost h per stage and inference, an extra cost x per
// streamed layer). With w_k = warm_k + x * streamed_layers_k:
//   batch 1 (one input through every stage in turn):  sum_k w_k + K x h
//   batch B > 1 (per inference, B inputs in flight):   max(K x h, max_k w_k + h) x (B+K-1) / B
double pipeline_latency_s(const Segmentation& segmentation, const Device& device,
                          std::size_t batch);

// `graph`: nodes in execution (topological) order and value_info annotated with concrete
// shapes (engine::annotate_types). Errors: fewer nodes than segments, bad manual cuts.
Result<Segmentation> segment_model(const ir::Graph& graph, const Device& device,
                                   const SegmentationOptions& options);

// Bytes of the named values (from value_info; 0 for unknown shapes).
std::uint64_t value_bytes(const ir::Graph& graph, const std::vector<std::string>& names);

}  // namespace edgebench::plan
