// libFuzzer target: arbitrary bytes as the text of a run-experiment file, through
// parse_experiment_text (src/cli/experiment_file.h), which turns the JSON into the experiment
// description before anything runs. Findings are crashes, sanitizer reports and broken
// invariants (abort). Seeds: examples/*.json and the small files make_data_seeds.py writes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "experiment_file.h"
#include "invariant.h"
#include "scratch_dir.h"

using edgebench::fuzz::broken;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // Model paths resolve in a scratch folder holding (empty) model.onnx and model.tflite, which
  // the seeds name; the parser only checks that named files exist, it reads none.
  static const edgebench::fuzz::ScratchDir dir;
  static const bool models_written =
      (dir.write("model.onnx", nullptr, 0), dir.write("model.tflite", nullptr, 0), true);
  if (!models_written) std::abort();
  auto experiment = edgebench::cli::parse_experiment_text(text, dir.path() / "exp.json");
  if (!experiment.is_ok()) {
    if (experiment.status().message().find("exp.json") == std::string::npos) {
      broken("error message does not name the file");
    }
    return 0;
  }
  if (experiment->models.empty() || experiment->variants.empty() || experiment->backends.empty() ||
      experiment->scenarios.empty()) {
    broken("an accepted experiment with an empty axis");
  }
  for (const auto& m : experiment->models) {
    if (m.name.empty()) broken("a model without a name");
    if (m.path.empty() == !(m.conv || m.dense)) broken("a model neither a file nor generated");
  }
  return 0;
}
