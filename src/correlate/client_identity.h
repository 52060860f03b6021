// client_identity: who a sending client is, beyond one IP address.
//
// Contract: subnet_of() gives the /24 of an IPv4 address ("192.0.2.0/24")
// or the /64 of an IPv6 address ("2001:db8:1:2::/64"), empty for anything
// else. org_domain_of() gives the registrable domain of a host name under
// the public suffix list (libpsl's built-in copy): "extmta1-new.aexp.com"
// -> "aexp.com"; empty for "unknown", addresses and names without one. Large
// senders use pools (extmta1 fails, extmta2 retries): these are the keys
// that tie a pool together for `--match subnet|org`.
//
// OrgDomains gives the same answers as org_domain_of() and remembers them
// by the name's parent (the name less its first label): the hosts of one
// organisation (mail-out-7.acme.example, host-192-0-2-7.dsl.isp.example)
// share it, and a libpsl lookup costs microseconds. The memo is used only
// where it cannot differ from libpsl: the parent's registrable domain R was
// found for a name whose registrable domain was a proper suffix, and the new
// name is not itself a public suffix (psl_is_public_suffix, a quarter of the
// cost). Bounded: the memo is emptied when it holds kMaxParents parents.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "correlate/records.h"  // StringMap

namespace pftls {

std::string subnet_of(std::string_view ip);
std::string org_domain_of(std::string_view host_name);

class OrgDomains {
 public:
  static constexpr std::size_t kMaxParents = 65536;
  std::string of(std::string_view host_name);

 private:
  friend struct OrgDomainsProbe;  // client_identity_internal.h
  StringMap<std::string> by_parent_;
  std::size_t hits_ = 0;
};

}  // namespace pftls
