// The lowering of a graph onto the fast kernels: which nodes a fast kernel covers, in which
// layout each value lives, and where layout conversions go. See fast.h.
//
// Layout is chosen for the whole graph at once (choose_layouts below). Each node has up to two
// ways to run: with its rank-4 activations in NHWC, or as the graph has them ("plain", NCHW).
// NHWC-only ops (Conv, ConvTranspose, the pools, PRelu on images, bilinear Resize, spatial
// ReduceMean) have only the first; FullyConnected, Softmax and the ops that stay on a reference
// kernel only the second; layout-agnostic ops have both: elementwise ops, BatchNormalization (a
// per-channel scale and shift), channel Concat, Pad, Slice, Split, nearest Resize, reductions,
// Flatten of a 1x1 image. Where there is no fast kernel for the NHWC form, the op runs on its
// reference kernel on NHWC data with its axes, pads, scales or constants permuted. A value gets
// at most one NHWC and one NCHW copy, each made once, right before its first reader that needs
// it; graph outputs end in NCHW.
#include <fmt/format.h>

#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <tuple>
#include <variant>

#include "dnnl_conv.h"
#include "edgebench/kernels/fast.h"
#include "engine/ops/conv_util.h"
#include "engine/ops/resample_reduce_util.h"
#include "engine/ops/resize_util.h"
#include "fast_ops.h"
#include "sparse_conv.h"

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

// Layout-agnostic ONNX ops that compute each output element from the input element at the same
// index: their reference kernels run on NHWC data as they are.
bool is_pointwise_op(std::string_view op) {
  static const std::set<std::string_view> kOps = {"Abs",        "Acos",     "Asin",
                                                  "Atan",       "Ceil",     "Celu",
                                                  "Cos",        "Cosh",     "Erf",
                                                  "Exp",        "Floor",    "Gelu",
                                                  "Log",        "Mish",     "Neg",
                                                  "Reciprocal", "Round",    "Selu",
                                                  "Sign",       "Sin",      "Sinh",
                                                  "Softplus",   "Softsign", "Sqrt",
                                                  "Tan",        "Tanh",     "ThresholdedRelu",
                                                  "Identity"};
  return kOps.count(op) != 0;
}

// Axis a of an NCHW tensor is axis kToNhwcAxis[a] of the same tensor stored NHWC.
constexpr std::array<std::int64_t, 4> kToNhwcAxis = {0, 3, 1, 2};

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
  bool nhwc_output = false;  // every output in NHWC (else as the graph has it)
  std::string output;        // empty: the node's own outputs
  // An op of the input graph kept on its reference kernel, run on NHWC data with remapped
  // attributes (op_type and domain are the input node's), instead of a kFastDomain op.
  bool reference = false;
  // Inputs replaced by a constant made for this node (a permuted scales or axes, a per-channel
  // slope): input position -> value; the position's name is the base of the new name.
  std::map<std::size_t, Tensor> new_constants;
};

// Whether a fast node reads or writes any NHWC activation.
bool uses_nhwc(const FastNode& f) {
  if (f.nhwc_output) return true;
  for (const auto& in : f.inputs) {
    if (in.second == Input::kNhwc) return true;
  }
  return false;
}

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
    readers_ = ir::reader_index(in_);
    producers_ = ir::producer_index(in_);
    out_ = &out;

    // The ways each node can run (absorbed activations have none: the node before runs them).
    options_.resize(in_.nodes.size());
    for (std::size_t i = 0; i < in_.nodes.size(); ++i) {
      if (absorbed_.count(i) != 0) continue;
      if (types_.dynamic) {
        options_[i].reason = "shapes are only known at run time";
      } else if (folded(in_.nodes[i])) {
        options_[i].reason = "folded to a constant";
        options_[i].folded = true;
      } else {
        options_[i] = options_for(in_.nodes[i]);
      }
    }
    choose_layouts();

    for (std::size_t i = 0; i < in_.nodes.size(); ++i) {
      const ir::Node& node = in_.nodes[i];
      if (absorbed_.count(i) != 0) {  // an activation folded into the node before it
        result.nodes.push_back({true, "xnnpack", ""});
        ++result.fast_nodes;
        continue;
      }
      NodeOptions& o = options_[i];
      std::optional<FastNode>& chosen = o.use_nhwc ? o.nhwc : o.plain;
      if (o.folded) {
        // Its outputs become constants of the lowered graph: a Shape of an NHWC value must not
        // read (or convert) it at run time.
        for (const std::string& v : node.outputs) {
          if (!v.empty()) add_folded_constant(v);
        }
        result.nodes.push_back({false, "reference", o.reason});
      } else if (chosen && chosen->reference) {
        emit_fast(node, std::move(*chosen));
        result.nodes.push_back(
            {false, "reference", o.reason + " (the reference kernel runs on NHWC data)"});
      } else if (chosen) {
        // A float Conv runs on the block-sparse kernel when the lowering marked it so, else on
        // oneDNN where it is enabled (conv_ops.cc keeps XNNPACK for the rare geometry oneDNN has
        // only reference code for).
        const bool conv = chosen->op_type == "Conv";
        const bool sparse = conv && chosen->attributes.get_int("sparse", 0).value_or(0) > 0;
        const bool onednn = conv && dnnl_conv_enabled();
        emit_fast(node, std::move(*chosen));
        result.nodes.push_back({true, sparse ? "sparse" : onednn ? "onednn" : "xnnpack", ""});
        ++result.fast_nodes;
      } else {
        emit_reference(node);
        result.nodes.push_back({false, "reference", o.reason});
      }
    }
    for (const std::string& o : in_.outputs) plain(o);
    remove_dead_nodes();
    EB_RETURN_IF_ERROR(settle_order());
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
  // Whether the decision being made may put activation v in NHWC (see options_for).
  bool nhwc_ok(const std::string& v) const {
    const TensorType* t = type_of(v);
    return want_nhwc_ && t != nullptr && t->shape.size() == 4;
  }

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

  // Puts the lowered nodes in the order engine::Plan sorts them into, keeping the labels with
  // their nodes (reports pair labels with plan nodes by position).
  Status settle_order() {
    for (int pass = 0; pass < 4; ++pass) {
      EB_ASSIGN_OR_RETURN(std::vector<std::size_t> order, ir::topological_order(*out_));
      bool same = true;
      for (std::size_t i = 0; i < order.size(); ++i) same = same && order[i] == i;
      if (same) return Status::ok();
      std::vector<ir::Node> nodes;
      std::vector<std::string> labels;
      for (std::size_t i : order) {
        nodes.push_back(std::move(out_->nodes[i]));
        labels.push_back(std::move(labels_[i]));
      }
      out_->nodes = std::move(nodes);
      labels_ = std::move(labels);
    }
    return Status::ok();
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
    n.domain = fast.reference ? node.domain : std::string(kFastDomain);
    n.attributes = std::move(fast.attributes);
    for (std::size_t i = 0; i < fast.inputs.size(); ++i) {
      const auto& [v, how] = fast.inputs[i];
      auto made = fast.new_constants.find(i);
      if (made != fast.new_constants.end()) {
        n.inputs.push_back(
            add_constant((v.empty() ? node.outputs[0] : v) + "@" + n.op_type, made->second));
        continue;
      }
      switch (how) {
        case Input::kNhwc: n.inputs.push_back(nhwc(v)); break;
        case Input::kConstNhwc: n.inputs.push_back(nhwc_constant(v)); break;
        default: n.inputs.push_back(plain(v)); break;
      }
    }
    const std::vector<std::string> outputs =
        fast.output.empty() ? node.outputs : std::vector<std::string>{fast.output};
    for (const std::string& o : outputs) {
      if (o.empty()) {
        n.outputs.push_back(o);
      } else if (fast.nhwc_output) {
        nhwc_[o] = fresh(o + "@nhwc");
        n.outputs.push_back(nhwc_[o]);
      } else {
        n.outputs.push_back(o);
        plain_.insert(o);
      }
    }
    push(std::move(n), node.op_type);
  }

  // ---- layout choice ------------------------------------------------------------------------

  // The ways one node of the input graph can run.
  struct NodeOptions {
    std::optional<FastNode> nhwc;   // with its rank-4 activations in NHWC
    std::optional<FastNode> plain;  // a fast node on the values as the graph has them
    bool reference = false;         // plain on the reference kernel is allowed
    std::string reason;             // why there is no plain fast node
    bool use_nhwc = false;          // the choice
    bool folded = false;            // every output is a constant: nothing runs
  };

  // Whether every output of `node` was folded to a constant by type inference (and none is a
  // graph output).
  bool folded(const ir::Node& node) const {
    bool any = false;
    for (const std::string& v : node.outputs) {
      if (v.empty()) continue;
      if (constant(v) == nullptr) return false;
      for (const std::string& o : in_.outputs) {
        if (o == v) return false;
      }
      any = true;
    }
    return any;
  }

  void add_folded_constant(const std::string& v) {
    out_->initializers[v] = *constant(v);
    plain_.insert(v);
  }

  // Asks each decision twice: once allowing NHWC activations (want_nhwc_), once not. An op that
  // only has an NHWC kernel answers NHWC both times; a layout-agnostic one answers each way.
  NodeOptions options_for(const ir::Node& node) {
    NodeOptions o;
    want_nhwc_ = true;
    Decision a = decide(node);
    want_nhwc_ = false;
    Decision b = decide(node);
    if (auto* f = std::get_if<FastNode>(&a); f != nullptr && uses_nhwc(*f)) o.nhwc = std::move(*f);
    if (auto* f = std::get_if<FastNode>(&b); f != nullptr && !uses_nhwc(*f)) {
      o.plain = std::move(*f);
    } else if (auto* why = std::get_if<std::string>(&b)) {
      o.reason = *why;
      // A reference kernel for an op that has a fast NHWC kernel costs more than a conversion,
      // except for data movement (channel Concat) and PRelu; and a fast node that absorbed the
      // activation after it cannot give way to one that did not.
      const bool cheap = o.nhwc && (o.nhwc->reference || o.nhwc->op_type == "Concat" ||
                                    o.nhwc->op_type == "PRelu");
      o.reference = !o.nhwc || (cheap && o.nhwc->output.empty());
    } else if (auto* why_a = std::get_if<std::string>(&a)) {
      o.reason = *why_a;
    }
    if (!o.nhwc && !o.plain) o.reference = true;
    o.use_nhwc = o.nhwc && !o.plain && !o.reference;
    return o;
  }

  struct Access {
    int value;
    bool nhwc;
  };
  struct Accesses {
    std::vector<Access> reads, writes;
  };

  int value_id(const std::string& v) {
    auto [it, added] = value_ids_.try_emplace(v, static_cast<int>(value_ids_.size()));
    return it->second;
  }

  Accesses accesses(const ir::Node& node, const FastNode& f) {
    Accesses a;
    for (std::size_t i = 0; i < f.inputs.size(); ++i) {
      const auto& [v, how] = f.inputs[i];
      if (v.empty() || f.new_constants.count(i) != 0) continue;
      if (how == Input::kNhwc || how == Input::kPlain) {
        a.reads.push_back({value_id(v), how == Input::kNhwc});
      }
    }
    const std::vector<std::string> outputs =
        f.output.empty() ? node.outputs : std::vector<std::string>{f.output};
    for (const std::string& o : outputs) {
      if (!o.empty()) a.writes.push_back({value_id(o), f.nhwc_output});
    }
    return a;
  }

  Accesses reference_accesses(const ir::Node& node) {
    Accesses a;
    for (const std::string& v : node.inputs) {
      if (!v.empty()) a.reads.push_back({value_id(v), false});
    }
    for (const std::string& o : node.outputs) {
      if (!o.empty()) a.writes.push_back({value_id(o), false});
    }
    return a;
  }

  // Chooses, for every node that can run either way, NHWC or the graph's layout so that as few
  // values as possible need a conversion (a value needs one when a reader, or the graph's
  // outputs, want it in the layout its producer did not write it in; one conversion serves
  // every such reader).
  //
  // The rule: start greedy in topological order (a node runs in NHWC when one of its inputs
  // arrives in NHWC), then improve by local moves until none helps: switch a whole region
  // (layout-agnostic nodes connected by the values between them) to all-NHWC or all-plain, then
  // switch single nodes; a move is kept only when it lowers (conversions, converted elements).
  // Regions make a chain of agnostic ops between two fixed layouts move as one, which a single
  // node cannot do without first adding a conversion in the middle.
  void choose_layouts() {
    const std::size_t n = in_.nodes.size();
    std::vector<std::array<Accesses, 2>> acc(n);  // [plain, nhwc]
    std::vector<bool> flexible(n, false), present(n, false);
    for (std::size_t i = 0; i < n; ++i) {
      if (absorbed_.count(i) != 0 || options_[i].folded) continue;
      present[i] = true;
      const NodeOptions& o = options_[i];
      if (o.plain) acc[i][0] = accesses(in_.nodes[i], *o.plain);
      if (!o.plain) acc[i][0] = reference_accesses(in_.nodes[i]);
      if (o.nhwc) acc[i][1] = accesses(in_.nodes[i], *o.nhwc);
      flexible[i] = o.nhwc && (o.plain || o.reference);
    }
    std::vector<int> outputs;
    for (const std::string& o : in_.outputs) outputs.push_back(value_id(o));
    const std::size_t values = value_ids_.size();
    std::vector<double> elements(values, 1.0);
    for (const auto& [name, id] : value_ids_) {
      if (const TensorType* t = type_of(name)) {
        elements[static_cast<std::size_t>(id)] = static_cast<double>(element_count(t->shape));
      }
    }
    // Live nodes: a write is read by a live node (either way) or is a graph output. Readers of
    // dead nodes (a DequantizeLinear whose reader became an integer op) cost nothing.
    std::vector<bool> read(values, false), live(n, false);
    for (int o : outputs) read[static_cast<std::size_t>(o)] = true;
    for (std::size_t i = n; i-- > 0;) {
      if (!present[i]) continue;
      for (const auto& way : acc[i]) {
        for (const Access& w : way.writes)
          live[i] = live[i] || read[static_cast<std::size_t>(w.value)];
      }
      if (!live[i]) continue;
      for (const auto& way : acc[i]) {
        for (const Access& r : way.reads) read[static_cast<std::size_t>(r.value)] = true;
      }
    }

    std::vector<bool> nhwc_home(values, false);
    std::vector<std::uint8_t> need(values, 0);
    auto cost = [&] {
      std::fill(nhwc_home.begin(), nhwc_home.end(), false);
      std::fill(need.begin(), need.end(), 0);
      for (std::size_t i = 0; i < n; ++i) {
        if (!live[i]) continue;
        for (const Access& w : acc[i][options_[i].use_nhwc].writes) {
          nhwc_home[static_cast<std::size_t>(w.value)] = w.nhwc;
        }
        for (const Access& r : acc[i][options_[i].use_nhwc].reads) {
          need[static_cast<std::size_t>(r.value)] |= r.nhwc ? 2 : 1;
        }
      }
      for (int o : outputs) need[static_cast<std::size_t>(o)] |= 1;
      std::pair<int, double> c{0, 0.0};
      for (std::size_t v = 0; v < values; ++v) {
        if ((need[v] & ~(nhwc_home[v] ? 2 : 1)) != 0) {
          ++c.first;
          c.second += elements[v];
        }
      }
      return c;
    };

    // Greedy start.
    std::vector<bool> home(values, false);
    for (std::size_t i = 0; i < n; ++i) {
      if (!live[i]) continue;
      if (flexible[i]) {
        bool any = false;
        for (const Access& r : acc[i][1].reads)
          any = any || home[static_cast<std::size_t>(r.value)];
        options_[i].use_nhwc = any;
      }
      for (const Access& w : acc[i][options_[i].use_nhwc].writes) {
        home[static_cast<std::size_t>(w.value)] = w.nhwc;
      }
    }

    // Regions of flexible nodes, linked through the values one writes and another reads.
    std::vector<std::size_t> parent(n);
    std::iota(parent.begin(), parent.end(), std::size_t{0});
    auto find = [&](std::size_t x) {
      while (parent[x] != x) x = parent[x] = parent[parent[x]];
      return x;
    };
    std::vector<int> writer(values, -1);
    for (std::size_t i = 0; i < n; ++i) {
      if (!live[i] || !flexible[i]) continue;
      for (const auto& way : acc[i]) {
        for (const Access& w : way.writes)
          writer[static_cast<std::size_t>(w.value)] = static_cast<int>(i);
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (!live[i] || !flexible[i]) continue;
      for (const auto& way : acc[i]) {
        for (const Access& r : way.reads) {
          const int w = writer[static_cast<std::size_t>(r.value)];
          if (w >= 0) parent[find(static_cast<std::size_t>(w))] = find(i);
        }
      }
    }
    std::map<std::size_t, std::vector<std::size_t>> regions;
    for (std::size_t i = 0; i < n; ++i) {
      if (live[i] && flexible[i]) regions[find(i)].push_back(i);
    }

    // Each evaluation walks the whole graph; bound the search on very large graphs (the greedy
    // start is always valid, each accepted move only improves it).
    std::size_t work = n + values;
    for (const auto& a : acc) work += a[0].reads.size() + a[1].reads.size();
    std::int64_t evaluations_left = std::max<std::int64_t>(64, 200'000'000 / std::int64_t(work));
    auto best = cost();
    for (int round = 0; round < 16 && evaluations_left > 0; ++round) {
      bool improved = false;
      for (const auto& [root, members] : regions) {
        if ((evaluations_left -= 2) < 0) break;
        std::vector<bool> before;
        for (std::size_t i : members) before.push_back(options_[i].use_nhwc);
        for (bool to : {true, false}) {
          for (std::size_t i : members) options_[i].use_nhwc = to;
          const auto c = cost();
          if (c < best) {
            best = c;
            before.clear();
            for (std::size_t i : members) before.push_back(options_[i].use_nhwc);
            improved = true;
          }
        }
        for (std::size_t k = 0; k < members.size(); ++k) options_[members[k]].use_nhwc = before[k];
      }
      for (const auto& [root, members] : regions) {
        for (std::size_t i : members) {
          if (--evaluations_left < 0) break;
          options_[i].use_nhwc = !options_[i].use_nhwc;
          const auto c = cost();
          if (c < best) {
            best = c;
            improved = true;
          } else {
            options_[i].use_nhwc = !options_[i].use_nhwc;
          }
        }
      }
      if (!improved) break;
    }
  }

  // ---- decisions ----------------------------------------------------------------------------

  Decision decide(const ir::Node& node) {
    const bool onnx = ir::is_default_domain(node.domain);
    const bool fused = node.domain == "edgebench";
    if (node.outputs.empty() || node.outputs[0].empty()) return std::string(kNoKernel);
    for (std::size_t o = 1; o < node.outputs.size() && !(onnx && node.op_type == "Split"); ++o) {
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
    if (onnx && op == "Resize") {
      Decision d = resize(node);
      if (auto* why = std::get_if<std::string>(&d)) return resize_reference(node, *why);
      return d;
    }
    if (onnx && op == "BatchNormalization") return batch_norm(node);
    if (onnx && op == "HardSigmoid") {
      if (!is_float_activation(node.inputs[0])) return std::string("input must be float32");
      const bool nhwc = nhwc_ok(node.inputs[0]);
      FastNode f{"HardSigmoid", {}, {{node.inputs[0], nhwc ? Input::kNhwc : Input::kPlain}}, nhwc};
      f.attributes.set("alpha", node.attributes.get_float("alpha", 0.2f).value_or(0.2f));
      f.attributes.set("beta", node.attributes.get_float("beta", 0.5f).value_or(0.5f));
      return f;
    }
    if (onnx && is_pointwise_op(op)) return pointwise(node);
    if (onnx && (op == "Pow" || op == "Max" || op == "Min" || op == "Sum" || op == "Mean")) {
      return broadcast_reference(node);
    }
    if (onnx && op == "Slice") return slice(node);
    if (onnx && op == "Split") return split(node);
    if (onnx &&
        (op == "ReduceMean" || op == "ReduceSum" || op == "ReduceMax" || op == "ReduceMin")) {
      return reduce(node);
    }
    if (onnx && op == "Reshape") {
      if (auto shuffle = channel_shuffle(node)) return std::move(*shuffle);
    }
    if (onnx && (op == "Flatten" || op == "Reshape")) return flatten(node);
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
      const auto& g = std::get<engine::ops::WindowGeometry>(geo);
      set_window(f.attributes, g);
      // A pointwise convolution with mostly-zero weights runs on the block-sparse kernel.
      const bool pointwise = group == 1 && g.kernel[0] == 1 && g.kernel[1] == 1 &&
                             g.strides[0] == 1 && g.strides[1] == 1 && g.pads_begin[0] == 0 &&
                             g.pads_begin[1] == 0 && g.pads_end[0] == 0 && g.pads_end[1] == 0;
      if (pointwise) {
        const std::int64_t width = sparse_block_width(w->data<float>(), w->dim(0), w->dim(1));
        if (width > 0) f.attributes.set("sparse", width);
      }
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
    if (geo.kernel[0] * geo.kernel[1] < 2) return subsample(node, geo);
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
        any_nhwc = any_nhwc || nhwc_ok(v);
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
    f.nhwc_output = nhwc_ok(x);
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
    FastNode f{"PRelu",
               {},
               {{x, rank == 4 ? Input::kNhwc : Input::kPlain}, {node.inputs[1], Input::kConst}},
               rank == 4};
    f.new_constants[1] = std::move(expanded);
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
      any_nhwc = any_nhwc || nhwc_ok(v);
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
    const bool in_nhwc = rank == 4 && nhwc_ok(x);
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

  // ---- layout-agnostic ops in NHWC ------------------------------------------------------------

  // The node's op on its reference kernel, on NHWC data (attributes as given; the caller remaps).
  FastNode reference_nhwc(const ir::Node& node, bool nhwc_output) const {
    FastNode f{node.op_type, node.attributes, {}, nhwc_output};
    f.reference = true;
    for (const std::string& v : node.inputs) {
      const bool activation = !v.empty() && constant(v) == nullptr;
      f.inputs.push_back({v, activation ? Input::kNhwc : Input::kConst});
    }
    return f;
  }

  static Tensor int64_list(std::span<const std::int64_t> values) {
    Tensor t = Tensor::allocate(DType::kInt64, {static_cast<std::int64_t>(values.size())}).value();
    std::copy(values.begin(), values.end(), t.data<std::int64_t>());
    return t;
  }

  // Axes (attribute `name`, or constant input `at` where the opset moved them there) of a rank-4
  // node, normalized to [0, 4); nullopt when absent, not constant or invalid.
  std::optional<std::vector<std::int64_t>> axes_of(const ir::Node& node, std::string_view name,
                                                   std::size_t at, bool from_input) const {
    std::vector<std::int64_t> axes;
    if (from_input) {
      const Tensor* t = node.has_input(at) ? constant(node.inputs[at]) : nullptr;
      if (t == nullptr) return std::nullopt;
      auto v = engine::ops::read_int_list(*t, "axes", {DType::kInt64, DType::kInt32});
      if (!v.is_ok()) return std::nullopt;
      axes = v.value();
    } else {
      if (!node.attributes.has(name)) return std::nullopt;
      auto v = node.attributes.get_ints(name, {});
      if (!v.is_ok()) return std::nullopt;
      axes = v.value();
    }
    auto normalized = engine::ops::normalize_axes(axes, 4, "axes");
    if (!normalized.is_ok() || axes.empty()) return std::nullopt;
    return std::vector<std::int64_t>(normalized.value().begin(), normalized.value().end());
  }

  static std::vector<std::int64_t> axes_to_nhwc(std::span<const std::int64_t> axes) {
    std::vector<std::int64_t> out;
    for (std::int64_t a : axes) out.push_back(kToNhwcAxis[static_cast<std::size_t>(a)]);
    return out;
  }

  // Ops whose output element reads the input element at the same index (one input).
  Decision pointwise(const ir::Node& node) {
    if (!want_nhwc_) return std::string(kNoKernel);
    if (node.inputs.size() != 1 || !is_float_activation(node.inputs[0], 4)) {
      return std::string("only rank-4 float32 activations run in NHWC");
    }
    return reference_nhwc(node, true);
  }

  // Broadcasting ops without a fast kernel (Pow, Max, Min, Sum, Mean): every activation rank 4,
  // constants permuted like the fast binary ops' constants.
  Decision broadcast_reference(const ir::Node& node) {
    if (!want_nhwc_) return std::string(kNoKernel);
    if (type_of(node.outputs[0])->shape.size() != 4) return std::string(kNoKernel);
    FastNode f = reference_nhwc(node, true);
    for (auto& [v, how] : f.inputs) {
      const TensorType* t = type_of(v);
      if (v.empty() || t == nullptr || t->dtype != DType::kFloat32) return std::string(kNoKernel);
      if (how == Input::kConst) {
        if (t->shape.size() > 4) return std::string(kNoKernel);
        how = Input::kConstNhwc;
      } else if (t->shape.size() != 4) {
        return std::string("only rank-4 activations run in NHWC");
      }
    }
    return f;
  }

  // BatchNormalization in inference mode: a per-channel scale and shift (axis 1, or the last
  // axis in NHWC), with a Relu/Clip after it absorbed.
  Decision batch_norm(const ir::Node& node) {
    const std::string& x = node.inputs[0];
    if (!is_float_activation(x) || type_of(x)->shape.size() < 2) {
      return std::string("input must be a float32 activation of rank >= 2");
    }
    if (node.attributes.get_int("training_mode", 0).value_or(1) != 0 ||
        node.attributes.get_int("spatial", 1).value_or(0) != 1) {
      return std::string("only inference-mode, spatial BatchNormalization is lowered");
    }
    const std::int64_t channels = type_of(x)->shape[1];
    const Tensor* p[4];
    for (std::size_t i = 0; i < 4; ++i) {
      p[i] = float_constant(node, i + 1);
      if (p[i] == nullptr || p[i]->element_count() != channels) {
        return std::string("scale, bias, mean and var must be float32 constants, one per channel");
      }
    }
    const double epsilon = node.attributes.get_float("epsilon", 1e-5f).value_or(1e-5f);
    Tensor scale = Tensor::allocate(DType::kFloat32, {channels}).value();
    Tensor shift = Tensor::allocate(DType::kFloat32, {channels}).value();
    for (std::int64_t c = 0; c < channels; ++c) {
      const double s =
          double(p[0]->data<float>()[c]) / std::sqrt(double(p[3]->data<float>()[c]) + epsilon);
      scale.data<float>()[c] = static_cast<float>(s);
      shift.data<float>()[c] =
          static_cast<float>(double(p[1]->data<float>()[c]) - double(p[2]->data<float>()[c]) * s);
    }
    const bool nhwc = nhwc_ok(x);
    FastNode f{"ChannelAffine",
               {},
               {{x, nhwc ? Input::kNhwc : Input::kPlain},
                {node.inputs[1], Input::kConst},
                {node.inputs[2], Input::kConst}},
               nhwc};
    f.new_constants[1] = std::move(scale);
    f.new_constants[2] = std::move(shift);
    f.attributes.set("channels_last", std::int64_t{nhwc ? 1 : 0});
    absorb_float_activation(node, f);
    return f;
  }

  // Slice (opset >= 10) with constant axes, in NHWC with the axes permuted.
  Decision slice(const ir::Node& node) {
    if (!want_nhwc_) return std::string(kNoKernel);
    if (!is_float_activation(node.inputs[0], 4) || in_.opset_for(node.domain) < 10) {
      return std::string("only rank-4 float32 Slice-10 and later runs in NHWC");
    }
    for (std::size_t i = 1; i < node.inputs.size(); ++i) {
      if (node.has_input(i) && constant(node.inputs[i]) == nullptr) {
        return std::string("starts, ends, axes and steps must be constant");
      }
    }
    const Tensor* starts = node.has_input(1) ? constant(node.inputs[1]) : nullptr;
    if (starts == nullptr) return std::string("starts must be constant");
    std::optional<std::vector<std::int64_t>> axes;
    if (node.has_input(3)) {
      axes = axes_of(node, "", 3, true);
    } else {
      axes.emplace();
      for (std::int64_t a = 0; a < starts->element_count(); ++a) axes->push_back(a);
      if (axes->size() > 4) axes.reset();
    }
    if (!axes) return std::string("axes must be constant and valid");
    FastNode f = reference_nhwc(node, true);
    while (f.inputs.size() < 4) f.inputs.push_back({"", Input::kConst});
    if (f.inputs[3].first.empty()) f.inputs[3].first = node.outputs[0] + "@axes";
    f.new_constants[3] = int64_list(axes_to_nhwc(*axes));
    return f;
  }

  // Split along a permuted axis; every output in NHWC.
  Decision split(const ir::Node& node) {
    if (!want_nhwc_) return std::string(kNoKernel);
    if (!is_float_activation(node.inputs[0], 4)) {
      return std::string("only rank-4 float32 activations run in NHWC");
    }
    if (node.has_input(1) && constant(node.inputs[1]) == nullptr) {
      return std::string("split must be constant");
    }
    std::int64_t axis = node.attributes.get_int("axis", 0).value_or(-9);
    if (axis < 0) axis += 4;
    if (axis < 0 || axis > 3) return std::string("bad axis");
    FastNode f = reference_nhwc(node, true);
    f.attributes.set("axis", kToNhwcAxis[static_cast<std::size_t>(axis)]);
    return f;
  }

  // ReduceMean over H and W: the fast global average pooling in NHWC (keepdims or not). Other
  // reductions of rank-4 activations: the reference kernel in NHWC with the axes permuted, when
  // the axes they keep stay in the same order.
  Decision reduce(const ir::Node& node) {
    const std::string& op = node.op_type;
    const std::int64_t opset = in_.opset_for(node.domain);
    if (!is_float_activation(node.inputs[0], 4)) {
      return std::string("only rank-4 float32 activations run in NHWC");
    }
    const bool axes_input = opset >= 18 || (op == "ReduceSum" && opset >= 13);
    auto axes = axes_of(node, "axes", 1, axes_input);
    if (!axes) return std::string("axes must be constant and not empty");
    const bool keepdims = node.attributes.get_int("keepdims", 1).value_or(1) != 0;
    std::set<std::int64_t> reduced(axes->begin(), axes->end());
    if (op == "ReduceMean" && reduced == std::set<std::int64_t>{2, 3}) {
      FastNode f{"GlobalAveragePool", {}, {{node.inputs[0], Input::kNhwc}}, keepdims};
      f.attributes.set("keepdims", std::int64_t{keepdims ? 1 : 0});
      return f;
    }
    if (!want_nhwc_) return std::string(kNoKernel);
    if (!keepdims) {
      std::int64_t last = -1;
      for (std::int64_t a = 0; a < 4; ++a) {
        if (reduced.count(a) != 0) continue;
        if (kToNhwcAxis[static_cast<std::size_t>(a)] < last) {
          return std::string("the kept axes change order in NHWC");
        }
        last = kToNhwcAxis[static_cast<std::size_t>(a)];
      }
    }
    FastNode f = reference_nhwc(node, keepdims);
    if (axes_input) {
      f.new_constants[1] = int64_list(axes_to_nhwc(*axes));
    } else {
      f.attributes.set("axes", axes_to_nhwc(*axes));
    }
    return f;
  }

  // Flatten (axis 1) or Reshape of an image with H = W = 1: its bytes are the same in both
  // layouts, so the reference kernel reads the NHWC copy and writes the graph's layout.
  Decision flatten(const ir::Node& node) {
    if (!want_nhwc_) return std::string(kNoKernel);
    const std::string& x = node.inputs[0];
    if (!is_float_activation(x, 4)) return std::string(kNoKernel);
    const Shape& s = type_of(x)->shape;
    if (s[2] != 1 || s[3] != 1) return std::string(kNoKernel);
    if (node.op_type == "Flatten") {
      std::int64_t axis = node.attributes.get_int("axis", 1).value_or(0);
      if (axis < 0) axis += 4;
      if (axis != 1) return std::string(kNoKernel);
    } else {
      // Reshape: a 0 in the target shape copies an input dim, which differs between layouts.
      const Tensor* shape = node.has_input(1) ? constant(node.inputs[1]) : nullptr;
      if (shape == nullptr || shape->dtype() != DType::kInt64) return std::string(kNoKernel);
      for (std::int64_t i = 1; i < shape->element_count(); ++i) {
        if (shape->data<std::int64_t>()[i] == 0) return std::string(kNoKernel);
      }
    }
    return reference_nhwc(node, false);
  }

  // A 1x1 pooling window without padding keeps every stride-th row and column (the FPN's extra
  // level): a strided Slice over H and W on the reference kernel in NHWC.
  Decision subsample(const ir::Node& node, const engine::ops::WindowGeometry& geo) {
    const std::string why = "1x1 windows are not lowered (except as a subsample in NHWC)";
    if (!want_nhwc_) return why;
    for (int a = 0; a < 2; ++a) {
      if (geo.pads_begin[a] != 0 ||
          geo.output[a] != (geo.input[a] + geo.strides[a] - 1) / geo.strides[a]) {
        return why;
      }
    }
    constexpr std::int64_t kEnd = std::numeric_limits<std::int64_t>::max();
    FastNode f{"Slice", {}, {{node.inputs[0], Input::kNhwc}}, true};
    f.reference = true;
    const std::int64_t starts[2] = {0, 0}, ends[2] = {kEnd, kEnd}, axes[2] = {1, 2};
    const std::int64_t steps[2] = {geo.strides[0], geo.strides[1]};
    std::size_t at = 1;
    for (std::span<const std::int64_t> v :
         {std::span<const std::int64_t>(starts), std::span<const std::int64_t>(ends),
          std::span<const std::int64_t>(axes), std::span<const std::int64_t>(steps)}) {
      f.inputs.push_back({"", Input::kConst});
      f.new_constants[at++] = int64_list(v);
    }
    return f;
  }

  // ShuffleNet's channel shuffle, Reshape [N, C, H, W] -> [N, g, C/g, H, W], Transpose
  // (0, 2, 1, 3, 4), Reshape back to [N, C, H, W], each the only reader of the one before: one
  // NHWC channel shuffle that absorbs the Transpose and the second Reshape.
  std::optional<FastNode> channel_shuffle(const ir::Node& node) {
    const std::string& x = node.inputs[0];
    if (!is_float_activation(x, 4)) return std::nullopt;
    const Shape& xs = type_of(x)->shape;
    const Shape& split = type_of(node.outputs[0])->shape;
    if (split.size() != 5 || split[0] != xs[0] || split[1] * split[2] != xs[1] ||
        split[3] != xs[2] || split[4] != xs[3] || split[1] < 2) {
      return std::nullopt;
    }
    const int t = sole_reader(node.outputs[0]);
    if (t < 0 || in_.nodes[static_cast<std::size_t>(t)].op_type != "Transpose") return std::nullopt;
    const ir::Node& transpose = in_.nodes[static_cast<std::size_t>(t)];
    auto perm = transpose.attributes.get_ints("perm", {});
    if (!perm.is_ok() || perm.value() != std::vector<std::int64_t>{0, 2, 1, 3, 4}) {
      return std::nullopt;
    }
    const int r = sole_reader(transpose.outputs[0]);
    if (r < 0 || in_.nodes[static_cast<std::size_t>(r)].op_type != "Reshape") return std::nullopt;
    const ir::Node& back = in_.nodes[static_cast<std::size_t>(r)];
    const TensorType* out = type_of(back.outputs[0]);
    if (out == nullptr || out->shape != xs || back.outputs.size() != 1) return std::nullopt;
    FastNode f{"ChannelShuffle", {}, {{x, Input::kNhwc}}, true};
    f.attributes.set("groups", split[1]);
    f.output = back.outputs[0];
    absorbed_.insert(static_cast<std::size_t>(t));
    absorbed_.insert(static_cast<std::size_t>(r));
    return f;
  }

  // Resize the fast bilinear kernel does not cover (nearest, other coordinate rules): the
  // reference kernel in NHWC with its scales or sizes permuted.
  Decision resize_reference(const ir::Node& node, const std::string& why) {
    if (!want_nhwc_) return why;
    const std::string& x = node.inputs[0];
    if (!is_float_activation(x, 4)) return why;
    const std::int64_t opset = in_.opset_for(node.domain);
    auto attrs = engine::ops::parse_resize_attributes(node.attributes, opset);
    if (!attrs.is_ok()) return why;
    if (!attrs.value().axes.empty() ||
        attrs.value().transform == engine::ops::CoordinateTransform::kTfCropAndResize) {
      return why;
    }
    FastNode f = reference_nhwc(node, true);
    for (std::size_t i = 1; i < node.inputs.size(); ++i) {
      if (node.inputs[i].empty()) continue;
      const Tensor* t = constant(node.inputs[i]);
      if (t == nullptr) return why;
      const bool roi = opset >= 11 && i == 1;
      if (roi || t->element_count() == 0) continue;  // roi is only read by tf_crop_and_resize
      if (t->element_count() != 4 || t->rank() != 1) return why;
      Tensor permuted = Tensor::allocate(t->dtype(), {4}).value();
      const std::size_t size = dtype_size(t->dtype());
      for (std::size_t a = 0; a < 4; ++a) {
        std::memcpy(static_cast<std::byte*>(permuted.raw_data()) +
                        size * static_cast<std::size_t>(kToNhwcAxis[a]),
                    static_cast<const std::byte*>(t->raw_data()) + size * a, size);
      }
      f.new_constants[i] = std::move(permuted);
    }
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
    if (!ir::is_default_domain(n.domain) || n.inputs.empty() || n.inputs[0] != value) {
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
      if (!ir::is_onnx_op(dq, "DequantizeLinear") || !is_int8_activation(dq.inputs[0]) ||
          type_of(dq.inputs[0])->dtype != DType::kInt8) {
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
    const auto& sa = type_of(inputs[0])->shape;
    const auto& sb = type_of(inputs[1])->shape;
    const bool in_nhwc = sa.size() == 4 && sb.size() == 4 && qt->shape.size() == 4 &&
                         (nhwc_ok(inputs[0]) || nhwc_ok(inputs[1]));
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
    FastNode f{"Quantize", {}, {{x, nhwc_ok(x) ? Input::kNhwc : Input::kPlain}}, nhwc_ok(x)};
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
    FastNode f{"Dequantize", {}, {{x, nhwc_ok(x) ? Input::kNhwc : Input::kPlain}}, nhwc_ok(x)};
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
    FastNode f{"IntClamp", {}, {{x, nhwc_ok(x) ? Input::kNhwc : Input::kPlain}}, nhwc_ok(x)};
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
  bool want_nhwc_ = false;            // the decision being made may use NHWC activations
  std::vector<NodeOptions> options_;  // per node of the input graph
  std::map<std::string, int, std::less<>> value_ids_;
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
