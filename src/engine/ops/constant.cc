// Constant: outputs the tensor given by one of its attributes: value (a tensor), value_float,
// value_floats, value_int or value_ints. ONNX opsets 1, 9, 11, 12, 13. sparse_value and the
// string forms are not supported.
#include "elementwise_util.h"

namespace edgebench::engine::ops {
namespace {

constexpr std::string_view kValueAttributes[] = {"value",         "value_float", "value_floats",
                                                 "value_int",     "value_ints",  "value_string",
                                                 "value_strings", "sparse_value"};

class ConstantKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> create(const KernelCreateContext& ctx) {
    const ir::Attributes& attributes = ctx.node.attributes;
    std::vector<std::string_view> given;
    for (std::string_view name : kValueAttributes) {
      if (attributes.has(name)) given.push_back(name);
    }
    if (given.size() != 1) {
      return invalid_model(fmt::format("exactly one of the attributes {} must be given, found {}",
                                       fmt::join(kValueAttributes, ", "), given.size()));
    }
    const std::string_view name = given[0];
    Tensor value;
    if (name == "value") {
      EB_ASSIGN_OR_RETURN(value, attributes.get_tensor(name));
      if (!value.defined()) return invalid_model("attribute 'value' holds no tensor");
    } else if (name == "value_float") {
      EB_ASSIGN_OR_RETURN(const float v, attributes.get_float(name, 0.0f));
      value = Tensor::scalar(DType::kFloat32, v);
    } else if (name == "value_floats") {
      EB_ASSIGN_OR_RETURN(const std::vector<float> v, attributes.get_floats(name, {}));
      value = Tensor::vector<float>(DType::kFloat32, v);
    } else if (name == "value_int") {
      EB_ASSIGN_OR_RETURN(const std::int64_t v, attributes.get_int(name, 0));
      value = Tensor::scalar(DType::kInt64, v);
    } else if (name == "value_ints") {
      EB_ASSIGN_OR_RETURN(const std::vector<std::int64_t> v, attributes.get_ints(name, {}));
      value = Tensor::vector<std::int64_t>(DType::kInt64, v);
    } else {
      return unsupported(fmt::format("attribute '{}' is not supported", name));
    }
    return std::unique_ptr<OpKernel>(new ConstantKernel(std::move(value)));
  }

  Status infer(InferContext& ctx) const override {
    if (ctx.num_inputs() != 0) {
      return ctx.error(fmt::format("takes no inputs, has {}", ctx.num_inputs()));
    }
    ctx.set_output(0, value_.dtype(), value_.shape());
    return Status::ok();
  }

  Status run(KernelContext& ctx) override {
    if (value_.byte_size() != 0) {
      std::memcpy(ctx.output(0).raw_data(), value_.raw_data(), value_.byte_size());
    }
    return Status::ok();
  }

 private:
  explicit ConstantKernel(Tensor value) : value_(std::move(value)) {}

  Tensor value_;
};

}  // namespace

OpDef constant_op() { return {"", "Constant", 1, &ConstantKernel::create}; }

}  // namespace edgebench::engine::ops
