// TFLite builtin operator names (internal to the tflite module).
#pragma once

#include <cstdint>
#include <iterator>
#include <string_view>

namespace edgebench::tflite::internal {

// "CONV_2D" for code 3, ...; empty for a code the schema we know does not name.
std::string_view builtin_name(std::int32_t code);

}  // namespace edgebench::tflite::internal
