// The lowering of a graph onto the fast kernels: which nodes a fast kernel covers, in which
// layout each value lives, and where layout conversions go. See fast.h.
//
// Layout is chosen greedily in topological order. NHWC-only ops (Conv, ConvTranspose, the
// pools, PRelu on images, channel Concat) take NHWC inputs and make NHWC outputs; elementwise
// ops and Pad follow their input's layout; FullyConnected and Softmax, and every node that stays
// on a reference kernel, read NCHW. A value gets at most one NHWC and one NCHW copy, each made
// once, right before its first reader that needs it.
#include <fmt/format.h>

#include <limits>
#include <optional>
#include <set>
#include <tuple>
#include <variant>

#include "dnnl_conv.h"
#include "edgebench/kernels/fast.h"
#include "engine/ops/conv_util.h"
#include "engine/ops/resize_util.h"
#include "fast_ops.h"

namespace edgebench::kernels {

namespace {

using engine::TensorType;

constexpr std::string_view kNoKernel = "no fast kernel for this op";

// How a fast node reads one input.
enum class Input {
  kNhwc,       // an activation in NHWC
  kPlain,      // a value as the graph has it (NCHW for images)
  kConst,      // a constant, as is
  kConstNhwc,  // a constant broadcast to rank 4 and stored NHWC
};

struct FastNode {
  FastNode() = default;
  FastNode(std::string op, ir::Attributes attrs, std::vector<std::pair<std::string, Input>> ins,
           bool nhwc)
      : op_type(std::move(op)),
        attributes(std::move(attrs)),
        inputs(std::move(ins)),
        nhwc_output(nhwc) {}

  std::string op_type;
  ir::Attributes attributes;
  std::vector<std::pair<std::string, Input>> inputs;
  bool nhwc_output = false;
  std::string output;  // empty: the node's own output 0
};

using Decision = std::variant<FastNode, std::string>;  // the node, or why not

std::array<std::int64_t, 4> to_nhwc_order(std::array<std::int64_t, 4> nchw) {
  return {nchw[0], nchw[2], nchw[3], nchw[1]};
}

class Lowerer {
 public:
  Lowerer(const ir::Graph& graph, const engine::GraphTypes& types) : in_(graph), types_(types) {}

  Result<LoweredGraph> run() {
    LoweredGraph result;
    ir::Graph& out = result.graph;
    out.name = in_.name;
    out.inputs = in_.inputs;
    out.outputs = in_.outputs;
    out.initializers = in_.initializers;
    out.value_info = in_.value_info;
    out.opset_imports = in_.opset_imports;
    out.opset_imports.push_back({std::string(kFastDomain), 1});
    out.ir_version = in_.ir_version;
    for (const std::string& v : in_.inputs) note_name(v, true);
    for (const auto& [name, t] : in_.initializers) note_name(name, true);
    for (const ir::Node& node : in_.nodes) {
      for (const std::string& o : node.outputs) note_name(o, false);
    }
    for (const std::string& o : in_.outputs) used_.insert(o);
    for (std::size_t i = 0; i < in_.nodes.size(); ++i) {
      for (const std::string& v : in_.nodes[i].inputs) {
        if (!v.empty()) readers_[v].push_back(i);
      }
      for (const std::string& v : in_.nodes[i].outputs) {
        if (!v.empty()) producers_[v] = i;
      }
    }
    out_ = &out;

    for (const ir::Node& node : in_.nodes) {
      const auto index = static_cast<std::size_t>(&node - in_.nodes.data());
      if (absorbed_.count(index) != 0) {  // an activation folded into the node before it
        result.nodes.push_back({true, "xnnpack", ""});
        ++result.fast_nodes;
        continue;
      }
      Decision d = types_.dynamic ? Decision{std::string("shapes are only known at run time")}
                                  : decide(node);
      if (auto* fast = std::get_if<FastNode>(&d)) {
        // A float Conv runs on oneDNN where it is enabled (conv_ops.cc keeps XNNPACK for the
        // rare geometry oneDNN has only reference code for).
        const bool onednn = fast->op_type == "Conv" && dnnl_conv_enabled();
        emit_fast(node, std::move(*fast));
        result.nodes.push_back({true, onednn ? "onednn" : "xnnpack", ""});
        ++result.fast_nodes;
      } else {
        emit_reference(node);
        result.nodes.push_back({false, "reference", std::get<std::string>(d)});
      }
    }
    for (const std::string& o : in_.outputs) plain(o);
    remove_dead_nodes();
    result.layout_conversions = conversions_;
    result.op_labels = std::move(labels_);
    return result;
  }

 private:
  void note_name(const std::string& v, bool plain_now) {
    if (v.empty()) return;
    used_.insert(v);
    if (plain_now) plain_.insert(v);
  }

  std::string fresh(const std::string& base) {
    std::string name = base;
    for (int k = 1; used_.count(name) != 0; ++k) name = fmt::format("{}_{}", base, k);
    used_.insert(name);
    return name;
  }

  const TensorType* type_of(const std::string& v) const {
    auto it = types_.types.find(v);
    return it == types_.types.end() ? nullptr : &it->second;
  }
  const Tensor* constant(const std::string& v) const {
    auto it = types_.constants.find(v);
    return it == types_.constants.end() ? nullptr : &it->second;
  }
  bool is_float_activation(const std::string& v, int rank = -1) const {
    const TensorType* t = type_of(v);
    return t != nullptr && constant(v) == nullptr && t->dtype == DType::kFloat32 &&
           (rank < 0 || static_cast<int>(t->shape.size()) == rank);
  }
  bool is_int8_activation(const std::string& v, int rank = -1) const {
    const TensorType* t = type_of(v);
    return t != nullptr && constant(v) == nullptr && is_int8_or_uint8(t->dtype) &&
           (rank < 0 || static_cast<int>(t->shape.size()) == rank);
  }
  // A scalar (one element) constant input of the given dtype, or null.
  const Tensor* scalar_constant(const ir::Node& node, std::size_t i, DType dtype) const {
    if (!node.has_input(i)) return nullptr;
    const Tensor* c = constant(node.inputs[i]);
    return c != nullptr && c->dtype() == dtype && c->element_count() == 1 ? c : nullptr;
  }
  const Tensor* float_constant(const ir::Node& node, std::size_t i) const {
    if (!node.has_input(i)) return nullptr;
    const Tensor* c = constant(node.inputs[i]);
    return c != nullptr && c->dtype() == DType::kFloat32 ? c : nullptr;
  }
  bool has_nhwc(const std::string& v) const { return nhwc_.count(v) != 0; }

  // The NCHW (as-in-the-graph) name of v, converting from NHWC if needed.
  std::string plain(const std::string& v) {
    if (v.empty() || plain_.count(v) != 0) return v;
    ir::Node n;
    n.name = fresh(v + "@to_nchw");
    n.op_type = "ToNchw";
    n.domain = kFastDomain;
    n.inputs = {nhwc_.at(v)};
    n.outputs = {v};
    push(std::move(n), "ToNchw");
    plain_.insert(v);
    ++conversions_;
    return v;
  }

  // The NHWC name of activation v, converting from NCHW if needed.
  std::string nhwc(const std::string& v) {
    auto it = nhwc_.find(v);
    if (it != nhwc_.end()) return it->second;
    ir::Node n;
    n.name = fresh(v + "@to_nhwc");
    n.op_type = "ToNhwc";
    n.domain = kFastDomain;
    n.inputs = {plain(v)};
    n.outputs = {fresh(v + "@nhwc")};
    nhwc_[v] = n.outputs[0];
    push(std::move(n), "ToNhwc");
    ++conversions_;
    return nhwc_[v];
  }

  // A constant of rank <= 4, broadcast to rank 4 and stored NHWC, as a new initializer.
  std::string nhwc_constant(const std::string& v) {
    auto it = nhwc_constants_.find(v);
    if (it != nhwc_constants_.end()) return it->second;
    const Tensor& c = *constant(v);
    Shape s(4 - c.shape().size(), 1);
    s.insert(s.end(), c.shape().begin(), c.shape().end());
    Tensor t = Tensor::allocate(c.dtype(), {s[0], s[2], s[3], s[1]}).value();
    const float* src = c.data<float>();
    float* dst = t.data<float>();
    for (std::int64_t n = 0; n < s[0]; ++n) {
      for (std::int64_t ch = 0; ch < s[1]; ++ch) {
        for (std::int64_t hw = 0; hw < s[2] * s[3]; ++hw) {
          dst[(n * s[2] * s[3] + hw) * s[1] + ch] = src[(n * s[1] + ch) * s[2] * s[3] + hw];
        }
      }
    }
    std::string name = fresh(v + "@nhwc");
    out_->initializers[name] = std::move(t);
    nhwc_constants_[v] = name;
    return name;
  }

  std::string add_constant(const std::string& base, Tensor value) {
    std::string name = fresh(base);
    out_->initializers[name] = std::move(value);
    plain_.insert(name);
    return name;
  }

  // Drops lowered nodes whose outputs nothing reads (DequantizeLinear nodes whose readers were
  // folded into an integer op), keeping the labels aligned.
  void remove_dead_nodes() {
    for (bool changed = true; changed;) {
      changed = false;
      std::set<std::string, std::less<>> read(out_->outputs.begin(), out_->outputs.end());
      for (const ir::Node& n : out_->nodes) read.insert(n.inputs.begin(), n.inputs.end());
      for (std::size_t i = out_->nodes.size(); i-- > 0;) {
        const ir::Node& n = out_->nodes[i];
        bool used = false;
        for (const std::string& o : n.outputs) used = used || (!o.empty() && read.count(o) != 0);
        if (used || n.domain != kFastDomain) continue;
        if (n.op_type == "ToNhwc" || n.op_type == "ToNchw") --conversions_;
        out_->nodes.erase(out_->nodes.begin() + static_cast<std::ptrdiff_t>(i));
        labels_.erase(labels_.begin() + static_cast<std::ptrdiff_t>(i));
        changed = true;
      }
    }
  }

  void push(ir::Node n, const std::string& label) {
    out_->nodes.push_back(std::move(n));
    labels_.push_back(label);
  }

  void emit_reference(const ir::Node& node) {
    ir::Node n = node;
    for (std::string& in : n.inputs) in = plain(in);
    for (const std::string& o : n.outputs) note_name(o, true);
    push(std::move(n), node.op_type);
  }

  void emit_fast(const ir::Node& node, FastNode fast) {
    ir::Node n;
    n.name = node.name;
    n.op_type = std::move(fast.op_type);
    n.domain = kFastDomain;
    n.attributes = std::move(fast.attributes);
    for (const auto& [v, how] : fast.inputs) {
      switch (how) {
        case Input::kNhwc: n.inputs.push_back(nhwc(v)); break;
        case Input::kConstNhwc: n.inputs.push_back(nhwc_constant(v)); break;
        default: n.inputs.push_back(plain(v)); break;
      }
    }
    const std::string& o = fast.output.empty() ? node.outputs[0] : fast.output;
    if (fast.nhwc_output) {
      nhwc_[o] = fresh(o + "@nhwc");
      n.outputs = {nhwc_[o]};
    } else {
      n.outputs = {o};
      plain_.insert(o);
    }
    push(std::move(n), node.op_type);
  }

  // ---- decisions ----------------------------------------------------------------------------

  Decision decide(const ir::Node& node) {
    const bool onnx = node.domain.empty() || node.domain == "ai.onnx";
    const bool fused = node.domain == "edgebench";
    if (node.outputs.empty() || node.outputs[0].empty()) return std::string(kNoKernel);
    for (std::size_t o = 1; o < node.outputs.size(); ++o) {
      if (!node.outputs[o].empty()) return std::string("the fast kernel has one output");
    }
    const TensorType* out_type = type_of(node.outputs[0]);
    if (out_type == nullptr) return std::string("output type unknown");
    if (constant(node.outputs[0]) != nullptr) return std::string("folded to a constant");
    const std::string& op = node.op_type;
    if (onnx && op == "QLinearConv") return qconv(node);
    if (onnx && op == "QLinearMatMul") return qmatmul(node);
    if (onnx && op == "QuantizeLinear") return quantize(node);
    if (onnx && op == "DequantizeLinear") return dequantize(node);
    if (is_int8_or_uint8(out_type->dtype)) {
      if (onnx && op == "MaxPool") return pool(node);
      if (onnx && op == "Concat") return concat(node);
      if (onnx && op == "Clip") return int_clip(node);
    }
    if (out_type->dtype != DType::kFloat32) {
      return std::string("fast kernels take float32, or int8/uint8 for quantized ops");
    }
    if ((onnx && op == "Conv") || (fused && op == "FusedConv")) return conv(node, false);
    if (onnx && op == "ConvTranspose") return conv(node, true);
    if (onnx && (op == "MaxPool" || op == "AveragePool")) return pool(node);
    if (onnx && op == "GlobalAveragePool") {
      if (!is_float_activation(node.inputs[0], 4)) return std::string("input must be rank 4");
      return FastNode{"GlobalAveragePool", {}, {{node.inputs[0], Input::kNhwc}}, true};
    }
    if ((onnx && op == "Gemm") || (fused && op == "FusedGemm")) return gemm(node);
    if (onnx && op == "MatMul") return matmul(node);
    if (onnx && (op == "Add" || op == "Sub" || op == "Mul" || op == "Div")) return binary(node);
    if (onnx && (op == "Relu" || op == "Clip" || op == "HardSwish" || op == "Sigmoid" ||
                 op == "LeakyRelu" || op == "Elu")) {
      return unary(node);
    }
    if (onnx && op == "PRelu") return prelu(node);
    if (onnx && op == "Softmax") return softmax(node);
    if (onnx && op == "Concat") return concat(node);
    if (onnx && op == "Pad") return pad(node);
    if (onnx && op == "Resize") return resize(node);
    return std::string(kNoKernel);
  }

  static void copy_activation(const ir::Node& from, ir::Attributes& to) {
    for (const char* name : {"activation_min", "activation_max"}) {
      if (const ir::AttributeValue* v = from.attributes.find(name)) to.set(name, *v);
    }
  }

  // The resolved 2-D window of a Conv/pool node on input x, or why not.
  std::variant<engine::ops::WindowGeometry, std::string> window(
      const ir::Node& node, const Shape& x, std::span<const std::int64_t> kernel, bool ceil) {
    auto attrs = engine::ops::parse_window_attributes(
        node, {.kernel_shape_required = ceil, .has_ceil_mode = ceil});
    if (!attrs.is_ok()) return attrs.status().message();
    const std::int64_t spatial[2] = {x[2], x[3]};
    auto g = engine::ops::resolve_window(attrs.value(), spatial, kernel);
    if (!g.is_ok()) return g.status().message();
    engine::ops::WindowGeometry geo = std::move(g).value();
    if (geo.rank() != 2) return std::string("only 2-D windows have a fast kernel");
    // Make the floor formula give the resolved output: ceil_mode adds end padding.
    for (int a = 0; a < 2; ++a) {
      const std::int64_t extent = (geo.kernel[a] - 1) * geo.dilations[a] + 1;
      const std::int64_t needed = (geo.output[a] - 1) * geo.strides[a] + extent -
                                  (geo.input[a] + geo.pads_begin[a] + geo.pads_end[a]);
      if (needed > 0) geo.pads_end[a] += needed;
    }
    return geo;
  }

  static void set_window(ir::Attributes& a, const engine::ops::WindowGeometry& g) {
    a.set("kernel_shape", std::vector<std::int64_t>{g.kernel[0], g.kernel[1]});
    a.set("strides", std::vector<std::int64_t>{g.strides[0], g.strides[1]});
    a.set("dilations", std::vector<std::int64_t>{g.dilations[0], g.dilations[1]});
    a.set("pads", std::vector<std::int64_t>{g.pads_begin[0], g.pads_begin[1], g.pads_end[0],
                                            g.pads_end[1]});
  }

  Decision conv(const ir::Node& node, bool transpose) {
    if (!node.has_input(0) || !is_float_activation(node.inputs[0], 4)) {
      return std::string("input must be a float32 rank-4 activation");
    }
    const Tensor* w = float_constant(node, 1);
    if (w == nullptr || w->rank() != 4) return std::string("weights must be a float32 constant");
    if (node.has_input(2) && float_constant(node, 2) == nullptr) {
      return std::string("bias must be a float32 constant");
    }
    const std::int64_t group = node.attributes.get_int("group", 1).value_or(0);
    if (group < 1) return std::string("bad group");
    const Shape& x = type_of(node.inputs[0])->shape;
    FastNode f{transpose ? "ConvTranspose" : "Conv", {}, {}, true};
    if (!transpose) {
      const std::int64_t kernel[2] = {w->dim(2), w->dim(3)};
      auto geo = window(node, x, kernel, false);
      if (auto* why = std::get_if<std::string>(&geo)) return *why;
      set_window(f.attributes, std::get<engine::ops::WindowGeometry>(geo));
    } else {
      if (node.attributes.has("output_shape")) return std::string("output_shape is not lowered");
      if (node.attributes.get_string("auto_pad", "NOTSET").value_or("") != "NOTSET") {
        return std::string("auto_pad is not lowered for ConvTranspose");
      }
      auto k = node.attributes.get_ints("kernel_shape", {w->dim(2), w->dim(3)});
      auto s = node.attributes.get_ints("strides", {1, 1});
      auto d = node.attributes.get_ints("dilations", {1, 1});
      auto p = node.attributes.get_ints("pads", {0, 0, 0, 0});
      auto op = node.attributes.get_ints("output_padding", {0, 0});
      if (!k.is_ok() || !s.is_ok() || !d.is_ok() || !p.is_ok() || !op.is_ok() ||
          k.value().size() != 2 || s.value().size() != 2 || d.value().size() != 2 ||
          p.value().size() != 4 || op.value().size() != 2) {
        return std::string("only 2-D windows have a fast kernel");
      }
      for (int a = 0; a < 2; ++a) {
        if (k.value()[a] != w->dim(2 + a) || s.value()[a] < 1 || d.value()[a] < 1 ||
            op.value()[a] < 0 || op.value()[a] >= s.value()[a]) {
          return std::string("window attributes not covered by the fast kernel");
        }
      }
      for (std::int64_t v : p.value()) {
        if (v < 0) return std::string("negative pads");
      }
      f.attributes.set("kernel_shape", k.value());
      f.attributes.set("strides", s.value());
      f.attributes.set("dilations", d.value());
      f.attributes.set("pads", p.value());
      f.attributes.set("output_padding", op.value());
    }
    f.attributes.set("group", group);
    copy_activation(node, f.attributes);
    f.inputs = {{node.inputs[0], Input::kNhwc}, {node.inputs[1], Input::kConst}};
    if (node.has_input(2)) f.inputs.push_back({node.inputs[2], Input::kConst});
    absorb_float_activation(node, f);
    return f;
  }

  Decision pool(const ir::Node& node) {
    const bool max = node.op_type == "MaxPool";
    if (!is_float_activation(node.inputs[0], 4) &&
        !(max && is_int8_activation(node.inputs[0], 4))) {
      return std::string("input must be a float32 (MaxPool: or int8/uint8) rank-4 activation");
    }
    const Shape& x = type_of(node.inputs[0])->shape;
    auto kernel = node.attributes.get_ints("kernel_shape", {});
    if (!kernel.is_ok() || kernel.value().size() != 2) {
      return std::string("only 2-D windows have a fast kernel");
    }
    auto geo_or = window(node, x, kernel.value(), true);
    if (auto* why = std::get_if<std::string>(&geo_or)) return *why;
    const auto& geo = std::get<engine::ops::WindowGeometry>(geo_or);
    if (geo.kernel[0] * geo.kernel[1] < 2) return std::string("1x1 windows are not lowered");
    if (!max) {
      const bool padded =
          geo.pads_begin[0] + geo.pads_begin[1] + geo.pads_end[0] + geo.pads_end[1] > 0;
      if (node.attributes.get_int("count_include_pad", 0).value_or(1) != 0 && padded) {
        return std::string("count_include_pad with padding is not lowered");
      }
    }
    FastNode f{node.op_type, {}, {{node.inputs[0], Input::kNhwc}}, true};
    set_window(f.attributes, geo);
    return f;
  }

  Decision gemm(const ir::Node& node) {
    if (!is_float_activation(node.inputs[0], 2)) {
      return std::string("A must be a float32 rank-2 activation");
    }
    if (node.attributes.get_int("transA", 0).value_or(1) != 0) {
      return std::string("transA is not lowered");
    }
    const Tensor* b = float_constant(node, 1);
    if (b == nullptr || b->rank() != 2) return std::string("B must be a float32 constant");
    const bool trans_b = node.attributes.get_int("transB", 0).value_or(0) != 0;
    const std::int64_t n = trans_b ? b->dim(0) : b->dim(1);
    FastNode f{"FullyConnected",
               {},
               {{node.inputs[0], Input::kPlain}, {node.inputs[1], Input::kConst}},
               false};
    if (node.has_input(2)) {
      const Tensor* c = float_constant(node, 2);
      if (c == nullptr) return std::string("C must be a float32 constant");
      bool row = c->element_count() == 1;
      if (!row && c->element_count() == n) {
        row = true;
        for (std::size_t d = 0; d + 1 < c->shape().size(); ++d) row = row && c->dim(d) == 1;
      }
      if (!row) return std::string("C must broadcast along rows");
      f.inputs.push_back({node.inputs[2], Input::kConst});
    }
    f.attributes.set("transpose_weights", std::int64_t{trans_b ? 0 : 1});
    f.attributes.set("alpha", node.attributes.get_float("alpha", 1.0f).value_or(1.0f));
    f.attributes.set("beta", node.attributes.get_float("beta", 1.0f).value_or(1.0f));
    copy_activation(node, f.attributes);
    absorb_float_activation(node, f);
    return f;
  }

  Decision matmul(const ir::Node& node) {
    if (!is_float_activation(node.inputs[0])) return std::string("A must be a float32 activation");
    const Tensor* b = float_constant(node, 1);
    if (b == nullptr || b->rank() != 2) return std::string("B must be a float32 rank-2 constant");
    FastNode f{"FullyConnected",
               {},
               {{node.inputs[0], Input::kPlain}, {node.inputs[1], Input::kConst}},
               false};
    f.attributes.set("transpose_weights", std::int64_t{1});
    return f;
  }

  Decision binary(const ir::Node& node) {
    if (node.op_type == "Add") {
      if (auto q = quantized_add(node)) return std::move(*q);
    }
    const int out_rank = static_cast<int>(type_of(node.outputs[0])->shape.size());
    if (out_rank > 6) return std::string("more than 6 dimensions");
    bool all_rank4 = true;
    bool any_nhwc = false;
    for (std::size_t i = 0; i < 2; ++i) {
      const std::string& v = node.inputs[i];
      const TensorType* t = type_of(v);
      if (t == nullptr || t->dtype != DType::kFloat32) return std::string("inputs must be float32");
      if (constant(v) != nullptr) {
        all_rank4 = all_rank4 && t->shape.size() <= 4;
      } else {
        all_rank4 = all_rank4 && t->shape.size() == 4;
        any_nhwc = any_nhwc || has_nhwc(v);
      }
    }
    const bool in_nhwc = out_rank == 4 && all_rank4 && any_nhwc;
    FastNode f{node.op_type, {}, {}, in_nhwc};
    for (std::size_t i = 0; i < 2; ++i) {
      const std::string& v = node.inputs[i];
      const bool c = constant(v) != nullptr;
      f.inputs.push_back({v, in_nhwc ? (c ? Input::kConstNhwc : Input::kNhwc)
                                     : (c ? Input::kConst : Input::kPlain)});
    }
    absorb_float_activation(node, f);
    return f;
  }

  Decision unary(const ir::Node& node) {
    const std::string& x = node.inputs[0];
    if (!is_float_activation(x)) return std::string("input must be a float32 activation");
    const float inf = std::numeric_limits<float>::infinity();
    FastNode f;
    const std::string& op = node.op_type;
    if (op == "Relu" || op == "Clip") {
      f.op_type = "Clamp";
      float lo = op == "Relu" ? 0.0f : -inf;
      float hi = inf;
      if (op == "Clip" && in_.opset_for(node.domain) < 11) {
        lo = node.attributes.get_float("min", -inf).value_or(-inf);
        hi = node.attributes.get_float("max", inf).value_or(inf);
      } else if (op == "Clip") {
        for (std::size_t i = 1; i < 3; ++i) {
          if (!node.has_input(i)) continue;
          const Tensor* b = float_constant(node, i);
          if (b == nullptr || b->element_count() != 1) {
            return std::string("Clip bounds must be float32 constants");
          }
          (i == 1 ? lo : hi) = b->data<float>()[0];
        }
      }
      if (!(lo <= hi)) return std::string("Clip with min > max is not lowered");
      f.attributes.set("activation_min", lo);
      f.attributes.set("activation_max", hi);
    } else {
      f.op_type = op;
      if (op == "LeakyRelu" || op == "Elu") {
        const float fallback = op == "Elu" ? 1.0f : 0.01f;
        f.attributes.set("alpha", node.attributes.get_float("alpha", fallback).value_or(fallback));
      }
    }
    f.nhwc_output = has_nhwc(x);
    f.inputs = {{x, f.nhwc_output ? Input::kNhwc : Input::kPlain}};
    return f;
  }

  Decision prelu(const ir::Node& node) {
    const std::string& x = node.inputs[0];
    if (!is_float_activation(x)) return std::string("input must be a float32 activation");
    const Tensor* slope = float_constant(node, 1);
    if (slope == nullptr) return std::string("slope must be a float32 constant");
    const Shape& xs = type_of(x)->shape;
    const int rank = static_cast<int>(xs.size());
    if (rank != 4 && rank != 2) return std::string("only rank 2 and rank 4 inputs are lowered");
    const std::int64_t channels = xs[1];
    // The slope must be one value, or one per channel (axis 1) after right-aligned broadcasting.
    bool per_channel = slope->element_count() == 1;
    if (!per_channel && slope->element_count() == channels &&
        static_cast<int>(slope->shape().size()) <= rank) {
      const int offset = rank - static_cast<int>(slope->shape().size());
      per_channel = true;
      for (int d = 0; d < static_cast<int>(slope->shape().size()); ++d) {
        per_channel = per_channel && slope->dim(d) == (d + offset == 1 ? channels : 1);
      }
    }
    if (!per_channel) return std::string("slope must be per channel");
    Tensor expanded = Tensor::allocate(DType::kFloat32, {channels}).value();
    for (std::int64_t c = 0; c < channels; ++c) {
      expanded.data<float>()[c] = slope->data<float>()[slope->element_count() == 1 ? 0 : c];
    }
    const std::string name = add_constant(node.inputs[1] + "@channels", std::move(expanded));
    FastNode f{"PRelu",
               {},
               {{x, rank == 4 ? Input::kNhwc : Input::kPlain}, {name, Input::kConst}},
               rank == 4};
    return f;
  }

  Decision softmax(const ir::Node& node) {
    const std::string& x = node.inputs[0];
    if (!is_float_activation(x)) return std::string("input must be a float32 activation");
    const auto rank = static_cast<std::int64_t>(type_of(x)->shape.size());
    const bool flattening = in_.opset_for(node.domain) < 13;
    std::int64_t axis = node.attributes.get_int("axis", flattening ? 1 : -1).value_or(rank);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return std::string("bad axis");
    if (!flattening && axis != rank - 1) return std::string("softmax over an inner axis");
    FastNode f{"Softmax", {}, {{x, Input::kPlain}}, false};
    f.attributes.set("axis", axis);
    return f;
  }

  Decision concat(const ir::Node& node) {
    const auto rank = static_cast<std::int64_t>(type_of(node.outputs[0])->shape.size());
    std::int64_t axis = node.attributes.get_int("axis", 1).value_or(rank);
    if (axis < 0) axis += rank;
    bool any_nhwc = false;
    const DType dtype = type_of(node.outputs[0])->dtype;
    for (const std::string& v : node.inputs) {
      const TensorType* t = type_of(v);
      if (v.empty() || t == nullptr || t->dtype != dtype) {
        return std::string("inputs must all be float32, or all int8 or uint8");
      }
      if (dtype != DType::kFloat32 && constant(v) != nullptr) {
        return std::string("integer constants are not lowered");
      }
      any_nhwc = any_nhwc || has_nhwc(v);
    }
    const bool in_nhwc = rank == 4 && axis == 1 && any_nhwc;
    if (!in_nhwc && axis != rank - 1) return std::string("concat along an inner axis");
    FastNode f{"Concat", {}, {}, in_nhwc};
    for (const std::string& v : node.inputs) {
      const bool c = constant(v) != nullptr;
      f.inputs.push_back({v, in_nhwc ? (c ? Input::kConstNhwc : Input::kNhwc)
                                     : (c ? Input::kConst : Input::kPlain)});
    }
    return f;
  }

  Decision pad(const ir::Node& node) {
    const std::string& x = node.inputs[0];
    if (!is_float_activation(x)) return std::string("input must be a float32 activation");
    if (node.attributes.get_string("mode", "constant").value_or("") != "constant") {
      return std::string("only constant padding is lowered");
    }
    const auto rank = static_cast<std::int64_t>(type_of(x)->shape.size());
    std::vector<std::int64_t> pads;
    float value = 0.0f;
    if (in_.opset_for(node.domain) < 11) {
      auto p = node.attributes.get_ints("pads", {});
      if (!p.is_ok()) return std::string("bad pads");
      pads = p.value();
      value = node.attributes.get_float("value", 0.0f).value_or(0.0f);
    } else {
      if (node.has_input(3)) return std::string("axes are not lowered");
      const Tensor* p = node.has_input(1) ? constant(node.inputs[1]) : nullptr;
      if (p == nullptr || p->dtype() != DType::kInt64) return std::string("pads must be constant");
      pads.assign(p->data<std::int64_t>(), p->data<std::int64_t>() + p->element_count());
      if (node.has_input(2)) {
        const Tensor* v = float_constant(node, 2);
        if (v == nullptr || v->element_count() != 1) {
          return std::string("the pad value must be a float32 constant");
        }
        value = v->data<float>()[0];
      }
    }
    if (static_cast<std::int64_t>(pads.size()) != 2 * rank || rank < 1 || rank > 6) {
      return std::string("pads must have two values per dimension");
    }
    for (std::int64_t p : pads) {
      if (p < 0) return std::string("negative pads are not lowered");
    }
    const bool in_nhwc = rank == 4 && has_nhwc(x);
    if (in_nhwc) {
      auto b = to_nhwc_order({pads[0], pads[1], pads[2], pads[3]});
      auto e = to_nhwc_order({pads[4], pads[5], pads[6], pads[7]});
      pads = {b[0], b[1], b[2], b[3], e[0], e[1], e[2], e[3]};
    }
    FastNode f{"Pad", {}, {{x, in_nhwc ? Input::kNhwc : Input::kPlain}}, in_nhwc};
    f.attributes.set("pads", pads);
    f.attributes.set("value", value);
    return f;
  }

  Decision resize(const ir::Node& node) {
    const std::string& x = node.inputs[0];
    if (!is_float_activation(x, 4)) return std::string("input must be a float32 rank-4 activation");
    const std::int64_t opset = in_.opset_for(node.domain);
    auto attrs = engine::ops::parse_resize_attributes(node.attributes, opset);
    if (!attrs.is_ok()) return attrs.status().message();
    using engine::ops::CoordinateTransform;
    const auto& a = attrs.value();
    if (a.mode != engine::ops::ResizeMode::kLinear || a.antialias || !a.axes.empty()) {
      return std::string("only plain bilinear resizing is lowered");
    }
    const Shape& in = type_of(x)->shape;
    const Shape& out = type_of(node.outputs[0])->shape;
    if (out.size() != 4 || out[0] != in[0] || out[1] != in[1]) {
      return std::string("only spatial resizing is lowered");
    }
    // The fast kernel derives its scale from the sizes; scales that do not divide evenly give
    // other sample positions (ONNX uses the given scale).
    const std::size_t scales_at = opset < 11 ? 1 : 2;
    if (node.has_input(scales_at)) {
      const Tensor* scales = constant(node.inputs[scales_at]);
      if (scales == nullptr) return std::string("scales must be constant");
      if (scales->element_count() == 4) {
        auto values = engine::ops::read_float_list(*scales, "scales");
        if (!values.is_ok()) return values.status().message();
        for (int d = 2; d < 4; ++d) {
          if (values.value()[d] * static_cast<double>(in[d]) != static_cast<double>(out[d])) {
            return std::string("scales that do not map sizes exactly are not lowered");
          }
        }
      }
    }
    bool half_pixel =
        a.transform == CoordinateTransform::kHalfPixel ||
        (a.transform == CoordinateTransform::kPytorchHalfPixel && out[2] > 1 && out[3] > 1);
    FastNode f{"ResizeBilinear", {}, {{x, Input::kNhwc}}, true};
    if (a.transform == CoordinateTransform::kAlignCorners) {
      f.attributes.set("align_corners", std::int64_t{1});
    } else if (a.transform == CoordinateTransform::kAsymmetric) {
      f.attributes.set("legacy", std::int64_t{1});
    } else if (!half_pixel) {
      return std::string("coordinate transformation not covered by the fast kernel");
    }
    f.attributes.set("out_height", out[2]);
    f.attributes.set("out_width", out[3]);
    return f;
  }

  // ---- integer ops ----

  // Reads the (scale, zero point) pair of inputs (s, z) of a quantized node, per tensor.
  struct QuantPair {
    float scale = 0;
    std::int64_t zero_point = 0;
  };
  std::optional<QuantPair> quant_pair(const ir::Node& node, std::size_t s, std::size_t z,
                                      DType dtype) const {
    const Tensor* scale = scalar_constant(node, s, DType::kFloat32);
    if (scale == nullptr || !(scale->data<float>()[0] > 0)) return std::nullopt;
    QuantPair q{scale->data<float>()[0], 0};
    if (node.has_input(z)) {
      const Tensor* zp = scalar_constant(node, z, dtype);
      if (zp == nullptr) return std::nullopt;
      q.zero_point =
          dtype == DType::kInt8 ? zp->data<std::int8_t>()[0] : zp->data<std::uint8_t>()[0];
    }
    return q;
  }

  static std::pair<std::int64_t, std::int64_t> int_range(DType t) {
    return t == DType::kInt8 ? std::pair<std::int64_t, std::int64_t>{-128, 127}
                             : std::pair<std::int64_t, std::int64_t>{0, 255};
  }

  // The node that is the only reader of `value` (reading it as input 0), when `value` is not a
  // graph output: its index, else -1.
  int sole_reader(const std::string& value) const {
    auto r = readers_.find(value);
    if (r == readers_.end() || r->second.size() != 1) return -1;
    for (const std::string& o : in_.outputs) {
      if (o == value) return -1;
    }
    const ir::Node& n = in_.nodes[r->second[0]];
    if (!(n.domain.empty() || n.domain == "ai.onnx") || n.inputs.empty() || n.inputs[0] != value) {
      return -1;
    }
    return static_cast<int>(r->second[0]);
  }

  // The only reader of `value` when it is an integer Clip with constant bounds: its index, or -1.
  int absorbable_clip(const std::string& value, DType dtype) const {
    const int c = sole_reader(value);
    if (c < 0) return -1;
    const ir::Node& clip = in_.nodes[c];
    if (clip.op_type != "Clip" || in_.opset_for(clip.domain) < 12) return -1;
    for (std::size_t i = 1; i < 3; ++i) {
      if (clip.has_input(i) && scalar_constant(clip, i, dtype) == nullptr) return -1;
    }
    return c;
  }

  // Folds a float Relu or constant-bound Clip that alone reads `node`'s output into `f` (as an
  // output clamp) when `f` has none yet.
  void absorb_float_activation(const ir::Node& node, FastNode& f) {
    if (f.attributes.has("activation_min") || f.attributes.has("activation_max")) return;
    const int a = sole_reader(node.outputs[0]);
    if (a < 0) return;
    const ir::Node& act = in_.nodes[a];
    if (act.op_type != "Relu" && act.op_type != "Clip") return;
    Decision d = unary(act);
    auto* clamp = std::get_if<FastNode>(&d);
    if (clamp == nullptr || clamp->op_type != "Clamp") return;
    f.attributes.set("activation_min", *clamp->attributes.find("activation_min"));
    f.attributes.set("activation_max", *clamp->attributes.find("activation_max"));
    f.output = act.outputs[0];
    absorbed_.insert(static_cast<std::size_t>(a));
  }

  std::pair<std::int64_t, std::int64_t> clip_bounds(const ir::Node& clip, DType dtype) const {
    auto [lo, hi] = int_range(dtype);
    auto read = [&](std::size_t i, std::int64_t& v) {
      if (const Tensor* t = scalar_constant(clip, i, dtype)) {
        v = dtype == DType::kInt8 ? t->data<std::int8_t>()[0] : t->data<std::uint8_t>()[0];
      }
    };
    read(1, lo);
    read(2, hi);
    return {lo, hi};
  }

  // XNNPACK requantizes with input_scale * weight_scale / output_scale in [2^-32, 256).
  static bool requantization_ok(float x_scale, std::span<const float> w_scales, float y_scale) {
    for (float w : w_scales) {
      const double r = double(x_scale) * w / y_scale;
      if (!(r >= 0x1.0p-32 && r < 256.0)) return false;
    }
    return true;
  }

  Decision qconv(const ir::Node& node) {
    const std::string& x = node.inputs[0];
    if (!is_int8_activation(x, 4))
      return std::string("input must be an int8/uint8 rank-4 activation");
    const DType dtype = type_of(x)->dtype;
    const Tensor* w = node.has_input(3) ? constant(node.inputs[3]) : nullptr;
    if (w == nullptr || w->dtype() != dtype || w->rank() != 4) {
      return std::string("weights must be a constant of the input's type");
    }
    const auto xq = quant_pair(node, 1, 2, dtype);
    const auto yq = quant_pair(node, 6, 7, dtype);
    if (!xq || !yq) return std::string("scales and zero points must be per-tensor constants");
    const Tensor* ws = node.has_input(4) ? constant(node.inputs[4]) : nullptr;
    if (ws == nullptr || ws->dtype() != DType::kFloat32 ||
        (ws->element_count() != 1 && ws->element_count() != w->dim(0))) {
      return std::string("weight scales must be a float32 constant, per tensor or per channel");
    }
    std::vector<float> w_scales(ws->data<float>(), ws->data<float>() + ws->element_count());
    std::int64_t w_zero_point = 0;
    if (node.has_input(5)) {
      const Tensor* wz = constant(node.inputs[5]);
      if (wz == nullptr || wz->dtype() != dtype)
        return std::string("weight zero point must be constant");
      for (std::int64_t i = 0; i < wz->element_count(); ++i) {
        const std::int64_t z =
            dtype == DType::kInt8 ? wz->data<std::int8_t>()[i] : wz->data<std::uint8_t>()[i];
        if (dtype == DType::kInt8 && z != 0) return std::string("int8 weights must be symmetric");
        if (i == 0) w_zero_point = z;
      }
      if (dtype == DType::kUInt8 && wz->element_count() != 1) {
        return std::string("uint8 weights must be quantized per tensor");
      }
    }
    if (dtype == DType::kUInt8 && w_scales.size() != 1) {
      return std::string("uint8 weights must be quantized per tensor");
    }
    for (float v : w_scales) {
      if (!(v > 0)) return std::string("weight scales must be positive");
    }
    if (!requantization_ok(xq->scale, w_scales, yq->scale)) {
      return std::string("requantization scale outside what XNNPACK takes");
    }
    if (node.has_input(8)) {
      const Tensor* b = constant(node.inputs[8]);
      if (b == nullptr || b->dtype() != DType::kInt32)
        return std::string("bias must be an int32 constant");
    }
    const std::int64_t group = node.attributes.get_int("group", 1).value_or(0);
    if (group < 1) return std::string("bad group");
    const std::int64_t kernel[2] = {w->dim(2), w->dim(3)};
    auto geo = window(node, type_of(x)->shape, kernel, false);
    if (auto* why = std::get_if<std::string>(&geo)) return *why;
    FastNode f{"QConv", {}, {{x, Input::kNhwc}, {node.inputs[3], Input::kConst}}, true};
    if (node.has_input(8)) f.inputs.push_back({node.inputs[8], Input::kConst});
    set_window(f.attributes, std::get<engine::ops::WindowGeometry>(geo));
    f.attributes.set("group", group);
    f.attributes.set("x_scale", xq->scale);
    f.attributes.set("x_zero_point", xq->zero_point);
    f.attributes.set("w_scales", w_scales);
    f.attributes.set("w_zero_point", w_zero_point);
    f.attributes.set("y_scale", yq->scale);
    f.attributes.set("y_zero_point", yq->zero_point);
    auto [lo, hi] = int_range(dtype);
    if (const int c = absorbable_clip(node.outputs[0], dtype); c >= 0) {
      std::tie(lo, hi) = clip_bounds(in_.nodes[c], dtype);
      if (lo <= hi) {
        absorbed_.insert(static_cast<std::size_t>(c));
        f.output = in_.nodes[c].outputs[0];
      } else {
        std::tie(lo, hi) = int_range(dtype);
      }
    }
    f.attributes.set("out_min", lo);
    f.attributes.set("out_max", hi);
    return f;
  }

  // DequantizeLinear(a), DequantizeLinear(b) -> Add [-> Relu] -> QuantizeLinear, all int8 per
  // tensor, each link the only reader of the one before: one integer addition that reads the
  // quantized inputs and writes the QuantizeLinear's output. The DequantizeLinear nodes stay
  // (other nodes may read them) and are dropped by dead-node removal when nothing does.
  std::optional<FastNode> quantized_add(const ir::Node& node) {
    std::string inputs[2];
    std::optional<QuantPair> in_q[2];
    for (int i = 0; i < 2; ++i) {
      auto p = producers_.find(node.inputs[i]);
      if (p == producers_.end()) return std::nullopt;
      const ir::Node& dq = in_.nodes[p->second];
      if (dq.op_type != "DequantizeLinear" || !(dq.domain.empty() || dq.domain == "ai.onnx") ||
          !is_int8_activation(dq.inputs[0]) || type_of(dq.inputs[0])->dtype != DType::kInt8) {
        return std::nullopt;
      }
      in_q[i] = quant_pair(dq, 1, 2, DType::kInt8);
      if (!in_q[i]) return std::nullopt;
      inputs[i] = dq.inputs[0];
    }
    int relu = -1;
    int q = sole_reader(node.outputs[0]);
    if (q >= 0 && in_.nodes[q].op_type == "Relu") {
      relu = q;
      q = sole_reader(in_.nodes[q].outputs[0]);
    }
    if (q < 0 || in_.nodes[q].op_type != "QuantizeLinear") return std::nullopt;
    const ir::Node& quant = in_.nodes[q];
    const TensorType* qt = type_of(quant.outputs[0]);
    const auto y = quant_pair(quant, 1, 2, DType::kInt8);
    if (qt == nullptr || qt->dtype != DType::kInt8 || !y) return std::nullopt;
    // XNNPACK's integer addition takes input/output scale ratios in [2^-14, 2^8).
    for (const auto& in : in_q) {
      const double r = double(in->scale) / y->scale;
      if (!(r >= 0x1.0p-14 && r < 256.0)) return std::nullopt;
    }
    const auto& sa = type_of(inputs[0])->shape;
    const auto& sb = type_of(inputs[1])->shape;
    const bool in_nhwc = sa.size() == 4 && sb.size() == 4 && qt->shape.size() == 4 &&
                         (has_nhwc(inputs[0]) || has_nhwc(inputs[1]));
    if (!in_nhwc && (sa.size() > 6 || sb.size() > 6)) return std::nullopt;
    const Input how = in_nhwc ? Input::kNhwc : Input::kPlain;
    FastNode f{"QAdd", {}, {{inputs[0], how}, {inputs[1], how}}, in_nhwc};
    f.attributes.set("a_scale", in_q[0]->scale);
    f.attributes.set("a_zero_point", in_q[0]->zero_point);
    f.attributes.set("b_scale", in_q[1]->scale);
    f.attributes.set("b_zero_point", in_q[1]->zero_point);
    f.attributes.set("y_scale", y->scale);
    f.attributes.set("y_zero_point", y->zero_point);
    f.attributes.set("out_min", relu >= 0 ? std::max<std::int64_t>(y->zero_point, -128) : -128);
    f.attributes.set("out_max", std::int64_t{127});
    f.output = quant.outputs[0];
    if (relu >= 0) absorbed_.insert(static_cast<std::size_t>(relu));
    absorbed_.insert(static_cast<std::size_t>(q));
    return f;
  }

  Decision qmatmul(const ir::Node& node) {
    const std::string& a = node.inputs[0];
    if (!is_int8_activation(a)) return std::string("A must be an int8/uint8 activation");
    const DType dtype = type_of(a)->dtype;
    const Tensor* b = node.has_input(3) ? constant(node.inputs[3]) : nullptr;
    if (b == nullptr || b->dtype() != dtype || b->rank() != 2) {
      return std::string("B must be a rank-2 constant of A's type");
    }
    const auto aq = quant_pair(node, 1, 2, dtype);
    const auto bq = quant_pair(node, 4, 5, dtype);
    const auto yq = quant_pair(node, 6, 7, dtype);
    if (!aq || !bq || !yq)
      return std::string("scales and zero points must be per-tensor constants");
    if (dtype == DType::kInt8 && bq->zero_point != 0)
      return std::string("int8 B must be symmetric");
    const float b_scales[1] = {bq->scale};
    if (!requantization_ok(aq->scale, b_scales, yq->scale)) {
      return std::string("requantization scale outside what XNNPACK takes");
    }
    FastNode f{"QFullyConnected", {}, {{a, Input::kPlain}, {node.inputs[3], Input::kConst}}, false};
    f.attributes.set("a_scale", aq->scale);
    f.attributes.set("a_zero_point", aq->zero_point);
    f.attributes.set("b_scale", bq->scale);
    f.attributes.set("b_zero_point", bq->zero_point);
    f.attributes.set("y_scale", yq->scale);
    f.attributes.set("y_zero_point", yq->zero_point);
    auto [lo, hi] = int_range(dtype);
    f.attributes.set("out_min", lo);
    f.attributes.set("out_max", hi);
    return f;
  }

  Decision quantize(const ir::Node& node) {
    const std::string& x = node.inputs[0];
    if (!is_float_activation(x)) return std::string("input must be a float32 activation");
    const DType dtype = type_of(node.outputs[0])->dtype;
    if (!is_int8_or_uint8(dtype)) return std::string("only int8 and uint8 outputs are lowered");
    const auto q = quant_pair(node, 1, 2, dtype);
    if (!q) return std::string("scale and zero point must be per-tensor constants");
    FastNode f{"Quantize", {}, {{x, has_nhwc(x) ? Input::kNhwc : Input::kPlain}}, has_nhwc(x)};
    f.attributes.set("scale", q->scale);
    f.attributes.set("zero_point", q->zero_point);
    f.attributes.set("to", std::string(dtype == DType::kInt8 ? "int8" : "uint8"));
    return f;
  }

  Decision dequantize(const ir::Node& node) {
    const std::string& x = node.inputs[0];
    if (!is_int8_activation(x)) return std::string("input must be an int8/uint8 activation");
    const auto q = quant_pair(node, 1, 2, type_of(x)->dtype);
    if (!q) return std::string("scale and zero point must be per-tensor constants");
    FastNode f{"Dequantize", {}, {{x, has_nhwc(x) ? Input::kNhwc : Input::kPlain}}, has_nhwc(x)};
    f.attributes.set("scale", q->scale);
    f.attributes.set("zero_point", q->zero_point);
    return f;
  }

  Decision int_clip(const ir::Node& node) {
    const std::string& x = node.inputs[0];
    if (!is_int8_activation(x)) return std::string("input must be an int8/uint8 activation");
    const DType dtype = type_of(x)->dtype;
    for (std::size_t i = 1; i < 3; ++i) {
      if (node.has_input(i) && scalar_constant(node, i, dtype) == nullptr) {
        return std::string("Clip bounds must be constants");
      }
    }
    const auto [lo, hi] = clip_bounds(node, dtype);
    if (lo > hi) return std::string("Clip with min > max is not lowered");
    FastNode f{"IntClamp", {}, {{x, has_nhwc(x) ? Input::kNhwc : Input::kPlain}}, has_nhwc(x)};
    f.attributes.set("min", lo);
    f.attributes.set("max", hi);
    return f;
  }

  const ir::Graph& in_;
  const engine::GraphTypes& types_;
  ir::Graph* out_ = nullptr;
  std::set<std::string, std::less<>> used_;
  std::set<std::string, std::less<>> plain_;
  std::map<std::string, std::string, std::less<>> nhwc_;
  std::map<std::string, std::string, std::less<>> nhwc_constants_;
  std::vector<std::string> labels_;  // per lowered node: the op type it came from
  std::map<std::string, std::vector<std::size_t>, std::less<>> readers_;  // value -> node indices
  std::set<std::size_t> absorbed_;  // activation nodes folded into the node before them
  std::map<std::string, std::size_t, std::less<>> producers_;  // value -> node index
  int conversions_ = 0;
};

}  // namespace

Result<LoweredGraph> lower_for_fast_kernels(const ir::Graph& graph,
                                            const engine::GraphTypes& types) {
  return Lowerer(graph, types).run();
}

const engine::Registry& fast_registry() {
  static const engine::Registry registry = [] {
    engine::Registry r;
    engine::register_builtin_ops(r);
    register_layout_ops(r);
    register_conv_ops(r);
    register_fully_connected_ops(r);
    register_pool_ops(r);
    register_elementwise_ops(r);
    register_tensor_ops(r);
    register_quantized_ops(r);
    return r;
  }();
  return registry;
}

}  // namespace edgebench::kernels
