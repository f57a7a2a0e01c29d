#include "edgebench/data/dataset.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>

#include "data_files.h"
#include "edgebench/core/npy.h"
#include "edgebench/core/quantize.h"
#include "edgebench/core/random.h"
#include "edgebench/onnx/model_io.h"
#include "fashion_mnist.h"
#include "images.h"
#include "npz.h"
#include "tensor_dataset.h"

namespace edgebench::data {

namespace {

namespace fs = std::filesystem;

Result<fs::path> existing_folder(std::string_view spec, std::string_view dir) {
  std::error_code ec;
  if (dir.empty()) return invalid_argument(fmt::format("dataset '{}' names no folder", spec));
  if (!fs::is_directory(fs::path(dir), ec)) {
    return not_found(fmt::format("dataset '{}': folder '{}' does not exist", spec, dir));
  }
  return fs::path(dir);
}

std::size_t input_index(const std::vector<InputSpec>& inputs, std::string_view name) {
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].name == name) return i;
  }
  return inputs.size();
}

Result<std::unique_ptr<Dataset>> open_npy(std::string_view spec, const fs::path& dir,
                                          const std::vector<InputSpec>& inputs) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".npy")
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) return invalid_argument(fmt::format("dataset '{}': no .npy files", spec));
  // Group by sample key: NAME_<k>.npy / NAME.npy feed input NAME; other files feed input 0.
  std::map<std::string, std::vector<Tensor>> by_key;
  std::vector<std::string> order;
  for (const fs::path& file : files) {
    std::string stem = file.stem().string();
    std::string key = stem;
    std::size_t input = 0;
    const std::size_t named = input_index(inputs, stem);
    const std::size_t underscore = stem.rfind('_');
    if (named < inputs.size()) {
      input = named;
      key = "";
    } else if (underscore != std::string::npos &&
               input_index(inputs, stem.substr(0, underscore)) < inputs.size()) {
      input = input_index(inputs, stem.substr(0, underscore));
      key = stem.substr(underscore + 1);
    } else if (inputs.size() != 1) {
      return invalid_argument(fmt::format(
          "dataset '{}': file '{}' does not name one of the model's inputs", spec, file.string()));
    }
    EB_ASSIGN_OR_RETURN(Tensor t, read_npy(file));
    EB_ASSIGN_OR_RETURN(std::vector<Tensor> split,
                        split_samples(std::move(t), inputs[input], file.string()));
    // A file of N stacked samples gives samples KEY/0 .. KEY/N-1 (for every input alike).
    for (std::size_t n = 0; n < split.size(); ++n) {
      const std::string sample_key = split.size() == 1 ? key : fmt::format("{}/{}", key, n);
      auto [it, inserted] = by_key.try_emplace(sample_key, std::vector<Tensor>(inputs.size()));
      if (inserted) order.push_back(sample_key);
      it->second[input] = std::move(split[n]);
    }
  }
  std::vector<std::vector<Tensor>> samples;
  for (const std::string& key : order) {
    std::vector<Tensor>& sample = by_key[key];
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (!sample[i].defined()) {
        return invalid_argument(fmt::format("dataset '{}': sample '{}' has no file for input '{}'",
                                            spec, key, inputs[i].name));
      }
    }
    samples.push_back(std::move(sample));
  }
  EB_ASSIGN_OR_RETURN(auto labels, read_labels_file(dir, samples.size()));
  return std::unique_ptr<Dataset>(
      std::make_unique<TensorDataset>(std::string(spec), std::move(samples), std::move(labels)));
}

Result<std::unique_ptr<Dataset>> open_onnx_test(std::string_view spec, const fs::path& dir,
                                                const std::vector<InputSpec>& inputs) {
  std::vector<fs::path> sets;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_directory() && entry.path().filename().string().rfind("test_data_set_", 0) == 0) {
      sets.push_back(entry.path());
    }
  }
  std::sort(sets.begin(), sets.end());
  if (sets.empty()) {
    return invalid_argument(fmt::format("dataset '{}': no test_data_set_* folders", spec));
  }
  std::vector<std::vector<Tensor>> samples;
  for (const fs::path& set : sets) {
    std::vector<Tensor> sample(inputs.size());
    for (std::size_t k = 0;; ++k) {
      const fs::path file = set / fmt::format("input_{}.pb", k);
      std::error_code ec;
      if (!fs::exists(file, ec)) break;
      std::string name;
      EB_ASSIGN_OR_RETURN(Tensor t, onnx::load_tensor_proto(file, &name));
      std::size_t input = input_index(inputs, name);
      if (input == inputs.size()) input = k;
      if (input >= inputs.size()) {
        return invalid_argument(
            fmt::format("dataset '{}': '{}' has more inputs than the model", spec, file.string()));
      }
      EB_RETURN_IF_ERROR(check_tensor(t, inputs[input], file.string()));
      sample[input] = std::move(t);
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (!sample[i].defined()) {
        return invalid_argument(fmt::format("dataset '{}': '{}' has no tensor for input '{}'", spec,
                                            set.string(), inputs[i].name));
      }
    }
    samples.push_back(std::move(sample));
  }
  return std::unique_ptr<Dataset>(
      std::make_unique<TensorDataset>(std::string(spec), std::move(samples)));
}

Result<std::unique_ptr<Dataset>> open_random(std::string_view spec, std::string_view seed_text,
                                             const std::vector<InputSpec>& inputs,
                                             std::size_t count) {
  std::uint64_t seed = 0;
  const auto [ptr, ec] =
      std::from_chars(seed_text.data(), seed_text.data() + seed_text.size(), seed);
  if (ec != std::errc() || ptr != seed_text.data() + seed_text.size()) {
    return invalid_argument(
        fmt::format("dataset '{}': seed '{}' is not a non-negative integer", spec, seed_text));
  }
  std::vector<std::vector<Tensor>> samples;
  for (std::size_t s = 0; s < count; ++s) {
    std::vector<Tensor> sample;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      EB_ASSIGN_OR_RETURN(Tensor t,
                          random_tensor(inputs[i].dtype, inputs[i].shape, seed + s * 1000 + i));
      sample.push_back(std::move(t));
    }
    samples.push_back(std::move(sample));
  }
  return std::unique_ptr<Dataset>(
      std::make_unique<TensorDataset>(std::string(spec), std::move(samples)));
}

Result<std::unique_ptr<Dataset>> open_unquantized(std::string_view spec,
                                                  const std::vector<InputSpec>& inputs,
                                                  std::size_t random_count) {
  const std::size_t colon = spec.find(':');
  const std::string_view kind = spec.substr(0, colon);
  const std::string_view rest = colon == std::string_view::npos ? "" : spec.substr(colon + 1);
  if (inputs.empty()) return invalid_argument("the model has no inputs to feed");
  if (kind == "random") return open_random(spec, rest, inputs, random_count);
  if (kind == "npy" || kind == "npz" || kind == "onnx-test") {
    EB_ASSIGN_OR_RETURN(fs::path dir, existing_folder(spec, rest));
    if (kind == "npz") return open_npz(spec, dir, inputs);
    return kind == "npy" ? open_npy(spec, dir, inputs) : open_onnx_test(spec, dir, inputs);
  }
  if (kind == "fashion-mnist") return open_fashion_mnist(spec, rest, inputs);
  if (kind == "images") return open_images(spec, rest, inputs);
  return invalid_argument(
      fmt::format("unknown dataset spec '{}' (expected npy:DIR, npz:DIR, onnx-test:DIR, "
                  "random:SEED, fashion-mnist:DIR[:train|test] or images:DIR[,OPTIONS])",
                  spec));
}

// Feeds quantized integer inputs: the wrapped dataset reads real values (float32) and each
// sample is quantized with its input's scale and zero point, as the model's own quantize step
// would have done in front of a float input.
class QuantizingDataset final : public Dataset {
 public:
  QuantizingDataset(std::unique_ptr<Dataset> real, std::vector<InputSpec> inputs)
      : real_(std::move(real)), inputs_(std::move(inputs)) {}

  std::string spec() const override { return real_->spec(); }
  std::size_t size() const override { return real_->size(); }
  Result<std::vector<Tensor>> sample(std::size_t i) const override {
    EB_ASSIGN_OR_RETURN(std::vector<Tensor> tensors, real_->sample(i));
    for (std::size_t k = 0; k < tensors.size() && k < inputs_.size(); ++k) {
      if (!inputs_[k].quant || !is_integer(inputs_[k].dtype)) continue;
      auto quantized = quantize_tensor(tensors[k], inputs_[k].dtype, *inputs_[k].quant);
      if (!quantized.is_ok()) {
        return quantized.status().with_context(
            fmt::format("sample {} for quantized input '{}'", i, inputs_[k].name));
      }
      tensors[k] = std::move(*quantized);
    }
    return tensors;
  }
  Task task() const override { return real_->task(); }
  Result<std::int64_t> label(std::size_t i) const override { return real_->label(i); }
  std::size_t num_classes() const override { return real_->num_classes(); }
  std::vector<std::string> class_names() const override { return real_->class_names(); }

 private:
  std::unique_ptr<Dataset> real_;
  std::vector<InputSpec> inputs_;
};

}  // namespace

Result<std::int64_t> Dataset::label(std::size_t /*i*/) const {
  return invalid_argument(fmt::format("dataset '{}' has no labels", spec()));
}

Result<std::unique_ptr<Dataset>> open_dataset(std::string_view spec,
                                              const std::vector<InputSpec>& inputs,
                                              std::size_t random_count) {
  // Random samples are drawn in the input's own dtype; every other source holds real values.
  auto takes_quantized = [](const InputSpec& input) {
    return input.quant.has_value() && is_integer(input.dtype);
  };
  if (spec.starts_with("random:") || std::none_of(inputs.begin(), inputs.end(), takes_quantized)) {
    return open_unquantized(spec, inputs, random_count);
  }
  std::vector<InputSpec> real = inputs;
  for (InputSpec& input : real) {
    if (takes_quantized(input)) input.dtype = DType::kFloat32;
  }
  EB_ASSIGN_OR_RETURN(std::unique_ptr<Dataset> dataset, open_unquantized(spec, real, random_count));
  return std::unique_ptr<Dataset>(std::make_unique<QuantizingDataset>(std::move(dataset), inputs));
}

}  // namespace edgebench::data
