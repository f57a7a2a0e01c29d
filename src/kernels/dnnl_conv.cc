#include "dnnl_conv.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <string_view>
#include <unordered_map>
#include <vector>

#if EDGEBENCH_HAVE_DNNL
#include <oneapi/dnnl/dnnl.hpp>

// Debian's oneDNN runs on OpenMP (libgomp): the thread count of a call is the calling thread's
// OpenMP setting. Declared here rather than through <omp.h>, which clang builds lack.
extern "C" void omp_set_num_threads(int threads);
#endif

namespace edgebench::kernels {

#if EDGEBENCH_HAVE_DNNL

namespace {

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

}  // namespace

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

struct DnnlConv::Impl {
  dnnl::stream stream;
  dnnl::convolution_forward primitive;
  dnnl::memory src, weights, bias, dst;
  std::unordered_map<int, dnnl::memory> args;  // the same handles every run
  std::vector<float> bias_copy;
  int threads = 1;
  std::string implementation;
};

Result<std::unique_ptr<DnnlConv>> DnnlConv::create(const DnnlConvGeometry& g, const float* weights,
                                                   const float* bias, float clamp_min,
                                                   float clamp_max, int threads) {
  using dnnl::memory;
  using tag = memory::format_tag;
  const auto f32 = memory::data_type::f32;
  if (!dnnl_conv_enabled()) return std::unique_ptr<DnnlConv>();
  try {
    auto impl = std::make_unique<Impl>();
    impl->threads = threads < 1 ? 1 : threads;
    // oneDNN sizes its blocking for the thread count it sees when the primitive is made.
    omp_set_num_threads(impl->threads);
    dnnl::engine& engine = cpu_engine();
    // Logical dimensions are N, C, H, W whatever the memory order; nhwc is our layout.
    const memory::desc src_desc({g.n, g.c_in, g.h, g.w}, f32, tag::nhwc);
    const memory::desc dst_desc({g.n, g.c_out, g.oh, g.ow}, f32, tag::nhwc);
    const memory::dims weight_dims =
        g.group == 1 ? memory::dims{g.c_out, g.c_in, g.kh, g.kw}
                     : memory::dims{g.group, g.c_out / g.group, g.c_in / g.group, g.kh, g.kw};
    const memory::desc any_weights(weight_dims, f32, tag::any);
    const memory::desc bias_desc({g.c_out}, f32, tag::a);
    // oneDNN counts dilation from 0 (no dilation), ONNX from 1.
    const dnnl::convolution_forward::desc desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_desc,
        any_weights, bias != nullptr ? bias_desc : memory::desc(), dst_desc, {g.sh, g.sw},
        {g.dh - 1, g.dw - 1}, {g.pt, g.pl}, {g.pb, g.pr});
    dnnl::primitive_attr attr;
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
    const dnnl::convolution_forward::primitive_desc pd(desc, attr, engine);
    impl->implementation = pd.impl_info_str();
    if (impl->implementation.starts_with("ref")) return std::unique_ptr<DnnlConv>();

    impl->stream = dnnl::stream(engine);
    memory given({weight_dims, f32, g.group == 1 ? tag::oihw : tag::goihw}, engine,
                 const_cast<float*>(weights));
    impl->weights = memory(pd.weights_desc(), engine);
    dnnl::reorder(given, impl->weights).execute(impl->stream, given, impl->weights);
    if (bias != nullptr) {
      impl->bias_copy.assign(bias, bias + g.c_out);
      impl->bias = memory(bias_desc, engine, impl->bias_copy.data());
    }
    impl->stream.wait();
    impl->src = memory(pd.src_desc(), engine, DNNL_MEMORY_NONE);
    impl->dst = memory(pd.dst_desc(), engine, DNNL_MEMORY_NONE);
    impl->primitive = dnnl::convolution_forward(pd);
    impl->args = {
        {DNNL_ARG_SRC, impl->src}, {DNNL_ARG_WEIGHTS, impl->weights}, {DNNL_ARG_DST, impl->dst}};
    if (bias != nullptr) impl->args.emplace(DNNL_ARG_BIAS, impl->bias);
    return std::unique_ptr<DnnlConv>(new DnnlConv(std::move(impl)));
  } catch (const dnnl::error& e) {
    // unimplemented: no implementation at all for this geometry; the caller keeps XNNPACK.
    if (e.status == dnnl_unimplemented) return std::unique_ptr<DnnlConv>();
    return internal_error(fmt::format("oneDNN convolution: {}", e.what()));
  }
}

Status DnnlConv::run(const float* in, float* out) {
  try {
    omp_set_num_threads(impl_->threads);
    impl_->src.set_data_handle(const_cast<float*>(in));
    impl_->dst.set_data_handle(out);
    impl_->primitive.execute(impl_->stream, impl_->args);
    impl_->stream.wait();
    return Status::ok();
  } catch (const dnnl::error& e) {
    return internal_error(fmt::format("oneDNN convolution: {}", e.what()));
  }
}

#else  // built without oneDNN

bool dnnl_conv_enabled() { return false; }

struct DnnlConv::Impl {
  std::string implementation;
};

Result<std::unique_ptr<DnnlConv>> DnnlConv::create(const DnnlConvGeometry&, const float*,
                                                   const float*, float, float, int) {
  return std::unique_ptr<DnnlConv>();
}

Status DnnlConv::run(const float*, float*) {
  return internal_error("oneDNN convolution: built without oneDNN");
}

#endif

DnnlConv::DnnlConv(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DnnlConv::~DnnlConv() = default;
const std::string& DnnlConv::implementation() const { return impl_->implementation; }

}  // namespace edgebench::kernels
