// edgebench generate conv|dense: seeded synthetic models for sweeps, written as ONNX.
#include <fmt/format.h>

#include "commands.h"
#include "common.h"
#include "edgebench/gen/generators.h"
#include "edgebench/onnx/model_io.h"

namespace edgebench::cli {

namespace {

int save(const Result<ir::Graph>& graph, const std::string& out, std::uint64_t macs) {
  if (!graph.is_ok()) return report_error(graph.status());
  if (out.empty()) return report_error(invalid_argument("missing -o OUT.onnx"));
  if (Status st = onnx::save_model(*graph, out); !st.is_ok()) return report_error(st);
  std::uint64_t params = 0;
  for (const auto& [name, t] : graph->initializers)
    params += static_cast<std::uint64_t>(t.element_count());
  fmt::print("wrote {}: {} ({} nodes, {} parameters, {} MACs)\n", out, graph->name,
             graph->nodes.size(), params, macs);
  return kExitOk;
}

}  // namespace

int run_generate_conv(const gen::ConvSpec& spec, const std::string& out) {
  return save(gen::generate_conv(spec), out, gen::conv_macs(spec));
}

int run_generate_dense(const gen::DenseSpec& spec, const std::string& out) {
  return save(gen::generate_dense(spec), out, gen::dense_macs(spec));
}

}  // namespace edgebench::cli
