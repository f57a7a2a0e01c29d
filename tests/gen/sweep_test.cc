// Sweep grids: value lists and ranges, and the grid's points.
#include "edgebench/gen/sweep.h"

#include <gtest/gtest.h>

namespace {

using edgebench::gen::parse_sweep_values;

TEST(SweepValues, RangesIncludeStopWhenTheStepsReachIt) {
  auto v = parse_sweep_values("32:202:10", "--filters");
  ASSERT_TRUE(v.is_ok()) << v.status().message();
  ASSERT_EQ(v->size(), 18u);
  EXPECT_EQ(v->front(), 32);
  EXPECT_EQ(v->back(), 202);
  auto w = parse_sweep_values("32:205:10", "--filters");
  ASSERT_TRUE(w.is_ok());
  EXPECT_EQ(w->back(), 202);
  auto one = parse_sweep_values("7:7:3", "--filters");
  ASSERT_TRUE(one.is_ok());
  EXPECT_EQ(*one, std::vector<std::int64_t>{7});
}

TEST(SweepValues, ListsAndSingleValues) {
  auto v = parse_sweep_values("64,16,128", "--input");
  ASSERT_TRUE(v.is_ok());
  EXPECT_EQ(*v, (std::vector<std::int64_t>{64, 16, 128}));
  auto s = parse_sweep_values("5", "--layers");
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(*s, std::vector<std::int64_t>{5});
}

TEST(SweepValues, BadInputIsAnErrorNamingTheFlag) {
  for (const char* text : {"", "a", "1:2", "1:2:3:4", "3:1:1", "0:4:1", "1:4:0", "-3", "1,,2",
                           "1:99999999999:1", "99999999999999999999", "4.5", "8 "}) {
    auto v = parse_sweep_values(text, "--neurons");
    EXPECT_FALSE(v.is_ok()) << "'" << text << "'";
    if (!v.is_ok()) {
      EXPECT_NE(v.status().message().find("--neurons"), std::string::npos) << text;
    }
  }
}

TEST(SweepGrid, ProductInFlagOrderWithNames) {
  edgebench::gen::ConvSweep sweep;
  sweep.filters = {8, 16};
  sweep.layers = {2, 3};
  sweep.input_size = {32};
  sweep.kernel = {3};
  auto points = edgebench::gen::expand(sweep);
  ASSERT_EQ(points.size(), 4u);
  EXPECT_EQ(edgebench::gen::point_name(points[0]), "conv_F8_L2_S32_K3");
  EXPECT_EQ(edgebench::gen::point_name(points[1]), "conv_F8_L3_S32_K3");
  EXPECT_EQ(edgebench::gen::point_name(points[3]), "conv_F16_L3_S32_K3");
  edgebench::gen::DenseSweep dense;
  dense.neurons = {100, 140};
  dense.layers = {4};
  dense.inputs = {64};
  dense.outputs = {10};
  auto d = edgebench::gen::expand(dense);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(edgebench::gen::point_name(d[1]), "dense_N140_L4_I64_O10");
}

}  // namespace
