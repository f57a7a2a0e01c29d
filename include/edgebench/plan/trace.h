// Request traces: a sequence of model invocations on one device, predicted request by request
// with the models co-compiled (one caching token: no reload when they alternate) and compiled
// separately (a model whose parameters are not the ones in the cache reloads them first).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/plan/planner.h"

namespace edgebench::plan {

// Parses a trace: tokens separated by spaces, commas or new lines. A token is a model's name,
// its 1-based position ("1", "2"), or a capital letter for its position ("A" = the first
// model). Errors name the token and list the accepted ones.
Result<std::vector<std::size_t>> parse_trace(std::string_view text,
                                             const std::vector<std::string>& model_names);

struct TraceRequest {
  std::size_t model = 0;
  double co_compiled_s = 0;
  double separate_s = 0;
  bool co_compiled_load = false;  // this request loaded the model's cache share first
  bool separate_reload = false;   // this request reloaded the cache (separate compilation)
};

struct TracePrediction {
  std::vector<TraceRequest> requests;
  double co_compiled_total_s = 0;
  double separate_total_s = 0;
};

// `co_compiled` and `separate` hold the plans of the trace's models, indexed as in the trace
// (either may be empty: its figures stay 0).
TracePrediction predict_trace(const std::vector<ModelPlan>& co_compiled,
                              const std::vector<ModelPlan>& separate,
                              const std::vector<std::size_t>& trace);

struct OrderCandidate {
  std::vector<std::size_t> order;  // model indices, first = highest cache priority
  double total_s = 0;              // the trace's predicted total co-compiled in this order
};

struct OrderRecommendation {
  std::vector<std::size_t> invocations;    // per model, how often the trace calls it
  std::vector<OrderCandidate> candidates;  // best first
};

// Co-compiles the models in every order (up to 7 models; beyond that only in the order of
// descending invocation count) and ranks the orders by the trace's predicted total. Equal
// totals keep the more frequently invoked model first.
Result<OrderRecommendation> recommend_order(const std::vector<PlanInput>& inputs,
                                            const Device& device,
                                            const std::vector<std::size_t>& trace);

}  // namespace edgebench::plan
