#include "edgebench/core/version.h"

namespace edgebench {

// EDGEBENCH_VERSION is set for this file alone by CMakeLists.txt from the project's version.
std::string_view version() { return EDGEBENCH_VERSION; }

}  // namespace edgebench
