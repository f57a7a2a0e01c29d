#include "tensor_dataset.h"

#include <fmt/format.h>

#include <algorithm>

namespace edgebench::data {

TensorDataset::TensorDataset(std::string spec, std::vector<std::vector<Tensor>> samples,
                             std::optional<std::vector<std::int64_t>> labels)
    : spec_(std::move(spec)), samples_(std::move(samples)), labels_(std::move(labels)) {
  if (labels_ && !labels_->empty()) {
    num_classes_ =
        static_cast<std::size_t>(*std::max_element(labels_->begin(), labels_->end())) + 1;
  }
}

Result<std::vector<Tensor>> TensorDataset::sample(std::size_t i) const {
  if (i >= samples_.size()) {
    return out_of_range(fmt::format("{}: sample {} of {}", spec_, i, samples_.size()));
  }
  return samples_[i];
}

Result<std::int64_t> TensorDataset::label(std::size_t i) const {
  if (!labels_) return Dataset::label(i);
  if (i >= labels_->size()) {
    return out_of_range(fmt::format("{}: label {} of {}", spec_, i, labels_->size()));
  }
  return (*labels_)[i];
}

Status check_tensor(const Tensor& t, const InputSpec& input, std::string_view where) {
  // A negative dim in the spec is a symbolic dim of the model: any size fits it.
  bool shape_fits = t.shape().size() == input.shape.size();
  for (std::size_t i = 0; shape_fits && i < input.shape.size(); ++i) {
    shape_fits = input.shape[i] < 0 || input.shape[i] == t.shape()[i];
  }
  if (t.dtype() != input.dtype || !shape_fits) {
    return invalid_argument(fmt::format("{}: holds {}, input '{}' expects {}{}", where,
                                        t.describe(), input.name, dtype_name(input.dtype),
                                        shape_to_string(input.shape)));
  }
  return Status::ok();
}

}  // namespace edgebench::data
