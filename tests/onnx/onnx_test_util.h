// Shared helpers for the ONNX import/export tests.
#pragma once

// test_onnx links eb_onnx, which links the onnx targets privately, so their compile
// definitions do not reach us; Debian's libonnx is built with these.
#ifndef ONNX_ML
#define ONNX_ML 1
#endif
#ifndef ONNX_NAMESPACE
#define ONNX_NAMESPACE onnx
#endif
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "edgebench/ir/graph.h"
#include "edgebench/onnx/model_io.h"

namespace edgebench::onnx::testing {

namespace pb = ::onnx;

inline const std::filesystem::path kTestDataRoot = "/usr/share/libonnx-testdata/data";

// A fresh, empty temporary folder removed at destruction.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("edgebench_onnx_test_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void write_bytes(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::span<const std::byte> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// Every model.onnx under the backend test folders that the brief names, sorted.
inline std::vector<std::filesystem::path> all_test_models() {
  std::vector<std::filesystem::path> models;
  for (const char* group : {"node", "pytorch-converted", "pytorch-operator", "simple"}) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(kTestDataRoot / group, ec)) {
      std::filesystem::path model = entry.path() / "model.onnx";
      if (std::filesystem::exists(model)) models.push_back(model);
    }
  }
  std::sort(models.begin(), models.end());
  return models;
}

inline bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         (a.byte_size() == 0 || std::memcmp(a.raw_data(), b.raw_data(), a.byte_size()) == 0);
}

// Floats compared by bits so that NaN attributes compare equal to themselves.
inline bool same_attribute(const ir::AttributeValue& a, const ir::AttributeValue& b) {
  if (a.index() != b.index()) return false;
  if (const auto* t = std::get_if<Tensor>(&a)) return same_bytes(*t, std::get<Tensor>(b));
  if (const auto* f = std::get_if<float>(&a)) {
    return std::memcmp(f, &std::get<float>(b), sizeof(float)) == 0;
  }
  if (const auto* fs = std::get_if<std::vector<float>>(&a)) {
    const auto& gs = std::get<std::vector<float>>(b);
    return fs->size() == gs.size() &&
           (fs->empty() || std::memcmp(fs->data(), gs.data(), fs->size() * sizeof(float)) == 0);
  }
  if (const auto* i = std::get_if<std::int64_t>(&a)) return *i == std::get<std::int64_t>(b);
  if (const auto* s = std::get_if<std::string>(&a)) return *s == std::get<std::string>(b);
  if (const auto* is = std::get_if<std::vector<std::int64_t>>(&a)) {
    return *is == std::get<std::vector<std::int64_t>>(b);
  }
  return std::get<std::vector<std::string>>(a) == std::get<std::vector<std::string>>(b);
}

// Non-fatal, detailed comparison of two graphs (nodes, attributes, initializers byte-exact,
// value infos, inputs/outputs, opsets, metadata).
inline void expect_graphs_equal(const ir::Graph& a, const ir::Graph& b,
                                const std::string& context) {
  SCOPED_TRACE(context);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.inputs, b.inputs);
  EXPECT_EQ(a.outputs, b.outputs);
  EXPECT_EQ(a.producer_name, b.producer_name);
  EXPECT_EQ(a.producer_version, b.producer_version);
  EXPECT_EQ(a.doc_string, b.doc_string);
  EXPECT_EQ(a.metadata, b.metadata);
  ASSERT_EQ(a.opset_imports.size(), b.opset_imports.size());
  for (std::size_t i = 0; i < a.opset_imports.size(); ++i) {
    EXPECT_EQ(a.opset_imports[i].domain, b.opset_imports[i].domain);
    EXPECT_EQ(a.opset_imports[i].version, b.opset_imports[i].version);
  }
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (std::size_t i = 0; i < a.nodes.size(); ++i) {
    const ir::Node& x = a.nodes[i];
    const ir::Node& y = b.nodes[i];
    EXPECT_EQ(x.name, y.name) << "node " << i;
    EXPECT_EQ(x.op_type, y.op_type) << "node " << i;
    EXPECT_EQ(x.domain, y.domain) << "node " << i;
    EXPECT_EQ(x.inputs, y.inputs) << "node " << i;
    EXPECT_EQ(x.outputs, y.outputs) << "node " << i;
    ASSERT_EQ(x.attributes.all().size(), y.attributes.all().size()) << "node " << i;
    for (const auto& [name, value] : x.attributes.all()) {
      const ir::AttributeValue* other = y.attributes.find(name);
      ASSERT_NE(other, nullptr) << "node " << i << " attribute " << name;
      EXPECT_TRUE(same_attribute(value, *other)) << "node " << i << " attribute " << name;
    }
  }
  ASSERT_EQ(a.initializers.size(), b.initializers.size());
  for (const auto& [name, tensor] : a.initializers) {
    auto it = b.initializers.find(name);
    ASSERT_NE(it, b.initializers.end()) << "initializer " << name;
    EXPECT_TRUE(same_bytes(tensor, it->second)) << "initializer " << name;
  }
  ASSERT_EQ(a.value_info.size(), b.value_info.size());
  for (const auto& [name, info] : a.value_info) {
    auto it = b.value_info.find(name);
    ASSERT_NE(it, b.value_info.end()) << "value_info " << name;
    EXPECT_EQ(info.dtype, it->second.dtype) << "value_info " << name;
    EXPECT_EQ(info.shape, it->second.shape) << "value_info " << name;
    EXPECT_EQ(info.dim_names, it->second.dim_names) << "value_info " << name;
  }
}

}  // namespace edgebench::onnx::testing
