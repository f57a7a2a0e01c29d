// TensorProto (.pb) files as used by the ONNX backend test data.
#include <cmath>

#include "onnx/onnx_test_util.h"

namespace edgebench::onnx::testing {
namespace {

TEST(OnnxTensorProto, LoadsBackendTestInputs) {
  const std::filesystem::path dir = kTestDataRoot / "node" / "test_relu" / "test_data_set_0";
  ASSERT_TRUE(std::filesystem::exists(dir)) << "no backend test data (install libonnx-testdata)";
  std::string name;
  Result<Tensor> x = load_tensor_proto(dir / "input_0.pb", &name);
  ASSERT_TRUE(x.is_ok()) << x.status().to_string();
  EXPECT_EQ(name, "x");
  EXPECT_EQ(x->dtype(), DType::kFloat32);
  EXPECT_EQ(x->shape(), (Shape{3, 4, 5}));
  Result<Tensor> y = load_tensor_proto(dir / "output_0.pb");
  ASSERT_TRUE(y.is_ok()) << y.status().to_string();
  for (std::int64_t i = 0; i < x->element_count(); ++i) {
    EXPECT_EQ(y->data<float>()[i], std::max(0.0f, x->data<float>()[i])) << i;
  }
}

TEST(OnnxTensorProto, LoadsEveryBackendTestTensor) {
  std::size_t loaded = 0;
  std::size_t total = 0;
  for (const std::filesystem::path& model : all_test_models()) {
    const std::filesystem::path dir = model.parent_path() / "test_data_set_0";
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (entry.path().extension() != ".pb") continue;
      ++total;
      Result<Tensor> t = load_tensor_proto(entry.path());
      if (t.is_ok()) {
        ++loaded;
        continue;
      }
      // Sequences, optionals and strings are not TensorProtos edgebench can hold.
      EXPECT_NE(t.status().message().find(entry.path().string()), std::string::npos)
          << t.status().message();
    }
  }
  std::cout << "loaded " << loaded << " of " << total << " tensors\n";
  EXPECT_GE(loaded * 100, total * 85);
}

template <typename T>
Tensor random_tensor(DType dtype, Shape shape, std::mt19937& rng) {
  Tensor t = Tensor::zeros(dtype, std::move(shape));
  std::uniform_int_distribution<int> dist(-100, 100);
  for (std::int64_t i = 0; i < t.element_count(); ++i) {
    if constexpr (std::is_same_v<T, bool>) {
      t.data<T>()[i] = dist(rng) > 0;
    } else {
      t.data<T>()[i] = static_cast<T>(dist(rng));
    }
  }
  return t;
}

TEST(OnnxTensorProto, SaveLoadRoundTripsEveryDType) {
  const unsigned seed = 1234;
  std::mt19937 rng(seed);
  TempDir dir;
  for (DType dtype : {DType::kFloat32, DType::kFloat16, DType::kFloat64, DType::kInt8,
                      DType::kUInt8, DType::kInt16, DType::kUInt16, DType::kInt32, DType::kUInt32,
                      DType::kInt64, DType::kUInt64, DType::kBool}) {
    for (const Shape& shape : {Shape{}, Shape{0}, Shape{7}, Shape{2, 3, 5}, Shape{1, 0, 4}}) {
      Tensor t;
      dispatch_dtype(dtype, [&](auto* tag) {
        using T = std::remove_pointer_t<decltype(tag)>;
        t = random_tensor<T>(dtype, shape, rng);
      });
      const std::filesystem::path path = dir.path() / "t.pb";
      ASSERT_TRUE(save_tensor_proto(t, "my_tensor", path).is_ok());
      std::string name;
      Result<Tensor> back = load_tensor_proto(path, &name);
      ASSERT_TRUE(back.is_ok()) << back.status().to_string();
      EXPECT_EQ(name, "my_tensor");
      EXPECT_TRUE(same_bytes(t, *back)) << t.describe() << " seed " << seed;
    }
  }
}

// The typed fields (float_data, int32_data, ...) written by older exporters.
TEST(OnnxTensorProto, ReadsTypedStorageFields) {
  TempDir dir;
  const std::filesystem::path path = dir.path() / "t.pb";
  auto load = [&](const pb::TensorProto& proto) {
    write_bytes(path, proto.SerializeAsString());
    return load_tensor_proto(path);
  };
  {
    pb::TensorProto p;
    p.set_data_type(pb::TensorProto::FLOAT16);
    p.add_dims(2);
    p.add_int32_data(float_to_half(1.5f));
    p.add_int32_data(float_to_half(-2.0f));
    Result<Tensor> t = load(p);
    ASSERT_TRUE(t.is_ok()) << t.status().to_string();
    EXPECT_EQ(half_to_float(t->data<std::uint16_t>()[0]), 1.5f);
    EXPECT_EQ(half_to_float(t->data<std::uint16_t>()[1]), -2.0f);
  }
  {
    pb::TensorProto p;
    p.set_data_type(pb::TensorProto::INT8);
    p.add_dims(3);
    for (int v : {-128, 0, 127}) p.add_int32_data(v);
    Result<Tensor> t = load(p);
    ASSERT_TRUE(t.is_ok()) << t.status().to_string();
    EXPECT_EQ(t->data<std::int8_t>()[0], -128);
    EXPECT_EQ(t->data<std::int8_t>()[2], 127);
  }
  {
    pb::TensorProto p;
    p.set_data_type(pb::TensorProto::BOOL);
    p.add_dims(2);
    p.add_int32_data(0);
    p.add_int32_data(5);
    Result<Tensor> t = load(p);
    ASSERT_TRUE(t.is_ok()) << t.status().to_string();
    EXPECT_FALSE(t->data<bool>()[0]);
    EXPECT_TRUE(t->data<bool>()[1]);
  }
  {
    pb::TensorProto p;
    p.set_data_type(pb::TensorProto::UINT64);
    p.add_dims(1);
    p.add_uint64_data(UINT64_MAX);
    Result<Tensor> t = load(p);
    ASSERT_TRUE(t.is_ok()) << t.status().to_string();
    EXPECT_EQ(t->data<std::uint64_t>()[0], UINT64_MAX);
  }
  {
    pb::TensorProto p;
    p.set_data_type(pb::TensorProto::DOUBLE);
    p.add_dims(2);
    p.add_double_data(0.25);
    p.add_double_data(-1e300);
    Result<Tensor> t = load(p);
    ASSERT_TRUE(t.is_ok()) << t.status().to_string();
    EXPECT_EQ(t->data<double>()[1], -1e300);
  }
  {
    pb::TensorProto p;  // wrong field for the type
    p.set_data_type(pb::TensorProto::FLOAT);
    p.add_dims(1);
    p.add_int64_data(3);
    Result<Tensor> t = load(p);
    ASSERT_FALSE(t.is_ok());
    EXPECT_NE(t.status().message().find("int64_data"), std::string::npos) << t.status().message();
  }
  {
    pb::TensorProto p;  // two storage forms at once
    p.set_data_type(pb::TensorProto::FLOAT);
    p.add_dims(1);
    p.add_float_data(1.0f);
    p.set_raw_data(std::string(4, '\0'));
    Result<Tensor> t = load(p);
    ASSERT_FALSE(t.is_ok());
    EXPECT_NE(t.status().message().find("both raw_data and float_data"), std::string::npos)
        << t.status().message();
  }
  {
    pb::TensorProto p;  // too few values
    p.set_data_type(pb::TensorProto::FLOAT);
    p.add_dims(3);
    p.add_float_data(1.0f);
    Result<Tensor> t = load(p);
    ASSERT_FALSE(t.is_ok());
    EXPECT_NE(t.status().message().find("float_data holds 1 values"), std::string::npos)
        << t.status().message();
  }
  {
    pb::TensorProto p;
    p.set_name("s");
    p.set_data_type(pb::TensorProto::STRING);
    p.add_dims(1);
    p.add_string_data("hello");
    Result<Tensor> t = load(p);
    ASSERT_FALSE(t.is_ok());
    EXPECT_EQ(t.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(t.status().message().find("tensor 's'"), std::string::npos) << t.status().message();
    EXPECT_NE(t.status().message().find("STRING"), std::string::npos) << t.status().message();
  }
}

TEST(OnnxTensorProto, RejectsGarbageAndMissingFiles) {
  TempDir dir;
  const std::filesystem::path path = dir.path() / "garbage.pb";
  write_bytes(path, std::string("\xff\xff\xff\xff garbage", 12));
  Result<Tensor> t = load_tensor_proto(path);
  ASSERT_FALSE(t.is_ok());
  EXPECT_NE(t.status().message().find(path.string()), std::string::npos) << t.status().message();
  Result<Tensor> missing = load_tensor_proto(dir.path() / "nope.pb");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace edgebench::onnx::testing
