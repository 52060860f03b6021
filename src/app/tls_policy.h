// tls_policy: a proposed Postfix TLS policy, and what it says of one
// negotiation the log recorded (pftls whatif).
//
// Contract: ProtocolPolicy reads Postfix's smtpd_tls_protocols /
// smtpd_tls_mandatory_protocols syntax: elements separated by commas,
// colons or whitespace; "NAME" includes, "!NAME" excludes, ">=V" and "<=V"
// bound the range (V a name, or hexadecimal as Postfix takes it: 0301,
// 0x0303). Names are SSLv2, SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, in any
// case; an empty spec allows them all. Anything else throws UsageError naming
// the allowed values. CipherPolicy hands an OpenSSL cipher string to libssl
// (SSL_CTX_set_cipher_list on a TLS_method context, as Postfix does) and keeps
// the names it expands to; a string that selects no cipher throws UsageError.
// TLS 1.3 suites are not governed by a cipher list (Postfix leaves them to
// OpenSSL's TLS 1.3 ciphersuites): a TLSv1.3 negotiation passes the cipher
// check whatever its suite. Inputs are bounded (spec and string at most
// 4096 bytes); log text is only compared, never parsed further.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pftls {

class ProtocolPolicy {
 public:
  // Allows every protocol.
  ProtocolPolicy() = default;
  static ProtocolPolicy parse(std::string_view spec);

  // A protocol as Postfix logs it ("TLSv1.2"): allowed or not; nullopt for
  // a name this policy does not know (the log's text is hostile).
  std::optional<bool> allows(std::string_view logged) const;
  // The allowed names, lowest first, space separated ("TLSv1.2 TLSv1.3").
  std::string allowed_names() const;

 private:
  std::uint32_t allowed_ = 0x3f;  // bit i: kNames[i]
};

class CipherPolicy {
 public:
  static CipherPolicy expand(const std::string& openssl_string);

  // Whether a negotiation of `protocol` with `cipher` passes the cipher
  // list: TLSv1.3 always; otherwise the cipher is in the expansion.
  bool allows(std::string_view protocol, std::string_view cipher) const;
  // The expansion, in OpenSSL's order of preference.
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<std::string> names_;
  std::vector<std::string> sorted_;  // for lookup
};

}  // namespace pftls
