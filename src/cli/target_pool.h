// run-experiment --targets POOL: the targets an experiment's "pool" cells run on.
//
// A pool file lists one target per line, a backend spec and then labels:
//
//   # board targets (edgebench-target or the Python target on a board)
//   tcp://10.0.0.21:7000  board=rpi4 runtime=native
//   tcp://10.0.0.22:7000  board=rpi4 runtime=native
//   tcp://10.0.0.30:7000  board=coral accel=edgetpu runtime=tflite
//   onnxruntime?threads=1 host=lab-1 runtime=onnxruntime   # a runtime on this host
//   sim:edgetpu-usb3      accel=edgetpu                      # a modelled device
//
// '#' starts a comment. An experiment backend "pool" runs on any target; "pool:K=V,K=V" on the
// targets whose labels hold every K=V. Each target runs one cell at a time.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"

namespace edgebench::cli {

struct PoolTarget {
  std::string spec;                           // a --backend value: tcp://..., RUNTIME?..., sim:...
  std::map<std::string, std::string> labels;  // KEY=VALUE
  std::size_t line = 0;                       // in the pool file
};

// Reads a pool file. Errors name the file and line: an unknown backend scheme, a label that is
// not KEY=VALUE, the same target twice, no target at all.
Result<std::vector<PoolTarget>> read_target_pool(const std::string& path);

// Whether `backend` is an experiment's pool selector ("pool" or "pool:K=V,...").
bool is_pool_selector(std::string_view backend);
// The labels a pool selector asks for; an error for a malformed one.
Result<std::map<std::string, std::string>> pool_selector_labels(std::string_view backend);
// Whether the target's labels hold every wanted K=V.
bool pool_target_matches(const PoolTarget& target,
                         const std::map<std::string, std::string>& wanted);
// Whether a target still answers: a TCP connection to a tcp:// target within timeout_ms (other
// targets run on this host and are always there).
bool pool_target_reachable(const PoolTarget& target, int timeout_ms);

}  // namespace edgebench::cli
