// Shared pieces of the measure tests: a Relu-chain model compiled on a named backend, its
// samples, and hand-made executables (slow, counting, failing) with known behaviour.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "edgebench/backends/backend.h"
#include "edgebench/ir/graph.h"

namespace edgebench::measure::testing {

// x -> Relu -> ... -> Relu -> y (n nodes), float32 of `shape`.
inline ir::Graph relu_chain(int n, Shape shape) {
  ir::Graph g;
  g.opset_imports = {{"", 13}};
  g.inputs = {"x"};
  g.value_info["x"] = {DType::kFloat32, shape, {}};
  std::string prev = "x";
  for (int i = 0; i < n; ++i) {
    const std::string out = i + 1 == n ? "y" : "t" + std::to_string(i);
    ir::Node node;
    node.name = "relu" + std::to_string(i);
    node.op_type = "Relu";
    node.inputs = {prev};
    node.outputs = {out};
    g.nodes.push_back(std::move(node));
    prev = out;
  }
  g.outputs = {"y"};
  return g;
}

inline std::unique_ptr<backends::Executable> compile_on(const std::string& backend,
                                                        const ir::Graph& graph) {
  auto b = backends::make_backend(backend);
  EXPECT_TRUE(b.is_ok()) << b.status().to_string();
  if (!b.is_ok()) return nullptr;
  auto exe = (*b)->compile(graph, {});
  EXPECT_TRUE(exe.is_ok()) << exe.status().to_string();
  if (!exe.is_ok()) return nullptr;
  return std::move(exe).value();
}

// `count` input sets of one float32 tensor each, seeded values in [-1, 1).
inline std::vector<std::vector<Tensor>> random_samples(std::size_t count, const Shape& shape,
                                                       std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<std::vector<Tensor>> samples;
  for (std::size_t i = 0; i < count; ++i) {
    Tensor t = Tensor::zeros(DType::kFloat32, shape);
    float* data = t.data<float>();
    for (std::int64_t j = 0; j < element_count(shape); ++j) data[j] = dist(rng);
    samples.push_back({t});
  }
  return samples;
}

// An executable with one input and one output that takes a fixed time per call (sleeping, so
// it does not compete with the harness for the CPU), counts its calls, remembers which sample
// (by data pointer) it was given, and can fail on a chosen call.
class FakeExecutable final : public backends::Executable {
 public:
  explicit FakeExecutable(std::chrono::microseconds delay = std::chrono::microseconds(0))
      : delay_(delay) {
    inputs_.push_back({"x", DType::kFloat32, {1}});
    outputs_.push_back({"y", DType::kFloat32, {1}});
  }
  const std::vector<backends::TensorSpec>& inputs() const override { return inputs_; }
  const std::vector<backends::TensorSpec>& outputs() const override { return outputs_; }
  Status run(std::span<const Tensor> inputs, std::span<Tensor>) override {
    const std::uint64_t call = calls_++;
    if (record_inputs_) seen_.push_back(inputs.empty() ? nullptr : inputs[0].raw_data());
    if (fail_at_ && call == *fail_at_) return internal_error("injected failure");
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
    return Status::ok();
  }

  std::uint64_t calls() const { return calls_; }
  void fail_at(std::uint64_t call) { fail_at_ = call; }
  void record_inputs() { record_inputs_ = true; }
  const std::vector<const void*>& seen() const { return seen_; }

 private:
  std::chrono::microseconds delay_;
  std::vector<backends::TensorSpec> inputs_, outputs_;
  std::uint64_t calls_ = 0;
  std::optional<std::uint64_t> fail_at_;
  bool record_inputs_ = false;
  std::vector<const void*> seen_;
};

// A fresh folder under the system's temporary directory (a fake /proc, /sys or powercap tree),
// removed with its contents, even ones a test made unreadable, when this goes out of scope.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "eb_measure_XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    namespace fs = std::filesystem;
    std::error_code ec;
    // Restore permissions the tests removed so the tree can be deleted.
    for (auto it = fs::recursive_directory_iterator(path_, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace edgebench::measure::testing
