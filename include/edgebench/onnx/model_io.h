// ONNX import and export.
//
// Import parses a ModelProto (Debian's libonnx / protobuf) into the IR, validating everything
// that comes from the file: magic and framing, dims and byte sizes, names, external data paths
// (confined to the model's folder), graph structure (no cycles, no dangling names). Errors name
// the file and the node, tensor or field. Export writes a model that onnx::checker accepts;
// import -> export -> import is lossless for the IR.
//
// Error codes: kInvalidModel for malformed or inconsistent files (bad framing, size mismatches,
// cycles, dangling names, external data outside the model folder); kUnsupported for valid
// ONNX that the IR cannot hold (opsets outside 1..18, string/bfloat16/complex tensors,
// sequences, subgraph attributes, model functions); kOutOfRange for size limits and
// overflowing dims; kNotFound / kIoError for files. All functions are thread-safe (no shared
// state besides the ONNX schema registry, which onnx initialises once).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "edgebench/core/status.h"
#include "edgebench/core/tensor.h"
#include "edgebench/ir/graph.h"

namespace edgebench::onnx {

struct ImportOptions {
  // Largest model file accepted (bytes).
  std::uint64_t max_model_bytes = std::uint64_t{4} << 30;
  // Whether external data files may be read (paths are always confined to the model folder).
  bool allow_external_data = true;
};

// Reads and imports a model file.
Result<ir::Graph> load_model(const std::filesystem::path& path, const ImportOptions& options = {});
// Imports a serialized model. `base_dir` resolves external data; empty disables external data.
// `source_name` names the input in messages.
Result<ir::Graph> import_model(std::span<const std::byte> bytes,
                               const std::filesystem::path& base_dir, std::string_view source_name,
                               const ImportOptions& options = {});

// Serializes the IR; the result passes onnx::checker. Writes ir_version max(7, graph.ir_version)
// (capped at the newest IR onnx 1.12 knows, 8), nodes in topological order, initializers as
// raw_data. Graph inputs and outputs need a declared dtype and rank (ONNX requires them).
Result<std::string> export_model(const ir::Graph& graph);
Status save_model(const ir::Graph& graph, const std::filesystem::path& path);

// Runs onnx::checker on a serialized model (full check); error carries the checker's message.
Status check_model(std::span<const std::byte> bytes);

// ONNX TensorProto files (.pb) as used by the ONNX backend test data.
Result<Tensor> load_tensor_proto(const std::filesystem::path& path, std::string* name = nullptr);
Status save_tensor_proto(const Tensor& tensor, const std::string& name,
                         const std::filesystem::path& path);

// ONNX TensorProto.DataType <-> DType; nullopt for types the IR does not have.
std::optional<DType> dtype_from_onnx(int onnx_type);
int dtype_to_onnx(DType dtype);

}  // namespace edgebench::onnx
