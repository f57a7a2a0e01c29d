// Datasets: where input samples (and, later, labels) come from.
//
// Specs (the command line's `--dataset SPEC`):
//   npy:DIR         every *.npy file in DIR (sorted by name) is one sample of the model's first
//                   input; a file named NAME.npy or NAME_<k>.npy feeds the input called NAME
//                   when the model has one (then a sample is every file with the same <k>)
//   onnx-test:DIR   ONNX backend-test data: each DIR/test_data_set_*/ is one sample, its
//                   input_<k>.pb tensors named as stored (positional when unnamed)
//   random:SEED     seeded random tensors for the model's inputs (uniform [0, 1) for floats)
// Classification and regression datasets with labels (Fashion-MNIST, image folders) come with
// the quality metrics. Files are read when the dataset is opened; errors name the file.
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
};

// Opens a dataset for a model with the given inputs; checks every sample's dtype and shape
// against them. `random:` datasets have `random_count` samples.
Result<std::unique_ptr<Dataset>> open_dataset(std::string_view spec,
                                              const std::vector<InputSpec>& inputs,
                                              std::size_t random_count = 4);

}  // namespace edgebench::data
