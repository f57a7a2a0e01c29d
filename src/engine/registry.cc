#include "edgebench/engine/registry.h"

#include <fmt/format.h>

namespace edgebench::engine {

void Registry::add(const OpDef& def) {
  ops_[{std::string(def.domain), std::string(def.op_type)}] = def;
}

const OpDef* Registry::find(std::string_view domain, std::string_view op_type) const {
  if (ir::is_default_domain(domain)) domain = "";
  auto it = ops_.find(std::pair<std::string, std::string>(domain, op_type));
  return it == ops_.end() ? nullptr : &it->second;
}

std::vector<const OpDef*> Registry::all() const {
  std::vector<const OpDef*> out;
  for (const auto& [key, def] : ops_) out.push_back(&def);
  return out;
}

Result<std::unique_ptr<OpKernel>> Registry::create_kernel(const ir::Node& node,
                                                          std::int64_t opset) const {
  const OpDef* def = find(node.domain, node.op_type);
  if (def == nullptr) {
    return unsupported(fmt::format("{}: op '{}{}{}' is not implemented", node.describe(),
                                   node.domain, node.domain.empty() ? "" : ".", node.op_type));
  }
  if (node.domain.empty() && opset != 0 && opset < def->since_opset) {
    return unsupported(fmt::format("{}: opset {} is older than the {} the engine supports",
                                   node.describe(), opset, def->since_opset));
  }
  KernelCreateContext ctx{node, opset};
  auto kernel = def->create(ctx);
  if (!kernel.is_ok()) {
    const std::string& msg = kernel.status().message();
    // Factories report attribute problems without the node; add it once.
    if (msg.find(node.describe()) == std::string::npos) {
      return kernel.status().with_context(node.describe());
    }
  }
  return kernel;
}

const Registry& builtin_registry() {
  static const Registry* registry = [] {
    auto* r = new Registry();
    register_builtin_ops(*r);
    return r;
  }();
  return *registry;
}

}  // namespace edgebench::engine
