// Subgraph extraction for segmentation: a consecutive range of nodes (in execution order)
// becomes a graph of its own.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/ir/graph.h"

namespace edgebench::ir {

// The nodes [begin, end) of `graph` (whose nodes are in a topological order) as a graph:
//  - inputs: the values the range reads that are produced before it (or are graph inputs),
//    initializers excepted, in first-use order;
//  - outputs: the values the range produces that nodes after it read or that are graph
//    outputs, in production order;
//  - initializers: those the range reads; value_info and opsets carried over.
// Errors: an empty or out-of-range span.
Result<Graph> extract_segment(const Graph& graph, std::size_t begin, std::size_t end,
                              const std::string& name);

// The values that cross the cut before node `cut` (produced before it, or graph inputs, and read
// at or after it), in first-use order; initializers excepted.
std::vector<std::string> crossing_values(const Graph& graph, std::size_t cut);

}  // namespace edgebench::ir
