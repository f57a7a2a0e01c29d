#include <gtest/gtest.h>

// jpeglib.h needs FILE and size_t declared before it.
#include <cstddef>
#include <cstdio>
// clang-format off
#include <jpeglib.h>
// clang-format on
#include <png.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "edgebench/data/dataset.h"

namespace edgebench::data {
namespace {

namespace fs = std::filesystem;

// A test image: row-major, channels interleaved (1: grey, 3: RGB).
struct Pixels {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<std::uint8_t> data;

  std::uint8_t at(int y, int x, int c) const {
    return data[static_cast<std::size_t>((y * width + x) * channels + c)];
  }
};

// Pixel values that differ per position and channel.
Pixels pattern(int width, int height, int channels, int seed = 0) {
  Pixels p{width, height, channels, {}};
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < channels; ++c) {
        p.data.push_back(static_cast<std::uint8_t>((seed * 53 + y * 40 + x * 9 + c * 71) % 256));
      }
    }
  }
  return p;
}

// A smooth image, so that JPEG's loss stays small.
Pixels gradient(int width, int height, int channels) {
  Pixels p{width, height, channels, {}};
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < channels; ++c) {
        p.data.push_back(static_cast<std::uint8_t>(40 + 6 * x + 4 * y + 30 * c));
      }
    }
  }
  return p;
}

std::string encode_png(const Pixels& p) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(p.width);
  image.height = static_cast<png_uint_32>(p.height);
  image.format = p.channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  png_alloc_size_t size = 0;
  EXPECT_NE(png_image_write_to_memory(&image, nullptr, &size, 0, p.data.data(), 0, nullptr), 0);
  std::string out(size, '\0');
  EXPECT_NE(png_image_write_to_memory(&image, out.data(), &size, 0, p.data.data(), 0, nullptr), 0)
      << image.message;
  out.resize(size);
  return out;
}

// Quality 100 without chroma subsampling.
std::string encode_jpeg(const Pixels& p) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr error;
  cinfo.err = jpeg_std_error(&error);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(p.width);
  cinfo.image_height = static_cast<JDIMENSION>(p.height);
  cinfo.input_components = p.channels;
  cinfo.in_color_space = p.channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 100, TRUE);
  for (int c = 0; c < cinfo.num_components; ++c) {
    cinfo.comp_info[c].h_samp_factor = 1;
    cinfo.comp_info[c].v_samp_factor = 1;
  }
  jpeg_start_compress(&cinfo, TRUE);
  const auto stride = static_cast<std::size_t>(p.width * p.channels);
  while (cinfo.next_scanline < cinfo.image_height) {
    auto* row = const_cast<JSAMPLE*>(p.data.data() + stride * cinfo.next_scanline);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  std::string out(reinterpret_cast<const char*>(buffer), size);
  std::free(buffer);
  jpeg_destroy_compress(&cinfo);
  return out;
}

class Images : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("edgebench_images_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& bytes) {
    fs::create_directories((dir_ / name).parent_path());
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
  }
  std::string spec(const std::string& options = "") const {
    return "images:" + dir_.string() + options;
  }
  // Opens `spec(options)` for one input; fails the test when it does not open.
  std::unique_ptr<Dataset> open(const std::string& options, DType dtype, Shape shape) {
    auto ds = open_dataset(spec(options), {{"x", dtype, std::move(shape)}});
    EXPECT_TRUE(ds.is_ok()) << ds.status().to_string();
    return ds.is_ok() ? std::move(ds).value() : nullptr;
  }
  // Sample i's only tensor.
  static Tensor tensor(const Dataset& d, std::size_t i) {
    auto sample = d.sample(i);
    EXPECT_TRUE(sample.is_ok()) << sample.status().to_string();
    return sample.is_ok() ? (*sample)[0] : Tensor();
  }
  // Opening for `shape` fails and the message contains `text`.
  void expect_open_error(const std::string& options, DType dtype, Shape shape,
                         const std::string& text) {
    auto ds = open_dataset(spec(options), {{"x", dtype, std::move(shape)}});
    ASSERT_FALSE(ds.is_ok()) << "opened " << spec(options);
    EXPECT_NE(ds.status().message().find(text), std::string::npos) << ds.status().to_string();
  }

  fs::path dir_;
};

TEST_F(Images, PngDecodesExactlyAndClassesFollowSortedFolderNames) {
  const Pixels a = pattern(5, 3, 3, 1);
  const Pixels b = pattern(5, 3, 3, 2);
  const Pixels c = pattern(5, 3, 3, 3);
  const Pixels d = pattern(5, 3, 3, 4);
  write("dog/z.png", encode_png(d));
  write("cat/b.PNG", encode_png(b));
  write("cat/a.png", encode_png(a));
  write("cat/notes.txt", "not an image");
  write("ant/c.png", encode_png(c));
  write(".cache/x.png", encode_png(a));
  write("top_level.png", encode_png(a));  // ignored: DIR has class folders
  auto ds = open("", DType::kUInt8, {1, 3, 3, 5});
  ASSERT_NE(ds, nullptr);
  ASSERT_EQ(ds->size(), 4u);
  EXPECT_EQ(ds->task(), Task::kClassification);
  EXPECT_EQ(ds->num_classes(), 3u);
  EXPECT_EQ(ds->class_names(), (std::vector<std::string>{"ant", "cat", "dog"}));
  const std::vector<const Pixels*> expected = {&c, &a, &b, &d};
  const std::vector<std::int64_t> labels = {0, 1, 1, 2};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(*ds->label(i), labels[i]) << "sample " << i;
    const Tensor t = tensor(*ds, i);
    ASSERT_EQ(t.dtype(), DType::kUInt8);
    ASSERT_EQ(t.shape(), (Shape{1, 3, 3, 5}));
    for (int ch = 0; ch < 3; ++ch) {
      for (int y = 0; y < 3; ++y) {
        for (int x = 0; x < 5; ++x) {
          ASSERT_EQ(t.data<std::uint8_t>()[(ch * 3 + y) * 5 + x], expected[i]->at(y, x, ch))
              << "sample " << i << " c " << ch << " y " << y << " x " << x;
        }
      }
    }
  }
  EXPECT_FALSE(ds->sample(4).is_ok());
  EXPECT_FALSE(ds->label(4).is_ok());
}

TEST_F(Images, FilesWithoutClassFoldersAreOneUnlabelledSetScaledToFloats) {
  const Pixels g = pattern(4, 2, 1, 5);
  write("b.png", encode_png(pattern(4, 2, 1, 6)));
  write("a.png", encode_png(g));
  auto ds = open("", DType::kFloat32, {1, 1, 2, 4});
  ASSERT_NE(ds, nullptr);
  ASSERT_EQ(ds->size(), 2u);
  EXPECT_EQ(ds->task(), Task::kNone);
  EXPECT_EQ(ds->num_classes(), 0u);
  EXPECT_FALSE(ds->label(0).is_ok());
  const Tensor t = tensor(*ds, 0);
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 4; ++x) {
      EXPECT_FLOAT_EQ(t.data<float>()[y * 4 + x], g.at(y, x, 0) / 255.0f);
    }
  }
}

TEST_F(Images, LayoutIsInferredFromTheShapeOrGiven) {
  const Pixels p = pattern(3, 2, 3, 7);
  write("a.png", encode_png(p));
  // [1,2,3,3]: only the last dimension can be channels -> NHWC, pixels as stored.
  auto nhwc = open("", DType::kUInt8, {1, 2, 3, 3});
  ASSERT_NE(nhwc, nullptr);
  const Tensor t = tensor(*nhwc, 0);
  for (std::size_t k = 0; k < p.data.size(); ++k) {
    ASSERT_EQ(t.data<std::uint8_t>()[k], p.data[k]) << k;
  }
  // Rank 3 [H,W,C] too.
  auto rank3 = open("", DType::kUInt8, {2, 3, 3});
  ASSERT_NE(rank3, nullptr);
  EXPECT_EQ(tensor(*rank3, 0).data<std::uint8_t>()[4], p.data[4]);
  // [1,3,3,3] is ambiguous: NCHW unless layout=nhwc.
  const Pixels square = pattern(3, 3, 3, 7);
  write("a.png", encode_png(square));
  auto nchw = open("", DType::kUInt8, {1, 3, 3, 3});
  ASSERT_NE(nchw, nullptr);
  auto forced = open(",layout=nhwc", DType::kUInt8, {1, 3, 3, 3});
  ASSERT_NE(forced, nullptr);
  const Tensor a = tensor(*nchw, 0);
  const Tensor b = tensor(*forced, 0);
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < 3; ++y) {
      for (int x = 0; x < 3; ++x) {
        EXPECT_EQ(a.data<std::uint8_t>()[(c * 3 + y) * 3 + x], square.at(y, x, c));
        EXPECT_EQ(b.data<std::uint8_t>()[(y * 3 + x) * 3 + c], square.at(y, x, c));
      }
    }
  }
}

TEST_F(Images, ChannelsConvertBetweenGreyAndRgb) {
  const Pixels rgb = pattern(2, 2, 3, 8);
  write("a.png", encode_png(rgb));
  auto grey = open("", DType::kFloat32, {1, 1, 2, 2});
  ASSERT_NE(grey, nullptr);
  const Tensor t = tensor(*grey, 0);
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 2; ++x) {
      const double luma =
          0.299 * rgb.at(y, x, 0) + 0.587 * rgb.at(y, x, 1) + 0.114 * rgb.at(y, x, 2);
      EXPECT_NEAR(t.data<float>()[y * 2 + x], luma / 255.0, 1e-5) << y << "," << x;
    }
  }
  // `gray` picks the channels-first layout of [1,1,2,2] and agrees with the model.
  ASSERT_NE(open(",gray", DType::kFloat32, {1, 1, 2, 2}), nullptr);
  expect_open_error(",gray", DType::kFloat32, {1, 3, 2, 2}, "gray");
  expect_open_error(",rgb", DType::kFloat32, {1, 1, 2, 2}, "rgb");

  const Pixels g = pattern(2, 2, 1, 9);
  write("a.png", encode_png(g));
  auto replicated = open(",rgb", DType::kUInt8, {1, 2, 2, 3});
  ASSERT_NE(replicated, nullptr);
  const Tensor r = tensor(*replicated, 0);
  for (int k = 0; k < 4; ++k) {
    for (int c = 0; c < 3; ++c) EXPECT_EQ(r.data<std::uint8_t>()[k * 3 + c], g.data[k]);
  }
}

TEST_F(Images, ResizeToWidthByHeightIsBilinearWithHalfPixelCentres) {
  // 2x1 -> 4x1: source x = (d + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (-> 1).
  Pixels p{2, 1, 1, {100, 200}};
  write("a.png", encode_png(p));
  auto ds = open(",resize=4x1", DType::kFloat32, {1, 1, 1, 4});
  ASSERT_NE(ds, nullptr);
  const Tensor t = tensor(*ds, 0);
  const float expected[] = {100, 125, 175, 200};
  for (int x = 0; x < 4; ++x) EXPECT_NEAR(t.data<float>()[x] * 255, expected[x], 1e-3) << x;
  // The same resize happens unasked when the image does not match the input's H x W.
  auto implicit = open("", DType::kFloat32, {1, 1, 1, 4});
  ASSERT_NE(implicit, nullptr);
  const Tensor u = tensor(*implicit, 0);
  for (int x = 0; x < 4; ++x) EXPECT_NEAR(u.data<float>()[x] * 255, expected[x], 1e-3) << x;
  // uint8 inputs round: 4x2 -> 2x1 averages 2x2 blocks (source 0.5 in both directions).
  Pixels q{4, 2, 1, {10, 21, 30, 40, 50, 60, 70, 81}};
  write("a.png", encode_png(q));
  auto down = open(",resize=2x1", DType::kUInt8, {1, 1, 1, 2});
  ASSERT_NE(down, nullptr);
  const Tensor v = tensor(*down, 0);
  EXPECT_EQ(v.data<std::uint8_t>()[0], 35);  // (10 + 21 + 50 + 60) / 4 = 35.25
  EXPECT_EQ(v.data<std::uint8_t>()[1], 55);  // (30 + 40 + 70 + 81) / 4 = 55.25
}

TEST_F(Images, ResizeShorterSideKeepsTheAspectRatio) {
  // 8x4 -> resize=2 -> 4x2: each output pixel averages a 2x2 block (source 2d + 0.5).
  const Pixels p = pattern(8, 4, 1, 10);
  write("a.png", encode_png(p));
  auto ds = open(",resize=2", DType::kFloat32, {1, 1, 2, 4});
  ASSERT_NE(ds, nullptr);
  const Tensor t = tensor(*ds, 0);
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 4; ++x) {
      const double mean = (p.at(2 * y, 2 * x, 0) + p.at(2 * y, 2 * x + 1, 0) +
                           p.at(2 * y + 1, 2 * x, 0) + p.at(2 * y + 1, 2 * x + 1, 0)) /
                          4.0;
      EXPECT_NEAR(t.data<float>()[y * 4 + x], mean / 255.0, 1e-5) << y << "," << x;
    }
  }
  // A tall image: 4x8 -> 2x4, which a [1,1,2,4] input cannot take: the error names the file.
  write("a.png", encode_png(pattern(4, 8, 1, 10)));
  auto tall = open(",resize=2", DType::kFloat32, {1, 1, 2, 4});
  ASSERT_NE(tall, nullptr);
  auto sample = tall->sample(0);
  ASSERT_FALSE(sample.is_ok());
  EXPECT_NE(sample.status().message().find("a.png"), std::string::npos)
      << sample.status().to_string();
  EXPECT_NE(sample.status().message().find("2x4"), std::string::npos)
      << sample.status().to_string();
}

TEST_F(Images, CentreCropAfterResize) {
  const Pixels p = pattern(5, 4, 3, 11);
  write("a.png", encode_png(p));
  // crop=2x3 of 5x4: left (5 - 2) / 2 = 1, top (4 - 3) / 2 = 0.
  auto ds = open(",crop=2x3", DType::kUInt8, {1, 3, 3, 2});
  ASSERT_NE(ds, nullptr);
  const Tensor t = tensor(*ds, 0);
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < 3; ++y) {
      for (int x = 0; x < 2; ++x) {
        EXPECT_EQ(t.data<std::uint8_t>()[(c * 3 + y) * 2 + x], p.at(y, x + 1, c));
      }
    }
  }
  // crop=N is N x N.
  const Pixels s = pattern(3, 3, 1, 12);
  write("a.png", encode_png(s));
  auto square = open(",crop=1", DType::kUInt8, {1, 1, 1, 1});
  ASSERT_NE(square, nullptr);
  EXPECT_EQ(tensor(*square, 0).data<std::uint8_t>()[0], s.at(1, 1, 0));
  // Resize first: 2x2 -> 4x4, then the centre 2x2 samples source coordinates 0.25 and 0.75.
  const Pixels q{2, 2, 1, {0, 100, 40, 200}};
  write("a.png", encode_png(q));
  auto both = open(",resize=4x4,crop=2", DType::kFloat32, {1, 1, 2, 2});
  ASSERT_NE(both, nullptr);
  const Tensor r = tensor(*both, 0);
  const double at[] = {0.25, 0.75};
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 2; ++x) {
      const double wy = at[y];
      const double wx = at[x];
      const double expected = (1 - wy) * ((1 - wx) * q.at(0, 0, 0) + wx * q.at(0, 1, 0)) +
                              wy * ((1 - wx) * q.at(1, 0, 0) + wx * q.at(1, 1, 0));
      EXPECT_NEAR(r.data<float>()[y * 2 + x] * 255, expected, 1e-3) << y << "," << x;
    }
  }
  // A crop larger than the image fails when the sample is read, naming the file.
  auto big = open(",resize=2x2,crop=3", DType::kUInt8, {1, 1, 3, 3});
  ASSERT_NE(big, nullptr);
  auto sample = big->sample(0);
  ASSERT_FALSE(sample.is_ok());
  EXPECT_NE(sample.status().message().find("a.png"), std::string::npos)
      << sample.status().to_string();
  // A crop the model's input cannot take is refused at open.
  expect_open_error(",crop=2", DType::kUInt8, {1, 1, 3, 3}, "crop 2x2");
  expect_open_error(",resize=4x4", DType::kUInt8, {1, 1, 3, 3}, "resize 4x4");
}

TEST_F(Images, ScaleMeanAndStdPerChannel) {
  const Pixels p = pattern(2, 2, 3, 13);
  write("a.png", encode_png(p));
  const float mean[] = {0.5f, 0.25f, 0.125f};
  const float stdev[] = {0.5f, 2.0f, 4.0f};
  auto ds = open(",scale=100,mean=0.5/0.25/0.125,std=0.5/2/4", DType::kFloat32, {1, 2, 2, 3});
  ASSERT_NE(ds, nullptr);
  const Tensor t = tensor(*ds, 0);
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 2; ++x) {
      for (int c = 0; c < 3; ++c) {
        const double expected = (p.at(y, x, c) / 100.0 - mean[c]) / stdev[c];
        EXPECT_NEAR(t.data<float>()[(y * 2 + x) * 3 + c], expected, 1e-5) << y << x << c;
      }
    }
  }
  // One value applies to every channel; the default scale is 255.
  auto one = open(",mean=0.5,std=0.25", DType::kFloat32, {1, 3, 2, 2});
  ASSERT_NE(one, nullptr);
  const Tensor u = tensor(*one, 0);
  EXPECT_NEAR(u.data<float>()[(2 * 2 + 1) * 2 + 0], (p.at(1, 0, 2) / 255.0 - 0.5) / 0.25, 1e-5);
}

TEST_F(Images, IntegerInputsTakeRawPixels) {
  const Pixels p = pattern(3, 2, 1, 14);
  write("a.png", encode_png(p));
  auto ds = open("", DType::kInt8, {1, 1, 2, 3});
  ASSERT_NE(ds, nullptr);
  const Tensor t = tensor(*ds, 0);
  for (int k = 0; k < 6; ++k) EXPECT_EQ(t.data<std::int8_t>()[k], p.data[k] - 128) << k;
  expect_open_error(",mean=0.5", DType::kUInt8, {1, 1, 2, 3}, "float32 inputs only");
  expect_open_error("", DType::kFloat64, {1, 1, 2, 3}, "float32, uint8 or int8");
}

TEST_F(Images, JpegDecodesWithinTolerance) {
  const Pixels rgb = gradient(16, 12, 3);
  const Pixels grey = gradient(16, 12, 1);
  write("c/rgb.jpg", encode_jpeg(rgb));
  write("c/grey.JPEG", encode_jpeg(grey));
  auto ds = open("", DType::kUInt8, {1, 12, 16, 3});
  ASSERT_NE(ds, nullptr);
  ASSERT_EQ(ds->size(), 2u);  // sorted: grey.JPEG, rgb.jpg
  const Tensor g = tensor(*ds, 0);
  const Tensor c = tensor(*ds, 1);
  for (int y = 0; y < 12; ++y) {
    for (int x = 0; x < 16; ++x) {
      for (int ch = 0; ch < 3; ++ch) {
        const std::size_t k = static_cast<std::size_t>((y * 16 + x) * 3 + ch);
        EXPECT_NEAR(c.data<std::uint8_t>()[k], rgb.at(y, x, ch), 4) << y << "," << x << "," << ch;
        EXPECT_NEAR(g.data<std::uint8_t>()[k], grey.at(y, x, 0), 4) << y << "," << x;
      }
    }
  }
}

TEST_F(Images, OpenErrorsNameTheProblem) {
  expect_open_error("", DType::kUInt8, {1, 1, 2, 2}, "no .png, .jpg or .jpeg files");
  write("notes.txt", "text");
  expect_open_error("", DType::kUInt8, {1, 1, 2, 2}, "no .png, .jpg or .jpeg files");
  write("a.png", encode_png(pattern(2, 2, 1)));
  expect_open_error(",resize=0", DType::kUInt8, {1, 1, 2, 2}, "resize");
  expect_open_error(",crop=2y2", DType::kUInt8, {1, 1, 2, 2}, "crop");
  expect_open_error(",flip", DType::kUInt8, {1, 1, 2, 2}, "unknown option 'flip'");
  expect_open_error(",layout=nchwc", DType::kUInt8, {1, 1, 2, 2}, "layout=nchwc");
  expect_open_error(",mean=1/2", DType::kFloat32, {1, 3, 2, 2}, "mean has 2 values");
  expect_open_error(",std=1/0/1", DType::kFloat32, {1, 3, 2, 2}, "zero");
  expect_open_error(",scale=-1", DType::kFloat32, {1, 3, 2, 2}, "scale");
  expect_open_error(",mean=x", DType::kFloat32, {1, 3, 2, 2}, "'x' is not a number");
  expect_open_error("", DType::kUInt8, {2, 1, 2, 2}, "expected [1,C,H,W]");
  expect_open_error("", DType::kUInt8, {1, 4, 2, 2}, "4 channels");
  expect_open_error(",resize=30000x30000", DType::kUInt8, {1, 1, 2, 2}, "over the limit");
  expect_open_error("", DType::kUInt8, {1, 1, 2, std::int64_t{1} << 40}, "image sides");
  auto two = open_dataset(spec(),
                          {{"a", DType::kUInt8, {1, 1, 2, 2}}, {"b", DType::kUInt8, {1, 1, 2, 2}}});
  EXPECT_FALSE(two.is_ok());
  auto missing = open_dataset("images:" + (dir_ / "nope").string() + ",resize=2",
                              {{"x", DType::kUInt8, {1, 1, 2, 2}}});
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos);
}

TEST_F(Images, CorruptFilesFailTheirSampleNamingTheFile) {
  const std::string png = encode_png(pattern(8, 8, 3));
  const std::string jpeg = encode_jpeg(gradient(8, 8, 3));
  write("a_good.png", png);
  write("b_truncated.png", png.substr(0, png.size() / 2));
  write("c_truncated.jpg", jpeg.substr(0, jpeg.size() / 2));
  // Cut inside the entropy-coded scan: libjpeg only warns and fills grey, which we refuse.
  const std::size_t scan = jpeg.find("\xff\xda");
  ASSERT_NE(scan, std::string::npos);
  ASSERT_LT(scan + 30, jpeg.size());
  write("c_truncated_scan.jpg", jpeg.substr(0, scan + 30));
  write("d_text.png", "this is not an image\n");
  write("e_empty.jpg", "");
  write("f_header_only.png", png.substr(0, 40));
  write("g_jpeg_marker_only.jpg", std::string("\xff\xd8\xff", 3));
  std::string bad_crc = png;
  // A byte of IDAT's compressed data (libpng reports the broken deflate stream).
  const std::size_t idat = png.find("IDAT");
  ASSERT_NE(idat, std::string::npos);
  bad_crc[idat + 6] = static_cast<char>(bad_crc[idat + 6] ^ 0x55);
  write("h_corrupt_idat.png", bad_crc);
  write("i_jpeg_named_png.png", jpeg);  // the content decides the format
  auto ds = open("", DType::kUInt8, {1, 3, 8, 8});
  ASSERT_NE(ds, nullptr);
  ASSERT_EQ(ds->size(), 10u);
  EXPECT_TRUE(ds->sample(0).is_ok());
  EXPECT_TRUE(ds->sample(9).is_ok());
  const std::vector<std::string> broken = {
      "b_truncated.png", "c_truncated.jpg",   "c_truncated_scan.jpg",   "d_text.png",
      "e_empty.jpg",     "f_header_only.png", "g_jpeg_marker_only.jpg", "h_corrupt_idat.png"};
  for (std::size_t k = 0; k < broken.size(); ++k) {
    auto sample = ds->sample(k + 1);
    ASSERT_FALSE(sample.is_ok()) << broken[k] << " decoded";
    EXPECT_NE(sample.status().message().find(broken[k]), std::string::npos)
        << sample.status().to_string();
  }
}

}  // namespace
}  // namespace edgebench::data
