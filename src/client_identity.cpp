// client_identity: IPv4 /24 and IPv6 /64 keys, registrable domains via libpsl.
#include "client_identity.h"

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

std::string org_domain_of(std::string_view host_name) {
  if (host_name.empty() || host_name == "unknown" || host_name.size() > 253) return {};
  std::string name(host_name);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  while (!name.empty() && name.back() == '.') name.pop_back();
  // An address in brackets or a bare IP is no name.
  unsigned char buf[16];
  if (inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1) {
    return {};
  }
  static const psl_ctx_t* psl = psl_builtin();
  if (!psl) return {};
  const char* reg = psl_registrable_domain(psl, name.c_str());
  return reg ? std::string(reg) : std::string();
}

}  // namespace pftls
