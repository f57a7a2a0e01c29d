// libFuzzer target: arbitrary bytes through ONNX import, and whatever imports through export
// and a second import. Findings are crashes, sanitizer reports and broken invariants (abort).
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "edgebench/onnx/model_io.h"

namespace {

std::span<const std::byte> as_bytes(const void* data, std::size_t size) {
  return {static_cast<const std::byte*>(data), size};
}

[[noreturn]] void fail(const char* what, const edgebench::Status& status) {
  std::fprintf(stderr, "invariant broken: %s: %s\n", what, status.to_string().c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  // Protobuf logs every malformed message to stderr; that is expected here.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using edgebench::ir::Graph;
  namespace onnx = edgebench::onnx;
  // An empty base folder switches external data off: the fuzzer must not read files.
  edgebench::Result<Graph> graph = onnx::import_model(as_bytes(data, size), {}, "fuzz-input");
  if (!graph.is_ok()) return 0;
  edgebench::Result<std::string> exported = onnx::export_model(*graph);
  // Export may legitimately refuse (the ONNX checker is stricter than import), but what it
  // writes must import again.
  if (!exported.is_ok()) return 0;
  edgebench::Result<Graph> again =
      onnx::import_model(as_bytes(exported->data(), exported->size()), {}, "fuzz-reexport");
  if (!again.is_ok()) fail("exported model does not import", again.status());
  if (again->nodes.size() != graph->nodes.size() ||
      again->initializers.size() != graph->initializers.size()) {
    fail("re-import changed the graph", edgebench::internal_error("node/initializer count"));
  }
  return 0;
}
