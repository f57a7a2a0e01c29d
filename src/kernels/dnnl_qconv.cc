#include "dnnl_qconv.h"

#include <fmt/format.h>

#include <cstdlib>
#include <string_view>
#include <unordered_map>
#include <vector>

#if EDGEBENCH_HAVE_DNNL
#include <oneapi/dnnl/dnnl.hpp>

// As in dnnl_conv.cc: oneDNN runs on the calling thread's OpenMP setting.
extern "C" void omp_set_num_threads(int threads);
#endif

namespace edgebench::kernels {

#if EDGEBENCH_HAVE_DNNL

namespace {

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

std::string_view qconv_choice() {
  const char* choice = std::getenv("EDGEBENCH_QCONV");
  return choice != nullptr ? std::string_view(choice) : std::string_view();
}

}  // namespace

bool dnnl_qconv_exact() {
  static const bool exact = [] {
    try {
      const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
      return isa == dnnl::cpu_isa::avx2_vnni || isa == dnnl::cpu_isa::avx512_core_vnni ||
             isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
    } catch (const dnnl::error&) {
      return false;
    }
  }();
  return exact;
}

bool dnnl_qconv_enabled() {
  static const bool enabled = [] {
    if (!dnnl_conv_enabled() || qconv_choice() == "xnnpack") return false;
    return dnnl_qconv_exact() || qconv_choice() == "dnnl";
  }();
  return enabled;
}

struct DnnlQConv::Impl {
  dnnl::stream stream;
  dnnl::convolution_forward primitive;
  dnnl::memory src, weights, bias, dst;
  std::unordered_map<int, dnnl::memory> args;  // the same handles every run
  std::vector<std::int32_t> bias_copy;
  int threads = 1;
  std::string implementation;
};

Result<std::unique_ptr<DnnlQConv>> DnnlQConv::create(const DnnlQConvParams& params) {
  using dnnl::memory;
  using tag = memory::format_tag;
  const auto s8 = memory::data_type::s8;
  const DnnlConvGeometry& g = params.geometry;
  if (!dnnl_conv_enabled()) return std::unique_ptr<DnnlQConv>();
  if (params.weights == nullptr ||
      params.requantization_scales.size() != static_cast<std::size_t>(g.c_out)) {
    return internal_error("oneDNN int8 convolution: weights or one scale per output channel");
  }
  try {
    auto impl = std::make_unique<Impl>();
    impl->threads = params.threads < 1 ? 1 : params.threads;
    omp_set_num_threads(impl->threads);
    dnnl::engine& engine = cpu_engine();
    const memory::desc src_desc({g.n, g.c_in, g.h, g.w}, s8, tag::nhwc);
    const memory::desc dst_desc({g.n, g.c_out, g.oh, g.ow}, s8, tag::nhwc);
    const memory::dims weight_dims =
        g.group == 1 ? memory::dims{g.c_out, g.c_in, g.kh, g.kw}
                     : memory::dims{g.group, g.c_out / g.group, g.c_in / g.group, g.kh, g.kw};
    const memory::desc any_weights(weight_dims, s8, tag::any);
    const memory::desc bias_desc({g.c_out}, memory::data_type::s32, tag::a);
    const bool has_bias = params.bias != nullptr;
    const dnnl::convolution_forward::desc desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_desc,
        any_weights, has_bias ? bias_desc : memory::desc(), dst_desc, {g.sh, g.sw},
        {g.dh - 1, g.dw - 1}, {g.pt, g.pl}, {g.pb, g.pr});
    // oneDNN: dst = post_ops(scale[m] * (sum (x - x_zp) * w + bias)), rounded and saturated.
    // The output zero point and the clamp are post-ops on the still unrounded value: adding an
    // integer and clamping to integer bounds commute with rounding.
    dnnl::primitive_attr attr;
    attr.set_output_scales(1 << 1, params.requantization_scales);
    if (params.x_zero_point != 0) {
      attr.set_zero_points(DNNL_ARG_SRC, 0, {params.x_zero_point});
    }
    dnnl::post_ops ops;
    if (params.y_zero_point != 0) {
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, 1.0f,
                         static_cast<float>(params.y_zero_point));
    }
    if (params.out_min > -128 || params.out_max < 127) {
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, static_cast<float>(params.out_min),
                         static_cast<float>(params.out_max));
    }
    attr.set_post_ops(ops);
    const dnnl::convolution_forward::primitive_desc pd(desc, attr, engine);
    impl->implementation = pd.impl_info_str();
    if (impl->implementation.starts_with("ref")) return std::unique_ptr<DnnlQConv>();

    impl->stream = dnnl::stream(engine);
    memory given({weight_dims, s8, g.group == 1 ? tag::oihw : tag::goihw}, engine,
                 const_cast<std::int8_t*>(params.weights));
    impl->weights = memory(pd.weights_desc(), engine);
    dnnl::reorder(given, impl->weights).execute(impl->stream, given, impl->weights);
    if (has_bias) {
      impl->bias_copy.assign(params.bias, params.bias + g.c_out);
      impl->bias = memory(bias_desc, engine, impl->bias_copy.data());
    }
    impl->stream.wait();
    impl->src = memory(pd.src_desc(), engine, DNNL_MEMORY_NONE);
    impl->dst = memory(pd.dst_desc(), engine, DNNL_MEMORY_NONE);
    impl->primitive = dnnl::convolution_forward(pd);
    impl->args = {
        {DNNL_ARG_SRC, impl->src}, {DNNL_ARG_WEIGHTS, impl->weights}, {DNNL_ARG_DST, impl->dst}};
    if (has_bias) impl->args.emplace(DNNL_ARG_BIAS, impl->bias);
    return std::unique_ptr<DnnlQConv>(new DnnlQConv(std::move(impl)));
  } catch (const dnnl::error& e) {
    if (e.status == dnnl_unimplemented) return std::unique_ptr<DnnlQConv>();
    return internal_error(fmt::format("oneDNN int8 convolution: {}", e.what()));
  }
}

Status DnnlQConv::run(const std::int8_t* in, std::int8_t* out) {
  try {
    omp_set_num_threads(impl_->threads);
    impl_->src.set_data_handle(const_cast<std::int8_t*>(in));
    impl_->dst.set_data_handle(out);
    impl_->primitive.execute(impl_->stream, impl_->args);
    impl_->stream.wait();
    return Status::ok();
  } catch (const dnnl::error& e) {
    return internal_error(fmt::format("oneDNN int8 convolution: {}", e.what()));
  }
}

#else  // built without oneDNN

bool dnnl_qconv_exact() { return false; }
bool dnnl_qconv_enabled() { return false; }

struct DnnlQConv::Impl {
  std::string implementation;
};

Result<std::unique_ptr<DnnlQConv>> DnnlQConv::create(const DnnlQConvParams&) {
  return std::unique_ptr<DnnlQConv>();
}

Status DnnlQConv::run(const std::int8_t*, std::int8_t*) {
  return internal_error("oneDNN int8 convolution: built without oneDNN");
}

#endif

DnnlQConv::DnnlQConv(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DnnlQConv::~DnnlQConv() = default;
const std::string& DnnlQConv::implementation() const { return impl_->implementation; }

}  // namespace edgebench::kernels
