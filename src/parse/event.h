// event: what a recognised Postfix log line means, independent of its wording.
//
// Contract: produced by PatternSet::match(), consumed by the Correlator
// (smtpd sessions, queue ids) and the OutboundTracker (the smtp/lmtp
// client's STARTTLS failures and plaintext fallbacks). All string_views point
// into the line being processed and are valid only until the next line is
// read. Nothing downstream of this header knows regexes.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace pftls {

enum class EventKind : std::uint8_t {
  kIgnored,               // a known line that carries nothing pftls needs
  kConnect,               // smtpd: connect from NAME[IP]
  kDisconnect,            // smtpd: disconnect from NAME[IP] [counters]
  kClient,                // smtpd: QUEUEID: client=NAME[IP]
  kTlsEstablished,        // smtpd: ... TLS connection established from NAME[IP]
  kSslAcceptError,        // smtpd: SSL_accept error from NAME[IP]: DETAIL
  kTlsLibraryProblem,     // any: warning: TLS library problem: ...
  kLostAfterStarttls,     // smtpd: [NOQUEUE: ]lost connection after STARTTLS from
  kTimeoutAfterStarttls,  // smtpd: [NOQUEUE: ]timeout after STARTTLS from
  kMessageId,             // cleanup: QUEUEID: message-id=<...>
  kSender,                // qmgr: QUEUEID: from=<...>
  kRecipient,             // delivery agents: QUEUEID: to=<...> (smtp/lmtp: with relay, status, tls)
  kRemoved,               // qmgr: QUEUEID: removed
  kSslConnectError,       // smtp/lmtp: SSL_connect error to NAME[IP]:PORT: DETAIL
  kTlsEstablishedTo,      // smtp/lmtp: ... TLS connection established to NAME[IP]:PORT: ...
  kCannotStartTls,        // smtp/lmtp: QUEUEID: Cannot start TLS: DETAIL (standalone:
                          // this server is given up on for TLS; plaintext retry or next MX)
  kStarttlsOffered,       // smtp/lmtp: Host offered STARTTLS: [HOST] (this connection
                          // will not use TLS; smtp_tls_note_starttls_offer = yes)
  kExpired,               // qmgr: QUEUEID: from=<...>, status=expired, returned to sender
  kCount
};

// Named captures a pattern may produce. Patterns name them in parsers/*.
// For smtp/lmtp lines client_name/client_ip/client_port name the peer, i.e.
// the remote server (the relay), as "NAME[IP]:PORT" does in those lines.
enum class Field : std::uint8_t {
  kQueueId,
  kClientName,
  kClientIp,
  kClientPort,  // with smtpd_client_port_logging = yes; the relay's port for smtp
  kDetail,
  kCounters,
  kMessageId,
  kSender,
  kRecipient,
  kOpensslCode,
  kOpensslReason,
  kRest,    // matched and discarded
  kStatus,  // delivery status word: sent, deferred, bounced, ... (detail: the text after "(")
  kTls,     // Postfix >= 3.11 delivery "tls=" feature: LEVEL[?][:DOWNGRADE][/...]
  // What a TLS handshake negotiated ("... TLS connection established ...: TLSv1.2
  // with cipher NAME (256/256 bits)"): the trust word (Anonymous, Untrusted,
  // Trusted, Verified; empty in Postfix 2.x), the protocol, the cipher and the
  // bits used.
  kTlsTrust,
  kTlsProtocol,
  kTlsCipher,
  kTlsBits,
  kCount
};

struct Event {
  EventKind kind = EventKind::kIgnored;
  // False when a CaptureGate declined the line's fields (pattern_set.h): it
  // carries its kind and queue id only, and no stage wants more of it.
  bool captured = true;

  // A field not set reads as empty. Only the mask is cleared between lines.
  std::string_view get(Field f) const {
    auto i = static_cast<std::size_t>(f);
    return (set_ >> i) & 1u ? fields_[i] : std::string_view{};
  }
  bool has(Field f) const { return (set_ >> static_cast<std::size_t>(f)) & 1u; }
  void set(Field f, std::string_view v) {
    auto i = static_cast<std::size_t>(f);
    fields_[i] = v;
    set_ |= 1u << i;
  }
  void clear() {
    set_ = 0;
    kind = EventKind::kIgnored;
    captured = true;
  }

 private:
  std::uint32_t set_ = 0;
  std::array<std::string_view, static_cast<std::size_t>(Field::kCount)> fields_;
};
static_assert(static_cast<std::size_t>(Field::kCount) <= 32);

// Settles a captured "NAME[IP]" (client_name, client_ip): the address is
// what follows the last '[' (a name may itself hold '[', and the patterns cut
// at the first), the name takes the rest; the address must then be IPv4 or
// IPv6 (inet_pton) or Postfix's "unknown". False: the line is malformed.
// An event without client_ip is left as it is (true).
bool settle_client_address(Event& ev);

// Names as written in parsers/*.patterns; empty view for an unknown name.
std::string_view event_kind_name(EventKind k);
bool event_kind_from_name(std::string_view name, EventKind& out);
std::string_view field_name(Field f);
bool field_from_name(std::string_view name, Field& out);

}  // namespace pftls
