// Record <-> JSON for `edgebench.result/1`.
//
// Key names are the struct member names. Every field is written, absent optionals as null, so
// that the set of keys is the same in every record. JSON has no NaN or infinity: a non-finite
// number is written as null and a null number reads back as NaN.
//
// from_json requires what is needed to interpret a result: schema, id, created_at, valid,
// model.{path,name,sha256}, backend.{name,threads}, scenario.name,
// timings.{init_ms,first_inference_ms,latency_ms.*,headline_metric,headline_value},
// throughput.{queries_per_s,samples_per_s}, memory.{peak_rss_bytes,arena_bytes}, and
// energy.available when energy is present. Everything else may be missing or null (the
// struct's default). Unknown keys are ignored, so later /1 writers may add fields.
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <string_view>

#include "edgebench/results/io.h"
#include "edgebench/results/result.h"
#include "ordered_json.h"

namespace edgebench::results {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

ordered_json number(double value) {
  if (!std::isfinite(value)) return nullptr;
  return value;
}

ordered_json optional_number(const std::optional<double>& value) {
  return value ? number(*value) : ordered_json(nullptr);
}

ordered_json latency_json(const LatencyStats& s) {
  ordered_json j;
  j["count"] = s.count;
  j["min"] = number(s.min);
  j["max"] = number(s.max);
  j["mean"] = number(s.mean);
  j["std"] = number(s.std);
  j["p50"] = number(s.p50);
  j["p90"] = number(s.p90);
  j["p95"] = number(s.p95);
  j["p99"] = number(s.p99);
  j["p999"] = number(s.p999);
  return j;
}

ordered_json profile_entries_json(const std::vector<OpProfileEntry>& entries) {
  ordered_json list = ordered_json::array();
  for (const OpProfileEntry& e : entries) {
    ordered_json j;
    j["name"] = e.name;
    j["op_type"] = e.op_type;
    j["calls"] = e.calls;
    j["total_ms"] = number(e.total_ms);
    j["share"] = number(e.share);
    list.push_back(std::move(j));
  }
  return list;
}

// Reads the members of one JSON object, remembering the first error. Paths in messages are the
// dotted key path from the record's root ("timings.latency.p50").
enum class Need { kRequired, kOptional };

class ObjectReader {
 public:
  ObjectReader(const json& object, std::string path, Status* error)
      : object_(object), path_(std::move(path)), error_(error) {}

  std::string path_of(std::string_view key) const {
    return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
  }

  // The member, or nullptr when it is missing (an error when required) or null (optional).
  const json* member(std::string_view key, Need need) {
    if (!error_->is_ok()) return nullptr;
    auto it = object_.find(key);
    if (it == object_.end() || (it->is_null() && need == Need::kOptional)) {
      if (need == Need::kRequired) fail(key, "is missing");
      return nullptr;
    }
    return &*it;
  }

  void string(std::string_view key, std::string& out, Need need) {
    const json* j = member(key, need);
    if (j == nullptr) return;
    if (!j->is_string()) return wrong_type(key, "a string", *j);
    out = j->get<std::string>();
  }

  void boolean(std::string_view key, bool& out, Need need) {
    const json* j = member(key, need);
    if (j == nullptr) return;
    if (!j->is_boolean()) return wrong_type(key, "true or false", *j);
    out = j->get<bool>();
  }

  void optional_boolean(std::string_view key, std::optional<bool>& out) {
    out.reset();
    bool value = false;
    if (member(key, Need::kOptional) == nullptr) return;
    boolean(key, value, Need::kOptional);
    if (error_->is_ok()) out = value;
  }

  void number(std::string_view key, double& out, Need need) {
    const json* j = member(key, need);
    if (j == nullptr) return;
    out = to_double(key, *j);
  }

  void optional_number(std::string_view key, std::optional<double>& out) {
    out.reset();
    const json* j = member(key, Need::kOptional);
    if (j == nullptr) return;
    const double value = to_double(key, *j);
    if (error_->is_ok()) out = value;
  }

  void unsigned_integer(std::string_view key, std::uint64_t& out, Need need) {
    const json* j = member(key, need);
    if (j == nullptr) return;
    if (!j->is_number_unsigned()) return wrong_type(key, "a non-negative integer", *j);
    out = j->get<std::uint64_t>();
  }

  void integer(std::string_view key, int& out, Need need) {
    const json* j = member(key, need);
    if (j == nullptr) return;
    if (!j->is_number_integer()) return wrong_type(key, "an integer", *j);
    const std::int64_t value = j->get<std::int64_t>();
    if (j->is_number_unsigned() && j->get<std::uint64_t>() > std::numeric_limits<int>::max()) {
      return fail(key, fmt::format("is {}, out of range", j->get<std::uint64_t>()));
    }
    if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
      return fail(key, fmt::format("is {}, out of range", value));
    }
    out = static_cast<int>(value);
  }

  void string_list(std::string_view key, std::vector<std::string>& out, Need need) {
    out.clear();
    const json* j = member(key, need);
    if (j == nullptr) return;
    if (!j->is_array()) return wrong_type(key, "an array of strings", *j);
    for (std::size_t i = 0; i < j->size(); ++i) {
      const json& item = (*j)[i];
      if (!item.is_string()) {
        return wrong_type(fmt::format("{}[{}]", key, i), "a string", item);
      }
      out.push_back(item.get<std::string>());
    }
  }

  void number_list(std::string_view key, std::vector<double>& out, Need need) {
    out.clear();
    const json* j = member(key, need);
    if (j == nullptr) return;
    if (!j->is_array()) return wrong_type(key, "an array of numbers", *j);
    out.reserve(j->size());
    for (std::size_t i = 0; i < j->size(); ++i) {
      out.push_back(to_double(fmt::format("{}[{}]", key, i), (*j)[i]));
      if (!error_->is_ok()) return;
    }
  }

  // A member that must be a JSON object; nullptr when optional and absent, or on error.
  const json* object(std::string_view key, Need need) {
    const json* j = member(key, need);
    if (j == nullptr) return nullptr;
    if (!j->is_object()) {
      wrong_type(key, "an object", *j);
      return nullptr;
    }
    return j;
  }

  // Any JSON value (free-form members such as backend options and quality).
  void any(std::string_view key, json& out, Need need) {
    const json* j = member(key, need);
    if (j != nullptr) out = *j;
  }

  void fail(std::string_view key, std::string_view what) {
    if (error_->is_ok()) {
      *error_ = invalid_argument(fmt::format("result field '{}' {}", path_of(key), what));
    }
  }

 private:
  double to_double(std::string_view key, const json& j) {
    if (j.is_null()) return std::numeric_limits<double>::quiet_NaN();
    if (!j.is_number()) {
      wrong_type(key, "a number", j);
      return 0;
    }
    return j.get<double>();
  }

  void wrong_type(std::string_view key, std::string_view expected, const json& got) {
    fail(key, fmt::format("is {}, expected {}", got.type_name(), expected));
  }

  const json& object_;
  std::string path_;
  Status* error_;
};

void read_latency(const json& j, const std::string& path, LatencyStats& s, Status* error) {
  ObjectReader r(j, path, error);
  r.unsigned_integer("count", s.count, Need::kRequired);
  r.number("min", s.min, Need::kRequired);
  r.number("max", s.max, Need::kRequired);
  r.number("mean", s.mean, Need::kRequired);
  r.number("std", s.std, Need::kRequired);
  r.number("p50", s.p50, Need::kRequired);
  r.number("p90", s.p90, Need::kRequired);
  r.number("p95", s.p95, Need::kRequired);
  r.number("p99", s.p99, Need::kRequired);
  r.number("p999", s.p999, Need::kRequired);
}

void read_profile_entries(ObjectReader& parent, std::string_view key,
                          std::vector<OpProfileEntry>& out, Status* error) {
  out.clear();
  const json* list = parent.member(key, Need::kOptional);
  if (list == nullptr) return;
  if (!list->is_array())
    return parent.fail(key, fmt::format("is {}, expected an array", list->type_name()));
  for (std::size_t i = 0; i < list->size() && error->is_ok(); ++i) {
    const std::string path = fmt::format("{}[{}]", parent.path_of(key), i);
    const json& item = (*list)[i];
    if (!item.is_object()) {
      *error = invalid_argument(
          fmt::format("result field '{}' is {}, expected an object", path, item.type_name()));
      return;
    }
    OpProfileEntry e;
    ObjectReader r(item, path, error);
    r.string("name", e.name, Need::kRequired);
    r.string("op_type", e.op_type, Need::kOptional);
    r.unsigned_integer("calls", e.calls, Need::kOptional);
    r.number("total_ms", e.total_ms, Need::kRequired);
    r.number("share", e.share, Need::kOptional);
    out.push_back(std::move(e));
  }
}

}  // namespace

ordered_json to_ordered_json(const Record& record) {
  ordered_json j;
  // `schema` first so that a reader (or a person) learns what the document is before anything
  // else; the percentile convention right after it, stated once.
  j["schema"] = record.schema;
  j["percentiles"] = kPercentileConvention;
  j["id"] = record.id;
  j["created_at"] = record.created_at;
  j["label"] = record.label;
  j["command"] = record.command;
  j["valid"] = record.valid;
  j["invalid_reasons"] = record.invalid_reasons;

  const ModelInfo& m = record.model;
  j["model"] = {{"path", m.path},
                {"name", m.name},
                {"sha256", m.sha256},
                {"params", m.params},
                {"params_bytes", m.params_bytes},
                {"macs", m.macs},
                {"file_bytes", m.file_bytes}};

  j["backend"] = {{"name", record.backend.name},
                  {"threads", record.backend.threads},
                  {"options", ordered_json(record.backend.options)},
                  {"runtime", ordered_json(record.backend.runtime)},
                  {"target", ordered_json(record.backend.target)}};

  const HostInfo& h = record.host;
  ordered_json libraries = ordered_json::object();
  for (const auto& [name, version] : h.libraries) libraries[name] = version;
  j["host"] = {{"cpu_model", h.cpu_model},
               {"logical_cores", h.logical_cores},
               {"os", h.os},
               {"hostname", h.hostname},
               {"compiler", h.compiler},
               {"libraries", std::move(libraries)}};

  const ScenarioSettings& s = record.scenario;
  ordered_json scenario;
  scenario["name"] = s.name;
  scenario["warmup_queries"] = s.warmup_queries;
  scenario["min_queries"] = s.min_queries;
  scenario["min_duration_s"] = number(s.min_duration_s);
  scenario["target_qps"] = optional_number(s.target_qps);
  scenario["latency_bound_ms"] = optional_number(s.latency_bound_ms);
  scenario["samples_per_query"] = s.samples_per_query;
  scenario["batch"] = s.batch;
  scenario["seed"] = s.seed;
  scenario["inputs"] = s.inputs;
  j["scenario"] = std::move(scenario);

  const Timings& t = record.timings;
  ordered_json timings;
  timings["init_ms"] = number(t.init_ms);
  timings["first_inference_ms"] = number(t.first_inference_ms);
  timings["latency_ms"] = latency_json(t.latency);
  timings["headline_metric"] = t.headline_metric;
  timings["headline_value"] = number(t.headline_value);
  timings["early_stopping_ms"] = optional_number(t.early_stopping_ms);
  timings["duration_s"] = number(t.duration_s);
  timings["met_latency_bound"] =
      t.met_latency_bound ? ordered_json(*t.met_latency_bound) : ordered_json(nullptr);
  timings["latency_source"] = t.latency_source;
  const auto optional_latency = [](const std::optional<LatencyStats>& stats) {
    return stats ? latency_json(*stats) : ordered_json(nullptr);
  };
  timings["target_latency_ms"] = optional_latency(t.target_latency);
  timings["round_trip_ms"] = optional_latency(t.round_trip);
  timings["transport_overhead_ms"] = optional_latency(t.transport_overhead);
  j["timings"] = std::move(timings);

  j["throughput"] = {{"queries_per_s", number(record.throughput.queries_per_s)},
                     {"samples_per_s", number(record.throughput.samples_per_s)},
                     {"target_qps", optional_number(record.throughput.target_qps)}};

  j["memory"] = {{"peak_rss_bytes", record.memory.peak_rss_bytes},
                 {"arena_bytes", record.memory.arena_bytes}};

  j["cpu"] = {{"user_s", number(record.cpu.user_s)}, {"system_s", number(record.cpu.system_s)}};

  const Energy& e = record.energy;
  ordered_json domains = ordered_json::array();
  for (const EnergyDomain& d : e.domains) {
    domains.push_back({{"name", d.name}, {"joules", number(d.joules)}});
  }
  j["energy"] = {{"available", e.available},
                 {"source", e.source},
                 {"joules", number(e.joules)},
                 {"domains", std::move(domains)}};

  j["quality"] = ordered_json(record.quality);
  j["params"] = ordered_json(record.params);
  j["accelerator"] = ordered_json(record.accelerator);

  if (record.profile) {
    j["profile"] = {{"runs", record.profile->runs},
                    {"by_node", profile_entries_json(record.profile->by_node)},
                    {"by_op_type", profile_entries_json(record.profile->by_op_type)}};
  } else {
    j["profile"] = nullptr;
  }

  if (record.conditions) {
    const Conditions& c = *record.conditions;
    ordered_json rounds = ordered_json::array();
    for (double v : c.round_p50_ms) rounds.push_back(number(v));
    j["conditions"] = {{"cpus", c.cpus},
                       {"pinned", c.pinned},
                       {"governor", c.governor},
                       {"cpu_mhz", optional_number(c.cpu_mhz)},
                       {"steal_pct", optional_number(c.steal_pct)},
                       {"other_load_pct", optional_number(c.other_load_pct)},
                       {"loadavg_start", optional_number(c.loadavg_start)},
                       {"loadavg_end", optional_number(c.loadavg_end)},
                       {"round_p50_ms", std::move(rounds)},
                       {"spread_pct", optional_number(c.spread_pct)},
                       {"noisy", c.noisy},
                       {"noise_reasons", c.noise_reasons}};
  } else {
    j["conditions"] = nullptr;
  }

  ordered_json latencies = ordered_json::array();
  for (double v : record.latencies_ms) latencies.push_back(number(v));
  j["latencies_ms"] = std::move(latencies);
  j["latencies_path"] =
      record.latencies_path.empty() ? ordered_json(nullptr) : ordered_json(record.latencies_path);
  return j;
}

nlohmann::json to_json(const Record& record) { return nlohmann::json(to_ordered_json(record)); }

Result<Record> from_json(const nlohmann::json& j) {
  if (!j.is_object()) {
    return invalid_argument(fmt::format("a result must be a JSON object, got {}", j.type_name()));
  }
  Record record;
  auto schema = j.find("schema");
  if (schema == j.end()) {
    return invalid_argument(fmt::format(
        "result field 'schema' is missing (expected \"{}\"; not an edgebench result?)", kSchema));
  }
  if (!schema->is_string() || schema->get<std::string>() != kSchema) {
    return invalid_argument(
        fmt::format("result field 'schema' is {}, expected \"{}\"", schema->dump(), kSchema));
  }
  record.schema = kSchema;

  Status error;
  ObjectReader root(j, "", &error);
  // A record measured with another percentile convention is not comparable with ours.
  std::string percentiles = kPercentileConvention;
  root.string("percentiles", percentiles, Need::kOptional);
  if (error.is_ok() && percentiles != kPercentileConvention) {
    root.fail("percentiles",
              fmt::format("is \"{}\", expected \"{}\"", percentiles, kPercentileConvention));
  }
  root.string("id", record.id, Need::kRequired);
  root.string("created_at", record.created_at, Need::kRequired);
  root.string("label", record.label, Need::kOptional);
  root.string("command", record.command, Need::kOptional);
  root.boolean("valid", record.valid, Need::kRequired);
  root.string_list("invalid_reasons", record.invalid_reasons, Need::kOptional);

  if (const json* m = root.object("model", Need::kRequired)) {
    ObjectReader r(*m, "model", &error);
    r.string("path", record.model.path, Need::kRequired);
    r.string("name", record.model.name, Need::kRequired);
    r.string("sha256", record.model.sha256, Need::kRequired);
    r.unsigned_integer("params", record.model.params, Need::kOptional);
    r.unsigned_integer("params_bytes", record.model.params_bytes, Need::kOptional);
    r.unsigned_integer("macs", record.model.macs, Need::kOptional);
    r.unsigned_integer("file_bytes", record.model.file_bytes, Need::kOptional);
  }

  if (const json* b = root.object("backend", Need::kRequired)) {
    ObjectReader r(*b, "backend", &error);
    r.string("name", record.backend.name, Need::kRequired);
    r.integer("threads", record.backend.threads, Need::kRequired);
    if (const json* options = r.object("options", Need::kOptional)) {
      record.backend.options = *options;
    }
    if (const json* runtime = r.object("runtime", Need::kOptional)) {
      record.backend.runtime = *runtime;
    }
    if (const json* target = r.object("target", Need::kOptional)) {
      record.backend.target = *target;
    }
  }

  if (const json* h = root.object("host", Need::kOptional)) {
    ObjectReader r(*h, "host", &error);
    r.string("cpu_model", record.host.cpu_model, Need::kOptional);
    r.integer("logical_cores", record.host.logical_cores, Need::kOptional);
    r.string("os", record.host.os, Need::kOptional);
    r.string("hostname", record.host.hostname, Need::kOptional);
    r.string("compiler", record.host.compiler, Need::kOptional);
    if (const json* libs = r.object("libraries", Need::kOptional)) {
      ObjectReader lr(*libs, "host.libraries", &error);
      for (const auto& [name, version] : libs->items()) {
        lr.string(name, record.host.libraries[name], Need::kRequired);
      }
    }
  }

  if (const json* s = root.object("scenario", Need::kRequired)) {
    ScenarioSettings& sc = record.scenario;
    ObjectReader r(*s, "scenario", &error);
    r.string("name", sc.name, Need::kRequired);
    r.unsigned_integer("warmup_queries", sc.warmup_queries, Need::kOptional);
    r.unsigned_integer("min_queries", sc.min_queries, Need::kOptional);
    r.number("min_duration_s", sc.min_duration_s, Need::kOptional);
    r.optional_number("target_qps", sc.target_qps);
    r.optional_number("latency_bound_ms", sc.latency_bound_ms);
    r.unsigned_integer("samples_per_query", sc.samples_per_query, Need::kOptional);
    r.unsigned_integer("batch", sc.batch, Need::kOptional);
    r.unsigned_integer("seed", sc.seed, Need::kOptional);
    r.string("inputs", sc.inputs, Need::kOptional);
  }

  if (const json* t = root.object("timings", Need::kRequired)) {
    Timings& tm = record.timings;
    ObjectReader r(*t, "timings", &error);
    r.number("init_ms", tm.init_ms, Need::kRequired);
    r.number("first_inference_ms", tm.first_inference_ms, Need::kRequired);
    if (const json* l = r.object("latency_ms", Need::kRequired)) {
      read_latency(*l, "timings.latency_ms", tm.latency, &error);
    }
    r.string("headline_metric", tm.headline_metric, Need::kRequired);
    r.number("headline_value", tm.headline_value, Need::kRequired);
    r.optional_number("early_stopping_ms", tm.early_stopping_ms);
    r.number("duration_s", tm.duration_s, Need::kOptional);
    r.optional_boolean("met_latency_bound", tm.met_latency_bound);
    r.string("latency_source", tm.latency_source, Need::kOptional);
    const auto optional_latency = [&](std::string_view key, std::optional<LatencyStats>& out) {
      if (const json* l = r.object(key, Need::kOptional)) {
        out.emplace();
        read_latency(*l, fmt::format("timings.{}", key), *out, &error);
      }
    };
    optional_latency("target_latency_ms", tm.target_latency);
    optional_latency("round_trip_ms", tm.round_trip);
    optional_latency("transport_overhead_ms", tm.transport_overhead);
  }

  if (const json* t = root.object("throughput", Need::kRequired)) {
    ObjectReader r(*t, "throughput", &error);
    r.number("queries_per_s", record.throughput.queries_per_s, Need::kRequired);
    r.number("samples_per_s", record.throughput.samples_per_s, Need::kRequired);
    r.optional_number("target_qps", record.throughput.target_qps);
  }

  if (const json* m = root.object("memory", Need::kRequired)) {
    ObjectReader r(*m, "memory", &error);
    r.unsigned_integer("peak_rss_bytes", record.memory.peak_rss_bytes, Need::kRequired);
    r.unsigned_integer("arena_bytes", record.memory.arena_bytes, Need::kRequired);
  }

  if (const json* c = root.object("cpu", Need::kOptional)) {
    ObjectReader r(*c, "cpu", &error);
    r.number("user_s", record.cpu.user_s, Need::kOptional);
    r.number("system_s", record.cpu.system_s, Need::kOptional);
  }

  if (const json* e = root.object("energy", Need::kOptional)) {
    Energy& en = record.energy;
    ObjectReader r(*e, "energy", &error);
    r.boolean("available", en.available, Need::kRequired);
    r.string("source", en.source, Need::kOptional);
    r.number("joules", en.joules, Need::kOptional);
    if (const json* domains = r.member("domains", Need::kOptional)) {
      if (!domains->is_array()) {
        r.fail("domains", fmt::format("is {}, expected an array", domains->type_name()));
      }
      for (std::size_t i = 0; error.is_ok() && i < domains->size(); ++i) {
        const std::string path = fmt::format("energy.domains[{}]", i);
        const json& item = (*domains)[i];
        if (!item.is_object()) {
          error = invalid_argument(
              fmt::format("result field '{}' is {}, expected an object", path, item.type_name()));
          break;
        }
        EnergyDomain d;
        ObjectReader dr(item, path, &error);
        dr.string("name", d.name, Need::kRequired);
        dr.number("joules", d.joules, Need::kRequired);
        en.domains.push_back(std::move(d));
      }
    }
  }

  root.any("quality", record.quality, Need::kOptional);
  root.any("params", record.params, Need::kOptional);
  root.any("accelerator", record.accelerator, Need::kOptional);

  if (const json* p = root.object("profile", Need::kOptional)) {
    OpProfile profile;
    ObjectReader r(*p, "profile", &error);
    r.unsigned_integer("runs", profile.runs, Need::kOptional);
    read_profile_entries(r, "by_node", profile.by_node, &error);
    read_profile_entries(r, "by_op_type", profile.by_op_type, &error);
    record.profile = std::move(profile);
  }

  if (const json* c = root.object("conditions", Need::kOptional)) {
    Conditions conditions;
    ObjectReader r(*c, "conditions", &error);
    std::vector<double> cpus;
    r.number_list("cpus", cpus, Need::kOptional);
    for (double cpu : cpus) {
      if (!(cpu >= 0 && cpu < 65536 && cpu == static_cast<int>(cpu))) {
        r.fail("cpus", "holds something other than a CPU number");
        break;
      }
      conditions.cpus.push_back(static_cast<int>(cpu));
    }
    r.boolean("pinned", conditions.pinned, Need::kOptional);
    r.string("governor", conditions.governor, Need::kOptional);
    r.optional_number("cpu_mhz", conditions.cpu_mhz);
    r.optional_number("steal_pct", conditions.steal_pct);
    r.optional_number("other_load_pct", conditions.other_load_pct);
    r.optional_number("loadavg_start", conditions.loadavg_start);
    r.optional_number("loadavg_end", conditions.loadavg_end);
    r.number_list("round_p50_ms", conditions.round_p50_ms, Need::kOptional);
    r.optional_number("spread_pct", conditions.spread_pct);
    r.boolean("noisy", conditions.noisy, Need::kOptional);
    r.string_list("noise_reasons", conditions.noise_reasons, Need::kOptional);
    record.conditions = std::move(conditions);
  }

  root.number_list("latencies_ms", record.latencies_ms, Need::kOptional);
  root.string("latencies_path", record.latencies_path, Need::kOptional);

  if (!error.is_ok()) return error;
  return record;
}

std::string runtime_field(const BackendInfo& backend, const char* key) {
  if (!backend.runtime.is_object()) return "";
  const auto it = backend.runtime.find(key);
  if (it == backend.runtime.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  return "";
}

}  // namespace edgebench::results
