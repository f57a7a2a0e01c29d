#include "edgebench/results/io.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include "ordered_json.h"

namespace edgebench::results {
namespace {

std::string errno_text(int error) { return std::strerror(error); }

Result<std::string> read_text(const std::filesystem::path& path, std::string_view what) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return not_found(fmt::format("{} '{}' does not exist", what, path.string()));
  }
  if (std::filesystem::is_directory(path, ec)) {
    return invalid_argument(
        fmt::format("{} '{}' is a folder, expected a file", what, path.string()));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return io_error(fmt::format("cannot read {} '{}': {}", what, path.string(), errno_text(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return io_error(fmt::format("cannot read {} '{}'", what, path.string()));
  }
  return std::move(text).str();
}

// Writes all of `bytes` to `fd`, retrying short writes and EINTR.
bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Writes beside the target, syncs, then renames over it: readers see the old file or the new.
Status write_file_atomically(const std::filesystem::path& path, std::string_view content,
                             std::string_view what) {
  const std::filesystem::path tmp =
      path.string() + fmt::format(".tmp-{}", static_cast<long>(::getpid()));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return io_error(
        fmt::format("cannot write {} '{}': {}", what, path.string(), errno_text(errno)));
  }
  const bool written = write_all(fd, content) && ::fsync(fd) == 0;
  const int write_errno = errno;
  const bool closed = ::close(fd) == 0;
  if (!written || !closed || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int error = !written ? write_errno : errno;
    ::unlink(tmp.c_str());
    return io_error(
        fmt::format("cannot write {} '{}': {}", what, path.string(), errno_text(error)));
  }
  return Status::ok();
}

std::string csv_number(double value) {
  if (!std::isfinite(value)) return "";
  return fmt::format("{}", value);
}

struct CsvColumn {
  std::string name;
  std::function<std::string(const Record&)> value;
};

const std::vector<CsvColumn>& csv_table() {
  static const std::vector<CsvColumn> kColumns = [] {
    auto latency = [](double LatencyStats::*member) {
      return [member](const Record& r) { return csv_number(r.timings.latency.*member); };
    };
    return std::vector<CsvColumn>{
        {"id", [](const Record& r) { return r.id; }},
        {"created_at", [](const Record& r) { return r.created_at; }},
        {"label", [](const Record& r) { return r.label; }},
        {"model", [](const Record& r) { return r.model.name; }},
        {"backend", [](const Record& r) { return r.backend.name; }},
        {"threads", [](const Record& r) { return std::to_string(r.backend.threads); }},
        {"scenario", [](const Record& r) { return r.scenario.name; }},
        {"headline_metric", [](const Record& r) { return r.timings.headline_metric; }},
        {"headline_value", [](const Record& r) { return csv_number(r.timings.headline_value); }},
        {"latency_p50_ms", latency(&LatencyStats::p50)},
        {"latency_p90_ms", latency(&LatencyStats::p90)},
        {"latency_p95_ms", latency(&LatencyStats::p95)},
        {"latency_p99_ms", latency(&LatencyStats::p99)},
        {"latency_p999_ms", latency(&LatencyStats::p999)},
        {"latency_mean_ms", latency(&LatencyStats::mean)},
        {"latency_std_ms", latency(&LatencyStats::std)},
        {"latency_min_ms", latency(&LatencyStats::min)},
        {"latency_max_ms", latency(&LatencyStats::max)},
        {"latency_count", [](const Record& r) { return std::to_string(r.timings.latency.count); }},
        {"queries_per_s", [](const Record& r) { return csv_number(r.throughput.queries_per_s); }},
        {"samples_per_s", [](const Record& r) { return csv_number(r.throughput.samples_per_s); }},
        {"init_ms", [](const Record& r) { return csv_number(r.timings.init_ms); }},
        {"first_inference_ms",
         [](const Record& r) { return csv_number(r.timings.first_inference_ms); }},
        {"peak_rss_bytes", [](const Record& r) { return std::to_string(r.memory.peak_rss_bytes); }},
        {"arena_bytes", [](const Record& r) { return std::to_string(r.memory.arena_bytes); }},
        {"cpu_user_s", [](const Record& r) { return csv_number(r.cpu.user_s); }},
        {"cpu_system_s", [](const Record& r) { return csv_number(r.cpu.system_s); }},
        {"energy_j",
         [](const Record& r) {
           return r.energy.available ? csv_number(r.energy.joules) : std::string();
         }},
        {"valid", [](const Record& r) { return std::string(r.valid ? "true" : "false"); }},
        {"runtime", [](const Record& r) { return runtime_field(r.backend, "name"); }},
        {"runtime_version", [](const Record& r) { return runtime_field(r.backend, "version"); }},
        {"runtime_device", [](const Record& r) { return runtime_field(r.backend, "device"); }},
        {"precision", [](const Record& r) { return runtime_field(r.backend, "precision"); }},
    };
  }();
  return kColumns;
}

}  // namespace

std::string to_json_text(const Record& record, int indent) {
  // Invalid UTF-8 (say, a label taken from a file name) is replaced rather than thrown on.
  return to_ordered_json(record).dump(indent < 0 ? -1 : indent, ' ', false,
                                      nlohmann::ordered_json::error_handler_t::replace);
}

Result<Record> parse_record(std::string_view text, std::string_view source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range (1e999)
    // e.what() starts with "[json.exception.parse_error.101] "; the rest says where and why.
    std::string_view what = e.what();
    if (const std::size_t pos = what.find("] "); pos != std::string_view::npos) {
      what.remove_prefix(pos + 2);
    }
    return invalid_argument(fmt::format("{}: not valid JSON: {}", source, what));
  }
  Result<Record> record = from_json(j);
  if (!record.is_ok()) return record.status().with_context(source);
  return record;
}

Status write_json_file(const std::filesystem::path& path, const Record& record) {
  return write_file_atomically(path, to_json_text(record, 2) + "\n", "result file");
}

Result<Record> read_json_file(const std::filesystem::path& path) {
  EB_ASSIGN_OR_RETURN(std::string text, read_text(path, "result file"));
  return parse_record(text, fmt::format("result file '{}'", path.string()));
}

Status append_jsonl(const std::filesystem::path& path, const Record& record) {
  const std::string line = to_json_text(record, -1) + "\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return io_error(
        fmt::format("cannot append to results file '{}': {}", path.string(), errno_text(errno)));
  }
  const bool written = write_all(fd, line) && ::fsync(fd) == 0;
  const int write_errno = errno;
  const bool closed = ::close(fd) == 0;
  if (!written || !closed) {
    return io_error(fmt::format("cannot append to results file '{}': {}", path.string(),
                                errno_text(written ? errno : write_errno)));
  }
  return Status::ok();
}

Result<std::vector<Record>> read_jsonl(const std::filesystem::path& path) {
  EB_ASSIGN_OR_RETURN(std::string text, read_text(path, "results file"));
  std::vector<Record> records;
  std::string_view rest = text;
  for (std::size_t line_number = 1; !rest.empty(); ++line_number) {
    const std::size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    EB_ASSIGN_OR_RETURN(Record record, parse_record(line, fmt::format("results file '{}' line {}",
                                                                      path.string(), line_number)));
    records.push_back(std::move(record));
  }
  return records;
}

Result<std::vector<Record>> read_result_file(const std::filesystem::path& path) {
  if (path.extension() == ".jsonl") return read_jsonl(path);
  EB_ASSIGN_OR_RETURN(Record record, read_json_file(path));
  std::vector<Record> records;
  records.push_back(std::move(record));
  return records;
}

const std::vector<std::string>& csv_columns() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const CsvColumn& c : csv_table()) names.push_back(c.name);
    return names;
  }();
  return kNames;
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string to_csv(std::span<const Record> records) {
  const std::vector<CsvColumn>& columns = csv_table();
  std::string out;
  auto add_row = [&](auto&& cell) {
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (c > 0) out += ',';
      out += csv_field(cell(columns[c]));
    }
    out += "\r\n";
  };
  add_row([](const CsvColumn& c) { return c.name; });
  for (const Record& r : records) {
    add_row([&r](const CsvColumn& c) { return c.value(r); });
  }
  return out;
}

Status write_csv(const std::filesystem::path& path, std::span<const Record> records) {
  return write_file_atomically(path, to_csv(records), "CSV file");
}

}  // namespace edgebench::results
