// Element types of tensors and their properties.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace edgebench {

// The numeric values are our own; they are never written to disk or to the wire. Files and
// frames use names (dtype_name) or the ONNX / NumPy codes, converted at the boundary.
enum class DType : std::uint8_t {
  kUndefined,
  kFloat32,
  kFloat16,
  kFloat64,
  kInt8,
  kUInt8,
  kInt16,
  kUInt16,
  kInt32,
  kUInt32,
  kInt64,
  kUInt64,
  kBool,
};

// Size of one element in bytes (0 for kUndefined).
std::size_t dtype_size(DType dtype);
// "float32", "int8", ... as NumPy spells them.
std::string_view dtype_name(DType dtype);
std::optional<DType> dtype_from_name(std::string_view name);
bool is_floating(DType dtype);
bool is_integer(DType dtype);  // signed or unsigned, not bool
bool is_signed(DType dtype);

// IEEE 754 binary16 conversions (round to nearest even).
// ONNX TensorProto.DataType codes (FLOAT = 1, UINT8 = 2, ...), which the engine (Cast, EyeLike's
// dtype attribute), the ONNX importer and the remote protocol all use; nullopt for codes the IR
// has no type for (string, complex, bfloat16, float8) and for kUndefined.
std::optional<DType> dtype_from_onnx_code(std::int64_t code);
std::optional<int> onnx_code_of(DType dtype);

std::uint16_t float_to_half(float value);
float half_to_float(std::uint16_t bits);

}  // namespace edgebench
