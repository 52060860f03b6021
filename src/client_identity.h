// client_identity: who a sending client is, beyond one IP address.
//
// Contract: subnet_of() gives the /24 of an IPv4 address ("192.0.2.0/24")
// or the /64 of an IPv6 address ("2001:db8:1:2::/64"), empty for anything
// else. org_domain_of() gives the registrable domain of a host name under
// the public suffix list (libpsl's built-in copy): "extmta1-new.aexp.com"
// -> "aexp.com"; empty for "unknown", addresses and names without one. Large
// senders use pools (extmta1 fails, extmta2 retries): these are the keys
// that tie a pool together for `--match subnet|org`.
#pragma once

#include <string>
#include <string_view>

namespace pftls {

std::string subnet_of(std::string_view ip);
std::string org_domain_of(std::string_view host_name);

}  // namespace pftls
