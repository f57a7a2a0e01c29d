// Accelerator device descriptions: the few physical properties the planner's model needs.
//
// A device is read from a JSON file (schema "edgebench.device/1"; docs/devices.md lists every
// field and its unit). Every figure is a property of the hardware or of its host link, not a
// table of measured points: the parameter cache the compiler may fill, the width that weight
// columns are padded to, the sustained int8 MAC rate, the on-chip parameter read bandwidth, the
// host link's bandwidth and per-transfer latency, fixed costs per inference and per layer, the
// op types that map to the device, and the host CPU that runs what does not map.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"

namespace edgebench::plan {

// How unmapped ops split a model. kPrefix: the vendor compiler cuts the graph once, at the first
// unmapped op, and everything after it runs on the host. kSplit: every maximal run of mapped
// ops (in execution order) becomes its own device subgraph.
enum class Partition { kPrefix, kSplit };

struct HostCpu {
  double macs_per_s = 5e9;  // float32 MACs per second of one host thread
  double per_op_s = 5e-6;   // dispatch cost of one host op
};

struct Device {
  std::string name;
  std::string description;
  std::string path;  // file it came from ("" when parsed from text)

  // On-chip memory and the part of it the compiler fills with parameters (the rest holds
  // instructions and activations).
  std::uint64_t on_chip_bytes = 0;
  std::uint64_t param_cache_bytes = 0;
  // Weights are stored with their output-channel dimension padded to a multiple of this (the
  // width of the MAC array).
  std::int64_t column_alignment = 1;

  // Weights are also padded along their input-channel dimension to a multiple of this (the
  // depth of the array's tile); optional, default 1.
  std::int64_t input_channel_alignment = 1;

  double int8_macs_per_s = 0;         // sustained MAC rate of the array on padded work
  double param_read_bytes_per_s = 0;  // on-chip parameter memory -> array
  // Output activation elements a weight layer writes per second (0: no such term); optional.
  double activation_elements_per_s = 0;
  double per_inference_s = 0;  // fixed cost of one invoke (driver, host side)
  double per_layer_s = 0;      // fixed cost of each mapped op

  std::string link_kind;        // "usb2", "usb3", "pcie", ... (informative)
  double link_bytes_per_s = 0;  // effective host-link bandwidth
  double link_latency_s = 0;    // per transfer (each direction, each streamed layer)
  // Device -> host bandwidth for subgraph outputs (read back and handed to the caller); 0: the
  // same as link_bytes_per_s. Optional.
  double link_output_bytes_per_s = 0;

  // Several devices driven as a pipeline by one host (optional; 0 when not described): the
  // host's cost per stage and inference, and the extra cost of each streamed layer there.
  double pipeline_per_stage_s = 0;
  double pipeline_per_streamed_layer_s = 0;

  // The interval printed with every predicted latency: warm x (1 + low) .. warm x (1 + high),
  // relative bounds taken from the cross-validated residuals of the fit that set the figures
  // (tools/fit_device_model.py); `interval_coverage` is the share of held-out points inside.
  // All 0 when the file carries no fit.
  double interval_low = 0;
  double interval_high = 0;
  double interval_coverage = 0;

  std::vector<std::string> dtypes;                // element types the device runs
  std::set<std::string, std::less<>> mapped_ops;  // ONNX op types that map
  Partition partition = Partition::kPrefix;
  HostCpu host;

  bool maps_op(std::string_view op_type) const { return mapped_ops.count(op_type) != 0; }
};

// Parses a device description. `origin` names the text in error messages (a file path).
// Unknown fields are errors (a typo must not silently fall back to a default); every error
// names the origin and the field.
Result<Device> parse_device_json(std::string_view text, const std::string& origin);

// Reads and parses one device file.
Result<Device> load_device_file(const std::string& path);

// Folders searched for DEVICE.json, in order: $EDGEBENCH_DEVICE_PATH (colon-separated), the
// source tree's devices/ folder, and ../share/edgebench/devices next to the executable.
std::vector<std::string> device_search_dirs();

// A device by name (looked up as NAME.json in `search_dirs`) or by path (anything that ends in
// .json or contains a '/'). An unknown name lists the devices that exist.
Result<Device> find_device(const std::string& name_or_path,
                           const std::vector<std::string>& search_dirs);

// Names of the devices found in `search_dirs` (sorted, without duplicates).
std::vector<std::string> list_devices(const std::vector<std::string>& search_dirs);

}  // namespace edgebench::plan
