#include "tensor_dataset.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

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

namespace {

// Whether `shape` is one the input takes. A negative dim in the spec is a symbolic dim of the
// model: any size fits it.
bool fits_input_shape(const Shape& shape, const InputSpec& input) {
  if (shape.size() != input.shape.size()) return false;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (input.shape[i] >= 0 && input.shape[i] != shape[i]) return false;
  }
  return true;
}

}  // namespace

Status check_tensor(const Tensor& t, const InputSpec& input, std::string_view where) {
  if (t.dtype() != input.dtype || !fits_input_shape(t.shape(), input)) {
    return invalid_argument(fmt::format("{}: holds {}, input '{}' expects {}{}", where,
                                        t.describe(), input.name, dtype_name(input.dtype),
                                        shape_to_string(input.shape)));
  }
  return Status::ok();
}

Result<std::vector<Tensor>> split_samples(Tensor t, const InputSpec& input,
                                          std::string_view where) {
  std::vector<Tensor> samples;
  const Status whole = check_tensor(t, input, where);
  if (whole.is_ok()) {
    samples.push_back(std::move(t));
    return samples;
  }
  const Shape& shape = t.shape();
  if (t.dtype() != input.dtype || shape.empty() || shape[0] < 1) return whole;
  // The shape of one sample: the input's own rank, with a batch of 1 where it stacks along it.
  Shape one(shape.begin() + 1, shape.end());
  if (shape.size() == input.shape.size() && (input.shape[0] == 1 || input.shape[0] < 0)) {
    one.insert(one.begin(), 1);
  } else if (shape.size() != input.shape.size() + 1) {
    return whole;
  }
  if (!fits_input_shape(one, input)) return whole;
  const std::size_t bytes = t.byte_size() / static_cast<std::size_t>(shape[0]);
  const auto* src = static_cast<const std::byte*>(t.raw_data());
  for (std::int64_t n = 0; n < shape[0]; ++n) {
    EB_ASSIGN_OR_RETURN(Tensor sample, Tensor::allocate(t.dtype(), one));
    std::memcpy(sample.raw_data(), src + static_cast<std::size_t>(n) * bytes, bytes);
    samples.push_back(std::move(sample));
  }
  return samples;
}

}  // namespace edgebench::data
