// Output-quality metrics for `edgebench eval`: accumulators fed one sample at a time, each
// writing its members of a result's `quality` object.
//
// Conventions, stated once:
// - Ranking (top-k, argmax): a higher score ranks first; among equal scores the lower index
//   ranks first ("lowest index wins"); NaN ranks below every number.
// - A ratio whose denominator is zero (precision of a class never predicted, recall of a class
//   with no samples, F1 when precision + recall is 0) is reported as 0.
// - Macro averages are plain means over all classes, including classes without samples.
// The accumulators are plain values: copyable, not thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "edgebench/core/status.h"

namespace edgebench::measure {

// Index of the highest score under the ranking convention above; 0 for an empty span.
std::size_t argmax(std::span<const double> scores);

// Top-1 / top-k accuracy, confusion matrix and per-class precision, recall and F1 of a
// classifier whose output is one score per class.
class ClassificationMetrics {
 public:
  // `class_names`: one per class, or empty (names are then the class indices).
  explicit ClassificationMetrics(std::size_t num_classes,
                                 std::vector<std::string> class_names = {});

  // One sample: its scores (logits or probabilities, one per class) and its true class.
  // Errors (kInvalidArgument): a score count other than num_classes(), a label out of range.
  Status add(std::span<const double> scores, std::int64_t label);

  std::size_t num_classes() const { return num_classes_; }
  // k of the "top5" figure: min(5, num_classes()).
  std::size_t top_k() const;
  std::uint64_t samples() const { return samples_; }
  // Fractions in [0, 1]; 0 before the first sample.
  double top1() const;
  double top5() const;
  // confusion_matrix()[true class][predicted class] = sample count.
  const std::vector<std::vector<std::uint64_t>>& confusion_matrix() const { return confusion_; }
  std::uint64_t support(std::size_t c) const;  // samples whose true class is c
  double precision(std::size_t c) const;
  double recall(std::size_t c) const;
  double f1(std::size_t c) const;
  double macro_precision() const;
  double macro_recall() const;
  double macro_f1() const;
  const std::string& class_name(std::size_t c) const { return names_[c]; }

  // {samples, top1, top5, top5_k, macro_precision, macro_recall, macro_f1,
  //  per_class: [{name, precision, recall, f1, support}], confusion_matrix}
  nlohmann::json to_json() const;

 private:
  std::size_t num_classes_;
  std::vector<std::string> names_;
  std::vector<std::vector<std::uint64_t>> confusion_;
  std::uint64_t samples_ = 0;
  std::uint64_t top1_hits_ = 0;
  std::uint64_t topk_hits_ = 0;
};

// Mean squared and mean absolute error over every output element against a target.
class RegressionMetrics {
 public:
  // `target` has as many elements as `output`, or one (compared with every element).
  // Error (kInvalidArgument) otherwise, or for an empty output.
  Status add(std::span<const double> output, std::span<const double> target);

  std::uint64_t samples() const { return samples_; }
  std::uint64_t elements() const { return elements_; }
  double mse() const;  // 0 before the first sample
  double mae() const;

  // {samples, mse, mae}
  nlohmann::json to_json() const;

 private:
  std::uint64_t samples_ = 0;
  std::uint64_t elements_ = 0;
  double squared_sum_ = 0;
  double absolute_sum_ = 0;
};

// How far a model's outputs are from a reference model's on the same samples: the relative L2
// error ||y - y_ref||_2 / ||y_ref||_2 per sample (its mean and max), and the share of samples
// whose argmax differs. When ||y_ref||_2 is 0 the sample's error is ||y - y_ref||_2 (absolute),
// so that an all-zero reference does not divide by zero.
class RelativeErrorAccumulator {
 public:
  // Error (kInvalidArgument) when the spans differ in size.
  Status add(std::span<const double> output, std::span<const double> reference);

  std::uint64_t samples() const { return samples_; }
  double mean() const;  // 0 before the first sample
  double max() const { return max_; }
  double argmax_changed() const;  // share in [0, 1]

  // {samples, relative_error, relative_error_max, argmax_changed}
  nlohmann::json to_json() const;

 private:
  std::uint64_t samples_ = 0;
  double sum_ = 0;
  double max_ = 0;
  std::uint64_t argmax_changed_ = 0;
};

}  // namespace edgebench::measure
