#include "edgebench/passes/pass.h"

#include <fmt/format.h>

namespace edgebench::passes {

Result<int> run_to_fixed_point(ir::Graph& graph, std::span<const Pass* const> passes,
                               int max_rounds) {
  int changed_rounds = 0;
  for (int round = 0; round < max_rounds; ++round) {
    bool changed = false;
    for (const Pass* pass : passes) {
      auto result = pass->run(graph);
      if (!result.is_ok())
        return result.status().with_context(fmt::format("pass {}", pass->name()));
      changed = changed || *result;
    }
    if (!changed) return changed_rounds;
    ++changed_rounds;
  }
  return changed_rounds;
}

}  // namespace edgebench::passes
