// client_identity: IPv4 /24 and IPv6 /64 keys, registrable domains via libpsl.
#include "correlate/client_identity.h"

#include <arpa/inet.h>
#include <libpsl.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace pftls {

std::string subnet_of(std::string_view ip) {
  char text[INET6_ADDRSTRLEN + 8];
  if (ip.empty() || ip.size() >= INET6_ADDRSTRLEN) return {};
  std::string s(ip);
  if (s.rfind("IPv6:", 0) == 0) s = s.substr(5);
  unsigned char addr[16];
  if (ip.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, s.c_str(), addr) != 1) return {};
    addr[3] = 0;
    if (!inet_ntop(AF_INET, addr, text, sizeof text)) return {};
    return std::string(text) + "/24";
  }
  if (inet_pton(AF_INET6, s.c_str(), addr) != 1) return {};
  std::memset(addr + 8, 0, 8);
  if (!inet_ntop(AF_INET6, addr, text, sizeof text)) return {};
  return std::string(text) + "/64";
}

namespace {

const psl_ctx_t* builtin_psl() {
  static const psl_ctx_t* psl = psl_builtin();
  return psl;
}

// The name lower-cased without trailing dots, or false when it is no name
// (empty, "unknown", too long, an IP address).
bool normalise_name(std::string_view host_name, std::string& name) {
  if (host_name.empty() || host_name == "unknown" || host_name.size() > 253) return false;
  name.assign(host_name);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  while (!name.empty() && name.back() == '.') name.pop_back();
  if (name.empty()) return false;
  unsigned char buf[16];
  return inet_pton(AF_INET, name.c_str(), buf) != 1 && inet_pton(AF_INET6, name.c_str(), buf) != 1;
}

}  // namespace

std::string org_domain_of(std::string_view host_name) {
  std::string name;
  if (!normalise_name(host_name, name) || !builtin_psl()) return {};
  const char* reg = psl_registrable_domain(builtin_psl(), name.c_str());
  return reg ? std::string(reg) : std::string();
}

std::string OrgDomains::of(std::string_view host_name) {
  std::string name;
  if (!normalise_name(host_name, name) || !builtin_psl()) return {};
  const auto dot = name.find('.');
  const std::string_view parent =
      dot == std::string::npos ? std::string_view{} : std::string_view(name).substr(dot + 1);
  if (!parent.empty()) {
    auto it = by_parent_.find(parent);
    if (it != by_parent_.end() && !psl_is_public_suffix(builtin_psl(), name.c_str())) {
      ++hits_;
      return it->second;
    }
  }
  const char* reg = psl_registrable_domain(builtin_psl(), name.c_str());
  std::string out = reg ? std::string(reg) : std::string();
  // R, a proper suffix of the name, is a suffix of the parent too, and is
  // the parent's registrable domain: remember it for the parent's children.
  if (!out.empty() && out.size() < name.size() && !parent.empty()) {
    if (by_parent_.size() >= kMaxParents) by_parent_.clear();
    by_parent_.emplace(std::string(parent), out);
  }
  return out;
}

}  // namespace pftls
