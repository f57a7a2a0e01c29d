// Quality metrics against hand-computed values (each expected figure is worked out in a
// comment next to it).
#include "edgebench/measure/quality.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace edgebench::measure {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Three classes, five samples. Predictions (argmax, ties to the lowest index):
//   [0.1 0.7 0.2] label 1 -> 1      [0.5 0.5 0.0] label 1 -> 0 (tie)
//   [0.2 0.3 0.5] label 2 -> 2      [0.6 0.3 0.1] label 2 -> 0
//   [0.9 .05 .05] label 0 -> 0
// Confusion [true][pred]: {1,0,0}, {1,1,0}, {1,0,1}.
ClassificationMetrics five_samples() {
  ClassificationMetrics m(3, {"cat", "dog", "bird"});
  EXPECT_TRUE(m.add(std::vector<double>{0.1, 0.7, 0.2}, 1).is_ok());
  EXPECT_TRUE(m.add(std::vector<double>{0.5, 0.5, 0.0}, 1).is_ok());
  EXPECT_TRUE(m.add(std::vector<double>{0.2, 0.3, 0.5}, 2).is_ok());
  EXPECT_TRUE(m.add(std::vector<double>{0.6, 0.3, 0.1}, 2).is_ok());
  EXPECT_TRUE(m.add(std::vector<double>{0.9, 0.05, 0.05}, 0).is_ok());
  return m;
}

TEST(QualityClassification, HandComputedFigures) {
  const ClassificationMetrics m = five_samples();
  EXPECT_EQ(m.samples(), 5u);
  EXPECT_DOUBLE_EQ(m.top1(), 3.0 / 5.0);
  EXPECT_EQ(m.top_k(), 3u);  // min(5, 3 classes)
  EXPECT_DOUBLE_EQ(m.top5(), 1.0);
  const std::vector<std::vector<std::uint64_t>> expected = {{1, 0, 0}, {1, 1, 0}, {1, 0, 1}};
  EXPECT_EQ(m.confusion_matrix(), expected);
  // Precision = diagonal / column sum; recall = diagonal / row sum.
  EXPECT_DOUBLE_EQ(m.precision(0), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.precision(1), 1.0);
  EXPECT_DOUBLE_EQ(m.precision(2), 1.0);
  EXPECT_DOUBLE_EQ(m.recall(0), 1.0);
  EXPECT_DOUBLE_EQ(m.recall(1), 0.5);
  EXPECT_DOUBLE_EQ(m.recall(2), 0.5);
  // F1 = 2PR/(P+R): 2(1/3)(1)/(4/3) = 1/2; 2(1)(1/2)/(3/2) = 2/3.
  EXPECT_DOUBLE_EQ(m.f1(0), 0.5);
  EXPECT_DOUBLE_EQ(m.f1(1), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.f1(2), 2.0 / 3.0);
  EXPECT_EQ(m.support(0), 1u);
  EXPECT_EQ(m.support(1), 2u);
  EXPECT_EQ(m.support(2), 2u);
  EXPECT_DOUBLE_EQ(m.macro_precision(), (1.0 / 3.0 + 1.0 + 1.0) / 3.0);
  EXPECT_DOUBLE_EQ(m.macro_recall(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.macro_f1(), 11.0 / 18.0);
}

TEST(QualityClassification, Json) {
  const nlohmann::json j = five_samples().to_json();
  EXPECT_EQ(j["samples"], 5);
  EXPECT_DOUBLE_EQ(j["top1"].get<double>(), 0.6);
  EXPECT_DOUBLE_EQ(j["top5"].get<double>(), 1.0);
  EXPECT_EQ(j["top5_k"], 3);
  ASSERT_EQ(j["per_class"].size(), 3u);
  EXPECT_EQ(j["per_class"][2]["name"], "bird");
  EXPECT_DOUBLE_EQ(j["per_class"][2]["recall"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["per_class"][0]["precision"].get<double>(), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(j["per_class"][0]["f1"].get<double>(), 0.5);
  EXPECT_EQ(j["per_class"][1]["support"], 2);
  EXPECT_EQ(j["confusion_matrix"], nlohmann::json::parse("[[1,0,0],[1,1,0],[1,0,1]]"));
  EXPECT_DOUBLE_EQ(j["macro_f1"].get<double>(), 11.0 / 18.0);
}

TEST(QualityClassification, TopFiveOfSevenClasses) {
  // Scores 0..6: class c ranks 6 - c, so classes 2..6 make the top five.
  const std::vector<double> ascending = {0, 1, 2, 3, 4, 5, 6};
  ClassificationMetrics m(7);
  EXPECT_EQ(m.top_k(), 5u);
  ASSERT_TRUE(m.add(ascending, 0).is_ok());  // rank 6: out
  ASSERT_TRUE(m.add(ascending, 1).is_ok());  // rank 5: out
  ASSERT_TRUE(m.add(ascending, 2).is_ok());  // rank 4: in
  ASSERT_TRUE(m.add(ascending, 6).is_ok());  // rank 0: in, top-1
  EXPECT_DOUBLE_EQ(m.top5(), 2.0 / 4.0);
  EXPECT_DOUBLE_EQ(m.top1(), 1.0 / 4.0);
  EXPECT_EQ(m.class_name(3), "3");  // no names given: the indices
}

TEST(QualityClassification, TiesGoToTheLowestIndex) {
  const std::vector<double> flat(7, 1.0);
  ClassificationMetrics m(7);
  ASSERT_TRUE(m.add(flat, 0).is_ok());  // rank 0: top-1 hit
  ASSERT_TRUE(m.add(flat, 4).is_ok());  // classes 0..3 rank before it: rank 4, in the top five
  ASSERT_TRUE(m.add(flat, 5).is_ok());  // rank 5: out
  EXPECT_DOUBLE_EQ(m.top1(), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.top5(), 2.0 / 3.0);
  // Every prediction is class 0.
  EXPECT_EQ(m.confusion_matrix()[4][0], 1u);
  EXPECT_EQ(m.confusion_matrix()[5][0], 1u);
}

TEST(QualityClassification, NaNRanksLast) {
  EXPECT_EQ(argmax(std::vector<double>{kNaN, 0.1, 0.2}), 2u);
  EXPECT_EQ(argmax(std::vector<double>{kNaN, kNaN}), 0u);
  EXPECT_EQ(argmax(std::vector<double>{-1.0, kNaN, -2.0}), 0u);
  ClassificationMetrics m(3);
  ASSERT_TRUE(m.add(std::vector<double>{kNaN, 0.1, 0.2}, 0).is_ok());
  EXPECT_DOUBLE_EQ(m.top1(), 0.0);
}

TEST(QualityClassification, UndefinedRatiosAreZero) {
  ClassificationMetrics m(3);
  EXPECT_DOUBLE_EQ(m.top1(), 0.0);  // no samples yet
  ASSERT_TRUE(m.add(std::vector<double>{1, 0, 0}, 0).is_ok());
  // Class 2: no samples and never predicted.
  EXPECT_DOUBLE_EQ(m.precision(2), 0.0);
  EXPECT_DOUBLE_EQ(m.recall(2), 0.0);
  EXPECT_DOUBLE_EQ(m.f1(2), 0.0);
  EXPECT_DOUBLE_EQ(m.macro_recall(), 1.0 / 3.0);
}

TEST(QualityClassification, BadInputIsAnError) {
  ClassificationMetrics m(3);
  EXPECT_FALSE(m.add(std::vector<double>{1, 2}, 0).is_ok());
  EXPECT_FALSE(m.add(std::vector<double>{1, 2, 3}, 3).is_ok());
  EXPECT_FALSE(m.add(std::vector<double>{1, 2, 3}, -1).is_ok());
  EXPECT_EQ(m.samples(), 0u);
}

TEST(QualityRegression, HandComputedFigures) {
  RegressionMetrics m;
  // Differences 0, 1, 2 and (broadcast target 2) -2, -2: squares 0+1+4+4+4 = 13, |.| 7, n 5.
  ASSERT_TRUE(m.add(std::vector<double>{1, 2, 3}, std::vector<double>{1, 1, 1}).is_ok());
  ASSERT_TRUE(m.add(std::vector<double>{0, 0}, std::vector<double>{2}).is_ok());
  EXPECT_EQ(m.samples(), 2u);
  EXPECT_EQ(m.elements(), 5u);
  EXPECT_DOUBLE_EQ(m.mse(), 13.0 / 5.0);
  EXPECT_DOUBLE_EQ(m.mae(), 7.0 / 5.0);
  const nlohmann::json j = m.to_json();
  EXPECT_DOUBLE_EQ(j["mse"].get<double>(), 2.6);
  EXPECT_DOUBLE_EQ(j["mae"].get<double>(), 1.4);
  EXPECT_EQ(j["samples"], 2);
  EXPECT_FALSE(m.add(std::vector<double>{1, 2}, std::vector<double>{1, 2, 3}).is_ok());
  EXPECT_FALSE(m.add(std::vector<double>{}, std::vector<double>{1}).is_ok());
}

TEST(QualityRelativeError, HandComputedFigures) {
  RelativeErrorAccumulator m;
  // ||[0,2]|| / ||[1,0]|| = 2; argmax 1 vs 0: changed.
  ASSERT_TRUE(m.add(std::vector<double>{1, 2}, std::vector<double>{1, 0}).is_ok());
  // Identical: 0, unchanged.
  ASSERT_TRUE(m.add(std::vector<double>{3, 4}, std::vector<double>{3, 4}).is_ok());
  // All-zero reference: the absolute error sqrt(2); argmax 0 (tie) on both sides.
  ASSERT_TRUE(m.add(std::vector<double>{1, 1}, std::vector<double>{0, 0}).is_ok());
  EXPECT_EQ(m.samples(), 3u);
  EXPECT_DOUBLE_EQ(m.mean(), (2.0 + 0.0 + std::sqrt(2.0)) / 3.0);
  EXPECT_DOUBLE_EQ(m.max(), 2.0);
  EXPECT_DOUBLE_EQ(m.argmax_changed(), 1.0 / 3.0);
  const nlohmann::json j = m.to_json();
  EXPECT_DOUBLE_EQ(j["relative_error"].get<double>(), m.mean());
  EXPECT_DOUBLE_EQ(j["relative_error_max"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(j["argmax_changed"].get<double>(), 1.0 / 3.0);
  EXPECT_EQ(j["samples"], 3);
  EXPECT_FALSE(m.add(std::vector<double>{1, 2}, std::vector<double>{1}).is_ok());
}

TEST(QualityRelativeError, ScaleInvariant) {
  // y = 1.1 * ref: relative error 0.1 whatever ref's scale.
  RelativeErrorAccumulator m;
  ASSERT_TRUE(m.add(std::vector<double>{1.1, -2.2, 3.3}, std::vector<double>{1, -2, 3}).is_ok());
  ASSERT_TRUE(m.add(std::vector<double>{1100, -2200, 3300}, std::vector<double>{1000, -2000, 3000})
                  .is_ok());
  EXPECT_NEAR(m.mean(), 0.1, 1e-12);
  EXPECT_NEAR(m.max(), 0.1, 1e-12);
  EXPECT_DOUBLE_EQ(m.argmax_changed(), 0.0);
}

}  // namespace
}  // namespace edgebench::measure
