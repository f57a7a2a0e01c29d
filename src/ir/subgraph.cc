#include "edgebench/ir/subgraph.h"

#include <fmt/format.h>

#include <set>

namespace edgebench::ir {

namespace {

void add_once(std::vector<std::string>& list, std::set<std::string, std::less<>>& seen,
              const std::string& name) {
  if (seen.insert(name).second) list.push_back(name);
}

}  // namespace

std::vector<std::string> crossing_values(const Graph& graph, std::size_t cut) {
  std::set<std::string, std::less<>> before(graph.inputs.begin(), graph.inputs.end());
  for (std::size_t i = 0; i < cut && i < graph.nodes.size(); ++i) {
    for (const std::string& out : graph.nodes[i].outputs) {
      if (!out.empty()) before.insert(out);
    }
  }
  std::vector<std::string> crossing;
  std::set<std::string, std::less<>> seen;
  for (std::size_t i = cut; i < graph.nodes.size(); ++i) {
    for (const std::string& in : graph.nodes[i].inputs) {
      if (!in.empty() && before.contains(in) && !graph.is_initializer(in)) {
        add_once(crossing, seen, in);
      }
    }
  }
  // Graph outputs produced before the cut pass through the rest of the pipeline too.
  for (const std::string& out : graph.outputs) {
    if (before.contains(out) && !graph.is_initializer(out) && cut < graph.nodes.size()) {
      add_once(crossing, seen, out);
    }
  }
  return crossing;
}

Result<Graph> extract_segment(const Graph& graph, std::size_t begin, std::size_t end,
                              const std::string& name) {
  if (begin >= end || end > graph.nodes.size()) {
    return invalid_argument(fmt::format("segment [{}, {}) is not a non-empty range of the {} nodes",
                                        begin, end, graph.nodes.size()));
  }
  Graph g;
  g.name = name;
  g.opset_imports = graph.opset_imports;
  g.ir_version = graph.ir_version;
  g.producer_name = graph.producer_name;
  g.producer_version = graph.producer_version;

  std::set<std::string, std::less<>> produced;  // inside the range
  std::set<std::string, std::less<>> seen_inputs;
  for (std::size_t i = begin; i < end; ++i) {
    const Node& node = graph.nodes[i];
    for (const std::string& in : node.inputs) {
      if (in.empty() || produced.contains(in)) continue;
      if (graph.is_initializer(in)) {
        g.initializers.emplace(in, graph.initializers.find(in)->second);
      } else {
        add_once(g.inputs, seen_inputs, in);
      }
    }
    for (const std::string& out : node.outputs) {
      if (!out.empty()) produced.insert(out);
    }
    g.nodes.push_back(node);
  }
  // Outputs: read after the range, or graph outputs.
  std::set<std::string, std::less<>> needed_later(graph.outputs.begin(), graph.outputs.end());
  for (std::size_t i = end; i < graph.nodes.size(); ++i) {
    for (const std::string& in : graph.nodes[i].inputs) needed_later.insert(in);
  }
  std::set<std::string, std::less<>> seen_outputs;
  for (std::size_t i = begin; i < end; ++i) {
    for (const std::string& out : graph.nodes[i].outputs) {
      if (!out.empty() && needed_later.contains(out)) add_once(g.outputs, seen_outputs, out);
    }
  }
  // A graph output produced before the range passes through it unchanged: it stays an output
  // of the last segment only through the runner, which keeps every value until the end.
  for (const std::string& name_ : g.inputs) {
    if (const ValueInfo* info = graph.find_value_info(name_)) g.value_info.emplace(name_, *info);
  }
  for (std::size_t i = begin; i < end; ++i) {
    for (const std::string& out : graph.nodes[i].outputs) {
      if (const ValueInfo* info = graph.find_value_info(out)) g.value_info.emplace(out, *info);
    }
  }
  if (g.outputs.empty()) {
    return invalid_argument(
        fmt::format("segment [{}, {}) produces nothing that is used later", begin, end));
  }
  return g;
}

}  // namespace edgebench::ir
