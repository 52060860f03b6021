// tls_policy: Postfix's protocol syntax, and cipher strings expanded by libssl.
#include "app/tls_policy.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>

#include "app/options.h"
#include "base/text.h"

namespace pftls {
namespace {

// Postfix's protocol names, lowest first; bit i of a mask is kNames[i].
constexpr std::array<std::string_view, 6> kNames = {"SSLv2",   "SSLv3",   "TLSv1",
                                                    "TLSv1.1", "TLSv1.2", "TLSv1.3"};
constexpr std::uint32_t kAll = (1U << kNames.size()) - 1;
constexpr std::size_t kMaxInput = 4096;
constexpr const char* kAllowedValues =
    "SSLv2, SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, each as NAME, !NAME, >=NAME or <=NAME "
    "(>= and <= also take Postfix's hexadecimal 0300 to 0304)";

bool same_ascii_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::optional<std::size_t> name_index(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (same_ascii_case(name, kNames[i])) return i;
  }
  return std::nullopt;
}

// A bound's version: a name, or hexadecimal 0x0300 (SSLv3) to 0x0304 (TLSv1.3).
std::optional<std::size_t> bound_index(std::string_view v) {
  if (auto i = name_index(v)) return i;
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) v.remove_prefix(2);
  if (v.empty() || v.size() > 4) return std::nullopt;
  unsigned n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n, 16);
  if (ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  if (n < 0x0300 || n > 0x0304) return std::nullopt;
  return static_cast<std::size_t>(n - 0x0300 + 1);  // 0x0300 is SSLv3, index 1
}

[[noreturn]] void bad_protocol(std::string_view element) {
  throw UsageError("--protocols: '" + strip_controls(element) +
                   "' is not a protocol; allowed: " + kAllowedValues);
}

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no cipher matched";
  std::array<char, 256> buf{};
  ERR_error_string_n(code, buf.data(), buf.size());
  return buf.data();
}

}  // namespace

ProtocolPolicy ProtocolPolicy::parse(std::string_view spec) {
  if (spec.size() > kMaxInput) throw UsageError("--protocols: over 4096 bytes");
  std::uint32_t include = 0, exclude = 0;
  std::size_t floor = 0, ceiling = kNames.size() - 1;
  constexpr std::string_view kSeparators = ", \t\r\n:";
  std::size_t pos = 0;
  while ((pos = spec.find_first_not_of(kSeparators, pos)) != std::string_view::npos) {
    const std::size_t end = std::min(spec.find_first_of(kSeparators, pos), spec.size());
    const std::string_view element = spec.substr(pos, end - pos);
    pos = end;
    if (element[0] == '!') {
      const auto i = name_index(element.substr(1));
      if (!i) bad_protocol(element);
      exclude |= 1U << *i;
    } else if (element.size() >= 2 && (element[0] == '>' || element[0] == '<') &&
               element[1] == '=') {
      const auto i = bound_index(element.substr(2));
      if (!i) bad_protocol(element);
      if (element[0] == '>')
        floor = std::max(floor, *i);
      else
        ceiling = std::min(ceiling, *i);
    } else {
      const auto i = name_index(element);
      if (!i) bad_protocol(element);
      include |= 1U << *i;
    }
  }
  // As Postfix's tls_protocol_mask: names given without '!' exclude every
  // other name.
  if (include != 0) exclude |= kAll & ~include;
  std::uint32_t range = 0;
  for (std::size_t i = floor; i <= ceiling && i < kNames.size(); ++i) range |= 1U << i;
  ProtocolPolicy p;
  p.allowed_ = kAll & ~exclude & range;
  if (p.allowed_ == 0)
    throw UsageError("--protocols: '" + strip_controls(spec) + "' allows no protocol");
  return p;
}

std::optional<bool> ProtocolPolicy::allows(std::string_view logged) const {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (logged == kNames[i]) return (allowed_ >> i & 1U) != 0;
  }
  return std::nullopt;
}

std::string ProtocolPolicy::allowed_names() const {
  std::string out;
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if ((allowed_ >> i & 1U) == 0) continue;
    if (!out.empty()) out += ' ';
    out += kNames[i];
  }
  return out;
}

CipherPolicy CipherPolicy::expand(const std::string& openssl_string) {
  if (openssl_string.size() > kMaxInput) throw UsageError("--ciphers: over 4096 bytes");
  if (openssl_string.find('\0') != std::string::npos)
    throw UsageError("--ciphers: a NUL byte in the cipher string");
  ERR_clear_error();
  const std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_method()),
                                                              &SSL_CTX_free);
  if (!ctx) throw std::runtime_error("libssl: cannot create a TLS context: " + openssl_error());
  if (SSL_CTX_set_cipher_list(ctx.get(), openssl_string.c_str()) != 1) {
    throw UsageError("--ciphers: '" + strip_controls(openssl_string) +
                     "' selects no cipher (OpenSSL: " + openssl_error() + ")");
  }
  CipherPolicy p;
  const STACK_OF(SSL_CIPHER)* list = SSL_CTX_get_ciphers(ctx.get());
  const int n = list ? sk_SSL_CIPHER_num(list) : 0;
  for (int i = 0; i < n; ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(list, i);
    // TLS 1.3 suites come from the context's ciphersuites, not the string.
    const char* since = SSL_CIPHER_get_version(c);  // the version that defined it
    if (since != nullptr && std::string_view(since) == "TLSv1.3") continue;
    if (const char* name = SSL_CIPHER_get_name(c)) p.names_.emplace_back(name);
  }
  if (p.names_.empty()) {
    throw UsageError("--ciphers: '" + strip_controls(openssl_string) +
                     "' selects no cipher below TLS 1.3");
  }
  p.sorted_ = p.names_;
  std::sort(p.sorted_.begin(), p.sorted_.end());
  return p;
}

bool CipherPolicy::allows(std::string_view protocol, std::string_view cipher) const {
  if (protocol == "TLSv1.3") return true;
  return std::binary_search(
      sorted_.begin(), sorted_.end(), cipher,
      [](const auto& a, const auto& b) { return std::string_view(a) < std::string_view(b); });
}

}  // namespace pftls
