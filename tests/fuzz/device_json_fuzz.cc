// libFuzzer target: arbitrary bytes through the accelerator device reader (plan's
// parse_device_json, the in-memory entry behind --device FILE.json). Findings are crashes,
// sanitizer reports and broken invariants (abort): an accepted device keeps the limits the
// reader promises. Seeds: devices/*.json.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "edgebench/plan/device.h"
#include "invariant.h"

using edgebench::fuzz::broken;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto device = edgebench::plan::parse_device_json(text, "fuzz-input.json");
  if (!device.is_ok()) {
    if (device.status().message().find("fuzz-input.json") == std::string::npos) {
      broken("error message does not name the file");
    }
    return 0;
  }
  if (device->name.empty()) broken("a device without a name");
  if (device->param_cache_bytes > device->on_chip_bytes) {
    broken("parameter cache larger than the on-chip memory");
  }
  for (double v : {device->int8_macs_per_s, device->param_read_bytes_per_s, device->per_inference_s,
                   device->per_layer_s, device->link_bytes_per_s, device->link_latency_s,
                   device->host.macs_per_s, device->host.per_op_s}) {
    if (!std::isfinite(v) || v < 0) broken("a rate or cost that is negative or not finite");
  }
  return 0;
}
