// Image folders (the `images:DIR[,OPTIONS]` dataset spec): PNG and JPEG files, one sub-folder
// per class, decoded and preprocessed when a sample is read. The options are documented in
// edgebench/data/dataset.h.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/data/dataset.h"

namespace edgebench::data {

// `rest` is the spec after "images:", i.e. DIR or DIR,OPTIONS.
Result<std::unique_ptr<Dataset>> open_images(std::string_view spec, std::string_view rest,
                                             const std::vector<InputSpec>& inputs);

}  // namespace edgebench::data
