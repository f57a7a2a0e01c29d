// The TFLite reader on fixtures written by tools/make_tflite_fixtures.py (each run by LiteRT's
// interpreter before it was written), and on truncated and corrupted copies of them.
#include "edgebench/tflite/model.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>

namespace edgebench::tflite {
namespace {

std::string fixture(const std::string& name) {
  return std::string(EDGEBENCH_SOURCE_DIR) + "/tests/tflite/" + name;
}

std::vector<std::byte> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> bytes(chars.size());
  std::memcpy(bytes.data(), chars.data(), chars.size());
  return bytes;
}

std::vector<std::string> op_types(const ir::Graph& g) {
  std::vector<std::string> ops;
  for (const ir::Node& n : g.nodes) ops.push_back(n.op_type);
  return ops;
}

TEST(TfliteReader, FloatModelDescribesGraph) {
  auto graph = load_model(fixture("tiny_float.tflite"));
  ASSERT_TRUE(graph.is_ok()) << graph.status().to_string();
  ASSERT_TRUE(graph->foreign.has_value());
  EXPECT_EQ(graph->foreign->format, "tflite");
  EXPECT_EQ(graph->foreign->bytes->size(), read_bytes(fixture("tiny_float.tflite")).size());
  EXPECT_EQ(op_types(*graph), (std::vector<std::string>{"CONV_2D", "DEPTHWISE_CONV_2D", "RESHAPE",
                                                        "FULLY_CONNECTED"}));
  for (const ir::Node& n : graph->nodes) EXPECT_EQ(n.domain, "tflite");
  ASSERT_EQ(graph->inputs, std::vector<std::string>{"input"});
  ASSERT_EQ(graph->outputs, std::vector<std::string>{"logits"});
  // shape [1,6,6,1], shape_signature [-1,6,6,1]: the batch dim is resizable (named), its size
  // the one the interpreter allocates.
  const ir::ValueInfo* in = graph->find_value_info("input");
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(in->dtype, DType::kFloat32);
  EXPECT_EQ(*in->shape, (Shape{1, 6, 6, 1}));
  EXPECT_EQ(in->dim_names[0], "batch");
  EXPECT_EQ(in->dim_names[1], "");
  // Constants: conv 4x3x3x1 + 4, depthwise 1x3x3x4 + 4, reshape's shape 2, fc 3x36.
  std::map<std::string, Shape> constants;
  for (const auto& [name, t] : graph->initializers) constants[name] = t.shape();
  EXPECT_EQ(constants, (std::map<std::string, Shape>{{"conv/weights", {4, 3, 3, 1}},
                                                     {"conv/bias", {4}},
                                                     {"dw/weights", {1, 3, 3, 4}},
                                                     {"dw/bias", {4}},
                                                     {"flatten/shape", {2}},
                                                     {"fc/weights", {3, 36}}}));
  EXPECT_EQ(graph->initializers.at("flatten/shape").to_int64_vector(),
            (std::vector<std::int64_t>{-1, 36}));
  // FULLY_CONNECTED without bias: the optional input is absent.
  ASSERT_EQ(graph->nodes[3].inputs.size(), 3u);
  EXPECT_EQ(graph->nodes[3].inputs[2], "");
}

TEST(TfliteReader, QuantizationOfInputsOutputsAndWeights) {
  auto bytes = read_bytes(fixture("tiny_int8.tflite"));
  auto model = parse_model(bytes, "tiny_int8");
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  const SubGraphInfo& g = model->subgraphs[0];
  const TensorInfo& in = g.tensors[static_cast<std::size_t>(g.inputs[0])];
  EXPECT_EQ(tensor_type_name(in.type), "INT8");
  auto q = quant_params(in);
  ASSERT_TRUE(q.has_value());
  EXPECT_FALSE(q->per_axis());
  EXPECT_FLOAT_EQ(q->scales[0], 1.0f / 255);
  EXPECT_EQ(q->zero_points[0], -128);

  auto graph = import_model(std::make_shared<std::vector<std::byte>>(bytes), "tiny_int8");
  ASSERT_TRUE(graph.is_ok()) << graph.status().to_string();
  const Tensor& w = graph->initializers.at("conv/weights");
  EXPECT_EQ(w.dtype(), DType::kInt8);
  ASSERT_TRUE(w.quant().has_value());
  EXPECT_EQ(w.quant()->axis, 0);
  EXPECT_EQ(w.quant()->scales.size(), 2u);
  EXPECT_EQ(graph->initializers.at("conv/bias").dtype(), DType::kInt32);
  EXPECT_EQ(graph->find_value_info("logits")->dtype, DType::kInt8);
}

TEST(TfliteReader, OldOpcodeFieldsAndOffsetBuffersReadTheSame) {
  // Same model with codes only in deprecated_builtin_code and data after the flatbuffer.
  auto plain = load_model(fixture("tiny_float.tflite"));
  auto forms = load_model(fixture("tiny_float_forms.tflite"));
  ASSERT_TRUE(plain.is_ok()) << plain.status().to_string();
  ASSERT_TRUE(forms.is_ok()) << forms.status().to_string();
  EXPECT_EQ(op_types(*plain), op_types(*forms));
  ASSERT_EQ(plain->initializers.size(), forms->initializers.size());
  for (const auto& [name, t] : plain->initializers) {
    auto it = forms->initializers.find(name);
    ASSERT_NE(it, forms->initializers.end()) << name;
    ASSERT_EQ(it->second.byte_size(), t.byte_size()) << name;
    EXPECT_EQ(std::memcmp(it->second.raw_data(), t.raw_data(), t.byte_size()), 0) << name;
  }
}

TEST(TfliteReader, OperatorNamesFollowTheCodeRule) {
  EXPECT_EQ(operator_name({3, "", 1}), "CONV_2D");
  EXPECT_EQ(operator_name({4, "", 1}), "DEPTHWISE_CONV_2D");
  EXPECT_EQ(operator_name({9, "", 1}), "FULLY_CONNECTED");
  EXPECT_EQ(operator_name({32, "TFLite_Detection_PostProcess", 1}), "TFLite_Detection_PostProcess");
  EXPECT_EQ(operator_name({100000, "", 1}), "BUILTIN_100000");
}

TEST(TfliteReader, RejectsOtherFiles) {
  std::vector<std::byte> onnx_like(64, std::byte{0x08});
  auto r = parse_model(onnx_like, "model 'x.onnx'");
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("model 'x.onnx'"), std::string::npos);
  EXPECT_NE(r.status().message().find("TFL3"), std::string::npos);
  auto tiny = parse_model(std::span<const std::byte>(onnx_like).first(5), "f");
  ASSERT_FALSE(tiny.is_ok());
  EXPECT_NE(tiny.status().message().find("too short"), std::string::npos);
}

TEST(TfliteReader, RootOffsetOutsideTheFileIsNamed) {
  auto bytes = read_bytes(fixture("tiny_int8.tflite"));
  const std::uint32_t bad = 0x7fffff00;
  std::memcpy(bytes.data(), &bad, 4);
  auto r = parse_model(bytes, "model 'bad.tflite'");
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("model 'bad.tflite'"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("root table"), std::string::npos) << r.status().message();
}

TEST(TfliteReader, EveryTruncationFailsCleanly) {
  const auto bytes = read_bytes(fixture("tiny_int8.tflite"));
  ASSERT_GT(bytes.size(), 100u);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto copy = std::make_shared<std::vector<std::byte>>(bytes.begin(),
                                                         bytes.begin() + static_cast<long>(n));
    auto r = import_model(copy, "cut");
    // The flatbuffer's tables lie at its end (the builder writes back to front), so no
    // prefix is a whole model.
    ASSERT_FALSE(r.is_ok()) << "prefix of " << n << " bytes";
    EXPECT_EQ(r.status().message().rfind("cut", 0), 0u) << r.status().message();
  }
}

TEST(TfliteReader, CorruptedBytesNeverCrash) {
  // Byte flips at seeded random positions: the reader returns a model or an error, and every
  // index in a returned model is in range (imported without reading outside the buffer).
  const auto bytes = read_bytes(fixture("tiny_float.tflite"));
  const unsigned seed = 1414;
  std::mt19937 rng(seed);
  int errors = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    auto copy = std::make_shared<std::vector<std::byte>>(bytes);
    for (int k = 0; k < 3; ++k) {
      const std::size_t pos = rng() % copy->size();
      (*copy)[pos] = static_cast<std::byte>(rng() & 0xff);
    }
    auto r = import_model(copy, "flipped");
    if (!r.is_ok()) {
      ++errors;
      EXPECT_EQ(r.status().message().rfind("flipped", 0), 0u) << "seed " << seed;
    }
  }
  EXPECT_GT(errors, 0) << "seed " << seed;
}

}  // namespace
}  // namespace edgebench::tflite
