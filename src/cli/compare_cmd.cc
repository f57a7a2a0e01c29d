// edgebench compare RESULT.json... | --db FILE [--ids ID...] [--variants]
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <span>

#include "common.h"
#include "edgebench/results/compare.h"
#include "edgebench/results/io.h"
#include "edgebench/results/store.h"
#include "results_commands.h"

namespace edgebench::cli {
namespace {

Result<std::vector<results::Record>> gather(const CompareOptions& options) {
  std::vector<results::Record> records;
  for (const std::string& file : options.result_files) {
    EB_ASSIGN_OR_RETURN(std::vector<results::Record> from_file, results::read_result_file(file));
    for (results::Record& r : from_file) records.push_back(std::move(r));
  }
  const bool use_store = !options.db_path.empty() || !options.ids.empty();
  if (!use_store) return records;

  results::StoreOptions store_options;
  store_options.create_if_missing = false;
  const std::string db = options.db_path.empty() ? kDefaultResultsDb : options.db_path;
  EB_ASSIGN_OR_RETURN(results::Store store, results::Store::open(db, store_options));
  for (const std::string& id : options.ids) {
    EB_ASSIGN_OR_RETURN(results::Record r, store.get(id));
    records.push_back(std::move(r));
  }
  if (options.ids.empty() && options.result_files.empty()) {
    results::ListFilter newest;
    newest.limit = options.limit;
    EB_ASSIGN_OR_RETURN(std::vector<results::Record> latest, store.records(newest));
    // Oldest first, so that the ratios say how later runs moved against the earliest.
    std::reverse(latest.begin(), latest.end());
    for (results::Record& r : latest) records.push_back(std::move(r));
  }
  return records;
}

// The table in the three forms compare writes: text, a Markdown document, an HTML page.
struct Rendered {
  std::string text;
  std::string markdown;
  std::string html;
};

Rendered render_variants(std::span<const results::Record> records) {
  const results::VariantTable table = results::variant_table(records);
  Rendered out;
  out.text = results::variant_table_text(table);
  if (records.size() > 1) out.text += "(speedup and size ratio against the first row)\n";
  out.markdown =
      "# edgebench variants\n\nSpeedup: the first row's p50 over this row's. Size ratio: "
      "this model file over the first's. Percentiles: nearest-rank on sorted latencies.\n\n" +
      results::variant_table_markdown(table);
  out.html = results::variant_table_html(table);
  return out;
}

Rendered render_comparison(std::span<const results::Record> records) {
  const results::Comparison comparison = results::compare_records(records);
  Rendered out;
  out.text = results::comparison_text(comparison);
  if (records.size() > 1) out.text += "(ratios against the first column)\n";
  out.markdown =
      "# edgebench comparison\n\nRatios are against the first result. "
      "Percentiles: nearest-rank on sorted latencies.\n\n" +
      results::comparison_markdown(comparison);
  out.html = results::comparison_html(comparison);
  return out;
}

}  // namespace

int run_compare(const CompareOptions& options) {
  if (options.result_files.empty() && options.db_path.empty() && options.ids.empty()) {
    return report_error(invalid_argument(
        "compare needs RESULT.json files, or --db FILE (with --ids ID... to pick results)"));
  }
  Result<std::vector<results::Record>> records = gather(options);
  if (!records.is_ok()) return report_error(records.status());
  if (records->empty()) {
    return report_error(
        not_found(fmt::format("no results to compare in '{}'",
                              options.db_path.empty() ? kDefaultResultsDb : options.db_path)));
  }

  const Rendered rendered =
      options.variants ? render_variants(*records) : render_comparison(*records);
  fmt::print("{}", rendered.text);
  if (!options.markdown_path.empty()) {
    const Status written =
        write_text_file(options.markdown_path, rendered.markdown, "Markdown file");
    if (!written.is_ok()) return report_error(written);
  }
  if (!options.html_path.empty()) {
    const Status written = write_text_file(options.html_path, rendered.html, "HTML file");
    if (!written.is_ok()) return report_error(written);
  }
  return kExitOk;
}

}  // namespace edgebench::cli
