// The remote proxy backend (internal to the backends module; make_backend hands it out).
#pragma once

#include <memory>
#include <string_view>

#include "edgebench/backends/backend.h"

namespace edgebench::backends {

// `spec` is "tcp://HOST:PORT" or "tcp://HOST:PORT?token-file=PATH". Nothing connects until
// compile(); errors here are bad addresses and unreadable token files.
Result<std::unique_ptr<Backend>> make_remote_backend(std::string_view spec);

// `spec` is "sim:DEVICE" (a device name under devices/ or a device .json file): a modelled
// accelerator (sim_backend.cc).
Result<std::unique_ptr<Backend>> make_sim_backend(std::string_view spec);

}  // namespace edgebench::backends
