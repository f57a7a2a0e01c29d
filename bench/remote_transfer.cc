// Transport figures of the remote backend against a running edgebench-target:
//   bench_remote tcp://HOST:PORT [--mib N] [--runs R]
// 1. a 16 MiB (N MiB) float32 tensor crossing: the model is ReduceSum over the whole tensor, so
//    the input crosses and a single number comes back; the transfer time of a run is its round
//    trip minus the target's own time (the reduction), and the rate is bytes / that time.
// 2. per-query overhead of a tiny model (Relu on 2x4): round trip minus target time.
// Prints medians over R runs (after 3 warm-up runs) and one JSON line for scripts.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "edgebench/backends/backend.h"

namespace {

using namespace edgebench;
using Clock = std::chrono::steady_clock;

ir::Graph one_node_graph(const std::string& op, Shape in_shape, Shape out_shape) {
  ir::Graph g;
  g.opset_imports = {{"", 13}};
  g.inputs = {"x"};
  g.value_info["x"] = {DType::kFloat32, std::move(in_shape), {}};
  ir::Node n;
  n.name = "node";
  n.op_type = op;
  n.inputs = {"x"};
  n.outputs = {"y"};
  g.nodes.push_back(n);
  g.outputs = {"y"};
  g.value_info["y"] = {DType::kFloat32, std::move(out_shape), {}};
  return g;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[(v.size() - 1) / 2];
}

struct Figures {
  double round_trip_ms = 0, target_ms = 0, transfer_ms = 0;
};

Result<Figures> measure(backends::Backend& backend, const ir::Graph& graph, const Tensor& input,
                        int runs) {
  EB_ASSIGN_OR_RETURN(auto exe, backend.compile(graph, {}));
  std::vector<Tensor> outputs(1);
  std::vector<double> trips, targets, transfers;
  for (int i = 0; i < runs + 3; ++i) {
    const auto t0 = Clock::now();
    EB_RETURN_IF_ERROR(exe->run(std::span(&input, 1), outputs));
    const double trip = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (i < 3) continue;
    const double target = exe->last_run_info()->device_ms.value_or(0);
    trips.push_back(trip);
    targets.push_back(target);
    transfers.push_back(trip - target);
  }
  return Figures{median(trips), median(targets), median(transfers)};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_remote tcp://HOST:PORT [--mib N] [--runs R]\n");
    return 2;
  }
  const std::string address = argv[1];
  int mib = 16, runs = 50;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--mib") mib = std::atoi(argv[i + 1]);
    if (flag == "--runs") runs = std::atoi(argv[i + 1]);
  }
  if (mib < 1 || runs < 1) {
    std::fprintf(stderr, "bench_remote: --mib and --runs must be at least 1\n");
    return 2;
  }
  auto backend = backends::make_backend(address);
  if (!backend.is_ok()) {
    std::fprintf(stderr, "bench_remote: %s\n", backend.status().to_string().c_str());
    return 2;
  }

  const std::int64_t elements = std::int64_t{mib} << 18;  // 4-byte floats
  Tensor big = Tensor::zeros(DType::kFloat32, {elements / 1024, 1024});
  for (std::int64_t i = 0; i < elements; ++i) big.data<float>()[i] = static_cast<float>(i % 7);
  auto large = measure(**backend, one_node_graph("ReduceSum", big.shape(), {1, 1}), big, runs);
  if (!large.is_ok()) {
    std::fprintf(stderr, "bench_remote: %s\n", large.status().to_string().c_str());
    return 1;
  }
  const double bytes = static_cast<double>(big.byte_size());
  const double gb_per_s = bytes / (large->transfer_ms * 1e-3) / 1e9;

  Tensor small = Tensor::zeros(DType::kFloat32, {2, 4});
  auto tiny = measure(**backend, one_node_graph("Relu", {2, 4}, {2, 4}), small, runs * 20);
  if (!tiny.is_ok()) {
    std::fprintf(stderr, "bench_remote: %s\n", tiny.status().to_string().c_str());
    return 1;
  }

  fmt::print("{} MiB float32 tensor to {} (median of {} runs)\n", mib, address, runs);
  fmt::print("  round trip {:.3f} ms, target ReduceSum {:.3f} ms, transfer {:.3f} ms: {:.2f} GB/s\n",
             large->round_trip_ms, large->target_ms, large->transfer_ms, gb_per_s);
  fmt::print("tiny model (Relu 2x4), median of {} runs\n", runs * 20);
  fmt::print("  round trip {:.1f} us, target {:.1f} us, transport overhead {:.1f} us\n",
             tiny->round_trip_ms * 1e3, tiny->target_ms * 1e3, tiny->transfer_ms * 1e3);
  fmt::print(
      "JSON {{\"tensor_mib\":{},\"tensor_gb_per_s\":{:.4f},\"tensor_transfer_ms\":{:.4f},"
      "\"tiny_round_trip_us\":{:.2f},\"tiny_overhead_us\":{:.2f}}}\n",
      mib, gb_per_s, large->transfer_ms, tiny->round_trip_ms * 1e3, tiny->transfer_ms * 1e3);
  return 0;
}
