#include "edgebench/core/host.h"

#include <sys/utsname.h>

#include <fstream>

namespace edgebench {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0 || line.rfind("Model", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        return value;
      }
    }
  }
  return "unknown";
}

std::string host_name() {
  struct utsname name {};
  if (uname(&name) != 0) return "";
  return name.nodename;
}

std::string machine_architecture() {
  struct utsname name {};
  if (uname(&name) != 0) return "unknown";
  return name.machine;
}

bool running_under_emulation() {
  // x86's /proc/cpuinfo has "vendor_id" lines (GenuineIntel, AuthenticAMD); Arm's has
  // "CPU implementer". Either one under the other architecture's kernel name is the host's.
  const std::string arch = machine_architecture();
  const bool arm = arch == "aarch64" || arch.rfind("arm", 0) == 0;
  const bool x86 = arch == "x86_64" || arch == "i686" || arch == "i386";
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (arm && line.rfind("vendor_id", 0) == 0) return true;
    if (x86 && line.rfind("CPU implementer", 0) == 0) return true;
  }
  return false;
}

std::filesystem::path python_package_root() {
  namespace fs = std::filesystem;
  const auto holds_package = [](const fs::path& dir) {
    std::error_code ec;
    return fs::is_regular_file(dir / "python" / "edgebench" / "__init__.py", ec);
  };
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path dir = exe.parent_path(); !dir.empty(); dir = dir.parent_path()) {
      if (holds_package(dir)) return dir;
      if (dir == dir.root_path()) break;
    }
  }
#ifdef EDGEBENCH_SOURCE_DIR
  if (holds_package(EDGEBENCH_SOURCE_DIR)) return fs::path(EDGEBENCH_SOURCE_DIR);
#endif
  return {};
}

}  // namespace edgebench
