#include "edgebench/plan/trace.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

namespace edgebench::plan {

namespace {

std::optional<std::size_t> resolve_token(std::string_view token,
                                         const std::vector<std::string>& names) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == token) return i;
  }
  if (token.size() == 1 && token[0] >= 'A' && token[0] <= 'Z') {
    const auto i = static_cast<std::size_t>(token[0] - 'A');
    if (i < names.size()) return i;
  }
  if (!token.empty() && token.size() <= 4 &&
      std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const std::size_t n = std::stoul(std::string(token));
    if (n >= 1 && n <= names.size()) return n - 1;
  }
  return std::nullopt;
}

}  // namespace

Result<std::vector<std::size_t>> parse_trace(std::string_view text,
                                             const std::vector<std::string>& model_names) {
  std::vector<std::size_t> trace;
  constexpr std::string_view kSeparators = " ,\t\r\n";
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t start = text.find_first_not_of(kSeparators, pos);
    if (start == std::string_view::npos) break;
    std::size_t end = text.find_first_of(kSeparators, start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view token = text.substr(start, end - start);
    const std::optional<std::size_t> model = resolve_token(token, model_names);
    if (!model) {
      std::vector<std::string> accepted;
      for (std::size_t i = 0; i < model_names.size(); ++i) {
        accepted.push_back(
            i < 26 ? fmt::format("{} | {} | {}", model_names[i], i + 1, static_cast<char>('A' + i))
                   : fmt::format("{} | {}", model_names[i], i + 1));
      }
      return invalid_argument(
          fmt::format("--trace: unknown model '{}' at request {} (accepted: {})", token,
                      trace.size() + 1, fmt::join(accepted, "; ")));
    }
    trace.push_back(*model);
    pos = end;
  }
  if (trace.empty()) return invalid_argument("--trace: no requests given");
  return trace;
}

TracePrediction predict_trace(const std::vector<ModelPlan>& co_compiled,
                              const std::vector<ModelPlan>& separate,
                              const std::vector<std::size_t>& trace) {
  TracePrediction p;
  std::vector<bool> co_loaded(co_compiled.size(), false);
  std::optional<std::size_t> resident;  // separate compilation: whose parameters are cached
  for (std::size_t model : trace) {
    TraceRequest r;
    r.model = model;
    if (model < co_compiled.size()) {
      const LatencyBreakdown& t = co_compiled[model].latency;
      r.co_compiled_load = !co_loaded[model];
      r.co_compiled_s = r.co_compiled_load ? t.first_s() : t.warm_s();
      co_loaded[model] = true;
    }
    if (model < separate.size()) {
      const LatencyBreakdown& t = separate[model].latency;
      r.separate_reload = resident != model;
      r.separate_s = r.separate_reload ? t.first_s() : t.warm_s();
      resident = model;
    }
    p.co_compiled_total_s += r.co_compiled_s;
    p.separate_total_s += r.separate_s;
    p.requests.push_back(r);
  }
  return p;
}

Result<OrderRecommendation> recommend_order(const std::vector<PlanInput>& inputs,
                                            const Device& device,
                                            const std::vector<std::size_t>& trace) {
  OrderRecommendation rec;
  rec.invocations.assign(inputs.size(), 0);
  for (std::size_t m : trace) {
    if (m < inputs.size()) rec.invocations[m] += 1;
  }
  std::vector<std::size_t> by_frequency(inputs.size());
  std::iota(by_frequency.begin(), by_frequency.end(), 0);
  std::stable_sort(by_frequency.begin(), by_frequency.end(), [&](std::size_t a, std::size_t b) {
    return rec.invocations[a] > rec.invocations[b];
  });
  std::vector<std::size_t> frequency_rank(inputs.size());
  for (std::size_t r = 0; r < by_frequency.size(); ++r) frequency_rank[by_frequency[r]] = r;

  std::vector<std::vector<std::size_t>> orders;
  constexpr std::size_t kMaxExhaustive = 7;
  if (inputs.size() <= kMaxExhaustive) {
    std::vector<std::size_t> order(inputs.size());
    std::iota(order.begin(), order.end(), 0);
    do {
      orders.push_back(order);
    } while (std::next_permutation(order.begin(), order.end()));
  } else {
    orders.push_back(by_frequency);
  }

  for (const std::vector<std::size_t>& order : orders) {
    std::vector<PlanInput> ordered;
    for (std::size_t m : order) ordered.push_back(inputs[m]);
    EB_ASSIGN_OR_RETURN(std::vector<ModelPlan> plans, co_compile(ordered, device));
    std::vector<ModelPlan> by_model(inputs.size());  // back to the trace's model indices
    for (std::size_t k = 0; k < order.size(); ++k) by_model[order[k]] = std::move(plans[k]);
    const TracePrediction p = predict_trace(by_model, {}, trace);
    rec.candidates.push_back({order, p.co_compiled_total_s});
  }
  std::stable_sort(rec.candidates.begin(), rec.candidates.end(),
                   [&](const OrderCandidate& a, const OrderCandidate& b) {
                     // Whole nanoseconds: orders closer than that are equal.
                     const long long ta = std::llround(a.total_s * 1e9);
                     const long long tb = std::llround(b.total_s * 1e9);
                     if (ta != tb) return ta < tb;
                     for (std::size_t k = 0; k < a.order.size(); ++k) {
                       if (a.order[k] != b.order[k]) {
                         return frequency_rank[a.order[k]] < frequency_rank[b.order[k]];
                       }
                     }
                     return false;
                   });
  return rec;
}

}  // namespace edgebench::plan
