// event: the names of event kinds and fields as pattern files spell them.
#include "parse/event.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <bit>
#include <cstddef>
#include <cstring>

#include "base/byte_scan.h"

namespace pftls {
namespace {

template <typename E>
struct Named {
  E value;
  std::string_view name;
};

// Each entry names its enumerator; the table must list them in enum order
// (an entry's index is its value), which the compiler checks below.
constexpr Named<EventKind> kKindNames[] = {
    {EventKind::kIgnored, "ignore"},
    {EventKind::kConnect, "connect"},
    {EventKind::kDisconnect, "disconnect"},
    {EventKind::kClient, "client"},
    {EventKind::kTlsEstablished, "tls-established"},
    {EventKind::kSslAcceptError, "ssl-accept-error"},
    {EventKind::kTlsLibraryProblem, "tls-library-problem"},
    {EventKind::kLostAfterStarttls, "lost-after-starttls"},
    {EventKind::kTimeoutAfterStarttls, "timeout-after-starttls"},
    {EventKind::kMessageId, "message-id"},
    {EventKind::kSender, "sender"},
    {EventKind::kRecipient, "recipient"},
    {EventKind::kRemoved, "removed"},
    {EventKind::kSslConnectError, "ssl-connect-error"},
    {EventKind::kTlsEstablishedTo, "tls-established-to"},
    {EventKind::kCannotStartTls, "cannot-start-tls"},
    {EventKind::kStarttlsOffered, "starttls-offered"},
    {EventKind::kExpired, "expired"},
};

constexpr Named<Field> kFieldNames[] = {
    {Field::kQueueId, "queue_id"},
    {Field::kClientName, "client_name"},
    {Field::kClientIp, "client_ip"},
    {Field::kClientPort, "client_port"},
    {Field::kDetail, "detail"},
    {Field::kCounters, "counters"},
    {Field::kMessageId, "message_id"},
    {Field::kSender, "sender"},
    {Field::kRecipient, "recipient"},
    {Field::kOpensslCode, "openssl_code"},
    {Field::kOpensslReason, "openssl_reason"},
    {Field::kRest, "rest"},
    {Field::kStatus, "status"},
    {Field::kTls, "tls"},
    {Field::kTlsTrust, "tls_trust"},
    {Field::kTlsProtocol, "tls_protocol"},
    {Field::kTlsCipher, "tls_cipher"},
    {Field::kTlsBits, "tls_bits"},
};

template <typename E, std::size_t N>
constexpr bool complete_and_in_order(const Named<E> (&table)[N]) {
  if (N != static_cast<std::size_t>(E::kCount)) return false;
  for (std::size_t i = 0; i < N; ++i)
    if (static_cast<std::size_t>(table[i].value) != i || table[i].name.empty()) return false;
  return true;
}
static_assert(complete_and_in_order(kKindNames), "kKindNames: one entry per EventKind, in order");
static_assert(complete_and_in_order(kFieldNames), "kFieldNames: one entry per Field, in order");

template <typename E, std::size_t N>
std::string_view name_of(const Named<E> (&table)[N], E value) {
  const auto i = static_cast<std::size_t>(value);
  return i < N ? table[i].name : std::string_view{};
}

template <typename E, std::size_t N>
bool lookup(const Named<E> (&table)[N], std::string_view name, E& out) {
  for (const Named<E>& entry : table) {
    if (entry.name == name) {
      out = entry.value;
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view event_kind_name(EventKind k) { return name_of(kKindNames, k); }
bool event_kind_from_name(std::string_view name, EventKind& out) {
  return lookup(kKindNames, name, out);
}
std::string_view field_name(Field f) { return name_of(kFieldNames, f); }
bool field_from_name(std::string_view name, Field& out) { return lookup(kFieldNames, name, out); }

namespace {

// Dotted-quad IPv4 as inet_pton(AF_INET) takes it (four decimal parts of
// 0..255, no leading zeros), from 16-byte masks of a copy: the usual
// address costs no library call and no loop over its bytes.
bool is_ipv4(std::string_view s) {
  const std::size_t n = s.size();
  if (n < 7 || n > 15) return false;
  char b[16] = {};  // the bytes after the address: neither digit nor dot
  std::memcpy(b, s.data(), n);
  const unsigned dots = byte_scan::mask_eq_16(b, '.');
  const unsigned digits = byte_scan::mask_in_16(b, '0', '9');
  // Three dots exactly: with the lowest two cleared one is left, with the
  // lowest three none (std::popcount is a libgcc call without -mpopcnt).
  const unsigned two_cleared = (dots & (dots - 1)) & ((dots & (dots - 1)) - 1);
  if ((dots | digits) != (1u << n) - 1 || two_cleared == 0 ||
      (two_cleared & (two_cleared - 1)) != 0) {
    return false;
  }
  unsigned rest = dots | (1u << n);  // each part ends at a dot, the last at n
  unsigned start = 0;
  for (int part = 0; part < 4; ++part) {
    const auto end = static_cast<unsigned>(std::countr_zero(rest));
    rest &= rest - 1;
    const unsigned len = end - start;
    const char* const p = b + start;
    if (len == 0 || len > 3 || (len > 1 && p[0] == '0')) return false;
    if (len == 3 && std::memcmp(p, "255", 3) > 0) return false;
    start = end + 1;
  }
  return true;
}

bool is_address(std::string_view ip) {
  if (is_ipv4(ip) || ip == "unknown") return true;
  char text[INET6_ADDRSTRLEN];
  if (ip.empty() || ip.size() >= sizeof text || ip.find(':') == std::string_view::npos) {
    return false;
  }
  std::memcpy(text, ip.data(), ip.size());
  text[ip.size()] = '\0';
  in6_addr addr;
  return ::inet_pton(AF_INET6, text, &addr) == 1;
}

}  // namespace

bool settle_client_address(Event& ev) {
  if (!ev.has(Field::kClientIp)) return true;
  std::string_view ip = ev.get(Field::kClientIp);
  if (is_ipv4(ip)) return true;  // the usual line: no '[' in it either
  if (const auto bracket = ip.rfind('['); bracket != std::string_view::npos) {
    const std::string_view name = ev.get(Field::kClientName);
    if (ev.has(Field::kClientName) && name.data() + name.size() + 1 == ip.data()) {
      ev.set(Field::kClientName, std::string_view(name.data(), name.size() + 1 + bracket));
    }
    ip.remove_prefix(bracket + 1);
    ev.set(Field::kClientIp, ip);
  }
  return is_address(ip);
}

}  // namespace pftls
