#include "target_pool.h"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "edgebench/backends/backend.h"
#include "edgebench/remote/protocol.h"

namespace edgebench::cli {

namespace {

// "K=V" -> (K, V); an error text for anything else.
Result<std::pair<std::string, std::string>> split_label(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size()) {
    return invalid_argument(fmt::format("label '{}': expected KEY=VALUE", text));
  }
  return std::pair{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

}  // namespace

Result<std::vector<PoolTarget>> read_target_pool(const std::string& path) {
  std::ifstream in(path);
  if (!in) return not_found(fmt::format("target pool '{}' cannot be opened", path));
  std::vector<PoolTarget> pool;
  std::set<std::string> specs;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    PoolTarget t;
    t.line = number;
    if (!(words >> t.spec)) continue;
    const auto where = [&] { return fmt::format("target pool '{}' line {}", path, number); };
    // Checks the spec only: nothing connects or starts here.
    if (auto backend = backends::make_backend(t.spec); !backend.is_ok()) {
      return backend.status().with_context(where());
    }
    if (!specs.insert(t.spec).second) {
      return invalid_argument(fmt::format("{}: target '{}' is listed twice", where(), t.spec));
    }
    for (std::string word; words >> word;) {
      auto label = split_label(word);
      if (!label.is_ok()) return label.status().with_context(where());
      t.labels[label->first] = label->second;
    }
    pool.push_back(std::move(t));
  }
  if (in.bad()) return io_error(fmt::format("target pool '{}' cannot be read", path));
  if (pool.empty()) return invalid_argument(fmt::format("target pool '{}' lists no target", path));
  return pool;
}

bool is_pool_selector(std::string_view backend) {
  return backend == "pool" || backend.starts_with("pool:");
}

Result<std::map<std::string, std::string>> pool_selector_labels(std::string_view backend) {
  std::map<std::string, std::string> wanted;
  if (backend == "pool") return wanted;
  std::string_view rest = backend.substr(5);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    auto label = split_label(item);
    if (!label.is_ok()) return label.status().with_context(fmt::format("backend '{}'", backend));
    wanted[label->first] = label->second;
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  if (wanted.empty()) {
    return invalid_argument(fmt::format("backend '{}': expected pool:KEY=VALUE[,...]", backend));
  }
  return wanted;
}

bool pool_target_matches(const PoolTarget& target,
                         const std::map<std::string, std::string>& wanted) {
  for (const auto& [key, value] : wanted) {
    auto it = target.labels.find(key);
    if (it == target.labels.end() || it->second != value) return false;
  }
  return true;
}

bool pool_target_reachable(const PoolTarget& target, int timeout_ms) {
  if (!target.spec.starts_with("tcp://")) return true;
  std::string_view address = std::string_view(target.spec).substr(6);
  address = address.substr(0, address.find('?'));
  auto host_port = remote::parse_host_port(address, /*allow_port_zero=*/false);
  if (!host_port.is_ok()) return false;
  auto socket = remote::connect_tcp(host_port->first, host_port->second, timeout_ms);
  if (!socket.is_ok()) return false;
  ::close(*socket);
  return true;
}

}  // namespace edgebench::cli
