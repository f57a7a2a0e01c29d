// TFLite flatbuffer → ModelInfo → ir::Graph.
#include "edgebench/tflite/model.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>

#include "builtin_names.h"
#include "flatbuffer.h"

namespace edgebench::tflite {

namespace {

using internal::FlatReader;
using internal::Table;
using internal::Vector;

// Field ids (declaration order in schema.fbs).
namespace model_field {
constexpr int kVersion = 0, kOperatorCodes = 1, kSubgraphs = 2, kDescription = 3, kBuffers = 4;
}
namespace opcode_field {
constexpr int kDeprecatedBuiltinCode = 0, kCustomCode = 1, kVersion = 2, kBuiltinCode = 3;
}
namespace subgraph_field {
constexpr int kTensors = 0, kInputs = 1, kOutputs = 2, kOperators = 3, kName = 4;
}
namespace tensor_field {
constexpr int kShape = 0, kType = 1, kBuffer = 2, kName = 3, kQuantization = 4, kIsVariable = 5,
              kShapeSignature = 7;
}
namespace quant_field {
constexpr int kScale = 2, kZeroPoint = 3, kQuantizedDimension = 6;
}
namespace operator_field {
constexpr int kOpcodeIndex = 0, kInputs = 1, kOutputs = 2;
}
namespace buffer_field {
constexpr int kData = 0, kOffset = 1, kSize = 2;
}

constexpr std::int32_t kCustomBuiltinCode = 32;  // BuiltinOperator.CUSTOM

template <typename T>
Result<std::vector<T>> read_scalar_vector(const FlatReader& r, const Table& t, int id,
                                          const std::string& path) {
  EB_ASSIGN_OR_RETURN(Vector v, r.vector(t, id, sizeof(T), path));
  std::vector<T> out;
  out.reserve(v.length);
  for (std::uint64_t i = 0; i < v.length; ++i) {
    EB_ASSIGN_OR_RETURN(T value, r.element<T>(v, i, path));
    out.push_back(value);
  }
  return out;
}

// A vector of tables, each read by `read_element(reader, table, "path[i]")`.
template <typename T>
Result<std::vector<T>> read_table_vector(const FlatReader& r, const Table& t, int id,
                                         const std::string& path,
                                         Result<T> (*read_element)(const FlatReader&, const Table&,
                                                                   const std::string&)) {
  EB_ASSIGN_OR_RETURN(Vector v, r.vector(t, id, 4, path));
  std::vector<T> out;
  out.reserve(v.length);
  for (std::uint64_t i = 0; i < v.length; ++i) {
    const std::string p = fmt::format("{}[{}]", path, i);
    EB_ASSIGN_OR_RETURN(Table element, r.table_element(v, i, p));
    EB_ASSIGN_OR_RETURN(T value, read_element(r, element, p));
    out.push_back(std::move(value));
  }
  return out;
}

Result<std::optional<QuantizationInfo>> read_quantization(const FlatReader& r, const Table& tensor,
                                                          const std::string& path) {
  EB_ASSIGN_OR_RETURN(auto table, r.sub_table(tensor, tensor_field::kQuantization, path));
  if (!table) return std::optional<QuantizationInfo>();
  QuantizationInfo q;
  EB_ASSIGN_OR_RETURN(q.scale,
                      read_scalar_vector<float>(r, *table, quant_field::kScale, path + ".scale"));
  EB_ASSIGN_OR_RETURN(q.zero_point, read_scalar_vector<std::int64_t>(
                                        r, *table, quant_field::kZeroPoint, path + ".zero_point"));
  EB_ASSIGN_OR_RETURN(q.quantized_dimension,
                      r.scalar<std::int32_t>(*table, quant_field::kQuantizedDimension, 0,
                                             path + ".quantized_dimension"));
  if (q.scale.empty()) return std::optional<QuantizationInfo>();  // min/max only, or nothing
  return std::optional<QuantizationInfo>(std::move(q));
}

Result<TensorInfo> read_tensor(const FlatReader& r, const Table& t, const std::string& path) {
  TensorInfo info;
  EB_ASSIGN_OR_RETURN(
      info.shape, read_scalar_vector<std::int32_t>(r, t, tensor_field::kShape, path + ".shape"));
  EB_ASSIGN_OR_RETURN(info.type, r.scalar<std::int8_t>(t, tensor_field::kType, 0, path + ".type"));
  EB_ASSIGN_OR_RETURN(info.buffer,
                      r.scalar<std::uint32_t>(t, tensor_field::kBuffer, 0, path + ".buffer"));
  EB_ASSIGN_OR_RETURN(info.name, r.string(t, tensor_field::kName, path + ".name"));
  EB_ASSIGN_OR_RETURN(info.quantization, read_quantization(r, t, path + ".quantization"));
  EB_ASSIGN_OR_RETURN(std::uint8_t variable, r.scalar<std::uint8_t>(t, tensor_field::kIsVariable, 0,
                                                                    path + ".is_variable"));
  info.is_variable = variable != 0;
  EB_ASSIGN_OR_RETURN(info.shape_signature,
                      read_scalar_vector<std::int32_t>(r, t, tensor_field::kShapeSignature,
                                                       path + ".shape_signature"));
  return info;
}

Result<OperatorCodeInfo> read_operator_code(const FlatReader& r, const Table& t,
                                            const std::string& path) {
  OperatorCodeInfo code;
  EB_ASSIGN_OR_RETURN(std::int8_t deprecated,
                      r.scalar<std::int8_t>(t, opcode_field::kDeprecatedBuiltinCode, 0,
                                            path + ".deprecated_builtin_code"));
  EB_ASSIGN_OR_RETURN(code.custom_code,
                      r.string(t, opcode_field::kCustomCode, path + ".custom_code"));
  EB_ASSIGN_OR_RETURN(code.version,
                      r.scalar<std::int32_t>(t, opcode_field::kVersion, 1, path + ".version"));
  EB_ASSIGN_OR_RETURN(std::int32_t builtin, r.scalar<std::int32_t>(t, opcode_field::kBuiltinCode, 0,
                                                                   path + ".builtin_code"));
  // Codes below 127 are written to both fields (older readers see the deprecated one); newer
  // codes only to builtin_code, with 127 (PLACEHOLDER_FOR_GREATER_OP_CODES) in the other.
  code.builtin_code = std::max<std::int32_t>(builtin, deprecated);
  return code;
}

Result<OperatorInfo> read_operator(const FlatReader& r, const Table& t, const std::string& path) {
  OperatorInfo op;
  EB_ASSIGN_OR_RETURN(op.opcode_index, r.scalar<std::uint32_t>(t, operator_field::kOpcodeIndex, 0,
                                                               path + ".opcode_index"));
  EB_ASSIGN_OR_RETURN(
      op.inputs, read_scalar_vector<std::int32_t>(r, t, operator_field::kInputs, path + ".inputs"));
  EB_ASSIGN_OR_RETURN(op.outputs, read_scalar_vector<std::int32_t>(r, t, operator_field::kOutputs,
                                                                   path + ".outputs"));
  return op;
}

Result<SubGraphInfo> read_subgraph(const FlatReader& r, const Table& t, const std::string& path) {
  SubGraphInfo g;
  EB_ASSIGN_OR_RETURN(
      g.tensors, read_table_vector(r, t, subgraph_field::kTensors, path + ".tensors", read_tensor));
  EB_ASSIGN_OR_RETURN(
      g.inputs, read_scalar_vector<std::int32_t>(r, t, subgraph_field::kInputs, path + ".inputs"));
  EB_ASSIGN_OR_RETURN(g.outputs, read_scalar_vector<std::int32_t>(r, t, subgraph_field::kOutputs,
                                                                  path + ".outputs"));
  EB_ASSIGN_OR_RETURN(g.operators, read_table_vector(r, t, subgraph_field::kOperators,
                                                     path + ".operators", read_operator));
  EB_ASSIGN_OR_RETURN(g.name, r.string(t, subgraph_field::kName, path + ".name"));
  return g;
}

Result<BufferInfo> read_buffer(const FlatReader& r, const Table& t, const std::string& path) {
  EB_ASSIGN_OR_RETURN(Vector data, r.vector(t, buffer_field::kData, 1, path + ".data"));
  EB_ASSIGN_OR_RETURN(std::uint64_t offset,
                      r.scalar<std::uint64_t>(t, buffer_field::kOffset, 0, path + ".offset"));
  EB_ASSIGN_OR_RETURN(std::uint64_t size,
                      r.scalar<std::uint64_t>(t, buffer_field::kSize, 0, path + ".size"));
  if (data.length > 0) return BufferInfo{data.data, data.length};
  // offset 1 is the converter's placeholder for "not written yet": no data.
  if (offset > 1) {
    if (offset > r.size() || size > r.size() - offset) {
      return r.corrupt(
          path, t.pos,
          fmt::format("offset {} + size {} lies beyond the end of the file", offset, size));
    }
    return BufferInfo{offset, size};
  }
  return BufferInfo{};
}

Status check_index(std::int64_t index, std::size_t count, bool allow_absent, std::string_view where,
                   std::string_view path, std::string_view what) {
  if (allow_absent && index == -1) return Status::ok();
  if (index < 0 || static_cast<std::uint64_t>(index) >= count) {
    return invalid_model(
        fmt::format("{}: corrupt TFLite model: {} refers to {} {}, but there are {}", where, path,
                    what, index, count));
  }
  return Status::ok();
}

// Checks every index the graph builder follows.
Status check_indices(const ModelInfo& m, std::string_view where) {
  for (std::size_t s = 0; s < m.subgraphs.size(); ++s) {
    const SubGraphInfo& g = m.subgraphs[s];
    for (std::size_t i = 0; i < g.tensors.size(); ++i) {
      // Buffer 0 is the schema's "no data" sentinel, valid even in a model without buffers.
      if (g.tensors[i].buffer == 0) continue;
      EB_RETURN_IF_ERROR(check_index(g.tensors[i].buffer, m.buffers.size(), false, where,
                                     fmt::format("subgraphs[{}].tensors[{}].buffer", s, i),
                                     "buffer"));
    }
    for (std::size_t i = 0; i < g.inputs.size(); ++i) {
      EB_RETURN_IF_ERROR(check_index(g.inputs[i], g.tensors.size(), false, where,
                                     fmt::format("subgraphs[{}].inputs[{}]", s, i), "tensor"));
    }
    for (std::size_t i = 0; i < g.outputs.size(); ++i) {
      EB_RETURN_IF_ERROR(check_index(g.outputs[i], g.tensors.size(), false, where,
                                     fmt::format("subgraphs[{}].outputs[{}]", s, i), "tensor"));
    }
    for (std::size_t o = 0; o < g.operators.size(); ++o) {
      const OperatorInfo& op = g.operators[o];
      const std::string p = fmt::format("subgraphs[{}].operators[{}]", s, o);
      EB_RETURN_IF_ERROR(check_index(op.opcode_index, m.operator_codes.size(), false, where,
                                     p + ".opcode_index", "operator code"));
      for (std::size_t i = 0; i < op.inputs.size(); ++i) {
        EB_RETURN_IF_ERROR(check_index(op.inputs[i], g.tensors.size(), true, where,
                                       fmt::format("{}.inputs[{}]", p, i), "tensor"));
      }
      for (std::size_t i = 0; i < op.outputs.size(); ++i) {
        EB_RETURN_IF_ERROR(check_index(op.outputs[i], g.tensors.size(), false, where,
                                       fmt::format("{}.outputs[{}]", p, i), "tensor"));
      }
    }
  }
  return Status::ok();
}

}  // namespace

bool has_file_identifier(std::span<const std::byte> bytes) {
  return bytes.size() >= 8 &&
         std::memcmp(bytes.data() + 4, kFileIdentifier.data(), kFileIdentifier.size()) == 0;
}

Result<ModelInfo> parse_model(std::span<const std::byte> bytes, std::string_view where) {
  if (bytes.size() < 8) {
    return invalid_model(fmt::format("{}: not a TFLite model: {} bytes, too short for a flatbuffer",
                                     where, bytes.size()));
  }
  if (!has_file_identifier(bytes)) {
    return invalid_model(
        fmt::format("{}: not a TFLite model: bytes 4..8 are not the file identifier '{}'", where,
                    kFileIdentifier));
  }
  const FlatReader r(bytes, where);
  EB_ASSIGN_OR_RETURN(Table root, r.root());
  ModelInfo m;
  EB_ASSIGN_OR_RETURN(m.version,
                      r.scalar<std::uint32_t>(root, model_field::kVersion, 0, "version"));
  EB_ASSIGN_OR_RETURN(m.operator_codes, read_table_vector(r, root, model_field::kOperatorCodes,
                                                          "operator_codes", read_operator_code));
  EB_ASSIGN_OR_RETURN(
      m.subgraphs, read_table_vector(r, root, model_field::kSubgraphs, "subgraphs", read_subgraph));
  if (m.subgraphs.empty()) {
    return invalid_model(fmt::format("{}: TFLite model has no subgraphs", where));
  }
  EB_ASSIGN_OR_RETURN(m.description, r.string(root, model_field::kDescription, "description"));
  EB_ASSIGN_OR_RETURN(m.buffers,
                      read_table_vector(r, root, model_field::kBuffers, "buffers", read_buffer));
  EB_RETURN_IF_ERROR(check_indices(m, where));
  return m;
}

std::string operator_name(const OperatorCodeInfo& code) {
  if (code.builtin_code == kCustomBuiltinCode && !code.custom_code.empty()) {
    return code.custom_code;
  }
  const std::string_view name = internal::builtin_name(code.builtin_code);
  if (name.empty()) return fmt::format("BUILTIN_{}", code.builtin_code);
  return std::string(name);
}

std::optional<DType> dtype_from_tensor_type(std::int8_t type) {
  switch (type) {
    case 0: return DType::kFloat32;
    case 1: return DType::kFloat16;
    case 2: return DType::kInt32;
    case 3: return DType::kUInt8;
    case 4: return DType::kInt64;
    case 6: return DType::kBool;
    case 7: return DType::kInt16;
    case 9: return DType::kInt8;
    case 10: return DType::kFloat64;
    case 12: return DType::kUInt64;
    case 15: return DType::kUInt32;
    case 16: return DType::kUInt16;
    default: return std::nullopt;
  }
}

std::string tensor_type_name(std::int8_t type) {
  static constexpr std::string_view kNames[] = {
      "FLOAT32",  "FLOAT16",  "INT32",     "UINT8",         "INT64",      "STRING",
      "BOOL",     "INT16",    "COMPLEX64", "INT8",          "FLOAT64",    "COMPLEX128",
      "UINT64",   "RESOURCE", "VARIANT",   "UINT32",        "UINT16",     "INT4",
      "BFLOAT16", "INT2",     "UINT4",     "FLOAT8_E4M3FN", "FLOAT8_E5M2"};
  if (type >= 0 && static_cast<std::size_t>(type) < std::size(kNames)) {
    return std::string(kNames[type]);
  }
  return fmt::format("TYPE_{}", type);
}

std::optional<QuantParams> quant_params(const TensorInfo& tensor) {
  if (!tensor.quantization || tensor.quantization->scale.empty()) return std::nullopt;
  const QuantizationInfo& q = *tensor.quantization;
  QuantParams p;
  p.scales = q.scale;
  p.zero_points = q.zero_point;
  // TFLite may omit zero points (all zero) or give one for all.
  if (p.zero_points.size() != p.scales.size()) {
    const std::int64_t zp = p.zero_points.empty() ? 0 : p.zero_points[0];
    p.zero_points.assign(p.scales.size(), zp);
  }
  if (q.scale.size() > 1) p.axis = q.quantized_dimension;
  return p;
}

Result<ir::Graph> import_model(std::shared_ptr<const std::vector<std::byte>> bytes,
                               std::string_view where) {
  if (!bytes) return invalid_argument(fmt::format("{}: no bytes", where));
  EB_ASSIGN_OR_RETURN(ModelInfo m, parse_model(*bytes, where));
  const SubGraphInfo& g = m.subgraphs[0];

  ir::Graph graph;
  graph.name = g.name.empty() ? "main" : g.name;
  graph.producer_name = "tflite";
  graph.producer_version = fmt::format("schema {}", m.version);
  graph.doc_string = m.description;
  graph.metadata["tflite.subgraphs"] = std::to_string(m.subgraphs.size());
  graph.opset_imports.push_back({"tflite", m.version});

  // Value names: the tensor's name when it is unique and not empty, else one made unique.
  std::vector<std::string> value_name(g.tensors.size());
  std::set<std::string, std::less<>> used;
  for (std::size_t i = 0; i < g.tensors.size(); ++i) {
    std::string name = g.tensors[i].name;
    if (name.empty() || used.count(name))
      name = fmt::format("{}#{}", name.empty() ? "tensor" : name, i);
    while (used.count(name)) name += "_";
    used.insert(name);
    value_name[i] = std::move(name);
  }

  for (std::size_t i = 0; i < g.tensors.size(); ++i) {
    const TensorInfo& t = g.tensors[i];
    const std::string path = fmt::format("subgraphs[0].tensors[{}] '{}'", i, t.name);
    ir::ValueInfo vi;
    const std::optional<DType> dtype = dtype_from_tensor_type(t.type);
    vi.dtype = dtype.value_or(DType::kUndefined);
    // The IR shape is the file's `shape`: what the interpreter allocates unless resized. A dim
    // that shape_signature marks -1 (resizable, usually the batch) keeps that size and gets a
    // dim name, so that inspection can say it is symbolic.
    Shape shape;
    std::vector<std::string> dim_names;
    const bool has_signature = t.shape_signature.size() == t.shape.size();
    for (std::size_t d = 0; d < t.shape.size(); ++d) {
      if (t.shape[d] < 0) {
        return invalid_model(fmt::format("{}: {}: dimension {} is {}", where, path, d, t.shape[d]));
      }
      const bool symbolic = has_signature && t.shape_signature[d] < 0;
      shape.push_back(t.shape[d]);
      dim_names.push_back(symbolic ? (d == 0 ? "batch" : fmt::format("dim{}", d)) : "");
    }
    vi.shape = shape;
    vi.dim_names = std::move(dim_names);
    graph.value_info[value_name[i]] = vi;

    // Constant tensors: a buffer with data.
    if (t.buffer == 0 || t.buffer >= m.buffers.size()) continue;
    const BufferInfo& b = m.buffers[t.buffer];
    if (b.size == 0 || !dtype || t.is_variable) continue;
    // The buffer's size must match before anything is allocated (a hostile shape may claim
    // gigabytes while the file holds a few bytes).
    auto needed = checked_byte_size(*dtype, shape);
    if (!needed.is_ok()) {
      return invalid_model(fmt::format("{}: {}: {}", where, path, needed.status().message()));
    }
    if (*needed != b.size) {
      return invalid_model(fmt::format(
          "{}: {}: buffer {} holds {} bytes, but a {} tensor of shape {} needs {}", where, path,
          t.buffer, b.size, tensor_type_name(t.type), shape_to_string(shape), *needed));
    }
    auto tensor = Tensor::allocate(*dtype, shape);
    if (!tensor.is_ok()) {
      return invalid_model(fmt::format("{}: {}: {}", where, path, tensor.status().message()));
    }
    if (b.size > 0) std::memcpy(tensor->raw_data(), bytes->data() + b.offset, b.size);
    tensor->set_quant(quant_params(t));
    graph.initializers[value_name[i]] = std::move(tensor).value();
  }

  for (std::int32_t in : g.inputs) {
    if (!graph.is_initializer(value_name[static_cast<std::size_t>(in)])) {
      graph.inputs.push_back(value_name[static_cast<std::size_t>(in)]);
    }
  }
  for (std::int32_t out : g.outputs)
    graph.outputs.push_back(value_name[static_cast<std::size_t>(out)]);

  for (std::size_t o = 0; o < g.operators.size(); ++o) {
    const OperatorInfo& op = g.operators[o];
    const OperatorCodeInfo& code = m.operator_codes[op.opcode_index];
    ir::Node node;
    node.op_type = operator_name(code);
    node.domain = "tflite";
    for (std::int32_t in : op.inputs) {
      node.inputs.push_back(in < 0 ? std::string() : value_name[static_cast<std::size_t>(in)]);
    }
    for (std::int32_t out : op.outputs) {
      node.outputs.push_back(value_name[static_cast<std::size_t>(out)]);
    }
    node.name = node.outputs.empty() ? fmt::format("{}#{}", node.op_type, o) : node.outputs[0];
    node.attributes.set("builtin_code", std::int64_t{code.builtin_code});
    node.attributes.set("version", std::int64_t{code.version});
    if (!code.custom_code.empty()) node.attributes.set("custom_code", code.custom_code);
    graph.nodes.push_back(std::move(node));
  }

  graph.foreign = ir::Graph::ForeignModel{"tflite", std::move(bytes)};
  return graph;
}

Result<ir::Graph> load_model(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return io_error(fmt::format("cannot open model '{}'", path));
  const std::streamoff size = in.tellg();
  if (size < 0) return io_error(fmt::format("cannot read model '{}'", path));
  auto bytes = std::make_shared<std::vector<std::byte>>(static_cast<std::size_t>(size));
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes->data()), size)) {
    return io_error(fmt::format("cannot read model '{}'", path));
  }
  return import_model(std::move(bytes), fmt::format("model '{}'", path));
}

}  // namespace edgebench::tflite
