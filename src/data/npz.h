// NumPy .npz archives (the `npz:DIR` dataset spec): every DIR/*.npz is one sample.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/data/dataset.h"

namespace edgebench::data {

Result<std::unique_ptr<Dataset>> open_npz(std::string_view spec, const std::filesystem::path& dir,
                                          const std::vector<InputSpec>& inputs);

}  // namespace edgebench::data
