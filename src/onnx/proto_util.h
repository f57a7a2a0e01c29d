// Internal helpers shared by ONNX import and export: protobuf framing, file I/O and
// TensorProto <-> Tensor conversion with every check that untrusted tensors need.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/core/tensor.h"

namespace edgebench::onnx::detail {

namespace pb = ::onnx;

// Where tensors with data_location EXTERNAL may be read from.
struct ExternalDataPolicy {
  // False when the model came from memory or external data was switched off.
  bool enabled = false;
  // The model's folder, canonical (symlinks resolved); data files must resolve inside it.
  std::filesystem::path canonical_dir;
};

// Builds the policy for a model whose external files live in `base_dir` (empty: disabled).
Result<ExternalDataPolicy> make_external_data_policy(const std::filesystem::path& base_dir,
                                                     bool allow);

// Parses one protobuf message from `bytes`, reading at most bytes.size() bytes and requiring
// that all of them belong to the message. `what` is e.g. "ONNX model" for messages.
Status parse_message(std::span<const std::byte> bytes, google::protobuf::MessageLite& message,
                     std::string_view what);

// Reads a whole regular file, refusing files larger than `max_bytes`.
Result<std::vector<std::byte>> read_file(const std::filesystem::path& path,
                                         std::uint64_t max_bytes);
Status write_file(const std::filesystem::path& path, std::string_view contents);

// "FLOAT", "STRING", ... or "type N" for codes that onnx does not know.
std::string onnx_type_name(int onnx_type);

// Converts a TensorProto; `what` names it in messages ("initializer 'w'"). Dims, byte counts
// and external data locations are all checked before any buffer is allocated, so a hostile
// file cannot make us allocate more than it (or its external data file) holds.
Result<Tensor> tensor_from_proto(const pb::TensorProto& proto, std::string_view what,
                                 const ExternalDataPolicy& external);

// Writes the tensor's bytes as raw_data (little-endian, as ONNX requires).
pb::TensorProto tensor_to_proto(const Tensor& tensor, const std::string& name);

}  // namespace edgebench::onnx::detail
