#include "npz.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>

#include "data_files.h"
#include "edgebench/core/npy.h"
#include "tensor_dataset.h"

namespace edgebench::data {

namespace {

namespace fs = std::filesystem;

// One archive and each member's inflated size are capped so that a small hostile file cannot
// make us allocate gigabytes; samples of edge models are far smaller.
constexpr std::uint64_t kMaxArchiveBytes = std::uint64_t{1} << 30;
constexpr std::uint64_t kMaxMemberBytes = std::uint64_t{1} << 30;

constexpr std::uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr std::uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr std::uint32_t kEndSignature = 0x06054b50;
constexpr std::uint32_t kZip64EndSignature = 0x06064b50;
constexpr std::uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr std::size_t kLocalHeaderSize = 30;
constexpr std::size_t kCentralHeaderSize = 46;
constexpr std::size_t kEndSize = 22;
constexpr std::size_t kZip64EndSize = 56;
constexpr std::size_t kZip64LocatorSize = 20;
constexpr std::uint16_t kZip64ExtraId = 0x0001;
constexpr std::uint16_t kMethodStored = 0;
constexpr std::uint16_t kMethodDeflate = 8;
constexpr std::uint16_t kFlagEncrypted = 0x0001;

// Little-endian reads from an archive held in memory; every read is bounds-checked, and the
// first failure is kept as the reader's status.
class ByteReader {
 public:
  ByteReader(std::string_view bytes, std::string where) : bytes_(bytes), where_(std::move(where)) {}

  bool has(std::uint64_t offset, std::uint64_t length) const {
    return offset <= bytes_.size() && length <= bytes_.size() - offset;
  }
  // The value at `offset`, or 0 after recording an error naming `field`.
  std::uint64_t read(std::uint64_t offset, int size, std::string_view field) {
    if (!has(offset, static_cast<std::uint64_t>(size))) {
      fail(fmt::format("{} at offset {} lies past the end ({} bytes)", field, offset,
                       bytes_.size()));
      return 0;
    }
    std::uint64_t value = 0;
    for (int i = size - 1; i >= 0; --i) {
      value = value << 8 | static_cast<unsigned char>(bytes_[offset + static_cast<std::size_t>(i)]);
    }
    return value;
  }
  void fail(std::string message) {
    if (status_.is_ok()) status_ = data_loss(fmt::format("'{}': {}", where_, message));
  }
  const Status& status() const { return status_; }
  std::string_view bytes() const { return bytes_; }
  const std::string& where() const { return where_; }

 private:
  std::string_view bytes_;
  std::string where_;
  Status status_;
};

struct Member {
  std::string name;
  std::uint16_t flags = 0;
  std::uint16_t method = 0;
  std::uint32_t crc = 0;
  std::uint64_t compressed_size = 0;
  std::uint64_t size = 0;
  std::uint64_t local_header_offset = 0;
};

// Applies a central-directory ZIP64 extra field: the 64-bit values come in a fixed order,
// each present only when its 32-bit field holds the 0xffffffff marker.
void read_zip64_extra(ByteReader& r, std::uint64_t extra, std::uint64_t extra_size, Member& m) {
  constexpr std::uint64_t kMarker = 0xffffffff;
  for (std::uint64_t at = extra; at + 4 <= extra + extra_size && r.status().is_ok();) {
    const std::uint64_t id = r.read(at, 2, "extra field id");
    const std::uint64_t size = r.read(at + 2, 2, "extra field size");
    if (at + 4 + size > extra + extra_size) {
      r.fail(fmt::format("member '{}': extra field runs past its {} bytes", m.name, extra_size));
      return;
    }
    if (id == kZip64ExtraId) {
      std::uint64_t field = at + 4;
      for (std::uint64_t* value : {&m.size, &m.compressed_size, &m.local_header_offset}) {
        if (*value != kMarker) continue;
        if (field + 8 > at + 4 + size) {
          r.fail(fmt::format("member '{}': ZIP64 extra field too short", m.name));
          return;
        }
        *value = r.read(field, 8, "ZIP64 value");
        field += 8;
      }
    }
    at += 4 + size;
  }
}

// Finds the end-of-central-directory record (it ends the file, followed only by a comment of
// at most 65535 bytes) and returns the central directory's offset, size and entry count.
struct Directory {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::uint64_t entries = 0;
};

Result<Directory> find_directory(ByteReader& r) {
  const std::uint64_t file_size = r.bytes().size();
  if (file_size < kEndSize) {
    return data_loss(
        fmt::format("'{}': {} bytes, too short for a zip archive", r.where(), file_size));
  }
  std::optional<std::uint64_t> end;
  const std::uint64_t lowest = file_size - kEndSize > 0xffff ? file_size - kEndSize - 0xffff : 0;
  for (std::uint64_t at = file_size - kEndSize + 1; at-- > lowest;) {
    if (r.read(at, 4, "signature") == kEndSignature &&
        at + kEndSize + r.read(at + 20, 2, "comment length") == file_size) {
      end = at;
      break;
    }
  }
  if (!end) {
    return invalid_argument(
        fmt::format("'{}': not a zip archive (no end-of-central-directory record)", r.where()));
  }
  Directory d;
  const std::uint64_t disk = r.read(*end + 4, 2, "disk number");
  const std::uint64_t directory_disk = r.read(*end + 6, 2, "directory disk");
  d.entries = r.read(*end + 10, 2, "entry count");
  d.size = r.read(*end + 12, 4, "central directory size");
  d.offset = r.read(*end + 16, 4, "central directory offset");
  if (disk != 0 || directory_disk != 0) {
    return unsupported(fmt::format("'{}': multi-disk zip archives are not supported", r.where()));
  }
  std::uint64_t directory_end = *end;
  if (d.entries == 0xffff || d.size == 0xffffffff || d.offset == 0xffffffff) {
    if (*end < kZip64LocatorSize ||
        r.read(*end - kZip64LocatorSize, 4, "ZIP64 locator") != kZip64LocatorSignature) {
      return data_loss(fmt::format("'{}': ZIP64 values without a ZIP64 locator", r.where()));
    }
    const std::uint64_t zip64_end = r.read(*end - kZip64LocatorSize + 8, 8, "ZIP64 end offset");
    if (zip64_end > *end - kZip64LocatorSize || !r.has(zip64_end, kZip64EndSize) ||
        r.read(zip64_end, 4, "ZIP64 end signature") != kZip64EndSignature) {
      return data_loss(fmt::format("'{}': bad ZIP64 end-of-central-directory record at offset {}",
                                   r.where(), zip64_end));
    }
    d.entries = r.read(zip64_end + 32, 8, "ZIP64 entry count");
    d.size = r.read(zip64_end + 40, 8, "ZIP64 central directory size");
    d.offset = r.read(zip64_end + 48, 8, "ZIP64 central directory offset");
    directory_end = zip64_end;
  }
  EB_RETURN_IF_ERROR(r.status());
  if (d.offset > directory_end || d.size > directory_end - d.offset) {
    return data_loss(fmt::format(
        "'{}': central directory (offset {}, {} bytes) lies outside the {} bytes before its end "
        "record",
        r.where(), d.offset, d.size, directory_end));
  }
  if (d.entries > d.size / kCentralHeaderSize) {
    return data_loss(fmt::format("'{}': {} entries cannot fit in a {} byte central directory",
                                 r.where(), d.entries, d.size));
  }
  return d;
}

Result<std::vector<Member>> read_members(ByteReader& r) {
  EB_ASSIGN_OR_RETURN(Directory d, find_directory(r));
  std::vector<Member> members;
  std::uint64_t at = d.offset;
  const std::uint64_t directory_end = d.offset + d.size;
  for (std::uint64_t k = 0; k < d.entries; ++k) {
    if (at + kCentralHeaderSize > directory_end ||
        r.read(at, 4, "central header") != kCentralHeaderSignature) {
      return data_loss(
          fmt::format("'{}': central directory entry {} at offset {} is not a central "
                      "file header",
                      r.where(), k, at));
    }
    Member m;
    m.flags = static_cast<std::uint16_t>(r.read(at + 8, 2, "flags"));
    m.method = static_cast<std::uint16_t>(r.read(at + 10, 2, "method"));
    m.crc = static_cast<std::uint32_t>(r.read(at + 16, 4, "crc"));
    m.compressed_size = r.read(at + 20, 4, "compressed size");
    m.size = r.read(at + 24, 4, "size");
    const std::uint64_t name_size = r.read(at + 28, 2, "name length");
    const std::uint64_t extra_size = r.read(at + 30, 2, "extra length");
    const std::uint64_t comment_size = r.read(at + 32, 2, "comment length");
    m.local_header_offset = r.read(at + 42, 4, "local header offset");
    const std::uint64_t next = at + kCentralHeaderSize + name_size + extra_size + comment_size;
    if (next > directory_end) {
      return data_loss(
          fmt::format("'{}': central directory entry {} runs past the directory", r.where(), k));
    }
    m.name = std::string(r.bytes().substr(at + kCentralHeaderSize, name_size));
    read_zip64_extra(r, at + kCentralHeaderSize + name_size, extra_size, m);
    EB_RETURN_IF_ERROR(r.status());
    at = next;
    if (!m.name.empty() && m.name.back() == '/') continue;  // a folder entry
    members.push_back(std::move(m));
  }
  return members;
}

// The member's stored bytes, inflated when deflated, after checking sizes and the CRC.
Result<std::string> extract(ByteReader& r, const Member& m) {
  const std::string what = fmt::format("'{}': member '{}'", r.where(), m.name);
  if ((m.flags & kFlagEncrypted) != 0) {
    return unsupported(fmt::format("{} is encrypted", what));
  }
  if (m.method != kMethodStored && m.method != kMethodDeflate) {
    return unsupported(fmt::format(
        "{}: compression method {} is not supported (expected 0, stored, or 8, deflate)", what,
        m.method));
  }
  if (m.size > kMaxMemberBytes) {
    return out_of_range(
        fmt::format("{}: {} bytes, over the limit of {} bytes", what, m.size, kMaxMemberBytes));
  }
  const std::uint64_t header = m.local_header_offset;
  if (!r.has(header, kLocalHeaderSize) ||
      r.read(header, 4, "local header") != kLocalHeaderSignature) {
    return data_loss(fmt::format("{}: no local file header at offset {}", what, header));
  }
  const std::uint64_t data =
      header + kLocalHeaderSize + r.read(header + 26, 2, "") + r.read(header + 28, 2, "");
  if (!r.has(data, m.compressed_size)) {
    return data_loss(
        fmt::format("{}: {} bytes at offset {} run past the end of the file ({} bytes)", what,
                    m.compressed_size, data, r.bytes().size()));
  }
  // Deflate expands at most 1032:1 (a 258-byte match in under 2 bits), so a member that claims
  // more is corrupt; checked before the output is allocated, so that a 200-byte archive cannot
  // make us allocate and clear a gigabyte.
  constexpr std::uint64_t kMaxDeflateRatio = 1032;
  if (m.method == kMethodDeflate && m.size > (m.compressed_size + 1) * kMaxDeflateRatio) {
    return data_loss(fmt::format("{}: {} bytes cannot inflate from {} deflated bytes", what, m.size,
                                 m.compressed_size));
  }
  const std::string_view stored = r.bytes().substr(data, m.compressed_size);
  std::string out;
  if (m.method == kMethodStored) {
    if (m.compressed_size != m.size) {
      return data_loss(
          fmt::format("{}: stored with {} bytes but sized {}", what, m.compressed_size, m.size));
    }
    out = std::string(stored);
  } else {
    out.assign(m.size, '\0');
    z_stream zs{};
    // Negative window bits: a raw deflate stream, no zlib header (zip's framing).
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
      return internal_error(fmt::format("{}: zlib initialisation failed", what));
    }
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(stored.data()));
    zs.avail_in = static_cast<uInt>(stored.size());  // at most kMaxArchiveBytes < 2^32
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = inflate(&zs, Z_FINISH);
    const std::string reason = zs.msg != nullptr ? zs.msg : fmt::format("zlib error {}", rc);
    const std::uint64_t produced = zs.total_out;
    const bool output_full = zs.avail_out == 0;
    inflateEnd(&zs);
    if (rc == Z_BUF_ERROR && output_full) {
      return data_loss(
          fmt::format("{}: deflate stream does not end within its stated {} bytes", what, m.size));
    }
    if (rc == Z_BUF_ERROR) return data_loss(fmt::format("{}: deflate stream is truncated", what));
    if (rc != Z_STREAM_END)
      return data_loss(fmt::format("{}: corrupt deflate stream ({})", what, reason));
    if (produced != m.size) {
      return data_loss(
          fmt::format("{}: inflates to {} bytes, its header says {}", what, produced, m.size));
    }
  }
  const auto crc = static_cast<std::uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size())));
  if (crc != m.crc) {
    return data_loss(
        fmt::format("{}: CRC-32 {:08x}, the archive records {:08x}", what, crc, m.crc));
  }
  return out;
}

// Reads one archive: for each input the member named after it (NAME.npy), else the positional
// arr_<i>.npy that np.savez writes for unnamed arrays, else (one input, one member) that member.
// An archive holds one sample, or N stacked along axis 0 in every member (split_samples).
Result<std::vector<std::vector<Tensor>>> read_samples(const fs::path& path,
                                                      const std::vector<InputSpec>& inputs) {
  EB_ASSIGN_OR_RETURN(std::string bytes, read_whole_file(path, kMaxArchiveBytes));
  ByteReader reader(bytes, path.string());
  EB_ASSIGN_OR_RETURN(std::vector<Member> members, read_members(reader));
  std::map<std::string, const Member*> by_array;
  for (const Member& m : members) {
    const std::string array =
        m.name.ends_with(".npy") ? m.name.substr(0, m.name.size() - 4) : m.name;
    if (!by_array.emplace(array, &m).second) {
      return invalid_argument(fmt::format("'{}': holds array '{}' twice", path.string(), array));
    }
  }
  std::vector<std::vector<Tensor>> samples;  // one file may hold N samples along axis 0
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    auto it = by_array.find(inputs[i].name);
    if (it == by_array.end()) it = by_array.find(fmt::format("arr_{}", i));
    if (it == by_array.end() && inputs.size() == 1 && by_array.size() == 1) it = by_array.begin();
    if (it == by_array.end()) {
      std::string names;
      for (const auto& [name, member] : by_array)
        names += (names.empty() ? "'" : ", '") + name + "'";
      return invalid_argument(
          fmt::format("'{}': no array '{}' or 'arr_{}' for input '{}' (it holds {})", path.string(),
                      inputs[i].name, i, inputs[i].name, names.empty() ? "no arrays" : names));
    }
    EB_ASSIGN_OR_RETURN(std::string npy, extract(reader, *it->second));
    const std::string where = fmt::format("'{}': member '{}'", path.string(), it->second->name);
    EB_ASSIGN_OR_RETURN(Tensor t,
                        parse_npy(std::as_bytes(std::span(npy.data(), npy.size())), where));
    EB_ASSIGN_OR_RETURN(std::vector<Tensor> split, split_samples(std::move(t), inputs[i], where));
    if (i > 0 && split.size() != samples.size()) {
      return invalid_argument(fmt::format("{}: {} samples, input '{}' has {}", where, split.size(),
                                          inputs[0].name, samples.size()));
    }
    samples.resize(split.size());
    for (std::size_t n = 0; n < split.size(); ++n) samples[n].push_back(std::move(split[n]));
  }
  return samples;
}

}  // namespace

Result<std::unique_ptr<Dataset>> open_npz(std::string_view spec, const fs::path& dir,
                                          const std::vector<InputSpec>& inputs) {
  std::error_code ec;
  std::vector<fs::path> files;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code err;
    if (it->is_regular_file(err) && it->path().extension() == ".npz") files.push_back(it->path());
  }
  if (ec)
    return io_error(
        fmt::format("dataset '{}': cannot list '{}': {}", spec, dir.string(), ec.message()));
  std::sort(files.begin(), files.end());
  if (files.empty()) return invalid_argument(fmt::format("dataset '{}': no .npz files", spec));
  std::vector<std::vector<Tensor>> samples;
  for (const fs::path& file : files) {
    EB_ASSIGN_OR_RETURN(std::vector<std::vector<Tensor>> held, read_samples(file, inputs));
    for (std::vector<Tensor>& sample : held) samples.push_back(std::move(sample));
  }
  EB_ASSIGN_OR_RETURN(auto labels, read_labels_file(dir, samples.size()));
  return std::unique_ptr<Dataset>(
      std::make_unique<TensorDataset>(std::string(spec), std::move(samples), std::move(labels)));
}

}  // namespace edgebench::data
