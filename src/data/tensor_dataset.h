// A dataset whose samples were read when it was opened (npy:, npz:, onnx-test:, random:),
// optionally with class labels.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/core/tensor.h"
#include "edgebench/data/dataset.h"

namespace edgebench::data {

class TensorDataset final : public Dataset {
 public:
  // `labels`, when given, holds one class index per sample (classification, num_classes =
  // the largest + 1).
  TensorDataset(std::string spec, std::vector<std::vector<Tensor>> samples,
                std::optional<std::vector<std::int64_t>> labels = std::nullopt);

  std::string spec() const override { return spec_; }
  std::size_t size() const override { return samples_.size(); }
  Result<std::vector<Tensor>> sample(std::size_t i) const override;

  Task task() const override { return labels_ ? Task::kClassification : Task::kNone; }
  Result<std::int64_t> label(std::size_t i) const override;
  std::size_t num_classes() const override { return num_classes_; }

 private:
  std::string spec_;
  std::vector<std::vector<Tensor>> samples_;
  std::optional<std::vector<std::int64_t>> labels_;
  std::size_t num_classes_ = 0;
};

// OK when `t` has the input's dtype and shape; else an error starting with `where`.
Status check_tensor(const Tensor& t, const InputSpec& input, std::string_view where);

// The samples an array holds for `input`, as NumPy users save them: one sample of the input's
// shape, or N samples stacked along axis 0 - [N, ...] where the input is [1, ...], or one dim
// more than the input ([N, C, H, W] for an input [C, H, W]). Otherwise check_tensor's error.
Result<std::vector<Tensor>> split_samples(Tensor t, const InputSpec& input, std::string_view where);

}  // namespace edgebench::data
