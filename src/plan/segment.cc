#include "edgebench/plan/segment.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "edgebench/ir/subgraph.h"

namespace edgebench::plan {

namespace {

// Plans of node ranges, each on its own device, computed once.
class RangePlanner {
 public:
  RangePlanner(const ir::Graph& graph, const Device& device) : graph_(graph), device_(device) {}

  Result<const Segment*> get(std::size_t begin, std::size_t end) {
    const auto key = std::make_pair(begin, end);
    if (auto it = cache_.find(key); it != cache_.end()) return &it->second;
    Segment s;
    s.begin = begin;
    s.end = end;
    EB_ASSIGN_OR_RETURN(
        s.graph, ir::extract_segment(graph_, begin, end,
                                     fmt::format("{}_nodes_{}_{}", graph_.name, begin, end)));
    EB_ASSIGN_OR_RETURN(s.plan,
                        plan_model({s.graph.name, &s.graph}, device_, device_.param_cache_bytes));
    for (const LayerPlan& l : s.plan.layers) s.param_bytes += l.param_bytes;
    s.input_bytes = value_bytes(graph_, s.graph.inputs);
    s.output_bytes = value_bytes(graph_, s.graph.outputs);
    return &cache_.emplace(key, std::move(s)).first->second;
  }

 private:
  const ir::Graph& graph_;
  const Device& device_;
  std::map<std::pair<std::size_t, std::size_t>, Segment> cache_;
};

// Cut positions -> segment ranges.
std::vector<std::pair<std::size_t, std::size_t>> ranges(const std::vector<std::size_t>& cuts,
                                                        std::size_t n) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::size_t begin = 0;
  for (std::size_t c : cuts) {
    out.emplace_back(begin, c);
    begin = c;
  }
  out.emplace_back(begin, n);
  return out;
}

std::vector<std::size_t> balanced_parameter_cuts(const std::vector<std::uint64_t>& bytes,
                                                 std::size_t segments) {
  const std::size_t n = bytes.size();
  const double total = static_cast<double>(std::accumulate(bytes.begin(), bytes.end(), 0ull));
  std::vector<std::size_t> cuts;
  double running = 0;
  std::size_t next = 1;
  for (std::size_t i = 0; i < n && cuts.size() + 1 < segments; ++i) {
    running += static_cast<double>(bytes[i]);
    // Leave at least one node for each segment still to come.
    const std::size_t last_allowed = n - (segments - 1 - cuts.size());
    const std::size_t min_cut = cuts.empty() ? 1 : cuts.back() + 1;
    if (i + 1 >= min_cut &&
        (running >= total * static_cast<double>(next) / static_cast<double>(segments) ||
         i + 1 >= last_allowed)) {
      cuts.push_back(i + 1);
      ++next;
    }
  }
  return cuts;
}

// Greedy: each of the first N-1 segments takes the longest run with cost <= target; returns the
// cuts and the cost of the last segment (everything left).
std::pair<std::vector<std::size_t>, double> greedy_cuts(const std::vector<double>& costs,
                                                        std::size_t segments, double target) {
  const std::size_t n = costs.size();
  std::vector<std::size_t> cuts;
  std::size_t i = 0;
  for (std::size_t s = 0; s + 1 < segments; ++s) {
    double sum = 0;
    const std::size_t start = i;
    // Leave one node for each later segment; take at least one node.
    const std::size_t limit = n - (segments - 1 - s);
    while (i < limit && (i == start || sum + costs[i] <= target)) sum += costs[i++];
    cuts.push_back(i);
  }
  double last = 0;
  for (; i < n; ++i) last += costs[i];
  return {cuts, last};
}

bool next_combination(std::vector<std::size_t>& cuts, std::size_t n) {
  // Cuts are strictly increasing values in [1, n-1].
  const std::size_t k = cuts.size();
  for (std::size_t j = k; j-- > 0;) {
    if (cuts[j] < n - (k - j)) {
      ++cuts[j];
      for (std::size_t m = j + 1; m < k; ++m) cuts[m] = cuts[m - 1] + 1;
      return true;
    }
  }
  return false;
}

double combinations(std::size_t n, std::size_t k) {
  double c = 1;
  for (std::size_t i = 1; i <= k; ++i) {
    c = c * static_cast<double>(n - k + i) / static_cast<double>(i);
  }
  return c;
}

}  // namespace

double pipeline_latency_s(const Segmentation& segmentation, const Device& device,
                          std::size_t batch) {
  const auto k = static_cast<double>(segmentation.segments.size());
  if (segmentation.segments.empty() || batch == 0) return 0;
  double sum = 0;
  double slowest = 0;
  for (const Segment& s : segmentation.segments) {
    const double w =
        s.plan.latency.warm_s() +
        device.pipeline_per_streamed_layer_s * static_cast<double>(s.plan.terms.streamed_layers);
    sum += w;
    slowest = std::max(slowest, w);
  }
  const double h = device.pipeline_per_stage_s;
  if (batch == 1) return sum + k * h;
  const auto b = static_cast<double>(batch);
  return std::max(k * h, slowest + h) * (b + k - 1) / b;
}

Result<SegmentStrategy> parse_segment_strategy(const std::string& name) {
  if (name == "parameters") return SegmentStrategy::kParameters;
  if (name == "latency") return SegmentStrategy::kLatency;
  if (name == "exhaustive") return SegmentStrategy::kExhaustive;
  if (name == "manual") return SegmentStrategy::kManual;
  return invalid_argument(
      fmt::format("--strategy '{}': expected parameters, latency or exhaustive (or --cuts)", name));
}

std::string segment_strategy_name(SegmentStrategy s) {
  switch (s) {
    case SegmentStrategy::kParameters: return "parameters";
    case SegmentStrategy::kLatency: return "latency";
    case SegmentStrategy::kExhaustive: return "exhaustive";
    case SegmentStrategy::kManual: return "manual";
  }
  return "?";
}

std::uint64_t value_bytes(const ir::Graph& graph, const std::vector<std::string>& names) {
  std::uint64_t total = 0;
  for (const std::string& name : names) {
    const ir::ValueInfo* info = graph.find_value_info(name);
    if (info == nullptr || !info->shape) continue;
    std::uint64_t elements = 1;
    for (std::int64_t d : *info->shape)
      elements *= static_cast<std::uint64_t>(std::max<std::int64_t>(d, 0));
    total += elements * dtype_size(info->dtype);
  }
  return total;
}

double Segmentation::slowest_warm_s() const {
  double slowest = 0;
  for (const Segment& s : segments) slowest = std::max(slowest, s.plan.latency.warm_s());
  return slowest;
}

double Segmentation::total_warm_s() const {
  double total = 0;
  for (const Segment& s : segments) total += s.plan.latency.warm_s();
  return total;
}

Result<Segmentation> segment_model(const ir::Graph& graph, const Device& device,
                                   const SegmentationOptions& options) {
  const std::size_t n = graph.nodes.size();
  const std::size_t k = options.segments;
  if (k < 1) return invalid_argument("--segments must be at least 1");
  if (k > n) {
    return invalid_argument(fmt::format("--segments {}: the model has only {} nodes", k, n));
  }
  RangePlanner planner(graph, device);
  Segmentation result;
  result.strategy = options.strategy;
  std::vector<std::size_t> cuts;
  std::vector<double> costs;  // per node, for the latency strategy and the report

  // The whole model planned with an unbounded cache: every op's time with its parameters on
  // chip, and every op's parameter bytes.
  EB_ASSIGN_OR_RETURN(
      ModelPlan unbounded,
      plan_model({graph.name, &graph}, device, std::numeric_limits<std::uint64_t>::max() / 4));
  // Per-node costs: given, or the device model's times.
  if (!options.node_costs.empty()) {
    if (options.node_costs.size() != n) {
      return invalid_argument(
          fmt::format("{} node costs for {} nodes", options.node_costs.size(), n));
    }
    costs = options.node_costs;
  } else {
    costs.assign(n, 0.0);
    for (const LayerPlan& l : unbounded.layers) {
      if (l.node_index < n) costs[l.node_index] = l.time_s;
    }
  }

  switch (options.strategy) {
    case SegmentStrategy::kManual: {
      cuts = options.cuts;
      if (cuts.size() + 1 != k) {
        return invalid_argument(fmt::format("--cuts: {} cuts make {} segments, not {}", cuts.size(),
                                            cuts.size() + 1, k));
      }
      for (std::size_t i = 0; i < cuts.size(); ++i) {
        if (cuts[i] < 1 || cuts[i] >= n || (i > 0 && cuts[i] <= cuts[i - 1])) {
          return invalid_argument(fmt::format(
              "--cuts: cut {} = {} must be a node index in [1, {}] above the previous cut", i + 1,
              cuts[i], n - 1));
        }
      }
      break;
    }
    case SegmentStrategy::kParameters: {
      std::vector<std::uint64_t> bytes(n, 0);
      for (const LayerPlan& l : unbounded.layers) {
        if (l.node_index < n) bytes[l.node_index] = l.param_bytes;
      }
      cuts = balanced_parameter_cuts(bytes, k);
      break;
    }
    case SegmentStrategy::kLatency: {
      const double total = std::accumulate(costs.begin(), costs.end(), 0.0);
      double lo = *std::max_element(costs.begin(), costs.end());
      double hi = total;
      double best = std::numeric_limits<double>::infinity();
      for (int step = 0; step < 100; ++step) {
        ++result.iterations;
        const double target = (lo + hi) / 2;
        auto [candidate, last] = greedy_cuts(costs, k, target);
        // The cost of each segment of this candidate.
        std::vector<double> seg;
        for (auto [b, e] : ranges(candidate, n)) {
          seg.push_back(std::accumulate(costs.begin() + static_cast<std::ptrdiff_t>(b),
                                        costs.begin() + static_cast<std::ptrdiff_t>(e), 0.0));
        }
        const double slowest = *std::max_element(seg.begin(), seg.end());
        const double fastest = *std::min_element(seg.begin(), seg.end());
        if (slowest < best) {
          best = slowest;
          cuts = candidate;
        }
        if (slowest > 0 && (slowest - fastest) / slowest < options.threshold) break;
        if (last <= target) {
          hi = target;
        } else {
          lo = target;
        }
        if (hi - lo <= 1e-9 * std::max(1e-12, total)) break;
      }
      break;
    }
    case SegmentStrategy::kExhaustive: {
      if (k == 1) break;
      const double count = combinations(n - 1, k - 1);
      if (count > static_cast<double>(options.exhaustive_limit)) {
        return invalid_argument(fmt::format(
            "--strategy exhaustive: {:.0f} ways to place {} cuts in {} nodes, more than the "
            "limit of {}; use latency or parameters",
            count, k - 1, n, options.exhaustive_limit));
      }
      std::vector<std::size_t> candidate(k - 1);
      std::iota(candidate.begin(), candidate.end(), std::size_t{1});
      double best = std::numeric_limits<double>::infinity();
      do {
        ++result.iterations;
        double slowest = 0;
        bool ok = true;
        for (auto [b, e] : ranges(candidate, n)) {
          auto seg = planner.get(b, e);
          if (!seg.is_ok()) {  // e.g. a range whose values are all consumed inside it
            ok = false;
            break;
          }
          slowest = std::max(slowest, (*seg)->plan.latency.warm_s());
        }
        if (ok && slowest < best) {
          best = slowest;
          cuts = candidate;
        }
      } while (next_combination(candidate, n));
      if (!std::isfinite(best)) return invalid_argument("no valid way to cut the model");
      break;
    }
  }

  for (auto [b, e] : ranges(cuts, n)) {
    EB_ASSIGN_OR_RETURN(const Segment* seg, planner.get(b, e));
    Segment copy = *seg;
    copy.cost_s = std::accumulate(costs.begin() + static_cast<std::ptrdiff_t>(b),
                                  costs.begin() + static_cast<std::ptrdiff_t>(e), 0.0);
    result.segments.push_back(std::move(copy));
  }
  return result;
}

}  // namespace edgebench::plan
