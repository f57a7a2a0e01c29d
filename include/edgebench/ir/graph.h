// The graph IR: an ONNX-shaped dataflow graph that every module works on.
//
// Values are referred to by name, as in ONNX; an empty input name means "optional input not
// given". Initializers are constant tensors owned by the graph. A Graph is a value type:
// copying it copies node lists and shares initializer buffers (Tensor handles).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/core/tensor.h"

namespace edgebench::ir {

// An attribute value. Subgraph attributes (If, Loop) are not supported by the IR.
using AttributeValue =
    std::variant<std::int64_t, float, std::string, Tensor, std::vector<std::int64_t>,
                 std::vector<float>, std::vector<std::string>>;

class Attributes {
 public:
  void set(std::string name, AttributeValue value) { values_[std::move(name)] = std::move(value); }
  bool has(std::string_view name) const { return values_.find(name) != values_.end(); }
  const AttributeValue* find(std::string_view name) const;
  const std::map<std::string, AttributeValue, std::less<>>& all() const { return values_; }
  bool empty() const { return values_.empty(); }

  // Typed getters: return the default when absent, an error when present with the wrong type.
  Result<std::int64_t> get_int(std::string_view name, std::int64_t fallback) const;
  Result<float> get_float(std::string_view name, float fallback) const;
  Result<std::string> get_string(std::string_view name, std::string fallback) const;
  Result<std::vector<std::int64_t>> get_ints(std::string_view name,
                                             std::vector<std::int64_t> fallback) const;
  Result<std::vector<float>> get_floats(std::string_view name, std::vector<float> fallback) const;
  // Tensor attribute; error if absent.
  Result<Tensor> get_tensor(std::string_view name) const;

 private:
  std::map<std::string, AttributeValue, std::less<>> values_;
};

// Type and shape of a value as declared or inferred. Unknown dims are -1 (with an optional
// symbolic name); an unknown rank is std::nullopt.
struct ValueInfo {
  DType dtype = DType::kUndefined;
  std::optional<Shape> shape;
  std::vector<std::string> dim_names;  // same length as *shape when present; "" if none

  bool has_static_shape() const;
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;  // "" for the default ONNX domain
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  Attributes attributes;

  bool has_input(std::size_t i) const { return i < inputs.size() && !inputs[i].empty(); }
  // "Conv 'conv1'" for messages.
  std::string describe() const;
};

struct OpsetImport {
  std::string domain;
  std::int64_t version = 0;
};

struct Graph {
  std::string name;
  std::vector<Node> nodes;
  // Graph inputs that are not initializers, in declaration order.
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::map<std::string, Tensor, std::less<>> initializers;
  // Declared or inferred type/shape per value name (inputs, outputs, intermediates).
  std::map<std::string, ValueInfo, std::less<>> value_info;
  std::vector<OpsetImport> opset_imports;
  // Model-level metadata preserved through import/export.
  std::int64_t ir_version = 8;
  std::string producer_name = "edgebench";
  std::string producer_version;
  std::string doc_string;
  std::map<std::string, std::string> metadata;

  // A model in a format the engine neither runs nor exports (a TFLite flatbuffer). When set,
  // nodes, values and initializers describe that model for inspection only; backends that run
  // it elsewhere (the runtimes behind the protocol) send `bytes` unchanged, and the others
  // refuse the graph with a message naming `format`.
  struct ForeignModel {
    std::string format;  // "tflite"
    std::shared_ptr<const std::vector<std::byte>> bytes;
  };
  std::optional<ForeignModel> foreign;

  // Opset version of the default ONNX domain (0 if not imported).
  std::int64_t onnx_opset() const;
  std::int64_t opset_for(std::string_view domain) const;

  bool is_initializer(std::string_view value_name) const {
    return initializers.find(value_name) != initializers.end();
  }
  const ValueInfo* find_value_info(std::string_view value_name) const;
};

// Checks structural integrity: every node input is produced by exactly one node, a graph
// input or an initializer; no value is produced twice; graph outputs exist; no cycles.
Status validate(const Graph& graph);

// Node indices in a topological order (stable: keeps the file's order where it is valid).
// Fails with the name of a node on a cycle, or of a dangling input.
Result<std::vector<std::size_t>> topological_order(const Graph& graph);

// Reorders graph.nodes topologically.
Status sort_topologically(Graph& graph);

// For each value name, the index of the node that produces it (graph inputs and initializers
// are absent).
std::map<std::string, std::size_t, std::less<>> producer_index(const Graph& graph);
// For each value name, the indices of the nodes that read it, in graph order (a node that reads
// a value twice is listed twice; graph outputs are not readers).
std::map<std::string, std::vector<std::size_t>, std::less<>> reader_index(const Graph& graph);

// ONNX's default operator set: the empty domain, or "ai.onnx" spelled out.
inline bool is_default_domain(std::string_view domain) {
  return domain.empty() || domain == "ai.onnx";
}
// A node of the default operator set with this op type.
inline bool is_onnx_op(const Node& node, std::string_view op_type) {
  return is_default_domain(node.domain) && node.op_type == op_type;
}

}  // namespace edgebench::ir
