// records: what the correlator and the outbound tracker hand to storage,
// and nothing about how it is stored. The SQLite store implements EventSink; tests implement it
// in memory.
//
// Contract: save_session()/save_message() insert a record the first time
// (and set its id) and update it afterwards. Only sessions that matter are
// saved: failed ones, and those of clients that have failed before
// ("watched" clients), with their messages. Everything else is counted in
// ClientStats and HostFacts, which add up across calls.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/log_time.h"

namespace pftls {

struct SessionRecord {
  std::int64_t id = 0;  // 0: not stored yet
  std::string mx_host;
  std::string syslog_name;
  std::uint32_t pid = 0;
  std::string client_ip;
  std::string client_name;
  std::string client_subnet;  // see client_identity.h; set when stored
  std::string org_domain;
  Micros connect_at = 0;  // 0: the connect line was not seen
  Micros end_at = 0;      // 0: still open
  std::uint64_t first_ord = 0;
  bool failed = false;
  Micros failure_at = 0;
  std::uint64_t failure_ord = 0;
  std::string failure_reason;
  std::string openssl_code;
  bool tls = false;
  Micros tls_at = 0;
  std::uint64_t tls_ord = 0;
  bool counters_present = false;
  // -1: unknown (no counters); kLostAfterStarttlsOnly: not known yet, and
  // the only failure evidence so far is "lost connection/timeout after
  // STARTTLS" (a starttls=N counter with every attempt done withdraws it).
  // Carried between runs with the open session; stored as unknown.
  static constexpr int kLostAfterStarttlsOnly = -2;
  int starttls_attempts = -1;
  int starttls_ok = -1;
  int messages = 0;
};

// One raw log line kept as evidence for a stored session.
struct EvidenceLine {
  std::string input;  // file name as given
  std::uint64_t line = 0;
  std::string raw;
};

struct MessageRecord {
  std::int64_t id = 0;
  std::int64_t session_id = 0;
  std::string mx_host;
  std::string queue_id;
  std::string client_ip;
  std::string client_name;
  std::string client_subnet;
  std::string org_domain;
  Micros accepted_at = 0;
  std::uint64_t accepted_ord = 0;
  std::string message_id;
  std::string sender;
  std::vector<std::string> recipients;
};

// Per client IP, over all hosts: how it talks to us.
struct ClientStats {
  std::string client_name;  // the latest name other than "unknown" (names_later)
  std::string org_domain;   // registrable domain of that name
  Micros named_at = 0;      // when the session that named it began
  std::int64_t sessions = 0;
  std::int64_t tls_sessions = 0;
  std::int64_t plaintext_sessions = 0;  // sessions that got a queue id without TLS
  std::int64_t failed_sessions = 0;
  std::int64_t starttls_sessions = 0;  // sessions that tried STARTTLS (counters or TLS lines)
  std::int64_t messages = 0;
  std::int64_t plaintext_messages = 0;
  Micros first_seen = 0;
  Micros last_seen = 0;
};

// Whether a name seen at `at` replaces the client's `current` name, seen at
// `current_at`: the later session's wins, and of two sessions that began in
// the same microsecond (on two hosts, say) the greater name in byte order.
// A total order, so that the name kept does not depend on the order in which
// runs or hosts hand their counts over (the stores' upserts say the same).
inline bool names_later(Micros at, std::string_view name, Micros current_at,
                        std::string_view current) {
  return !name.empty() && (at > current_at || (at == current_at && name > current));
}

// Per mx host (the syslog host field).
struct HostFacts {
  Micros newest_at = 0;
  bool logs_tls_established = false;  // smtpd writes "TLS connection established from"
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

using ClientStatsList = std::vector<std::pair<std::string, ClientStats>>;

// What TLS sessions negotiated, per peer and host: one row per (direction,
// mx_host, peer IP, protocol, cipher, bits, trust). Inbound ("in"): smtpd's
// clients; outbound ("out"): the servers our smtp/lmtp client delivered to.
// protocol, cipher and trust empty and bits 0: a TLS session whose
// parameters the log does not say (smtpd_tls_loglevel 0). Counts add up,
// first_seen/last_seen widen, whatever the order of the calls.
struct TlsParams {
  std::string direction;
  std::string mx_host;
  std::string peer_ip;
  std::string protocol;
  std::string cipher;
  std::int64_t bits = 0;
  std::string trust;
  bool operator==(const TlsParams&) const = default;
};
struct TlsCount {
  std::int64_t sessions = 0;
  Micros first_seen = 0;
  Micros last_seen = 0;
};
using TlsCountList = std::vector<std::pair<TlsParams, TlsCount>>;

// Inbound sessions per (mx_host, UTC day, TLS state), for the daily report:
// tls_state "tls", "failed", "plaintext" (no TLS, a message got a queue id)
// or "other" (no TLS, no message); day is the UTC day start (unix seconds)
// of the session's first line. Counts add up, whatever the order of calls.
struct SessionDayKey {
  std::string mx_host;
  std::int64_t day = 0;
  std::string tls_state;
  bool operator==(const SessionDayKey&) const = default;
};
using SessionDayList = std::vector<std::pair<SessionDayKey, std::int64_t>>;

// A client's plaintext message or TLS session that is not stored with its
// session (its client is not watched on that host): a compact row, so that a
// failure logged on another host, in a run committed before or after, can
// still be matched with it (cross-host incidents). A plaintext mark carries
// the message's queue id and the client's keys; a TLS mark (tls) only shows
// that the client did TLS then. Stores keep marks for a while and then only
// those near a stored failure of their client (Store::settle_marks()).
struct ClientMark {
  bool tls = false;
  std::string mx_host;
  std::string client_ip;
  std::string client_name;    // plaintext marks
  std::string client_subnet;  // plaintext marks
  std::string org_domain;     // plaintext marks
  std::string queue_id;       // plaintext marks
  Micros at = 0;              // accepted (plaintext) or handshake done (TLS)
  std::uint64_t ord = 0;
  // Plaintext marks, their evidence (each cut as a session's evidence line
  // is): the session's first line ("connect from"; empty raw when the
  // message's line was the first or the line was not kept) and the
  // message's "client=" line.
  EvidenceLine connect_line;
  EvidenceLine client_line;
};
using ClientMarkList = std::vector<ClientMark>;

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void save_session(SessionRecord& s) = 0;
  virtual void save_message(MessageRecord& m) = 0;
  // Appends raw lines to a stored session's evidence.
  virtual void save_evidence(std::int64_t session_id, const EvidenceLine* lines, std::size_t n) = 0;
  // Adds `stats` to the stored counts (first_seen/last_seen widen).
  virtual void add_client_stats(const ClientStatsList& stats) = 0;
  virtual void merge_host_facts(const StringMap<HostFacts>& hosts) = 0;
  // Adds `counts` to the stored TLS inventory (TlsParams above).
  virtual void add_tls_counts(const TlsCountList& counts) = 0;
  // Adds `days` to the stored per-day session counts (SessionDayKey above).
  virtual void add_session_days(const SessionDayList& days) = 0;
  // Stores `marks` (ClientMark above).
  virtual void save_marks(const ClientMarkList& marks) = 0;
};

// --- Inbound correlation state ---

// A client that failed on a host: by IP, subnet and registrable domain.
struct WatchKey {
  std::string mx_host;
  std::string client_ip;
  std::string client_subnet;
  std::string org_domain;
  Micros failure_at = 0;  // the latest failure
};

// Open state carried from one run to the next. The watch list is rebuilt
// from the stored failed sessions, so finish() leaves it empty.
struct CorrelatorState {
  std::vector<SessionRecord> open_sessions;
  // Per open session (same order), its raw lines not yet in the store.
  std::vector<std::vector<EvidenceLine>> open_evidence;
  std::vector<MessageRecord> tracked_messages;
  std::vector<WatchKey> watched;
  // Clients that failed recently enough to be watched but were not loaded:
  // the most recent max_watched are (counted as the watch list's drops).
  std::uint64_t watched_not_loaded = 0;
};

// --- Outbound (our smtp client) ---

// One outbound downgrade: a message of ours (queue id) handed to a remote
// MX in plaintext after STARTTLS with that MX had failed.
struct OutboundRecord {
  std::int64_t id = 0;  // 0: not stored yet; set by the sink on insert
  std::string mx_host;  // our host (the syslog host field)
  std::string queue_id;
  std::string relay_name;  // the remote MX: the incident's client_name
  std::string relay_ip;    // the incident's client_ip
  std::string relay_port;
  Micros failure_at = 0;  // the last failed handshake before the fallback (its SSL_connect error)
  std::uint64_t failure_ord = 0;
  std::string failure_reason;  // failure_reason.h words (alert-handshake-failure, ...)
  std::string openssl_code;
  int failed_attempts =
      0;  // failed handshakes for this queue id and relay, the fallback's included
  Micros plaintext_at = 0;  // the first plaintext status=sent; 0 while only failures are known
  std::uint64_t plaintext_ord = 0;
  std::vector<std::string> recipients;  // sent in plaintext
  bool fallback_seen =
      false;  // the standalone "Cannot start TLS" line was logged (else tls=...:none)
  // From the queue id's cleanup "message-id=" and qmgr "from=" lines, when
  // the log has them (stored apart from the record's own columns).
  std::string message_id;
  std::string sender;
};

// A raw log line of an outbound failure or fallback, as evidence: role
// "failed" (the failed attempts) or "plaintext" (the plaintext delivery).
struct OutboundLine {
  std::string role;
  std::string input;  // file name as given
  std::uint64_t line = 0;
  std::string raw;
};

// One failed STARTTLS handshake of our smtp/lmtp client, once a queue id
// claimed it (outbound_tracker.h says which lines make one). Its outcome is
// 'pending' until the queue id's next delivery status after it: see
// OutboundSink::resolve_outbound_failures.
struct OutboundFailureRow {
  std::string mx_host;  // our host
  std::string queue_id;
  std::string relay_name;  // empty when only a "Cannot start TLS" line named the attempt
  std::string relay_ip;
  std::string relay_port;
  Micros failure_at = 0;
  std::string failure_reason;
  std::string openssl_code;
};

class OutboundSink {
 public:
  virtual ~OutboundSink() = default;
  // Stores one failed handshake with outcome 'pending'.
  virtual void save_outbound_failure(const OutboundFailureRow& f) = 0;
  // Gives `outcome` ('tls-retry', 'downgraded' or 'bounced') and `at` to
  // every pending failure of (mx_host, queue_id) from `since` to `at`.
  virtual void resolve_outbound_failures(std::string_view mx_host, std::string_view queue_id,
                                         std::string_view outcome, Micros since, Micros at) = 0;
  // Inserts the record the first time (and sets its id), updates it after.
  virtual void save_outbound(OutboundRecord& r) = 0;
  // Appends raw lines to a stored record's evidence (r.id != 0).
  virtual void save_outbound_evidence(std::int64_t outbound_id,
                                      const std::vector<OutboundLine>& lines) = 0;
};

// Outbound state carried from one run to the next.
// A pid's failed handshake, not yet tied to a queue id.
struct OutboundPendingFailure {
  std::string mx_host;
  std::string syslog_name;
  std::uint32_t pid = 0;
  std::string relay_name;
  std::string relay_ip;
  std::string relay_port;
  Micros failure_at = 0;
  std::uint64_t failure_ord = 0;  // also identifies the attempt
  std::string failure_reason;
  std::string openssl_code;
  Micros seen_at = 0;                  // for the age limit
  std::vector<OutboundLine> evidence;  // its raw lines so far
};

// Failures (and maybe a saved fallback) of one (host, queue id, relay).
// The relay is empty when a "Cannot start TLS" line came without a failure
// line before it; it is filled from that pid's next delivery line.
struct OutboundPendingMessage {
  OutboundRecord record;    // failures so far; id != 0 once a fallback was saved
  std::string syslog_name;  // the process of the latest failed attempt
  std::uint32_t pid = 0;
  std::uint64_t attempt_ord = 0;  // 1 + ord of the first line of the latest failed attempt; 0: none
  bool fallback_open = false;     // its "Cannot start TLS" line seen, outcome not yet
  Micros seen_at = 0;             // for the age limit
  std::vector<OutboundLine> evidence;  // raw lines not stored yet (all of them until saved)
};

// The message-id and sender of a recent queue id of ours (cleanup and qmgr
// lines), kept for a failure of that queue id that may follow.
struct OutboundNote {
  std::string mx_host;
  std::string queue_id;
  std::string message_id;
  std::string sender;
  Micros seen_at = 0;
};

// What is pending at the end of a run, oldest first.
struct OutboundState {
  std::vector<OutboundPendingFailure> failures;
  std::vector<OutboundPendingMessage> messages;
  std::vector<OutboundNote> notes;
};

// What the bounds dropped in one run (every bound that drops data counts
// here; nothing is dropped silently). Filled by the correlator and the
// outbound tracker, shown in the run's summary line and stored per run.
struct DropCounts {
  std::uint64_t evicted_sessions = 0;  // open sessions closed by the bound, not by a disconnect
  std::uint64_t evicted_messages = 0;  // followed messages forgotten by the bound
  std::uint64_t evidence_dropped = 0;  // raw lines not kept: the evidence budget was spent
  std::uint64_t watch_full = 0;        // clients not watched: the watch list was full
  std::uint64_t clients_flushed = 0;   // client counts written early: the tally was full
  std::uint64_t outbound_evicted_failures = 0;
  std::uint64_t outbound_evicted_messages = 0;
  std::uint64_t outbound_dropped = 0;  // not tracked: a bound on relays or names
  std::uint64_t total() const {
    return evicted_sessions + evicted_messages + evidence_dropped + watch_full + clients_flushed +
           outbound_evicted_failures + outbound_evicted_messages + outbound_dropped;
  }
};

}  // namespace pftls
