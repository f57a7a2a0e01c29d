#include "fashion_mnist.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

namespace edgebench::data {

namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kRows = 28;
constexpr std::int64_t kCols = 28;
constexpr std::size_t kPixels = kRows * kCols;
constexpr std::size_t kNumClasses = 10;
constexpr std::uint32_t kImagesMagic = 0x00000803;  // unsigned bytes, 3 dimensions
constexpr std::uint32_t kLabelsMagic = 0x00000801;  // unsigned bytes, 1 dimension
// The train images are 47 MB decompressed; anything far larger is not Fashion-MNIST, and
// the cap keeps a gzip bomb from exhausting memory.
constexpr std::size_t kMaxDecompressed = std::size_t{256} << 20;

const std::array<const char*, kNumClasses> kClassNames = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

Result<std::string> read_file(const fs::path& path) {
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(path, ec);
  if (!ec && size > kMaxDecompressed) {
    return out_of_range(
        fmt::format("'{}': {} bytes, more than Fashion-MNIST's files can be", path.string(), size));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error(fmt::format("'{}': cannot open", path.string()));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return io_error(fmt::format("'{}': read failed", path.string()));
  return bytes;
}

// Decompresses a gzip file (members concatenated as gzip(1) allows); every member must be
// complete, trailer (CRC, length) included.
Result<std::string> gunzip(const fs::path& path, const std::string& compressed) {
  z_stream zs{};
  // 16 + MAX_WBITS: expect the gzip wrapper, not raw zlib.
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    return internal_error(fmt::format("'{}': zlib initialisation failed", path.string()));
  }
  std::string out;
  std::array<char, 1 << 16> chunk;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(compressed.size());
  int rc = Z_OK;
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk.data());
    zs.avail_out = static_cast<uInt>(chunk.size());
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;  // Z_BUF_ERROR: input ended mid-stream
    out.append(chunk.data(), chunk.size() - zs.avail_out);
    if (out.size() > kMaxDecompressed) {
      inflateEnd(&zs);
      return data_loss(
          fmt::format("'{}': decompresses to more than {} bytes", path.string(), kMaxDecompressed));
    }
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      if (inflateReset(&zs) != Z_OK) break;
    }
  }
  const std::string reason = zs.msg != nullptr ? zs.msg : "";
  inflateEnd(&zs);
  if (rc == Z_BUF_ERROR) {
    return data_loss(fmt::format("'{}': gzip stream is truncated", path.string()));
  }
  if (rc != Z_STREAM_END) {
    return data_loss(fmt::format("'{}': corrupt gzip stream ({})", path.string(),
                                 reason.empty() ? fmt::format("zlib error {}", rc) : reason));
  }
  return out;
}

// Finds NAME.gz or NAME in dir and returns its contents, decompressed when gzipped.
Result<std::pair<fs::path, std::string>> read_idx_file(const fs::path& dir,
                                                       const std::string& name) {
  std::error_code ec;
  const fs::path gz = dir / (name + ".gz");
  const fs::path plain = dir / name;
  if (fs::is_regular_file(gz, ec)) {
    EB_ASSIGN_OR_RETURN(std::string compressed, read_file(gz));
    EB_ASSIGN_OR_RETURN(std::string bytes, gunzip(gz, compressed));
    return std::make_pair(gz, std::move(bytes));
  }
  if (fs::is_regular_file(plain, ec)) {
    EB_ASSIGN_OR_RETURN(std::string bytes, read_file(plain));
    return std::make_pair(plain, std::move(bytes));
  }
  return not_found(fmt::format("'{}' (or '{}') does not exist", gz.string(), plain.string()));
}

std::uint32_t big_endian_u32(const std::string& bytes, std::size_t offset) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + offset);
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

// Checks an IDX header (magic, then one big-endian u32 per dimension) and that the file holds
// exactly the data the dimensions promise. Returns the dimensions.
Result<std::vector<std::uint32_t>> parse_idx_header(const fs::path& path, const std::string& bytes,
                                                    std::uint32_t magic, std::size_t rank) {
  const std::size_t header = 4 + 4 * rank;
  if (bytes.size() < 4) {
    return data_loss(
        fmt::format("'{}': {} bytes, too short for an IDX header", path.string(), bytes.size()));
  }
  const std::uint32_t found = big_endian_u32(bytes, 0);
  if (found != magic) {
    return invalid_argument(fmt::format(
        "'{}': magic number {:#010x}, expected {:#010x} (IDX unsigned bytes, {} dimension{})",
        path.string(), found, magic, rank, rank == 1 ? "" : "s"));
  }
  if (bytes.size() < header) {
    return data_loss(fmt::format("'{}': {} bytes, too short for an IDX header with {} dimensions",
                                 path.string(), bytes.size(), rank));
  }
  std::vector<std::uint32_t> dims;
  std::uint64_t expected = 1;
  for (std::size_t d = 0; d < rank; ++d) {
    dims.push_back(big_endian_u32(bytes, 4 + 4 * d));
    expected *= dims.back();  // at most 3 factors below 2^32 after the checks below: no overflow
    if (expected > kMaxDecompressed) {
      return data_loss(fmt::format("'{}': dimensions claim more than {} bytes", path.string(),
                                   kMaxDecompressed));
    }
  }
  if (bytes.size() - header != expected) {
    return data_loss(fmt::format("'{}': dimensions promise {} data bytes, the file holds {}",
                                 path.string(), expected, bytes.size() - header));
  }
  return dims;
}

// How a model input takes a 28x28 image.
struct Layout {
  DType dtype;
  Shape shape;
};

Result<Layout> input_layout(std::string_view spec, const std::vector<InputSpec>& inputs) {
  const std::string expected =
      fmt::format("float32 or uint8 [1,1,{0},{1}], [1,{0},{1}], [1,{0},{1},1] or [1,{2}]", kRows,
                  kCols, kPixels);
  if (inputs.size() != 1) {
    return invalid_argument(
        fmt::format("dataset '{}' feeds one image input ({}), the model has {} inputs", spec,
                    expected, inputs.size()));
  }
  const InputSpec& input = inputs[0];
  const std::vector<Shape> shapes = {{1, 1, kRows, kCols},
                                     {1, kRows, kCols},
                                     {1, kRows, kCols, 1},
                                     {1, static_cast<std::int64_t>(kPixels)}};
  const bool shape_ok = std::find(shapes.begin(), shapes.end(), input.shape) != shapes.end();
  const bool dtype_ok = input.dtype == DType::kFloat32 || input.dtype == DType::kUInt8;
  if (!shape_ok || !dtype_ok) {
    return invalid_argument(fmt::format("dataset '{}': input '{}' is {}{}, expected {}", spec,
                                        input.name, dtype_name(input.dtype),
                                        shape_to_string(input.shape), expected));
  }
  return Layout{input.dtype, input.shape};
}

class FashionMnistDataset final : public Dataset {
 public:
  FashionMnistDataset(std::string spec, Layout layout, std::string pixels, std::string labels)
      : spec_(std::move(spec)),
        layout_(std::move(layout)),
        pixels_(std::move(pixels)),
        labels_(std::move(labels)) {}

  std::string spec() const override { return spec_; }
  std::size_t size() const override { return labels_.size(); }

  Result<std::vector<Tensor>> sample(std::size_t i) const override {
    EB_RETURN_IF_ERROR(check_index(i));
    EB_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(layout_.dtype, layout_.shape));
    const auto* src = reinterpret_cast<const std::uint8_t*>(pixels_.data()) + i * kPixels;
    if (layout_.dtype == DType::kUInt8) {
      std::memcpy(t.data<std::uint8_t>(), src, kPixels);
    } else {
      float* dst = t.data<float>();
      for (std::size_t p = 0; p < kPixels; ++p) dst[p] = static_cast<float>(src[p]) / 255.0f;
    }
    std::vector<Tensor> sample;
    sample.push_back(std::move(t));
    return sample;
  }

  Task task() const override { return Task::kClassification; }
  Result<std::int64_t> label(std::size_t i) const override {
    EB_RETURN_IF_ERROR(check_index(i));
    return static_cast<std::int64_t>(static_cast<unsigned char>(labels_[i]));
  }
  std::size_t num_classes() const override { return kNumClasses; }
  std::vector<std::string> class_names() const override {
    return {kClassNames.begin(), kClassNames.end()};
  }

 private:
  Status check_index(std::size_t i) const {
    if (i >= labels_.size()) {
      return out_of_range(fmt::format("{}: sample {} of {}", spec_, i, labels_.size()));
    }
    return Status::ok();
  }

  std::string spec_;
  Layout layout_;
  std::string pixels_;  // size() * 784 bytes, row-major images without the IDX header
  std::string labels_;  // one byte per sample, each < 10
};

}  // namespace

Result<std::unique_ptr<Dataset>> open_fashion_mnist(std::string_view spec, std::string_view rest,
                                                    const std::vector<InputSpec>& inputs) {
  // DIR may itself contain ':', so a folder that exists as written takes precedence.
  std::string dir(rest);
  std::string split = "test";
  std::error_code ec;
  const std::size_t colon = rest.rfind(':');
  if (!fs::is_directory(fs::path(dir), ec) && colon != std::string_view::npos) {
    dir = std::string(rest.substr(0, colon));
    split = std::string(rest.substr(colon + 1));
    if (split != "train" && split != "test") {
      return invalid_argument(
          fmt::format("dataset '{}': unknown split '{}' (expected fashion-mnist:DIR[:train|test])",
                      spec, split));
    }
  }
  if (dir.empty()) return invalid_argument(fmt::format("dataset '{}' names no folder", spec));
  if (!fs::is_directory(fs::path(dir), ec)) {
    return not_found(fmt::format("dataset '{}': folder '{}' does not exist", spec, dir));
  }
  EB_ASSIGN_OR_RETURN(Layout layout, input_layout(spec, inputs));

  const std::string prefix = split == "train" ? "train" : "t10k";
  EB_ASSIGN_OR_RETURN(auto images, read_idx_file(dir, prefix + "-images-idx3-ubyte"));
  EB_ASSIGN_OR_RETURN(auto labels, read_idx_file(dir, prefix + "-labels-idx1-ubyte"));
  auto& [images_path, image_bytes] = images;
  auto& [labels_path, label_bytes] = labels;
  EB_ASSIGN_OR_RETURN(std::vector<std::uint32_t> image_dims,
                      parse_idx_header(images_path, image_bytes, kImagesMagic, 3));
  EB_ASSIGN_OR_RETURN(std::vector<std::uint32_t> label_dims,
                      parse_idx_header(labels_path, label_bytes, kLabelsMagic, 1));
  if (image_dims[1] != kRows || image_dims[2] != kCols) {
    return invalid_argument(fmt::format("'{}': images are {}x{}, expected {}x{}",
                                        images_path.string(), image_dims[1], image_dims[2], kRows,
                                        kCols));
  }
  if (image_dims[0] != label_dims[0]) {
    return invalid_argument(fmt::format("'{}' holds {} images but '{}' holds {} labels",
                                        images_path.string(), image_dims[0], labels_path.string(),
                                        label_dims[0]));
  }
  if (image_dims[0] == 0) {
    return invalid_argument(fmt::format("'{}': holds no images", images_path.string()));
  }
  constexpr std::size_t kLabelsHeader = 8;
  constexpr std::size_t kImagesHeader = 16;
  for (std::size_t i = kLabelsHeader; i < label_bytes.size(); ++i) {
    const auto value = static_cast<unsigned char>(label_bytes[i]);
    if (value >= kNumClasses) {
      return invalid_argument(fmt::format("'{}': label {} of sample {}, expected 0..{}",
                                          labels_path.string(), value, i - kLabelsHeader,
                                          kNumClasses - 1));
    }
  }
  image_bytes.erase(0, kImagesHeader);
  label_bytes.erase(0, kLabelsHeader);
  return std::unique_ptr<Dataset>(std::make_unique<FashionMnistDataset>(
      std::string(spec), std::move(layout), std::move(image_bytes), std::move(label_bytes)));
}

}  // namespace edgebench::data
