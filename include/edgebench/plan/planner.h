// The compile planner: which ops map to a device, where each layer's parameters live (on-chip
// cache or streamed over the host link), how the model splits into device subgraphs, and the
// predicted latency of the first and of later inferences.
//
// Rules (those of the Edge TPU compiler, as its reports and the measured data show them):
//  - The device runs int8 only. Float models are planned as if quantized to int8 (1 byte per
//    weight and per activation element); for them "mapped" means "would map once quantized".
//  - A layer's weights are stored with their output-channel dimension padded to the device's
//    column alignment. Per-channel vectors (biases, scales) travel with the instructions and are
//    not counted in the parameter cache (the dense sweep's reported bytes match exactly so).
//  - Parameters are placed whole layer by whole layer, in execution order: a layer that does
//    not fit in what is left of the cache is streamed from host memory on every inference,
//    and later, smaller layers may still take the space that is left (first fit).
//  - Co-compiled models share one caching token: the first model gets the whole cache, each
//    later one what its predecessors left. Separately compiled models each get the whole cache
//    but reload it whenever another model ran in between.
//
// Latency model (every term a device property from device.h; linear in the inverse rates and
// the fixed costs, so tools/fit_device_model.py fits them by least squares):
//   warm  = per_inference + sum over device subgraphs [2 x link_latency + input_bytes / link_bw
//                                                      + output_bytes / link_output_bw]
//         + sum over mapped ops [per_layer]
//         + sum over weight layers [padded_macs / mac_rate + output_elements / activation_rate]
//         + sum over on-chip layers [weight_bytes / param_read_bw]
//         + sum over streamed layers [link_latency + streamed_bytes / link_bw]
//         + sum over host ops [host.per_op + macs / host.macs_per_s]
//   first = warm + link_latency + on_chip_bytes / link_bw   (the cache is loaded first)
// "Padded MACs" count the array's idle rows and columns: MACs x padded_out / out x padded_in /
// in, output channels padded to column_alignment and input channels to
// input_channel_alignment. A transfer of B bytes takes link_latency + B / link_bw, so the
// link's effective bandwidth grows with the transfer size and saturates at link_bw.
// The warm latency carries the device file's interval: warm x (1 + interval_low .. high).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/ir/graph.h"
#include "edgebench/plan/device.h"

namespace edgebench::plan {

enum class Placement { kHost, kOnChip, kOffChip, kNoParams };

struct LayerPlan {
  std::size_t node_index = 0;
  std::string name;
  std::string op_type;
  bool mapped = false;
  std::string reason;             // why not mapped ("" when mapped)
  int subgraph = -1;              // device subgraph index, -1 on the host
  std::uint64_t param_bytes = 0;  // as stored on the device (int8, columns padded)
  Placement placement = Placement::kHost;
  std::uint64_t macs = 0;
  std::uint64_t padded_macs = 0;
  std::uint64_t output_elements = 0;  // weight layers: elements of the outputs they write
  double time_s = 0;                  // this op's share of a warm inference
};

struct LatencyBreakdown {
  double per_inference_s = 0;
  double io_s = 0;          // subgraph inputs and outputs over the link
  double compute_s = 0;     // mapped ops with on-chip (or no) parameters
  double streaming_s = 0;   // layers whose parameters are streamed every inference
  double host_s = 0;        // unmapped ops on the host CPU
  double cache_load_s = 0;  // loading the on-chip parameters (first inference, reloads)

  // The warm latency's interval, relative (from the device file's fit; 0 when it has none).
  double interval_low = 0;
  double interval_high = 0;
  double interval_coverage = 0;

  double warm_s() const { return per_inference_s + io_s + compute_s + streaming_s + host_s; }
  double first_s() const { return warm_s() + cache_load_s; }
  double warm_low_s() const { return warm_s() * (1 + interval_low); }
  double warm_high_s() const { return warm_s() * (1 + interval_high); }
};

// The quantities a warm inference's latency is linear in (the fit's features).
struct LatencyTerms {
  std::uint64_t device_subgraphs = 0;
  std::uint64_t mapped_ops = 0;
  std::uint64_t padded_macs = 0;      // weight layers on the device
  std::uint64_t output_elements = 0;  // written by weight layers on the device
  std::uint64_t on_chip_bytes = 0;    // weights read from the parameter cache
  std::uint64_t streamed_bytes = 0;   // weights streamed over the link every inference
  std::uint64_t streamed_layers = 0;
  std::uint64_t io_bytes = 0;      // subgraph inputs and outputs over the link
  std::uint64_t output_bytes = 0;  // the outputs among them (device -> host)
};

struct SubgraphPlan {
  std::vector<std::size_t> layers;  // indices into ModelPlan::layers
  std::uint64_t input_bytes = 0;
  std::uint64_t output_bytes = 0;
};

struct ModelPlan {
  std::string name;
  bool planned_as_int8 = false;             // the model has float weights or activations
  std::uint64_t cache_available_bytes = 0;  // what the cache offered this model
  std::uint64_t on_chip_bytes = 0;
  std::uint64_t off_chip_bytes = 0;
  std::uint64_t mapped_ops = 0;
  std::uint64_t unmapped_ops = 0;
  std::vector<LayerPlan> layers;  // in execution order
  std::vector<SubgraphPlan> subgraphs;
  LatencyBreakdown latency;
  LatencyTerms terms;
};

// One model to plan: a graph whose value_info carries concrete shapes (engine::annotate_types)
// and a display name. The graph must outlive the call.
struct PlanInput {
  std::string name;
  const ir::Graph* graph = nullptr;
};

// Plans one model with `cache_bytes` of parameter cache available to it.
Result<ModelPlan> plan_model(const PlanInput& input, const Device& device,
                             std::uint64_t cache_bytes);

// Plans models co-compiled in the given order (the first has priority; each later one gets the
// cache its predecessors left).
Result<std::vector<ModelPlan>> co_compile(const std::vector<PlanInput>& inputs,
                                          const Device& device);

// Plans each model alone (each gets the whole cache).
Result<std::vector<ModelPlan>> compile_separately(const std::vector<PlanInput>& inputs,
                                                  const Device& device);

// The axis of the output channels of weight input `input_index` (of rank `rank`) of `node`, so
// that it can be padded; -1 when that input is not a weight of that op.
int weight_output_axis(const ir::Node& node, std::size_t input_index, int rank);

// The axis of the input channels of that weight (padded to input_channel_alignment); -1 when
// that input is not a weight of that op.
int weight_input_axis(const ir::Node& node, std::size_t input_index, int rank);

std::string_view placement_name(Placement p);

}  // namespace edgebench::plan
