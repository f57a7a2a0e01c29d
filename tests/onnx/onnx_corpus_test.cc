// Runs the importer over every model in Debian's ONNX backend test data.
#include <map>

#include "onnx/onnx_test_util.h"

namespace edgebench::onnx::testing {
namespace {

TEST(OnnxCorpus, EveryBackendTestModelImportsOrFailsCleanly) {
  const std::vector<std::filesystem::path> models = all_test_models();
  ASSERT_FALSE(models.empty()) << "no ONNX backend test data under " << kTestDataRoot
                               << " (install libonnx-testdata)";
  std::size_t imported = 0;
  std::map<StatusCode, std::size_t> failures;
  std::map<std::string, std::size_t> reasons;
  for (const std::filesystem::path& model : models) {
    Result<ir::Graph> graph = load_model(model);
    if (graph.is_ok()) {
      ++imported;
      EXPECT_FALSE(graph->nodes.empty()) << model;
      const std::int64_t opset = graph->onnx_opset();
      EXPECT_TRUE(opset == 0 || (opset >= 1 && opset <= 18)) << model;
      continue;
    }
    const Status& st = graph.status();
    ++failures[st.code()];
    // A clean failure is "unsupported" and names the file.
    EXPECT_EQ(st.code(), StatusCode::kUnsupported) << model << ": " << st.to_string();
    EXPECT_NE(st.message().find(model.string()), std::string::npos) << st.message();
    std::string reason = st.message().substr(model.string().size());
    reasons[reason.substr(0, 80)]++;
  }
  std::cout << "imported " << imported << " of " << models.size() << " models\n";
  for (const auto& [reason, count] : reasons) std::cout << "  " << count << " x" << reason << "\n";
  EXPECT_GT(models.size(), 1000u);
  // Strings, sequences, optionals and subgraphs are the only expected refusals.
  EXPECT_GE(imported * 100, models.size() * 80) << imported << " of " << models.size();
}

}  // namespace
}  // namespace edgebench::onnx::testing
