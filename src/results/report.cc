#include "edgebench/results/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "edgebench/results/significance.h"
#include "edgebench/results/svg.h"

namespace edgebench::results {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
const std::vector<std::string> kMetrics = {"latency", "throughput", "memory", "energy", "accuracy"};

// ---- what a record is -------------------------------------------------------------------

std::string variant_of(const Record& r) {
  if (!r.params.is_object()) return "";
  if (auto it = r.params.find("variant"); it != r.params.end() && it->is_string()) {
    return it->get<std::string>();
  }
  if (auto cell = r.params.find("cell"); cell != r.params.end() && cell->is_object()) {
    if (auto v = cell->find("variant"); v != cell->end() && v->is_string()) {
      return v->get<std::string>();
    }
  }
  return "";
}

// Whether the record holds measurements: every record but a failed experiment cell. Runs below
// the scenario minimums (valid = false) are still drawn; the runs table says which they are.
bool measured(const Record& r) { return r.command != "experiment"; }

bool is_sweep(const Record& r) { return r.params.is_object() && r.params.contains("sweep"); }

std::optional<double> number_at(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::optional<double> top1(const Record& r) { return number_at(r.quality, "top1"); }

std::string config_of(const Record& r) {
  std::string c = r.backend.name;
  if (r.backend.threads > 1) c += fmt::format(" x{}", r.backend.threads);
  if (const std::string v = variant_of(r); !v.empty()) c += " / " + v;
  return c;
}

std::string environment_of(const Record& r) {
  return fmt::format("{} / {} / {} thread{}", r.host.cpu_model.empty() ? "?" : r.host.cpu_model,
                     r.backend.name, r.backend.threads, r.backend.threads == 1 ? "" : "s");
}

std::string ms(double v) { return std::isfinite(v) ? fmt::format("{:.4g}", v) : "-"; }

// ---- the report as sections of tables and figures, rendered to HTML or Markdown ------------

struct Cell {
  std::string text;
  std::string link;  // a record id: links to its raw JSON
};
using Row = std::vector<Cell>;
struct Table {
  std::vector<std::string> header;
  std::vector<Row> rows;
};
struct Figure {
  std::string kind;  // data-plot
  std::string name;  // file name stem (Markdown)
  std::string svg;
};
struct Section {
  std::string id;
  std::string title;
  std::string text;
  std::vector<Figure> figures;
  std::vector<Table> tables;
};

Cell id_cell(const Record& r) { return {r.id, r.id}; }

Section runs_section(const std::vector<Record>& records) {
  Section s{"runs", "Runs", "", {}, {}};
  s.text = fmt::format("{} stored results, newest first. Each id links to the record's JSON.",
                       records.size());
  Table t{{"id", "created (UTC)", "command", "model", "variant", "backend", "scenario", "p50 ms",
           "p99 ms", "samples/s", "peak RSS MiB", "top-1 %", "valid", "noise"},
          {}};
  for (const Record& r : records) {
    const auto t1 = top1(r);
    t.rows.push_back(
        {id_cell(r),
         {r.created_at.substr(0, 19), ""},
         {r.command, ""},
         {r.model.name, ""},
         {variant_of(r), ""},
         {r.backend.name, ""},
         {r.scenario.name, ""},
         {r.valid || r.command != "experiment" ? ms(r.timings.latency.p50) : "-", ""},
         {r.valid || r.command != "experiment" ? ms(r.timings.latency.p99) : "-", ""},
         {fmt::format("{:.4g}", r.throughput.samples_per_s), ""},
         {fmt::format("{:.1f}", static_cast<double>(r.memory.peak_rss_bytes) / kMiB), ""},
         {t1 ? fmt::format("{:.2f}", 100.0 * *t1) : "", ""},
         {r.valid ? "yes" : "no", ""},
         {noise_text(r), ""}});
  }
  s.tables.push_back(std::move(t));
  return s;
}

std::optional<Section> failures_section(const std::vector<Record>& records) {
  Table t{{"id", "model", "variant", "backend", "scenario", "error"}, {}};
  for (const Record& r : records) {
    if (r.valid || r.command != "experiment") continue;
    std::string scenario = r.scenario.name;
    t.rows.push_back({id_cell(r),
                      {r.model.name, ""},
                      {variant_of(r), ""},
                      {r.backend.name, ""},
                      {scenario, ""},
                      {r.invalid_reasons.empty() ? "" : r.invalid_reasons.front(), ""}});
  }
  if (t.rows.empty()) return std::nullopt;
  Section s{"failed", "Failed experiment cells", "", {}, {}};
  s.text =
      "Cells that could not run, with their error; the next run of the experiment tries "
      "them again.";
  s.tables.push_back(std::move(t));
  return s;
}

std::optional<Section> sweep_section(const std::vector<Record>& records) {
  // One series per sweep family: every parameter but the swept size, plus where it ran.
  std::map<std::string, std::map<std::uint64_t, const Record*>> series;  // name -> macs -> newest
  for (const Record& r : records) {  // newest first: keep the first seen per point
    if (!is_sweep(r) || !measured(r)) continue;
    nlohmann::json fixed = r.params;
    fixed.erase("filters");
    fixed.erase("neurons");
    fixed.erase("seed");
    fixed.erase("variant");
    std::string name = fixed.value("sweep", "sweep");
    for (const auto& [k, v] : fixed.items()) {
      if (k == "sweep" || k == "activation") continue;
      name += fmt::format(" {}={}", k, v.dump());
    }
    name += " · " + config_of(r);
    series[name].emplace(r.model.macs, &r);
  }
  if (series.empty()) return std::nullopt;
  Section s{"sweeps", "Sweeps: latency and memory against MACs", "", {}, {}};
  s.text =
      "One curve per sweep family and backend; MACs as the generators count them (biases "
      "not counted). Memory: peak resident memory of the process, parameter bytes, and for "
      "modelled accelerators the parameters cached on chip and streamed from the host.";
  svg::Chart latency{"p50 latency vs MACs",
                     {"MACs per inference", false},
                     {"p50 latency (ms)", false},
                     {},
                     720,
                     400};
  svg::Chart memory{
      "Memory vs MACs", {"MACs per inference", false}, {"memory (MiB)", false}, {}, 720, 400};
  Table t{{"series", "point", "MACs", "params", "p50 ms", "p99 ms", "peak RSS MiB", "on-chip MiB",
           "off-chip MiB", "id"},
          {}};
  for (const auto& [name, points] : series) {
    svg::Series lat{name, {}, {}, {}, true, true, false};
    svg::Series rss{name + " · peak RSS", {}, {}, {}, true, true, false};
    svg::Series par{name + " · parameters", {}, {}, {}, true, true, true};
    svg::Series on{name + " · on-chip", {}, {}, {}, true, true, false};
    svg::Series off{name + " · off-chip", {}, {}, {}, true, true, true};
    for (const auto& [macs, r] : points) {
      const double x = static_cast<double>(macs);
      lat.x.push_back(x);
      lat.y.push_back(r->timings.latency.p50);
      lat.labels.push_back(r->model.name);
      const auto on_chip = number_at(r->accelerator, "on_chip_bytes");
      const auto off_chip = number_at(r->accelerator, "off_chip_bytes");
      if (on_chip || off_chip) {
        on.x.push_back(x);
        on.y.push_back(on_chip.value_or(0) / kMiB);
        off.x.push_back(x);
        off.y.push_back(off_chip.value_or(0) / kMiB);
      } else {
        rss.x.push_back(x);
        rss.y.push_back(static_cast<double>(r->memory.peak_rss_bytes) / kMiB);
      }
      par.x.push_back(x);
      par.y.push_back(static_cast<double>(r->model.params_bytes) / kMiB);
      t.rows.push_back(
          {{name, ""},
           {r->model.name, ""},
           {std::to_string(macs), ""},
           {std::to_string(r->model.params), ""},
           {ms(r->timings.latency.p50), ""},
           {ms(r->timings.latency.p99), ""},
           {fmt::format("{:.1f}", static_cast<double>(r->memory.peak_rss_bytes) / kMiB), ""},
           {on_chip ? fmt::format("{:.3f}", *on_chip / kMiB) : "", ""},
           {off_chip ? fmt::format("{:.3f}", *off_chip / kMiB) : "", ""},
           id_cell(*r)});
    }
    latency.series.push_back(std::move(lat));
    for (svg::Series* m : {&rss, &par, &on, &off}) {
      if (!m->x.empty()) memory.series.push_back(std::move(*m));
    }
  }
  s.figures.push_back({"latency-vs-macs", "latency_vs_macs", svg::xy_chart(latency)});
  s.figures.push_back({"memory-vs-macs", "memory_vs_macs", svg::xy_chart(memory)});
  s.tables.push_back(std::move(t));
  return s;
}

std::optional<Section> comparison_section(const std::vector<Record>& records) {
  // Newest valid bench result per (model, configuration), for models run in two or more.
  std::map<std::string, std::map<std::string, const Record*>> by_model;
  for (const Record& r : records) {
    if (is_sweep(r) || r.command != "bench") continue;
    by_model[r.model.name].emplace(config_of(r) + " · " + r.scenario.name, &r);
  }
  std::set<std::string> configs;
  std::vector<std::string> models;
  for (const auto& [model, by_config] : by_model) {
    if (by_config.size() < 2) continue;
    models.push_back(model);
    for (const auto& [c, r] : by_config) configs.insert(c);
  }
  if (models.empty()) return std::nullopt;
  Section s{"comparison", "Backends and variants compared", "", {}, {}};
  s.text =
      "p50 latency of the newest result per model and configuration (backend / variant · "
      "scenario). \"vs first\" says whether a difference is beyond the noise: significant when a "
      "95% bootstrap interval on the ratio of the medians, from the raw latencies, lies wholly "
      "more than 1% away from 1. \"noisy run\" marks a comparison with a run that bench flagged "
      "noisy (other processes or the hypervisor on its CPUs, or rounds that disagree).";
  svg::BarChart bars{"p50 latency by backend and variant",
                     "p50 latency (ms)",
                     models,
                     std::vector<std::string>(configs.begin(), configs.end()),
                     {},
                     760,
                     400};
  Table t{{"model", "configuration", "p50 ms", "p99 ms", "samples/s", "vs first", "id"}, {}};
  for (const std::string& c : bars.series_names) {
    std::vector<double> row;
    for (const std::string& m : models) {
      auto it = by_model[m].find(c);
      row.push_back(it == by_model[m].end() ? std::numeric_limits<double>::quiet_NaN()
                                            : it->second->timings.latency.p50);
    }
    bars.values.push_back(std::move(row));
  }
  for (const std::string& m : models) {
    const Record& first_record = *by_model[m].begin()->second;
    const double first = first_record.timings.latency.p50;
    const std::vector<double> first_latencies = raw_latencies(first_record);
    for (const auto& [c, r] : by_model[m]) {
      // The ratio, and whether it is beyond the noise (a bootstrap interval on the ratio of the
      // medians from the raw latencies, when both have them).
      std::string versus = first > 0 ? fmt::format("{:.2f}x", r->timings.latency.p50 / first) : "";
      if (r != &first_record && !versus.empty()) {
        if (auto m_ratio = median_ratio_interval(first_latencies, raw_latencies(*r))) {
          versus += m_ratio->significant() ? " (significant)" : " (within noise)";
        }
        // A run flagged noisy (other load, steal, round-to-round spread) weakens any verdict.
        if (is_noisy(*r) || is_noisy(first_record)) versus += " (noisy run)";
      }
      t.rows.push_back({{m, ""},
                        {c, ""},
                        {ms(r->timings.latency.p50), ""},
                        {ms(r->timings.latency.p99), ""},
                        {fmt::format("{:.4g}", r->throughput.samples_per_s), ""},
                        {versus, ""},
                        id_cell(*r)});
    }
  }
  s.figures.push_back({"comparison-bars", "comparison", svg::bar_chart(bars)});
  s.tables.push_back(std::move(t));
  return s;
}

// The model a record measures across formats: an experiment cell's model name (the ONNX and the
// TFLite file of one network share it), else the file's stem.
std::string model_family(const Record& r) {
  if (r.params.is_object()) {
    if (auto cell = r.params.find("cell"); cell != r.params.end() && cell->is_object()) {
      if (auto m = cell->find("model"); m != cell->end() && m->is_string()) {
        return m->get<std::string>();
      }
    }
  }
  return r.model.name;
}

std::optional<Section> runtimes_section(const std::vector<Record>& records) {
  // Per model: the newest bench and the newest eval per configuration (backend / variant).
  struct Entry {
    const Record* bench = nullptr;
    const Record* eval = nullptr;
  };
  std::map<std::string, std::map<std::string, Entry>> by_model;
  for (const Record& r : records) {  // newest first
    if (is_sweep(r) || !measured(r) || runtime_field(r.backend, "name").empty()) continue;
    std::string config = runtime_field(r.backend, "name") + " · " + r.backend.name;
    if (const std::string v = variant_of(r); !v.empty()) config += " / " + v;
    Entry& e = by_model[model_family(r)][config];
    if (r.command == "bench" && !e.bench) e.bench = &r;
    if (r.command == "eval" && !e.eval) e.eval = &r;
  }
  std::vector<std::string> models;
  std::set<std::string> configs;
  for (const auto& [model, by_config] : by_model) {
    std::set<std::string> runtimes;
    for (const auto& [c, e] : by_config) {
      runtimes.insert(runtime_field((e.bench ? e.bench : e.eval)->backend, "name"));
    }
    if (runtimes.size() < 2) continue;
    models.push_back(model);
    for (const auto& [c, e] : by_config) configs.insert(c);
  }
  if (models.empty()) return std::nullopt;
  Section s{"runtimes", "Runtimes", "", {}, {}};
  s.text =
      "One model across runtimes: the newest bench (latency) and eval (quality) result per "
      "runtime, backend and variant. Precision is what the runtime reports it computes in.";
  const double nan = std::numeric_limits<double>::quiet_NaN();
  svg::BarChart latency{"p50 latency by runtime",
                        "p50 latency (ms)",
                        models,
                        std::vector<std::string>(configs.begin(), configs.end()),
                        {},
                        760,
                        400};
  svg::BarChart quality{
      "top-1 accuracy by runtime", "top-1 (%)", models, latency.series_names, {}, 760, 400};
  bool any_quality = false;
  for (const std::string& c : latency.series_names) {
    std::vector<double> p50, top;
    for (const std::string& m : models) {
      auto it = by_model[m].find(c);
      const Entry* e = it == by_model[m].end() ? nullptr : &it->second;
      p50.push_back(e && e->bench ? e->bench->timings.latency.p50 : nan);
      const auto t1 = e && e->eval ? top1(*e->eval) : std::nullopt;
      top.push_back(t1 ? 100.0 * *t1 : nan);
      any_quality = any_quality || t1.has_value();
    }
    latency.values.push_back(std::move(p50));
    quality.values.push_back(std::move(top));
  }
  Table t{{"model", "runtime", "version", "device", "precision", "backend", "variant", "p50 ms",
           "p90 ms", "top-1 %", "mse", "bench", "eval"},
          {}};
  for (const std::string& m : models) {
    for (const auto& [c, e] : by_model[m]) {
      const Record& any = e.bench ? *e.bench : *e.eval;
      std::string device = runtime_field(any.backend, "device");
      if (const std::string d = runtime_field(any.backend, "delegate"); !d.empty()) {
        device += (device.empty() ? "" : " + ") + d;
      }
      const auto t1 = e.eval ? top1(*e.eval) : std::nullopt;
      const auto mse = e.eval ? number_at(e.eval->quality, "mse") : std::nullopt;
      t.rows.push_back({{m, ""},
                        {runtime_field(any.backend, "name"), ""},
                        {runtime_field(any.backend, "version"), ""},
                        {device, ""},
                        {runtime_field(any.backend, "precision"), ""},
                        {any.backend.name, ""},
                        {variant_of(any), ""},
                        {e.bench ? ms(e.bench->timings.latency.p50) : "-", ""},
                        {e.bench ? ms(e.bench->timings.latency.p90) : "-", ""},
                        {t1 ? fmt::format("{:.2f}", 100.0 * *t1) : "-", ""},
                        {mse ? fmt::format("{:.3g}", *mse) : "-", ""},
                        e.bench ? id_cell(*e.bench) : Cell{"-", ""},
                        e.eval ? id_cell(*e.eval) : Cell{"-", ""}});
    }
  }
  s.figures.push_back({"runtime-bars", "runtimes_latency", svg::bar_chart(latency)});
  if (any_quality) {
    s.figures.push_back({"runtime-quality-bars", "runtimes_quality", svg::bar_chart(quality)});
  }
  s.tables.push_back(std::move(t));
  return s;
}

// The machine that measured a record: a target's as it reported itself (its host name, else its
// CPU), or else this record's host.
std::string machine_of(const Record& r) {
  auto text = [](const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (const nlohmann::json& t = r.backend.target; t.is_object()) {
    if (std::string name = text(t, "hostname"); !name.empty()) return name;
    if (std::string cpu = text(t, "cpu"); !cpu.empty()) return cpu + " (target)";
  }
  return r.host.hostname.empty() ? r.host.cpu_model : r.host.hostname;
}

std::optional<Section> machines_section(const std::vector<Record>& records) {
  // config (model / variant / scenario / backend kind) -> machine -> newest bench record
  std::map<std::string, std::map<std::string, const Record*>> by_config;
  std::vector<std::string> machines;  // in order of first appearance, newest first
  for (const Record& r : records) {
    if (r.command != "bench" || !r.valid || is_sweep(r)) continue;
    const std::string machine = machine_of(r);
    if (machine.empty()) continue;
    std::string runtime = runtime_field(r.backend, "name");
    const std::string config =
        fmt::format("{} / {} / {}{}", model_family(r), variant_of(r).empty() ? "-" : variant_of(r),
                    r.scenario.name, runtime.empty() ? "" : " / " + runtime);
    by_config[config].try_emplace(machine, &r);
    if (std::find(machines.begin(), machines.end(), machine) == machines.end()) {
      machines.push_back(machine);
    }
  }
  if (machines.size() < 2) return std::nullopt;
  std::sort(machines.begin(), machines.end());
  std::vector<std::string> configs;
  for (const auto& [config, on] : by_config) {
    if (on.size() >= 2) configs.push_back(config);
  }
  if (configs.empty()) return std::nullopt;
  Section s{"machines", "Machines compared", "", {}, {}};
  s.text = fmt::format(
      "The same model, variant and scenario measured on {} machines (a target's own, as it "
      "reported itself, or the host's): the newest valid bench result on each, p50 latency, and "
      "its ratio to {}.",
      machines.size(), machines.front());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  svg::BarChart chart{
      "p50 latency by machine", "p50 latency (ms)", configs, machines, {}, 760, 400};
  std::vector<std::string> header = {"model / variant / scenario"};
  for (const std::string& m : machines) header.push_back(m + " p50 ms");
  for (std::size_t k = 1; k < machines.size(); ++k) header.push_back(machines[k] + " ratio");
  Table t{header, {}};
  for (const std::string& m : machines) {
    std::vector<double> p50;
    for (const std::string& c : configs) {
      const auto it = by_config[c].find(m);
      p50.push_back(it == by_config[c].end() ? nan : it->second->timings.latency.p50);
    }
    chart.values.push_back(std::move(p50));
  }
  for (std::size_t i = 0; i < configs.size(); ++i) {
    Row row = {{configs[i], ""}};
    for (std::size_t k = 0; k < machines.size(); ++k) {
      const auto it = by_config[configs[i]].find(machines[k]);
      row.push_back(it == by_config[configs[i]].end()
                        ? Cell{"-", ""}
                        : Cell{ms(it->second->timings.latency.p50), it->second->id});
    }
    const double first = chart.values[0][i];
    for (std::size_t k = 1; k < machines.size(); ++k) {
      const double v = chart.values[k][i];
      row.push_back({std::isfinite(first) && std::isfinite(v) && first > 0
                         ? fmt::format("{:.3f}", v / first)
                         : "-",
                     ""});
    }
    t.rows.push_back(std::move(row));
  }
  s.figures.push_back({"machine-bars", "machines_latency", svg::bar_chart(chart)});
  s.tables.push_back(std::move(t));
  return s;
}

std::optional<Section> accuracy_section(const std::vector<Record>& records) {
  std::vector<const Record*> rated;
  std::vector<std::pair<double, double>> points;
  for (const Record& r : records) {
    const auto t1 = top1(r);
    if (!t1 || !measured(r) || !(r.timings.latency.p50 > 0)) continue;
    rated.push_back(&r);
    points.emplace_back(r.timings.latency.p50, 100.0 * *t1);
  }
  if (rated.empty()) return std::nullopt;
  Section s{"accuracy", "Accuracy against latency", "", {}, {}};
  s.text =
      "Top-1 accuracy against p50 latency per evaluated run; the dashed line joins the "
      "Pareto front (no other run is both faster and more accurate).";
  svg::Chart chart{"Top-1 accuracy vs p50 latency",
                   {"p50 latency (ms)", false},
                   {"top-1 accuracy (%)", false},
                   {},
                   720,
                   400};
  svg::Series all{"runs", {}, {}, {}, false, true, false};
  for (std::size_t i = 0; i < rated.size(); ++i) {
    all.x.push_back(points[i].first);
    all.y.push_back(points[i].second);
    all.labels.push_back(rated[i]->model.name + " · " + config_of(*rated[i]));
  }
  svg::Series front{"Pareto front", {}, {}, {}, true, true, true};
  Table t{{"on front", "model", "configuration", "p50 ms", "top-1 %", "id"}, {}};
  const std::vector<std::size_t> on_front = pareto_front(points);
  const std::set<std::size_t> front_set(on_front.begin(), on_front.end());
  for (std::size_t i : on_front) {
    front.x.push_back(points[i].first);
    front.y.push_back(points[i].second);
    front.labels.push_back(all.labels[i]);
  }
  for (std::size_t i = 0; i < rated.size(); ++i) {
    t.rows.push_back({{front_set.contains(i) ? "yes" : "", ""},
                      {rated[i]->model.name, ""},
                      {config_of(*rated[i]), ""},
                      {ms(points[i].first), ""},
                      {fmt::format("{:.2f}", points[i].second), ""},
                      id_cell(*rated[i])});
  }
  chart.series = {std::move(all), std::move(front)};
  s.figures.push_back({"accuracy-vs-latency", "accuracy_vs_latency", svg::xy_chart(chart)});
  s.tables.push_back(std::move(t));
  return s;
}

std::optional<Section> confusion_section(const std::vector<Record>& records, std::size_t max) {
  Section s{"confusion",
            "Confusion matrices",
            "Rows: true class; columns: predicted class. The "
            "newest classification runs.",
            {},
            {}};
  for (const Record& r : records) {
    if (s.figures.size() >= max) break;
    if (!r.quality.is_object() || !r.quality.contains("confusion_matrix")) continue;
    const auto& cm = r.quality["confusion_matrix"];
    if (!cm.is_array() || cm.empty() || cm.size() > 40) continue;
    std::vector<std::vector<double>> matrix;
    bool ok = true;
    for (const auto& row : cm) {
      if (!row.is_array() || row.size() != cm.size()) {
        ok = false;
        break;
      }
      std::vector<double> values;
      for (const auto& v : row) values.push_back(v.is_number() ? v.get<double>() : 0.0);
      matrix.push_back(std::move(values));
    }
    if (!ok) continue;
    std::vector<std::string> labels;
    if (auto pc = r.quality.find("per_class"); pc != r.quality.end() && pc->is_array()) {
      for (const auto& c : *pc) labels.push_back(c.value("name", std::to_string(labels.size())));
    }
    s.figures.push_back(
        {"confusion-matrix", "confusion_" + r.id,
         svg::heat_map(fmt::format("{} on {} ({})", r.model.name, config_of(r), r.id.substr(0, 15)),
                       matrix, labels)});
  }
  if (s.figures.empty()) return std::nullopt;
  return s;
}

std::optional<Section> rating_section(const std::vector<Record>& records,
                                      const RatingOptions& options) {
  const std::vector<RatingRow> rows = efficiency_ratings(records, options);
  if (rows.empty()) return std::nullopt;
  Section s{"ratings", "Efficiency ratings", "", {}, {}};
  std::string weights;
  for (const auto& [m, w] : options.weights) weights += fmt::format("{} {:.2g}, ", m, w);
  if (weights.size() >= 2) weights.resize(weights.size() - 2);
  s.text = fmt::format(
      "Each metric scaled against the reference model{} in the same environment (host CPU / "
      "backend / threads): 1.00 is the reference, higher is better. Grades A-E from the quintile "
      "boundaries of the scaled values over all rated runs; compound index: weighted mean of the "
      "scaled metrics a run has (weights: {}).",
      options.reference_model.empty() ? " (the first by name)"
                                      : " '" + options.reference_model + "'",
      weights);
  Table t{{"model", "variant", "environment"}, {}};
  for (const std::string& m : kMetrics) t.header.push_back(m);
  t.header.push_back("compound");
  t.header.push_back("id");
  for (const RatingRow& row : rows) {
    Row cells{{row.model, ""}, {row.variant, ""}, {row.environment, ""}};
    for (const std::string& m : kMetrics) {
      auto it = row.scaled.find(m);
      cells.push_back(
          {it == row.scaled.end() ? "" : fmt::format("{:.2f} ({})", it->second, row.grades.at(m)),
           ""});
    }
    cells.push_back({fmt::format("{:.2f} ({})", row.compound, row.compound_grade), ""});
    cells.push_back({row.id, row.id});
    t.rows.push_back(std::move(cells));
  }
  s.tables.push_back(std::move(t));
  return s;
}

std::optional<Section> per_run_section(const std::vector<Record>& records,
                                       const ReportOptions& options) {
  Section s{"per-run", "Latency of each run", "", {}, {}};
  std::size_t runs = 0, skipped = 0;
  for (const Record& r : records) {
    std::vector<double> lat = raw_latencies(r);
    if (lat.empty()) continue;
    if (runs >= options.max_runs) {
      ++skipped;
      continue;
    }
    ++runs;
    const std::string title =
        fmt::format("{} · {} · {}", r.model.name, config_of(r), r.scenario.name);
    s.figures.push_back({"latency-histogram", "histogram_" + r.id,
                         svg::histogram("Latency histogram: " + title, "latency (ms)", lat)});
    svg::Series over{"", {}, {}, {}, true, false, false};
    const std::size_t step = std::max<std::size_t>(
        1, (lat.size() + options.max_plot_points - 1) / options.max_plot_points);
    for (std::size_t i = 0; i < lat.size(); i += step) {
      over.x.push_back(static_cast<double>(i));
      over.y.push_back(lat[i]);
    }
    svg::Chart chart{"Latency over time: " + title,
                     {"query (issue order)", false},
                     {"latency (ms)", false},
                     {std::move(over)},
                     480,
                     260};
    s.figures.push_back({"latency-over-time", "over_time_" + r.id, svg::xy_chart(chart)});
  }
  if (runs == 0) return std::nullopt;
  s.text = fmt::format("The newest {} runs with raw latencies{}.", runs,
                       skipped ? fmt::format(" ({} older ones not drawn)", skipped) : "");
  return s;
}

std::vector<Section> build_sections(const std::vector<Record>& records,
                                    const ReportOptions& options) {
  std::vector<Section> sections;
  sections.push_back(runs_section(records));
  for (auto section :
       {failures_section(records), sweep_section(records), comparison_section(records),
        runtimes_section(records), machines_section(records), accuracy_section(records),
        confusion_section(records, 6), rating_section(records, options.rating),
        per_run_section(records, options)}) {
    if (section) sections.push_back(std::move(*section));
  }
  return sections;
}

// The record's JSON as embedded in the page: raw latencies cut to the first 200.
std::string embedded_json(const Record& r) {
  nlohmann::json j = to_json(r);
  if (auto it = j.find("latencies_ms"); it != j.end() && it->is_array() && it->size() > 200) {
    const std::size_t n = it->size();
    nlohmann::json head = nlohmann::json::array();
    for (std::size_t i = 0; i < 200; ++i) head.push_back((*it)[i]);
    *it = std::move(head);
    j["latencies_ms_note"] = fmt::format("first 200 of {} shown", n);
  }
  return j.dump(2);
}

constexpr const char* kStyle = R"(
body{font-family:sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:12px;margin:8px 0}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left}th{background:#f3f3f3}
tr:nth-child(even) td{background:#fafafa}
figure.eb-plot{display:inline-block;margin:6px;vertical-align:top}
pre{font-size:11px;background:#f7f7f7;padding:8px;overflow:auto;max-height:400px}
details{margin:2px 0}.note{color:#555;font-size:13px}
)";

// Catches script errors and console errors from the start, and after load marks the page with
// how many plots rendered (a browser test reads the marker from the DOM).
constexpr const char* kHeadScript = R"(
window.ebErrors = [];
window.addEventListener('error', function (e) { window.ebErrors.push(String(e.message)); });
(function () {
  var original = console.error;
  console.error = function () {
    window.ebErrors.push(Array.prototype.join.call(arguments, ' '));
    original.apply(console, arguments);
  };
})();
)";
constexpr const char* kCheckScript = R"(
(function () {
  function check() {
    var figures = document.querySelectorAll('figure.eb-plot');
    var rendered = 0, failed = [];
    figures.forEach(function (f) {
      var svg = f.querySelector('svg');
      var box = svg ? svg.getBoundingClientRect() : null;
      if (svg && box.width > 0 && box.height > 0 && svg.querySelectorAll('text').length > 0) {
        rendered++;
      } else {
        failed.push(f.getAttribute('data-plot'));
      }
    });
    var marker = document.createElement('div');
    marker.id = failed.length || window.ebErrors.length ? 'eb-render-error' : 'eb-render-ok';
    marker.setAttribute('data-plots', String(rendered));
    marker.setAttribute('data-expected', String(figures.length));
    marker.setAttribute('data-failed', failed.join(','));
    marker.setAttribute('data-errors', window.ebErrors.join(' | '));
    marker.style.display = 'none';
    document.body.appendChild(marker);
  }
  if (document.readyState === 'complete') check(); else window.addEventListener('load', check);
})();
)";

std::string html_table(const Table& t) {
  std::string out = "<table><thead><tr>";
  for (const std::string& h : t.header) out += "<th>" + svg::escape(h) + "</th>";
  out += "</tr></thead><tbody>";
  for (const Row& row : t.rows) {
    out += "<tr>";
    for (const Cell& c : row) {
      if (c.link.empty()) {
        out += "<td>" + svg::escape(c.text) + "</td>";
      } else {
        out += fmt::format("<td><a href=\"#rec-{}\">{}</a></td>", svg::escape(c.link),
                           svg::escape(c.text));
      }
    }
    out += "</tr>";
  }
  return out + "</tbody></table>";
}

std::string md_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string md_table(const Table& t) {
  std::string out = "|";
  for (const std::string& h : t.header) out += " " + md_escape(h) + " |";
  out += "\n|";
  for (std::size_t i = 0; i < t.header.size(); ++i) out += " --- |";
  out += "\n";
  for (const Row& row : t.rows) {
    out += "|";
    for (const Cell& c : row) {
      out += c.link.empty() ? " " + md_escape(c.text) + " |"
                            : fmt::format(" [{}](#rec-{}) |", md_escape(c.text), c.link);
    }
    out += "\n";
  }
  return out;
}

}  // namespace

Result<std::map<std::string, double>> parse_weights(const std::string& text) {
  std::map<std::string, double> weights;
  for (const std::string& m : kMetrics) weights[m] = 0;
  std::size_t start = 0;
  double total = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, end - start);
    const std::size_t eq = item.find('=');
    const std::string name = item.substr(0, eq);
    if (eq == std::string::npos ||
        std::find(kMetrics.begin(), kMetrics.end(), name) == kMetrics.end()) {
      return invalid_argument(fmt::format(
          "--weights '{}': '{}' is not METRIC=WEIGHT with METRIC one of latency, throughput, "
          "memory, energy, accuracy",
          text, item));
    }
    char* stop = nullptr;
    const std::string number = item.substr(eq + 1);
    const double w = std::strtod(number.c_str(), &stop);
    if (number.empty() || *stop != '\0' || !std::isfinite(w) || w < 0) {
      return invalid_argument(
          fmt::format("--weights '{}': the weight of {} must be a number >= 0", text, name));
    }
    weights[name] = w;
    total += w;
    start = end + 1;
  }
  if (total <= 0) return invalid_argument(fmt::format("--weights '{}': all weights are 0", text));
  return weights;
}

char grade(double value, std::vector<double> population) {
  if (population.empty()) return 'C';
  // The value's mid-rank quantile in the population: the share of values below it, plus half
  // of those equal to it (so that a population of one, or of equals, grades C).
  double below = 0, equal = 0;
  for (double v : population) {
    if (v < value) {
      below += 1;
    } else if (v == value) {
      equal += 1;
    }
  }
  const double q = (below + 0.5 * equal) / static_cast<double>(population.size());
  if (q >= 0.8) return 'A';
  if (q >= 0.6) return 'B';
  if (q >= 0.4) return 'C';
  if (q >= 0.2) return 'D';
  return 'E';
}

std::vector<RatingRow> efficiency_ratings(const std::vector<Record>& records,
                                          const RatingOptions& options) {
  std::vector<RatingRow> rows;
  for (const Record& r : records) {
    if (r.command != "bench" && r.command != "eval") continue;
    RatingRow row;
    row.id = r.id;
    row.model = r.model.name;
    row.variant = variant_of(r);
    row.environment = environment_of(r);
    if (r.timings.latency.p50 > 0) row.raw["latency"] = r.timings.latency.p50;
    if (r.throughput.samples_per_s > 0) row.raw["throughput"] = r.throughput.samples_per_s;
    if (r.memory.peak_rss_bytes > 0)
      row.raw["memory"] = static_cast<double>(r.memory.peak_rss_bytes);
    if (r.energy.available && r.energy.joules > 0 && r.timings.latency.count > 0) {
      row.raw["energy"] = r.energy.joules / static_cast<double>(r.timings.latency.count);
    }
    if (const auto t1 = top1(r); t1 && *t1 > 0) row.raw["accuracy"] = *t1;
    if (!row.raw.empty()) rows.push_back(std::move(row));
  }
  // The reference per environment and metric: the reference model's newest value there, else
  // the median over the environment.
  std::map<std::string, std::map<std::string, double>> reference;
  std::map<std::string, std::string> reference_model;  // environment -> model
  for (const RatingRow& row : rows) {
    std::string& chosen = reference_model[row.environment];
    const bool requested = !options.reference_model.empty() && chosen == options.reference_model;
    if (row.model == options.reference_model) {
      chosen = row.model;
    } else if (!requested && (chosen.empty() || row.model < chosen)) {
      chosen = row.model;
    }
  }
  for (const std::string& m : kMetrics) {
    std::map<std::string, std::vector<double>> values;
    for (const RatingRow& row : rows) {
      auto it = row.raw.find(m);
      if (it == row.raw.end()) continue;
      values[row.environment].push_back(it->second);
      if (row.model == reference_model[row.environment] &&
          !reference[row.environment].contains(m)) {
        reference[row.environment][m] = it->second;  // rows are newest first
      }
    }
    for (auto& [env, v] : values) {
      if (reference[env].contains(m)) continue;
      std::sort(v.begin(), v.end());
      reference[env][m] = v[(v.size() - 1) / 2];
    }
  }
  const std::set<std::string> lower_is_better = {"latency", "memory", "energy"};
  std::map<std::string, std::vector<double>> population;
  for (RatingRow& row : rows) {
    double weighted = 0, weight = 0;
    for (const auto& [m, value] : row.raw) {
      const double ref = reference[row.environment][m];
      if (!(ref > 0) || !(value > 0)) continue;
      const double scaled = lower_is_better.contains(m) ? ref / value : value / ref;
      row.scaled[m] = scaled;
      population[m].push_back(scaled);
      const auto w = options.weights.find(m);
      if (w != options.weights.end() && w->second > 0) {
        weighted += w->second * scaled;
        weight += w->second;
      }
    }
    row.compound = weight > 0 ? weighted / weight : 0;
    population["compound"].push_back(row.compound);
  }
  for (RatingRow& row : rows) {
    for (const auto& [m, scaled] : row.scaled) row.grades[m] = grade(scaled, population[m]);
    row.compound_grade = grade(row.compound, population["compound"]);
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const RatingRow& a, const RatingRow& b) { return a.compound > b.compound; });
  return rows;
}

std::vector<std::size_t> pareto_front(const std::vector<std::pair<double, double>>& points) {
  std::vector<std::size_t> order(points.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  // By latency, then by accuracy (best first), so that a point is on the front exactly when it
  // is more accurate than every faster point.
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (points[a].first != points[b].first) return points[a].first < points[b].first;
    return points[a].second > points[b].second;
  });
  std::vector<std::size_t> front;
  double best = -std::numeric_limits<double>::infinity();
  for (std::size_t i : order) {
    if (!std::isfinite(points[i].first) || !std::isfinite(points[i].second)) continue;
    if (points[i].second > best) {
      front.push_back(i);
      best = points[i].second;
    }
  }
  return front;
}

std::string render_html(const std::vector<Record>& records, const ReportOptions& options) {
  std::string out = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">";
  out += "<title>" + svg::escape(options.title) + "</title>";
  out += fmt::format("<style>{}</style><script>{}</script></head><body>", kStyle, kHeadScript);
  out += "<h1>" + svg::escape(options.title) + "</h1>";
  out += fmt::format(
      "<p class=\"note\">{} results{}. Latencies in milliseconds; percentiles are nearest-rank "
      "on the sorted latencies. Memory in MiB (2^20 bytes).</p>",
      records.size(), options.db_path.empty() ? "" : " from " + svg::escape(options.db_path));
  const std::vector<Section> sections = build_sections(records, options);
  out += "<nav><ul>";
  for (const Section& s : sections) {
    out += fmt::format("<li><a href=\"#{}\">{}</a></li>", s.id, svg::escape(s.title));
  }
  out += "<li><a href=\"#raw\">Raw results</a></li></ul></nav>";
  for (const Section& s : sections) {
    out += fmt::format("<section id=\"{}\"><h2>{}</h2>", s.id, svg::escape(s.title));
    if (!s.text.empty()) out += "<p class=\"note\">" + svg::escape(s.text) + "</p>";
    for (const Figure& f : s.figures) {
      out += fmt::format("<figure class=\"eb-plot\" data-plot=\"{}\">{}</figure>", f.kind, f.svg);
    }
    for (const Table& t : s.tables) out += html_table(t);
    out += "</section>";
  }
  out += "<section id=\"raw\"><h2>Raw results</h2>";
  out += fmt::format(
      "<p class=\"note\">Every record as stored (<code>edgebench results show ID --json{}</code> "
      "prints it whole).</p>",
      options.db_path.empty() ? "" : " --db " + svg::escape(options.db_path));
  for (const Record& r : records) {
    out += fmt::format(
        "<details id=\"rec-{0}\"><summary>{0} · {1} · {2}</summary><pre>{3}</pre>"
        "</details>",
        svg::escape(r.id), svg::escape(r.model.name), svg::escape(config_of(r)),
        svg::escape(embedded_json(r)));
  }
  out += "</section>";
  out += fmt::format("<script>{}</script></body></html>\n", kCheckScript);
  return out;
}

std::string render_markdown(const std::vector<Record>& records, const ReportOptions& options,
                            const std::string& figures_dir,
                            std::vector<std::pair<std::string, std::string>>& figures) {
  std::string out = "# " + md_escape(options.title) + "\n\n";
  out += fmt::format(
      "{} results{}. Latencies in milliseconds; percentiles are nearest-rank on the sorted "
      "latencies. Memory in MiB.\n\n",
      records.size(), options.db_path.empty() ? "" : " from `" + options.db_path + "`");
  for (const Section& s : build_sections(records, options)) {
    out += "## " + md_escape(s.title) + "\n\n";
    if (!s.text.empty()) out += s.text + "\n\n";
    for (const Figure& f : s.figures) {
      const std::string file = f.name + ".svg";
      figures.emplace_back(file, f.svg);
      out += fmt::format("![{}]({}/{})\n\n", f.kind, figures_dir, file);
    }
    for (const Table& t : s.tables) out += md_table(t) + "\n";
  }
  out += "## Raw results\n\n";
  for (const Record& r : records) {
    out += fmt::format(
        "<a id=\"rec-{}\"></a>\n<details><summary>{} · {} · "
        "{}</summary>\n\n```json\n{}\n```\n\n</details>\n\n",
        r.id, r.id, md_escape(r.model.name), md_escape(config_of(r)), embedded_json(r));
  }
  return out;
}

}  // namespace edgebench::results
