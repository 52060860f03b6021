// event: the names of event kinds and fields as pattern files spell them.
#include "parse/event.h"

namespace pftls {
namespace {

constexpr std::array<std::string_view, static_cast<std::size_t>(EventKind::kCount)> kKindNames = {
    "ignore",          "connect",       "disconnect",         "client",
    "tls-established", "ssl-accept-error", "tls-library-problem", "lost-after-starttls",
    "timeout-after-starttls", "message-id", "sender",          "recipient",
    "removed",         "ssl-connect-error", "tls-established-to", "cannot-start-tls"};

constexpr std::array<std::string_view, static_cast<std::size_t>(Field::kCount)> kFieldNames = {
    "queue_id",  "client_name", "client_ip", "client_port", "detail",         "counters",       "message_id",
    "sender",    "recipient",   "openssl_code", "openssl_reason", "rest",           "status",
    "tls"};

template <typename E, std::size_t N>
bool lookup(const std::array<std::string_view, N>& names, std::string_view name, E& out) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) {
      out = static_cast<E>(i);
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view event_kind_name(EventKind k) {
  auto i = static_cast<std::size_t>(k);
  return i < kKindNames.size() ? kKindNames[i] : std::string_view{};
}
bool event_kind_from_name(std::string_view name, EventKind& out) {
  return lookup(kKindNames, name, out);
}
std::string_view field_name(Field f) {
  auto i = static_cast<std::size_t>(f);
  return i < kFieldNames.size() ? kFieldNames[i] : std::string_view{};
}
bool field_from_name(std::string_view name, Field& out) { return lookup(kFieldNames, name, out); }

}  // namespace pftls
