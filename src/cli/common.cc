#include "common.h"

#include <fmt/format.h>
#include <malloc.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "edgebench/core/hash.h"
#include "edgebench/core/npy.h"
#include "edgebench/engine/plan.h"
#include "edgebench/ir/stats.h"
#include "edgebench/onnx/model_io.h"
#include "edgebench/results/ids.h"
#include "edgebench/results/io.h"
#include "edgebench/tflite/model.h"
#include "host_info.h"

namespace edgebench::cli {

int report_error(const Status& status) {
  std::fprintf(stderr, "edgebench: error: %s\n", status.message().c_str());
  return status.code() == StatusCode::kInternal ? kExitCheckFailed : kExitBadInput;
}

namespace {

// A TFLite flatbuffer: the file identifier at bytes 4..8, or the .tflite extension (then a file
// without the identifier is reported by the TFLite reader, not the ONNX one).
bool is_tflite_file(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".tflite") return true;
  std::ifstream in(path, std::ios::binary);
  std::array<char, 8> head{};
  if (!in.read(head.data(), head.size())) return false;
  return std::string_view(head.data() + 4, 4) == tflite::kFileIdentifier;
}

}  // namespace

Result<ir::Graph> load_model_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return not_found(fmt::format("model '{}' does not exist", path));
  if (std::filesystem::is_directory(path, ec)) {
    return invalid_argument(fmt::format("model '{}' is a directory, expected an .onnx file", path));
  }
  if (is_tflite_file(path)) return tflite::load_model(path);
  return onnx::load_model(path);
}

Result<std::pair<std::string, std::string>> split_assignment(std::string_view text,
                                                             std::string_view flag) {
  const std::size_t eq = text.rfind('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size()) {
    return invalid_argument(fmt::format("{} expects NAME=VALUE, got '{}'", flag, text));
  }
  return std::pair<std::string, std::string>(std::string(text.substr(0, eq)),
                                             std::string(text.substr(eq + 1)));
}

Result<Shape> parse_shape(std::string_view text) {
  Shape shape;
  if (text.empty() || text == "scalar") return shape;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find_first_of("x,", pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view part = text.substr(pos, end - pos);
    std::int64_t d = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), d);
    if (ec != std::errc() || ptr != part.data() + part.size() || d < 0) {
      return invalid_argument(
          fmt::format("bad shape '{}': '{}' is not a non-negative integer", text, part));
    }
    shape.push_back(d);
    pos = end + 1;
  }
  EB_RETURN_IF_ERROR(checked_element_count(shape).status());
  return shape;
}

Result<std::map<std::string, Shape, std::less<>>> parse_input_shapes(
    const std::vector<std::string>& flags) {
  std::map<std::string, Shape, std::less<>> shapes;
  for (const std::string& flag : flags) {
    EB_ASSIGN_OR_RETURN(auto kv, split_assignment(flag, "--input-shape"));
    EB_ASSIGN_OR_RETURN(Shape shape, parse_shape(kv.second));
    shapes[kv.first] = std::move(shape);
  }
  return shapes;
}

Status require_input_shapes(const ir::Graph& graph,
                            const std::map<std::string, Shape, std::less<>>& given,
                            std::string_view how) {
  const std::vector<ir::SymbolicInput> missing = ir::inputs_needing_shapes(graph, given);
  if (missing.empty()) return Status::ok();
  std::vector<std::string> names;
  for (const ir::SymbolicInput& input : missing) names.push_back(input.name);
  return invalid_argument(fmt::format("{}; give {} a concrete shape with {} (e.g. {}=1x3x224x224)",
                                      ir::describe_symbolic_inputs(missing),
                                      missing.size() == 1 ? "it" : "each", how, names[0]));
}

std::vector<data::InputSpec> graph_input_specs(
    const ir::Graph& graph, const std::map<std::string, Shape, std::less<>>& given) {
  std::vector<data::InputSpec> specs;
  for (const std::string& name : graph.inputs) {
    const ir::ValueInfo* info = graph.find_value_info(name);
    data::InputSpec spec{name, info ? info->dtype : DType::kUndefined, {}};
    if (auto it = given.find(name); it != given.end()) {
      spec.shape = it->second;
    } else if (info != nullptr && info->shape) {
      spec.shape = *info->shape;
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

bool dataset_has_shapes(std::string_view spec) {
  return spec.starts_with("npy:") || spec.starts_with("npz:") || spec.starts_with("onnx-test:");
}

Status with_symbolic_dims_hint(const Status& status, const ir::Graph& graph,
                               const std::map<std::string, Shape, std::less<>>& bound) {
  if (status.is_ok() || status.code() == StatusCode::kUnsupported) return status;
  const std::vector<ir::SymbolicInput> symbolic = ir::inputs_needing_shapes(graph);
  if (symbolic.empty()) return status;
  std::string hint;
  for (const ir::SymbolicInput& input : symbolic) {
    auto it = bound.find(input.name);
    hint += fmt::format(
        "; input '{}' has symbolic dims {}{}", input.name,
        ir::shape_with_dim_names(input.shape, input.dim_names),
        it != bound.end() ? " (bound to " + shape_to_string(it->second) + " here)" : "");
  }
  return Status(status.code(),
                fmt::format("{}{}: check --input-shape NAME=DIMS", status.message(), hint));
}

std::string human_count(double value) {
  const char* units[] = {"", " k", " M", " G", " T"};
  int u = 0;
  while (value >= 1000.0 && u < 4) {
    value /= 1000.0;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f}", value) : fmt::format("{:.2f}{}", value, units[u]);
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 4) {
    bytes /= 1024.0;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[u]);
}

std::string sanitize_file_name(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  if (out.empty() || out == "." || out == "..") out = "_" + out;
  return out;
}

namespace {

// Parameters and MACs of the model as the engine sees it (best effort: unknown parts count 0).
void describe_model(const ir::Graph& graph, const std::string& path,
                    const std::map<std::string, Shape, std::less<>>& input_shapes,
                    results::ModelInfo& model) {
  model.path = path;
  model.name = std::filesystem::path(path).stem().string();
  auto sha = sha256_file(path);
  model.sha256 = sha.is_ok() ? *sha : "";
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  model.file_bytes = ec ? 0 : static_cast<std::uint64_t>(size);
  // MACs only for concrete input shapes: never for a guessed symbolic dim.
  const bool shapes_known = ir::inputs_needing_shapes(graph, input_shapes).empty();
  ir::Graph annotated = graph;
  if (shapes_known) {
    engine::PlanOptions options;
    options.input_shapes = input_shapes;
    auto analysis = engine::analyze_graph(graph, engine::builtin_registry(), options);
    if (analysis.is_ok()) engine::annotate_types(annotated, analysis->types);
  }
  const ir::GraphStats stats = ir::compute_stats(annotated);
  model.params = stats.params_total;
  model.params_bytes = stats.params_bytes;
  model.macs = shapes_known ? stats.macs_total : 0;
}

}  // namespace

results::Record new_result_record(std::string_view command, const std::string& label,
                                  const ir::Graph& graph, const std::string& model_path,
                                  const std::string& backend_name, int threads,
                                  const std::map<std::string, Shape, std::less<>>& input_shapes) {
  results::Record record;
  results::stamp_new_record(record);
  record.command = std::string(command);
  record.label = label;
  describe_model(graph, model_path, input_shapes, record.model);
  record.backend.name = backend_name;
  record.backend.threads = threads;
  record.host = collect_host_info();
  return record;
}

Result<std::optional<results::Store>> open_result_store(bool no_db, const std::string& db_path) {
  if (no_db) return std::optional<results::Store>();
  EB_ASSIGN_OR_RETURN(results::Store store, results::Store::open(db_path));
  return std::optional<results::Store>(std::move(store));
}

Status save_result_record(results::Record& record, const std::string& json_path,
                          std::optional<results::Store>& store, const std::string& db_path,
                          const std::string& key, bool announce) {
  // Keep records small: beyond kMaxInlineLatencies the raw latencies go to a .npy file.
  constexpr std::size_t kMaxInlineLatencies = 100000;
  // A PostgreSQL store is shared by hosts that cannot read this one's files: its records keep
  // their latencies unless a JSON file goes beside them.
  const bool shared_store = store && results::is_database_url(db_path);
  if (record.latencies_ms.size() > kMaxInlineLatencies && !(shared_store && json_path.empty())) {
    const std::filesystem::path base = json_path.empty()
                                           ? std::filesystem::path(db_path).parent_path()
                                           : std::filesystem::path(json_path).parent_path();
    const std::filesystem::path path = base / fmt::format("latencies-{}.npy", record.id);
    Tensor raw =
        Tensor::zeros(DType::kFloat64, {static_cast<std::int64_t>(record.latencies_ms.size())});
    std::copy(record.latencies_ms.begin(), record.latencies_ms.end(), raw.data<double>());
    EB_RETURN_IF_ERROR(write_npy(path, raw));
    record.latencies_path = path.string();
    record.latencies_ms.clear();
  }
  if (!json_path.empty()) EB_RETURN_IF_ERROR(results::write_json_file(json_path, record));
  if (store) {
    EB_RETURN_IF_ERROR(key.empty() ? store->add(record)
                                   : store->add(record, std::string_view(key)));
    if (announce) fmt::print("  stored in {}\n", store->name());
  }
  return Status::ok();
}

Status write_text_file(const std::string& path, const std::string& text, std::string_view what) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return io_error(fmt::format("cannot write {} '{}'", what, path));
  return Status::ok();
}

void record_accelerator(const backends::Executable& exe, results::Record& record) {
  if (const nlohmann::json* target = exe.target_info(); target && target->is_object()) {
    record.backend.runtime = target->value("runtime", nlohmann::json());
    record.backend.target = target->value("host", nlohmann::json());
    if (record.backend.target.is_object() && record.backend.target.value("emulated", false)) {
      record.valid = false;
      record.invalid_reasons.push_back(fmt::format(
          "the target runs under emulation ({} on another CPU): its latencies are not the "
          "board's",
          record.backend.target.value("arch", std::string("another architecture"))));
    }
  }
  const backends::RunInfo* info = exe.last_run_info();
  if (info == nullptr || info->accelerator.empty()) return;
  nlohmann::json a = nlohmann::json::object();
  a["device"] = info->accelerator_device;
  for (const auto& [key, value] : info->accelerator) a[key] = value;
  record.accelerator = std::move(a);
}

void reset_peak_memory() {
  ::malloc_trim(0);
  // "5" resets the peak resident set size (Linux 4.0 and later); nothing happens elsewhere.
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
}

Status apply_params(const std::string& params_json, results::Record& record) {
  if (params_json.empty()) return Status::ok();
  nlohmann::json params = nlohmann::json::parse(params_json, nullptr, /*allow_exceptions=*/false);
  if (params.is_discarded()) {
    return invalid_argument(fmt::format("record params are not valid JSON: {}", params_json));
  }
  record.params = std::move(params);
  return Status::ok();
}

void print_brief(const results::Record& record) {
  std::string quality;
  if (record.quality.is_object()) {
    if (auto it = record.quality.find("top1"); it != record.quality.end() && it->is_number()) {
      quality = fmt::format("  top-1 {:.2f}%", 100.0 * it->get<double>());
    } else if (auto mse = record.quality.find("mse");
               mse != record.quality.end() && mse->is_number()) {
      quality = fmt::format("  mse {:.4g}", mse->get<double>());
    }
  }
  fmt::print("  {} on {}: p50 {:.4g} ms{}  result {}{}{}\n", record.model.name, record.backend.name,
             record.timings.latency.p50, quality, record.id, record.valid ? "" : " (INVALID)",
             record.conditions && record.conditions->noisy ? " (noisy)" : "");
}

std::vector<data::InputSpec> dataset_inputs(const backends::Executable& exe) {
  std::vector<data::InputSpec> inputs;
  for (const backends::TensorSpec& s : exe.inputs())
    inputs.push_back({s.name, s.dtype, s.shape, s.quant});
  return inputs;
}

}  // namespace edgebench::cli
