// Internal to the results module: the record as JSON with its keys in declaration order
// (`schema` first), for every text writer.
#pragma once

#include <nlohmann/json.hpp>

#include "edgebench/results/result.h"

namespace edgebench::results {

nlohmann::ordered_json to_ordered_json(const Record& record);

}  // namespace edgebench::results
