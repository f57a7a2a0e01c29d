// The edgebench sub-commands. Each takes its parsed options and returns an exit code.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "edgebench/api.h"
#include "edgebench/core/status.h"

namespace edgebench::cli {

// The library's options and entry points (include/edgebench/api.h), under their CLI names; the
// commands below parse into them, call them and print.
using api::bench_and_store;
using api::BenchOptions;
using api::eval_and_store;
using api::EvalOptions;
using api::inspect_report;
using api::InspectOptions;
using api::run_model;
using api::RunOptions;
using api::RunOutcome;
using api::RunTensor;
using api::Summary;

int run_inspect(const InspectOptions& options);
int run_run(const RunOptions& options);
// bench_and_store, then the exit code (1 for an invalid record).
int run_bench(const BenchOptions& options);
int run_eval(const EvalOptions& options);

struct ConformanceOptions {
  std::vector<std::string> dirs;
  std::string backend = "native";
  std::string json_path;
  std::string markdown_path;
  std::string expect_path;  // tests listed here must pass (regression guard)
  std::string filter;       // substring of test names to run
  bool quiet = false;
};
int run_conformance(const ConformanceOptions& options);

}  // namespace edgebench::cli

namespace edgebench::gen {
struct ConvSpec;
struct DenseSpec;
}  // namespace edgebench::gen

namespace edgebench::cli {

int run_generate_conv(const gen::ConvSpec& spec, const std::string& out);
int run_generate_dense(const gen::DenseSpec& spec, const std::string& out);

// Parses argv and runs the chosen sub-command.
int main_entry(int argc, char** argv);

}  // namespace edgebench::cli
