#include "edgebench/measure/quality.h"

#include <fmt/format.h>

#include <cmath>

namespace edgebench::measure {
namespace {

// Whether the score at index a ranks before the one at index b (see quality.h).
bool ranks_before(std::span<const double> scores, std::size_t a, std::size_t b) {
  const double x = scores[a], y = scores[b];
  const bool x_nan = std::isnan(x), y_nan = std::isnan(y);
  if (x_nan != y_nan) return y_nan;
  if (!x_nan && x != y) return x > y;
  return a < b;
}

double ratio_or_zero(double numerator, double denominator) {
  return denominator == 0 ? 0.0 : numerator / denominator;
}

}  // namespace

std::size_t argmax(std::span<const double> scores) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < scores.size(); ++i) {
    if (ranks_before(scores, i, best)) best = i;
  }
  return best;
}

ClassificationMetrics::ClassificationMetrics(std::size_t num_classes,
                                             std::vector<std::string> class_names)
    : num_classes_(num_classes),
      names_(std::move(class_names)),
      confusion_(num_classes, std::vector<std::uint64_t>(num_classes, 0)) {
  if (names_.size() != num_classes_) {
    names_.clear();
    for (std::size_t c = 0; c < num_classes_; ++c) names_.push_back(std::to_string(c));
  }
}

std::size_t ClassificationMetrics::top_k() const { return std::min<std::size_t>(5, num_classes_); }

Status ClassificationMetrics::add(std::span<const double> scores, std::int64_t label) {
  if (scores.size() != num_classes_) {
    return invalid_argument(fmt::format("{} scores for {} classes (one score per class expected)",
                                        scores.size(), num_classes_));
  }
  if (label < 0 || static_cast<std::uint64_t>(label) >= num_classes_) {
    return invalid_argument(fmt::format("label {} is outside the {} classes [0, {})", label,
                                        num_classes_, num_classes_));
  }
  const auto truth = static_cast<std::size_t>(label);
  // The label's rank: how many classes rank before it.
  std::size_t rank = 0;
  for (std::size_t c = 0; c < num_classes_; ++c) {
    if (c != truth && ranks_before(scores, c, truth)) ++rank;
  }
  ++samples_;
  if (rank == 0) ++top1_hits_;
  if (rank < top_k()) ++topk_hits_;
  ++confusion_[truth][argmax(scores)];
  return Status::ok();
}

double ClassificationMetrics::top1() const {
  return ratio_or_zero(static_cast<double>(top1_hits_), static_cast<double>(samples_));
}

double ClassificationMetrics::top5() const {
  return ratio_or_zero(static_cast<double>(topk_hits_), static_cast<double>(samples_));
}

std::uint64_t ClassificationMetrics::support(std::size_t c) const {
  std::uint64_t n = 0;
  for (std::uint64_t v : confusion_[c]) n += v;
  return n;
}

double ClassificationMetrics::precision(std::size_t c) const {
  std::uint64_t predicted = 0;
  for (std::size_t t = 0; t < num_classes_; ++t) predicted += confusion_[t][c];
  return ratio_or_zero(static_cast<double>(confusion_[c][c]), static_cast<double>(predicted));
}

double ClassificationMetrics::recall(std::size_t c) const {
  return ratio_or_zero(static_cast<double>(confusion_[c][c]), static_cast<double>(support(c)));
}

double ClassificationMetrics::f1(std::size_t c) const {
  const double p = precision(c), r = recall(c);
  return ratio_or_zero(2 * p * r, p + r);
}

double ClassificationMetrics::macro_precision() const {
  double sum = 0;
  for (std::size_t c = 0; c < num_classes_; ++c) sum += precision(c);
  return ratio_or_zero(sum, static_cast<double>(num_classes_));
}

double ClassificationMetrics::macro_recall() const {
  double sum = 0;
  for (std::size_t c = 0; c < num_classes_; ++c) sum += recall(c);
  return ratio_or_zero(sum, static_cast<double>(num_classes_));
}

double ClassificationMetrics::macro_f1() const {
  double sum = 0;
  for (std::size_t c = 0; c < num_classes_; ++c) sum += f1(c);
  return ratio_or_zero(sum, static_cast<double>(num_classes_));
}

nlohmann::json ClassificationMetrics::to_json() const {
  nlohmann::json per_class = nlohmann::json::array();
  for (std::size_t c = 0; c < num_classes_; ++c) {
    per_class.push_back({{"name", names_[c]},
                         {"precision", precision(c)},
                         {"recall", recall(c)},
                         {"f1", f1(c)},
                         {"support", support(c)}});
  }
  return {{"samples", samples_},
          {"top1", top1()},
          {"top5", top5()},
          {"top5_k", top_k()},
          {"macro_precision", macro_precision()},
          {"macro_recall", macro_recall()},
          {"macro_f1", macro_f1()},
          {"per_class", std::move(per_class)},
          {"confusion_matrix", confusion_}};
}

Status RegressionMetrics::add(std::span<const double> output, std::span<const double> target) {
  if (output.empty()) return invalid_argument("regression output has no elements");
  if (target.size() != output.size() && target.size() != 1) {
    return invalid_argument(fmt::format("regression target has {} elements, the output {}",
                                        target.size(), output.size()));
  }
  for (std::size_t i = 0; i < output.size(); ++i) {
    const double diff = output[i] - target[target.size() == 1 ? 0 : i];
    squared_sum_ += diff * diff;
    absolute_sum_ += std::fabs(diff);
  }
  elements_ += output.size();
  ++samples_;
  return Status::ok();
}

double RegressionMetrics::mse() const {
  return ratio_or_zero(squared_sum_, static_cast<double>(elements_));
}

double RegressionMetrics::mae() const {
  return ratio_or_zero(absolute_sum_, static_cast<double>(elements_));
}

nlohmann::json RegressionMetrics::to_json() const {
  return {{"samples", samples_}, {"mse", mse()}, {"mae", mae()}};
}

Status RelativeErrorAccumulator::add(std::span<const double> output,
                                     std::span<const double> reference) {
  if (output.size() != reference.size()) {
    return invalid_argument(fmt::format("output has {} elements, the reference output {}",
                                        output.size(), reference.size()));
  }
  double diff_sq = 0, ref_sq = 0;
  for (std::size_t i = 0; i < output.size(); ++i) {
    const double d = output[i] - reference[i];
    diff_sq += d * d;
    ref_sq += reference[i] * reference[i];
  }
  const double error = ref_sq == 0 ? std::sqrt(diff_sq) : std::sqrt(diff_sq / ref_sq);
  sum_ += error;
  if (samples_ == 0 || error > max_ || std::isnan(error)) max_ = error;
  if (argmax(output) != argmax(reference)) ++argmax_changed_;
  ++samples_;
  return Status::ok();
}

double RelativeErrorAccumulator::mean() const {
  return ratio_or_zero(sum_, static_cast<double>(samples_));
}

double RelativeErrorAccumulator::argmax_changed() const {
  return ratio_or_zero(static_cast<double>(argmax_changed_), static_cast<double>(samples_));
}

nlohmann::json RelativeErrorAccumulator::to_json() const {
  return {{"samples", samples_},
          {"relative_error", mean()},
          {"relative_error_max", max()},
          {"argmax_changed", argmax_changed()}};
}

}  // namespace edgebench::measure
