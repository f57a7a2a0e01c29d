// ir::Graph -> ONNX ModelProto. The result is run through onnx::checker before it leaves.
#include <fmt/format.h>
#include <onnx/checker.h>

#include <algorithm>
#include <climits>
#include <exception>
#include <set>

#include "edgebench/onnx/model_io.h"
#include "proto_util.h"

namespace edgebench::onnx {

namespace {

namespace pb = ::onnx;

// Older IR versions need initializers listed as graph inputs; 7 is the oldest we write.
constexpr std::int64_t kMinExportIrVersion = 7;

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

void value_info_to_proto(const std::string& name, const ir::ValueInfo* info,
                         pb::ValueInfoProto& proto) {
  proto.set_name(name);
  if (info == nullptr) return;
  pb::TypeProto::Tensor* tensor_type = proto.mutable_type()->mutable_tensor_type();
  tensor_type->set_elem_type(dtype_to_onnx(info->dtype));
  if (!info->shape) return;
  pb::TensorShapeProto* shape = tensor_type->mutable_shape();
  for (std::size_t i = 0; i < info->shape->size(); ++i) {
    pb::TensorShapeProto::Dimension* dim = shape->add_dim();
    const std::int64_t d = (*info->shape)[i];
    if (d >= 0) {
      dim->set_dim_value(d);
    } else if (i < info->dim_names.size() && !info->dim_names[i].empty()) {
      dim->set_dim_param(info->dim_names[i]);
    }
  }
}

Status attribute_to_proto(const std::string& name, const ir::AttributeValue& value,
                          pb::AttributeProto& proto) {
  proto.set_name(name);
  Status status;
  std::visit(Overloaded{
                 [&](std::int64_t v) {
                   proto.set_type(pb::AttributeProto::INT);
                   proto.set_i(v);
                 },
                 [&](float v) {
                   proto.set_type(pb::AttributeProto::FLOAT);
                   proto.set_f(v);
                 },
                 [&](const std::string& v) {
                   proto.set_type(pb::AttributeProto::STRING);
                   proto.set_s(v);
                 },
                 [&](const Tensor& v) {
                   if (!v.defined()) {
                     status = invalid_argument(fmt::format("attribute '{}' holds no tensor", name));
                     return;
                   }
                   proto.set_type(pb::AttributeProto::TENSOR);
                   *proto.mutable_t() = detail::tensor_to_proto(v, "");
                 },
                 [&](const std::vector<std::int64_t>& v) {
                   proto.set_type(pb::AttributeProto::INTS);
                   proto.mutable_ints()->Add(v.begin(), v.end());
                 },
                 [&](const std::vector<float>& v) {
                   proto.set_type(pb::AttributeProto::FLOATS);
                   proto.mutable_floats()->Add(v.begin(), v.end());
                 },
                 [&](const std::vector<std::string>& v) {
                   proto.set_type(pb::AttributeProto::STRINGS);
                   for (const std::string& s : v) proto.add_strings(s);
                 },
             },
             value);
  return status;
}

Status build_model(const ir::Graph& graph, pb::ModelProto& model) {
  model.set_ir_version(
      std::clamp<std::int64_t>(graph.ir_version, kMinExportIrVersion, pb::Version::IR_VERSION));
  if (!graph.producer_name.empty()) model.set_producer_name(graph.producer_name);
  if (!graph.producer_version.empty()) model.set_producer_version(graph.producer_version);
  if (!graph.doc_string.empty()) model.set_doc_string(graph.doc_string);
  for (const auto& [key, value] : graph.metadata) {
    pb::StringStringEntryProto* entry = model.add_metadata_props();
    entry->set_key(key);
    entry->set_value(value);
  }
  for (const ir::OpsetImport& opset : graph.opset_imports) {
    pb::OperatorSetIdProto* proto = model.add_opset_import();
    proto->set_domain(opset.domain == "ai.onnx" ? std::string() : opset.domain);
    proto->set_version(opset.version);
  }

  pb::GraphProto* proto = model.mutable_graph();
  // The checker wants a graph name; files always have one, hand-built graphs may not.
  proto->set_name(graph.name.empty() ? "edgebench_graph" : graph.name);
  std::set<std::string_view> declared;
  // The checker needs a type and rank for every graph input and output; saying which value
  // lacks one is more useful than its generic message.
  auto declare = [&](const std::string& name, std::string_view role,
                     pb::ValueInfoProto& vi) -> Status {
    const ir::ValueInfo* info = graph.find_value_info(name);
    if (info == nullptr || info->dtype == DType::kUndefined || !info->shape) {
      return invalid_argument(fmt::format(
          "graph {} '{}' has no declared {}; ONNX requires an element type and a rank for "
          "graph inputs and outputs",
          role, name,
          info == nullptr || info->dtype == DType::kUndefined ? "element type" : "rank"));
    }
    value_info_to_proto(name, info, vi);
    declared.insert(name);
    return Status::ok();
  };
  for (const std::string& name : graph.inputs) {
    EB_RETURN_IF_ERROR(declare(name, "input", *proto->add_input()));
  }
  for (const std::string& name : graph.outputs) {
    EB_RETURN_IF_ERROR(declare(name, "output", *proto->add_output()));
  }
  for (const auto& [name, info] : graph.value_info) {
    if (declared.count(name) == 0) value_info_to_proto(name, &info, *proto->add_value_info());
  }
  for (const auto& [name, tensor] : graph.initializers) {
    if (!tensor.defined()) {
      return invalid_argument(fmt::format("initializer '{}' holds no tensor", name));
    }
    *proto->add_initializer() = detail::tensor_to_proto(tensor, name);
  }
  // The checker requires topological order; an IR graph need not be sorted.
  EB_ASSIGN_OR_RETURN(std::vector<std::size_t> order, ir::topological_order(graph));
  for (std::size_t index : order) {
    const ir::Node& node = graph.nodes[index];
    pb::NodeProto* node_proto = proto->add_node();
    if (!node.name.empty()) node_proto->set_name(node.name);
    node_proto->set_op_type(node.op_type);
    if (!node.domain.empty() && node.domain != "ai.onnx") node_proto->set_domain(node.domain);
    for (const std::string& in : node.inputs) node_proto->add_input(in);
    for (const std::string& out : node.outputs) node_proto->add_output(out);
    for (const auto& [name, value] : node.attributes.all()) {
      EB_RETURN_IF_ERROR(attribute_to_proto(name, value, *node_proto->add_attribute())
                             .with_context(node.describe()));
    }
  }
  return Status::ok();
}

}  // namespace

Result<std::string> export_model(const ir::Graph& graph) {
  pb::ModelProto model;
  EB_RETURN_IF_ERROR(build_model(graph, model));
  try {
    pb::checker::check_model(model);
  } catch (const std::exception& e) {
    return invalid_model(fmt::format("exported model fails the ONNX checker: {}", e.what()));
  }
  if (model.ByteSizeLong() > static_cast<std::size_t>(INT_MAX)) {
    return out_of_range(
        fmt::format("model is {} bytes, over the 2 GiB protobuf limit (external data export is not "
                    "implemented)",
                    model.ByteSizeLong()));
  }
  std::string bytes;
  if (!model.SerializeToString(&bytes)) return internal_error("cannot serialize the model");
  return bytes;
}

Status save_model(const ir::Graph& graph, const std::filesystem::path& path) {
  Result<std::string> bytes = export_model(graph);
  if (!bytes.is_ok()) return bytes.status().with_context(path.string());
  return detail::write_file(path, *bytes);
}

}  // namespace edgebench::onnx
