#include "edgebench/core/tensor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "edgebench/core/dtype.h"

namespace edgebench {
namespace {

constexpr DType kAllDTypes[] = {DType::kFloat32, DType::kFloat16, DType::kFloat64, DType::kInt8,
                                DType::kUInt8,   DType::kInt16,   DType::kUInt16,  DType::kInt32,
                                DType::kUInt32,  DType::kInt64,   DType::kUInt64,  DType::kBool};

// ---- dtype ------------------------------------------------------------------------------

TEST(DType, SizesNamesAndClasses) {
  EXPECT_EQ(dtype_size(DType::kUndefined), 0u);
  EXPECT_EQ(dtype_size(DType::kFloat16), 2u);
  EXPECT_EQ(dtype_size(DType::kFloat64), 8u);
  EXPECT_EQ(dtype_size(DType::kBool), 1u);
  EXPECT_EQ(dtype_name(DType::kUInt32), "uint32");
  for (DType d : kAllDTypes) {
    auto back = dtype_from_name(dtype_name(d));
    ASSERT_TRUE(back.has_value()) << dtype_name(d);
    EXPECT_EQ(*back, d);
    EXPECT_FALSE(is_integer(d) && is_floating(d)) << dtype_name(d);
  }
  EXPECT_FALSE(dtype_from_name("float").has_value());
  EXPECT_FALSE(dtype_from_name("undefined").has_value());
  EXPECT_TRUE(is_floating(DType::kFloat16));
  EXPECT_FALSE(is_floating(DType::kInt32));
  EXPECT_TRUE(is_integer(DType::kUInt64));
  EXPECT_FALSE(is_integer(DType::kBool));
  EXPECT_TRUE(is_signed(DType::kInt8));
  EXPECT_FALSE(is_signed(DType::kUInt8));
  EXPECT_FALSE(is_signed(DType::kBool));
}

// ---- checked sizes ----------------------------------------------------------------------

TEST(CheckedSizes, CountsElements) {
  EXPECT_EQ(*checked_element_count(Shape{}), 1u);
  EXPECT_EQ(*checked_element_count(Shape{0}), 0u);
  EXPECT_EQ(*checked_element_count(Shape{2, 3, 7}), 42u);
  EXPECT_EQ(*checked_element_count(Shape{0, std::numeric_limits<std::int64_t>::max()}), 0u);
  EXPECT_EQ(*checked_element_count(Shape{std::int64_t{1} << 31, std::int64_t{1} << 32}),
            std::uint64_t{1} << 63);
  EXPECT_EQ(element_count(Shape{2, 3, 7}), 42);
  EXPECT_EQ(element_count(Shape{}), 1);
}

TEST(CheckedSizes, RejectsNegativeAndOverflowingShapes) {
  auto negative = checked_element_count(Shape{2, -1});
  EXPECT_EQ(negative.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(negative.status().message().find("[2,-1]"), std::string::npos);

  auto overflow = checked_element_count(Shape{std::int64_t{1} << 32, std::int64_t{1} << 32});
  EXPECT_EQ(overflow.status().code(), StatusCode::kOutOfRange);

  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(checked_element_count(Shape{big, big, big}).status().code(), StatusCode::kOutOfRange);
}

TEST(CheckedSizes, ByteSizeEnforcesTheTensorLimit) {
  EXPECT_EQ(*checked_byte_size(DType::kFloat32, Shape{2, 3}), 24u);
  EXPECT_EQ(*checked_byte_size(DType::kFloat16, Shape{}), 2u);
  // Exactly at the limit is allowed; one element more is not.
  const auto at_limit = static_cast<std::int64_t>(kMaxTensorBytes / 4);
  EXPECT_EQ(*checked_byte_size(DType::kFloat32, Shape{at_limit}), kMaxTensorBytes);
  auto over = checked_byte_size(DType::kFloat32, Shape{at_limit + 1});
  EXPECT_EQ(over.status().code(), StatusCode::kOutOfRange);
  // The element count fits in 64 bits but the byte count would not.
  auto wraps = checked_byte_size(DType::kFloat64, Shape{std::int64_t{1} << 62});
  EXPECT_EQ(wraps.status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(checked_byte_size(DType::kInt8, Shape{-3}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(CheckedSizes, ShapeToString) {
  EXPECT_EQ(shape_to_string(Shape{}), "[]");
  EXPECT_EQ(shape_to_string(Shape{1, 3, 224, 224}), "[1,3,224,224]");
}

// ---- Tensor -----------------------------------------------------------------------------

TEST(Tensor, DefaultIsUndefined) {
  const Tensor t;
  EXPECT_FALSE(t.defined());
  EXPECT_EQ(t.dtype(), DType::kUndefined);
  EXPECT_EQ(t.byte_size(), 0u);
  EXPECT_FALSE(t.clone().defined());
}

TEST(Tensor, AllocateZeroFillsAndAligns) {
  for (DType d : kAllDTypes) {
    for (const Shape& shape : {Shape{}, Shape{0}, Shape{3, 5}, Shape{1, 13, 7, 1}}) {
      auto t = Tensor::allocate(d, shape);
      ASSERT_TRUE(t.is_ok()) << t.status().to_string();
      EXPECT_TRUE(t->defined());
      EXPECT_TRUE(t->owns_data());
      EXPECT_EQ(t->dtype(), d);
      EXPECT_EQ(t->shape(), shape);
      EXPECT_EQ(t->rank(), static_cast<int>(shape.size()));
      EXPECT_EQ(t->element_count(), element_count(shape));
      EXPECT_EQ(t->byte_size(), static_cast<std::size_t>(element_count(shape)) * dtype_size(d));
      ASSERT_NE(t->raw_data(), nullptr);
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t->raw_data()) % kTensorAlignment, 0u);
      // Data and the tail padding read as zero.
      const auto* bytes = static_cast<const unsigned char*>(t->raw_data());
      for (std::size_t i = 0; i < t->byte_size() + kTensorTailPadding; ++i) {
        ASSERT_EQ(bytes[i], 0) << dtype_name(d) << shape_to_string(shape) << " byte " << i;
      }
    }
  }
}

TEST(Tensor, AllocateRejectsBadRequests) {
  EXPECT_EQ(Tensor::allocate(DType::kUndefined, {2}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Tensor::allocate(DType::kFloat32, {2, -2}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Tensor::allocate(DType::kFloat32, {std::int64_t{1} << 40}).status().code(),
            StatusCode::kOutOfRange);
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(Tensor::allocate(DType::kUInt8, {big, big}).status().code(), StatusCode::kOutOfRange);
}

TEST(Tensor, CopiesShareCloneDeepCopiesReshapedShares) {
  Tensor a = Tensor::zeros(DType::kInt32, {2, 3});
  Tensor b = a;
  b.data<std::int32_t>()[4] = 7;
  EXPECT_EQ(a.data<std::int32_t>()[4], 7);

  QuantParams q;
  q.scales = {0.5f};
  q.zero_points = {3};
  a.set_quant(q);
  Tensor c = a.clone();
  EXPECT_NE(c.raw_data(), a.raw_data());
  c.data<std::int32_t>()[4] = 9;
  EXPECT_EQ(a.data<std::int32_t>()[4], 7);
  ASSERT_TRUE(c.quant().has_value());
  EXPECT_EQ(c.quant()->scales, std::vector<float>{0.5f});
  EXPECT_FALSE(c.quant()->per_axis());

  Tensor r = a.reshaped({3, 2});
  EXPECT_EQ(r.shape(), (Shape{3, 2}));
  EXPECT_EQ(r.raw_data(), a.raw_data());
  EXPECT_EQ(r.element_count(), 6);
  EXPECT_EQ(a.shape(), (Shape{2, 3}));
}

TEST(Tensor, ViewDoesNotOwn) {
  float storage[6] = {1, 2, 3, 4, 5, 6};
  Tensor v = Tensor::view(DType::kFloat32, {2, 3}, storage);
  EXPECT_FALSE(v.owns_data());
  EXPECT_EQ(v.raw_data(), storage);
  EXPECT_EQ(v.element_count(), 6);
  EXPECT_EQ(v.element_as_double(5), 6.0);
  Tensor owned = v.clone();
  EXPECT_TRUE(owned.owns_data());
  storage[0] = 100;
  EXPECT_EQ(owned.data<float>()[0], 1.0f);
}

TEST(Tensor, ScalarVectorAndElementAccess) {
  const Tensor s = Tensor::scalar(DType::kInt64, std::int64_t{-5});
  EXPECT_EQ(s.rank(), 0);
  EXPECT_EQ(s.element_count(), 1);
  EXPECT_EQ(s.element_as_int64(0), -5);
  EXPECT_EQ(s.element_as_double(0), -5.0);

  const std::int32_t values[] = {3, -1, 4};
  const Tensor v = Tensor::vector<std::int32_t>(DType::kInt32, values);
  EXPECT_EQ(v.shape(), (Shape{3}));
  EXPECT_EQ(v.to_int64_vector(), (std::vector<std::int64_t>{3, -1, 4}));

  const float halves[] = {1.5f, -2.75f};  // converted to float16 by Tensor::vector
  const Tensor h = Tensor::vector<float>(DType::kFloat16, halves);
  EXPECT_EQ(h.element_as_double(0), 1.5);
  EXPECT_EQ(h.element_as_double(1), -2.75);
  EXPECT_EQ(h.element_as_int64(1), -2);

  const bool flags[] = {true, false};
  const Tensor b = Tensor::vector<bool>(DType::kBool, flags);
  EXPECT_EQ(b.element_as_int64(0), 1);
  EXPECT_EQ(b.element_as_double(1), 0.0);

  const std::uint64_t big[] = {std::uint64_t{1} << 40};
  EXPECT_EQ(Tensor::vector<std::uint64_t>(DType::kUInt64, big).element_as_int64(0),
            std::int64_t{1} << 40);
  const double d[] = {-3.75};
  EXPECT_EQ(Tensor::vector<double>(DType::kFloat64, d).element_as_int64(0), -3);
}

TEST(Tensor, DescribeAndDispatch) {
  EXPECT_EQ(Tensor::zeros(DType::kFloat32, {1, 3, 224, 224}).describe(), "float32[1,3,224,224]");
  EXPECT_EQ(Tensor::zeros(DType::kBool, {}).describe(), "bool[]");
  for (DType d : kAllDTypes) {
    std::size_t size = 0;
    EXPECT_TRUE(dispatch_dtype(d, [&](auto* tag) { size = sizeof(*tag); }));
    EXPECT_EQ(size, dtype_size(d)) << dtype_name(d);
  }
  EXPECT_FALSE(dispatch_dtype(DType::kUndefined, [](auto*) {}));
}

// ---- float16 ----------------------------------------------------------------------------

// An independent decoding of binary16, straight from the IEEE 754 definition.
double reference_half_value(std::uint16_t h) {
  const int sign = (h & 0x8000) ? -1 : 1;
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  if (exponent == 0) return sign * std::ldexp(mantissa, -24);
  if (exponent == 31) {
    return mantissa == 0 ? sign * std::numeric_limits<double>::infinity()
                         : std::numeric_limits<double>::quiet_NaN();
  }
  return sign * std::ldexp(1024 + mantissa, exponent - 25);
}

bool is_half_nan(std::uint16_t h) { return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0; }

TEST(Float16, HalfToFloatMatchesTheDefinitionForAllValues) {
  for (std::uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const auto h = static_cast<std::uint16_t>(bits);
    const float f = half_to_float(h);
    const double expected = reference_half_value(h);
    if (is_half_nan(h)) {
      EXPECT_TRUE(std::isnan(f)) << std::hex << bits;
      EXPECT_EQ(std::signbit(f), (bits & 0x8000) != 0) << std::hex << bits;
    } else {
      ASSERT_EQ(static_cast<double>(f), expected) << std::hex << bits;
      ASSERT_EQ(std::signbit(f), (bits & 0x8000) != 0) << std::hex << bits;  // covers -0
    }
  }
}

TEST(Float16, EveryHalfRoundTripsThroughFloat) {
  int nan_count = 0;
  for (std::uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const auto h = static_cast<std::uint16_t>(bits);
    const std::uint16_t back = float_to_half(half_to_float(h));
    if (is_half_nan(h)) {
      // NaN payloads need not survive, but a NaN must stay a NaN of the same sign.
      EXPECT_TRUE(is_half_nan(back)) << std::hex << bits << " -> " << back;
      EXPECT_EQ(back & 0x8000, h & 0x8000) << std::hex << bits;
      ++nan_count;
    } else {
      ASSERT_EQ(back, h) << std::hex << bits;
    }
  }
  EXPECT_EQ(nan_count, 2 * 1023);
}

TEST(Float16, SpecialValues) {
  EXPECT_EQ(float_to_half(0.0f), 0x0000);
  EXPECT_EQ(float_to_half(-0.0f), 0x8000);
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(float_to_half(-2.0f), 0xc000);
  EXPECT_EQ(float_to_half(65504.0f), 0x7bff);  // largest finite half
  EXPECT_EQ(float_to_half(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_EQ(float_to_half(-std::numeric_limits<float>::infinity()), 0xfc00);
  EXPECT_EQ(float_to_half(1e10f), 0x7c00);
  EXPECT_EQ(float_to_half(-1e10f), 0xfc00);
  EXPECT_EQ(float_to_half(std::numeric_limits<float>::max()), 0x7c00);
  EXPECT_TRUE(is_half_nan(float_to_half(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_TRUE(is_half_nan(float_to_half(-std::numeric_limits<float>::quiet_NaN())));
  EXPECT_TRUE(is_half_nan(float_to_half(std::numeric_limits<float>::signaling_NaN())));
  // A NaN whose payload lives only in the low float mantissa bits must not become Inf.
  EXPECT_TRUE(is_half_nan(float_to_half(std::bit_cast<float>(0x7f800001u))));
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -14)), 0x0400);  // smallest normal
  EXPECT_EQ(float_to_half(std::numeric_limits<float>::denorm_min()), 0x0000);
  EXPECT_EQ(float_to_half(-std::numeric_limits<float>::denorm_min()), 0x8000);
  EXPECT_EQ(float_to_half(1e-8f), 0x0000);
}

TEST(Float16, RoundsToNearestEvenAtEveryBoundary) {
  // For each pair of neighbouring finite halves, the midpoint (exact in float) goes to the one
  // with an even mantissa, and the floats just either side of it go to the nearer half.
  for (std::uint32_t bits = 0; bits < 0x7c00; ++bits) {
    for (std::uint32_t sign : {0u, 0x8000u}) {
      const auto lo = static_cast<std::uint16_t>(bits | sign);
      const auto hi = static_cast<std::uint16_t>((bits + 1) | sign);  // 0x7c00 is Inf
      const double lo_value = reference_half_value(lo);
      const double hi_value =
          bits + 1 == 0x7c00 ? (sign ? -65536.0 : 65536.0) : reference_half_value(hi);
      const auto mid = static_cast<float>((lo_value + hi_value) / 2);
      ASSERT_EQ(static_cast<double>(mid), (lo_value + hi_value) / 2);
      const std::uint16_t even = (bits & 1) ? hi : lo;
      ASSERT_EQ(float_to_half(mid), even) << std::hex << "between " << lo << " and " << hi;
      const float toward_lo = std::nextafter(mid, static_cast<float>(lo_value));
      const float toward_hi = std::nextafter(mid, static_cast<float>(hi_value * 2));
      ASSERT_EQ(float_to_half(toward_lo), lo) << std::hex << "just above " << lo;
      ASSERT_EQ(float_to_half(toward_hi), hi) << std::hex << "just below " << hi;
    }
  }
}

TEST(Float16, RandomFloatsRoundToTheNearestHalf) {
  // Positive finite halves in increasing order, as doubles.
  std::vector<double> halves;
  for (std::uint32_t bits = 0; bits < 0x7c00; ++bits) {
    halves.push_back(reference_half_value(static_cast<std::uint16_t>(bits)));
  }
  halves.push_back(65536.0);  // where Inf (0x7c00) would sit if the exponent range went on
  const unsigned seed = 99;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::uint32_t> any_bits(0, 0xffffffffu);
  std::uniform_real_distribution<float> in_range(-70000.0f, 70000.0f);
  std::uniform_int_distribution<int> exponent(-30, 17);
  for (int trial = 0; trial < 200000; ++trial) {
    float f;
    switch (trial % 3) {
      case 0: f = std::bit_cast<float>(any_bits(rng)); break;
      case 1: f = in_range(rng); break;
      default: f = std::ldexp(in_range(rng) / 70000.0f, exponent(rng)); break;
    }
    if (std::isnan(f)) continue;
    const double a = std::fabs(static_cast<double>(f));
    std::uint16_t expected;
    if (a >= 65520.0) {
      expected = 0x7c00;
    } else {
      const auto it = std::lower_bound(halves.begin(), halves.end(), a);
      auto upper = static_cast<std::uint16_t>(it - halves.begin());
      if (halves[upper] == a) {
        expected = upper;
      } else {
        const auto lower = static_cast<std::uint16_t>(upper - 1);
        const double below = a - halves[lower];
        const double above = halves[upper] - a;
        expected = below < above ? lower : above < below ? upper : (lower & 1) ? upper : lower;
      }
    }
    if (std::signbit(f)) expected |= 0x8000;
    ASSERT_EQ(float_to_half(f), expected)
        << "f=" << f << " bits=" << std::hex << std::bit_cast<std::uint32_t>(f) << std::dec
        << " seed " << seed << " trial " << trial;
  }
}

}  // namespace
}  // namespace edgebench
