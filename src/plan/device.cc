#include "edgebench/plan/device.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace edgebench::plan {

namespace {

using Json = nlohmann::json;

// Reads fields of one JSON object, remembering which were asked for so that unknown ones
// (typos) can be reported; every error names the file and the dotted field path.
class FieldReader {
 public:
  FieldReader(const Json& object, std::string origin, std::string prefix)
      : object_(&object), origin_(std::move(origin)), prefix_(std::move(prefix)) {}

  Status error(std::string_view field, std::string_view what) const {
    return invalid_argument(
        fmt::format("device file '{}': field '{}{}': {}", origin_, prefix_, field, what));
  }

  const Json* find(std::string_view field) {
    seen_.emplace_back(field);
    auto it = object_->find(std::string(field));
    return it == object_->end() ? nullptr : &*it;
  }

  Result<double> number(std::string_view field, bool allow_zero) {
    const Json* v = find(field);
    if (v == nullptr) return error(field, "missing (a number is required)");
    if (!v->is_number()) return error(field, fmt::format("expected a number, got {}", v->dump()));
    const double x = v->get<double>();
    if (!std::isfinite(x) || x < 0 || (!allow_zero && x == 0)) {
      return error(field, fmt::format("expected a {} number, got {}",
                                      allow_zero ? "non-negative" : "positive", v->dump()));
    }
    return x;
  }

  // An optional number: `fallback` when the field is absent.
  Result<double> optional_number(std::string_view field, double fallback) {
    if (object_->find(std::string(field)) == object_->end()) {
      seen_.emplace_back(field);
      return fallback;
    }
    return number(field, true);
  }

  // A finite number of either sign, in [lo, hi].
  Result<double> bounded(std::string_view field, double lo, double hi) {
    const Json* v = find(field);
    if (v == nullptr) return error(field, "missing (a number is required)");
    if (!v->is_number()) return error(field, fmt::format("expected a number, got {}", v->dump()));
    const double x = v->get<double>();
    if (!std::isfinite(x) || x < lo || x > hi) {
      return error(field, fmt::format("expected a number in [{}, {}], got {}", lo, hi, v->dump()));
    }
    return x;
  }

  bool has(std::string_view field) const {
    return object_->find(std::string(field)) != object_->end();
  }

  Result<std::uint64_t> count(std::string_view field) {
    const Json* v = find(field);
    if (v == nullptr) return error(field, "missing (a positive integer is required)");
    if (!v->is_number_unsigned() || v->get<std::uint64_t>() == 0) {
      return error(field, fmt::format("expected a positive integer, got {}", v->dump()));
    }
    return v->get<std::uint64_t>();
  }

  Result<std::string> text(std::string_view field, bool required) {
    const Json* v = find(field);
    if (v == nullptr) {
      if (required) return error(field, "missing (a string is required)");
      return std::string();
    }
    if (!v->is_string()) return error(field, fmt::format("expected a string, got {}", v->dump()));
    return v->get<std::string>();
  }

  Result<std::vector<std::string>> strings(std::string_view field) {
    const Json* v = find(field);
    if (v == nullptr) return error(field, "missing (a list of strings is required)");
    if (!v->is_array() || v->empty()) return error(field, "expected a non-empty list of strings");
    std::vector<std::string> out;
    for (const Json& item : *v) {
      if (!item.is_string()) {
        return error(field, fmt::format("expected strings only, got {}", item.dump()));
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  Result<FieldReader> object(std::string_view field) {
    const Json* v = find(field);
    if (v == nullptr) return error(field, "missing (an object is required)");
    if (!v->is_object()) return error(field, fmt::format("expected an object, got {}", v->dump()));
    return FieldReader(*v, origin_, fmt::format("{}{}.", prefix_, field));
  }

  // Fails on the first field that was never asked for.
  Status no_unknown_fields() const {
    for (const auto& [key, value] : object_->items()) {
      if (std::find(seen_.begin(), seen_.end(), key) == seen_.end()) {
        return error(key, "unknown field (see docs/devices.md)");
      }
    }
    return Status::ok();
  }

 private:
  const Json* object_;
  std::string origin_;
  std::string prefix_;
  std::vector<std::string> seen_;
};

constexpr double kMicro = 1e-6;

}  // namespace

Result<Device> parse_device_json(std::string_view text, const std::string& origin) {
  Json root;
  try {
    root = Json::parse(text);
  } catch (const Json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
    return invalid_argument(fmt::format("device file '{}': not valid JSON: {}", origin, e.what()));
  }
  if (!root.is_object()) {
    return invalid_argument(fmt::format("device file '{}': expected a JSON object", origin));
  }
  FieldReader top(root, origin, "");
  Device d;
  d.path = origin;
  EB_ASSIGN_OR_RETURN(std::string schema, top.text("schema", true));
  if (schema != "edgebench.device/1") {
    return top.error("schema", fmt::format("expected \"edgebench.device/1\", got \"{}\"", schema));
  }
  EB_ASSIGN_OR_RETURN(d.name, top.text("name", true));
  if (d.name.empty()) return top.error("name", "must not be empty");
  EB_ASSIGN_OR_RETURN(d.description, top.text("description", false));
  // Where the figures come from: kept with the file for people, not used.
  EB_ASSIGN_OR_RETURN(std::string notes, top.text("notes", false));
  (void)notes;

  EB_ASSIGN_OR_RETURN(FieldReader memory, top.object("memory"));
  EB_ASSIGN_OR_RETURN(d.on_chip_bytes, memory.count("on_chip_bytes"));
  EB_ASSIGN_OR_RETURN(d.param_cache_bytes, memory.count("param_cache_bytes"));
  if (d.param_cache_bytes > d.on_chip_bytes) {
    return memory.error("param_cache_bytes", "larger than memory.on_chip_bytes");
  }
  EB_ASSIGN_OR_RETURN(std::uint64_t alignment, memory.count("column_alignment"));
  if (alignment > 65536) return memory.error("column_alignment", "expected at most 65536");
  d.column_alignment = static_cast<std::int64_t>(alignment);
  EB_RETURN_IF_ERROR(memory.no_unknown_fields());

  EB_ASSIGN_OR_RETURN(FieldReader compute, top.object("compute"));
  EB_ASSIGN_OR_RETURN(d.int8_macs_per_s, compute.number("int8_macs_per_s", false));
  EB_ASSIGN_OR_RETURN(d.param_read_bytes_per_s, compute.number("param_read_bytes_per_s", false));
  EB_ASSIGN_OR_RETURN(double per_inference_us, compute.number("per_inference_us", true));
  EB_ASSIGN_OR_RETURN(double per_layer_us, compute.number("per_layer_us", true));
  EB_ASSIGN_OR_RETURN(d.activation_elements_per_s,
                      compute.optional_number("activation_elements_per_s", 0));
  if (compute.has("input_channel_alignment")) {
    EB_ASSIGN_OR_RETURN(std::uint64_t in_alignment, compute.count("input_channel_alignment"));
    if (in_alignment > 65536) {
      return compute.error("input_channel_alignment", "expected at most 65536");
    }
    d.input_channel_alignment = static_cast<std::int64_t>(in_alignment);
  } else {
    compute.find("input_channel_alignment");
  }
  d.per_inference_s = per_inference_us * kMicro;
  d.per_layer_s = per_layer_us * kMicro;
  EB_RETURN_IF_ERROR(compute.no_unknown_fields());

  EB_ASSIGN_OR_RETURN(FieldReader link, top.object("link"));
  EB_ASSIGN_OR_RETURN(d.link_kind, link.text("kind", false));
  EB_ASSIGN_OR_RETURN(d.link_bytes_per_s, link.number("bytes_per_s", false));
  EB_ASSIGN_OR_RETURN(double latency_us, link.number("latency_us", true));
  d.link_latency_s = latency_us * kMicro;
  EB_ASSIGN_OR_RETURN(d.link_output_bytes_per_s, link.optional_number("output_bytes_per_s", 0));
  EB_RETURN_IF_ERROR(link.no_unknown_fields());

  EB_ASSIGN_OR_RETURN(FieldReader ops, top.object("ops"));
  EB_ASSIGN_OR_RETURN(d.dtypes, ops.strings("dtypes"));
  for (const std::string& t : d.dtypes) {
    if (t != "int8" && t != "uint8" && t != "int16" && t != "float16" && t != "float32") {
      return ops.error("dtypes", fmt::format("unknown element type \"{}\"", t));
    }
  }
  EB_ASSIGN_OR_RETURN(std::vector<std::string> mapped, ops.strings("mapped"));
  d.mapped_ops.insert(mapped.begin(), mapped.end());
  EB_ASSIGN_OR_RETURN(std::string partition, ops.text("partition", true));
  if (partition == "prefix") {
    d.partition = Partition::kPrefix;
  } else if (partition == "split") {
    d.partition = Partition::kSplit;
  } else {
    return ops.error("partition",
                     fmt::format("expected \"prefix\" or \"split\", got \"{}\"", partition));
  }
  EB_RETURN_IF_ERROR(ops.no_unknown_fields());

  EB_ASSIGN_OR_RETURN(FieldReader host, top.object("host"));
  EB_ASSIGN_OR_RETURN(d.host.macs_per_s, host.number("macs_per_s", false));
  EB_ASSIGN_OR_RETURN(double per_op_us, host.number("per_op_us", true));
  d.host.per_op_s = per_op_us * kMicro;
  EB_RETURN_IF_ERROR(host.no_unknown_fields());

  if (top.has("pipeline")) {
    EB_ASSIGN_OR_RETURN(FieldReader pipeline, top.object("pipeline"));
    EB_ASSIGN_OR_RETURN(double per_stage_us, pipeline.number("per_stage_us", true));
    EB_ASSIGN_OR_RETURN(double per_streamed_us, pipeline.number("per_streamed_layer_us", true));
    d.pipeline_per_stage_s = per_stage_us * kMicro;
    d.pipeline_per_streamed_layer_s = per_streamed_us * kMicro;
    EB_RETURN_IF_ERROR(pipeline.no_unknown_fields());
  } else {
    top.find("pipeline");
  }

  if (top.has("fit")) {
    EB_ASSIGN_OR_RETURN(FieldReader fit, top.object("fit"));
    EB_ASSIGN_OR_RETURN(d.interval_low, fit.bounded("interval_low", -1, 0));
    EB_ASSIGN_OR_RETURN(d.interval_high, fit.bounded("interval_high", 0, 100));
    EB_ASSIGN_OR_RETURN(d.interval_coverage, fit.bounded("interval_coverage", 0, 1));
    // What the fit used and its cross-validated errors: for people, not used.
    EB_ASSIGN_OR_RETURN(std::string source, fit.text("source", false));
    (void)source;
    if (fit.has("cv_mape_percent")) fit.find("cv_mape_percent");
    EB_RETURN_IF_ERROR(fit.no_unknown_fields());
  } else {
    top.find("fit");
  }

  EB_RETURN_IF_ERROR(top.no_unknown_fields());
  return d;
}

Result<Device> load_device_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return not_found(fmt::format("device file '{}': not found", path));
  }
  constexpr std::uintmax_t kMaxDeviceFileBytes = 1 << 20;
  if (std::filesystem::file_size(path, ec) > kMaxDeviceFileBytes) {
    return invalid_argument(fmt::format("device file '{}': larger than 1 MiB", path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error(fmt::format("device file '{}': cannot be opened", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return io_error(fmt::format("device file '{}': read failed", path));
  return parse_device_json(text.str(), path);
}

std::vector<std::string> device_search_dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("EDGEBENCH_DEVICE_PATH"); env != nullptr) {
    std::string_view rest(env);
    while (!rest.empty()) {
      const std::size_t colon = rest.find(':');
      const std::string_view part = rest.substr(0, colon);
      if (!part.empty()) dirs.emplace_back(part);
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
#ifdef EDGEBENCH_DEVICES_DIR
  dirs.emplace_back(EDGEBENCH_DEVICES_DIR);
#endif
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back((exe.parent_path().parent_path() / "share/edgebench/devices").string());
  return dirs;
}

std::vector<std::string> list_devices(const std::vector<std::string>& search_dirs) {
  std::set<std::string> names;
  for (const std::string& dir : search_dirs) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".json") names.insert(entry.path().stem().string());
    }
  }
  return {names.begin(), names.end()};
}

Result<Device> find_device(const std::string& name_or_path,
                           const std::vector<std::string>& search_dirs) {
  if (name_or_path.empty()) return invalid_argument("--device: empty device name");
  const bool is_path =
      name_or_path.find('/') != std::string::npos ||
      (name_or_path.size() > 5 && name_or_path.compare(name_or_path.size() - 5, 5, ".json") == 0);
  if (is_path) return load_device_file(name_or_path);
  for (const std::string& dir : search_dirs) {
    const std::filesystem::path candidate = std::filesystem::path(dir) / (name_or_path + ".json");
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec))
      return load_device_file(candidate.string());
  }
  const std::vector<std::string> known = list_devices(search_dirs);
  const std::string known_text =
      known.empty() ? std::string("none") : fmt::format("{}", fmt::join(known, ", "));
  return not_found(fmt::format(
      "--device: unknown device '{}' (known: {}; or give a path to a device .json file)",
      name_or_path, known_text));
}

}  // namespace edgebench::plan
