#include "edgebench/ir/graph.h"

#include <fmt/format.h>

#include <deque>
#include <set>

namespace edgebench::ir {

const AttributeValue* Attributes::find(std::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? nullptr : &it->second;
}

namespace {

template <typename T>
Result<T> typed_get(const Attributes& attrs, std::string_view name, T fallback,
                    std::string_view expected) {
  const AttributeValue* v = attrs.find(name);
  if (v == nullptr) return fallback;
  if (const T* typed = std::get_if<T>(v)) return *typed;
  return invalid_model(fmt::format("attribute '{}' must be {}", name, expected));
}

}  // namespace

Result<std::int64_t> Attributes::get_int(std::string_view name, std::int64_t fallback) const {
  return typed_get<std::int64_t>(*this, name, fallback, "an int");
}

Result<float> Attributes::get_float(std::string_view name, float fallback) const {
  const AttributeValue* v = find(name);
  // Some exporters write integral attributes where floats are expected; accept them.
  if (v != nullptr) {
    if (const auto* i = std::get_if<std::int64_t>(v)) return static_cast<float>(*i);
  }
  return typed_get<float>(*this, name, fallback, "a float");
}

Result<std::string> Attributes::get_string(std::string_view name, std::string fallback) const {
  return typed_get<std::string>(*this, name, std::move(fallback), "a string");
}

Result<std::vector<std::int64_t>> Attributes::get_ints(std::string_view name,
                                                       std::vector<std::int64_t> fallback) const {
  return typed_get<std::vector<std::int64_t>>(*this, name, std::move(fallback), "a list of ints");
}

Result<std::vector<float>> Attributes::get_floats(std::string_view name,
                                                  std::vector<float> fallback) const {
  return typed_get<std::vector<float>>(*this, name, std::move(fallback), "a list of floats");
}

Result<Tensor> Attributes::get_tensor(std::string_view name) const {
  const AttributeValue* v = find(name);
  if (v == nullptr) return invalid_model(fmt::format("missing tensor attribute '{}'", name));
  if (const auto* t = std::get_if<Tensor>(v)) return *t;
  return invalid_model(fmt::format("attribute '{}' must be a tensor", name));
}

bool ValueInfo::has_static_shape() const {
  if (!shape) return false;
  for (std::int64_t d : *shape) {
    if (d < 0) return false;
  }
  return true;
}

std::string Node::describe() const {
  if (name.empty()) {
    return fmt::format("{} node producing '{}'", op_type, outputs.empty() ? "" : outputs[0]);
  }
  return fmt::format("{} node '{}'", op_type, name);
}

std::int64_t Graph::onnx_opset() const { return opset_for(""); }

std::int64_t Graph::opset_for(std::string_view domain) const {
  for (const OpsetImport& o : opset_imports) {
    if (o.domain == domain || (domain.empty() && is_default_domain(o.domain))) return o.version;
  }
  return 0;
}

const ValueInfo* Graph::find_value_info(std::string_view value_name) const {
  auto it = value_info.find(value_name);
  return it == value_info.end() ? nullptr : &it->second;
}

std::map<std::string, std::size_t, std::less<>> producer_index(const Graph& graph) {
  std::map<std::string, std::size_t, std::less<>> producers;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const std::string& out : graph.nodes[i].outputs) {
      if (!out.empty()) producers.emplace(out, i);
    }
  }
  return producers;
}

std::map<std::string, std::vector<std::size_t>, std::less<>> reader_index(const Graph& graph) {
  std::map<std::string, std::vector<std::size_t>, std::less<>> readers;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const std::string& in : graph.nodes[i].inputs) {
      if (!in.empty()) readers[in].push_back(i);
    }
  }
  return readers;
}

Result<std::vector<std::size_t>> topological_order(const Graph& graph) {
  const std::size_t n = graph.nodes.size();
  std::map<std::string, std::size_t, std::less<>> producers;
  for (std::size_t i = 0; i < n; ++i) {
    for (const std::string& out : graph.nodes[i].outputs) {
      if (out.empty()) continue;
      if (!producers.emplace(out, i).second) {
        return invalid_model(fmt::format("value '{}' is produced by both {} and {}", out,
                                         graph.nodes[producers[out]].describe(),
                                         graph.nodes[i].describe()));
      }
    }
  }
  std::set<std::string, std::less<>> sources(graph.inputs.begin(), graph.inputs.end());
  for (const auto& [name, tensor] : graph.initializers) sources.insert(name);

  std::vector<std::size_t> pending(n, 0);
  std::vector<std::vector<std::size_t>> consumers(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::set<std::size_t> deps;
    for (const std::string& in : graph.nodes[i].inputs) {
      if (in.empty()) continue;
      auto it = producers.find(in);
      if (it != producers.end()) {
        if (it->second == i) {
          return invalid_model(fmt::format("{} consumes its own output '{}' (cycle)",
                                           graph.nodes[i].describe(), in));
        }
        deps.insert(it->second);
      } else if (sources.find(in) == sources.end()) {
        return invalid_model(
            fmt::format("{} reads '{}', which no node, graph input or "
                        "initializer provides",
                        graph.nodes[i].describe(), in));
      }
    }
    pending[i] = deps.size();
    for (std::size_t d : deps) consumers[d].push_back(i);
  }
  // Kahn's algorithm; a min-heap by index would be stabler, but a FIFO seeded in file order
  // keeps valid orders unchanged and is linear.
  std::vector<std::size_t> order;
  order.reserve(n);
  std::deque<std::size_t> ready;
  for (std::size_t i = 0; i < n; ++i) {
    if (pending[i] == 0) ready.push_back(i);
  }
  while (!ready.empty()) {
    const std::size_t i = ready.front();
    ready.pop_front();
    order.push_back(i);
    for (std::size_t c : consumers[i]) {
      if (--pending[c] == 0) ready.push_back(c);
    }
  }
  if (order.size() != n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (pending[i] != 0) {
        return invalid_model(
            fmt::format("graph has a cycle through {}", graph.nodes[i].describe()));
      }
    }
  }
  return order;
}

Status sort_topologically(Graph& graph) {
  EB_ASSIGN_OR_RETURN(std::vector<std::size_t> order, topological_order(graph));
  std::vector<Node> sorted;
  sorted.reserve(graph.nodes.size());
  for (std::size_t i : order) sorted.push_back(std::move(graph.nodes[i]));
  graph.nodes = std::move(sorted);
  return Status::ok();
}

Status validate(const Graph& graph) {
  std::set<std::string, std::less<>> seen_inputs;
  for (const std::string& in : graph.inputs) {
    if (in.empty()) return invalid_model("graph input with an empty name");
    if (!seen_inputs.insert(in).second) {
      return invalid_model(fmt::format("graph input '{}' is declared twice", in));
    }
  }
  auto producers = producer_index(graph);
  for (const auto& [name, tensor] : graph.initializers) {
    if (producers.count(name) != 0) {
      return invalid_model(fmt::format("initializer '{}' is also produced by a node", name));
    }
  }
  for (const std::string& in : graph.inputs) {
    if (producers.count(in) != 0) {
      return invalid_model(fmt::format("graph input '{}' is also produced by a node", in));
    }
  }
  EB_ASSIGN_OR_RETURN(std::vector<std::size_t> order, topological_order(graph));
  (void)order;
  for (const std::string& out : graph.outputs) {
    if (producers.count(out) == 0 && seen_inputs.count(out) == 0 && !graph.is_initializer(out)) {
      return invalid_model(fmt::format("graph output '{}' is not produced by any node", out));
    }
  }
  return Status::ok();
}

}  // namespace edgebench::ir
