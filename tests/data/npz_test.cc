#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "edgebench/core/npy.h"
#include "edgebench/data/dataset.h"

namespace edgebench::data {
namespace {

namespace fs = std::filesystem;

void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void patch_le(std::string& out, std::size_t offset, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    out[offset + static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  }
}

std::string raw_deflate(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
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

struct ZipEntry {
  std::string name;
  std::string data;
};

// A minimal zip archive as np.savez (stored) / np.savez_compressed (deflate) write them.
// Layout: local header + data per member, then the central directory, then the end record.
// With `zip64`, sizes and offsets move to ZIP64 extra fields and a ZIP64 end record, as
// zipfile writes them for large archives (and numpy's force_zip64 does in local headers).
std::string make_zip(const std::vector<ZipEntry>& entries, bool deflated, bool zip64 = false) {
  constexpr std::uint64_t kMarker = 0xffffffff;
  std::string out;
  std::string directory;
  for (const ZipEntry& e : entries) {
    const std::string stored = deflated ? raw_deflate(e.data) : e.data;
    const auto crc = static_cast<std::uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(e.data.data()), static_cast<uInt>(e.data.size())));
    const std::uint16_t method = deflated ? 8 : 0;
    const std::size_t offset = out.size();
    put_le(out, 0x04034b50, 4);
    put_le(out, 20, 2);  // version needed
    put_le(out, 0, 2);   // flags
    put_le(out, method, 2);
    put_le(out, 0, 4);  // time, date
    put_le(out, crc, 4);
    put_le(out, zip64 ? kMarker : stored.size(), 4);
    put_le(out, zip64 ? kMarker : e.data.size(), 4);
    put_le(out, e.name.size(), 2);
    put_le(out, zip64 ? 20 : 0, 2);  // extra
    out += e.name;
    if (zip64) {
      put_le(out, 1, 2);
      put_le(out, 16, 2);
      put_le(out, e.data.size(), 8);
      put_le(out, stored.size(), 8);
    }
    out += stored;

    put_le(directory, 0x02014b50, 4);
    put_le(directory, 20, 2);  // version made by
    put_le(directory, 20, 2);
    put_le(directory, 0, 2);
    put_le(directory, method, 2);
    put_le(directory, 0, 4);
    put_le(directory, crc, 4);
    put_le(directory, zip64 ? kMarker : stored.size(), 4);
    put_le(directory, zip64 ? kMarker : e.data.size(), 4);
    put_le(directory, e.name.size(), 2);
    put_le(directory, zip64 ? 28 : 0, 2);  // extra
    put_le(directory, 0, 2);               // comment
    put_le(directory, 0, 2);               // disk
    put_le(directory, 0, 2);               // internal attributes
    put_le(directory, 0, 4);               // external attributes
    put_le(directory, zip64 ? kMarker : offset, 4);
    directory += e.name;
    if (zip64) {  // the order is fixed: size, compressed size, offset
      put_le(directory, 1, 2);
      put_le(directory, 24, 2);
      put_le(directory, e.data.size(), 8);
      put_le(directory, stored.size(), 8);
      put_le(directory, offset, 8);
    }
  }
  const std::size_t directory_offset = out.size();
  out += directory;
  if (zip64) {
    const std::size_t zip64_end = out.size();
    put_le(out, 0x06064b50, 4);
    put_le(out, 44, 8);  // size of the rest of the record
    put_le(out, 45, 2);
    put_le(out, 45, 2);
    put_le(out, 0, 4);
    put_le(out, 0, 4);
    put_le(out, entries.size(), 8);
    put_le(out, entries.size(), 8);
    put_le(out, directory.size(), 8);
    put_le(out, directory_offset, 8);
    put_le(out, 0x07064b50, 4);  // locator
    put_le(out, 0, 4);
    put_le(out, zip64_end, 8);
    put_le(out, 1, 4);
  }
  put_le(out, 0x06054b50, 4);
  put_le(out, 0, 2);
  put_le(out, 0, 2);
  put_le(out, zip64 ? 0xffff : entries.size(), 2);
  put_le(out, zip64 ? 0xffff : entries.size(), 2);
  put_le(out, zip64 ? kMarker : directory.size(), 4);
  put_le(out, zip64 ? kMarker : directory_offset, 4);
  put_le(out, 0, 2);  // comment
  return out;
}

// Offsets into a make_zip archive (no archive comment).
std::size_t directory_offset(const std::string& zip) {
  std::size_t v = 0;
  for (int i = 3; i >= 0; --i) {
    v = v << 8 | static_cast<unsigned char>(zip[zip.size() - 6 + static_cast<std::size_t>(i)]);
  }
  return v;
}

Tensor floats(Shape shape, float first) {
  Tensor t = Tensor::zeros(DType::kFloat32, std::move(shape));
  for (std::int64_t i = 0; i < t.element_count(); ++i)
    t.data<float>()[i] = first + static_cast<float>(i);
  return t;
}

const std::vector<InputSpec> kTwoInputs = {{"image", DType::kFloat32, {2, 3}},
                                           {"ids", DType::kInt64, {1}}};

class Npz : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("edgebench_npz_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
  }
  // A valid sample for kTwoInputs, its first value `k`.
  std::string sample_zip(int k, bool deflated, const std::string& first = "image.npy",
                         const std::string& second = "ids.npy") {
    return make_zip({{first, serialize_npy(floats({2, 3}, static_cast<float>(k)))},
                     {second, serialize_npy(Tensor::scalar(DType::kInt64, k * 10).reshaped({1}))}},
                    deflated);
  }
  std::string spec() const { return "npz:" + dir_.string(); }
  // Opening fails and the message names `file`.
  void expect_error_naming(const std::string& file,
                           const std::vector<InputSpec>& inputs = kTwoInputs) {
    auto ds = open_dataset(spec(), inputs);
    ASSERT_FALSE(ds.is_ok()) << "opened with a broken " << file;
    EXPECT_NE(ds.status().message().find(file), std::string::npos) << ds.status().to_string();
  }

  fs::path dir_;
};

void expect_sample(const Dataset& d, std::size_t i, int k) {
  auto sample = d.sample(i);
  ASSERT_TRUE(sample.is_ok()) << sample.status().to_string();
  ASSERT_EQ(sample->size(), 2u);
  const Tensor& image = (*sample)[0];
  ASSERT_EQ(image.dtype(), DType::kFloat32);
  ASSERT_EQ(image.shape(), (Shape{2, 3}));
  for (int e = 0; e < 6; ++e) EXPECT_EQ(image.data<float>()[e], static_cast<float>(k + e));
  ASSERT_EQ((*sample)[1].shape(), (Shape{1}));
  EXPECT_EQ((*sample)[1].data<std::int64_t>()[0], k * 10);
}

TEST_F(Npz, StoredAndDeflatedArchivesNamedAfterTheInputs) {
  // Members in the other order than the inputs: names decide.
  write("s1.npz", sample_zip(1, /*deflated=*/true, "image.npy", "ids.npy"));
  write("s0.npz",
        make_zip({{"ids.npy", serialize_npy(Tensor::scalar(DType::kInt64, 0).reshaped({1}))},
                  {"image.npy", serialize_npy(floats({2, 3}, 0))}},
                 /*deflated=*/false));
  write("notes.txt", "ignored");
  auto ds = open_dataset(spec(), kTwoInputs);
  ASSERT_TRUE(ds.is_ok()) << ds.status().to_string();
  ASSERT_EQ((*ds)->size(), 2u);
  EXPECT_EQ((*ds)->task(), Task::kNone);
  expect_sample(**ds, 0, 0);
  expect_sample(**ds, 1, 1);
  EXPECT_FALSE((*ds)->sample(2).is_ok());
}

TEST_F(Npz, Zip64RecordsAreRead) {
  write("s0.npz",
        make_zip({{"image.npy", serialize_npy(floats({2, 3}, 4))},
                  {"ids.npy", serialize_npy(Tensor::scalar(DType::kInt64, 40).reshaped({1}))}},
                 /*deflated=*/true, /*zip64=*/true));
  auto ds = open_dataset(spec(), kTwoInputs);
  ASSERT_TRUE(ds.is_ok()) << ds.status().to_string();
  expect_sample(**ds, 0, 4);
}

TEST_F(Npz, PositionalArraysFeedInputsInOrder) {
  write("a.npz", sample_zip(3, true, "arr_0.npy", "arr_1.npy"));
  auto ds = open_dataset(spec(), kTwoInputs);
  ASSERT_TRUE(ds.is_ok()) << ds.status().to_string();
  expect_sample(**ds, 0, 3);
  // One input, one array: whatever its name.
  write("a.npz", make_zip({{"pixels.npy", serialize_npy(floats({2, 3}, 7))}}, true));
  auto one = open_dataset(spec(), {{"x", DType::kFloat32, {2, 3}}});
  ASSERT_TRUE(one.is_ok()) << one.status().to_string();
  EXPECT_EQ((*(*one)->sample(0))[0].data<float>()[5], 12.0f);
}

// np.savez(f, image=X, ids=Y) with N samples along axis 0 of each array: N samples.
TEST_F(Npz, ArchiveOfStackedSamplesIsSplitAlongAxisZero) {
  Tensor ids = Tensor::zeros(DType::kInt64, {3, 1});
  for (int k = 0; k < 3; ++k) ids.data<std::int64_t>()[k] = k * 10;
  Tensor images = Tensor::zeros(DType::kFloat32, {3, 2, 3});
  for (int k = 0; k < 3; ++k) {
    for (int e = 0; e < 6; ++e) images.data<float>()[k * 6 + e] = static_cast<float>(k + e);
  }
  write("all.npz",
        make_zip({{"image.npy", serialize_npy(images)}, {"ids.npy", serialize_npy(ids)}}, true));
  auto ds = open_dataset(spec(), kTwoInputs);
  ASSERT_TRUE(ds.is_ok()) << ds.status().to_string();
  ASSERT_EQ((*ds)->size(), 3u);
  for (int k = 0; k < 3; ++k) expect_sample(**ds, static_cast<std::size_t>(k), k);
  // Members that disagree on N are refused.
  write("all.npz", make_zip({{"image.npy", serialize_npy(images)},
                             {"ids.npy", serialize_npy(Tensor::zeros(DType::kInt64, {2, 1}))}},
                            true));
  auto bad = open_dataset(spec(), kTwoInputs);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("samples"), std::string::npos) << bad.status().message();
}

TEST_F(Npz, LabelsFileMakesAClassificationSet) {
  for (int k = 0; k < 3; ++k) write("s" + std::to_string(k) + ".npz", sample_zip(k, k % 2 == 0));
  write("labels.txt", "2\n0\n4\n");
  auto ds = open_dataset(spec(), kTwoInputs);
  ASSERT_TRUE(ds.is_ok()) << ds.status().to_string();
  EXPECT_EQ((*ds)->task(), Task::kClassification);
  EXPECT_EQ((*ds)->num_classes(), 5u);
  EXPECT_EQ(*(*ds)->label(0), 2);
  EXPECT_EQ(*(*ds)->label(2), 4);
  EXPECT_FALSE((*ds)->label(3).is_ok());

  write("labels.txt", "2\n0\n");
  expect_error_naming("labels.txt");
  write("labels.txt", "2\nzero\n4\n");
  expect_error_naming("labels.txt");
  write("labels.txt", "2\n-1\n4\n");
  expect_error_naming("labels.txt");
}

TEST_F(Npz, NpyFoldersTakeALabelsFileToo) {
  for (int k = 0; k < 2; ++k) {
    ASSERT_TRUE(write_npy(dir_ / ("s" + std::to_string(k) + ".npy"), floats({2, 3}, 0)).is_ok());
  }
  const std::vector<InputSpec> one = {{"x", DType::kFloat32, {2, 3}}};
  write("labels.txt", "1\n3\n");
  auto ds = open_dataset("npy:" + dir_.string(), one);
  ASSERT_TRUE(ds.is_ok()) << ds.status().to_string();
  EXPECT_EQ((*ds)->task(), Task::kClassification);
  EXPECT_EQ((*ds)->num_classes(), 4u);
  EXPECT_EQ(*(*ds)->label(1), 3);
  write("labels.txt", "1\n3\n5\n");
  auto bad = open_dataset("npy:" + dir_.string(), one);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("labels.txt"), std::string::npos);
}

TEST_F(Npz, CorruptArchivesNameTheFile) {
  const std::string good = sample_zip(1, true);
  write("a_good.npz", good);
  ASSERT_TRUE(open_dataset(spec(), kTwoInputs).is_ok());

  const auto check = [&](const std::string& name, const std::string& bytes) {
    SCOPED_TRACE(name);
    write(name, bytes);
    expect_error_naming(name);
    fs::remove(dir_ / name);
  };
  check("text.npz", "this is not a zip archive, just text\n");
  check("empty.npz", "");
  check("truncated.npz", good.substr(0, good.size() / 2));

  std::string bad_local = good;
  bad_local[0] = 'X';  // the first member's local header signature
  check("bad_local_header.npz", bad_local);

  const std::size_t directory = directory_offset(good);
  std::string past_end = good;
  patch_le(past_end, directory + 20, 0x7fffffff, 4);  // compressed size
  check("size_past_end.npz", past_end);

  std::string offset_past_end = good;
  patch_le(offset_past_end, directory + 42, good.size() + 100, 4);  // local header offset
  check("offset_past_end.npz", offset_past_end);

  std::string directory_past_end = good;
  patch_le(directory_past_end, good.size() - 6, good.size(), 4);  // central directory offset
  check("directory_past_end.npz", directory_past_end);

  std::string bad_crc = good;
  patch_le(bad_crc, directory + 16, 0x12345678, 4);
  check("bad_crc.npz", bad_crc);

  std::string stored_crc = sample_zip(1, false);
  patch_le(stored_crc, directory_offset(stored_crc) + 16, 0, 4);
  check("stored_bad_crc.npz", stored_crc);

  std::string bad_size = good;
  patch_le(bad_size, directory + 24, 10, 4);  // uncompressed size too small
  check("wrong_size.npz", bad_size);

  // Garbage in the deflate stream: block type 3 does not exist.
  std::string inflate_error = good;
  inflate_error[30 + 9] = static_cast<char>(0xff);  // first data byte after "image.npy"
  check("inflate_error.npz", inflate_error);

  std::string method = good;
  patch_le(method, directory + 10, 12, 2);  // bzip2
  check("bzip2.npz", method);

  check("not_npy.npz", make_zip({{"image.npy", "hello, not an npy"},
                                 {"ids.npy", serialize_npy(Tensor::zeros(DType::kInt64, {1}))}},
                                true));
  check("wrong_shape.npz", make_zip({{"image.npy", serialize_npy(floats({3, 2}, 0))},
                                     {"ids.npy", serialize_npy(Tensor::zeros(DType::kInt64, {1}))}},
                                    false));
  check("missing_input.npz", make_zip({{"image.npy", serialize_npy(floats({2, 3}, 0))}}, false));
  check("duplicate.npz", make_zip({{"image.npy", serialize_npy(floats({2, 3}, 0))},
                                   {"image.npy", serialize_npy(floats({2, 3}, 0))}},
                                  false));
}

TEST_F(Npz, MissingArrayMessageListsWhatTheArchiveHolds) {
  write("a.npz", make_zip({{"pixels.npy", serialize_npy(floats({2, 3}, 0))},
                           {"other.npy", serialize_npy(floats({2, 3}, 0))}},
                          false));
  auto ds = open_dataset(spec(), kTwoInputs);
  ASSERT_FALSE(ds.is_ok());
  EXPECT_NE(ds.status().message().find("'image'"), std::string::npos) << ds.status().message();
  EXPECT_NE(ds.status().message().find("'pixels'"), std::string::npos) << ds.status().message();
  EXPECT_FALSE(open_dataset("npz:" + (dir_ / "none").string(), kTwoInputs).is_ok());
  fs::remove(dir_ / "a.npz");
  auto empty = open_dataset(spec(), kTwoInputs);
  ASSERT_FALSE(empty.is_ok());
  EXPECT_NE(empty.status().message().find("no .npz files"), std::string::npos);
}

}  // namespace
}  // namespace edgebench::data
