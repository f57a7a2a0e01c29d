// edgebench run-experiment FILE.json: a grid of models x variants x backends x scenarios (and a
// quality pass per model, variant and backend where the model has a dataset). Every cell's
// result goes to the store under a key; a failed cell is stored with its error and the rest go
// on; a cell already stored is skipped, so an interrupted experiment resumes where it stopped.
//
//   {
//     "name": "fashion-study",
//     "models": [
//       {"name": "cnn", "path": "../models/fashion_mnist_cnn.onnx",
//        "dataset": "fashion-mnist:/usr/share/datasets/fashion-mnist:test",
//        "calibration": "fashion-mnist:/usr/share/datasets/fashion-mnist:train"},
//       {"name": "conv16", "generate": {"kind": "conv", "filters": 16, "layers": 3, "input": 32}}
//     ],
//     "variants": {"float": "", "int8": "--quantize int8 --calibration {calibration}"},
//     "backends": ["native", "native-ref", "onnxruntime", "tflite"],
//     "scenarios": ["single-stream"],
//     "bench": {"warmup": 5, "min_queries": 50, "min_duration": 0.2, "threads": 1},
//     "quality": {"limit": 500}
//   }
//
// Models in other formats: a model names, per variant, the file a runtime reads instead of the
// ONNX variant, `"files": {"float": {"tflite": "m_float32.tflite"}, "int8": {...}}`, and a
// variant may name one for every model, `"int8": {"flags": "...", "files": {"tflite": "..."}}`
// (the model's wins). The `tflite` backend runs only such files; the other backends run ONNX. A
// cell whose backend cannot read the (model, variant)'s format is skipped with the reason, not
// failed.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <thread>

#include "common.h"
#include "edgebench/backends/backend.h"
#include "edgebench/core/hash.h"
#include "edgebench/gen/generators.h"
#include "edgebench/onnx/model_io.h"
#include "edgebench/results/ids.h"
#include "edgebench/results/store.h"
#include "experiment_file.h"
#include "host_info.h"
#include "results_commands.h"
#include "slurm.h"
#include "sweep_commands.h"
#include "target_pool.h"

namespace edgebench::cli {

namespace {

namespace fs = std::filesystem;
// Ordered, so that cells run in the order the file lists variants.
using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

struct Cell {
  const ModelEntry* model;
  std::string variant;
  std::string backend;
  std::string scenario;  // a bench scenario, or "eval" for the quality pass
  json params;
  std::string key;
  fs::path file;     // the model file in the backend's own format, when not the ONNX variant
  std::string skip;  // why the cell cannot run (its backend cannot read the model's format)
};

// A generated model's graph, from the spec its entry holds.
Result<ir::Graph> generate(const ModelEntry& m) {
  if (m.conv) return gen::generate_conv(*m.conv);
  return gen::generate_dense(*m.dense);
}

// The formats a backend reads: "tflite" for the TFLite runtime, "onnx" for the others.
std::string format_of_backend(const std::string& backend) {
  return backend == "tflite" || backend.starts_with("tflite?") ? "tflite" : "onnx";
}

// The experiment in `file`, with its backend names and optimize flags checked.
Result<Experiment> parse_experiment(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return not_found(fmt::format("experiment file '{}' cannot be read", file.string()));
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return io_error(fmt::format("experiment file '{}': read failed", file.string()));
  EB_ASSIGN_OR_RETURN(Experiment e, parse_experiment_text(text, file));
  for (const Variant& v : e.variants) {
    if (auto words = split_words(v.flags); !words.is_ok()) {
      return invalid_argument(
          fmt::format("{}: variants.{}: {}", file.string(), v.name, words.status().message()));
    }
  }
  for (std::size_t i = 0; i < e.backends.size(); ++i) {
    const Status checked = is_pool_selector(e.backends[i])
                               ? pool_selector_labels(e.backends[i]).status()
                               : backends::make_backend(e.backends[i]).status();
    if (!checked.is_ok()) {
      return invalid_argument(
          fmt::format("{}: backends[{}]: {}", file.string(), i, checked.message()));
    }
  }
  return e;
}

// The file a backend runs for (model, variant) when it is not the ONNX variant, or why the
// backend cannot run that cell. `file` empty and `skip` empty: the ONNX variant.
void resolve_format(const ModelEntry& m, const Variant& v, const std::string& backend,
                    fs::path& file, std::string& skip) {
  const std::string format = format_of_backend(backend);
  if (auto mv = m.files.find(v.name); mv != m.files.end()) {
    if (auto it = mv->second.find(format); it != mv->second.end()) {
      file = it->second;
      return;
    }
  }
  if (auto it = v.files.find(format); it != v.files.end()) {
    file = it->second;
    return;
  }
  const bool model_is_tflite = m.path.extension() == ".tflite";
  if (format == "tflite" && !model_is_tflite) {
    skip = fmt::format(
        "backend {} reads .tflite models; model {} variant {} names no tflite file (add "
        "\"files\": {{\"{}\": {{\"tflite\": \"FILE.tflite\"}}}} to the model)",
        backend, m.name, v.name, v.name);
  } else if (format == "onnx" && model_is_tflite) {
    skip = fmt::format("backend {} reads ONNX models; model {} is a TFLite model ({})", backend,
                       m.name, m.path.filename().string());
  } else if (model_is_tflite && !v.flags.empty()) {
    skip =
        fmt::format("variant {} optimizes ONNX models; model {} is a TFLite model", v.name, m.name);
  }
}

std::vector<Cell> make_cells(const Experiment& e) {
  std::vector<Cell> cells;
  for (const ModelEntry& m : e.models) {
    for (const Variant& v : e.variants) {
      const std::string& variant = v.name;
      const std::string& flags = v.flags;
      for (const std::string& backend : e.backends) {
        fs::path file;
        std::string skip;
        resolve_format(m, v, backend, file, skip);
        std::vector<std::string> scenarios = e.scenarios;
        if (!m.dataset.empty()) scenarios.push_back("eval");
        for (const std::string& scenario : scenarios) {
          Cell c{&m, variant, backend, scenario, {}, {}, file, skip};
          c.params = {{"experiment", e.name},
                      {"cell",
                       {{"model", m.name},
                        {"variant", variant},
                        {"backend", backend},
                        {"scenario", scenario}}}};
          c.key = fmt::format(
              "experiment|{}|model={}|variant={}|flags={}|backend={}|"
              "scenario={}|threads={}",
              e.name, m.name, variant, flags, backend, scenario, e.bench.threads);
          if (!file.empty()) c.key += "|file=" + file.string();
          cells.push_back(std::move(c));
        }
      }
    }
  }
  return cells;
}

Result<bool> selected(const Cell& c, const std::vector<std::string>& only) {
  for (const std::string& filter : only) {
    const auto eq = filter.find('=');
    if (eq == std::string::npos) {
      return invalid_argument(fmt::format("--only '{}': expected KEY=VALUE", filter));
    }
    const std::string key = filter.substr(0, eq);
    const std::string value = filter.substr(eq + 1);
    const json& cell = c.params["cell"];
    if (!cell.contains(key)) {
      return invalid_argument(fmt::format(
          "--only '{}': unknown key '{}' (model, variant, backend, scenario)", filter, key));
    }
    if (cell[key] != value) return false;
  }
  return true;
}

// The model file of a (model, variant): generated and optimized once, into the experiment's
// work folder, under a name that changes when the source or the flags change; written whole
// (temporary file, then rename) so that an interrupted run never leaves half a model behind.
std::string text_tag(const std::string& text) {
  return sha256_hex(std::as_bytes(std::span(text.data(), text.size())));
}

Result<fs::path> variant_model(const ModelEntry& m, const std::string& variant,
                               const std::string& flags, const fs::path& work) {
  std::error_code ec;
  fs::create_directories(work, ec);
  if (ec) {
    return invalid_argument(
        fmt::format("cannot create the work folder '{}': {}", work.string(), ec.message()));
  }
  fs::path source = m.path;
  if (!m.generate.is_null()) {
    const std::string tag = text_tag(m.generate.dump()).substr(0, 12);
    source = work / fmt::format("generated.{}", tag) / (m.name + ".onnx");
    if (!fs::exists(source)) {
      fs::create_directories(source.parent_path(), ec);
      Result<ir::Graph> graph = generate(m);
      EB_RETURN_IF_ERROR(graph.status());
      const fs::path tmp = source.parent_path() / (m.name + fmt::format(".tmp{}.onnx", ::getpid()));
      EB_RETURN_IF_ERROR(onnx::save_model(*graph, tmp));
      fs::rename(tmp, source, ec);
      if (ec)
        return internal_error(fmt::format("cannot rename '{}': {}", tmp.string(), ec.message()));
    }
  }
  if (flags.empty()) return source;
  std::string expanded = flags;
  for (std::size_t at; (at = expanded.find("{calibration}")) != std::string::npos;) {
    expanded.replace(at, std::string_view("{calibration}").size(), m.calibration);
  }
  EB_ASSIGN_OR_RETURN(std::string source_sha, sha256_file(source));
  const std::string tag = text_tag(source_sha + "|" + expanded).substr(0, 12);
  // The variant's file keeps the model's name as its stem (records name models by file stem).
  const fs::path dir = work / fmt::format("{}.{}", variant, tag);
  const fs::path out = dir / (m.name + ".onnx");
  if (fs::exists(out)) return out;
  fs::create_directories(dir, ec);
  const fs::path tmp = dir / (m.name + fmt::format(".tmp{}.onnx", ::getpid()));
  EB_RETURN_IF_ERROR(optimize_with_flags(source.string(), tmp.string(), expanded));
  fs::rename(tmp, out, ec);
  if (ec) return internal_error(fmt::format("cannot rename '{}': {}", tmp.string(), ec.message()));
  return out;
}

// A cell that could not run: stored with its error so that the report shows it.
results::Record failed_record(const Experiment& e, const Cell& c, const std::string& error) {
  results::Record r;
  results::stamp_new_record(r);
  r.command = "experiment";
  r.label = e.name;
  r.valid = false;
  r.invalid_reasons = {error};
  r.model.path = c.model->path.string();
  r.model.name = c.model->name;
  r.backend.name = c.backend;
  r.backend.threads = e.bench.threads;
  r.scenario.name = c.scenario;
  r.host = collect_host_info();
  r.params = c.params;
  return r;
}

struct Failure {
  const Cell* cell;
  std::string error;
};

// Runs one cell on a backend and returns the error text when it failed.
using RunCell = std::function<std::string(const Cell&, const std::string& backend, const json&)>;
// Prints the progress line of a cell as it starts (called with the progress lock held).
using Announce = std::function<void(const Cell&, const std::string& where)>;

// Runs the pool cells: one worker thread per target, so a target never has two sessions; each
// takes the next queued cell whose selector its labels match. A cell that fails on a target that
// no longer answers goes back to the queue for another matching target, and that target's worker
// stops; other failures are the cell's. Cells that no live target matches fail at the end. The
// cell's key does not name the target, so a cell is stored once whichever target ran it.
std::vector<Failure> run_pool(const std::vector<const Cell*>& cells,
                              const std::vector<PoolTarget>& pool, const RunCell& run_cell,
                              const Announce& announce, std::mutex& progress) {
  constexpr int kProbeTimeoutMs = 3000;
  std::deque<const Cell*> queued(cells.begin(), cells.end());
  std::map<const Cell*, std::map<std::string, std::string>> wanted;
  for (const Cell* c : cells) wanted[c] = *pool_selector_labels(c->backend);  // checked before
  std::size_t in_flight = 0;
  std::condition_variable changed;
  std::vector<Failure> failed;
  std::vector<std::string> lost;

  auto work = [&](const PoolTarget& target) {
    auto next_match = [&] {
      return std::find_if(queued.begin(), queued.end(),
                          [&](const Cell* c) { return pool_target_matches(target, wanted.at(c)); });
    };
    for (;;) {
      const Cell* cell = nullptr;
      {
        std::unique_lock lock(progress);
        // Wait while nothing matches but a running cell may still come back to the queue.
        changed.wait(lock, [&] { return next_match() != queued.end() || in_flight == 0; });
        auto it = next_match();
        if (it == queued.end()) return;
        cell = *it;
        queued.erase(it);
        ++in_flight;
        announce(*cell, target.spec);
      }
      json params = cell->params;
      params["target"] = {{"spec", target.spec}, {"labels", target.labels}};
      const std::string error = run_cell(*cell, target.spec, params);
      const bool gone = !error.empty() && !pool_target_reachable(target, kProbeTimeoutMs);
      {
        std::lock_guard lock(progress);
        --in_flight;
        if (gone) {
          queued.push_front(cell);
          lost.push_back(target.spec);
          fmt::print(stderr,
                     "  target {} no longer answers ({}); its cell goes back to the queue\n",
                     target.spec, error);
        } else if (!error.empty()) {
          fmt::print(stderr, "  failed on {}: {}\n", target.spec, error);
          failed.push_back({cell, error});
        }
      }
      changed.notify_all();
      if (gone) return;
    }
  };
  std::vector<std::thread> workers;
  for (const PoolTarget& target : pool) workers.emplace_back(work, std::cref(target));
  for (std::thread& w : workers) w.join();
  for (const Cell* c : queued) {
    std::string error =
        fmt::format("no live target of the pool matches backend '{}'{}", c->backend,
                    lost.empty() ? "" : fmt::format(" (lost: {})", fmt::join(lost, ", ")));
    fmt::print(stderr, "  failed: {} {} {}: {}\n", c->model->name, c->variant, c->scenario, error);
    failed.push_back({c, std::move(error)});
  }
  return failed;
}

// The keys a Slurm task runs: lines task*chunk .. task*chunk+chunk-1 of the cells file.
Result<std::set<std::string>> task_share(const std::string& file, std::size_t task,
                                         std::size_t chunk) {
  std::ifstream in(file);
  if (!in) return not_found(fmt::format("--cells-file '{}' cannot be opened", file));
  if (chunk == 0) return invalid_argument("--chunk must be at least 1");
  std::set<std::string> keys;
  std::size_t line = 0;
  for (std::string key; std::getline(in, key); ++line) {
    if (line / chunk == task && !key.empty()) keys.insert(key);
  }
  if (keys.empty()) {
    return invalid_argument(
        fmt::format("--cells-file '{}' has no cells for task {} (chunk {})", file, task, chunk));
  }
  return keys;
}

// The submitted arrays' record, in the experiment's slurm folder: one line per array, "JOB_ID
// CHUNK CELLS_FILE", so that --status can tell which cells Slurm still holds.
fs::path slurm_jobs_file(const fs::path& work) { return work / "slurm" / "jobs.tsv"; }

// Cell key -> Slurm state (PENDING, RUNNING, ...) of the task that holds it.
std::map<std::string, std::string> cells_in_slurm(const std::vector<QueuedTask>& queued,
                                                  const fs::path& work) {
  std::map<std::string, std::pair<std::size_t, std::string>> arrays;  // job -> chunk, file
  std::ifstream jobs(slurm_jobs_file(work));
  for (std::string job, file; std::getline(jobs, job, '\t');) {
    std::size_t chunk = 1;
    jobs >> chunk;
    jobs.ignore(1);
    std::getline(jobs, file);
    arrays[job] = {std::max<std::size_t>(chunk, 1), file};
  }
  std::map<std::string, std::string> state;
  for (const QueuedTask& t : queued) {
    auto it = arrays.find(t.job_id);
    if (it == arrays.end()) continue;
    auto keys = task_share(it->second.second, t.task, it->second.first);
    if (!keys.is_ok()) continue;
    for (const std::string& key : *keys) state[key] = t.state;
  }
  return state;
}

// run-experiment --status: which cells are stored, held by Slurm (pending or running), failed
// (stored with their error) or missing.
int print_status(const Experiment& e, const std::vector<Cell>& cells, results::Store& store,
                 const fs::path& work) {
  const std::string job = "edgebench-" + e.name;
  auto queued = queued_tasks(job);
  const std::map<std::string, std::string> in_slurm =
      queued.is_ok() ? cells_in_slurm(*queued, work) : std::map<std::string, std::string>();
  std::size_t done = 0, skipped = 0;
  std::map<std::string, std::vector<std::string>> listed;  // state -> cells
  for (const Cell& c : cells) {
    if (!c.skip.empty()) {
      ++skipped;
      continue;
    }
    auto stored = store.contains(c.key);
    if (!stored.is_ok()) return report_error(stored.status());
    if (*stored) {
      ++done;
      continue;
    }
    std::string state;
    if (auto it = in_slurm.find(c.key); it != in_slurm.end()) {
      state = it->second == "RUNNING" ? "running" : "pending";
    } else {
      auto tried = store.contains(c.key + "|failed");
      if (!tried.is_ok()) return report_error(tried.status());
      state = *tried ? "failed" : "missing";
    }
    listed[state].push_back(
        fmt::format("{} {} {} {}", c.model->name, c.variant, c.backend, c.scenario));
  }
  auto count = [&](const char* state) {
    auto it = listed.find(state);
    return it == listed.end() ? std::size_t{0} : it->second.size();
  };
  fmt::print(
      "experiment {} in {}: {} cells, {} done, {} running, {} pending, {} failed, {} missing{}\n",
      e.name, store.name(), cells.size() - skipped, done, count("running"), count("pending"),
      count("failed"), count("missing"),
      skipped ? fmt::format(", {} skipped (format)", skipped) : "");
  fmt::print("  slurm: {}\n",
             queued.is_ok()
                 ? fmt::format("{} task(s) of job {} pending or running", queued->size(), job)
                 : "not reachable (" + queued.status().message() + ")");
  for (const char* state : {"running", "pending", "failed", "missing"}) {
    if (auto it = listed.find(state); it != listed.end()) {
      for (const std::string& cell : it->second) fmt::print("  {:<8} {}\n", state, cell);
    }
  }
  return kExitOk;
}

// run-experiment --slurm: the cells still to run as job arrays, one per Slurm license (cells
// whose backend has none share one array), each task running --chunk cells of a cells file
// through this edgebench into the same store. With --wait, waits for Slurm to finish them and
// reports the experiment's status.
int submit_to_slurm(const ExperimentOptions& options, const Experiment& e, const std::string& db,
                    const fs::path& work, const std::vector<const Cell*>& todo,
                    results::Store& store) {
  std::map<std::string, std::string> license_of;  // backend -> license
  for (const std::string& item : options.slurm_licenses) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
      return report_error(
          invalid_argument(fmt::format("--slurm-license '{}': expected BACKEND=LICENSE", item)));
    }
    license_of[item.substr(0, eq)] = item.substr(eq + 1);
  }
  for (const Cell* c : todo) {
    if (is_pool_selector(c->backend)) {
      return report_error(invalid_argument(fmt::format(
          "backend '{}': pool cells run with --targets, not --slurm (give each board a Slurm "
          "license and its own backend instead)",
          c->backend)));
    }
  }
  // Cells that an earlier submission's tasks still hold are not submitted again.
  const std::string job = "edgebench-" + e.name;
  auto held = queued_tasks(job);
  if (!held.is_ok()) return report_error(held.status());
  const std::map<std::string, std::string> in_slurm = cells_in_slurm(*held, work);
  std::vector<const Cell*> to_submit;
  for (const Cell* c : todo) {
    if (!in_slurm.contains(c->key)) to_submit.push_back(c);
  }
  if (to_submit.size() < todo.size()) {
    fmt::print("{} cell(s) already pending or running in Slurm\n", todo.size() - to_submit.size());
  }
  if (to_submit.empty()) {
    fmt::print("nothing to submit\n");
    return kExitOk;
  }
  std::map<std::string, std::vector<const Cell*>> by_license;
  for (const Cell* c : to_submit) {
    auto it = license_of.find(c->backend);
    by_license[it == license_of.end() ? "" : it->second].push_back(c);
  }
  std::error_code ec;
  const fs::path dir = fs::absolute(work / "slurm", ec);
  fs::create_directories(dir, ec);
  if (ec) {
    return report_error(
        io_error(fmt::format("cannot create '{}': {}", dir.string(), ec.message())));
  }
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return report_error(internal_error("cannot find this edgebench's own path"));
  // A file store is named by its absolute path: tasks may start elsewhere.
  const std::string task_db = results::is_database_url(db) ? db : fs::absolute(db).string();
  const std::size_t chunk = std::max<std::size_t>(options.chunk, 1);
  const std::string stamp = results::new_record_id();
  std::size_t group = 0;
  for (const auto& [license, group_cells] : by_license) {
    const fs::path list = dir / fmt::format("cells-{}-{}.txt", stamp, group++);
    {
      std::ofstream out(list);
      for (const Cell* c : group_cells) out << c->key << "\n";
      if (!out) return report_error(io_error(fmt::format("cannot write '{}'", list.string())));
    }
    SlurmArray array;
    array.job_name = job;
    array.partition = options.partition;
    array.licenses = license.empty() ? "" : license + ":1";
    array.options = options.sbatch_options;
    array.tasks = (group_cells.size() + chunk - 1) / chunk;
    array.log_dir = dir;
    array.command = fmt::format(
        "{} run-experiment {} --db {} --cells-file {} --chunk {} --task \"$SLURM_ARRAY_TASK_ID\"",
        shell_quote(self.string()), shell_quote(fs::absolute(options.file).string()),
        shell_quote(task_db), shell_quote(list.string()), chunk);
    auto id = submit_array(array);
    if (!id.is_ok()) return report_error(id.status());
    std::ofstream(slurm_jobs_file(work), std::ios::app)
        << *id << '\t' << chunk << '\t' << list.string() << '\n';
    fmt::print("submitted job {} ({}): {} task(s) for {} cell(s){}; logs in {}\n", *id, job,
               array.tasks, group_cells.size(),
               license.empty() ? "" : " holding license " + license, dir.string());
  }
  std::fflush(stdout);
  if (!options.wait) {
    fmt::print("`edgebench run-experiment {} --status` shows the progress\n", options.file);
    return kExitOk;
  }
  for (;;) {
    auto left = queued_tasks(job);
    if (!left.is_ok()) return report_error(left.status());
    if (left->empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  std::size_t done = 0;
  for (const Cell* c : to_submit) {
    auto stored = store.contains(c->key);
    if (!stored.is_ok()) return report_error(stored.status());
    done += *stored;
  }
  fmt::print("slurm finished: {} of {} submitted cell(s) stored\n", done, to_submit.size());
  return done == to_submit.size() ? kExitOk : kExitCheckFailed;
}

}  // namespace

int run_experiment(const ExperimentOptions& options) {
  auto experiment = parse_experiment(options.file);
  if (!experiment.is_ok()) return report_error(experiment.status());
  Experiment& e = *experiment;
  const std::string db = !options.db_path.empty() ? options.db_path
                         : !e.db.empty()          ? e.db
                                                  : std::string(kDefaultResultsDb);
  std::vector<Cell> cells;
  for (Cell& c : make_cells(e)) {
    auto keep = selected(c, options.only);
    if (!keep.is_ok()) return report_error(keep.status());
    if (*keep) cells.push_back(std::move(c));
  }

  if (!options.cells_file.empty()) {
    // A Slurm task: only its share of the cells the submitter listed.
    auto share = task_share(options.cells_file, options.task, options.chunk);
    if (!share.is_ok()) return report_error(share.status());
    std::vector<Cell> mine;
    for (Cell& c : cells) {
      if (share->contains(c.key)) mine.push_back(std::move(c));
    }
    if (mine.size() != share->size()) {
      return report_error(invalid_argument(
          fmt::format("--cells-file '{}': {} of task {}'s cells are not cells of experiment {}",
                      options.cells_file, share->size() - mine.size(), options.task, e.name)));
    }
    cells = std::move(mine);
  }

  std::vector<PoolTarget> pool;
  if (!options.targets.empty()) {
    auto read = read_target_pool(options.targets);
    if (!read.is_ok()) return report_error(read.status());
    pool = std::move(read).value();
  }
  const bool has_pool_cells = std::any_of(cells.begin(), cells.end(), [](const Cell& c) {
    return is_pool_selector(c.backend);  // selectors were checked with the file
  });
  if (has_pool_cells && pool.empty() && !options.dry_run) {
    return report_error(invalid_argument(
        "the experiment has \"pool\" backends: give the targets with --targets POOL"));
  }

  auto opened = results::Store::open(db);
  if (!opened.is_ok()) return report_error(opened.status());
  results::Store store = std::move(opened).value();
  std::vector<const Cell*> todo;
  std::vector<const Cell*> skipped;
  for (const Cell& c : cells) {
    if (!c.skip.empty()) {
      skipped.push_back(&c);
      continue;
    }
    auto stored = store.contains(c.key);
    if (!stored.is_ok()) return report_error(stored.status());
    if (!*stored) todo.push_back(&c);
  }
  // Optimized variants (and Slurm's files) go beside the store, or beside the experiment file
  // when the store is a server.
  const fs::path work = (results::is_database_url(db) ? e.folder : fs::path(db).parent_path()) /
                        "edgebench-experiments" / e.name;
  if (options.status) return print_status(e, cells, store, work);
  fmt::print(
      "experiment {}: {} cells ({} models x {} variants x {} backends x {} scenarios{}), "
      "{} already in {}, {} to run{}\n",
      e.name, cells.size(), e.models.size(), e.variants.size(), e.backends.size(),
      e.scenarios.size(), cells.size() > 0 ? " + quality passes" : "",
      cells.size() - todo.size() - skipped.size(), results::display_location(db), todo.size(),
      skipped.empty() ? "" : fmt::format(", {} skipped", skipped.size()));
  // Skipped cells are listed once per (model, variant, backend): every scenario shares the reason.
  std::set<std::string> listed;
  for (const Cell* c : skipped) {
    if (!listed.insert(c->model->name + "|" + c->variant + "|" + c->backend).second) continue;
    fmt::print("  skipped  {} {} {}: {}\n", c->model->name, c->variant, c->backend, c->skip);
  }
  if (options.dry_run) {
    for (const Cell& c : cells) {
      if (!c.skip.empty()) continue;
      const bool done = std::find(todo.begin(), todo.end(), &c) == todo.end();
      fmt::print("  {:<8} {:<20} {:<10} {:<24} {}{}\n", done ? "stored" : "to run", c.model->name,
                 c.variant, c.backend, c.scenario,
                 c.file.empty() ? "" : "  (" + c.file.filename().string() + ")");
    }
    return kExitOk;
  }
  std::fflush(stdout);

  // Every (model, variant) file the cells need, made before any cell runs: pool cells run in
  // parallel and read them.
  std::map<std::string, Result<fs::path>> models;  // model|variant -> file or error
  for (const Cell* c : todo) {
    const std::string model_key = c->model->name + "|" + c->variant;
    if (!c->file.empty() || models.contains(model_key)) continue;
    const std::string flags = std::find_if(e.variants.begin(), e.variants.end(), [&](auto& v) {
                                return v.name == c->variant;
                              })->flags;
    models.emplace(model_key, variant_model(*c->model, c->variant, flags, work));
  }
  if (options.slurm) return submit_to_slurm(options, e, db, work, todo, store);
  // Runs one cell on `backend`; the error text when it failed.
  auto run_cell = [&](const Cell& c, const std::string& backend, const json& params) {
    const Result<fs::path> model =
        c.file.empty() ? models.at(c.model->name + "|" + c.variant) : Result<fs::path>(c.file);
    if (!model.is_ok()) return model.status().message();
    Status outcome;
    if (c.scenario == "eval") {
      EvalOptions eval;
      eval.model = model->string();
      eval.dataset = c.model->dataset;
      eval.limit = e.quality_limit;
      eval.backend = backend;
      eval.threads = e.bench.threads;
      eval.db_path = db;
      eval.label = e.name;
      eval.params_json = params.dump();
      eval.store_key = c.key;
      eval.summary = Summary::kBrief;
      eval.quiet = true;
      outcome = eval_and_store(eval).status();
    } else {
      BenchOptions bench = e.bench;
      bench.model = model->string();
      bench.backend = backend;
      bench.scenario = c.scenario;
      bench.db_path = db;
      bench.label = e.name;
      bench.params_json = params.dump();
      bench.store_key = c.key;
      bench.summary = Summary::kBrief;
      bench.quiet = true;
      outcome = bench_and_store(bench).status();
    }
    std::fflush(stdout);
    return outcome.is_ok() ? std::string() : outcome.message();
  };

  const auto start = Clock::now();
  std::mutex progress;  // the counters and the progress lines, shared with the pool's workers
  std::size_t started = 0;
  auto announce = [&](const Cell& c, const std::string& where) {
    std::string eta;
    if (started > 0) {
      const double spent = std::chrono::duration<double>(Clock::now() - start).count();
      eta = "  ETA " + format_duration(spent / static_cast<double>(started) *
                                       static_cast<double>(todo.size() - started));
    }
    ++started;
    fmt::print("[{}/{}] {} {} {} {}{}{}\n", started, todo.size(), c.model->name, c.variant,
               c.backend, c.scenario, where.empty() ? "" : " on " + where, eta);
    std::fflush(stdout);
  };
  std::vector<Failure> failed;
  std::vector<const Cell*> pool_cells;
  for (const Cell* c : todo) {
    if (is_pool_selector(c->backend)) {
      pool_cells.push_back(c);
      continue;
    }
    announce(*c, "");
    reset_peak_memory();
    if (std::string error = run_cell(*c, c->backend, c->params); !error.empty()) {
      std::fprintf(stderr, "  failed: %s\n", error.c_str());
      failed.push_back({c, error});
    }
  }
  if (!pool_cells.empty()) {
    std::vector<Failure> pool_failed = run_pool(pool_cells, pool, run_cell, announce, progress);
    std::fflush(stdout);
    failed.insert(failed.end(), pool_failed.begin(), pool_failed.end());
  }
  for (const Failure& f : failed) {
    // Stored under another key, so that the next run tries the cell again.
    results::Record r = failed_record(e, *f.cell, f.error);
    if (Status st = store.add(r, std::string_view(f.cell->key + "|failed")); !st.is_ok()) {
      return report_error(st);
    }
  }
  const int failures = static_cast<int>(failed.size());
  const double total = std::chrono::duration<double>(Clock::now() - start).count();
  fmt::print(
      "experiment {} done: {} cells run, {} failed, {} already stored, {} skipped (format), in "
      "{}; store {}\n",
      e.name, todo.size(), failures, cells.size() - todo.size() - skipped.size(), skipped.size(),
      format_duration(total), results::display_location(db));
  if (failures > 0) {
    fmt::print("  failed cells are stored with their error and run again next time\n");
  }
  return failures == 0 ? kExitOk : kExitCheckFailed;
}

}  // namespace edgebench::cli
