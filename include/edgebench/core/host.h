// Facts about the machine edgebench runs on.
#pragma once

#include <string>

namespace edgebench {

// The CPU's model name from /proc/cpuinfo ("model name", or "Model" on Arm boards), or
// "unknown".
std::string cpu_model();

}  // namespace edgebench
