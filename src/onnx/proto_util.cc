#include "proto_util.h"

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>

#include <bit>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <system_error>

#include "edgebench/onnx/model_io.h"

namespace edgebench::onnx {

// raw_data and external data are little-endian; we copy them as they are.
static_assert(std::endian::native == std::endian::little,
              "ONNX tensor import assumes a little-endian host");

std::optional<DType> dtype_from_onnx(int onnx_type) { return dtype_from_onnx_code(onnx_type); }

int dtype_to_onnx(DType dtype) {
  return onnx_code_of(dtype).value_or(::onnx::TensorProto::UNDEFINED);
}

}  // namespace edgebench::onnx

namespace edgebench::onnx::detail {

namespace fs = std::filesystem;

namespace {

// Recognises a few formats people pass by mistake, for a more helpful message.
std::string_view guess_wrong_format(std::span<const std::byte> bytes) {
  auto starts_with = [&](std::string_view prefix) {
    return bytes.size() >= prefix.size() &&
           std::memcmp(bytes.data(), prefix.data(), prefix.size()) == 0;
  };
  if (starts_with("\x93NUMPY")) return " (this looks like a NumPy .npy file)";
  if (starts_with("PK\x03\x04")) return " (this looks like a zip archive, e.g. a PyTorch .pt file)";
  if (starts_with("\x89HDF")) return " (this looks like an HDF5 file)";
  if (starts_with("TFL3") || (bytes.size() >= 8 && std::memcmp(bytes.data() + 4, "TFL3", 4) == 0)) {
    return " (this looks like a TensorFlow Lite model)";
  }
  return "";
}

// Bytes other than 0 and 1 are not valid bools; a hostile file must not plant them.
void normalize_bools(Tensor& tensor) {
  if (tensor.dtype() != DType::kBool) return;
  for (std::byte& b : tensor.bytes()) b = b == std::byte{0} ? std::byte{0} : std::byte{1};
}

// Parses an unsigned decimal string that must be consumed entirely.
std::optional<std::uint64_t> parse_u64(const std::string& text) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return value;
}

// True if `path` is `dir` or lies below it; both must be canonical.
bool is_inside(const fs::path& path, const fs::path& dir) {
  auto p = path.begin();
  for (auto d = dir.begin(); d != dir.end(); ++d, ++p) {
    if (d->empty()) continue;  // trailing separator of dir
    if (p == path.end() || *p != *d) return false;
  }
  return true;
}

Result<Tensor> read_external_data(const pb::TensorProto& proto, std::string_view what, DType dtype,
                                  const Shape& shape, std::uint64_t byte_size,
                                  const ExternalDataPolicy& external) {
  if (!external.enabled) {
    return unsupported(
        fmt::format("{} stores its data in an external file, but external data is disabled here "
                    "(model read from memory, or ImportOptions::allow_external_data is off)",
                    what));
  }
  if (proto.has_raw_data()) {
    return invalid_model(fmt::format("{} has both raw_data and data_location EXTERNAL", what));
  }
  std::optional<std::string> location;
  std::optional<std::uint64_t> offset;
  std::optional<std::uint64_t> length;
  for (const pb::StringStringEntryProto& entry : proto.external_data()) {
    const std::string& key = entry.key();
    if (key == "location") {
      if (location) return invalid_model(fmt::format("{}: external_data repeats 'location'", what));
      location = entry.value();
    } else if (key == "offset" || key == "length") {
      std::optional<std::uint64_t>& slot = key == "offset" ? offset : length;
      if (slot) return invalid_model(fmt::format("{}: external_data repeats '{}'", what, key));
      slot = parse_u64(entry.value());
      if (!slot) {
        return invalid_model(
            fmt::format("{}: external_data '{}' is '{}', expected a non-negative "
                        "decimal integer",
                        what, key, entry.value()));
      }
    }
    // "checksum" and unknown keys carry nothing we need.
  }
  if (!location || location->empty()) {
    return invalid_model(fmt::format("{}: external data without a 'location'", what));
  }
  if (location->find('\0') != std::string::npos) {
    return invalid_model(fmt::format("{}: external data location contains a NUL byte", what));
  }
  const fs::path relative(*location);
  if (relative.is_absolute() || relative.has_root_path()) {
    return invalid_model(fmt::format(
        "{}: external data location '{}' is an absolute path; it must be relative to the "
        "model's folder",
        what, *location));
  }
  std::error_code ec;
  const fs::path resolved = fs::canonical(external.canonical_dir / relative, ec);
  if (ec) {
    // Report escapes before existence so that probing outside the folder learns nothing.
    const fs::path lexical = (external.canonical_dir / relative).lexically_normal();
    if (!is_inside(lexical, external.canonical_dir)) {
      return invalid_model(fmt::format(
          "{}: external data location '{}' points outside the model's folder", what, *location));
    }
    return not_found(fmt::format("{}: external data file '{}' not found in {}: {}", what, *location,
                                 external.canonical_dir.string(), ec.message()));
  }
  if (!is_inside(resolved, external.canonical_dir)) {
    return invalid_model(
        fmt::format("{}: external data location '{}' resolves to '{}', outside the model's folder",
                    what, *location, resolved.string()));
  }
  if (!fs::is_regular_file(resolved, ec)) {
    return invalid_model(
        fmt::format("{}: external data location '{}' is not a regular file", what, *location));
  }
  const std::uint64_t file_size = fs::file_size(resolved, ec);
  if (ec) {
    return io_error(fmt::format("{}: cannot stat external data file '{}': {}", what,
                                resolved.string(), ec.message()));
  }
  const std::uint64_t start = offset.value_or(0);
  if (start > file_size) {
    return invalid_model(
        fmt::format("{}: external data offset {} is beyond the end of '{}' ({} bytes)", what, start,
                    *location, file_size));
  }
  const std::uint64_t count = length.value_or(file_size - start);
  if (count > file_size - start) {
    return invalid_model(fmt::format(
        "{}: external data range offset {} + length {} is beyond the end of '{}' ({} bytes)", what,
        start, count, *location, file_size));
  }
  if (count != byte_size) {
    return invalid_model(fmt::format("{}: external data holds {} bytes, but {}{} needs {}", what,
                                     count, dtype_name(dtype), shape_to_string(shape), byte_size));
  }
  EB_ASSIGN_OR_RETURN(Tensor tensor, Tensor::allocate(dtype, shape));
  if (byte_size == 0) return tensor;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(resolved.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) {
    return io_error(
        fmt::format("{}: cannot open external data file '{}'", what, resolved.string()));
  }
  if (start > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max()) ||
      fseeko(file.get(), static_cast<off_t>(start), SEEK_SET) != 0 ||
      std::fread(tensor.raw_data(), 1, count, file.get()) != count) {
    return io_error(fmt::format("{}: cannot read {} bytes at offset {} from '{}'", what, count,
                                start, resolved.string()));
  }
  normalize_bools(tensor);
  return tensor;
}

// Copies a typed repeated field into the tensor, converting each element.
template <typename Dst, typename Field>
void copy_typed(const Field& field, Tensor& tensor) {
  Dst* out = tensor.data<Dst>();
  std::int64_t i = 0;
  for (const auto& v : field) {
    if constexpr (std::is_same_v<Dst, bool>) {
      out[i++] = v != 0;
    } else {
      out[i++] = static_cast<Dst>(v);
    }
  }
}

}  // namespace

Result<ExternalDataPolicy> make_external_data_policy(const fs::path& base_dir, bool allow) {
  ExternalDataPolicy policy;
  if (base_dir.empty() || !allow) return policy;
  std::error_code ec;
  policy.canonical_dir = fs::canonical(base_dir, ec);
  if (ec) {
    return io_error(
        fmt::format("cannot resolve model folder '{}': {}", base_dir.string(), ec.message()));
  }
  policy.enabled = true;
  return policy;
}

Status parse_message(std::span<const std::byte> bytes, google::protobuf::MessageLite& message,
                     std::string_view what) {
  if (bytes.empty()) return invalid_model(fmt::format("file is empty, expected an {}", what));
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    return out_of_range(fmt::format(
        "{} bytes is more than protobuf can parse (2 GiB); store large weights as external data",
        bytes.size()));
  }
  const int size = static_cast<int>(bytes.size());
  google::protobuf::io::CodedInputStream input(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                               size);
  input.SetTotalBytesLimit(size);
  if (!message.ParseFromCodedStream(&input) || !input.ConsumedEntireMessage() ||
      input.CurrentPosition() != size) {
    return invalid_model(
        fmt::format("not a valid {}: the protobuf is corrupt or truncated, or this is another file "
                    "format{}",
                    what, guess_wrong_format(bytes)));
  }
  return Status::ok();
}

Result<std::vector<std::byte>> read_file(const fs::path& path, std::uint64_t max_bytes) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    return not_found(fmt::format("{}: file not found", path.string()));
  }
  if (!fs::is_regular_file(st)) {
    return invalid_argument(fmt::format("{}: not a regular file", path.string()));
  }
  const std::uint64_t size = fs::file_size(path, ec);
  if (ec) return io_error(fmt::format("{}: cannot stat: {}", path.string(), ec.message()));
  if (size > max_bytes) {
    return out_of_range(fmt::format("{}: file is {} bytes, over the limit of {} bytes",
                                    path.string(), size, max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error(fmt::format("{}: cannot open for reading", path.string()));
  std::vector<std::byte> bytes(static_cast<std::size_t>(size));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  if (static_cast<std::uint64_t>(in.gcount()) != size) {
    return io_error(
        fmt::format("{}: short read ({} of {} bytes)", path.string(), in.gcount(), size));
  }
  return bytes;
}

Status write_file(const fs::path& path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return io_error(fmt::format("{}: cannot open for writing", path.string()));
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  if (!out) return io_error(fmt::format("{}: write failed", path.string()));
  return Status::ok();
}

std::string onnx_type_name(int onnx_type) {
  if (pb::TensorProto_DataType_IsValid(onnx_type)) {
    return pb::TensorProto_DataType_Name(onnx_type);
  }
  return fmt::format("type {}", onnx_type);
}

Result<Tensor> tensor_from_proto(const pb::TensorProto& proto, std::string_view what,
                                 const ExternalDataPolicy& external) {
  if (proto.has_segment()) {
    return unsupported(fmt::format("{} is a segmented tensor, which is not supported", what));
  }
  if (proto.data_type() == pb::TensorProto::UNDEFINED) {
    return invalid_model(fmt::format("{} has no data_type", what));
  }
  const std::optional<DType> dtype = dtype_from_onnx(proto.data_type());
  if (!dtype) {
    return unsupported(fmt::format("{} has element type {}, which edgebench does not support", what,
                                   onnx_type_name(proto.data_type())));
  }
  Shape shape(proto.dims().begin(), proto.dims().end());
  for (std::int64_t d : shape) {
    if (d < 0) {
      return invalid_model(
          fmt::format("{} has negative dimension {} in dims {}", what, d, shape_to_string(shape)));
    }
  }
  Result<std::uint64_t> byte_size = checked_byte_size(*dtype, shape);
  if (!byte_size.is_ok()) {
    return Status(byte_size.status().code(),
                  fmt::format("{}: {}", what, byte_size.status().message()));
  }
  const std::uint64_t element_count = *byte_size / dtype_size(*dtype);

  if (proto.data_location() == pb::TensorProto::EXTERNAL) {
    return read_external_data(proto, what, *dtype, shape, *byte_size, external);
  }
  // Typed storage: ONNX puts the narrow integer types, bool and float16 (as bits) in int32_data
  // and the unsigned 32/64-bit types in uint64_data.
  struct Field {
    std::string_view name;
    int size;
  };
  const Field fields[] = {
      {"float_data", proto.float_data_size()},   {"int32_data", proto.int32_data_size()},
      {"int64_data", proto.int64_data_size()},   {"double_data", proto.double_data_size()},
      {"uint64_data", proto.uint64_data_size()}, {"string_data", proto.string_data_size()},
  };
  if (proto.has_raw_data()) {
    for (const Field& f : fields) {
      if (f.size != 0) {
        return invalid_model(
            fmt::format("{} stores values in both raw_data and {}; expected one", what, f.name));
      }
    }
    const std::string& raw = proto.raw_data();
    if (raw.size() != *byte_size) {
      return invalid_model(fmt::format("{}: raw_data holds {} bytes, but {}{} needs {}", what,
                                       raw.size(), dtype_name(*dtype), shape_to_string(shape),
                                       *byte_size));
    }
    EB_ASSIGN_OR_RETURN(Tensor tensor, Tensor::allocate(*dtype, shape));
    if (!raw.empty()) std::memcpy(tensor.raw_data(), raw.data(), raw.size());
    normalize_bools(tensor);
    return tensor;
  }

  std::string_view expected;
  switch (*dtype) {
    case DType::kFloat32: expected = "float_data"; break;
    case DType::kFloat64: expected = "double_data"; break;
    case DType::kInt64: expected = "int64_data"; break;
    case DType::kUInt32:
    case DType::kUInt64: expected = "uint64_data"; break;
    default: expected = "int32_data"; break;
  }
  std::uint64_t given = 0;
  for (const Field& f : fields) {
    if (f.name == expected) {
      given = static_cast<std::uint64_t>(f.size);
    } else if (f.size != 0) {
      return invalid_model(fmt::format("{} is {} but stores {} values in {}; expected {}", what,
                                       onnx_type_name(proto.data_type()), f.size, f.name,
                                       expected));
    }
  }
  if (given != element_count) {
    return invalid_model(fmt::format("{}: {} holds {} values, but {}{} has {} elements", what,
                                     expected, given, dtype_name(*dtype), shape_to_string(shape),
                                     element_count));
  }
  EB_ASSIGN_OR_RETURN(Tensor tensor, Tensor::allocate(*dtype, shape));
  switch (*dtype) {
    case DType::kFloat32: copy_typed<float>(proto.float_data(), tensor); break;
    case DType::kFloat64: copy_typed<double>(proto.double_data(), tensor); break;
    case DType::kInt64: copy_typed<std::int64_t>(proto.int64_data(), tensor); break;
    case DType::kUInt32: copy_typed<std::uint32_t>(proto.uint64_data(), tensor); break;
    case DType::kUInt64: copy_typed<std::uint64_t>(proto.uint64_data(), tensor); break;
    case DType::kInt32: copy_typed<std::int32_t>(proto.int32_data(), tensor); break;
    case DType::kInt16: copy_typed<std::int16_t>(proto.int32_data(), tensor); break;
    case DType::kInt8: copy_typed<std::int8_t>(proto.int32_data(), tensor); break;
    case DType::kUInt16:
    case DType::kFloat16: copy_typed<std::uint16_t>(proto.int32_data(), tensor); break;
    case DType::kUInt8: copy_typed<std::uint8_t>(proto.int32_data(), tensor); break;
    case DType::kBool: copy_typed<bool>(proto.int32_data(), tensor); break;
    case DType::kUndefined: break;
  }
  return tensor;
}

pb::TensorProto tensor_to_proto(const Tensor& tensor, const std::string& name) {
  pb::TensorProto proto;
  if (!name.empty()) proto.set_name(name);
  proto.set_data_type(dtype_to_onnx(tensor.dtype()));
  for (std::int64_t d : tensor.shape()) proto.add_dims(d);
  const auto bytes = tensor.bytes();
  proto.set_raw_data(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return proto;
}

}  // namespace edgebench::onnx::detail
