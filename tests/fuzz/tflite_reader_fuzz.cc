// libFuzzer target: arbitrary bytes through the TFLite reader and its graph description.
// Findings are crashes, sanitizer reports and broken invariants (abort). Seeds: the fixtures in
// tests/tflite/*.tflite (tools/make_tflite_fixtures.py).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "edgebench/tflite/model.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto bytes = std::make_shared<std::vector<std::byte>>(size);
  if (size > 0) std::memcpy(bytes->data(), data, size);
  edgebench::Result<edgebench::ir::Graph> graph =
      edgebench::tflite::import_model(bytes, "fuzz-input");
  if (!graph.is_ok()) return 0;
  // Every value a node names is described, and every initializer's bytes were copied whole.
  for (const auto& node : graph->nodes) {
    for (const auto& out : node.outputs) {
      if (graph->find_value_info(out) == nullptr) {
        std::fprintf(stderr, "invariant broken: output '%s' has no value info\n", out.c_str());
        std::abort();
      }
    }
  }
  if (!graph->foreign || graph->foreign->bytes->size() != size) {
    std::fprintf(stderr, "invariant broken: foreign bytes not kept\n");
    std::abort();
  }
  return 0;
}
