#include "edgebench/gen/sweep.h"

#include <fmt/format.h>

#include <charconv>
#include <limits>

namespace edgebench::gen {

namespace {

// More points than any machine could measure: a typo such as 1:1000000:1 fails here.
constexpr std::size_t kMaxValues = 100000;

Result<std::int64_t> parse_value(std::string_view text, std::string_view flag,
                                 std::string_view whole) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return invalid_argument(
        fmt::format("{} '{}': '{}' is not an integer (expected N, A,B,C or START:STOP:STEP)", flag,
                    whole, text));
  }
  if (value < 1) {
    return invalid_argument(
        fmt::format("{} '{}': values must be at least 1, got {}", flag, whole, value));
  }
  return value;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = text.find(sep, start);
    parts.push_back(text.substr(start, at == std::string_view::npos ? text.npos : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return parts;
}

}  // namespace

Result<std::vector<std::int64_t>> parse_sweep_values(std::string_view text, std::string_view flag) {
  std::vector<std::int64_t> values;
  if (text.find(':') != std::string_view::npos) {
    const std::vector<std::string_view> parts = split(text, ':');
    if (parts.size() != 3) {
      return invalid_argument(
          fmt::format("{} '{}': a range is START:STOP:STEP (three numbers)", flag, text));
    }
    EB_ASSIGN_OR_RETURN(std::int64_t start, parse_value(parts[0], flag, text));
    EB_ASSIGN_OR_RETURN(std::int64_t stop, parse_value(parts[1], flag, text));
    EB_ASSIGN_OR_RETURN(std::int64_t step, parse_value(parts[2], flag, text));
    if (stop < start) {
      return invalid_argument(
          fmt::format("{} '{}': STOP {} is below START {}", flag, text, stop, start));
    }
    if (static_cast<std::uint64_t>((stop - start) / step) >= kMaxValues) {
      return invalid_argument(fmt::format("{} '{}': more than {} values", flag, text, kMaxValues));
    }
    for (std::int64_t v = start; v <= stop; v += step) {
      values.push_back(v);
      if (v > std::numeric_limits<std::int64_t>::max() - step) break;
    }
    return values;
  }
  for (std::string_view part : split(text, ',')) {
    EB_ASSIGN_OR_RETURN(std::int64_t v, parse_value(part, flag, text));
    values.push_back(v);
    if (values.size() > kMaxValues) {
      return invalid_argument(fmt::format("{}: more than {} values", flag, kMaxValues));
    }
  }
  return values;
}

std::vector<ConvSpec> expand(const ConvSweep& sweep) {
  std::vector<ConvSpec> points;
  for (std::int64_t f : sweep.filters) {
    for (std::int64_t l : sweep.layers) {
      for (std::int64_t s : sweep.input_size) {
        for (std::int64_t k : sweep.kernel) {
          ConvSpec spec;
          spec.filters = f;
          spec.layers = l;
          spec.input_size = s;
          spec.kernel = k;
          spec.activation = sweep.activation;
          spec.seed = sweep.seed;
          points.push_back(spec);
        }
      }
    }
  }
  return points;
}

std::vector<DenseSpec> expand(const DenseSweep& sweep) {
  std::vector<DenseSpec> points;
  for (std::int64_t n : sweep.neurons) {
    for (std::int64_t l : sweep.layers) {
      for (std::int64_t i : sweep.inputs) {
        for (std::int64_t o : sweep.outputs) {
          DenseSpec spec;
          spec.neurons = n;
          spec.layers = l;
          spec.inputs = i;
          spec.outputs = o;
          spec.activation = sweep.activation;
          spec.seed = sweep.seed;
          points.push_back(spec);
        }
      }
    }
  }
  return points;
}

std::string point_name(const ConvSpec& spec) {
  return fmt::format("conv_F{}_L{}_S{}_K{}", spec.filters, spec.layers, spec.input_size,
                     spec.kernel);
}

std::string point_name(const DenseSpec& spec) {
  return fmt::format("dense_N{}_L{}_I{}_O{}", spec.neurons, spec.layers, spec.inputs, spec.outputs);
}

}  // namespace edgebench::gen
