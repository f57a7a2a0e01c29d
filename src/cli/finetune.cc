// Pruning with fine-tuning: the dataset and the model go to the Python trainer as files. See
// finetune.h.
#include "finetune.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "common.h"
#include "edgebench/backends/backend.h"
#include "edgebench/core/host.h"
#include "edgebench/core/npy.h"
#include "edgebench/core/temp_dir.h"
#include "edgebench/data/dataset.h"
#include "edgebench/onnx/model_io.h"
#include "slurm.h"

namespace edgebench::cli {

namespace {

namespace fs = std::filesystem;

std::string training_python() {
  if (const char* env = std::getenv("EDGEBENCH_TRAIN_PYTHON"); env && *env) return env;
  if (::access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
  return "python3";
}

// The dataset's samples stacked on axis 0 (inputs.npy, float32) and its labels (labels.npy,
// int64), for a model with one float32 input whose first dim is the batch of 1.
Status write_training_data(const ir::Graph& graph, const api::OptimizeOptions& options,
                           const fs::path& dir, const api::OptimizeLog& log) {
  auto backend = backends::make_backend("native");
  if (!backend.is_ok()) return backend.status();
  auto exe = (*backend)->compile(graph, {});
  if (!exe.is_ok()) return exe.status();
  const auto& inputs = (*exe)->inputs();
  if (inputs.size() != 1 || inputs[0].dtype != DType::kFloat32 || inputs[0].shape.empty() ||
      inputs[0].shape[0] != 1) {
    return invalid_argument(
        "fine-tuning needs a model with one float32 input whose first dimension is a batch of 1");
  }
  EB_ASSIGN_OR_RETURN(auto dataset,
                      data::open_dataset(options.train_dataset, dataset_inputs(**exe), 0));
  if (dataset->task() != data::Task::kClassification) {
    return invalid_argument(
        fmt::format("--train-dataset {}: fine-tuning needs class labels, and this dataset has none",
                    options.train_dataset));
  }
  std::size_t count = dataset->size();
  if (options.train_limit > 0) count = std::min<std::size_t>(count, options.train_limit);
  if (count == 0) return invalid_argument("--train-dataset: the dataset has no samples");
  Shape stacked = inputs[0].shape;
  stacked[0] = static_cast<std::int64_t>(count);
  EB_ASSIGN_OR_RETURN(Tensor images, Tensor::allocate(DType::kFloat32, stacked));
  EB_ASSIGN_OR_RETURN(Tensor labels,
                      Tensor::allocate(DType::kInt64, {static_cast<std::int64_t>(count)}));
  const auto per_sample = static_cast<std::size_t>(images.element_count()) / count;
  for (std::size_t i = 0; i < count; ++i) {
    EB_ASSIGN_OR_RETURN(std::vector<Tensor> sample, dataset->sample(i));
    if (sample.size() != 1 || sample[0].dtype() != DType::kFloat32 ||
        static_cast<std::size_t>(sample[0].element_count()) != per_sample) {
      return invalid_argument(
          fmt::format("--train-dataset {}: sample {} does not fit the model's input",
                      options.train_dataset, i));
    }
    std::copy_n(sample[0].data<float>(), per_sample, images.data<float>() + i * per_sample);
    EB_ASSIGN_OR_RETURN(labels.data<std::int64_t>()[i], dataset->label(i));
  }
  EB_RETURN_IF_ERROR(write_npy(dir / "inputs.npy", images));
  EB_RETURN_IF_ERROR(write_npy(dir / "labels.npy", labels));
  log(fmt::format("fine-tuning on {} labelled samples of {}\n", count, options.train_dataset));
  return Status::ok();
}

}  // namespace

Status finetune(ir::Graph& graph, const api::OptimizeOptions& options,
                const api::OptimizeLog& log) {
  if (!options.prune && !options.qat) {
    return invalid_argument(
        "--finetune-epochs fine-tunes a pruned model (--prune SPARSITY) or trains for int8 "
        "(--quantize int8 --qat)");
  }
  if (options.train_dataset.empty()) {
    return invalid_argument(fmt::format("{} needs --train-dataset SPEC, a labelled dataset",
                                        options.qat ? "--qat" : "--finetune-epochs"));
  }
  if (!(options.lr > 0) || options.batch < 1) {
    return invalid_argument("--lr must be above 0 and --batch at least 1");
  }
  const fs::path package = python_package_root();
  if (package.empty()) {
    return not_found(
        "fine-tuning needs the edgebench Python package (python/edgebench), "
        "which was not found beside this executable or its source tree");
  }
  auto made = ScratchDir::create("edgebench-finetune");
  if (!made.is_ok()) return made.status().with_context("fine-tuning's scratch folder");
  const ScratchDir scratch = std::move(made).value();
  EB_RETURN_IF_ERROR(write_training_data(graph, options, scratch.path(), log));
  EB_RETURN_IF_ERROR(onnx::save_model(graph, scratch.path() / "in.onnx"));

  std::vector<std::string> argv = {training_python(),
                                   "-m",
                                   "edgebench.finetune",
                                   "--model",
                                   (scratch.path() / "in.onnx").string(),
                                   "--out",
                                   (scratch.path() / "out.onnx").string(),
                                   "--data",
                                   scratch.path().string(),
                                   "--sparsity",
                                   fmt::format("{}", options.prune.value_or(0.0)),
                                   "--pattern",
                                   options.prune_pattern,
                                   "--epochs",
                                   std::to_string(options.finetune_epochs),
                                   "--lr",
                                   fmt::format("{}", options.lr),
                                   "--batch",
                                   std::to_string(options.batch),
                                   "--seed",
                                   std::to_string(options.seed),
                                   "--threads",
                                   std::to_string(options.threads)};
  for (const std::string& name : options.exclude) {
    argv.push_back("--exclude");
    argv.push_back(name);
  }
  EB_ASSIGN_OR_RETURN(ProgramRun run,
                      run_program(argv, [&](std::string_view text) { log(std::string(text)); },
                                  {"PYTHONPATH=" + (package / "python").string()}));
  if (run.exit_code != 0) {
    std::string why = run.output;
    while (!why.empty() && why.back() == '\n') why.pop_back();
    if (const std::size_t line = why.rfind('\n'); line != std::string::npos) {
      why = why.substr(line + 1);
    }
    return invalid_argument(
        fmt::format("fine-tuning failed ({} exited with {}): {}", argv[0], run.exit_code, why));
  }
  EB_ASSIGN_OR_RETURN(ir::Graph tuned, onnx::load_model(scratch.path() / "out.onnx"));
  graph = std::move(tuned);
  return Status::ok();
}

}  // namespace edgebench::cli
