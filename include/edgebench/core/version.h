// edgebench's version, from the CMake project (project(edgebench VERSION ...)): one home for
// the --version flag, records, generated models and the engine's runtime description.
#pragma once

#include <string_view>

namespace edgebench {

std::string_view version();

}  // namespace edgebench
