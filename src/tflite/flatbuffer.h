// A minimal, bounds-checked reader of flatbuffer tables (internal to the tflite module).
//
// Flatbuffers (https://flatbuffers.dev/internals/): little-endian; the root is a uint32 offset
// to a table; a table starts with an int32 soffset to its vtable (vtable = table - soffset); a
// vtable is uint16 {vtable bytes, table bytes, field offsets...} where a field offset of 0 (or a
// field beyond the vtable) means "absent, use the default". Offset fields (tables, vectors,
// strings) hold a uint32 relative to their own position; vectors and strings start with a
// uint32 element count. Every position is checked against the buffer before it is read, with
// 64-bit arithmetic on values that are at most 32 bits wide, so nothing can overflow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "edgebench/core/status.h"

namespace edgebench::tflite::internal {

struct Table {
  std::uint64_t pos = 0;     // table start
  std::uint64_t vtable = 0;  // vtable start
  std::uint16_t vtable_bytes = 0;
};

struct Vector {
  std::uint64_t data = 0;    // first element
  std::uint64_t length = 0;  // elements
};

class FlatReader {
 public:
  FlatReader(std::span<const std::byte> bytes, std::string_view where)
      : bytes_(bytes), where_(where) {}

  std::uint64_t size() const { return bytes_.size(); }

  // The root table.
  Result<Table> root() const {
    EB_ASSIGN_OR_RETURN(std::uint32_t offset, read<std::uint32_t>(0, "root offset"));
    return table_at(offset, "root table");
  }

  // The table at absolute position `pos`; checks the vtable.
  Result<Table> table_at(std::uint64_t pos, std::string_view path) const {
    EB_ASSIGN_OR_RETURN(std::int32_t soffset, read<std::int32_t>(pos, path));
    const std::int64_t vtable = static_cast<std::int64_t>(pos) - soffset;
    if (vtable < 0 || static_cast<std::uint64_t>(vtable) + 4 > size()) {
      return corrupt(path, pos, fmt_vtable_message(vtable));
    }
    Table t;
    t.pos = pos;
    t.vtable = static_cast<std::uint64_t>(vtable);
    EB_ASSIGN_OR_RETURN(t.vtable_bytes, read<std::uint16_t>(t.vtable, path));
    if (t.vtable_bytes < 4 || t.vtable_bytes % 2 != 0 || t.vtable + t.vtable_bytes > size()) {
      return corrupt(path, t.vtable,
                     "vtable of " + std::to_string(t.vtable_bytes) + " bytes is malformed");
    }
    return t;
  }

  // Position of field `id` in table `t`, or 0 when absent.
  Result<std::uint64_t> field(const Table& t, int id, std::uint64_t field_bytes,
                              std::string_view path) const {
    const std::uint64_t entry = 4 + 2 * static_cast<std::uint64_t>(id);
    if (entry + 2 > t.vtable_bytes) return std::uint64_t{0};
    EB_ASSIGN_OR_RETURN(std::uint16_t offset, read<std::uint16_t>(t.vtable + entry, path));
    if (offset == 0) return std::uint64_t{0};
    const std::uint64_t pos = t.pos + offset;
    if (pos + field_bytes > size()) return corrupt(path, pos, "field runs past the end");
    return pos;
  }

  template <typename T>
  Result<T> scalar(const Table& t, int id, T fallback, std::string_view path) const {
    EB_ASSIGN_OR_RETURN(std::uint64_t pos, field(t, id, sizeof(T), path));
    if (pos == 0) return fallback;
    return read<T>(pos, path);
  }

  // Follows the uint32 offset stored at `pos` (relative to pos).
  Result<std::uint64_t> follow(std::uint64_t pos, std::string_view path) const {
    EB_ASSIGN_OR_RETURN(std::uint32_t offset, read<std::uint32_t>(pos, path));
    const std::uint64_t target = pos + offset;
    if (offset == 0 || target >= size()) {
      return corrupt(path, pos, "offset " + std::to_string(offset) + " points outside the file");
    }
    return target;
  }

  // Table-valued field; nullopt when absent.
  Result<std::optional<Table>> sub_table(const Table& t, int id, std::string_view path) const {
    EB_ASSIGN_OR_RETURN(std::uint64_t pos, field(t, id, 4, path));
    if (pos == 0) return std::optional<Table>();
    EB_ASSIGN_OR_RETURN(std::uint64_t target, follow(pos, path));
    EB_ASSIGN_OR_RETURN(Table sub, table_at(target, path));
    return std::optional<Table>(sub);
  }

  // Vector-valued field of `element_bytes`-sized elements; an empty vector when absent.
  Result<Vector> vector(const Table& t, int id, std::uint64_t element_bytes,
                        std::string_view path) const {
    EB_ASSIGN_OR_RETURN(std::uint64_t pos, field(t, id, 4, path));
    if (pos == 0) return Vector{};
    EB_ASSIGN_OR_RETURN(std::uint64_t target, follow(pos, path));
    EB_ASSIGN_OR_RETURN(std::uint32_t length, read<std::uint32_t>(target, path));
    const std::uint64_t data = target + 4;
    // length < 2^32 and element_bytes <= 8: the product fits in 64 bits.
    if (data + std::uint64_t{length} * element_bytes > size()) {
      return corrupt(path, target,
                     "vector of " + std::to_string(length) + " elements of " +
                         std::to_string(element_bytes) + " bytes runs past the end");
    }
    return Vector{data, length};
  }

  // Element i of a vector of tables.
  Result<Table> table_element(const Vector& v, std::uint64_t i, std::string_view path) const {
    EB_ASSIGN_OR_RETURN(std::uint64_t target, follow(v.data + 4 * i, path));
    return table_at(target, path);
  }

  template <typename T>
  Result<T> element(const Vector& v, std::uint64_t i, std::string_view path) const {
    return read<T>(v.data + sizeof(T) * i, path);
  }

  // String-valued field; "" when absent.
  Result<std::string> string(const Table& t, int id, std::string_view path) const {
    EB_ASSIGN_OR_RETURN(Vector v, vector(t, id, 1, path));
    return std::string(reinterpret_cast<const char*>(bytes_.data() + v.data), v.length);
  }

  template <typename T>
  Result<T> read(std::uint64_t pos, std::string_view path) const {
    if (pos > size() || size() - pos < sizeof(T)) {
      return corrupt(path, pos, "read of " + std::to_string(sizeof(T)) + " bytes past the end");
    }
    T value;
    std::memcpy(&value, bytes_.data() + pos, sizeof(T));
    return value;
  }

  Status corrupt(std::string_view path, std::uint64_t pos, std::string_view what) const {
    return invalid_model(std::string(where_) + ": corrupt TFLite flatbuffer: " + std::string(path) +
                         " at byte " + std::to_string(pos) + " of " + std::to_string(size()) +
                         ": " + std::string(what));
  }

 private:
  static std::string fmt_vtable_message(std::int64_t vtable) {
    return "vtable offset points to byte " + std::to_string(vtable) + ", outside the file";
  }

  std::span<const std::byte> bytes_;
  std::string where_;
};

}  // namespace edgebench::tflite::internal
