// Describes the machine a result was measured on (for the result record's `host`).
#pragma once

#include "edgebench/results/result.h"

namespace edgebench::cli {

results::HostInfo collect_host_info();

}  // namespace edgebench::cli
