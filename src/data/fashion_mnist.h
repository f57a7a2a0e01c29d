// Fashion-MNIST in IDX format (the `fashion-mnist:DIR[:train|test]` dataset spec).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "edgebench/core/status.h"
#include "edgebench/data/dataset.h"

namespace edgebench::data {

// `rest` is the spec after "fashion-mnist:", i.e. DIR or DIR:SPLIT.
Result<std::unique_ptr<Dataset>> open_fashion_mnist(std::string_view spec, std::string_view rest,
                                                    const std::vector<InputSpec>& inputs);

}  // namespace edgebench::data
