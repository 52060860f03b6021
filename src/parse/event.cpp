// event: the names of event kinds and fields as pattern files spell them.
#include "parse/event.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstddef>
#include <cstring>

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

bool settle_client_address(Event& ev) {
  if (!ev.has(Field::kClientIp)) return true;
  std::string_view ip = ev.get(Field::kClientIp);
  if (const auto bracket = ip.rfind('['); bracket != std::string_view::npos) {
    const std::string_view name = ev.get(Field::kClientName);
    if (ev.has(Field::kClientName) && name.data() + name.size() + 1 == ip.data()) {
      ev.set(Field::kClientName, std::string_view(name.data(), name.size() + 1 + bracket));
    }
    ip.remove_prefix(bracket + 1);
    ev.set(Field::kClientIp, ip);
  }
  if (ip == "unknown") return true;
  char text[INET6_ADDRSTRLEN];
  if (ip.empty() || ip.size() >= sizeof text) return false;
  std::memcpy(text, ip.data(), ip.size());
  text[ip.size()] = '\0';
  in6_addr addr;
  const int family = ip.find(':') == std::string_view::npos ? AF_INET : AF_INET6;
  return ::inet_pton(family, text, &addr) == 1;
}

}  // namespace pftls
