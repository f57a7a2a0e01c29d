// Argument parsing for the edgebench command line (CLI11) and dispatch to sub-commands.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "bench_flags.h"
#include "commands.h"
#include "common.h"
#include "edgebench/core/version.h"
#include "edgebench/gen/generators.h"
#include "optimize_commands.h"
#include "plan_commands.h"
#include "report_commands.h"
#include "results_commands.h"
#include "sweep_commands.h"

namespace edgebench::cli {

int main_entry(int argc, char** argv) {
  CLI::App app{
      "edgebench: how a neural network behaves on an edge target, before and after "
      "optimization.\nExit codes: 0 success, 1 a check failed, 2 bad usage or bad input.",
      "edgebench"};
  app.require_subcommand(1);
  app.set_version_flag("--version", fmt::format("edgebench {}", version()));

  InspectOptions inspect;
  CLI::App* inspect_cmd =
      app.add_subcommand("inspect", "Operators, parameters, MACs and activation memory of a model");
  inspect_cmd->add_option("MODEL", inspect.model, "ONNX model file")->required();
  inspect_cmd->add_option("--json", inspect.json_path, "Write every figure as JSON to FILE");
  inspect_cmd->add_option("--input-shape", inspect.input_shapes,
                          "NAME=DIMS (e.g. input=1x3x224x224) for inputs with symbolic dims");
  inspect_cmd->add_flag("--all-nodes", inspect.all_nodes, "List every node, not only the top 15");

  RunOptions run;
  CLI::App* run_cmd = app.add_subcommand("run", "Run one inference and write the outputs as .npy");
  run_cmd->add_option("MODEL", run.model, "ONNX model file")->required();
  run_cmd->add_option("--input", run.inputs, "NAME=FILE.npy (repeatable); others are random");
  run_cmd->add_option("--input-shape", run.input_shapes, "NAME=DIMS for random inputs");
  run_cmd->add_option("--random-seed", run.random_seed, "Seed for random inputs")->default_val(0);
  run_cmd->add_option("--output-dir", run.output_dir, "Write <output name>.npy files here");
  run_cmd->add_option("--backend", run.backend, kBackendHelp)->default_val("native");
  run_cmd->add_option("--threads", run.threads, "Worker threads (1 = no extra threads)")
      ->default_val(1);

  BenchOptions bench;
  CLI::App* bench_cmd = app.add_subcommand(
      "bench", "Measure latency, throughput, memory and energy (LoadGen-style scenarios)");
  bench_cmd->add_option("MODEL", bench.model, "ONNX model file")->required();
  add_measurement_flags(bench_cmd, bench);
  bench_cmd->add_option("--input", bench.inputs, "NAME=FILE.npy (repeatable) instead of random");
  bench_cmd->add_option("--dataset", bench.dataset,
                        "Inputs from npy:DIR, npz:DIR, onnx-test:DIR, random:SEED, "
                        "fashion-mnist:DIR[:train|test] or images:DIR[,resize=N|WxH,crop=N|WxH,"
                        "scale=F,mean=A/B/C,std=A/B/C,layout=nchw|nhwc,gray|rgb] (preloaded)");
  bench_cmd->add_option("--limit", bench.limit, "At most N dataset samples (0: all)")
      ->default_val(0);
  bench_cmd->add_option("--input-shape", bench.input_shapes, "NAME=DIMS for symbolic dims");
  bench_cmd->add_option("--json", bench.json_path, "Write the result record as JSON");
  bench_cmd->add_option("--baseline", bench.baseline,
                        "MODEL file (same backend) or BACKEND (same model) measured in rounds "
                        "alternating with this one (with --repeat); both records are stored "
                        "and the p50 ratio printed with its confidence interval");

  EvalOptions eval;
  CLI::App* eval_cmd = app.add_subcommand(
      "eval", "Output quality on a dataset (top-k, P/R/F1, MSE, error vs a reference) + latency");
  eval_cmd->add_option("MODEL", eval.model, "ONNX model file")->required();
  eval_cmd
      ->add_option("--dataset", eval.dataset,
                   "fashion-mnist:DIR[:train|test], npy:DIR, onnx-test:DIR or random:SEED")
      ->required();
  eval_cmd->add_option("--limit", eval.limit, "At most N samples (default: all)");
  eval_cmd->add_option("--backend", eval.backend, kBackendHelp)->default_val("native");
  eval_cmd->add_option("--threads", eval.threads, "Worker threads (1 = no extra threads)")
      ->default_val(1);
  eval_cmd->add_option("--reference", eval.reference,
                       "Reference model run on the same samples (relative error, argmax changes)");
  eval_cmd->add_option("--reference-backend", eval.reference_backend, "Backend of the reference")
      ->default_val("native");
  eval_cmd->add_option("--input-shape", eval.input_shapes,
                       "NAME=DIMS for symbolic dims (default: each sample's own shape)");
  eval_cmd->add_option("--warmup", eval.warmup, "Untimed runs before the timed pass")
      ->default_val(3);
  eval_cmd->add_option("--json", eval.json_path, "Write the result record as JSON");
  eval_cmd->add_option("--db", eval.db_path, kStoreHelp)->default_val(kDefaultResultsDb);
  eval_cmd->add_flag("--no-db", eval.no_db, "Do not store the result");
  eval_cmd->add_option("--label", eval.label, "Free text stored with the result");
  eval_cmd->add_flag("--quiet", eval.quiet, "No progress line");

  ConformanceOptions conf;
  CLI::App* conf_cmd = app.add_subcommand(
      "conformance", "Run ONNX backend test folders and write a support grid per op");
  conf_cmd->add_option("DIR", conf.dirs, "Test folder(s), or folders of test folders")->required();
  conf_cmd->add_option("--backend", conf.backend, kBackendHelp)->default_val("native");
  conf_cmd->add_option("--json", conf.json_path, "Write the results as JSON");
  conf_cmd->add_option("--markdown", conf.markdown_path, "Write the support grid as Markdown");
  conf_cmd->add_option("--expect", conf.expect_path,
                       "File listing tests that must pass; exit 1 if one does not");
  conf_cmd->add_option("--filter", conf.filter, "Only tests whose name contains TEXT");
  conf_cmd->add_flag("--quiet", conf.quiet, "Print only the summary");

  CLI::App* gen_cmd = app.add_subcommand("generate", "Write a seeded synthetic model (ONNX)");
  gen_cmd->require_subcommand(1);
  gen::ConvSpec conv;
  std::string conv_out;
  CLI::App* gen_conv =
      gen_cmd->add_subcommand("conv",
                              "SxSx3 input -> L x Conv(F filters, KxK, same padding) + activation; "
                              "MACs S^2 K^2 (3F + (L-1) F^2), biases not counted");
  gen_conv->add_option("--filters", conv.filters, "F: filters per layer")->default_val(32);
  gen_conv->add_option("--layers", conv.layers, "L: convolution layers")->default_val(5);
  gen_conv->add_option("--input", conv.input_size, "S: input height and width")->default_val(64);
  gen_conv->add_option("--kernel", conv.kernel, "K: kernel size (odd)")->default_val(3);
  gen_conv->add_option("--activation", conv.activation, "relu | relu6 | tanh | sigmoid | none")
      ->default_val("relu");
  gen_conv->add_option("--seed", conv.seed, "Weight seed")->default_val(0);
  gen_conv->add_option("-o,--output", conv_out, "Output .onnx file")->required();

  gen::DenseSpec dense;
  std::string dense_out;
  CLI::App* gen_dense =
      gen_cmd->add_subcommand("dense",
                              "I inputs -> L x Dense(N) + activation -> Dense(O); "
                              "MACs I N + (L-1) N^2 + N O, biases not counted");
  gen_dense->add_option("--neurons", dense.neurons, "N: units per hidden layer")->default_val(100);
  gen_dense->add_option("--layers", dense.layers, "L: hidden layers")->default_val(4);
  gen_dense->add_option("--inputs", dense.inputs, "I: input features")->default_val(64);
  gen_dense->add_option("--outputs", dense.outputs, "O: output units")->default_val(10);
  gen_dense->add_option("--activation", dense.activation, "relu | relu6 | tanh | sigmoid | none")
      ->default_val("tanh");
  gen_dense->add_option("--seed", dense.seed, "Weight seed")->default_val(0);
  gen_dense->add_option("-o,--output", dense_out, "Output .onnx file")->required();

  CLI::App* results_cmd =
      app.add_subcommand("results", "List, show, export and import stored results");
  results_cmd->require_subcommand(1);
  ResultsListOptions results_list;
  CLI::App* results_list_cmd = results_cmd->add_subcommand("list", "Stored results, newest first");
  results_list_cmd->add_option("--db", results_list.db_path, kStoreHelp)
      ->default_val(kDefaultResultsDb);
  results_list_cmd->add_option("--limit", results_list.limit, "At most N results (0: all)")
      ->default_val(20);
  results_list_cmd->add_option("--model", results_list.model, "Only this model name");
  results_list_cmd->add_option("--backend", results_list.backend, "Only this backend");
  results_list_cmd->add_option("--scenario", results_list.scenario, "Only this scenario");
  ResultsShowOptions results_show;
  CLI::App* results_show_cmd = results_cmd->add_subcommand("show", "One stored result");
  results_show_cmd->add_option("ID", results_show.id, "Result id or a unique prefix")->required();
  results_show_cmd->add_option("--db", results_show.db_path, kStoreHelp)
      ->default_val(kDefaultResultsDb);
  results_show_cmd->add_flag("--json", results_show.json, "Print the full record as JSON");
  ResultsExportOptions results_export;
  CLI::App* results_export_cmd =
      results_cmd->add_subcommand("export", "Write every stored result as CSV and/or JSONL");
  results_export_cmd->add_option("--db", results_export.db_path, kStoreHelp)
      ->default_val(kDefaultResultsDb);
  results_export_cmd->add_option("--csv", results_export.csv_path, "Write a CSV file");
  results_export_cmd->add_option("--jsonl", results_export.jsonl_path, "Append to a JSONL file");
  results_export_cmd->add_option("--to", results_export.to_store,
                                 "Copy into another store (an SQLite file or postgresql://...); "
                                 "results it holds already are skipped");
  ResultsImportOptions results_import;
  CLI::App* results_import_cmd = results_cmd->add_subcommand(
      "import",
      "Copy results from other stores or result files into the store, skipping those "
      "it holds already");
  results_import_cmd
      ->add_option("SOURCE", results_import.sources,
                   "An SQLite store file, a postgresql:// store, a .jsonl file or a result .json")
      ->required();
  results_import_cmd->add_option("--db", results_import.db_path, kStoreHelp)
      ->default_val(kDefaultResultsDb);

  CompareOptions compare;
  CLI::App* compare_cmd =
      app.add_subcommand("compare", "Results side by side, with ratios against the first");
  compare_cmd->add_option("RESULT", compare.result_files, "Result files (.json or .jsonl)");
  compare_cmd->add_option("--db", compare.db_path, kStoreHelp);
  compare_cmd->add_option("--ids", compare.ids, "Result ids (or unique prefixes) in the store");
  compare_cmd->add_option("--limit", compare.limit, "With --db alone: the newest N results")
      ->default_val(5);
  compare_cmd->add_option("--markdown", compare.markdown_path, "Write the table as Markdown");
  compare_cmd->add_option("--html", compare.html_path, "Write the table as an HTML page");
  compare_cmd->add_flag("--variants", compare.variants,
                        "One row per result: size, quality, p50, speedup and size ratio against "
                        "the first");

  const auto run_optimize_command = add_optimize_commands(app);
  const auto run_plan_command = add_plan_commands(app);
  const auto run_sweep_command = add_sweep_commands(app);
  const auto run_report_command = add_report_command(app);
  const auto run_pipeline_command = add_pipeline_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message and usage hint
    return kExitBadInput;
  }

  if (*inspect_cmd) return run_inspect(inspect);
  if (*run_cmd) return run_run(run);
  if (*conf_cmd) return run_conformance(conf);
  if (*bench_cmd) return run_bench(bench);
  if (*eval_cmd) return run_eval(eval);
  if (*gen_conv) return run_generate_conv(conv, conv_out);
  if (*gen_dense) return run_generate_dense(dense, dense_out);
  if (*results_list_cmd) return run_results_list(results_list);
  if (*results_show_cmd) return run_results_show(results_show);
  if (*results_export_cmd) return run_results_export(results_export);
  if (*results_import_cmd) return run_results_import(results_import);
  if (*compare_cmd) return run_compare(compare);
  if (std::optional<int> code = run_optimize_command()) return *code;
  if (std::optional<int> code = run_plan_command()) return *code;
  if (std::optional<int> code = run_sweep_command()) return *code;
  if (std::optional<int> code = run_report_command()) return *code;
  if (std::optional<int> code = run_pipeline_command()) return *code;
  return kExitBadInput;
}

}  // namespace edgebench::cli
