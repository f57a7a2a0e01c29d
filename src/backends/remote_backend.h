// The remote proxy backend (internal to the backends module; make_backend hands it out).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "edgebench/backends/backend.h"

namespace edgebench::backends {

// `spec` is "tcp://HOST:PORT" or "tcp://HOST:PORT?token-file=PATH". Nothing connects until
// compile(); errors here are bad addresses and unreadable token files.
Result<std::unique_ptr<Backend>> make_remote_backend(std::string_view spec);

// `spec` is "sim:DEVICE" (a device name under devices/ or a device .json file): a modelled
// accelerator (sim_backend.cc).
Result<std::unique_ptr<Backend>> make_sim_backend(std::string_view spec);

// The runtimes reached through the Python target: onnxruntime, tflite, openvino, tvm.
const std::vector<std::string>& runtime_names();
// Whether `spec` names a runtime ("onnxruntime", "tflite?delegate=LIB", ...).
bool is_runtime_spec(std::string_view spec);
// `spec` is "RUNTIME" or "RUNTIME?K=V&K=V" (runtime_backend.cc). Checks the spec only; the
// Python target starts as a child process on loopback at the first compile() and stops when
// the backend and every executable it compiled are gone.
Result<std::unique_ptr<Backend>> make_runtime_backend(std::string_view spec);

}  // namespace edgebench::backends
