#include "dnnl_conv.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "dnnl_state.h"
#include "edgebench/kernels/fast.h"

namespace edgebench::kernels {

void use_passive_openmp_waits(char** argv) {
#if EDGEBENCH_HAVE_DNNL
  if (argv == nullptr || std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  if (setenv("OMP_WAIT_POLICY", "PASSIVE", 1) != 0) return;
  execv("/proc/self/exe", argv);  // returns only on failure: carry on as we are
#else
  (void)argv;
#endif
}

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

Result<std::unique_ptr<DnnlConvState>> make_dnnl_conv(const DnnlConvRequest& request,
                                                      std::string_view what) {
  using dnnl::memory;
  using tag = memory::format_tag;
  const DnnlConvGeometry& g = request.geometry;
  if (!dnnl_conv_enabled()) return std::unique_ptr<DnnlConvState>();
  try {
    auto state = std::make_unique<DnnlConvState>();
    state->threads = request.threads < 1 ? 1 : request.threads;
    // oneDNN sizes its blocking for the thread count it sees when the primitive is made.
    omp_set_num_threads(state->threads);
    dnnl::engine& engine = dnnl_cpu_engine();
    // Logical dimensions are N, C, H, W whatever the memory order; nhwc is our layout.
    const memory::desc src_desc({g.n, g.c_in, g.h, g.w}, request.data, tag::nhwc);
    const memory::desc dst_desc({g.n, g.c_out, g.oh, g.ow}, request.data, tag::nhwc);
    const memory::dims weight_dims =
        g.group == 1 ? memory::dims{g.c_out, g.c_in, g.kh, g.kw}
                     : memory::dims{g.group, g.c_out / g.group, g.c_in / g.group, g.kh, g.kw};
    const memory::desc bias_desc({g.c_out}, request.bias_type, tag::a);
    const bool has_bias = request.bias != nullptr;
    // oneDNN counts dilation from 0 (no dilation), ONNX from 1.
    const dnnl::convolution_forward::desc desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_desc,
        memory::desc(weight_dims, request.data, tag::any), has_bias ? bias_desc : memory::desc(),
        dst_desc, {g.sh, g.sw}, {g.dh - 1, g.dw - 1}, {g.pt, g.pl}, {g.pb, g.pr});
    const dnnl::convolution_forward::primitive_desc pd(desc, request.attr, engine);
    state->implementation = pd.impl_info_str();
    if (state->implementation.starts_with("ref")) return std::unique_ptr<DnnlConvState>();

    state->stream = dnnl::stream(engine);
    memory given({weight_dims, request.data, g.group == 1 ? tag::oihw : tag::goihw}, engine,
                 const_cast<void*>(request.weights));
    state->weights = memory(pd.weights_desc(), engine);
    dnnl::reorder(given, state->weights).execute(state->stream, given, state->weights);
    if (has_bias) {
      state->bias_copy.resize(bias_desc.get_size());
      std::memcpy(state->bias_copy.data(), request.bias, state->bias_copy.size());
      state->bias = memory(bias_desc, engine, state->bias_copy.data());
    }
    state->stream.wait();
    state->src = memory(pd.src_desc(), engine, DNNL_MEMORY_NONE);
    state->dst = memory(pd.dst_desc(), engine, DNNL_MEMORY_NONE);
    state->primitive = dnnl::convolution_forward(pd);
    state->args = {
        {DNNL_ARG_SRC, state->src}, {DNNL_ARG_WEIGHTS, state->weights}, {DNNL_ARG_DST, state->dst}};
    if (has_bias) state->args.emplace(DNNL_ARG_BIAS, state->bias);
    return state;
  } catch (const dnnl::error& e) {
    // unimplemented: no implementation at all for this geometry; the caller keeps XNNPACK.
    if (e.status == dnnl_unimplemented) return std::unique_ptr<DnnlConvState>();
    return internal_error(fmt::format("{}: {}", what, e.what()));
  }
}

Status DnnlConvState::run(const void* in, void* out, std::string_view what) {
  try {
    omp_set_num_threads(threads);
    src.set_data_handle(const_cast<void*>(in));
    dst.set_data_handle(out);
    primitive.execute(stream, args);
    stream.wait();
    return Status::ok();
  } catch (const dnnl::error& e) {
    return internal_error(fmt::format("{}: {}", what, e.what()));
  }
}

Result<std::unique_ptr<DnnlConv>> DnnlConv::create(const DnnlConvGeometry& g, const float* weights,
                                                   const float* bias, float clamp_min,
                                                   float clamp_max, int threads) {
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
      make_dnnl_conv({g, f32, f32, weights, bias, attr, threads}, "oneDNN convolution"));
  if (state == nullptr) return std::unique_ptr<DnnlConv>();
  return std::unique_ptr<DnnlConv>(new DnnlConv(std::move(state)));
}

Status DnnlConv::run(const float* in, float* out) {
  return state_->run(in, out, "oneDNN convolution");
}

#else  // built without oneDNN

bool dnnl_conv_enabled() { return false; }

Result<std::unique_ptr<DnnlConv>> DnnlConv::create(const DnnlConvGeometry&, const float*,
                                                   const float*, float, float, int) {
  return std::unique_ptr<DnnlConv>();
}

Status DnnlConv::run(const float*, float*) {
  return internal_error("oneDNN convolution: built without oneDNN");
}

#endif

DnnlConv::DnnlConv(std::unique_ptr<DnnlConvState> state) : state_(std::move(state)) {}
DnnlConv::~DnnlConv() = default;
const std::string& DnnlConv::implementation() const { return state_->implementation; }

}  // namespace edgebench::kernels
