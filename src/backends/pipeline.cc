#include "edgebench/backends/pipeline.h"

#include <fmt/format.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace edgebench::backends {

namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

struct Item {
  std::size_t seq = 0;
  Clock::time_point issued;
  Clock::time_point queued;  // when it entered the current queue
  std::map<std::string, Tensor> values;
};

// A bounded FIFO; close() wakes everyone and makes pop() return nothing (a stage failed).
class Queue {
 public:
  explicit Queue(std::size_t capacity) : capacity_(capacity) {}
  bool push(Item item) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }
  std::optional<Item> pop() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    Item item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable not_empty_, not_full_;
  std::deque<Item> items_;
  bool closed_ = false;
};

bool pin_to_core(int core) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(core, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

}  // namespace

Pipeline::~Pipeline() = default;

Result<std::unique_ptr<Pipeline>> Pipeline::create(std::vector<PipelineStage> stages, int threads,
                                                   bool pin) {
  if (stages.empty()) return invalid_argument("a pipeline needs at least one stage");
  std::unique_ptr<Pipeline> p(new Pipeline());
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::size_t native_workers = 0;
  for (const PipelineStage& s : stages) native_workers += s.backend.rfind("native", 0) == 0;
  p->pinned_ =
      pin && native_workers > 0 && cores >= native_workers * static_cast<unsigned>(threads);
  std::set<std::string> produced;
  int next_core = 0;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    PipelineStage& s = stages[i];
    Stage stage;
    stage.backend = s.backend;
    EB_ASSIGN_OR_RETURN(stage.owner, make_backend(s.backend));
    CompileOptions options;
    options.threads = threads;
    auto exe = stage.owner->compile(s.graph, options);
    if (!exe.is_ok()) {
      return exe.status().with_context(fmt::format("pipeline stage {} ({})", i + 1, s.backend));
    }
    stage.exe = std::move(exe).value();
    for (const TensorSpec& in : stage.exe->inputs()) {
      stage.inputs.push_back(in.name);
      if (!produced.contains(in.name) && std::find(p->input_names_.begin(), p->input_names_.end(),
                                                   in.name) == p->input_names_.end()) {
        p->input_names_.push_back(in.name);
      }
    }
    for (const TensorSpec& out : stage.exe->outputs()) {
      stage.outputs.push_back(out.name);
      produced.insert(out.name);
    }
    if (p->pinned_ && s.backend.rfind("native", 0) == 0) {
      stage.core = next_core;
      next_core += threads;
    }
    p->stages_.push_back(std::move(stage));
  }
  // The pipeline's outputs: what the last stage produces.
  p->output_names_ = p->stages_.back().outputs;
  return p;
}

Result<PipelineRun> Pipeline::run(const std::vector<std::map<std::string, Tensor>>& samples,
                                  std::size_t queries, std::size_t in_flight,
                                  std::map<std::string, Tensor>* outputs) {
  if (samples.empty()) return invalid_argument("pipeline: no input samples");
  if (in_flight < 1) return invalid_argument("pipeline: at least one input in flight");
  for (const std::string& name : input_names_) {
    if (!samples.front().contains(name)) {
      return invalid_argument(fmt::format("pipeline: the samples have no input '{}'", name));
    }
  }
  const std::size_t n = stages_.size();
  std::vector<std::unique_ptr<Queue>> queues;  // queue k feeds stage k; queue n collects
  for (std::size_t k = 0; k <= n; ++k) queues.push_back(std::make_unique<Queue>(in_flight + 1));
  PipelineRun run;
  run.in_flight = in_flight;
  run.queries = queries;
  run.stages.resize(n);
  for (StageTimes& t : run.stages) {
    t.service_ms.reserve(queries);
    t.wait_ms.reserve(queries);
  }
  std::mutex error_mutex;
  Status error = Status::ok();
  auto fail = [&](Status st) {
    {
      std::lock_guard lock(error_mutex);
      if (error.is_ok()) error = std::move(st);
    }
    for (auto& q : queues) q->close();
  };

  std::vector<std::thread> workers;
  for (std::size_t k = 0; k < n; ++k) {
    workers.emplace_back([&, k] {
      Stage& stage = stages_[k];
      if (stage.core >= 0) pin_to_core(stage.core);
      std::vector<Tensor> in(stage.inputs.size());
      while (std::optional<Item> item = queues[k]->pop()) {
        const auto start = Clock::now();
        run.stages[k].wait_ms.push_back(ms_between(item->queued, start));
        for (std::size_t i = 0; i < stage.inputs.size(); ++i) {
          auto it = item->values.find(stage.inputs[i]);
          if (it == item->values.end()) {
            fail(internal_error(fmt::format("pipeline stage {}: input '{}' was not produced", k + 1,
                                            stage.inputs[i])));
            return;
          }
          in[i] = it->second;
        }
        std::vector<Tensor> out(stage.outputs.size());  // fresh buffers: items outlive runs
        if (Status st = stage.exe->run(in, out); !st.is_ok()) {
          fail(st.with_context(
              fmt::format("pipeline stage {} ({}), query {}", k + 1, stage.backend, item->seq)));
          return;
        }
        const auto end = Clock::now();
        run.stages[k].service_ms.push_back(ms_between(start, end));
        for (std::size_t i = 0; i < out.size(); ++i) {
          item->values[stage.outputs[i]] = std::move(out[i]);
        }
        item->queued = end;
        if (!queues[k + 1]->push(std::move(*item))) return;
      }
    });
  }

  // Issue inputs with at most `in_flight` outstanding; collect completions in between.
  run.latency_ms.assign(queries, 0.0);
  const auto start = Clock::now();
  std::size_t issued = 0, done = 0;
  while (done < queries) {
    while (issued < queries && issued - done < in_flight) {
      Item item;
      item.seq = issued;
      item.issued = item.queued = Clock::now();
      for (const std::string& name : input_names_) {
        item.values[name] = samples[issued % samples.size()].at(name);
      }
      if (!queues[0]->push(std::move(item))) break;
      ++issued;
    }
    std::optional<Item> finished = queues[n]->pop();
    if (!finished) break;
    run.latency_ms[finished->seq] = ms_between(finished->issued, Clock::now());
    if (finished->seq == 0 && outputs != nullptr) {
      outputs->clear();
      for (const std::string& name : output_names_) {
        if (auto it = finished->values.find(name); it != finished->values.end()) {
          (*outputs)[name] = it->second;
        }
      }
    }
    ++done;
  }
  run.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto& q : queues) q->close();
  for (std::thread& t : workers) t.join();
  if (!error.is_ok()) return error;
  if (done < queries) return internal_error("pipeline stopped early");
  run.throughput_per_s = run.wall_s > 0 ? static_cast<double>(queries) / run.wall_s : 0;
  return run;
}

}  // namespace edgebench::backends
