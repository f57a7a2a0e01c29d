#include "host_info.h"

#include <fmt/format.h>
#include <google/protobuf/stubs/common.h>
#include <sqlite3.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>

#include "edgebench/core/host.h"
#include "edgebench/core/version.h"

namespace edgebench::cli {

namespace {

std::string compiler() {
#if defined(__clang__)
  return fmt::format("clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  return fmt::format("gcc {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

}  // namespace

results::HostInfo collect_host_info() {
  results::HostInfo host;
  host.cpu_model = cpu_model();
  host.logical_cores = static_cast<int>(std::thread::hardware_concurrency());
  struct utsname u {};
  if (uname(&u) == 0) {
    host.os = fmt::format("{} {} {}", u.sysname, u.release, u.machine);
    host.hostname = u.nodename;
  }
  host.compiler = compiler();
  host.libraries["edgebench"] = std::string(version());
  host.libraries["protobuf"] =
      fmt::format("{}.{}.{}", GOOGLE_PROTOBUF_VERSION / 1000000,
                  GOOGLE_PROTOBUF_VERSION / 1000 % 1000, GOOGLE_PROTOBUF_VERSION % 1000);
  host.libraries["sqlite"] = sqlite3_libversion();
  host.libraries["fmt"] =
      fmt::format("{}.{}.{}", FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100);
  return host;
}

}  // namespace edgebench::cli
