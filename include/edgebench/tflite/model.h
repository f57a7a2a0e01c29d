// TFLite models: a reader of the TFLite flatbuffer (schema.fbs of TensorFlow Lite / LiteRT) and
// its description as an ir::Graph.
//
// The reader is our own bounds-checked flatbuffer table reader: every offset, vtable, vector
// length and string is checked against the buffer (checked arithmetic) before it is used, so any
// byte string is safe to pass. Errors name the file (`where`), the field path
// ("subgraphs[0].tensors[3].shape") and the byte offset.
//
// The graph it produces describes the model for inspection only (Graph::foreign holds the
// bytes): nodes carry the TFLite builtin name as op_type ("CONV_2D") in domain "tflite", values
// their declared dtype and shape (the file's `shape`, which the interpreter allocates; dims that
// shape_signature marks -1 are named, "batch" for dim 0), constant tensors become initializers
// (with their quantization).
// The engine does not run it; the runtimes behind the protocol do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/core/tensor.h"
#include "edgebench/ir/graph.h"

namespace edgebench::tflite {

// The file identifier at bytes 4..8 of a TFLite flatbuffer.
inline constexpr std::string_view kFileIdentifier = "TFL3";

// Whether `bytes` carry the TFLite file identifier.
bool has_file_identifier(std::span<const std::byte> bytes);

// The parts of the schema edgebench reads. Field names follow schema.fbs.
struct QuantizationInfo {
  std::vector<float> scale;
  std::vector<std::int64_t> zero_point;
  std::int32_t quantized_dimension = 0;
};

struct TensorInfo {
  std::string name;
  std::int8_t type = 0;  // TensorType code (FLOAT32 = 0, INT8 = 9, ...)
  std::vector<std::int32_t> shape;
  std::vector<std::int32_t> shape_signature;     // empty when absent; -1 marks a symbolic dim
  std::uint32_t buffer = 0;                      // index into Model::buffers (0: no data)
  std::optional<QuantizationInfo> quantization;  // present when scale is not empty
  bool is_variable = false;
};

struct OperatorInfo {
  std::uint32_t opcode_index = 0;
  std::vector<std::int32_t> inputs;  // tensor indices; -1: optional input not given
  std::vector<std::int32_t> outputs;
};

struct SubGraphInfo {
  std::string name;
  std::vector<TensorInfo> tensors;
  std::vector<std::int32_t> inputs;
  std::vector<std::int32_t> outputs;
  std::vector<OperatorInfo> operators;
};

struct OperatorCodeInfo {
  // max(deprecated_builtin_code, builtin_code), as TFLite resolves it (schema v3a+).
  std::int32_t builtin_code = 0;
  std::string custom_code;
  std::int32_t version = 1;
};

// Where a buffer's bytes lie in the file: the `data` vector, or the offset/size form that
// models beyond 2 GiB use (data after the flatbuffer). size 0: no data.
struct BufferInfo {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

struct ModelInfo {
  std::uint32_t version = 0;
  std::string description;
  std::vector<OperatorCodeInfo> operator_codes;
  std::vector<SubGraphInfo> subgraphs;  // subgraphs[0] is the main graph
  std::vector<BufferInfo> buffers;
};

// Parses the flatbuffer; checks every tensor, buffer and opcode index it returns. `where` names
// the source in errors (a file path).
Result<ModelInfo> parse_model(std::span<const std::byte> bytes, std::string_view where);

// "CONV_2D", or the custom code for CUSTOM ops, or "BUILTIN_<code>" for a code we do not know.
std::string operator_name(const OperatorCodeInfo& code);

// The dtype of a TensorType code; nullopt for those the IR has no type for (string, complex,
// resource, variant, int4, bfloat16, float8).
std::optional<DType> dtype_from_tensor_type(std::int8_t type);
// "FLOAT32", "INT8", ... ("TYPE_<code>" when unknown).
std::string tensor_type_name(std::int8_t type);

// Quantization of a tensor as the IR holds it (per-axis when there is more than one scale).
std::optional<QuantParams> quant_params(const TensorInfo& tensor);

// The graph of subgraph 0, with Graph::foreign = {"tflite", bytes}. Errors name `where`.
Result<ir::Graph> import_model(std::shared_ptr<const std::vector<std::byte>> bytes,
                               std::string_view where);

// Reads and imports a .tflite file; errors name the path.
Result<ir::Graph> load_model(const std::string& path);

}  // namespace edgebench::tflite
