// Facts about the machine edgebench runs on.
#pragma once

#include <filesystem>
#include <string>

namespace edgebench {

// The CPU's model name from /proc/cpuinfo ("model name", or "Model" on Arm boards), or
// "unknown".
std::string cpu_model();

// The machine's network name (uname's nodename), or "" when the kernel does not say.
std::string host_name();

// The machine's architecture as the kernel reports it to this process ("x86_64", "aarch64").
std::string machine_architecture();

// Whether this process runs under user-mode emulation (qemu-aarch64 on an x86 host): the kernel
// says one architecture and /proc/cpuinfo, which qemu passes through, describes another.
// Latencies measured so mean nothing for a board.
bool running_under_emulation();

// The source tree whose python/edgebench package this edgebench uses (the Python target, the
// fine-tuning trainer): found from this executable's location, walking up until
// python/edgebench/__init__.py exists, else the tree it was built from; empty when neither holds
// the package.
std::filesystem::path python_package_root();

}  // namespace edgebench
