// edgebench report --db FILE --html OUT.html [--markdown OUT.md]: plots and tables over the
// results store (results/report.h).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>

#include "common.h"
#include "edgebench/results/report.h"
#include "edgebench/results/store.h"
#include "report_commands.h"
#include "results_commands.h"

namespace edgebench::cli {

int run_report(const ReportCommandOptions& options) {
  namespace fs = std::filesystem;
  if (options.html_path.empty() && options.markdown_path.empty()) {
    return report_error(invalid_argument("report: give --html OUT.html and/or --markdown OUT.md"));
  }
  results::ReportOptions report;
  report.title = options.title;
  report.db_path = results::display_location(options.db_path);
  report.max_runs = options.max_runs;
  report.rating.reference_model = options.reference_model;
  if (!options.weights.empty()) {
    auto weights = results::parse_weights(options.weights);
    if (!weights.is_ok()) return report_error(weights.status());
    report.rating.weights = *weights;
  }
  auto store = results::Store::open(options.db_path, {.create_if_missing = false});
  if (!store.is_ok()) return report_error(store.status());
  results::ListFilter filter;
  filter.label = options.label;
  filter.model_name = options.model;
  filter.backend = options.backend;
  auto records = store->records(filter);
  if (!records.is_ok()) return report_error(records.status());
  if (records->empty()) {
    return report_error(invalid_argument(
        fmt::format("report: no results in '{}'{}", store->name(),
                    options.label.empty() && options.model.empty() && options.backend.empty()
                        ? ""
                        : " that match --label/--model/--backend")));
  }
  if (!options.html_path.empty()) {
    const std::string html = results::render_html(*records, report);
    if (Status st = write_text_file(options.html_path, html, "HTML report"); !st.is_ok()) {
      return report_error(st);
    }
    fmt::print("wrote {} ({} results, {} KiB, self-contained)\n", options.html_path,
               records->size(), html.size() / 1024);
  }
  if (!options.markdown_path.empty()) {
    const fs::path md(options.markdown_path);
    const fs::path figures_dir = md.parent_path() / (md.stem().string() + "_files");
    std::vector<std::pair<std::string, std::string>> figures;
    const std::string text =
        results::render_markdown(*records, report, figures_dir.filename().string(), figures);
    std::error_code ec;
    fs::create_directories(figures_dir, ec);
    if (ec) {
      return report_error(
          io_error(fmt::format("cannot create '{}': {}", figures_dir.string(), ec.message())));
    }
    for (const auto& [name, svg] : figures) {
      if (Status st = write_text_file((figures_dir / name).string(), svg, "SVG figure");
          !st.is_ok()) {
        return report_error(st);
      }
    }
    if (Status st = write_text_file(options.markdown_path, text, "Markdown report"); !st.is_ok()) {
      return report_error(st);
    }
    fmt::print("wrote {} and {} figures in {}\n", options.markdown_path, figures.size(),
               figures_dir.string());
  }
  return kExitOk;
}

std::function<std::optional<int>()> add_report_command(CLI::App& app) {
  auto options = std::make_shared<ReportCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Self-contained HTML and/or Markdown report over the results store: per-run latency "
      "plots, sweep curves against MACs, comparisons, accuracy vs latency with the Pareto "
      "front, confusion matrices, efficiency ratings");
  cmd->add_option("--db", options->db_path, kStoreHelp)->default_val(kDefaultResultsDb);
  cmd->add_option("--html", options->html_path, "Write the HTML page here");
  cmd->add_option("--markdown", options->markdown_path,
                  "Write Markdown here (figures as SVG files in OUT_files/)");
  cmd->add_option("--title", options->title, "Page title")->default_val("edgebench report");
  cmd->add_option("--label", options->label, "Only results with this label");
  cmd->add_option("--model", options->model, "Only results of this model name");
  cmd->add_option("--backend", options->backend, "Only results of this backend");
  cmd->add_option("--weights", options->weights,
                  "Efficiency rating weights, e.g. latency=0.4,memory=0.2,energy=0.1,"
                  "accuracy=0.3 (also throughput)");
  cmd->add_option("--reference-model", options->reference_model,
                  "Model the ratings scale against in each environment (default: the first by "
                  "name)");
  cmd->add_option("--max-runs", options->max_runs, "Runs with per-run latency plots (newest)")
      ->default_val(24);
  return [=]() -> std::optional<int> {
    if (*cmd) return run_report(*options);
    return std::nullopt;
  };
}

}  // namespace edgebench::cli
