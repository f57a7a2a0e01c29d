// edgebench conformance: runs ONNX backend test folders (model.onnx + test_data_set_*/) and
// classifies each test as pass, fail (wrong numbers), unsupported (an op, attribute or dtype the
// engine does not have, known before running) or error (anything else).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "commands.h"
#include "common.h"
#include "edgebench/backends/backend.h"
#include "edgebench/onnx/model_io.h"

namespace edgebench::cli {

namespace fs = std::filesystem;

namespace {

// The ONNX backend tests' default tolerances (numpy.testing.assert_allclose).
constexpr double kRtol = 1e-3;
constexpr double kAtol = 1e-7;

struct TestResult {
  std::string name;
  std::string folder;
  std::string status;  // pass | fail | unsupported | error
  std::vector<std::string> ops;
  std::string message;
  double ms = 0;
};

std::vector<fs::path> find_tests(const std::vector<std::string>& dirs, Status& status) {
  std::vector<fs::path> tests;
  for (const std::string& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      status = not_found(fmt::format("test folder '{}' does not exist", dir));
      return {};
    }
    if (fs::exists(fs::path(dir) / "model.onnx", ec)) {
      tests.emplace_back(dir);
      continue;
    }
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.is_directory() && fs::exists(entry.path() / "model.onnx"))
        found.push_back(entry.path());
    }
    std::sort(found.begin(), found.end());
    if (found.empty()) {
      status = invalid_argument(
          fmt::format("'{}' holds no ONNX test (no model.onnx in it or in its sub-folders)", dir));
      return {};
    }
    tests.insert(tests.end(), found.begin(), found.end());
  }
  return tests;
}

// Files named <prefix>_<N>.pb in numeric order.
std::vector<fs::path> numbered_files(const fs::path& dir, const std::string& prefix) {
  std::vector<std::pair<long, fs::path>> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string stem = entry.path().stem().string();
    if (entry.path().extension() != ".pb" || stem.rfind(prefix + "_", 0) != 0) continue;
    files.emplace_back(std::strtol(stem.c_str() + prefix.size() + 1, nullptr, 10), entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<fs::path> out;
  for (auto& f : files) out.push_back(f.second);
  return out;
}

std::string classify(const Status& st) {
  return st.code() == StatusCode::kUnsupported ? "unsupported" : "error";
}

// Compares one output; returns an empty string when it matches.
std::string compare(const std::string& name, const Tensor& got, const Tensor& want) {
  if (got.dtype() != want.dtype()) {
    return fmt::format("output '{}': dtype {} expected {}", name, dtype_name(got.dtype()),
                       dtype_name(want.dtype()));
  }
  if (got.shape() != want.shape()) {
    return fmt::format("output '{}': shape {} expected {}", name, shape_to_string(got.shape()),
                       shape_to_string(want.shape()));
  }
  const bool floating = is_floating(want.dtype());
  std::int64_t bad = 0, first_bad = -1;
  double worst = 0;
  for (std::int64_t i = 0; i < want.element_count(); ++i) {
    bool ok;
    if (floating) {
      const double g = got.element_as_double(i), w = want.element_as_double(i);
      if (std::isnan(w) || std::isnan(g)) {
        ok = std::isnan(w) && std::isnan(g);
      } else if (std::isinf(w) || std::isinf(g)) {
        ok = g == w;
      } else {
        const double err = std::fabs(g - w);
        ok = err <= kAtol + kRtol * std::fabs(w);
        worst = std::max(worst, err);
      }
    } else {
      ok = got.element_as_int64(i) == want.element_as_int64(i);
    }
    if (!ok) {
      if (first_bad < 0) first_bad = i;
      ++bad;
    }
  }
  if (bad == 0) return {};
  return fmt::format(
      "output '{}': {} of {} elements differ; first at {}: got {:.7g} expected {:.7g}"
      " (max abs error {:.3g})",
      name, bad, want.element_count(), first_bad, got.element_as_double(first_bad),
      want.element_as_double(first_bad), worst);
}

TestResult run_test(const backends::Backend& backend, const fs::path& folder) {
  TestResult r;
  r.name = folder.filename().string();
  r.folder = folder.string();
  auto graph = onnx::load_model(folder / "model.onnx");
  if (!graph.is_ok()) {
    r.status = classify(graph.status());
    r.message = graph.status().message();
    return r;
  }
  std::set<std::string> ops;
  for (const ir::Node& node : graph->nodes) {
    ops.insert(node.domain.empty() ? node.op_type : node.domain + "." + node.op_type);
  }
  r.ops.assign(ops.begin(), ops.end());

  std::vector<fs::path> data_sets;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (entry.is_directory() && entry.path().filename().string().rfind("test_data_set_", 0) == 0) {
      data_sets.push_back(entry.path());
    }
  }
  std::sort(data_sets.begin(), data_sets.end());
  if (data_sets.empty()) {
    r.status = "error";
    r.message = "no test_data_set_* folder";
    return r;
  }
  for (const fs::path& data_set : data_sets) {
    // Inputs name themselves in the .pb; fall back to position among the graph inputs.
    std::map<std::string, Tensor, std::less<>> given;
    const auto input_files = numbered_files(data_set, "input");
    for (std::size_t k = 0; k < input_files.size(); ++k) {
      std::string name;
      auto t = onnx::load_tensor_proto(input_files[k], &name);
      if (!t.is_ok()) {
        r.status = classify(t.status());
        r.message = t.status().message();
        return r;
      }
      if (std::find(graph->inputs.begin(), graph->inputs.end(), name) == graph->inputs.end()) {
        if (k >= graph->inputs.size()) {
          r.status = "error";
          r.message = fmt::format("{} has more inputs than the model", data_set.string());
          return r;
        }
        name = graph->inputs[k];
      }
      given[name] = std::move(t).value();
    }
    backends::CompileOptions compile_options;
    for (const auto& [name, t] : given) compile_options.input_shapes[name] = t.shape();
    auto plan = backend.compile(*graph, compile_options);
    if (!plan.is_ok()) {
      r.status = classify(plan.status());
      r.message = plan.status().message();
      return r;
    }
    std::vector<Tensor> inputs;
    for (const backends::TensorSpec& spec : (*plan)->inputs()) {
      auto it = given.find(spec.name);
      if (it == given.end()) {
        r.status = "error";
        r.message = fmt::format("no data for input '{}'", spec.name);
        return r;
      }
      inputs.push_back(it->second);
    }
    std::vector<Tensor> outputs((*plan)->outputs().size());
    Status st = (*plan)->run(inputs, outputs);
    if (!st.is_ok()) {
      r.status = classify(st);
      r.message = st.message();
      return r;
    }
    const auto output_files = numbered_files(data_set, "output");
    if (output_files.size() != outputs.size()) {
      r.status = "error";
      r.message = fmt::format("{} expected outputs, the model produced {}", output_files.size(),
                              outputs.size());
      return r;
    }
    for (std::size_t k = 0; k < output_files.size(); ++k) {
      auto want = onnx::load_tensor_proto(output_files[k]);
      if (!want.is_ok()) {
        r.status = classify(want.status());
        r.message = want.status().message();
        return r;
      }
      std::string diff = compare((*plan)->outputs()[k].name, outputs[k], *want);
      if (!diff.empty()) {
        r.status = "fail";
        r.message = fmt::format("{}: {}", data_set.filename().string(), diff);
        return r;
      }
    }
  }
  r.status = "pass";
  return r;
}

std::vector<std::string> read_expected(const std::string& path, Status& status) {
  std::ifstream in(path);
  if (!in) {
    status = not_found(fmt::format("cannot read expected-pass list '{}'", path));
    return {};
  }
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    names.push_back(line);
  }
  return names;
}

}  // namespace

int run_conformance(const ConformanceOptions& options) {
  auto backend = backends::make_backend(options.backend);
  if (!backend.is_ok()) return report_error(backend.status());
  Status found_status;
  std::vector<fs::path> tests = find_tests(options.dirs, found_status);
  if (!found_status.is_ok()) return report_error(found_status);
  std::vector<std::string> expected;
  if (!options.expect_path.empty()) {
    Status st;
    expected = read_expected(options.expect_path, st);
    if (!st.is_ok()) return report_error(st);
  }

  std::vector<TestResult> results;
  std::map<std::string, int> summary{{"pass", 0}, {"fail", 0}, {"unsupported", 0}, {"error", 0}};
  std::map<std::string, std::map<std::string, int>> per_op;
  for (const fs::path& test : tests) {
    if (!options.filter.empty() &&
        test.filename().string().find(options.filter) == std::string::npos) {
      continue;
    }
    const auto start = std::chrono::steady_clock::now();
    TestResult r = run_test(**backend, test);
    r.ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    summary[r.status] += 1;
    for (const std::string& op : r.ops) per_op[op][r.status] += 1;
    if (!options.quiet && r.status != "pass") {
      fmt::print("{:<12} {:<52} {}\n", r.status, r.name, r.message.substr(0, 160));
    }
    results.push_back(std::move(r));
  }
  const int total = static_cast<int>(results.size());
  fmt::print(
      "\nconformance: {} tests   pass {}   fail {}   unsupported {}   error {}   ({:.1f}% pass)\n",
      total, summary["pass"], summary["fail"], summary["unsupported"], summary["error"],
      total ? 100.0 * summary["pass"] / total : 0.0);

  if (!options.json_path.empty()) {
    nlohmann::json j;
    j["schema"] = "edgebench.conformance/1";
    j["backend"] = options.backend;
    j["tolerance"] = {{"rtol", kRtol}, {"atol", kAtol}};
    j["summary"] = summary;
    j["summary"]["total"] = total;
    j["tests"] = nlohmann::json::array();
    for (const TestResult& r : results) {
      j["tests"].push_back({{"name", r.name},
                            {"folder", r.folder},
                            {"status", r.status},
                            {"ops", r.ops},
                            {"message", r.message},
                            {"ms", r.ms}});
    }
    j["ops"] = per_op;
    std::ofstream out(options.json_path);
    out << j.dump(1) << "\n";
    if (!out) return report_error(io_error(fmt::format("cannot write '{}'", options.json_path)));
  }
  if (!options.markdown_path.empty()) {
    std::ofstream out(options.markdown_path);
    out << "# ONNX backend-test conformance (backend `" << options.backend << "`)\n\n"
        << "Generated by `edgebench conformance`; tolerance rtol " << kRtol << ", atol " << kAtol
        << ".\n\n| total | pass | fail | unsupported | error |\n|---|---|---|---|---|\n"
        << fmt::format("| {} | {} | {} | {} | {} |\n\n", total, summary["pass"], summary["fail"],
                       summary["unsupported"], summary["error"])
        << "## Support per op\n\nA test counts for every op in its model.\n\n"
        << "| op | pass | fail | unsupported | error |\n|---|---|---|---|---|\n";
    for (auto& [op, counts] : per_op) {
      out << fmt::format("| {} | {} | {} | {} | {} |\n", op, counts["pass"], counts["fail"],
                         counts["unsupported"], counts["error"]);
    }
    out << "\n## Tests not passing\n\n| test | status | message |\n|---|---|---|\n";
    for (const TestResult& r : results) {
      if (r.status == "pass") continue;
      std::string msg = r.message.substr(0, 200);
      std::replace(msg.begin(), msg.end(), '|', '/');
      std::replace(msg.begin(), msg.end(), '\n', ' ');
      out << fmt::format("| {} | {} | {} |\n", r.name, r.status, msg);
    }
    if (!out)
      return report_error(io_error(fmt::format("cannot write '{}'", options.markdown_path)));
  }
  if (!expected.empty()) {
    std::map<std::string, const TestResult*> by_name;
    for (const TestResult& r : results) by_name[r.name] = &r;
    int regressions = 0;
    for (const std::string& name : expected) {
      auto it = by_name.find(name);
      if (it == by_name.end()) continue;  // not among the folders given
      if (it->second->status != "pass") {
        ++regressions;
        fmt::print(stderr, "regression: {} is {} ({})\n", name, it->second->status,
                   it->second->message);
      }
    }
    if (regressions > 0) {
      fmt::print(stderr, "{} test(s) listed in {} no longer pass\n", regressions,
                 options.expect_path);
      return kExitCheckFailed;
    }
    fmt::print("no regressions against {}\n", options.expect_path);
  }
  return kExitOk;
}

}  // namespace edgebench::cli
