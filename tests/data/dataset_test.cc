#include "edgebench/data/dataset.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "edgebench/core/npy.h"
#include "edgebench/core/random.h"

namespace edgebench::data {
namespace {

namespace fs = std::filesystem;

class Datasets : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("edgebench_data_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const Tensor& t) {
    ASSERT_TRUE(write_npy(dir_ / name, t).is_ok());
  }
  fs::path dir_;
};

const std::vector<InputSpec> kOneInput = {{"x", DType::kFloat32, {1, 3}}};

TEST_F(Datasets, NpyFolderOneSamplePerFileInNameOrder) {
  for (int i = 0; i < 3; ++i) {
    Tensor t = Tensor::zeros(DType::kFloat32, {1, 3});
    t.data<float>()[0] = static_cast<float>(i);
    write("s" + std::to_string(i) + ".npy", t);
  }
  auto ds = open_dataset("npy:" + dir_.string(), kOneInput);
  ASSERT_TRUE(ds.is_ok()) << ds.status().to_string();
  ASSERT_EQ((*ds)->size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    auto sample = (*ds)->sample(i);
    ASSERT_TRUE(sample.is_ok());
    EXPECT_EQ((*sample)[0].data<float>()[0], static_cast<float>(i));
  }
  EXPECT_FALSE((*ds)->sample(3).is_ok());
}

TEST_F(Datasets, NpyFilesNamedAfterInputsFeedThoseInputs) {
  const std::vector<InputSpec> two = {{"a", DType::kFloat32, {2}}, {"b", DType::kInt64, {1}}};
  for (int k = 0; k < 2; ++k) {
    write("a_" + std::to_string(k) + ".npy", Tensor::zeros(DType::kFloat32, {2}));
    write("b_" + std::to_string(k) + ".npy", Tensor::scalar(DType::kInt64, k).reshaped({1}));
  }
  auto ds = open_dataset("npy:" + dir_.string(), two);
  ASSERT_TRUE(ds.is_ok()) << ds.status().to_string();
  ASSERT_EQ((*ds)->size(), 2u);
  EXPECT_EQ((*(*ds)->sample(1))[1].data<std::int64_t>()[0], 1);
  // A sample missing one input is refused, naming the input.
  fs::remove(dir_ / "b_1.npy");
  auto bad = open_dataset("npy:" + dir_.string(), two);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("'b'"), std::string::npos) << bad.status().message();
}

// An array of N samples stacked along axis 0, as NumPy users save them, is N samples: [N, 3] for
// an input [1, 3] (batch of one) or for an input [3] (one dim more).
TEST_F(Datasets, NpyFileOfStackedSamplesIsSplitAlongAxisZero) {
  Tensor stacked = Tensor::zeros(DType::kFloat32, {4, 3});
  for (int e = 0; e < 12; ++e) stacked.data<float>()[e] = static_cast<float>(e);
  write("all.npy", stacked);
  for (const Shape& input : {Shape{1, 3}, Shape{3}}) {
    auto ds = open_dataset("npy:" + dir_.string(), {{"x", DType::kFloat32, input}});
    ASSERT_TRUE(ds.is_ok()) << ds.status().to_string();
    ASSERT_EQ((*ds)->size(), 4u);
    for (std::size_t n = 0; n < 4; ++n) {
      auto sample = (*ds)->sample(n);
      ASSERT_TRUE(sample.is_ok());
      EXPECT_EQ((*sample)[0].shape(), input);
      EXPECT_EQ((*sample)[0].data<float>()[2], static_cast<float>(3 * n + 2));
    }
  }
  // Stacked rows of the wrong width are still refused, naming the file.
  auto wide = open_dataset("npy:" + dir_.string(), {{"x", DType::kFloat32, {1, 4}}});
  ASSERT_FALSE(wide.is_ok());
  EXPECT_NE(wide.status().message().find("all.npy"), std::string::npos);
}

TEST_F(Datasets, WrongShapeCorruptFileAndMissingFolderNameTheProblem) {
  write("s.npy", Tensor::zeros(DType::kFloat32, {1, 4}));
  auto shape = open_dataset("npy:" + dir_.string(), kOneInput);
  ASSERT_FALSE(shape.is_ok());
  EXPECT_NE(shape.status().message().find("s.npy"), std::string::npos);
  fs::remove(dir_ / "s.npy");
  std::ofstream(dir_ / "t.npy") << "\x93NUMPY broken";
  auto corrupt = open_dataset("npy:" + dir_.string(), kOneInput);
  ASSERT_FALSE(corrupt.is_ok());
  EXPECT_NE(corrupt.status().message().find("t.npy"), std::string::npos);
  EXPECT_FALSE(open_dataset("npy:" + (dir_ / "nope").string(), kOneInput).is_ok());
  EXPECT_FALSE(open_dataset("npy:" + (dir_ / "empty").string(), kOneInput).is_ok());
  auto unknown = open_dataset("imagenet:/x", kOneInput);
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_NE(unknown.status().message().find("npy:DIR"), std::string::npos);
}

TEST_F(Datasets, OnnxTestFoldersAndRandomSeeds) {
  const std::string test = "/usr/share/libonnx-testdata/data/node/test_relu";
  auto ds = open_dataset("onnx-test:" + test, {{"x", DType::kFloat32, {3, 4, 5}}});
  ASSERT_TRUE(ds.is_ok()) << ds.status().to_string();
  EXPECT_EQ((*ds)->size(), 1u);
  EXPECT_FALSE(open_dataset("onnx-test:" + test, {{"x", DType::kFloat32, {2}}}).is_ok());

  auto r1 = open_dataset("random:7", kOneInput, 3);
  auto r2 = open_dataset("random:7", kOneInput, 3);
  ASSERT_TRUE(r1.is_ok());
  ASSERT_EQ((*r1)->size(), 3u);
  EXPECT_EQ((*(*r1)->sample(2))[0].data<float>()[1], (*(*r2)->sample(2))[0].data<float>()[1]);
  EXPECT_FALSE(open_dataset("random:seven", kOneInput).is_ok());
}

}  // namespace
}  // namespace edgebench::data
