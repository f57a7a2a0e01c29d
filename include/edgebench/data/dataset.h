// Datasets: where input samples (and, later, labels) come from.
//
// Specs (the command line's `--dataset SPEC`):
//   npy:DIR         every *.npy file in DIR (sorted by name) is one sample of the model's first
//                   input; a file named NAME.npy or NAME_<k>.npy feeds the input called NAME
//                   when the model has one (then a sample is every file with the same <k>)
//   onnx-test:DIR   ONNX backend-test data: each DIR/test_data_set_*/ is one sample, its
//                   input_<k>.pb tensors named as stored (positional when unnamed)
//   random:SEED     seeded random tensors for the model's inputs (uniform [0, 1) for floats)
//   fashion-mnist:DIR[:train|test]
//                   Fashion-MNIST in IDX format (split `test` by default): DIR/t10k-* or
//                   DIR/train-* {images-idx3-ubyte, labels-idx1-ubyte}, each gzipped (.gz, as
//                   Debian's dataset-fashion-mnist installs them in
//                   /usr/share/datasets/fashion-mnist) or plain. Labelled (classification,
//                   10 classes). Feeds a model with one input: float32 pixels scaled to [0, 1]
//                   or uint8 raw pixels, shaped [1,1,28,28], [1,28,28], [1,28,28,1] or [1,784].
// Files are read when the dataset is opened; errors name the file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/core/tensor.h"

namespace edgebench::data {

// A model input a dataset has to feed.
struct InputSpec {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;
};

// What a dataset's labels are for; kNone: it has none.
enum class Task { kNone, kClassification, kRegression };

class Dataset {
 public:
  Dataset() = default;
  Dataset(const Dataset&) = delete;
  Dataset& operator=(const Dataset&) = delete;
  virtual ~Dataset() = default;

  virtual std::string spec() const = 0;
  virtual std::size_t size() const = 0;
  // Input tensors of sample i, in the order of the InputSpecs the dataset was opened for.
  virtual Result<std::vector<Tensor>> sample(std::size_t i) const = 0;

  // Labels. Datasets without them keep these defaults (kNone, an error, 0, none).
  virtual Task task() const { return Task::kNone; }
  // The class index of sample i (classification) or its target value (regression).
  virtual Result<std::int64_t> label(std::size_t i) const;
  virtual std::size_t num_classes() const { return 0; }
  // One name per class index, or empty when the classes have no names.
  virtual std::vector<std::string> class_names() const { return {}; }
};

// Opens a dataset for a model with the given inputs; checks every sample's dtype and shape
// against them. `random:` datasets have `random_count` samples.
Result<std::unique_ptr<Dataset>> open_dataset(std::string_view spec,
                                              const std::vector<InputSpec>& inputs,
                                              std::size_t random_count = 4);

}  // namespace edgebench::data
