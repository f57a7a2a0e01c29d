// A pipelined runner: one worker thread per model segment, joined by bounded queues and fed a
// stream of inputs with a fixed number in flight (the thesis's multi-TPU pipeline). Each worker
// owns an Executable from any backend: the native engine (pinned to a core when there are cores
// enough), a remote target (tcp://), a reference or null backend.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "edgebench/backends/backend.h"
#include "edgebench/core/status.h"
#include "edgebench/core/tensor.h"
#include "edgebench/ir/graph.h"

namespace edgebench::backends {

struct PipelineStage {
  std::string backend;  // a make_backend spec
  ir::Graph graph;      // the segment (ir::extract_segment)
};

struct StageTimes {
  std::vector<double> service_ms;  // time in run(), per query
  std::vector<double> wait_ms;     // time queued before this stage, per query
};

struct PipelineRun {
  std::size_t in_flight = 1;
  std::size_t queries = 0;
  double wall_s = 0;
  double throughput_per_s = 0;
  std::vector<double> latency_ms;  // issue to completion, per query (issue order)
  std::vector<StageTimes> stages;
};

class Pipeline {
 public:
  // Compiles every stage on its backend (threads per native worker: `threads`). `pin`: pin
  // native workers to distinct cores when the host has at least as many cores as workers.
  static Result<std::unique_ptr<Pipeline>> create(std::vector<PipelineStage> stages, int threads,
                                                  bool pin);
  ~Pipeline();

  // The graph inputs the first stages need (names, in first-use order) and the outputs.
  const std::vector<std::string>& input_names() const { return input_names_; }
  const std::vector<std::string>& output_names() const { return output_names_; }
  std::size_t size() const { return stages_.size(); }
  bool pinned() const { return pinned_; }

  // Runs `queries` inputs (cycling through `samples`, each a map of graph input name to
  // tensor) with at most `in_flight` of them in the pipeline at once. A failing stage stops
  // the run and its error comes back (naming the stage). `outputs`, when not null, receives the
  // graph outputs of the first query.
  Result<PipelineRun> run(const std::vector<std::map<std::string, Tensor>>& samples,
                          std::size_t queries, std::size_t in_flight,
                          std::map<std::string, Tensor>* outputs = nullptr);

 private:
  struct Stage {
    std::string backend;
    std::unique_ptr<Backend> owner;
    std::unique_ptr<Executable> exe;
    std::vector<std::string> inputs;   // names, in the executable's input order
    std::vector<std::string> outputs;  // names, in its output order
    int core = -1;                     // pinned core, -1 if not pinned
  };
  Pipeline() = default;
  std::vector<Stage> stages_;
  std::vector<std::string> input_names_;
  std::vector<std::string> output_names_;
  bool pinned_ = false;
};

}  // namespace edgebench::backends
