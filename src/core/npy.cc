#include "edgebench/core/npy.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

namespace edgebench {

// .npy stores little-endian data and we copy it byte for byte.
static_assert(std::endian::native == std::endian::little,
              "the .npy reader/writer assumes a little-endian host");

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicSize = 6;
// magic + major + minor + 2-byte (v1) or 4-byte (v2, v3) header length.
constexpr std::size_t kPreambleV1Size = 10;
constexpr std::size_t kPreambleV2Size = 12;
// NumPy itself refuses headers over 10000 bytes unless told otherwise; we allow more (very
// high ranks) but still bound what we read before the header is validated.
constexpr std::size_t kMaxHeaderSize = std::size_t{1} << 20;
constexpr std::size_t kHeaderAlignment = 64;
// NumPy pads the header so that the first dimension can grow in place to this many digits.
constexpr std::size_t kGrowthAxisMaxDigits = 21;

struct Preamble {
  int major = 0;
  int minor = 0;
  std::size_t header_offset = 0;  // where the header text starts
  std::size_t header_size = 0;    // length of the header text
};

struct Header {
  DType dtype = DType::kUndefined;
  Shape shape;
  std::uint64_t data_bytes = 0;
};

std::string describe_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return fmt::format("'{}'", c);
  return fmt::format("byte 0x{:02x}", u);
}

// Reads the magic string, version and header length from the first bytes of a file.
// `prefix` holds at least min(total_size, kPreambleV2Size) bytes.
Result<Preamble> parse_preamble(std::span<const std::byte> prefix, std::uint64_t total_size,
                                std::string_view source) {
  if (prefix.size() < kMagicSize || std::memcmp(prefix.data(), kMagic, kMagicSize) != 0) {
    return invalid_argument(
        fmt::format("{}: magic: not a .npy file (it does not start with \"\\x93NUMPY\")", source));
  }
  if (prefix.size() < kPreambleV1Size) {
    return data_loss(fmt::format("{}: version: file ends inside the .npy preamble ({} bytes)",
                                 source, total_size));
  }
  Preamble p;
  p.major = std::to_integer<int>(prefix[6]);
  p.minor = std::to_integer<int>(prefix[7]);
  if (p.minor != 0 || p.major < 1 || p.major > 3) {
    return unsupported(fmt::format(
        "{}: version: .npy format version {}.{} is not supported (expected 1.0, 2.0 or 3.0)",
        source, p.major, p.minor));
  }
  std::uint64_t header_size = 0;
  if (p.major == 1) {
    header_size =
        std::to_integer<std::uint64_t>(prefix[8]) | std::to_integer<std::uint64_t>(prefix[9]) << 8;
    p.header_offset = kPreambleV1Size;
  } else {
    if (prefix.size() < kPreambleV2Size) {
      return data_loss(
          fmt::format("{}: header_len: file ends inside the .npy {}.0 preamble ({} bytes)", source,
                      p.major, total_size));
    }
    for (int i = 0; i < 4; ++i) {
      header_size |= std::to_integer<std::uint64_t>(prefix[8 + static_cast<std::size_t>(i)])
                     << (8 * i);
    }
    p.header_offset = kPreambleV2Size;
  }
  if (header_size > kMaxHeaderSize) {
    return out_of_range(fmt::format("{}: header_len: header of {} bytes exceeds the {} byte limit",
                                    source, header_size, kMaxHeaderSize));
  }
  if (header_size > total_size - p.header_offset) {
    return data_loss(fmt::format(
        "{}: header_len: header of {} bytes does not fit in the file (only {} bytes follow the "
        "preamble)",
        source, header_size, total_size - p.header_offset));
  }
  p.header_size = static_cast<std::size_t>(header_size);
  return p;
}

struct DescrEntry {
  char kind;
  int size;
  DType dtype;
};

constexpr DescrEntry kDescrTable[] = {
    {'f', 2, DType::kFloat16}, {'f', 4, DType::kFloat32}, {'f', 8, DType::kFloat64},
    {'i', 1, DType::kInt8},    {'i', 2, DType::kInt16},   {'i', 4, DType::kInt32},
    {'i', 8, DType::kInt64},   {'u', 1, DType::kUInt8},   {'u', 2, DType::kUInt16},
    {'u', 4, DType::kUInt32},  {'u', 8, DType::kUInt64},  {'b', 1, DType::kBool},
};

constexpr std::string_view kSupportedDescrs = "<f2 <f4 <f8 |i1 <i2 <i4 <i8 |u1 <u2 <u4 <u8 |b1";

std::string_view descr_for(DType dtype) {
  switch (dtype) {
    case DType::kFloat16: return "<f2";
    case DType::kFloat32: return "<f4";
    case DType::kFloat64: return "<f8";
    case DType::kInt8: return "|i1";
    case DType::kUInt8: return "|u1";
    case DType::kInt16: return "<i2";
    case DType::kUInt16: return "<u2";
    case DType::kInt32: return "<i4";
    case DType::kUInt32: return "<u4";
    case DType::kInt64: return "<i8";
    case DType::kUInt64: return "<u8";
    case DType::kBool: return "|b1";
    case DType::kUndefined: break;
  }
  return {};
}

Result<DType> dtype_from_descr(std::string_view descr, std::string_view source) {
  std::string_view rest = descr;
  char order = '=';
  if (!rest.empty() && std::string_view("<>=|!").find(rest.front()) != std::string_view::npos) {
    order = rest.front();
    rest.remove_prefix(1);
  }
  if (rest == "O" || rest == "O8" || rest == "O4") {
    return unsupported(fmt::format(
        "{}: descr: '{}' is an object array (pickled Python objects), which is never loaded",
        source, descr));
  }
  for (const DescrEntry& entry : kDescrTable) {
    if (rest.size() != 2 || rest[0] != entry.kind || rest[1] != '0' + entry.size) continue;
    // Byte order only matters for multi-byte types; NumPy writes '|' for single bytes.
    if (entry.size > 1 && (order == '>' || order == '!')) {
      return unsupported(fmt::format(
          "{}: descr: '{}' is big-endian; only little-endian data is supported (re-save with "
          "arr.astype(arr.dtype.newbyteorder('<')))",
          source, descr));
    }
    return entry.dtype;
  }
  return unsupported(fmt::format("{}: descr: dtype '{}' is not supported (expected one of {})",
                                 source, descr, kSupportedDescrs));
}

// A small recursive-descent parser for the header, a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// It accepts exactly the three keys NumPy writes, in any order, with any whitespace and
// optional trailing commas, and nothing else (no expressions, no escapes).
class HeaderParser {
 public:
  HeaderParser(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  Result<Header> parse() {
    skip_space();
    if (!consume('{')) return syntax_error("header", "expected '{' at the start of the dict");
    std::optional<std::string> descr;
    std::optional<bool> fortran_order;
    std::optional<Shape> shape;
    while (true) {
      skip_space();
      if (consume('}')) break;
      EB_ASSIGN_OR_RETURN(std::string key, parse_string("header"));
      if (key != "descr" && key != "fortran_order" && key != "shape") {
        return invalid_argument(fmt::format(
            "{}: header: unexpected key '{}' (expected 'descr', 'fortran_order' and 'shape')",
            source_, key));
      }
      skip_space();
      if (!consume(':')) return syntax_error(key, "expected ':' after the key");
      skip_space();
      if (key == "descr") {
        if (descr) return duplicate_key(key);
        if (peek() == '[') {
          return unsupported(
              fmt::format("{}: descr: structured (record) dtypes are not supported", source_));
        }
        EB_ASSIGN_OR_RETURN(descr, parse_string(key));
      } else if (key == "fortran_order") {
        if (fortran_order) return duplicate_key(key);
        EB_ASSIGN_OR_RETURN(fortran_order, parse_bool(key));
      } else {
        if (shape) return duplicate_key(key);
        EB_ASSIGN_OR_RETURN(shape, parse_shape());
      }
      skip_space();
      if (consume(',')) continue;
      if (consume('}')) break;
      return syntax_error(key, "expected ',' or '}' after the value");
    }
    skip_space();
    if (pos_ != text_.size()) {
      return syntax_error("header", "unexpected text after the closing '}'");
    }
    for (auto [present, name] : {std::pair{descr.has_value(), "descr"},
                                 std::pair{fortran_order.has_value(), "fortran_order"},
                                 std::pair{shape.has_value(), "shape"}}) {
      if (!present) {
        return invalid_argument(fmt::format("{}: {}: required key '{}' is missing from the header",
                                            source_, name, name));
      }
    }
    if (*fortran_order) {
      return unsupported(fmt::format(
          "{}: fortran_order: column-major (Fortran order) arrays are not supported (re-save "
          "with np.ascontiguousarray)",
          source_));
    }
    Header header;
    EB_ASSIGN_OR_RETURN(header.dtype, dtype_from_descr(*descr, source_));
    header.shape = std::move(*shape);
    Result<std::uint64_t> bytes = checked_byte_size(header.dtype, header.shape);
    if (!bytes.is_ok()) return bytes.status().with_context(fmt::format("{}: shape", source_));
    header.data_bytes = *bytes;
    return header;
  }

 private:
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool at_end() const { return pos_ >= text_.size(); }
  bool consume(char c) {
    if (at_end() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  void skip_space() {
    while (!at_end() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
                         text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  std::string found() const {
    return at_end() ? std::string("the end of the header") : describe_char(text_[pos_]);
  }
  Status syntax_error(std::string_view field, std::string_view expected) const {
    return invalid_argument(fmt::format("{}: {}: malformed .npy header: {} at offset {}, found {}",
                                        source_, field, expected, pos_, found()));
  }
  Status duplicate_key(std::string_view key) const {
    return invalid_argument(
        fmt::format("{}: {}: key '{}' appears twice in the header", source_, key, key));
  }

  Result<std::string> parse_string(std::string_view field) {
    const char quote = peek();
    if (quote != '\'' && quote != '"') return syntax_error(field, "expected a quoted string");
    ++pos_;
    const std::size_t start = pos_;
    while (!at_end() && text_[pos_] != quote) {
      // Plain printable ASCII only: the keys and descrs NumPy writes never need escapes.
      const auto u = static_cast<unsigned char>(text_[pos_]);
      if (text_[pos_] == '\\' || u < 0x20 || u >= 0x7f) {
        return syntax_error(field, "unsupported character in a string");
      }
      ++pos_;
    }
    if (at_end()) return syntax_error(field, "unterminated string");
    std::string value(text_.substr(start, pos_ - start));
    ++pos_;
    return value;
  }

  Result<bool> parse_bool(std::string_view field) {
    if (text_.substr(pos_).starts_with("True")) {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_).starts_with("False")) {
      pos_ += 5;
      return false;
    }
    return syntax_error(field, "expected True or False");
  }

  Result<std::int64_t> parse_dim(std::size_t index) {
    const std::size_t start = pos_;
    const bool negative = consume('-');
    if (!std::isdigit(static_cast<unsigned char>(peek()))) {
      return syntax_error("shape", "expected a non-negative integer dimension");
    }
    if (peek() == '0' && pos_ + 1 < text_.size() &&
        std::isdigit(static_cast<unsigned char>(text_[pos_ + 1]))) {
      return syntax_error("shape", "leading zeros are not allowed in a dimension");
    }
    std::int64_t value = 0;
    bool overflow = false;
    while (std::isdigit(static_cast<unsigned char>(peek()))) {
      const int digit = text_[pos_] - '0';
      if (value > (std::numeric_limits<std::int64_t>::max() - digit) / 10) overflow = true;
      if (!overflow) value = value * 10 + digit;
      ++pos_;
    }
    // Python 2 wrote long integers with an L suffix; NumPy still reads such files.
    if (peek() == 'L' || peek() == 'l') ++pos_;
    const std::string_view literal = text_.substr(start, pos_ - start);
    if (overflow) {
      return out_of_range(fmt::format("{}: shape: dimension {} ({}) does not fit in int64", source_,
                                      index, literal));
    }
    if (negative && value != 0) {
      return invalid_argument(
          fmt::format("{}: shape: dimension {} is negative ({})", source_, index, literal));
    }
    return value;
  }

  Result<Shape> parse_shape() {
    if (!consume('(')) return syntax_error("shape", "expected a tuple such as (2, 3)");
    Shape shape;
    bool after_comma = false;  // whether the last dimension was followed by ','
    while (true) {
      skip_space();
      if (consume(')')) {
        // "(3)" is the integer 3 in Python, not a tuple; NumPy rejects it too.
        if (shape.size() == 1 && !after_comma) {
          return syntax_error("shape", "a one-dimensional shape needs a trailing comma, (n,)");
        }
        break;
      }
      if (!shape.empty() && !after_comma) {
        return syntax_error("shape", "expected ',' or ')' in the shape tuple");
      }
      EB_ASSIGN_OR_RETURN(std::int64_t dim, parse_dim(shape.size()));
      shape.push_back(dim);
      skip_space();
      after_comma = consume(',');
    }
    return shape;
  }

  std::string_view text_;
  std::string_view source_;
  std::size_t pos_ = 0;
};

Result<Header> parse_header_text(std::span<const std::byte> bytes, std::string_view source) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return HeaderParser(text, source).parse();
}

Status check_data_size(const Header& header, std::uint64_t available, std::string_view source) {
  if (available < header.data_bytes) {
    return data_loss(fmt::format(
        "{}: data: truncated: the header describes {}{} ({} bytes) but only {} bytes follow",
        source, dtype_name(header.dtype), shape_to_string(header.shape), header.data_bytes,
        available));
  }
  if (available > header.data_bytes) {
    return data_loss(
        fmt::format("{}: data: {} unexpected bytes after the {} bytes of {}{} (NumPy writes none)",
                    source, available - header.data_bytes, header.data_bytes,
                    dtype_name(header.dtype), shape_to_string(header.shape)));
  }
  return Status::ok();
}

// Bytes other than 0 and 1 are not valid bool objects in C++; refuse them at the boundary.
Status check_bool_values(const Tensor& tensor, std::string_view source) {
  if (tensor.dtype() != DType::kBool) return Status::ok();
  const auto* bytes = static_cast<const unsigned char*>(tensor.raw_data());
  for (std::int64_t i = 0; i < tensor.element_count(); ++i) {
    if (bytes[i] > 1) {
      return invalid_argument(fmt::format(
          "{}: data: bool element {} has byte value {} (expected 0 or 1)", source, i, bytes[i]));
    }
  }
  return Status::ok();
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

Status read_exact(std::FILE* f, void* out, std::size_t size, std::string_view source,
                  std::string_view field) {
  if (size == 0) return Status::ok();
  if (std::fread(out, 1, size, f) != size) {
    if (std::feof(f)) {
      return data_loss(
          fmt::format("{}: {}: file ended early (was it changed while reading?)", source, field));
    }
    return io_error(fmt::format("{}: {}: read failed: {}", source, field,
                                std::generic_category().message(errno)));
  }
  return Status::ok();
}

std::string header_text_for(const Tensor& tensor) {
  const Shape& shape = tensor.shape();
  // Python's repr of a tuple: (), (3,), (2, 3).
  std::string shape_repr;
  if (shape.size() == 1) {
    shape_repr = fmt::format("({},)", shape[0]);
  } else {
    shape_repr = fmt::format("({})", fmt::join(shape, ", "));
  }
  std::string text = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                 descr_for(tensor.dtype()), shape_repr);
  if (!shape.empty()) {
    const std::size_t digits = fmt::formatted_size("{}", shape[0]);
    if (digits < kGrowthAxisMaxDigits) text.append(kGrowthAxisMaxDigits - digits, ' ');
  }
  return text;
}

}  // namespace

Result<Tensor> parse_npy(std::span<const std::byte> bytes, std::string_view source_name) {
  EB_ASSIGN_OR_RETURN(Preamble preamble, parse_preamble(bytes, bytes.size(), source_name));
  EB_ASSIGN_OR_RETURN(
      Header header,
      parse_header_text(bytes.subspan(preamble.header_offset, preamble.header_size), source_name));
  const std::size_t data_offset = preamble.header_offset + preamble.header_size;
  EB_RETURN_IF_ERROR(check_data_size(header, bytes.size() - data_offset, source_name));
  Result<Tensor> tensor = Tensor::allocate(header.dtype, header.shape);
  if (!tensor.is_ok()) return tensor.status().with_context(fmt::format("{}: data", source_name));
  if (header.data_bytes > 0) {
    std::memcpy(tensor->raw_data(), bytes.data() + data_offset, tensor->byte_size());
  }
  EB_RETURN_IF_ERROR(check_bool_values(*tensor, source_name));
  return tensor;
}

Result<Tensor> read_npy(const std::filesystem::path& path) {
  const std::string source = path.string();
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found) {
    return not_found(fmt::format("{}: file: no such .npy file", source));
  }
  if (ec) return io_error(fmt::format("{}: file: cannot access: {}", source, ec.message()));
  if (!std::filesystem::is_regular_file(status)) {
    return io_error(fmt::format("{}: file: not a regular file", source));
  }
  const std::uint64_t file_size = std::filesystem::file_size(path, ec);
  if (ec) return io_error(fmt::format("{}: file: cannot get its size: {}", source, ec.message()));
  File file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    return io_error(
        fmt::format("{}: file: cannot open: {}", source, std::generic_category().message(errno)));
  }

  // Read the preamble and header first so that a hostile header is rejected before any large
  // allocation, then read the data straight into the tensor.
  std::byte prefix[kPreambleV2Size];
  const std::size_t prefix_size =
      static_cast<std::size_t>(std::min<std::uint64_t>(file_size, kPreambleV2Size));
  EB_RETURN_IF_ERROR(read_exact(file.get(), prefix, prefix_size, source, "magic"));
  EB_ASSIGN_OR_RETURN(Preamble preamble,
                      parse_preamble(std::span(prefix, prefix_size), file_size, source));
  std::string header_bytes(preamble.header_size, '\0');
  if (std::fseek(file.get(), static_cast<long>(preamble.header_offset), SEEK_SET) != 0) {
    return io_error(fmt::format("{}: header: seek failed", source));
  }
  EB_RETURN_IF_ERROR(
      read_exact(file.get(), header_bytes.data(), header_bytes.size(), source, "header"));
  EB_ASSIGN_OR_RETURN(Header header,
                      parse_header_text(std::as_bytes(std::span(header_bytes)), source));
  const std::uint64_t data_offset = preamble.header_offset + preamble.header_size;
  EB_RETURN_IF_ERROR(check_data_size(header, file_size - data_offset, source));
  Result<Tensor> tensor = Tensor::allocate(header.dtype, header.shape);
  if (!tensor.is_ok()) return tensor.status().with_context(fmt::format("{}: data", source));
  EB_RETURN_IF_ERROR(
      read_exact(file.get(), tensor->raw_data(), tensor->byte_size(), source, "data"));
  EB_RETURN_IF_ERROR(check_bool_values(*tensor, source));
  return tensor;
}

std::string serialize_npy(const Tensor& tensor) {
  if (!tensor.defined()) return {};
  std::string header = header_text_for(tensor);
  // Version 1.0 stores the header length in 2 bytes; fall back to 2.0 for huge headers.
  std::size_t preamble_size = kPreambleV1Size;
  auto padded_size = [&](std::size_t preamble) {
    // Like NumPy: pad with spaces, end with '\n', align the data to kHeaderAlignment; a header
    // that is already aligned still gets a full block of padding.
    const std::size_t unpadded = preamble + header.size() + 1;
    return header.size() + (kHeaderAlignment - unpadded % kHeaderAlignment) + 1;
  };
  std::size_t header_size = padded_size(preamble_size);
  if (header_size > 0xffff) {
    preamble_size = kPreambleV2Size;
    header_size = padded_size(preamble_size);
  }
  header.resize(header_size - 1, ' ');
  header.push_back('\n');

  std::string out;
  out.reserve(preamble_size + header.size() + tensor.byte_size());
  out.append(kMagic, kMagicSize);
  out.push_back(static_cast<char>(preamble_size == kPreambleV1Size ? 1 : 2));
  out.push_back('\0');
  const int length_bytes = preamble_size == kPreambleV1Size ? 2 : 4;
  for (int i = 0; i < length_bytes; ++i) {
    out.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  }
  out += header;
  const auto data = tensor.bytes();
  out.append(reinterpret_cast<const char*>(data.data()), data.size());
  return out;
}

Status write_npy(const std::filesystem::path& path, const Tensor& tensor) {
  const std::string source = path.string();
  if (!tensor.defined()) {
    return invalid_argument(fmt::format("{}: cannot write an undefined tensor", source));
  }
  const std::string bytes = serialize_npy(tensor);
  File file(std::fopen(path.c_str(), "wb"));
  if (!file) {
    return io_error(fmt::format("{}: cannot open for writing: {}", source,
                                std::generic_category().message(errno)));
  }
  if (std::fwrite(bytes.data(), 1, bytes.size(), file.get()) != bytes.size()) {
    return io_error(
        fmt::format("{}: write failed: {}", source, std::generic_category().message(errno)));
  }
  if (std::fclose(file.release()) != 0) {
    return io_error(fmt::format("{}: write failed on close: {}", source,
                                std::generic_category().message(errno)));
  }
  return Status::ok();
}

}  // namespace edgebench
