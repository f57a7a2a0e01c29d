// Float math written so that the compiler vectorizes loops over it: no library calls, no
// branches (both sides of a choice are computed and one is selected), always inlined (also into
// loops compiled for another instruction set: target_clones). GCC vectorizes the selects only
// with -fno-trapping-math, which CMakeLists.txt sets on the files that use this header. For kernels
// whose per-element std:: call dominates a model's time (Erf in GELU: a quarter of ConvNeXt-Tiny).
// Accuracy is stated per function and checked against the C library in
// tests/engine/fast_math_test.cc.
#pragma once

#include <cstdint>

// On a function holding such a loop: with GCC on x86 it is also compiled for x86-64-v3 (AVX2,
// FMA) and that copy is picked at load time where the CPU has it (4x the baseline SSE2 loop on
// Erf). Elsewhere (Arm: NEON is the baseline; clang) the function is compiled once.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define EB_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define EB_VECTOR_CLONES
#endif

namespace edgebench::engine::ops {

// e^y for y <= 0 (larger y are not needed by the callers and not handled), relative error below
// 3e-7; e^y below 2^-126 (y < -87) comes out as 2^-126 times a value in [0.5, 1), not as a
// denormal. 2^k by the exponent bits, e^r on |r| <= ln2 / 2 by its Taylor series to r^7.
[[gnu::always_inline]] inline float exp_nonpositive(float y) {
  y = y < -87.0f ? -87.0f : y;
  // k = round(y / ln2): adding 1.5 * 2^23 rounds to an integer in float arithmetic.
  constexpr float kRound = 12582912.0f;
  const float k = (y * 1.44269504088896341f + kRound) - kRound;
  // r = y - k ln2, with ln2 split so that k * its high part is exact.
  const float r = (y - k * 0.693145751953125f) - k * 1.42860682030941723e-6f;
  const float p =
      1.0f +
      r * (1.0f + r * (0.5f + r * (1.0f / 6 +
                                   r * (1.0f / 24 +
                                        r * (1.0f / 120 + r * (1.0f / 720 + r * (1.0f / 5040)))))));
  // (__builtin_bit_cast, not std::bit_cast: a call that a target_clones loop would not inline)
  const float scale = __builtin_bit_cast(float, (static_cast<std::int32_t>(k) + 127) << 23);
  return p * scale;
}

// erf(x) within 2e-7 absolute and 1e-6 relative of the exact value, for every float (NaN gives
// NaN). |x| < 1: the Maclaurin series to x^23 (truncation below 1e-10). Beyond:
// 1 - t (a1 + a2 t + ... + a5 t^4) e^(-x^2), t = 1 / (1 + p |x|) (Abramowitz and Stegun, Handbook
// of Mathematical Functions, 7.1.26: error below 1.5e-7), with the sign of x.
[[gnu::always_inline]] inline float erf_approx(float x) {
  const float z = x * x;
  const float series =
      x *
      (1.1283791670955126f +
       z * (-0.37612638903183754f +
            z * (0.11283791670955126f +
                 z * (-0.026866170645131252f +
                      z * (0.005223977625442188f +
                           z * (-0.0008548327023450852f +
                                z * (0.00012055332981789664f +
                                     z * (-1.492565035840625e-05f +
                                          z * (1.6462114365889246e-06f +
                                               z * (-1.6365844691234924e-07f +
                                                    z * (1.4807192815879218e-08f +
                                                         z * -1.2290555301717926e-09f)))))))))));
  const float a = x < 0 ? -x : x;
  const float t = 1.0f / (1.0f + 0.3275911f * a);
  const float poly =
      t * (0.254829592f +
           t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
  const float tail = 1.0f - poly * exp_nonpositive(-z);
  const float signed_tail = x < 0 ? -tail : tail;
  return a < 1.0f ? series : (x != x ? x : signed_tail);
}

}  // namespace edgebench::engine::ops
