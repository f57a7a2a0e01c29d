// Dead-node elimination: nodes whose outputs nobody reads, and unread initializers, go away.
#include <set>

#include "edgebench/passes/pass.h"

namespace edgebench::passes {

namespace {

class DeadNodeElimination final : public Pass {
 public:
  std::string_view name() const override { return "dead-node-elimination"; }

  Result<bool> run(ir::Graph& graph) const override {
    bool changed = false;
    // Sweep backwards until stable: removing a node can make its producers dead.
    for (bool removed = true; removed;) {
      removed = false;
      std::set<std::string, std::less<>> read(graph.outputs.begin(), graph.outputs.end());
      for (const ir::Node& node : graph.nodes) {
        for (const std::string& in : node.inputs) {
          if (!in.empty()) read.insert(in);
        }
      }
      for (std::size_t i = graph.nodes.size(); i-- > 0;) {
        bool live = false;
        for (const std::string& out : graph.nodes[i].outputs) live = live || read.count(out) != 0;
        if (!live) {
          graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(i));
          removed = changed = true;
        }
      }
    }
    std::set<std::string, std::less<>> read(graph.outputs.begin(), graph.outputs.end());
    for (const ir::Node& node : graph.nodes) read.insert(node.inputs.begin(), node.inputs.end());
    for (auto it = graph.initializers.begin(); it != graph.initializers.end();) {
      if (read.count(it->first) == 0) {
        it = graph.initializers.erase(it);
        changed = true;
      } else {
        ++it;
      }
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> make_dead_node_elimination() {
  return std::make_unique<DeadNodeElimination>();
}

}  // namespace edgebench::passes
