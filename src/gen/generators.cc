#include "edgebench/gen/generators.h"

#include <fmt/format.h>

#include <cmath>
#include <random>

#include "edgebench/core/version.h"

namespace edgebench::gen {

namespace {

// Uniform in [-limit, limit) with limit = sqrt(3 / fan_in): unit-variance outputs for
// unit-variance inputs, so deep stacks neither explode nor vanish.
Tensor seeded_weights(const Shape& shape, std::int64_t fan_in, std::mt19937_64& rng) {
  Tensor t = Tensor::zeros(DType::kFloat32, shape);
  const double limit = std::sqrt(3.0 / static_cast<double>(fan_in));
  for (std::int64_t i = 0; i < t.element_count(); ++i) {
    const double u = static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
    t.data<float>()[i] = static_cast<float>((2.0 * u - 1.0) * limit);
  }
  return t;
}

Status add_activation(ir::Graph& g, const std::string& activation, const std::string& in,
                      const std::string& out, const std::string& name) {
  ir::Node node;
  node.name = name;
  node.inputs = {in};
  node.outputs = {out};
  if (activation == "relu") {
    node.op_type = "Relu";
  } else if (activation == "relu6") {
    node.op_type = "Clip";
    const std::string lo = name + "_min", hi = name + "_max";
    g.initializers[lo] = Tensor::scalar<float>(DType::kFloat32, 0.0f);
    g.initializers[hi] = Tensor::scalar<float>(DType::kFloat32, 6.0f);
    node.inputs = {in, lo, hi};
  } else if (activation == "tanh") {
    node.op_type = "Tanh";
  } else if (activation == "sigmoid") {
    node.op_type = "Sigmoid";
  } else {
    return invalid_argument(fmt::format(
        "unknown activation '{}' (expected relu, relu6, tanh, sigmoid or none)", activation));
  }
  g.nodes.push_back(std::move(node));
  return Status::ok();
}

ir::Graph empty_graph(std::string name) {
  ir::Graph g;
  g.name = std::move(name);
  g.opset_imports = {{"", 13}};
  g.ir_version = 7;
  g.producer_name = "edgebench";
  g.producer_version = std::string(version());
  return g;
}

Status check_positive(std::int64_t v, std::string_view what, std::int64_t max) {
  if (v < 1 || v > max) {
    return invalid_argument(fmt::format("{} must be between 1 and {}, got {}", what, max, v));
  }
  return Status::ok();
}

}  // namespace

std::uint64_t conv_macs(const ConvSpec& s) {
  const auto s2k2 = static_cast<std::uint64_t>(s.input_size * s.input_size * s.kernel * s.kernel);
  const auto f = static_cast<std::uint64_t>(s.filters);
  return s2k2 * (static_cast<std::uint64_t>(s.channels) * f +
                 static_cast<std::uint64_t>(s.layers - 1) * f * f);
}

std::uint64_t dense_macs(const DenseSpec& s) {
  const auto n = static_cast<std::uint64_t>(s.neurons);
  return static_cast<std::uint64_t>(s.inputs) * n +
         static_cast<std::uint64_t>(s.layers - 1) * n * n +
         n * static_cast<std::uint64_t>(s.outputs);
}

Result<ir::Graph> generate_conv(const ConvSpec& spec) {
  EB_RETURN_IF_ERROR(check_positive(spec.filters, "--filters", 1 << 16));
  EB_RETURN_IF_ERROR(check_positive(spec.layers, "--layers", 4096));
  EB_RETURN_IF_ERROR(check_positive(spec.input_size, "--input", 1 << 14));
  EB_RETURN_IF_ERROR(check_positive(spec.kernel, "--kernel", 63));
  EB_RETURN_IF_ERROR(check_positive(spec.channels, "--channels", 1 << 16));
  if (spec.kernel % 2 == 0) {
    return invalid_argument(
        fmt::format("--kernel must be odd for same padding, got {}", spec.kernel));
  }
  ir::Graph g = empty_graph(
      fmt::format("conv_f{}_l{}_s{}_k{}", spec.filters, spec.layers, spec.input_size, spec.kernel));
  std::mt19937_64 rng(spec.seed);
  g.inputs = {"input"};
  g.value_info["input"] = {
      DType::kFloat32, Shape{1, spec.channels, spec.input_size, spec.input_size}, {}};
  std::string current = "input";
  std::int64_t channels = spec.channels;
  const std::int64_t pad = spec.kernel / 2;
  for (std::int64_t l = 0; l < spec.layers; ++l) {
    const std::string w = fmt::format("conv{}.weight", l), b = fmt::format("conv{}.bias", l);
    g.initializers[w] = seeded_weights({spec.filters, channels, spec.kernel, spec.kernel},
                                       channels * spec.kernel * spec.kernel, rng);
    g.initializers[b] = Tensor::zeros(DType::kFloat32, {spec.filters});
    ir::Node conv;
    conv.name = fmt::format("conv{}", l);
    conv.op_type = "Conv";
    conv.inputs = {current, w, b};
    conv.outputs = {fmt::format("conv{}_out", l)};
    conv.attributes.set("kernel_shape", std::vector<std::int64_t>{spec.kernel, spec.kernel});
    conv.attributes.set("pads", std::vector<std::int64_t>{pad, pad, pad, pad});
    conv.attributes.set("strides", std::vector<std::int64_t>{1, 1});
    g.nodes.push_back(conv);
    current = conv.outputs[0];
    if (spec.activation != "none") {
      const std::string act = fmt::format("act{}_out", l);
      EB_RETURN_IF_ERROR(add_activation(g, spec.activation, current, act, fmt::format("act{}", l)));
      current = act;
    }
    channels = spec.filters;
  }
  // Name the graph output "output" with an Identity so that sweeps see one stable name.
  ir::Node id;
  id.name = "output_identity";
  id.op_type = "Identity";
  id.inputs = {current};
  id.outputs = {"output"};
  g.nodes.push_back(id);
  g.outputs = {"output"};
  g.value_info["output"] = {
      DType::kFloat32, Shape{1, spec.filters, spec.input_size, spec.input_size}, {}};
  return g;
}

Result<ir::Graph> generate_dense(const DenseSpec& spec) {
  EB_RETURN_IF_ERROR(check_positive(spec.neurons, "--neurons", 1 << 20));
  EB_RETURN_IF_ERROR(check_positive(spec.layers, "--layers", 4096));
  EB_RETURN_IF_ERROR(check_positive(spec.inputs, "--inputs", 1 << 24));
  EB_RETURN_IF_ERROR(check_positive(spec.outputs, "--outputs", 1 << 24));
  ir::Graph g = empty_graph(
      fmt::format("dense_n{}_l{}_i{}_o{}", spec.neurons, spec.layers, spec.inputs, spec.outputs));
  std::mt19937_64 rng(spec.seed);
  g.inputs = {"input"};
  g.value_info["input"] = {DType::kFloat32, Shape{1, spec.inputs}, {}};
  std::string current = "input";
  std::int64_t width = spec.inputs;
  for (std::int64_t l = 0; l <= spec.layers; ++l) {
    const bool last = l == spec.layers;
    const std::int64_t units = last ? spec.outputs : spec.neurons;
    const std::string w = fmt::format("dense{}.weight", l), b = fmt::format("dense{}.bias", l);
    g.initializers[w] = seeded_weights({units, width}, width, rng);
    g.initializers[b] = Tensor::zeros(DType::kFloat32, {units});
    ir::Node gemm;
    gemm.name = fmt::format("dense{}", l);
    gemm.op_type = "Gemm";
    gemm.inputs = {current, w, b};
    gemm.outputs = {last ? std::string("output") : fmt::format("dense{}_out", l)};
    gemm.attributes.set("transB", std::int64_t{1});
    g.nodes.push_back(gemm);
    current = gemm.outputs[0];
    if (!last && spec.activation != "none") {
      const std::string act = fmt::format("act{}_out", l);
      EB_RETURN_IF_ERROR(add_activation(g, spec.activation, current, act, fmt::format("act{}", l)));
      current = act;
    }
    width = units;
  }
  g.outputs = {"output"};
  g.value_info["output"] = {DType::kFloat32, Shape{1, spec.outputs}, {}};
  return g;
}

}  // namespace edgebench::gen
