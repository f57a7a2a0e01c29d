// The vectorizable float math (src/engine/ops/fast_math.h) against the C library in double.
#include "engine/ops/fast_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace edgebench::engine::ops {
namespace {

TEST(FastMath, ExpOfNonPositiveWithinItsBound) {
  double worst = 0;
  float at = 0;
  for (float y = 0.0f; y >= -87.0f; y -= 0.000731f) {
    const double want = std::exp(double(y));
    const double rel = std::abs(exp_nonpositive(y) - want) / want;
    if (rel > worst) worst = rel, at = y;
  }
  EXPECT_LT(worst, 3e-7) << "at " << at;
  EXPECT_EQ(exp_nonpositive(0.0f), 1.0f);
  // Below -87 it holds at e^-87's order instead of becoming a denormal or garbage.
  EXPECT_GT(exp_nonpositive(-1000.0f), 0.0f);
  EXPECT_LT(exp_nonpositive(-1000.0f), 1e-37f);
  EXPECT_LT(exp_nonpositive(-std::numeric_limits<float>::infinity()), 1e-37f);
}

TEST(FastMath, ErfWithinItsBoundEverywhere) {
  double worst_abs = 0, worst_rel = 0;
  float at_abs = 0, at_rel = 0;
  auto check = [&](float x) {
    const double want = std::erf(double(x));
    const double err = std::abs(double(erf_approx(x)) - want);
    if (err > worst_abs) worst_abs = err, at_abs = x;
    if (want != 0 && err / std::abs(want) > worst_rel) worst_rel = err / std::abs(want), at_rel = x;
  };
  for (float x = -7.0f; x <= 7.0f; x += 0.0001373f) check(x);
  // Tiny inputs, where erf(x) is 2x / sqrt(pi) and only a relative bound means much.
  for (float x = 1e-30f; x < 1e-2f; x *= 1.37f) check(x), check(-x);
  EXPECT_LT(worst_abs, 2e-7) << "at " << at_abs;
  EXPECT_LT(worst_rel, 1e-6) << "at " << at_rel;
  // Odd, exact at 0 (either sign) and the infinities, NaN stays NaN.
  EXPECT_EQ(erf_approx(0.5f), -erf_approx(-0.5f));
  EXPECT_EQ(erf_approx(3.0f), -erf_approx(-3.0f));
  EXPECT_EQ(erf_approx(0.0f), 0.0f);
  EXPECT_TRUE(std::signbit(erf_approx(-0.0f)));
  EXPECT_EQ(erf_approx(std::numeric_limits<float>::infinity()), 1.0f);
  EXPECT_EQ(erf_approx(-std::numeric_limits<float>::infinity()), -1.0f);
  EXPECT_EQ(erf_approx(40.0f), 1.0f);
  EXPECT_TRUE(std::isnan(erf_approx(std::numeric_limits<float>::quiet_NaN())));
  // A denormal has too few bits for a relative bound; it stays a denormal of its sign.
  const float tiny = std::numeric_limits<float>::denorm_min() * 1000;
  EXPECT_GT(erf_approx(tiny), 0.0f);
  EXPECT_LT(erf_approx(tiny), 2 * tiny);
}

}  // namespace
}  // namespace edgebench::engine::ops
