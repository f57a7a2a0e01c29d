#include "edgebench/core/npy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace edgebench {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kSource = "test.npy";

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::span<const std::byte> as_span(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

Result<Tensor> parse(const std::string& image) { return parse_npy(as_span(image), kSource); }

// A .npy image built by hand: preamble for `major`.0, the given header text verbatim, then data.
std::string npy_image(int major, std::string_view header, std::string_view data = {}) {
  std::string out("\x93NUMPY", 6);
  out.push_back(static_cast<char>(major));
  out.push_back('\0');
  const int length_bytes = major == 1 ? 2 : 4;
  for (int i = 0; i < length_bytes; ++i) {
    out.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  }
  out.append(header);
  out.append(data);
  return out;
}

// A header dict with the standard keys, newline-terminated but not padded.
std::string header(std::string_view descr, std::string_view shape,
                   std::string_view fortran = "False") {
  return "{'descr': '" + std::string(descr) + "', 'fortran_order': " + std::string(fortran) +
         ", 'shape': " + std::string(shape) + ", }\n";
}

std::vector<std::byte> tensor_bytes(const Tensor& t) {
  auto b = t.bytes();
  return {b.begin(), b.end()};
}

// ---- files written by NumPy 1.24 (np.save / numpy.lib.format.write_array), as hex ----------

// np.arange(6, dtype='<f4').reshape(2, 3)
constexpr std::string_view kNumpyF32_2x3 =
    "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c"
    "73"
    "652c20277368617065273a2028322c2033292c207d2020202020202020202020202020202020202020202020202020"
    "20"
    "202020202020202020202020202020202020202020202020202020202020200a000000000000803f00000040000040"
    "40"
    "000080400000a040";
// np.array(3.5)  (0-d float64)
constexpr std::string_view kNumpyF64Scalar =
    "934e554d5059010076007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c"
    "73"
    "652c20277368617065273a2028292c207d202020202020202020202020202020202020202020202020202020202020"
    "20"
    "202020202020202020202020202020202020202020202020202020202020200a0000000000000c40";
// np.zeros((0, 3), np.int16)
constexpr std::string_view kNumpyI16Empty =
    "934e554d5059010076007b276465736372273a20273c6932272c2027666f727472616e5f6f72646572273a2046616c"
    "73"
    "652c20277368617065273a2028302c2033292c207d2020202020202020202020202020202020202020202020202020"
    "20"
    "202020202020202020202020202020202020202020202020202020202020200a";
// np.array([True, False])
constexpr std::string_view kNumpyBool =
    "934e554d5059010076007b276465736372273a20277c6231272c2027666f727472616e5f6f72646572273a2046616c"
    "73"
    "652c20277368617065273a2028322c292c207d20202020202020202020202020202020202020202020202020202020"
    "20"
    "202020202020202020202020202020202020202020202020202020202020200a0100";
// np.array([1.0, -2.0], dtype=np.float16)
constexpr std::string_view kNumpyF16 =
    "934e554d5059010076007b276465736372273a20273c6632272c2027666f727472616e5f6f72646572273a2046616c"
    "73"
    "652c20277368617065273a2028322c292c207d20202020202020202020202020202020202020202020202020202020"
    "20"
    "202020202020202020202020202020202020202020202020202020202020200a003c00c0";
// write_array(f, np.array([[-1, 2**40]], dtype=np.int64), version=(2, 0))
constexpr std::string_view kNumpyI64V2 =
    "934e554d50590200740000007b276465736372273a20273c6938272c2027666f727472616e5f6f72646572273a2046"
    "61"
    "6c73652c20277368617065273a2028312c2032292c207d202020202020202020202020202020202020202020202020"
    "20"
    "202020202020202020202020202020202020202020202020202020202020200affffffffffffffff00000000000100"
    "00";
// write_array(f, np.array([1, 65535], dtype=np.uint16), version=(3, 0))
constexpr std::string_view kNumpyU16V3 =
    "934e554d50590300740000007b276465736372273a20273c7532272c2027666f727472616e5f6f72646572273a2046"
    "61"
    "6c73652c20277368617065273a2028322c292c207d2020202020202020202020202020202020202020202020202020"
    "20"
    "202020202020202020202020202020202020202020202020202020202020200a0100ffff";
// np.asfortranarray(np.arange(4, dtype=np.float32).reshape(2, 2))
constexpr std::string_view kNumpyFortran =
    "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a20547275"
    "65"
    "2c20277368617065273a2028322c2032292c207d202020202020202020202020202020202020202020202020202020"
    "20"
    "202020202020202020202020202020202020202020202020202020202020200a00000000000000400000803f000040"
    "40";
// np.array([1.0], dtype='>f4')
constexpr std::string_view kNumpyBigEndian =
    "934e554d5059010076007b276465736372273a20273e6634272c2027666f727472616e5f6f72646572273a2046616c"
    "73"
    "652c20277368617065273a2028312c292c207d20202020202020202020202020202020202020202020202020202020"
    "20"
    "202020202020202020202020202020202020202020202020202020202020200a3f800000";
// np.save(f, np.array([1, 'a'], dtype=object), allow_pickle=True)
constexpr std::string_view kNumpyObject =
    "934e554d5059010076007b276465736372273a20277c4f272c2027666f727472616e5f6f72646572273a2046616c73"
    "65"
    "2c20277368617065273a2028322c292c207d2020202020202020202020202020202020202020202020202020202020"
    "20"
    "202020202020202020202020202020202020202020202020202020202020200a8003636e756d70792e636f72652e6d"
    "75"
    "6c746961727261790a5f7265636f6e7374727563740a7100636e756d70790a6e6461727261790a71014b0085710243"
    "01"
    "627103877104527105284b014b02857106636e756d70790a64747970650a710758020000004f387108898887710952"
    "71"
    "0a284b0358010000007c710b4e4e4e4affffffff4affffffff4b3f74710c62895d710d284b01580100000061710e65"
    "74"
    "710f622e";

TEST(Npy, ReadsNumpyFloat32Matrix) {
  auto t = parse(from_hex(kNumpyF32_2x3));
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  EXPECT_EQ(t->dtype(), DType::kFloat32);
  EXPECT_EQ(t->shape(), (Shape{2, 3}));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(t->data<float>()[i], static_cast<float>(i));
}

TEST(Npy, ReadsNumpyScalarEmptyBoolAndHalf) {
  auto scalar = parse(from_hex(kNumpyF64Scalar));
  ASSERT_TRUE(scalar.is_ok()) << scalar.status().to_string();
  EXPECT_EQ(scalar->dtype(), DType::kFloat64);
  EXPECT_EQ(scalar->rank(), 0);
  EXPECT_EQ(scalar->element_count(), 1);
  EXPECT_EQ(scalar->data<double>()[0], 3.5);

  auto empty = parse(from_hex(kNumpyI16Empty));
  ASSERT_TRUE(empty.is_ok()) << empty.status().to_string();
  EXPECT_EQ(empty->dtype(), DType::kInt16);
  EXPECT_EQ(empty->shape(), (Shape{0, 3}));
  EXPECT_EQ(empty->element_count(), 0);

  auto flags = parse(from_hex(kNumpyBool));
  ASSERT_TRUE(flags.is_ok()) << flags.status().to_string();
  EXPECT_EQ(flags->dtype(), DType::kBool);
  EXPECT_TRUE(flags->data<bool>()[0]);
  EXPECT_FALSE(flags->data<bool>()[1]);

  auto half = parse(from_hex(kNumpyF16));
  ASSERT_TRUE(half.is_ok()) << half.status().to_string();
  EXPECT_EQ(half->dtype(), DType::kFloat16);
  EXPECT_EQ(half_to_float(half->data<std::uint16_t>()[0]), 1.0f);
  EXPECT_EQ(half_to_float(half->data<std::uint16_t>()[1]), -2.0f);
}

TEST(Npy, ReadsNumpyVersions2And3) {
  auto v2 = parse(from_hex(kNumpyI64V2));
  ASSERT_TRUE(v2.is_ok()) << v2.status().to_string();
  EXPECT_EQ(v2->dtype(), DType::kInt64);
  EXPECT_EQ(v2->shape(), (Shape{1, 2}));
  EXPECT_EQ(v2->data<std::int64_t>()[0], -1);
  EXPECT_EQ(v2->data<std::int64_t>()[1], std::int64_t{1} << 40);

  auto v3 = parse(from_hex(kNumpyU16V3));
  ASSERT_TRUE(v3.is_ok()) << v3.status().to_string();
  EXPECT_EQ(v3->dtype(), DType::kUInt16);
  EXPECT_EQ(v3->data<std::uint16_t>()[0], 1);
  EXPECT_EQ(v3->data<std::uint16_t>()[1], 65535);
}

TEST(Npy, SerializeMatchesNumpyByteForByte) {
  {
    Tensor t = Tensor::zeros(DType::kFloat32, {2, 3});
    for (int i = 0; i < 6; ++i) t.data<float>()[i] = static_cast<float>(i);
    EXPECT_EQ(serialize_npy(t), from_hex(kNumpyF32_2x3));
  }
  EXPECT_EQ(serialize_npy(Tensor::scalar(DType::kFloat64, 3.5)), from_hex(kNumpyF64Scalar));
  EXPECT_EQ(serialize_npy(Tensor::zeros(DType::kInt16, {0, 3})), from_hex(kNumpyI16Empty));
  {
    const bool values[] = {true, false};
    EXPECT_EQ(serialize_npy(Tensor::vector<bool>(DType::kBool, values)), from_hex(kNumpyBool));
  }
  {
    const float values[] = {1.0f, -2.0f};  // converted to float16 by Tensor::vector
    EXPECT_EQ(serialize_npy(Tensor::vector<float>(DType::kFloat16, values)), from_hex(kNumpyF16));
  }
}

TEST(Npy, SerializedHeaderIsVersion1AndAligned) {
  for (const Shape& shape : {Shape{}, Shape{0}, Shape{7}, Shape{1234567, 0}, Shape{0, 99999999999},
                             Shape{1, 2, 3, 4}, Shape(40, 1)}) {
    const Tensor t = Tensor::zeros(DType::kUInt8, shape);
    const std::string image = serialize_npy(t);
    ASSERT_GE(image.size(), 10u);
    EXPECT_EQ(image[6], '\x01') << shape_to_string(shape);
    EXPECT_EQ(image[7], '\x00');
    const std::size_t header_len = static_cast<unsigned char>(image[8]) |
                                   static_cast<std::size_t>(static_cast<unsigned char>(image[9]))
                                       << 8;
    EXPECT_EQ((10 + header_len) % 64, 0u) << shape_to_string(shape);
    EXPECT_EQ(image[10 + header_len - 1], '\n');
    EXPECT_EQ(image.size(), 10 + header_len + t.byte_size());
    auto back = parse(image);
    ASSERT_TRUE(back.is_ok()) << back.status().to_string();
    EXPECT_EQ(back->shape(), shape);
  }
}

TEST(Npy, HugeRankFallsBackToVersion2) {
  const Shape shape(30000, 1);  // "1, " per dim: the header no longer fits a 2-byte length
  const Tensor t = Tensor::scalar(DType::kInt32, 42).reshaped(shape);
  const std::string image = serialize_npy(t);
  EXPECT_EQ(image[6], '\x02');
  std::size_t header_len = 0;
  for (int i = 0; i < 4; ++i) {
    header_len |= static_cast<std::size_t>(static_cast<unsigned char>(image[8 + i])) << (8 * i);
  }
  EXPECT_GT(header_len, 0xffffu);
  EXPECT_EQ((12 + header_len) % 64, 0u);
  auto back = parse(image);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->shape(), shape);
  EXPECT_EQ(back->data<std::int32_t>()[0], 42);
}

// One tensor of every dtype, filled from a seeded generator with values the dtype can hold.
Tensor random_tensor(DType dtype, const Shape& shape, std::mt19937& rng) {
  Tensor t = Tensor::zeros(dtype, shape);
  std::uniform_int_distribution<int> byte(0, 255);
  auto* raw = static_cast<unsigned char*>(t.raw_data());
  for (std::size_t i = 0; i < t.byte_size(); ++i) raw[i] = static_cast<unsigned char>(byte(rng));
  if (dtype == DType::kBool) {
    for (std::size_t i = 0; i < t.byte_size(); ++i) raw[i] &= 1;
  }
  return t;
}

constexpr DType kAllDTypes[] = {DType::kFloat32, DType::kFloat16, DType::kFloat64, DType::kInt8,
                                DType::kUInt8,   DType::kInt16,   DType::kUInt16,  DType::kInt32,
                                DType::kUInt32,  DType::kInt64,   DType::kUInt64,  DType::kBool};

TEST(Npy, RoundTripsEveryDTypeAndShapeInMemory) {
  const unsigned seed = 20240601;
  std::mt19937 rng(seed);
  const Shape shapes[] = {{}, {0}, {1}, {7}, {3, 0, 2}, {2, 3}, {1, 3, 5, 7}, {13, 1, 1}};
  for (DType dtype : kAllDTypes) {
    for (const Shape& shape : shapes) {
      const Tensor t = random_tensor(dtype, shape, rng);
      const std::string image = serialize_npy(t);
      auto back = parse(image);
      ASSERT_TRUE(back.is_ok()) << back.status().to_string() << " seed " << seed;
      EXPECT_EQ(back->dtype(), dtype) << dtype_name(dtype);
      EXPECT_EQ(back->shape(), shape) << dtype_name(dtype) << shape_to_string(shape);
      EXPECT_EQ(tensor_bytes(*back), tensor_bytes(t))
          << dtype_name(dtype) << shape_to_string(shape) << " seed " << seed;
    }
  }
}

class NpyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("edgebench_npy_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path write_file(const std::string& name, const std::string& bytes) {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(NpyFileTest, RoundTripsEveryDTypeThroughFiles) {
  const unsigned seed = 7;
  std::mt19937 rng(seed);
  for (DType dtype : kAllDTypes) {
    for (const Shape& shape : {Shape{}, Shape{0, 4}, Shape{2, 3, 5}}) {
      const Tensor t = random_tensor(dtype, shape, rng);
      const auto path = dir_ / (std::string(dtype_name(dtype)) + ".npy");
      ASSERT_TRUE(write_npy(path, t).is_ok());
      auto back = read_npy(path);
      ASSERT_TRUE(back.is_ok()) << back.status().to_string();
      EXPECT_EQ(back->dtype(), dtype);
      EXPECT_EQ(back->shape(), shape);
      EXPECT_EQ(tensor_bytes(*back), tensor_bytes(t)) << dtype_name(dtype) << " seed " << seed;
      // The file holds exactly what serialize_npy produces.
      std::ifstream in(path, std::ios::binary);
      const std::string on_disk((std::istreambuf_iterator<char>(in)), {});
      EXPECT_EQ(on_disk, serialize_npy(t));
    }
  }
}

TEST_F(NpyFileTest, ReadsNumpyFilesFromDisk) {
  auto t = read_npy(write_file("v2.npy", from_hex(kNumpyI64V2)));
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  EXPECT_EQ(t->shape(), (Shape{1, 2}));
  EXPECT_EQ(t->data<std::int64_t>()[1], std::int64_t{1} << 40);
}

TEST_F(NpyFileTest, FileErrorsNameTheFile) {
  auto missing = read_npy(dir_ / "missing.npy");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("missing.npy"));

  auto directory = read_npy(dir_);
  EXPECT_FALSE(directory.is_ok());

  const std::string truncated = from_hex(kNumpyF32_2x3).substr(0, 140);
  auto short_file = read_npy(write_file("short.npy", truncated));
  EXPECT_EQ(short_file.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(short_file.status().message(), HasSubstr("short.npy"));
  EXPECT_THAT(short_file.status().message(), HasSubstr("truncated"));

  auto trailing = read_npy(write_file("trailing.npy", from_hex(kNumpyF32_2x3) + "xx"));
  EXPECT_EQ(trailing.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(trailing.status().message(), HasSubstr("trailing.npy"));

  auto tiny = read_npy(write_file("tiny.npy", "\x93NUM"));
  EXPECT_FALSE(tiny.is_ok());
  auto empty = read_npy(write_file("empty.npy", ""));
  EXPECT_FALSE(empty.is_ok());

  const Tensor t = Tensor::zeros(DType::kFloat32, {2});
  const Status write_status = write_npy(dir_ / "no_such_dir" / "x.npy", t);
  EXPECT_EQ(write_status.code(), StatusCode::kIoError);
  EXPECT_THAT(write_status.message(), HasSubstr("x.npy"));
  EXPECT_FALSE(write_npy(dir_ / "undefined.npy", Tensor()).is_ok());
}

// ---- header syntax accepted beyond what NumPy writes ----------------------------------------

TEST(Npy, AcceptsWhitespaceKeyOrderQuotesAndTrailingCommas) {
  const std::string data(6 * 4, '\0');
  for (const std::string& h : {
           std::string("{'descr':'<f4','fortran_order':False,'shape':(2,3)}"),
           std::string("{ \"shape\" : ( 2 , 3 , ) ,\t'fortran_order' : False , 'descr' : '<f4' ,}"
                       "   \n"),
           std::string("\n{'descr': '=f4', 'fortran_order': False, 'shape': (2L, 3L), }\n"),
           std::string("{'descr': 'f4', 'fortran_order': False, 'shape': (2, 3)}"),
           std::string("{'descr': '|f4', 'fortran_order': False, 'shape': (2,\n 3),}"),
       }) {
    auto t = parse(npy_image(1, h, data));
    ASSERT_TRUE(t.is_ok()) << h << ": " << t.status().to_string();
    EXPECT_EQ(t->dtype(), DType::kFloat32);
    EXPECT_EQ(t->shape(), (Shape{2, 3}));
  }
}

TEST(Npy, AcceptsByteOrderVariantsOfEveryDType) {
  struct Case {
    std::string_view kind;
    DType dtype;
  };
  const Case cases[] = {{"f2", DType::kFloat16}, {"f4", DType::kFloat32}, {"f8", DType::kFloat64},
                        {"i1", DType::kInt8},    {"u1", DType::kUInt8},   {"i2", DType::kInt16},
                        {"u2", DType::kUInt16},  {"i4", DType::kInt32},   {"u4", DType::kUInt32},
                        {"i8", DType::kInt64},   {"u8", DType::kUInt64},  {"b1", DType::kBool}};
  for (const Case& c : cases) {
    for (std::string_view order : {"<", "=", "|"}) {
      const std::string descr = std::string(order) + std::string(c.kind);
      auto t = parse(npy_image(1, header(descr, "(1,)"), std::string(dtype_size(c.dtype), '\0')));
      ASSERT_TRUE(t.is_ok()) << descr << ": " << t.status().to_string();
      EXPECT_EQ(t->dtype(), c.dtype) << descr;
    }
  }
  // Byte order does not matter for single bytes.
  auto t = parse(npy_image(1, header(">u1", "(1,)"), std::string(1, '\x05')));
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  EXPECT_EQ(t->data<std::uint8_t>()[0], 5);
}

TEST(Npy, AcceptsNegativeZeroAndLargeDimsWithinTheLimit) {
  auto t = parse(npy_image(1, header("<f4", "(0, 9223372036854775807)")));
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  EXPECT_EQ(t->element_count(), 0);
}

// ---- rejected inputs: every error names the file and the field ------------------------------

struct BadCase {
  std::string name;
  std::string image;
  StatusCode code;
  std::string field;   // appears in the message as "test.npy: <field>"
  std::string detail;  // another substring of the message
};

std::vector<BadCase> bad_cases() {
  const std::string f32x6(24, '\0');
  std::vector<BadCase> cases = {
      {"not_npy", "PK\x03\x04 this is a zip file", StatusCode::kInvalidArgument, "magic", "magic"},
      {"empty", "", StatusCode::kInvalidArgument, "magic", "not a .npy"},
      {"magic_only", std::string("\x93NUMPY", 6), StatusCode::kDataLoss, "version", "preamble"},
      {"short_v2_preamble", std::string("\x93NUMPY\x02\x00\x10\x00", 10), StatusCode::kDataLoss,
       "header_len", "preamble"},
      {"version_4", npy_image(4, header("<f4", "(6,)"), f32x6), StatusCode::kUnsupported, "version",
       "4.0"},
      {"version_0", npy_image(0, header("<f4", "(6,)"), f32x6), StatusCode::kUnsupported, "version",
       "0.0"},
      {"minor_1",
       [&] {
         std::string s = npy_image(1, header("<f4", "(6,)"), f32x6);
         s[7] = '\x01';
         return s;
       }(),
       StatusCode::kUnsupported, "version", "1.1"},
      {"header_len_past_end",
       [] {
         std::string s = npy_image(1, header("<f4", "(1,)"), std::string(4, '\0'));
         s[8] = '\xff';
         s[9] = '\x7f';
         return s;
       }(),
       StatusCode::kDataLoss, "header_len", "does not fit"},
      {"header_len_huge_v2",
       [] {
         std::string s = npy_image(2, header("<f4", "(1,)"), std::string(4, '\0'));
         s[8] = s[9] = s[10] = s[11] = '\xff';
         return s;
       }(),
       StatusCode::kOutOfRange, "header_len", "limit"},
      {"fortran_order", from_hex(kNumpyFortran), StatusCode::kUnsupported, "fortran_order",
       "Fortran"},
      {"big_endian", from_hex(kNumpyBigEndian), StatusCode::kUnsupported, "descr", "big-endian"},
      {"big_endian_network", npy_image(1, header("!i4", "(1,)"), std::string(4, '\0')),
       StatusCode::kUnsupported, "descr", "big-endian"},
      {"object_pickle", from_hex(kNumpyObject), StatusCode::kUnsupported, "descr", "object"},
      {"unknown_descr_complex", npy_image(1, header("<c8", "(1,)"), std::string(8, '\0')),
       StatusCode::kUnsupported, "descr", "'<c8'"},
      {"unknown_descr_unicode", npy_image(1, header("<U5", "(1,)"), std::string(20, '\0')),
       StatusCode::kUnsupported, "descr", "'<U5'"},
      {"unknown_descr_f16", npy_image(1, header("<f16", "(1,)"), std::string(16, '\0')),
       StatusCode::kUnsupported, "descr", "not supported"},
      {"unknown_descr_empty", npy_image(1, header("", "(1,)"), std::string(4, '\0')),
       StatusCode::kUnsupported, "descr", "not supported"},
      {"structured_descr",
       npy_image(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
                 std::string(4, '\0')),
       StatusCode::kUnsupported, "descr", "structured"},
      {"descr_not_string",
       npy_image(1, "{'descr': 4, 'fortran_order': False, 'shape': (1,), }", f32x6),
       StatusCode::kInvalidArgument, "descr", "quoted string"},
      {"missing_shape", npy_image(1, "{'descr': '<f4', 'fortran_order': False}", f32x6),
       StatusCode::kInvalidArgument, "shape", "missing"},
      {"missing_descr", npy_image(1, "{'fortran_order': False, 'shape': (6,)}", f32x6),
       StatusCode::kInvalidArgument, "descr", "missing"},
      {"missing_fortran", npy_image(1, "{'descr': '<f4', 'shape': (6,)}", f32x6),
       StatusCode::kInvalidArgument, "fortran_order", "missing"},
      {"extra_key",
       npy_image(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}", f32x6),
       StatusCode::kInvalidArgument, "header", "'x'"},
      {"duplicate_key",
       npy_image(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,)}",
                 f32x6),
       StatusCode::kInvalidArgument, "descr", "twice"},
      {"fortran_not_bool", npy_image(1, header("<f4", "(6,)", "0"), f32x6),
       StatusCode::kInvalidArgument, "fortran_order", "True or False"},
      {"fortran_lowercase", npy_image(1, header("<f4", "(6,)", "false"), f32x6),
       StatusCode::kInvalidArgument, "fortran_order", "True or False"},
      {"shape_list", npy_image(1, header("<f4", "[6]"), f32x6), StatusCode::kInvalidArgument,
       "shape", "tuple"},
      {"shape_not_tuple", npy_image(1, header("<f4", "(6)"), f32x6), StatusCode::kInvalidArgument,
       "shape", "trailing comma"},
      {"shape_missing_comma", npy_image(1, header("<f4", "(2 3)"), f32x6),
       StatusCode::kInvalidArgument, "shape", "','"},
      {"shape_double_comma", npy_image(1, header("<f4", "(2,,3)"), f32x6),
       StatusCode::kInvalidArgument, "shape", "integer"},
      {"shape_lone_comma", npy_image(1, header("<f4", "(,)"), f32x6), StatusCode::kInvalidArgument,
       "shape", "integer"},
      {"shape_float", npy_image(1, header("<f4", "(6.0,)"), f32x6), StatusCode::kInvalidArgument,
       "shape", "','"},
      {"shape_hex", npy_image(1, header("<f4", "(0x6,)"), f32x6), StatusCode::kInvalidArgument,
       "shape", "','"},
      {"shape_plus", npy_image(1, header("<f4", "(+6,)"), f32x6), StatusCode::kInvalidArgument,
       "shape", "integer"},
      {"shape_leading_zero", npy_image(1, header("<f4", "(06,)"), f32x6),
       StatusCode::kInvalidArgument, "shape", "leading zeros"},
      {"shape_unclosed",
       npy_image(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,", f32x6),
       StatusCode::kInvalidArgument, "shape", "end of the header"},
      {"shape_negative", npy_image(1, header("<f4", "(2, -3)"), f32x6),
       StatusCode::kInvalidArgument, "shape", "negative"},
      {"shape_overflow_int64", npy_image(1, header("<f4", "(9223372036854775808,)"), f32x6),
       StatusCode::kOutOfRange, "shape", "int64"},
      {"shape_overflow_product",
       npy_image(1, header("<f4", "(4294967296, 4294967296, 4294967296)"), f32x6),
       StatusCode::kOutOfRange, "shape", "overflow"},
      {"shape_over_size_limit", npy_image(1, header("<f8", "(4294967296, 4)"), f32x6),
       StatusCode::kOutOfRange, "shape", "limit"},
      {"unterminated_string", npy_image(1, "{'descr: '<f4'}", f32x6), StatusCode::kInvalidArgument,
       "header", ""},
      {"escape_in_string", npy_image(1, header("<f\\x34", "(6,)"), f32x6),
       StatusCode::kInvalidArgument, "descr", "unsupported character"},
      {"not_a_dict", npy_image(1, "['descr', '<f4']", f32x6), StatusCode::kInvalidArgument,
       "header", "'{'"},
      {"empty_header", npy_image(1, "", f32x6), StatusCode::kInvalidArgument, "header", "'{'"},
      {"missing_colon", npy_image(1, "{'descr' '<f4'}", f32x6), StatusCode::kInvalidArgument,
       "descr", "':'"},
      {"missing_comma_between_items",
       npy_image(1, "{'descr': '<f4' 'fortran_order': False, 'shape': (6,)}", f32x6),
       StatusCode::kInvalidArgument, "descr", "',' or '}'"},
      {"unquoted_key", npy_image(1, "{descr: '<f4', 'fortran_order': False, 'shape': (6,)}", f32x6),
       StatusCode::kInvalidArgument, "header", "quoted"},
      {"text_after_dict", npy_image(1, header("<f4", "(6,)") + "x", f32x6),
       StatusCode::kInvalidArgument, "header", "after the closing"},
      {"nul_in_header", npy_image(1, header("<f4", "(6,)") + std::string(1, '\0'), f32x6),
       StatusCode::kInvalidArgument, "header", "0x00"},
      {"truncated_data", npy_image(1, header("<f4", "(2, 3)"), std::string(23, '\0')),
       StatusCode::kDataLoss, "data", "truncated"},
      {"truncated_no_data", npy_image(1, header("<i8", "()")), StatusCode::kDataLoss, "data",
       "truncated"},
      {"trailing_bytes", npy_image(1, header("<f4", "(2, 3)"), std::string(25, '\0')),
       StatusCode::kDataLoss, "data", "1 unexpected bytes"},
      {"bool_not_0_or_1", npy_image(1, header("|b1", "(3,)"), std::string("\x01\x00\x02", 3)),
       StatusCode::kInvalidArgument, "data", "element 2"},
  };
  return cases;
}

TEST(Npy, RejectsMalformedInputsWithFileAndField) {
  for (const BadCase& c : bad_cases()) {
    auto t = parse(c.image);
    ASSERT_FALSE(t.is_ok()) << c.name;
    EXPECT_EQ(t.status().code(), c.code) << c.name << ": " << t.status().to_string();
    EXPECT_THAT(t.status().message(), HasSubstr(std::string(kSource) + ": " + c.field)) << c.name;
    EXPECT_THAT(t.status().message(), HasSubstr(c.detail)) << c.name;
  }
}

TEST_F(NpyFileTest, FileReaderRejectsTheSameInputs) {
  for (const BadCase& c : bad_cases()) {
    const auto path = write_file(c.name + ".npy", c.image);
    auto t = read_npy(path);
    ASSERT_FALSE(t.is_ok()) << c.name;
    EXPECT_EQ(t.status().code(), c.code) << c.name << ": " << t.status().to_string();
    EXPECT_THAT(t.status().message(), HasSubstr(path.string() + ": " + c.field)) << c.name;
  }
}

// Every prefix of a valid file must fail cleanly (never crash or read out of bounds).
TEST(Npy, EveryTruncationOfAValidFileIsRejected) {
  for (std::string_view hex : {kNumpyF32_2x3, kNumpyI64V2, kNumpyU16V3}) {
    const std::string image = from_hex(hex);
    for (std::size_t n = 0; n < image.size(); ++n) {
      auto t = parse(image.substr(0, n));
      EXPECT_FALSE(t.is_ok()) << "prefix of " << n << " bytes";
    }
  }
}

// Random byte flips in the header must give either a valid tensor or a clean error.
TEST(Npy, SurvivesRandomHeaderCorruption) {
  const unsigned seed = 12345;
  std::mt19937 rng(seed);
  const std::string image = from_hex(kNumpyF32_2x3);
  std::uniform_int_distribution<std::size_t> position(0, 10 + 118 - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int trial = 0; trial < 5000; ++trial) {
    std::string corrupted = image;
    for (int k = 0; k < 3; ++k) corrupted[position(rng)] = static_cast<char>(byte(rng));
    auto t = parse(corrupted);
    if (t.is_ok()) {
      EXPECT_LE(t->byte_size(), corrupted.size()) << "seed " << seed << " trial " << trial;
    } else {
      EXPECT_THAT(t.status().message(), HasSubstr(std::string(kSource)))
          << "seed " << seed << " trial " << trial;
    }
  }
}

}  // namespace
}  // namespace edgebench
