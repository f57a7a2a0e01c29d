#include "experiment_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "edgebench/results/store.h"

namespace edgebench::cli {

namespace {

namespace fs = std::filesystem;
// Counts beyond 2^53 are not integers as JSON numbers (doubles) and are far beyond any run.
constexpr std::uint64_t kMaxCount = std::uint64_t{1} << 53;
constexpr int kMaxThreads = 1 << 16;
// Ordered, so that cells run in the order the file lists variants.
using json = nlohmann::ordered_json;

// Errors name the file and the field: "exp.json: variants.int8: expected a string".
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}
  Status error(const std::string& field, const std::string& what) const {
    return invalid_argument(fmt::format("{}: {}: {}", file_, field, what));
  }
  Result<std::string> string(const json& j, const std::string& field) const {
    if (!j.is_string()) return error(field, fmt::format("expected a string, got {}", j.dump()));
    return j.get<std::string>();
  }
  Result<std::vector<std::string>> strings(const json& j, const std::string& field) const {
    if (!j.is_array() || j.empty()) return error(field, "expected a non-empty list of strings");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < j.size(); ++i) {
      EB_ASSIGN_OR_RETURN(std::string s, string(j[i], fmt::format("{}[{}]", field, i)));
      out.push_back(std::move(s));
    }
    return out;
  }
  Result<double> number(const json& j, const std::string& field, double min) const {
    if (!j.is_number() || j.get<double>() < min) {
      return error(field, fmt::format("expected a number >= {}, got {}", min, j.dump()));
    }
    return j.get<double>();
  }
  // A count or size, range-checked before it is converted (1e300 has no integer value).
  template <typename Int>
  Result<Int> integer(const json& j, const std::string& field, Int min, Int max) const {
    if (!j.is_number() || !(j.get<double>() >= static_cast<double>(min) &&
                            j.get<double>() <= static_cast<double>(max))) {
      return error(field,
                   fmt::format("expected a number from {} to {}, got {}", min, max, j.dump()));
    }
    return static_cast<Int>(j.get<double>());
  }

 private:
  std::string file_;
};

// The generator parameters of a model entry: activation, seed and the named sizes (each >= 1).
Status read_generator(const json& g, const Reader& r, const std::string& field,
                      std::string& activation, std::uint64_t& seed,
                      const std::map<std::string, std::int64_t*>& sizes) {
  for (const auto& [key, value] : g.items()) {
    const std::string f = field + "." + key;
    if (key == "kind") continue;
    if (key == "activation") {
      EB_ASSIGN_OR_RETURN(activation, r.string(value, f));
    } else if (key == "seed") {
      EB_ASSIGN_OR_RETURN(seed, r.integer<std::uint64_t>(value, f, 0, kMaxCount));
    } else if (auto it = sizes.find(key); it != sizes.end()) {
      EB_ASSIGN_OR_RETURN(*it->second, r.integer<std::int64_t>(value, f, 1, kMaxCount));
    } else {
      std::string known;
      for (const auto& [name, target] : sizes) known += name + ", ";
      return r.error(f, fmt::format("unknown key ({}activation, seed)", known));
    }
  }
  return Status::ok();
}

// A model file the experiment names must exist; a path the system cannot look up at all (a name
// too long, a loop of links) is reported, not thrown.
Status check_exists(const Reader& r, const std::string& field, const fs::path& file) {
  std::error_code ec;
  const bool found = fs::exists(file, ec);
  if (ec) return r.error(field, fmt::format("model '{}': {}", file.string(), ec.message()));
  if (!found) return r.error(field, fmt::format("model '{}' does not exist", file.string()));
  return Status::ok();
}

// {"tflite": "FILE"}: format -> file (relative to the experiment file), each file present.
Result<std::map<std::string, fs::path>> read_files(const json& j, const Reader& r,
                                                   const std::string& field,
                                                   const fs::path& folder) {
  if (!j.is_object() || j.empty()) {
    return r.error(field, "expected {\"tflite\": \"FILE.tflite\"}");
  }
  std::map<std::string, fs::path> out;
  for (const auto& [format, value] : j.items()) {
    const std::string f = field + "." + format;
    if (format != "tflite" && format != "onnx") return r.error(f, "unknown format (tflite, onnx)");
    EB_ASSIGN_OR_RETURN(std::string path, r.string(value, f));
    const fs::path file = folder / path;
    EB_RETURN_IF_ERROR(check_exists(r, f, file));
    out[format] = file;
  }
  return out;
}

}  // namespace

Result<Experiment> parse_experiment_text(std::string_view text, const fs::path& file) {
  const std::string where = file.string();
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return invalid_argument(fmt::format("{}: not valid JSON", where));
  if (!root.is_object()) return invalid_argument(fmt::format("{}: expected a JSON object", where));
  const Reader r(where);
  static const std::set<std::string> kKeys = {"name",     "db",       "models",
                                              "variants", "backends", "scenarios",
                                              "bench",    "quality",  "description"};
  for (const auto& [key, value] : root.items()) {
    if (!kKeys.contains(key)) {
      return r.error(key,
                     "unknown key (name, description, db, models, variants, backends, "
                     "scenarios, bench, quality)");
    }
  }

  Experiment e;
  e.folder = file.parent_path();
  e.name = file.stem().string();
  if (root.contains("name")) {
    EB_ASSIGN_OR_RETURN(e.name, r.string(root["name"], "name"));
  }
  if (root.contains("db")) {
    EB_ASSIGN_OR_RETURN(std::string db, r.string(root["db"], "db"));
    // A file is relative to the experiment file; a postgresql:// URL is taken as it is.
    e.db = results::is_database_url(db) ? db : (e.folder / db).string();
  }

  if (!root.contains("models") || !root["models"].is_array() || root["models"].empty()) {
    return r.error("models", "expected a non-empty list of models");
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < root["models"].size(); ++i) {
    const json& m = root["models"][i];
    const std::string field = fmt::format("models[{}]", i);
    ModelEntry entry;
    if (m.is_string()) {
      entry.path = e.folder / m.get<std::string>();
      entry.name = entry.path.stem().string();
    } else if (m.is_object()) {
      for (const auto& [key, value] : m.items()) {
        const std::string f = field + "." + key;
        if (key == "name") {
          EB_ASSIGN_OR_RETURN(entry.name, r.string(value, f));
        } else if (key == "path") {
          EB_ASSIGN_OR_RETURN(std::string p, r.string(value, f));
          entry.path = e.folder / p;
        } else if (key == "generate") {
          if (!value.is_object() || !value.contains("kind")) {
            return r.error(f, "expected an object with \"kind\": \"conv\" or \"dense\"");
          }
          entry.generate = value;
        } else if (key == "dataset") {
          EB_ASSIGN_OR_RETURN(entry.dataset, r.string(value, f));
        } else if (key == "calibration") {
          EB_ASSIGN_OR_RETURN(entry.calibration, r.string(value, f));
        } else if (key == "files") {
          if (!value.is_object()) {
            return r.error(f, "expected {\"VARIANT\": {\"tflite\": \"FILE.tflite\"}, ...}");
          }
          for (const auto& [variant, formats] : value.items()) {
            EB_ASSIGN_OR_RETURN(entry.files[variant],
                                read_files(formats, r, f + "." + variant, e.folder));
          }
        } else {
          return r.error(f, "unknown key (name, path, generate, dataset, calibration, files)");
        }
      }
      if (entry.path.empty() == entry.generate.is_null()) {
        return r.error(field, "give exactly one of \"path\" and \"generate\"");
      }
      if (!entry.generate.is_null()) {
        const json kind = entry.generate["kind"];
        const std::string g = field + ".generate";
        if (kind == "conv") {
          gen::ConvSpec& c = entry.conv.emplace();
          EB_RETURN_IF_ERROR(read_generator(entry.generate, r, g, c.activation, c.seed,
                                            {{"filters", &c.filters},
                                             {"layers", &c.layers},
                                             {"input", &c.input_size},
                                             {"kernel", &c.kernel}}));
        } else if (kind == "dense") {
          gen::DenseSpec& d = entry.dense.emplace();
          EB_RETURN_IF_ERROR(read_generator(entry.generate, r, g, d.activation, d.seed,
                                            {{"neurons", &d.neurons},
                                             {"layers", &d.layers},
                                             {"inputs", &d.inputs},
                                             {"outputs", &d.outputs}}));
        } else {
          return r.error(field + ".generate.kind", "expected \"conv\" or \"dense\"");
        }
        if (entry.name.empty()) return r.error(field, "a generated model needs a \"name\"");
      }
      if (entry.name.empty()) entry.name = entry.path.stem().string();
    } else {
      return r.error(field, "expected a path or an object");
    }
    if (!entry.path.empty()) EB_RETURN_IF_ERROR(check_exists(r, field, entry.path));
    if (!names.insert(entry.name).second) {
      return r.error(field, fmt::format("a second model named '{}'", entry.name));
    }
    e.models.push_back(std::move(entry));
  }

  if (root.contains("variants")) {
    const json& v = root["variants"];
    if (!v.is_object() || v.empty()) {
      return r.error("variants", "expected an object: name -> optimize flags (\"\" for none)");
    }
    for (const auto& [name, spec] : v.items()) {
      const std::string f = "variants." + name;
      Variant variant{name, "", {}};
      if (spec.is_object()) {
        for (const auto& [key, value] : spec.items()) {
          if (key == "flags") {
            EB_ASSIGN_OR_RETURN(variant.flags, r.string(value, f + ".flags"));
          } else if (key == "files") {
            EB_ASSIGN_OR_RETURN(variant.files, read_files(value, r, f + ".files", e.folder));
          } else {
            return r.error(f + "." + key, "unknown key (flags, files)");
          }
        }
      } else {
        EB_ASSIGN_OR_RETURN(variant.flags, r.string(spec, f));
      }
      e.variants.push_back(std::move(variant));
    }
  } else {
    e.variants.push_back({"float", "", {}});
  }
  for (const ModelEntry& m : e.models) {
    for (const auto& entry : m.files) {
      const std::string& variant = entry.first;  // a named local: clang 14 cannot capture bindings
      if (std::none_of(e.variants.begin(), e.variants.end(),
                       [&](const Variant& v) { return v.name == variant; })) {
        return r.error(fmt::format("models.{}.files.{}", m.name, variant),
                       "names no variant of the experiment");
      }
    }
  }
  if (root.contains("backends")) {
    EB_ASSIGN_OR_RETURN(e.backends, r.strings(root["backends"], "backends"));
  } else {
    e.backends = {"native"};
  }
  if (root.contains("scenarios")) {
    EB_ASSIGN_OR_RETURN(e.scenarios, r.strings(root["scenarios"], "scenarios"));
  } else {
    e.scenarios = {"single-stream"};
  }
  if (root.contains("bench")) {
    const json& b = root["bench"];
    if (!b.is_object()) return r.error("bench", "expected an object of bench settings");
    for (const auto& [key, value] : b.items()) {
      const std::string f = "bench." + key;
      if (key == "warmup") {
        EB_ASSIGN_OR_RETURN(e.bench.warmup, r.integer<std::uint64_t>(value, f, 0, kMaxCount));
      } else if (key == "min_queries") {
        EB_ASSIGN_OR_RETURN(e.bench.min_queries, r.integer<std::uint64_t>(value, f, 1, kMaxCount));
      } else if (key == "min_duration") {
        EB_ASSIGN_OR_RETURN(double v, r.number(value, f, 0));
        e.bench.min_duration_s = v;
      } else if (key == "max_duration") {
        EB_ASSIGN_OR_RETURN(double v, r.number(value, f, 0));
        e.bench.max_duration_s = v;
      } else if (key == "threads") {
        EB_ASSIGN_OR_RETURN(e.bench.threads, r.integer<int>(value, f, 1, kMaxThreads));
      } else if (key == "target_qps") {
        EB_ASSIGN_OR_RETURN(double v, r.number(value, f, 0));
        e.bench.target_qps = v;
      } else if (key == "batch") {
        EB_ASSIGN_OR_RETURN(e.bench.batch, r.integer<std::uint64_t>(value, f, 1, kMaxCount));
      } else {
        return r.error(f,
                       "unknown key (warmup, min_queries, min_duration, max_duration, "
                       "threads, target_qps, batch)");
      }
    }
  }
  if (root.contains("quality")) {
    const json& q = root["quality"];
    if (!q.is_object()) return r.error("quality", "expected an object");
    for (const auto& [key, value] : q.items()) {
      if (key != "limit") return r.error("quality." + key, "unknown key (limit)");
      EB_ASSIGN_OR_RETURN(e.quality_limit,
                          r.integer<std::uint64_t>(value, "quality.limit", 1, kMaxCount));
    }
  }
  return e;
}

}  // namespace edgebench::cli
