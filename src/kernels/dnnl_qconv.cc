#include "dnnl_qconv.h"

#include <fmt/format.h>

#include <cstdlib>
#include <string_view>
#include <vector>

#include "dnnl_state.h"

namespace edgebench::kernels {

#if EDGEBENCH_HAVE_DNNL

namespace {

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

Result<std::unique_ptr<DnnlQConv>> DnnlQConv::create(const DnnlQConvParams& params) {
  const DnnlConvGeometry& g = params.geometry;
  if (!dnnl_conv_enabled()) return std::unique_ptr<DnnlQConv>();
  if (params.weights == nullptr ||
      params.requantization_scales.size() != static_cast<std::size_t>(g.c_out)) {
    return internal_error("oneDNN int8 convolution: weights or one scale per output channel");
  }
  // oneDNN: dst = post_ops(scale[m] * (sum (x - x_zp) * w + bias)), rounded and saturated.
  // The output zero point and the clamp are post-ops on the still unrounded value: adding an
  // integer and clamping to integer bounds commute with rounding.
  dnnl::primitive_attr attr;
  try {
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
  } catch (const dnnl::error& e) {
    return internal_error(fmt::format("oneDNN int8 convolution: {}", e.what()));
  }
  using type = dnnl::memory::data_type;
  EB_ASSIGN_OR_RETURN(
      std::unique_ptr<DnnlConvState> state,
      make_dnnl_conv({g, type::s8, type::s32, params.weights, params.bias, attr, params.threads},
                     "oneDNN int8 convolution"));
  if (state == nullptr) return std::unique_ptr<DnnlQConv>();
  return std::unique_ptr<DnnlQConv>(new DnnlQConv(std::move(state)));
}

Status DnnlQConv::run(const std::int8_t* in, std::int8_t* out, ThreadPool* pool) {
  return state_->run(in, out, pool, "oneDNN int8 convolution");
}

#else  // built without oneDNN

bool dnnl_qconv_exact() { return false; }
bool dnnl_qconv_enabled() { return false; }

Result<std::unique_ptr<DnnlQConv>> DnnlQConv::create(const DnnlQConvParams&) {
  return std::unique_ptr<DnnlQConv>();
}

Status DnnlQConv::run(const std::int8_t*, std::int8_t*, ThreadPool*) {
  return internal_error("oneDNN int8 convolution: built without oneDNN");
}

#endif

DnnlQConv::DnnlQConv(std::unique_ptr<DnnlConvState> state) : state_(std::move(state)) {}
DnnlQConv::~DnnlQConv() = default;
const std::string& DnnlQConv::implementation() const { return state_->implementation; }

}  // namespace edgebench::kernels
