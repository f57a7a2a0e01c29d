// Hostile and broken models: each must give a non-OK status whose message names the file and
// the problem, never a crash or a huge allocation.
#include <random>

#include "onnx/onnx_test_util.h"

namespace edgebench::onnx::testing {
namespace {

void set_tensor_type(pb::ValueInfoProto& vi, const std::string& name, int elem_type,
                     std::initializer_list<std::int64_t> dims) {
  vi.set_name(name);
  auto* tt = vi.mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem_type);
  auto* shape = tt->mutable_shape();
  for (std::int64_t d : dims) shape->add_dim()->set_dim_value(d);
}

// X[2,3] -> Relu 'relu' -> R; R + B[3] -> Add 'add' -> Y, with B an initializer.
pb::ModelProto base_model() {
  pb::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("hostile-test");
  auto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("g");
  set_tensor_type(*g->add_input(), "X", pb::TensorProto::FLOAT, {2, 3});
  set_tensor_type(*g->add_output(), "Y", pb::TensorProto::FLOAT, {2, 3});
  auto* b = g->add_initializer();
  b->set_name("B");
  b->set_data_type(pb::TensorProto::FLOAT);
  b->add_dims(3);
  const float values[3] = {1.0f, 2.0f, 3.0f};
  b->set_raw_data(values, sizeof(values));
  auto* relu = g->add_node();
  relu->set_name("relu");
  relu->set_op_type("Relu");
  relu->add_input("X");
  relu->add_output("R");
  auto* add = g->add_node();
  add->set_name("add");
  add->set_op_type("Add");
  add->add_input("R");
  add->add_input("B");
  add->add_output("Y");
  return m;
}

pb::TensorProto& initializer_b(pb::ModelProto& m) {
  return *m.mutable_graph()->mutable_initializer(0);
}

class OnnxMalformed : public ::testing::Test {
 protected:
  // Writes the model into the temp folder and loads it back.
  Result<ir::Graph> load(const pb::ModelProto& model, const std::string& file = "model.onnx") {
    path_ = dir_.path() / file;
    write_bytes(path_, model.SerializeAsString());
    return load_model(path_);
  }
  Result<ir::Graph> load_bytes(std::string_view bytes, const std::string& file = "model.onnx") {
    path_ = dir_.path() / file;
    write_bytes(path_, bytes);
    return load_model(path_);
  }
  // Asserts failure with `code`, the file name and every fragment in the message.
  void expect_error(const Result<ir::Graph>& result, StatusCode code,
                    std::initializer_list<std::string_view> fragments) {
    ASSERT_FALSE(result.is_ok()) << "expected an error mentioning " << *fragments.begin();
    const Status& st = result.status();
    EXPECT_EQ(st.code(), code) << st.to_string();
    EXPECT_NE(st.message().find(path_.string()), std::string::npos) << st.message();
    for (std::string_view f : fragments) {
      EXPECT_NE(st.message().find(f), std::string::npos)
          << "missing '" << f << "' in " << st.message();
    }
  }

  TempDir dir_;
  std::filesystem::path path_;
};

TEST_F(OnnxMalformed, BaseModelImports) {
  Result<ir::Graph> g = load(base_model());
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  EXPECT_EQ(g->nodes.size(), 2u);
  EXPECT_EQ(g->inputs, std::vector<std::string>{"X"});
  EXPECT_TRUE(g->is_initializer("B"));
  EXPECT_EQ(g->initializers.at("B").data<float>()[2], 3.0f);
}

TEST_F(OnnxMalformed, EmptyFile) {
  expect_error(load_bytes(""), StatusCode::kInvalidModel, {"empty"});
}

TEST_F(OnnxMalformed, GarbageBytes) {
  const unsigned seed = 20240611;
  std::mt19937 rng(seed);
  for (int trial = 0; trial < 50; ++trial) {
    std::string bytes(1 + rng() % 300, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    Result<ir::Graph> g = load_bytes(bytes);
    ASSERT_FALSE(g.is_ok()) << "seed " << seed << " trial " << trial;
    EXPECT_NE(g.status().message().find(path_.string()), std::string::npos) << g.status().message();
    EXPECT_TRUE(g.status().message().find("not a valid ONNX model") != std::string::npos ||
                g.status().message().find("not an ONNX model") != std::string::npos)
        << g.status().message() << " seed " << seed << " trial " << trial;
  }
}

TEST_F(OnnxMalformed, WrongMagic) {
  expect_error(load_bytes(std::string("\x93NUMPY\x01\x00v\x00{'descr': '<f4'}", 24)),
               StatusCode::kInvalidModel, {"not a valid ONNX model", "NumPy"});
  expect_error(load_bytes(std::string("PK\x03\x04\x14\x00\x00\x00", 8)), StatusCode::kInvalidModel,
               {"not a valid ONNX model", "zip"});
  // Plain text parses as a (meaningless) protobuf or not at all; either way it is refused.
  Result<ir::Graph> text = load_bytes("this is a text file, not a model\n");
  ASSERT_FALSE(text.is_ok());
  EXPECT_EQ(text.status().code(), StatusCode::kInvalidModel);
}

TEST_F(OnnxMalformed, TruncatedRealModels) {
  std::vector<std::string> sources;
  sources.push_back(base_model().SerializeAsString());
  for (const char* rel : {"node/test_conv_with_strides_padding/model.onnx",
                          "pytorch-converted/test_MaxPool2d_stride_padding_dilation/model.onnx",
                          "node/test_constant/model.onnx", "simple/test_sign_model/model.onnx"}) {
    if (std::filesystem::exists(kTestDataRoot / rel))
      sources.push_back(read_bytes(kTestDataRoot / rel));
  }
  for (const std::string& full : sources) {
    ASSERT_TRUE(load_bytes(full).is_ok());
    const std::size_t n = full.size();
    for (std::size_t cut :
         {std::size_t{1}, std::size_t{5}, n / 4, n / 2, 3 * n / 4, n - 2, n - 1}) {
      SCOPED_TRACE("cut at " + std::to_string(cut) + " of " + std::to_string(n));
      Result<ir::Graph> g = load_bytes(full.substr(0, cut));
      ASSERT_FALSE(g.is_ok());
      EXPECT_EQ(g.status().code(), StatusCode::kInvalidModel) << g.status().to_string();
      EXPECT_NE(g.status().message().find(path_.string()), std::string::npos);
      EXPECT_NE(g.status().message().find("truncated"), std::string::npos) << g.status().message();
    }
  }
}

TEST_F(OnnxMalformed, CyclicGraph) {
  pb::ModelProto m = base_model();
  // relu now reads Y, which add computes from relu's output.
  m.mutable_graph()->mutable_node(0)->set_input(0, "Y");
  expect_error(load(m), StatusCode::kInvalidModel, {"cycle"});
}

TEST_F(OnnxMalformed, SelfLoop) {
  pb::ModelProto m = base_model();
  m.mutable_graph()->mutable_node(0)->set_input(0, "R");
  expect_error(load(m), StatusCode::kInvalidModel, {"Relu node 'relu'", "cycle"});
}

TEST_F(OnnxMalformed, DanglingInputName) {
  pb::ModelProto m = base_model();
  m.mutable_graph()->mutable_node(1)->set_input(1, "no_such_value");
  expect_error(load(m), StatusCode::kInvalidModel, {"Add node 'add'", "'no_such_value'"});
}

TEST_F(OnnxMalformed, DanglingGraphOutput) {
  pb::ModelProto m = base_model();
  set_tensor_type(*m.mutable_graph()->add_output(), "ghost", pb::TensorProto::FLOAT, {1});
  expect_error(load(m), StatusCode::kInvalidModel, {"'ghost'"});
}

TEST_F(OnnxMalformed, DuplicateProducer) {
  pb::ModelProto m = base_model();
  m.mutable_graph()->mutable_node(1)->set_output(0, "R");
  expect_error(load(m), StatusCode::kInvalidModel, {"'R'", "produced by both"});
}

TEST_F(OnnxMalformed, DuplicateInitializer) {
  pb::ModelProto m = base_model();
  *m.mutable_graph()->add_initializer() = initializer_b(m);
  expect_error(load(m), StatusCode::kInvalidModel, {"initializer 'B'", "twice"});
}

TEST_F(OnnxMalformed, RawDataSizeDoesNotMatchDims) {
  pb::ModelProto m = base_model();
  initializer_b(m).set_raw_data(std::string(20, '\0'));
  expect_error(load(m), StatusCode::kInvalidModel,
               {"initializer 'B'", "raw_data holds 20 bytes", "needs 12"});
}

TEST_F(OnnxMalformed, TypedDataCountDoesNotMatchDims) {
  pb::ModelProto m = base_model();
  initializer_b(m).clear_raw_data();
  initializer_b(m).add_float_data(1.0f);
  expect_error(load(m), StatusCode::kInvalidModel, {"initializer 'B'", "float_data holds 1"});
}

TEST_F(OnnxMalformed, NegativeDims) {
  pb::ModelProto m = base_model();
  initializer_b(m).set_dims(0, -3);
  expect_error(load(m), StatusCode::kInvalidModel, {"initializer 'B'", "negative dimension -3"});
}

TEST_F(OnnxMalformed, DimsWhoseProductOverflows) {
  {
    pb::ModelProto m = base_model();  // 2^40 * 2^40 overflows even 64-bit unsigned
    initializer_b(m).clear_dims();
    initializer_b(m).add_dims(std::int64_t{1} << 40);
    initializer_b(m).add_dims(std::int64_t{1} << 40);
    expect_error(load(m), StatusCode::kOutOfRange, {"initializer 'B'", "overflow"});
  }
  {
    pb::ModelProto m = base_model();  // 2^63 elements: past int64 and the allocation limit
    initializer_b(m).clear_dims();
    initializer_b(m).add_dims(std::int64_t{1} << 31);
    initializer_b(m).add_dims(std::int64_t{1} << 31);
    initializer_b(m).add_dims(2);
    expect_error(load(m), StatusCode::kOutOfRange, {"initializer 'B'"});
  }
  {
    pb::ModelProto m = base_model();  // huge dims with no data must not allocate anything
    initializer_b(m).clear_dims();
    initializer_b(m).add_dims(std::int64_t{1} << 20);
    initializer_b(m).add_dims(std::int64_t{1} << 10);
    expect_error(load(m), StatusCode::kInvalidModel,
                 {"initializer 'B'", "raw_data holds 12 bytes"});
  }
}

TEST_F(OnnxMalformed, NegativeDimInValueInfo) {
  pb::ModelProto m = base_model();
  m.mutable_graph()
      ->mutable_input(0)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(0)
      ->set_dim_value(-2);
  expect_error(load(m), StatusCode::kInvalidModel, {"graph input 'X'", "negative dimension -2"});
}

TEST_F(OnnxMalformed, ValueInfoShapeWhoseProductOverflows) {
  pb::ModelProto m = base_model();
  auto* shape =
      m.mutable_graph()->mutable_output(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  shape->mutable_dim(0)->set_dim_value(std::int64_t{1} << 40);
  shape->mutable_dim(1)->set_dim_value(std::int64_t{1} << 40);
  expect_error(load(m), StatusCode::kInvalidModel, {"graph output 'Y'", "overflows"});
}

TEST_F(OnnxMalformed, StringInitializerIsUnsupported) {
  pb::ModelProto m = base_model();
  pb::TensorProto* s = m.mutable_graph()->add_initializer();
  s->set_name("labels");
  s->set_data_type(pb::TensorProto::STRING);
  s->add_dims(1);
  s->add_string_data("cat");
  expect_error(load(m), StatusCode::kUnsupported, {"initializer 'labels'", "STRING"});
}

TEST_F(OnnxMalformed, ConstantTensorAttributeIsChecked) {
  pb::ModelProto m = base_model();
  pb::NodeProto* c = m.mutable_graph()->add_node();
  c->set_name("const");
  c->set_op_type("Constant");
  c->add_output("C");
  pb::AttributeProto* a = c->add_attribute();
  a->set_name("value");
  a->set_type(pb::AttributeProto::TENSOR);
  a->mutable_t()->set_data_type(pb::TensorProto::FLOAT);
  a->mutable_t()->add_dims(4);
  a->mutable_t()->set_raw_data(std::string(3, '\0'));
  expect_error(load(m), StatusCode::kInvalidModel,
               {"Constant node 'const'", "attribute 'value'", "raw_data holds 3 bytes"});
}

TEST_F(OnnxMalformed, OpsetOutOfRange) {
  for (std::int64_t version : {0, -1}) {
    pb::ModelProto m = base_model();
    m.mutable_opset_import(0)->set_version(version);
    expect_error(load(m), StatusCode::kInvalidModel, {"version " + std::to_string(version)});
  }
  pb::ModelProto m = base_model();
  m.mutable_opset_import(0)->set_version(19);
  expect_error(load(m), StatusCode::kUnsupported, {"opset 19", "newer"});
  m.mutable_opset_import(0)->set_domain("ai.onnx");
  m.mutable_opset_import(0)->set_version(18);
  Result<ir::Graph> g = load(m);
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  EXPECT_EQ(g->onnx_opset(), 18);
}

TEST_F(OnnxMalformed, OtherDomainsImportAsIs) {
  pb::ModelProto m = base_model();
  auto* ms = m.add_opset_import();
  ms->set_domain("com.microsoft");
  ms->set_version(1);
  pb::NodeProto* n = m.mutable_graph()->add_node();
  n->set_op_type("FusedGemm");
  n->set_domain("com.microsoft");
  n->add_input("Y");
  n->add_output("Z");
  Result<ir::Graph> g = load(m);
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  EXPECT_EQ(g->opset_for("com.microsoft"), 1);
  EXPECT_EQ(g->nodes.back().domain, "com.microsoft");
  EXPECT_TRUE(g->nodes.back().name.empty());
}

TEST_F(OnnxMalformed, NodeDomainNotImported) {
  pb::ModelProto m = base_model();
  m.mutable_graph()->mutable_node(0)->set_domain("com.example");
  expect_error(load(m), StatusCode::kInvalidModel, {"Relu node 'relu'", "com.example"});
}

TEST_F(OnnxMalformed, SubgraphAttributeIsUnsupported) {
  pb::ModelProto m = base_model();
  pb::AttributeProto* a = m.mutable_graph()->mutable_node(0)->add_attribute();
  a->set_name("then_branch");
  a->set_type(pb::AttributeProto::GRAPH);
  a->mutable_g()->set_name("sub");
  expect_error(load(m), StatusCode::kUnsupported,
               {"Relu node 'relu'", "'then_branch'", "subgraph"});
}

TEST_F(OnnxMalformed, SparseTensorAttributeIsUnsupported) {
  pb::ModelProto m = base_model();
  pb::AttributeProto* a = m.mutable_graph()->mutable_node(1)->add_attribute();
  a->set_name("sparse_value");
  a->set_type(pb::AttributeProto::SPARSE_TENSOR);
  a->mutable_sparse_tensor()->add_dims(2);
  expect_error(load(m), StatusCode::kUnsupported, {"Add node 'add'", "'sparse_value'", "sparse"});
}

TEST_F(OnnxMalformed, FunctionAttributeReferenceIsUnsupported) {
  pb::ModelProto m = base_model();
  pb::AttributeProto* a = m.mutable_graph()->mutable_node(0)->add_attribute();
  a->set_name("alpha");
  a->set_type(pb::AttributeProto::FLOAT);
  a->set_ref_attr_name("outer_alpha");
  expect_error(load(m), StatusCode::kUnsupported, {"Relu node 'relu'", "'alpha'", "outer_alpha"});
}

TEST_F(OnnxMalformed, DuplicateAttribute) {
  pb::ModelProto m = base_model();
  for (int i = 0; i < 2; ++i) {
    pb::AttributeProto* a = m.mutable_graph()->mutable_node(0)->add_attribute();
    a->set_name("alpha");
    a->set_type(pb::AttributeProto::FLOAT);
    a->set_f(1.0f);
  }
  expect_error(load(m), StatusCode::kInvalidModel, {"Relu node 'relu'", "'alpha' twice"});
}

TEST_F(OnnxMalformed, ModelOverTheSizeLimit) {
  const std::string bytes = base_model().SerializeAsString();
  path_ = dir_.path() / "model.onnx";
  write_bytes(path_, bytes);
  ImportOptions options;
  options.max_model_bytes = 16;
  Result<ir::Graph> g = load_model(path_, options);
  expect_error(g, StatusCode::kOutOfRange, {"limit"});
  Result<ir::Graph> mem = import_model(as_bytes(bytes), {}, "mem.onnx", options);
  ASSERT_FALSE(mem.is_ok());
  EXPECT_NE(mem.status().message().find("mem.onnx"), std::string::npos);
}

TEST_F(OnnxMalformed, MissingFile) {
  path_ = dir_.path() / "absent.onnx";
  expect_error(load_model(path_), StatusCode::kNotFound, {"not found"});
}

// ---- external data ------------------------------------------------------------------------

class OnnxExternalData : public OnnxMalformed {
 protected:
  void SetUp() override {
    model_dir_ = dir_.path() / "model_dir";
    std::filesystem::create_directories(model_dir_);
    const float values[3] = {4.0f, 5.0f, 6.0f};
    std::string data(8, 'x');  // 8 bytes of padding, then the tensor
    data.append(reinterpret_cast<const char*>(values), sizeof(values));
    write_bytes(model_dir_ / "weights.bin", data);
    write_bytes(dir_.path() / "outside.bin", data);
  }
  // B stored externally with the given keys.
  pb::ModelProto external_model(std::initializer_list<std::pair<std::string, std::string>> keys) {
    pb::ModelProto m = base_model();
    pb::TensorProto& b = initializer_b(m);
    b.clear_raw_data();
    b.set_data_location(pb::TensorProto::EXTERNAL);
    for (const auto& [k, v] : keys) {
      auto* e = b.add_external_data();
      e->set_key(k);
      e->set_value(v);
    }
    return m;
  }
  Result<ir::Graph> load_in_dir(const pb::ModelProto& m) { return load(m, "model_dir/model.onnx"); }

  std::filesystem::path model_dir_;
};

TEST_F(OnnxExternalData, ReadsDataInsideTheFolder) {
  Result<ir::Graph> g =
      load_in_dir(external_model({{"location", "weights.bin"}, {"offset", "8"}, {"length", "12"}}));
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  const Tensor& b = g->initializers.at("B");
  EXPECT_EQ(b.data<float>()[0], 4.0f);
  EXPECT_EQ(b.data<float>()[2], 6.0f);
  // "./sub/../weights.bin" canonicalises to a file inside the folder: allowed.
  std::filesystem::create_directories(model_dir_ / "sub");
  Result<ir::Graph> g2 =
      load_in_dir(external_model({{"location", "./sub/../weights.bin"}, {"offset", "8"}}));
  ASSERT_TRUE(g2.is_ok()) << g2.status().to_string();
}

TEST_F(OnnxExternalData, RejectsParentEscape) {
  expect_error(load_in_dir(external_model({{"location", "../outside.bin"}, {"offset", "8"}})),
               StatusCode::kInvalidModel, {"initializer 'B'", "'../outside.bin'", "outside"});
  expect_error(load_in_dir(external_model({{"location", "../nonexistent.bin"}, {"offset", "8"}})),
               StatusCode::kInvalidModel, {"initializer 'B'", "outside"});
}

TEST_F(OnnxExternalData, RejectsAbsolutePath) {
  const std::string absolute = (dir_.path() / "outside.bin").string();
  expect_error(load_in_dir(external_model({{"location", absolute}, {"offset", "8"}})),
               StatusCode::kInvalidModel, {"initializer 'B'", "absolute"});
}

TEST_F(OnnxExternalData, RejectsSymlinkOutOfTheFolder) {
  std::error_code ec;
  std::filesystem::create_symlink(dir_.path() / "outside.bin", model_dir_ / "link.bin", ec);
  ASSERT_FALSE(ec) << "cannot create symlinks: " << ec.message();
  expect_error(load_in_dir(external_model({{"location", "link.bin"}, {"offset", "8"}})),
               StatusCode::kInvalidModel, {"initializer 'B'", "'link.bin'", "outside"});
  std::filesystem::create_directory_symlink(dir_.path(), model_dir_ / "up", ec);
  ASSERT_FALSE(ec);
  expect_error(load_in_dir(external_model({{"location", "up/outside.bin"}, {"offset", "8"}})),
               StatusCode::kInvalidModel, {"initializer 'B'", "outside"});
}

TEST_F(OnnxExternalData, RejectsOffsetAndLengthBeyondTheFile) {
  expect_error(load_in_dir(external_model({{"location", "weights.bin"}, {"offset", "100"}})),
               StatusCode::kInvalidModel, {"initializer 'B'", "offset 100", "beyond the end"});
  expect_error(
      load_in_dir(external_model({{"location", "weights.bin"}, {"offset", "8"}, {"length", "13"}})),
      StatusCode::kInvalidModel, {"initializer 'B'", "length 13", "beyond the end"});
  expect_error(
      load_in_dir(external_model(
          {{"location", "weights.bin"}, {"offset", "18446744073709551615"}, {"length", "12"}})),
      StatusCode::kInvalidModel, {"initializer 'B'", "beyond the end"});
  expect_error(
      load_in_dir(external_model({{"location", "weights.bin"}, {"offset", "4"}, {"length", "16"}})),
      StatusCode::kInvalidModel, {"initializer 'B'", "holds 16 bytes", "needs 12"});
  expect_error(load_in_dir(external_model({{"location", "weights.bin"}, {"offset", "-8"}})),
               StatusCode::kInvalidModel, {"initializer 'B'", "'offset'", "-8"});
}

TEST_F(OnnxExternalData, RejectsMissingFileAndLocation) {
  expect_error(load_in_dir(external_model({{"location", "missing.bin"}})), StatusCode::kNotFound,
               {"initializer 'B'", "missing.bin"});
  expect_error(load_in_dir(external_model({{"offset", "8"}})), StatusCode::kInvalidModel,
               {"initializer 'B'", "location"});
  std::filesystem::create_directories(model_dir_ / "folder.bin");
  expect_error(load_in_dir(external_model({{"location", "folder.bin"}})), StatusCode::kInvalidModel,
               {"initializer 'B'", "not a regular file"});
}

TEST_F(OnnxExternalData, DisabledForInMemoryModelsAndByOption) {
  const pb::ModelProto m = external_model({{"location", "weights.bin"}, {"offset", "8"}});
  const std::string bytes = m.SerializeAsString();
  Result<ir::Graph> g = import_model(as_bytes(bytes), {}, "memory.onnx");
  ASSERT_FALSE(g.is_ok());
  EXPECT_EQ(g.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(g.status().message().find("memory.onnx"), std::string::npos);
  EXPECT_NE(g.status().message().find("external data is disabled"), std::string::npos);
  path_ = model_dir_ / "model.onnx";
  write_bytes(path_, bytes);
  ImportOptions options;
  options.allow_external_data = false;
  expect_error(load_model(path_, options), StatusCode::kUnsupported, {"external data is disabled"});
  ASSERT_TRUE(load_model(path_).is_ok());
}

}  // namespace
}  // namespace edgebench::onnx::testing
