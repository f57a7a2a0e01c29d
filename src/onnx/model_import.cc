// ONNX ModelProto -> ir::Graph. Everything here reads untrusted bytes: every name, count,
// size and reference is checked, and errors name the file and the node/tensor/field.
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>
#include <variant>

#include "edgebench/onnx/model_io.h"
#include "proto_util.h"

namespace edgebench::onnx {

namespace {

namespace pb = ::onnx;
using detail::ExternalDataPolicy;

// Opsets before 7 import too: ops whose semantics changed register the opset they start at, so
// the engine reports older forms as unsupported per op instead of refusing the whole model.
constexpr std::int64_t kMinOnnxOpset = 1;
constexpr std::int64_t kMaxOnnxOpset = 18;

using ir::is_default_domain;

std::string normalize_domain(const std::string& domain) {
  return is_default_domain(domain) ? std::string() : domain;
}

Result<ir::ValueInfo> value_info_from_proto(const pb::ValueInfoProto& proto,
                                            std::string_view what) {
  ir::ValueInfo info;
  const pb::TypeProto& type = proto.type();
  switch (type.value_case()) {
    case pb::TypeProto::kTensorType: break;
    case pb::TypeProto::VALUE_NOT_SET: return info;
    case pb::TypeProto::kSequenceType:
      return unsupported(fmt::format("{} is a sequence, which is not supported", what));
    case pb::TypeProto::kMapType:
      return unsupported(fmt::format("{} is a map, which is not supported", what));
    case pb::TypeProto::kOptionalType:
      return unsupported(fmt::format("{} is an optional, which is not supported", what));
    case pb::TypeProto::kSparseTensorType:
      return unsupported(fmt::format("{} is a sparse tensor, which is not supported", what));
    default: return unsupported(fmt::format("{} has a type that edgebench does not support", what));
  }
  const pb::TypeProto::Tensor& tensor_type = type.tensor_type();
  if (tensor_type.elem_type() != pb::TensorProto::UNDEFINED) {
    const std::optional<DType> dtype = dtype_from_onnx(tensor_type.elem_type());
    if (!dtype) {
      return unsupported(fmt::format("{} has element type {}, which edgebench does not support",
                                     what, detail::onnx_type_name(tensor_type.elem_type())));
    }
    info.dtype = *dtype;
  }
  if (tensor_type.has_shape()) {
    Shape shape;
    shape.reserve(static_cast<std::size_t>(tensor_type.shape().dim_size()));
    for (const pb::TensorShapeProto::Dimension& dim : tensor_type.shape().dim()) {
      switch (dim.value_case()) {
        case pb::TensorShapeProto::Dimension::kDimValue:
          if (dim.dim_value() < 0) {
            return invalid_model(
                fmt::format("{} has negative dimension {}", what, dim.dim_value()));
          }
          shape.push_back(dim.dim_value());
          info.dim_names.emplace_back();
          break;
        case pb::TensorShapeProto::Dimension::kDimParam:
          shape.push_back(-1);
          info.dim_names.push_back(dim.dim_param());
          break;
        default:
          shape.push_back(-1);
          info.dim_names.emplace_back();
          break;
      }
    }
    // Later stages multiply declared dims; a product that cannot exist is a broken file.
    Shape known;
    for (std::int64_t d : shape) {
      if (d >= 0) known.push_back(d);
    }
    if (!checked_element_count(known).is_ok()) {
      return invalid_model(fmt::format("{} has shape {} whose element count overflows 64 bits",
                                       what, shape_to_string(shape)));
    }
    info.shape = std::move(shape);
  }
  return info;
}

// Records a declared type; untyped declarations add nothing.
Status add_value_info(const pb::ValueInfoProto& proto, std::string_view role, ir::Graph& graph) {
  if (proto.name().empty()) return invalid_model(fmt::format("{} with an empty name", role));
  if (!proto.has_type()) return Status::ok();
  EB_ASSIGN_OR_RETURN(ir::ValueInfo info,
                      value_info_from_proto(proto, fmt::format("{} '{}'", role, proto.name())));
  graph.value_info[proto.name()] = std::move(info);
  return Status::ok();
}

// Old files may leave `type` unset; the ONNX rule is then "whichever value field is set".
Result<pb::AttributeProto::AttributeType> attribute_type(const pb::AttributeProto& attr) {
  if (attr.type() != pb::AttributeProto::UNDEFINED) return attr.type();
  std::vector<pb::AttributeProto::AttributeType> found;
  if (attr.has_f()) found.push_back(pb::AttributeProto::FLOAT);
  if (attr.has_i()) found.push_back(pb::AttributeProto::INT);
  if (attr.has_s()) found.push_back(pb::AttributeProto::STRING);
  if (attr.has_t()) found.push_back(pb::AttributeProto::TENSOR);
  if (attr.has_g()) found.push_back(pb::AttributeProto::GRAPH);
  if (attr.has_sparse_tensor()) found.push_back(pb::AttributeProto::SPARSE_TENSOR);
  if (attr.floats_size() > 0) found.push_back(pb::AttributeProto::FLOATS);
  if (attr.ints_size() > 0) found.push_back(pb::AttributeProto::INTS);
  if (attr.strings_size() > 0) found.push_back(pb::AttributeProto::STRINGS);
  if (attr.tensors_size() > 0) found.push_back(pb::AttributeProto::TENSORS);
  if (attr.graphs_size() > 0) found.push_back(pb::AttributeProto::GRAPHS);
  if (attr.sparse_tensors_size() > 0) found.push_back(pb::AttributeProto::SPARSE_TENSORS);
  if (found.size() != 1) {
    return invalid_model(fmt::format("attribute '{}' has no type and {} value fields", attr.name(),
                                     found.empty() ? "no" : "several"));
  }
  return found[0];
}

Result<ir::AttributeValue> attribute_from_proto(const pb::AttributeProto& attr,
                                                const ExternalDataPolicy& external) {
  if (!attr.ref_attr_name().empty()) {
    return unsupported(
        fmt::format("attribute '{}' refers to function attribute '{}'; "
                    "model functions are not supported",
                    attr.name(), attr.ref_attr_name()));
  }
  EB_ASSIGN_OR_RETURN(pb::AttributeProto::AttributeType type, attribute_type(attr));
  switch (type) {
    case pb::AttributeProto::FLOAT: return ir::AttributeValue(attr.f());
    case pb::AttributeProto::INT: return ir::AttributeValue(std::int64_t{attr.i()});
    case pb::AttributeProto::STRING: return ir::AttributeValue(attr.s());
    case pb::AttributeProto::TENSOR: {
      EB_ASSIGN_OR_RETURN(
          Tensor tensor,
          detail::tensor_from_proto(attr.t(), fmt::format("tensor of attribute '{}'", attr.name()),
                                    external));
      return ir::AttributeValue(std::move(tensor));
    }
    case pb::AttributeProto::FLOATS:
      return ir::AttributeValue(std::vector<float>(attr.floats().begin(), attr.floats().end()));
    case pb::AttributeProto::INTS:
      return ir::AttributeValue(std::vector<std::int64_t>(attr.ints().begin(), attr.ints().end()));
    case pb::AttributeProto::STRINGS:
      return ir::AttributeValue(
          std::vector<std::string>(attr.strings().begin(), attr.strings().end()));
    case pb::AttributeProto::GRAPH:
    case pb::AttributeProto::GRAPHS:
      return unsupported(
          fmt::format("attribute '{}' is a subgraph; control-flow ops with "
                      "subgraphs (If, Loop, Scan) are not supported",
                      attr.name()));
    case pb::AttributeProto::SPARSE_TENSOR:
    case pb::AttributeProto::SPARSE_TENSORS:
      return unsupported(
          fmt::format("attribute '{}' is a sparse tensor, which is not supported", attr.name()));
    case pb::AttributeProto::TENSORS:
      return unsupported(
          fmt::format("attribute '{}' is a list of tensors, which is not supported", attr.name()));
    case pb::AttributeProto::TYPE_PROTO:
    case pb::AttributeProto::TYPE_PROTOS:
      return unsupported(
          fmt::format("attribute '{}' is a type, which is not supported", attr.name()));
    default:
      return invalid_model(
          fmt::format("attribute '{}' has unknown type {}", attr.name(), static_cast<int>(type)));
  }
}

Result<ir::Node> node_from_proto(const pb::NodeProto& proto, std::size_t index,
                                 const std::set<std::string, std::less<>>& domains,
                                 const ExternalDataPolicy& external) {
  ir::Node node;
  node.name = proto.name();
  node.op_type = proto.op_type();
  node.domain = normalize_domain(proto.domain());
  node.inputs.assign(proto.input().begin(), proto.input().end());
  node.outputs.assign(proto.output().begin(), proto.output().end());
  const std::string where = node.name.empty() && node.outputs.empty()
                                ? fmt::format("node #{} ({})", index, node.op_type)
                                : node.describe();
  if (node.op_type.empty()) return invalid_model(fmt::format("{} has no op_type", where));
  if (domains.count(node.domain) == 0) {
    return invalid_model(
        fmt::format("{} uses domain '{}', which the model does not import "
                    "(no opset_import entry)",
                    where, node.domain));
  }
  for (const pb::AttributeProto& attr : proto.attribute()) {
    if (attr.name().empty()) {
      return invalid_model(fmt::format("{} has an attribute with an empty name", where));
    }
    if (node.attributes.has(attr.name())) {
      return invalid_model(fmt::format("{} has attribute '{}' twice", where, attr.name()));
    }
    Result<ir::AttributeValue> value = attribute_from_proto(attr, external);
    if (!value.is_ok()) return value.status().with_context(where);
    node.attributes.set(attr.name(), std::move(value).value());
  }
  return node;
}

Status import_opsets(const pb::ModelProto& model, ir::Graph& graph,
                     std::set<std::string, std::less<>>& domains) {
  for (const pb::OperatorSetIdProto& opset : model.opset_import()) {
    const std::string domain = normalize_domain(opset.domain());
    if (opset.version() < 1) {
      return invalid_model(
          fmt::format("opset_import for domain '{}' has version {}", domain, opset.version()));
    }
    if (!domains.insert(domain).second) {
      return invalid_model(
          fmt::format("opset_import lists domain '{}' twice", domain.empty() ? "ai.onnx" : domain));
    }
    graph.opset_imports.push_back({domain, opset.version()});
  }
  // A model made only of other domains (e.g. ai.onnx.preview.training) needs no default
  // opset; nodes in the default domain are checked against the imports one by one.
  const std::int64_t version = graph.onnx_opset();
  if (domains.count("") != 0 && (version < kMinOnnxOpset || version > kMaxOnnxOpset)) {
    return unsupported(
        fmt::format("ONNX opset {} is {} than the supported range {}..{}{}", version,
                    version < kMinOnnxOpset ? "older" : "newer", kMinOnnxOpset, kMaxOnnxOpset,
                    version < kMinOnnxOpset ? "; upgrade it with onnx.version_converter" : ""));
  }
  return Status::ok();
}

// A Constant node in the main graph is a weight by another name: it becomes an initializer of
// the same name, so that parameter counts, BatchNorm folding, fusion and the fast kernels see it.
// Kept as nodes: Constants whose output is a graph output (the output must stay produced by a
// node), and those holding a sparse tensor or strings (no initializer form here).
Result<std::optional<Tensor>> constant_as_initializer(const ir::Node& node,
                                                      const ir::Graph& graph) {
  if (!ir::is_onnx_op(node, "Constant") || node.outputs.size() != 1 || !node.inputs.empty() ||
      node.attributes.all().size() != 1) {
    return std::optional<Tensor>();
  }
  const std::string& output = node.outputs[0];
  if (output.empty() ||
      std::find(graph.outputs.begin(), graph.outputs.end(), output) != graph.outputs.end()) {
    return std::optional<Tensor>();
  }
  const auto& [attr, value] = *node.attributes.all().begin();
  const std::string where = node.describe();
  if (attr == "value") {
    const Tensor* tensor = std::get_if<Tensor>(&value);
    if (tensor == nullptr) {
      return invalid_model(fmt::format("{}: attribute 'value' is not a tensor", where));
    }
    return std::optional<Tensor>(*tensor);
  }
  if (attr == "value_float") {
    const float* f = std::get_if<float>(&value);
    if (f == nullptr) return invalid_model(fmt::format("{}: 'value_float' is not a float", where));
    return std::optional<Tensor>(Tensor::scalar(DType::kFloat32, *f));
  }
  if (attr == "value_int") {
    const std::int64_t* i = std::get_if<std::int64_t>(&value);
    if (i == nullptr) return invalid_model(fmt::format("{}: 'value_int' is not an int", where));
    return std::optional<Tensor>(Tensor::scalar(DType::kInt64, *i));
  }
  if (attr == "value_floats") {
    const auto* fs = std::get_if<std::vector<float>>(&value);
    if (fs == nullptr) {
      return invalid_model(fmt::format("{}: 'value_floats' is not a list of floats", where));
    }
    return std::optional<Tensor>(Tensor::vector(DType::kFloat32, std::span<const float>(*fs)));
  }
  if (attr == "value_ints") {
    const auto* is = std::get_if<std::vector<std::int64_t>>(&value);
    if (is == nullptr) {
      return invalid_model(fmt::format("{}: 'value_ints' is not a list of ints", where));
    }
    return std::optional<Tensor>(Tensor::vector(DType::kInt64, std::span<const std::int64_t>(*is)));
  }
  return std::optional<Tensor>();  // sparse_value, value_string(s): left as nodes
}

Status constants_to_initializers(ir::Graph& graph) {
  std::vector<ir::Node> kept;
  kept.reserve(graph.nodes.size());
  for (ir::Node& node : graph.nodes) {
    EB_ASSIGN_OR_RETURN(std::optional<Tensor> tensor, constant_as_initializer(node, graph));
    if (!tensor) {
      kept.push_back(std::move(node));
      continue;
    }
    const std::string& name = node.outputs[0];
    if (std::find(graph.inputs.begin(), graph.inputs.end(), name) != graph.inputs.end() ||
        !graph.initializers.emplace(name, std::move(*tensor)).second) {
      return invalid_model(
          fmt::format("value '{}' is produced by {} and is also a graph input "
                      "or an initializer",
                      name, node.describe()));
    }
  }
  graph.nodes = std::move(kept);
  return Status::ok();
}

Result<ir::Graph> import_proto(const pb::ModelProto& model, const ExternalDataPolicy& external) {
  if (!model.has_graph()) {
    return invalid_model("not an ONNX model: it has no graph (wrong file type or truncated)");
  }
  if (model.ir_version() <= 0) {
    return invalid_model("not an ONNX model: ir_version is missing (wrong file type or truncated)");
  }
  ir::Graph graph;
  graph.ir_version = model.ir_version();
  graph.producer_name = model.producer_name();
  graph.producer_version = model.producer_version();
  graph.doc_string = model.doc_string();
  for (const pb::StringStringEntryProto& entry : model.metadata_props()) {
    graph.metadata[entry.key()] = entry.value();
  }
  std::set<std::string, std::less<>> domains;
  EB_RETURN_IF_ERROR(import_opsets(model, graph, domains));
  if (model.functions_size() > 0) {
    return unsupported(
        fmt::format("model defines {} local function(s) (first: '{}'), which are "
                    "not supported",
                    model.functions_size(), model.functions(0).name()));
  }

  const pb::GraphProto& proto = model.graph();
  graph.name = proto.name();
  if (proto.sparse_initializer_size() > 0) {
    return unsupported(fmt::format("sparse initializer '{}' is not supported",
                                   proto.sparse_initializer(0).values().name()));
  }
  for (const pb::TensorProto& init : proto.initializer()) {
    if (init.name().empty()) return invalid_model("initializer with an empty name");
    if (graph.is_initializer(init.name())) {
      return invalid_model(fmt::format("initializer '{}' is defined twice", init.name()));
    }
    EB_ASSIGN_OR_RETURN(
        Tensor tensor,
        detail::tensor_from_proto(init, fmt::format("initializer '{}'", init.name()), external));
    graph.initializers.emplace(init.name(), std::move(tensor));
  }
  // Intermediate declarations first, so that the graph's own input/output declarations win.
  for (const pb::ValueInfoProto& vi : proto.value_info()) {
    EB_RETURN_IF_ERROR(add_value_info(vi, "value_info entry", graph));
  }
  for (const pb::ValueInfoProto& vi : proto.input()) {
    EB_RETURN_IF_ERROR(add_value_info(vi, "graph input", graph));
    // Inputs that have an initializer are the ONNX (IR < 4) way of declaring weights.
    if (!graph.is_initializer(vi.name())) graph.inputs.push_back(vi.name());
  }
  for (const pb::ValueInfoProto& vi : proto.output()) {
    EB_RETURN_IF_ERROR(add_value_info(vi, "graph output", graph));
    graph.outputs.push_back(vi.name());
  }
  graph.nodes.reserve(static_cast<std::size_t>(proto.node_size()));
  for (int i = 0; i < proto.node_size(); ++i) {
    EB_ASSIGN_OR_RETURN(ir::Node node, node_from_proto(proto.node(i), static_cast<std::size_t>(i),
                                                       domains, external));
    graph.nodes.push_back(std::move(node));
  }
  EB_RETURN_IF_ERROR(ir::validate(graph));
  EB_RETURN_IF_ERROR(constants_to_initializers(graph));
  EB_RETURN_IF_ERROR(ir::sort_topologically(graph));
  return graph;
}

}  // namespace

Result<ir::Graph> import_model(std::span<const std::byte> bytes,
                               const std::filesystem::path& base_dir, std::string_view source_name,
                               const ImportOptions& options) {
  const std::string source =
      source_name.empty() ? std::string("<memory>") : std::string(source_name);
  if (bytes.size() > options.max_model_bytes) {
    return out_of_range(fmt::format("{}: model is {} bytes, over the limit of {} bytes", source,
                                    bytes.size(), options.max_model_bytes));
  }
  pb::ModelProto model;
  EB_RETURN_IF_ERROR(detail::parse_message(bytes, model, "ONNX model").with_context(source));
  Result<ExternalDataPolicy> external =
      detail::make_external_data_policy(base_dir, options.allow_external_data);
  if (!external.is_ok()) return external.status().with_context(source);
  Result<ir::Graph> graph = import_proto(model, *external);
  if (!graph.is_ok()) return graph.status().with_context(source);
  return graph;
}

Result<ir::Graph> load_model(const std::filesystem::path& path, const ImportOptions& options) {
  // Protobuf cannot parse more than 2 GiB, so there is no point reading a larger file.
  const std::uint64_t limit =
      std::min<std::uint64_t>(options.max_model_bytes, std::numeric_limits<int>::max());
  Result<std::vector<std::byte>> bytes = detail::read_file(path, limit);
  if (!bytes.is_ok()) {
    if (bytes.status().code() == StatusCode::kOutOfRange && limit < options.max_model_bytes) {
      return out_of_range(
          fmt::format("{}; protobuf cannot parse model files over 2 GiB, store "
                      "the weights as external data",
                      bytes.status().message()));
    }
    return bytes.status();
  }
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  return import_model(*bytes, dir, path.string(), options);
}

}  // namespace edgebench::onnx
