// The run-experiment file (the format is described at the top of experiment.cc): its JSON text
// parsed into the experiment it describes. Parsing checks the structure, every field's type and
// range, and that the model files it names exist; errors name the file and the field
// ("exp.json: variants.int8: expected a string"). Backend names and the variants' optimize flags
// are checked by run-experiment, which has the backends and the flag parser.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands.h"
#include "edgebench/core/status.h"
#include "edgebench/gen/generators.h"

namespace edgebench::cli {

struct ModelEntry {
  std::string name;
  std::filesystem::path path;         // empty for generated models until generated
  nlohmann::ordered_json generate;    // {"kind": "conv"|"dense", ...} or null
  std::optional<gen::ConvSpec> conv;  // the parsed "generate", one of the two
  std::optional<gen::DenseSpec> dense;
  std::string dataset;  // "" : no quality pass
  std::string calibration = "random:0";
  // variant -> format ("tflite") -> file, for the runtimes that read that format.
  std::map<std::string, std::map<std::string, std::filesystem::path>> files;
};

struct Variant {
  std::string name;
  std::string flags;  // optimize flags for the ONNX variant ("" for none)
  std::map<std::string, std::filesystem::path> files;  // format -> file, for every model
};

struct Experiment {
  std::string name;
  std::filesystem::path folder;  // relative paths resolve here
  std::string db;
  std::vector<ModelEntry> models;
  std::vector<Variant> variants;
  std::vector<std::string> backends;
  std::vector<std::string> scenarios;
  BenchOptions bench;  // settings shared by every bench cell
  std::optional<std::uint64_t> quality_limit;
};

// Parses the text of experiment file `file`: `file` names it in messages, its folder resolves
// relative paths and its stem is the default experiment name. Nothing is run or written.
Result<Experiment> parse_experiment_text(std::string_view text, const std::filesystem::path& file);

}  // namespace edgebench::cli
