#include "dnnl_conv.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

#include "dnnl_state.h"
#include "edgebench/kernels/fast.h"

namespace edgebench::kernels {

#if EDGEBENCH_HAVE_DNNL

dnnl::engine& dnnl_cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

bool dnnl_conv_enabled() {
  static const bool enabled = [] {
    const char* choice = std::getenv("EDGEBENCH_CONV");
    if (choice != nullptr && std::string_view(choice) == "xnnpack") return false;
    try {
      const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
      return isa == dnnl::cpu_isa::avx2 || isa == dnnl::cpu_isa::avx2_vnni ||
             isa == dnnl::cpu_isa::avx512_core || isa == dnnl::cpu_isa::avx512_core_vnni ||
             isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
    } catch (const dnnl::error&) {
      return false;
    }
  }();
  return enabled;
}

namespace {

// A part of a convolution's output and what it reads: its own geometry, and where its input,
// output, weights and bias start (in elements of the whole convolution's arrays).
struct ConvSlice {
  DnnlConvGeometry g;
  std::int64_t in_offset = 0, out_offset = 0, weight_offset = 0, bias_offset = 0;
};

// Below this many multiply-adds a part is not worth a thread's wake-up.
constexpr std::int64_t kMinPartMacs = 1 << 17;

// Splits `g` into at most `parts` slices: bands of images when the batch has enough, else bands
// of output rows (each reading the input rows its window covers, with the padding that falls to
// it), else, for a 1x1 output of an ungrouped convolution, bands of output channels (when
// `channel_split`). One slice, the whole, when none applies or the work is too small.
std::vector<ConvSlice> split_conv(const DnnlConvGeometry& g, int parts, bool channel_split) {
  const std::int64_t macs = g.n * g.oh * g.ow * g.c_out * (g.c_in / g.group) * g.kh * g.kw;
  std::int64_t want = std::min<std::int64_t>(parts, std::max<std::int64_t>(macs / kMinPartMacs, 1));
  std::vector<ConvSlice> out;
  auto band = [&](std::int64_t i, std::int64_t total) {
    return std::pair{total * i / want, total * (i + 1) / want};
  };
  if (want >= 2 && g.n >= want) {
    for (std::int64_t i = 0; i < want; ++i) {
      const auto [b0, b1] = band(i, g.n);
      ConvSlice s{g};
      s.g.n = b1 - b0;
      s.in_offset = b0 * g.h * g.w * g.c_in;
      s.out_offset = b0 * g.oh * g.ow * g.c_out;
      out.push_back(s);
    }
    return out;
  }
  if (want >= 2 && g.n == 1 && g.oh >= want) {
    const std::int64_t window = (g.kh - 1) * g.dh + 1;
    for (std::int64_t i = 0; i < want; ++i) {
      const auto [r0, r1] = band(i, g.oh);
      const std::int64_t first = r0 * g.sh - g.pt;               // first input row read
      const std::int64_t end = (r1 - 1) * g.sh - g.pt + window;  // one past the last
      const std::int64_t lo = std::max<std::int64_t>(first, 0);
      const std::int64_t hi = std::min(end, g.h);
      if (hi <= lo) return {ConvSlice{g}};  // a band that reads only padding: keep it whole
      ConvSlice s{g};
      s.g.h = hi - lo;
      s.g.oh = r1 - r0;
      s.g.pt = lo - first;
      s.g.pb = end - hi;
      s.in_offset = lo * g.w * g.c_in;
      s.out_offset = r0 * g.ow * g.c_out;
      out.push_back(s);
    }
    return out;
  }
  // Channel bands in multiples of 16 (whole vector blocks of both ISAs' layouts).
  if (want >= 2 && channel_split && g.n == 1 && g.oh * g.ow == 1 && g.group == 1 &&
      g.c_out >= 32 * want) {
    const std::int64_t blocks = g.c_out / 16;
    for (std::int64_t i = 0; i < want; ++i) {
      std::int64_t c0 = blocks * i / want * 16, c1 = blocks * (i + 1) / want * 16;
      if (i == want - 1) c1 = g.c_out;
      ConvSlice s{g};
      s.g.c_out = c1 - c0;
      s.out_offset = c0;
      s.weight_offset = c0 * g.c_in * g.kh * g.kw;
      s.bias_offset = c0;
      out.push_back(s);
    }
    return out;
  }
  return {ConvSlice{g}};
}

std::size_t element_bytes(dnnl::memory::data_type type) {
  return dnnl::memory::desc({1}, type, dnnl::memory::format_tag::a).get_size();
}

}  // namespace

Result<std::unique_ptr<DnnlConvState>> make_dnnl_conv(const DnnlConvRequest& request,
                                                      std::string_view what) {
  using dnnl::memory;
  using tag = memory::format_tag;
  if (!dnnl_conv_enabled()) return std::unique_ptr<DnnlConvState>();
  try {
    auto state = std::make_unique<DnnlConvState>();
    // oneDNN sizes its blocking for the thread count it sees when a primitive is made: one.
    omp_set_num_threads(1);
    dnnl::engine& engine = dnnl_cpu_engine();
    dnnl::stream setup(engine);
    const bool has_bias = request.bias != nullptr;
    const std::size_t data_bytes = element_bytes(request.data);
    const std::size_t bias_bytes = element_bytes(request.bias_type);
    if (has_bias) {
      const auto bytes = static_cast<std::size_t>(request.geometry.c_out) * bias_bytes;
      state->bias_copy.resize(bytes);
      std::memcpy(state->bias_copy.data(), request.bias, bytes);
    }
    dnnl::primitive_attr attr = request.attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);  // a scratchpad per part
    memory shared_weights;  // the first part's packed weights, reused by parts of its layout
    for (const ConvSlice& slice :
         split_conv(request.geometry, request.threads, request.channel_split)) {
      const DnnlConvGeometry& g = slice.g;
      // Logical dimensions are N, C, H, W whatever the memory order; nhwc is our layout.
      const memory::desc src_desc({g.n, g.c_in, g.h, g.w}, request.data, tag::nhwc);
      const memory::desc dst_desc({g.n, g.c_out, g.oh, g.ow}, request.data, tag::nhwc);
      const memory::dims weight_dims =
          g.group == 1 ? memory::dims{g.c_out, g.c_in, g.kh, g.kw}
                       : memory::dims{g.group, g.c_out / g.group, g.c_in / g.group, g.kh, g.kw};
      const memory::desc bias_desc({g.c_out}, request.bias_type, tag::a);
      // oneDNN counts dilation from 0 (no dilation), ONNX from 1.
      const dnnl::convolution_forward::desc desc(
          dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_desc,
          memory::desc(weight_dims, request.data, tag::any), has_bias ? bias_desc : memory::desc(),
          dst_desc, {g.sh, g.sw}, {g.dh - 1, g.dw - 1}, {g.pt, g.pl}, {g.pb, g.pr});
      const dnnl::convolution_forward::primitive_desc pd(desc, attr, engine);
      const std::string implementation = pd.impl_info_str();
      if (implementation.starts_with("ref")) return std::unique_ptr<DnnlConvState>();
      if (state->parts.empty()) state->implementation = implementation;

      DnnlConvPart part;
      part.stream = dnnl::stream(engine);
      memory weights;
      if (slice.weight_offset == 0 && shared_weights &&
          shared_weights.get_desc() == pd.weights_desc()) {
        weights = shared_weights;
      } else {
        const auto* first = static_cast<const std::byte*>(request.weights) +
                            static_cast<std::size_t>(slice.weight_offset) * data_bytes;
        memory given({weight_dims, request.data, g.group == 1 ? tag::oihw : tag::goihw}, engine,
                     const_cast<std::byte*>(first));
        weights = memory(pd.weights_desc(), engine);
        dnnl::reorder(given, weights).execute(setup, given, weights);
        if (!shared_weights) shared_weights = weights;
      }
      part.src = memory(pd.src_desc(), engine, DNNL_MEMORY_NONE);
      part.dst = memory(pd.dst_desc(), engine, DNNL_MEMORY_NONE);
      part.scratchpad.resize(pd.scratchpad_desc().get_size());
      part.primitive = dnnl::convolution_forward(pd);
      part.args = {
          {DNNL_ARG_SRC, part.src},
          {DNNL_ARG_WEIGHTS, weights},
          {DNNL_ARG_DST, part.dst},
          {DNNL_ARG_SCRATCHPAD, memory(pd.scratchpad_desc(), engine, part.scratchpad.data())}};
      if (has_bias) {
        part.args.emplace(DNNL_ARG_BIAS,
                          memory(bias_desc, engine,
                                 state->bias_copy.data() +
                                     static_cast<std::size_t>(slice.bias_offset) * bias_bytes));
      }
      part.in_offset = static_cast<std::ptrdiff_t>(slice.in_offset * data_bytes);
      part.out_offset = static_cast<std::ptrdiff_t>(slice.out_offset * data_bytes);
      state->parts.push_back(std::move(part));
    }
    setup.wait();
    return state;
  } catch (const dnnl::error& e) {
    // unimplemented: no implementation at all for this geometry; the caller keeps XNNPACK.
    if (e.status == dnnl_unimplemented) return std::unique_ptr<DnnlConvState>();
    return internal_error(fmt::format("{}: {}", what, e.what()));
  }
}

Status DnnlConvState::run(const void* in, void* out, ThreadPool* pool, std::string_view what) {
  const auto* src = static_cast<const std::byte*>(in);
  auto* dst = static_cast<std::byte*>(out);
  std::vector<std::string> failures(parts.size());  // a part's oneDNN error, if any
  auto run_part = [&](std::size_t i) {
    DnnlConvPart& part = parts[i];
    try {
      omp_set_num_threads(1);  // this thread's OpenMP setting: no OpenMP team
      part.src.set_data_handle(const_cast<std::byte*>(src + part.in_offset));
      part.dst.set_data_handle(dst + part.out_offset);
      part.primitive.execute(part.stream, part.args);
      part.stream.wait();
    } catch (const dnnl::error& e) {
      failures[i] = e.what();
    }
  };
  if (pool != nullptr && parts.size() > 1) {
    pool->parallel_for(parts.size(), run_part);
  } else {
    for (std::size_t i = 0; i < parts.size(); ++i) run_part(i);
  }
  for (const std::string& failure : failures) {
    if (!failure.empty()) return internal_error(fmt::format("{}: {}", what, failure));
  }
  return Status::ok();
}

// A stride-1, ungrouped convolution of one image computed tap by tap: out = clamp(bias +
// sum over taps of W[:, :, ky, kx] x (the input window that tap reads)), each tap a 1x1
// convolution over the rectangle of outputs whose input for that tap lies inside the input.
struct DnnlTapConv {
  struct Tap {
    std::int64_t oy0, oy1, ox0, ox1;  // the outputs it reaches
    std::int64_t iy0, ix0;            // the input they read, at (oy0, ox0)
    std::unique_ptr<DnnlConvState> conv;
  };
  DnnlConvGeometry g;
  std::vector<Tap> taps;
  std::vector<float> bias;  // c_out (zeros without a bias)
  float clamp_min, clamp_max;
  std::vector<float> window, product;  // scratch, sized for the largest tap

  Status run(const float* in, float* out, ThreadPool* pool);
};

namespace {

// Below this share of live multiply-adds (taps times the outputs they reach, over taps times
// outputs) a convolution runs tap by tap.
constexpr double kMaxLiveShareForTaps = 0.6;

// The outputs [lo, hi) along one axis whose input for kernel offset k lies inside [0, size).
std::pair<std::int64_t, std::int64_t> live_range(std::int64_t size, std::int64_t out,
                                                 std::int64_t pad, std::int64_t k,
                                                 std::int64_t dilation) {
  const std::int64_t shift = k * dilation - pad;  // input index = output index + shift
  return {std::clamp<std::int64_t>(-shift, 0, out), std::clamp<std::int64_t>(size - shift, 0, out)};
}

Result<std::unique_ptr<DnnlTapConv>> make_tap_conv(const DnnlConvGeometry& g, const float* weights,
                                                   const float* bias, float clamp_min,
                                                   float clamp_max, int threads) {
  if (g.n != 1 || g.group != 1 || g.sh != 1 || g.sw != 1 || g.kh * g.kw < 2) {
    return std::unique_ptr<DnnlTapConv>();
  }
  // The taps that reach any output, with the rectangle of outputs each reaches.
  struct LiveTap {
    std::int64_t ky, kx, y0, y1, x0, x1;
  };
  std::vector<LiveTap> live_taps;
  std::int64_t live = 0;
  for (std::int64_t ky = 0; ky < g.kh; ++ky) {
    for (std::int64_t kx = 0; kx < g.kw; ++kx) {
      const auto [y0, y1] = live_range(g.h, g.oh, g.pt, ky, g.dh);
      const auto [x0, x1] = live_range(g.w, g.ow, g.pl, kx, g.dw);
      if (y1 <= y0 || x1 <= x0) continue;
      live_taps.push_back({ky, kx, y0, y1, x0, x1});
      live += (y1 - y0) * (x1 - x0);
    }
  }
  if (static_cast<double>(live) >= kMaxLiveShareForTaps * double(g.kh * g.kw * g.oh * g.ow)) {
    return std::unique_ptr<DnnlTapConv>();
  }
  auto conv = std::make_unique<DnnlTapConv>();
  conv->g = g;
  conv->clamp_min = clamp_min;
  conv->clamp_max = clamp_max;
  conv->bias.assign(static_cast<std::size_t>(g.c_out), 0.0f);
  if (bias != nullptr) std::copy(bias, bias + g.c_out, conv->bias.begin());
  std::vector<float> tap_weights(static_cast<std::size_t>(g.c_out * g.c_in));
  std::size_t largest_in = 0, largest_out = 0;
  const dnnl::primitive_attr plain;
  const auto f32 = dnnl::memory::data_type::f32;
  for (const auto& [ky, kx, y0, y1, x0, x1] : live_taps) {
    for (std::int64_t m = 0; m < g.c_out; ++m) {
      for (std::int64_t c = 0; c < g.c_in; ++c) {
        tap_weights[static_cast<std::size_t>(m * g.c_in + c)] =
            weights[((m * g.c_in + c) * g.kh + ky) * g.kw + kx];
      }
    }
    const std::int64_t rows = y1 - y0, cols = x1 - x0;
    const DnnlConvGeometry one{1, rows, cols, g.c_in, g.c_out, 1, 1, 1,    1,
                               1, 1,    1,    0,      0,       0, 0, rows, cols};
    EB_ASSIGN_OR_RETURN(std::unique_ptr<DnnlConvState> state,
                        make_dnnl_conv({one, f32, f32, tap_weights.data(), nullptr, plain, threads,
                                        /*channel_split=*/true},
                                       "oneDNN convolution (a tap)"));
    if (state == nullptr) return std::unique_ptr<DnnlTapConv>();
    conv->taps.push_back(
        {y0, y1, x0, x1, y0 + ky * g.dh - g.pt, x0 + kx * g.dw - g.pl, std::move(state)});
    largest_in = std::max(largest_in, static_cast<std::size_t>(rows * cols * g.c_in));
    largest_out = std::max(largest_out, static_cast<std::size_t>(rows * cols * g.c_out));
  }
  conv->window.resize(largest_in);
  conv->product.resize(largest_out);
  return conv;
}

}  // namespace

Status DnnlTapConv::run(const float* in, float* out, ThreadPool* pool) {
  const auto c_in = static_cast<std::size_t>(g.c_in);
  const auto c_out = static_cast<std::size_t>(g.c_out);
  const auto pixels = static_cast<std::size_t>(g.oh * g.ow);
  for (std::size_t p = 0; p < pixels; ++p) std::copy(bias.begin(), bias.end(), out + p * c_out);
  for (Tap& tap : taps) {
    const auto cols = static_cast<std::size_t>(tap.ox1 - tap.ox0);
    const float* reads = in + (tap.iy0 * g.w + tap.ix0) * g.c_in;
    if (cols != static_cast<std::size_t>(g.w)) {  // gather the rows' runs into one block
      for (std::int64_t r = 0; r < tap.oy1 - tap.oy0; ++r) {
        std::copy_n(in + ((tap.iy0 + r) * g.w + tap.ix0) * g.c_in, cols * c_in,
                    window.data() + static_cast<std::size_t>(r) * cols * c_in);
      }
      reads = window.data();
    }
    EB_RETURN_IF_ERROR(tap.conv->run(reads, product.data(), pool, "oneDNN convolution (a tap)"));
    for (std::int64_t r = 0; r < tap.oy1 - tap.oy0; ++r) {
      float* dst = out + ((tap.oy0 + r) * g.ow + tap.ox0) * g.c_out;
      const float* src = product.data() + static_cast<std::size_t>(r) * cols * c_out;
      for (std::size_t i = 0; i < cols * c_out; ++i) dst[i] += src[i];
    }
  }
  if (std::isfinite(clamp_min) || std::isfinite(clamp_max)) {
    for (std::size_t i = 0; i < pixels * c_out; ++i) {
      out[i] = std::min(std::max(out[i], clamp_min), clamp_max);
    }
  }
  return Status::ok();
}

Result<std::unique_ptr<DnnlConv>> DnnlConv::create(const DnnlConvGeometry& g, const float* weights,
                                                   const float* bias, float clamp_min,
                                                   float clamp_max, int threads) {
  if (!dnnl_conv_enabled()) return std::unique_ptr<DnnlConv>();
  EB_ASSIGN_OR_RETURN(std::unique_ptr<DnnlTapConv> taps,
                      make_tap_conv(g, weights, bias, clamp_min, clamp_max, threads));
  if (taps != nullptr) return std::unique_ptr<DnnlConv>(new DnnlConv(std::move(taps)));
  dnnl::primitive_attr attr;
  try {
    if (std::isfinite(clamp_min) || std::isfinite(clamp_max)) {
      dnnl::post_ops ops;
      if (clamp_min == 0.0f && !std::isfinite(clamp_max)) {
        ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
      } else {
        ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip,
                           std::isfinite(clamp_min) ? clamp_min : -INFINITY,
                           std::isfinite(clamp_max) ? clamp_max : INFINITY);
      }
      attr.set_post_ops(ops);
    }
  } catch (const dnnl::error& e) {
    return internal_error(fmt::format("oneDNN convolution: {}", e.what()));
  }
  const auto f32 = dnnl::memory::data_type::f32;
  EB_ASSIGN_OR_RETURN(
      std::unique_ptr<DnnlConvState> state,
      make_dnnl_conv({g, f32, f32, weights, bias, attr, threads, /*channel_split=*/true},
                     "oneDNN convolution"));
  if (state == nullptr) return std::unique_ptr<DnnlConv>();
  return std::unique_ptr<DnnlConv>(new DnnlConv(std::move(state)));
}

Status DnnlConv::run(const float* in, float* out, ThreadPool* pool) {
  if (taps_ != nullptr) return taps_->run(in, out, pool);
  return state_->run(in, out, pool, "oneDNN convolution");
}

int DnnlConv::parts() const {
  return static_cast<int>((taps_ != nullptr ? *taps_->taps.front().conv : *state_).parts.size());
}

DnnlConv::DnnlConv(std::unique_ptr<DnnlTapConv> taps)
    : taps_(std::move(taps)),
      implementation_("taps of " + taps_->taps.front().conv->implementation) {}

#else  // built without oneDNN

struct DnnlTapConv {};

bool dnnl_conv_enabled() { return false; }

Result<std::unique_ptr<DnnlConv>> DnnlConv::create(const DnnlConvGeometry&, const float*,
                                                   const float*, float, float, int) {
  return std::unique_ptr<DnnlConv>();
}

Status DnnlConv::run(const float*, float*, ThreadPool*) {
  return internal_error("oneDNN convolution: built without oneDNN");
}

int DnnlConv::parts() const { return 1; }

#endif

DnnlConv::DnnlConv(std::unique_ptr<DnnlConvState> state)
    : state_(std::move(state)), implementation_(state_->implementation) {}
DnnlConv::~DnnlConv() = default;
const std::string& DnnlConv::implementation() const { return implementation_; }

}  // namespace edgebench::kernels
