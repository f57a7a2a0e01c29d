// The measuring flags that bench shares with sweep and experiment.
#pragma once

namespace CLI {
class App;
}

namespace edgebench::api {
struct BenchOptions;
}  // namespace edgebench::api

namespace edgebench::cli {

using api::BenchOptions;

inline constexpr const char* kBackendHelp =
    "native | native-ref | null | onnxruntime | tflite | openvino | tvm (a runtime through the "
    "Python target, started on loopback; options as RUNTIME?K=V&K=V, e.g. onnxruntime?ep=cpu, "
    "tflite?delegate=LIB, openvino?device=CPU&precision=f32; threads from --threads) | "
    "tcp://HOST:PORT[?token-file=FILE] (an edgebench-target or a Python target on a board) | "
    "sim:DEVICE (a modelled accelerator)";

// --backend, --scenario, --threads, the scenario minimums and settings, --profile-ops, --db,
// --no-db, --label, --powercap-root and --quiet: everything of bench but the model and its
// inputs.
void add_measurement_flags(CLI::App* cmd, BenchOptions& bench);

}  // namespace edgebench::cli
