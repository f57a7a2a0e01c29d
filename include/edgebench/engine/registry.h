// The op registry: which ops the engine can run. Built explicitly by register_builtin_ops;
// no op registers itself from a global constructor.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edgebench/engine/op.h"

namespace edgebench::engine {

class Registry {
 public:
  void add(const OpDef& def);
  // The op for (domain, op_type) at the given opset, or null when unknown.
  const OpDef* find(std::string_view domain, std::string_view op_type) const;
  std::vector<const OpDef*> all() const;

  // Creates the kernel for a node; kUnsupported when the op is not registered or its opset is
  // below what the op accepts.
  Result<std::unique_ptr<OpKernel>> create_kernel(const ir::Node& node, std::int64_t opset) const;

 private:
  std::map<std::pair<std::string, std::string>, OpDef, std::less<>> ops_;
};

// Adds every reference op (src/engine/ops/*.cc).
void register_builtin_ops(Registry& registry);
// A registry with the builtin ops, built once.
const Registry& builtin_registry();

}  // namespace edgebench::engine
