#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "edgebench/data/dataset.h"

namespace edgebench::data {
namespace {

namespace fs = std::filesystem;

constexpr int kPixels = 28 * 28;

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

// Pixel p of image k: an easy pattern to check against.
std::uint8_t pixel(int k, int p) { return static_cast<std::uint8_t>((k * 31 + p * 7) % 256); }

std::string idx_images(int count, std::uint32_t magic = 0x803, std::uint32_t rows = 28,
                       std::uint32_t cols = 28) {
  std::string out;
  put_u32(out, magic);
  put_u32(out, static_cast<std::uint32_t>(count));
  put_u32(out, rows);
  put_u32(out, cols);
  for (int k = 0; k < count; ++k) {
    for (std::uint32_t p = 0; p < rows * cols; ++p) {
      out.push_back(static_cast<char>(pixel(k, static_cast<int>(p))));
    }
  }
  return out;
}

std::string idx_labels(const std::vector<int>& labels, std::uint32_t magic = 0x801) {
  std::string out;
  put_u32(out, magic);
  put_u32(out, static_cast<std::uint32_t>(labels.size()));
  for (int l : labels) out.push_back(static_cast<char>(l));
  return out;
}

std::string gzip(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

const std::vector<int> kLabels = {3, 0, 9};
const std::vector<InputSpec> kNchw = {{"x", DType::kFloat32, {1, 1, 28, 28}}};

class FashionMnist : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("edgebench_fmnist_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
  }
  // A valid split: gzipped test files (as Debian installs them) and plain train files.
  void write_valid() {
    write("t10k-images-idx3-ubyte.gz", gzip(idx_images(3)));
    write("t10k-labels-idx1-ubyte.gz", gzip(idx_labels(kLabels)));
    write("train-images-idx3-ubyte", idx_images(2));
    write("train-labels-idx1-ubyte", idx_labels({1, 8}));
  }
  std::string spec(const std::string& suffix = "") const {
    return "fashion-mnist:" + dir_.string() + suffix;
  }
  // Opening fails and the message names `file`.
  void expect_error_naming(const std::string& file, const std::string& suffix = "") {
    auto ds = open_dataset(spec(suffix), kNchw);
    ASSERT_FALSE(ds.is_ok()) << "opened with a broken " << file;
    EXPECT_NE(ds.status().message().find(file), std::string::npos) << ds.status().to_string();
  }

  fs::path dir_;
};

TEST_F(FashionMnist, GzippedTestSplitGivesScaledFloatSamplesAndLabels) {
  write_valid();
  auto ds = open_dataset(spec(), kNchw);
  ASSERT_TRUE(ds.is_ok()) << ds.status().to_string();
  const Dataset& d = **ds;
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d.task(), Task::kClassification);
  EXPECT_EQ(d.num_classes(), 10u);
  const std::vector<std::string> names = d.class_names();
  ASSERT_EQ(names.size(), 10u);
  EXPECT_EQ(names[0], "T-shirt/top");
  EXPECT_EQ(names[9], "Ankle boot");
  for (std::size_t k = 0; k < 3; ++k) {
    auto sample = d.sample(k);
    ASSERT_TRUE(sample.is_ok()) << sample.status().to_string();
    ASSERT_EQ(sample->size(), 1u);
    const Tensor& t = (*sample)[0];
    ASSERT_EQ(t.dtype(), DType::kFloat32);
    ASSERT_EQ(t.shape(), (Shape{1, 1, 28, 28}));
    for (int p = 0; p < kPixels; ++p) {
      ASSERT_FLOAT_EQ(t.data<float>()[p], pixel(static_cast<int>(k), p) / 255.0f)
          << "image " << k << " pixel " << p;
    }
    auto label = d.label(k);
    ASSERT_TRUE(label.is_ok());
    EXPECT_EQ(*label, kLabels[k]);
  }
  EXPECT_FALSE(d.sample(3).is_ok());
  EXPECT_FALSE(d.label(3).is_ok());
}

TEST_F(FashionMnist, PlainTrainSplitAndOtherInputLayouts) {
  write_valid();
  auto train = open_dataset(spec(":train"), {{"x", DType::kUInt8, {1, 784}}});
  ASSERT_TRUE(train.is_ok()) << train.status().to_string();
  ASSERT_EQ((*train)->size(), 2u);
  EXPECT_EQ(*(*train)->label(1), 8);
  auto raw = (*train)->sample(1);
  ASSERT_TRUE(raw.is_ok());
  ASSERT_EQ((*raw)[0].shape(), (Shape{1, 784}));
  for (int p = 0; p < kPixels; ++p) ASSERT_EQ((*raw)[0].data<std::uint8_t>()[p], pixel(1, p));

  EXPECT_EQ((*open_dataset(spec(":test"), kNchw))->size(), 3u);
  for (const Shape& shape : {Shape{1, 28, 28}, Shape{1, 28, 28, 1}, Shape{1, 784}}) {
    auto ds = open_dataset(spec(), {{"img", DType::kFloat32, shape}});
    ASSERT_TRUE(ds.is_ok()) << ds.status().to_string();
    auto sample = (*ds)->sample(2);
    ASSERT_TRUE(sample.is_ok());
    EXPECT_EQ((*sample)[0].shape(), shape);
    EXPECT_FLOAT_EQ((*sample)[0].data<float>()[100], pixel(2, 100) / 255.0f);
  }
}

TEST_F(FashionMnist, OtherModelInputsAreRefusedNamingTheExpectedShapes) {
  write_valid();
  const std::vector<std::vector<InputSpec>> bad = {
      {{"x", DType::kFloat32, {1, 3, 28, 28}}},
      {{"x", DType::kFloat32, {2, 1, 28, 28}}},
      {{"x", DType::kFloat64, {1, 1, 28, 28}}},
      {{"x", DType::kInt8, {1, 784}}},
      {{"a", DType::kFloat32, {1, 784}}, {"b", DType::kFloat32, {1, 784}}}};
  for (const auto& inputs : bad) {
    auto ds = open_dataset(spec(), inputs);
    ASSERT_FALSE(ds.is_ok()) << inputs[0].name;
    EXPECT_NE(ds.status().message().find("[1,1,28,28]"), std::string::npos)
        << ds.status().message();
    EXPECT_NE(ds.status().message().find("[1,784]"), std::string::npos) << ds.status().message();
  }
}

TEST_F(FashionMnist, UnknownSplitAndMissingFolderOrFiles) {
  write_valid();
  auto split = open_dataset(spec(":valid"), kNchw);
  ASSERT_FALSE(split.is_ok());
  EXPECT_NE(split.status().message().find("'valid'"), std::string::npos)
      << split.status().message();
  EXPECT_FALSE(open_dataset("fashion-mnist:" + (dir_ / "nope").string(), kNchw).is_ok());
  EXPECT_FALSE(open_dataset("fashion-mnist:", kNchw).is_ok());

  fs::remove(dir_ / "t10k-labels-idx1-ubyte.gz");
  expect_error_naming("t10k-labels-idx1-ubyte");
  fs::remove(dir_ / "train-images-idx3-ubyte");
  expect_error_naming("train-images-idx3-ubyte", ":train");
}

TEST_F(FashionMnist, WrongMagicWrongSizeAndBadLabelsNameTheFile) {
  write("t10k-images-idx3-ubyte", idx_images(3, 0x801));
  write("t10k-labels-idx1-ubyte", idx_labels(kLabels));
  expect_error_naming("t10k-images-idx3-ubyte");

  write("t10k-images-idx3-ubyte", idx_images(3));
  write("t10k-labels-idx1-ubyte", idx_labels(kLabels, 0x803));
  expect_error_naming("t10k-labels-idx1-ubyte");

  write("t10k-images-idx3-ubyte", idx_images(3, 0x803, 27, 28));
  write("t10k-labels-idx1-ubyte", idx_labels(kLabels));
  expect_error_naming("t10k-images-idx3-ubyte");

  // Counts disagree between images and labels.
  write("t10k-images-idx3-ubyte", idx_images(3));
  write("t10k-labels-idx1-ubyte", idx_labels({1, 2}));
  expect_error_naming("t10k-labels-idx1-ubyte");

  // Label 10 is past the last class.
  write("t10k-labels-idx1-ubyte", idx_labels({1, 10, 2}));
  expect_error_naming("t10k-labels-idx1-ubyte");

  // Extra bytes after the data are as wrong as missing ones.
  write("t10k-labels-idx1-ubyte", idx_labels(kLabels) + "x");
  expect_error_naming("t10k-labels-idx1-ubyte");

  write("t10k-labels-idx1-ubyte", idx_labels(kLabels));
  ASSERT_TRUE(open_dataset(spec(), kNchw).is_ok());
}

TEST_F(FashionMnist, TruncatedFilesAreDataLossNamingTheFile) {
  write("t10k-labels-idx1-ubyte.gz", gzip(idx_labels(kLabels)));
  const std::string plain = idx_images(3);
  for (std::size_t cut : {std::size_t{0}, std::size_t{2}, std::size_t{10}, std::size_t{16},
                          std::size_t{500}, plain.size() - 1}) {
    write("t10k-images-idx3-ubyte", plain.substr(0, cut));
    SCOPED_TRACE("plain cut at " + std::to_string(cut));
    expect_error_naming("t10k-images-idx3-ubyte");
  }
  fs::remove(dir_ / "t10k-images-idx3-ubyte");
  const std::string gz = gzip(plain);
  // Inside the header, inside the deflate data, and inside the CRC/length trailer.
  for (std::size_t cut :
       {std::size_t{5}, std::size_t{12}, gz.size() / 2, gz.size() - 6, gz.size() - 1}) {
    write("t10k-images-idx3-ubyte.gz", gz.substr(0, cut));
    SCOPED_TRACE("gzip cut at " + std::to_string(cut));
    auto ds = open_dataset(spec(), kNchw);
    ASSERT_FALSE(ds.is_ok());
    EXPECT_EQ(ds.status().code(), StatusCode::kDataLoss) << ds.status().to_string();
    EXPECT_NE(ds.status().message().find("t10k-images-idx3-ubyte.gz"), std::string::npos)
        << ds.status().to_string();
  }
  // A flipped byte in the deflate data fails the stream or its CRC.
  std::string flipped = gz;
  flipped[gz.size() / 2] = static_cast<char>(flipped[gz.size() / 2] ^ 0x55);
  write("t10k-images-idx3-ubyte.gz", flipped);
  expect_error_naming("t10k-images-idx3-ubyte.gz");
}

TEST(FashionMnistDebian, RealFilesHaveTheKnownSizesAndFirstLabel) {
  // Installed by scripts/setup.sh (Debian's dataset-fashion-mnist).
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  auto test = open_dataset("fashion-mnist:" + dir, {{"x", DType::kFloat32, {1, 1, 28, 28}}});
  ASSERT_TRUE(test.is_ok()) << test.status().to_string();
  EXPECT_EQ((*test)->size(), 10000u);
  ASSERT_TRUE((*test)->label(0).is_ok());
  EXPECT_EQ(*(*test)->label(0), 9);
  EXPECT_EQ((*test)->class_names()[9], "Ankle boot");
  auto first = (*test)->sample(0);
  ASSERT_TRUE(first.is_ok());
  float lo = 1, hi = 0;
  for (int p = 0; p < kPixels; ++p) {
    lo = std::min(lo, (*first)[0].data<float>()[p]);
    hi = std::max(hi, (*first)[0].data<float>()[p]);
  }
  EXPECT_EQ(lo, 0.0f);
  EXPECT_GT(hi, 0.5f);
  EXPECT_LE(hi, 1.0f);

  auto train = open_dataset("fashion-mnist:" + dir + ":train", {{"x", DType::kUInt8, {1, 784}}});
  ASSERT_TRUE(train.is_ok()) << train.status().to_string();
  EXPECT_EQ((*train)->size(), 60000u);
}

TEST(DatasetLabels, DatasetsWithoutLabelsSayso) {
  auto ds = open_dataset("random:1", {{"x", DType::kFloat32, {2}}}, 2);
  ASSERT_TRUE(ds.is_ok());
  EXPECT_EQ((*ds)->task(), Task::kNone);
  EXPECT_EQ((*ds)->num_classes(), 0u);
  EXPECT_TRUE((*ds)->class_names().empty());
  auto label = (*ds)->label(0);
  ASSERT_FALSE(label.is_ok());
  EXPECT_NE(label.status().message().find("has no labels"), std::string::npos);
}

// A full-integer model's input (TFLite's int8 models): the real-valued samples are quantized with
// the input's scale and zero point, round half to even, saturated; labels pass through.
TEST(QuantizedInputs, FashionMnistSamplesAreQuantizedWithTheInputsScaleAndZeroPoint) {
  const std::string spec = "fashion-mnist:/usr/share/datasets/fashion-mnist";
  const Shape nhwc{1, 28, 28, 1};
  auto real = open_dataset(spec, {{"x", DType::kFloat32, nhwc}});
  ASSERT_TRUE(real.is_ok()) << real.status().to_string();
  struct Case {
    float scale;
    std::int64_t zero_point;
  };
  for (const Case c : {Case{1.0f / 255.0f, -128}, Case{0.01f, 100}}) {
    QuantParams quant;
    quant.scales = {c.scale};
    quant.zero_points = {c.zero_point};
    auto quantized = open_dataset(spec, {{"x", DType::kInt8, nhwc, quant}});
    ASSERT_TRUE(quantized.is_ok()) << quantized.status().to_string();
    EXPECT_EQ((*quantized)->size(), (*real)->size());
    int saturated = 0;
    for (std::size_t i = 0; i < 3; ++i) {
      auto r = (*real)->sample(i);
      auto q = (*quantized)->sample(i);
      ASSERT_TRUE(r.is_ok() && q.is_ok());
      ASSERT_EQ((*q)[0].dtype(), DType::kInt8);
      ASSERT_EQ((*q)[0].shape(), nhwc);
      EXPECT_EQ(*(*quantized)->label(i), *(*real)->label(i));
      for (int p = 0; p < kPixels; ++p) {
        const double scaled = static_cast<double>((*r)[0].data<float>()[p]) / c.scale;
        const double want =
            std::clamp(std::nearbyint(scaled) + static_cast<double>(c.zero_point), -128.0, 127.0);
        saturated += want == 127.0;
        ASSERT_EQ((*q)[0].data<std::int8_t>()[p], static_cast<std::int8_t>(want))
            << "sample " << i << " pixel " << p << " scale " << c.scale;
      }
    }
    if (c.zero_point == 100) {
      EXPECT_GT(saturated, 0);  // the case is meant to reach the saturation bound
    }
  }
}

}  // namespace
}  // namespace edgebench::data
