// .npz archives written by NumPy itself (tests/fuzz/seeds/npz/, made by
// tests/fuzz/make_data_seeds.py with np.savez / np.savez_compressed), and the size limit that
// npz_reader_fuzz showed missing: a member claiming more than deflate can expand to.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "edgebench/data/dataset.h"

namespace edgebench::data {
namespace {

namespace fs = std::filesystem;

const fs::path kSeeds = fs::path(EDGEBENCH_SOURCE_DIR) / "tests/fuzz/seeds/npz";
const std::vector<InputSpec> kInputs = {{"x", DType::kFloat32, {1, 4}}};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

fs::path folder_with(const std::string& name, const std::string& bytes) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("edgebench_npz_limits_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / (name + ".npz"), std::ios::binary) << bytes;
  return dir;
}

TEST(NpzNumpyFiles, EveryArchiveNumpyWroteOpens) {
  for (const char* name : {"named", "named_compressed", "positional", "two_members", "zip64"}) {
    const fs::path dir = folder_with(name, read_file(kSeeds / (std::string(name) + ".npz")));
    auto dataset = open_dataset("npz:" + dir.string(), kInputs);
    ASSERT_TRUE(dataset.is_ok()) << name << ": " << dataset.status().message();
    ASSERT_EQ((*dataset)->size(), 1u) << name;
    auto sample = (*dataset)->sample(0);
    ASSERT_TRUE(sample.is_ok()) << name << ": " << sample.status().message();
    ASSERT_EQ(sample->size(), 1u);
    EXPECT_EQ(sample->front().shape(), (Shape{1, 4})) << name;
    for (int i = 0; i < 4; ++i) {
      const float v = sample->front().data<float>()[i];
      EXPECT_TRUE(v >= 0.0f && v < 1.0f) << name << " element " << i << ": " << v;  // rng.random
    }
  }
}

TEST(NpzNumpyFiles, AMemberClaimingMoreThanDeflateCanExpandToIsRefusedBeforeAllocating) {
  // np.savez_compressed's archive with the central directory's uncompressed size raised to
  // 900 MiB: the reader allocated and cleared 900 MiB for a 215-byte file before inflating.
  std::string bytes = read_file(kSeeds / "named_compressed.npz");
  const std::size_t central = bytes.find(std::string("PK\x01\x02", 4));
  ASSERT_NE(central, std::string::npos);
  const std::uint32_t huge = 900u << 20;
  for (int i = 0; i < 4; ++i) bytes[central + 24 + i] = static_cast<char>((huge >> (8 * i)) & 0xff);
  const fs::path dir = folder_with("huge", bytes);
  auto dataset = open_dataset("npz:" + dir.string(), kInputs);
  ASSERT_FALSE(dataset.is_ok());
  EXPECT_NE(dataset.status().message().find("huge.npz': member 'x.npy': 943718400 bytes cannot "
                                            "inflate from"),
            std::string::npos)
      << dataset.status().message();
}

}  // namespace
}  // namespace edgebench::data
