// TensorProto files and the standalone model checker.
#include "edgebench/onnx/model_io.h"

#include <fmt/format.h>
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <climits>
#include <exception>

#include "proto_util.h"

namespace edgebench::onnx {

namespace pb = ::onnx;

Result<Tensor> load_tensor_proto(const std::filesystem::path& path, std::string* name) {
  EB_ASSIGN_OR_RETURN(std::vector<std::byte> bytes, detail::read_file(path, INT_MAX));
  const std::string source = path.string();
  pb::TensorProto proto;
  EB_RETURN_IF_ERROR(detail::parse_message(bytes, proto, "ONNX TensorProto").with_context(source));
  // Backend test data never uses external data; a stray .pb must not reach other files.
  Result<Tensor> tensor = detail::tensor_from_proto(
      proto,
      proto.name().empty() ? std::string("tensor") : fmt::format("tensor '{}'", proto.name()),
      detail::ExternalDataPolicy{});
  if (!tensor.is_ok()) return tensor.status().with_context(source);
  if (name != nullptr) *name = proto.name();
  return tensor;
}

Status save_tensor_proto(const Tensor& tensor, const std::string& name,
                         const std::filesystem::path& path) {
  if (!tensor.defined()) {
    return invalid_argument(fmt::format("{}: cannot save an undefined tensor", path.string()));
  }
  const pb::TensorProto proto = detail::tensor_to_proto(tensor, name);
  if (proto.ByteSizeLong() > static_cast<std::size_t>(INT_MAX)) {
    return out_of_range(fmt::format("{}: tensor {} is too large for a TensorProto (2 GiB)",
                                    path.string(), tensor.describe()));
  }
  std::string bytes;
  if (!proto.SerializeToString(&bytes)) {
    return internal_error(fmt::format("{}: cannot serialize tensor", path.string()));
  }
  return detail::write_file(path, bytes);
}

Status check_model(std::span<const std::byte> bytes) {
  pb::ModelProto model;
  EB_RETURN_IF_ERROR(detail::parse_message(bytes, model, "ONNX model"));
  try {
    pb::checker::check_model(model);
    // The "full check" of onnx.checker: strict shape inference with type checking.
    pb::shape_inference::InferShapes(model, pb::OpSchemaRegistry::Instance(),
                                     pb::ShapeInferenceOptions(/*check_type_val=*/true,
                                                               /*strict_mode_val=*/1));
  } catch (const std::exception& e) {
    return invalid_model(fmt::format("ONNX checker: {}", e.what()));
  }
  return Status::ok();
}

}  // namespace edgebench::onnx
