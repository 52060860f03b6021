// correlator: smtpd sessions and queue ids, turned into stored facts.
//
// Contract: on_event() takes recognised events in log order. An smtpd
// session is keyed by (host, syslog_name, pid) and runs from "connect from"
// to "disconnect from"; a line for a pid with no open session opens one (an
// excerpt may start mid-session) and a new "connect from" on a pid closes
// the one before (pid reuse). Failure evidence (starttls=0/N, SSL_accept
// error, lost/timeout after STARTTLS, a TLS library problem before any
// handshake succeeded) marks a session failed at its first evidence line
// and puts (host, client IP) on the watch list; sessions and messages of
// watched clients are saved through the EventSink, all others only counted.
// Queue ids are followed only for saved messages. Every table is bounded
// (Limits): the oldest entries are closed first and counted as evicted.
// A closed session is added to its client's counts a few closes later
// (kCountDelay), once that entry has been loaded; finish() adds the rest.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "parse/event.h"
#include "correlate/client_identity.h"
#include "correlate/client_tally.h"
#include "correlate/records.h"
#include "base/open_table.h"
#include "base/presence_filter.h"
#include "parse/envelope.h"

namespace pftls {

struct CorrelatorLimits {
  // How long after its last failure a client stays watched (its sessions and
  // messages stored): by IP a week, by subnet or domain the incident window
  // (a pool such as a large provider's domain would otherwise be stored whole).
  Micros watch_ip_for = 7LL * 86400 * kMicrosPerSecond;
  Micros watch_group_for = 24LL * 3600 * kMicrosPerSecond;
  std::size_t evidence_lines = 40;     // raw lines kept per session
  std::size_t evidence_bytes = 2048;   // of each line
  std::size_t evidence_total_bytes = std::size_t{32} << 20;  // over all open sessions
  std::size_t max_open_sessions = 50'000;
  Micros session_idle = 2LL * 3600 * kMicrosPerSecond;  // smtpd's own limits are minutes
  std::size_t max_tracked_messages = 100'000;
  Micros message_age = 10LL * 86400 * kMicrosPerSecond;  // longer than maximal_queue_lifetime
  std::size_t max_watched = 1'000'000;
  std::size_t max_client_stats = 200'000;  // flushed to the sink beyond this
};

struct CorrelatorCounts {
  std::uint64_t sessions = 0;          // sessions closed in this run
  std::uint64_t failures = 0;          // sessions that became failed in this run
  std::uint64_t messages = 0;          // queue ids assigned by smtpd
  std::uint64_t saved_messages = 0;    // of those, from watched clients
  std::uint64_t evicted_sessions = 0;  // closed by a bound, not by a disconnect
  std::uint64_t evicted_messages = 0;
  std::uint64_t evidence_dropped = 0;  // raw lines not kept: the evidence budget was spent
};

// A log line as read, for evidence.
struct RawLogLine {
  std::string_view text;
  std::uint32_t input = 0;  // Correlator::input_id() of the input's name
  std::uint64_t number = 0;
};

class Correlator {
 public:
  Correlator(EventSink& sink, CorrelatorLimits limits = {});
  ~Correlator();

  void restore(CorrelatorState state);
  // `raw` is the whole log line and where it came from: a session's first
  // line, and its lines from the moment it can be stored (failed, stored,
  // client watched by IP), are kept (bounded) and stored as evidence.
  using RawLine = RawLogLine;
  void on_event(const Envelope& env, const Event& ev, std::uint64_t ord, const RawLine& raw = {}) {
    // Over half the lines are known lines that carry nothing (kIgnored) or
    // queue lines of ids not followed (not captured): they only date their
    // host. Told here, inline; the rest in on_session_event().
    const std::uint32_t host = host_id(env.host);
    if (ev.kind == EventKind::kIgnored || (!ev.captured && is_queue_kind(ev.kind))) {
      note_host(host, env.time, false);
      return;
    }
    on_session_event(host, env, ev, ord, raw);
  }
  // Whether on_event() reads the fields of a queue line (CaptureGate): only
  // for the queue ids it follows; an ignored line needs its kind alone.
  bool wants_fields(const Envelope& env, EventKind kind, std::string_view queue_id);
  // The number evidence lines of the input called `name` carry (RawLine::input).
  std::uint32_t input_id(std::string_view name) { return input_index(name); }
  // Flushes counts to the sink and returns what is still open.
  CorrelatorState finish();

  const CorrelatorCounts& counts() const { return counts_; }

 private:
  struct Session;
  struct SessionKey {
    std::uint32_t host;
    std::uint32_t syslog_name;
    std::uint32_t pid;
    bool operator==(const SessionKey&) const = default;
  };
  struct SessionKeyHash {
    std::size_t operator()(const SessionKey& k) const noexcept;
  };

  static bool is_queue_kind(EventKind k) {
    return k == EventKind::kMessageId || k == EventKind::kSender || k == EventKind::kRecipient ||
           k == EventKind::kRemoved;
  }
  void on_session_event(std::uint32_t host, const Envelope& env, const Event& ev, std::uint64_t ord,
                        const RawLine& raw);
  std::uint32_t intern(std::string_view s);
  std::uint32_t host_id(std::string_view host);
  std::uint32_t syslog_id(std::string_view name);
  Session& session_for(const SessionKey& key, const Envelope& env, std::uint64_t ord);
  void set_client(Session& s, std::string_view name, std::string_view ip);
  void mark_failed(Session& s, Micros t, std::uint64_t ord, const std::string& reason,
                   std::string_view openssl_code);
  void mark_tls(Session& s, Micros t, std::uint64_t ord);
  void close_session(const SessionKey& key, Micros t, bool evicted);
  void count_session(Session& s);
  void count_and_recycle(std::unique_ptr<Session> s);
  void count_held_back();
  void persist_if_watched(Session& s);
  std::size_t tally_index(Session& s);
  const ClientKeys& keys_of(Session& s);
  bool watched_key(std::uint32_t host, int kind, std::string_view key, std::uint64_t key_hash,
                   Micros now) const;
  // Whether the session's client is watched on its host: by IP, and with
  // by_group also by subnet or registrable domain.
  bool watched(std::uint32_t host, Session& s, Micros now, bool by_group);
  void watch_key(std::uint32_t host, int kind, const std::string& key, Micros until);
  void watch(std::uint32_t host, Session& s, Micros failure_at);
  void name_record(Session& s) const;
  void save(Session& s);
  std::uint32_t input_index(std::string_view input);
  std::vector<EvidenceLine> evidence_of(const Session& s, std::size_t from) const;
  void keep_line(Session& s, const RawLine& raw);
  void keep_if_on_record(Session& s, const RawLine& raw, std::uint64_t ord, Micros now);
  bool client_watched_by_ip(Session& s, Micros now);
  void on_client(Session& s, const Envelope& env, const Event& ev, std::uint64_t ord);
  void on_queue_event(std::uint32_t host, const Event& ev);
  void enforce_session_bound(Micros now);
  void enforce_message_bound(Micros now);
  void note_host(std::uint32_t host, Micros t, bool tls_established) {
    if (host >= host_facts_.size()) host_facts_.resize(host + 1);
    HostFacts& f = host_facts_[host];
    if (t > f.newest_at) f.newest_at = t;
    if (tls_established) f.logs_tls_established = true;
  }

  EventSink& sink_;
  CorrelatorLimits limits_;
  CorrelatorCounts counts_;
  std::vector<std::string> names_;  // interned hosts and syslog names
  StringMap<std::uint32_t> name_ids_;
  std::uint32_t last_host_id_ = UINT32_MAX;
  std::uint32_t last_syslog_id_ = UINT32_MAX;
  OpenTable<SessionKey, std::unique_ptr<Session>, SessionKeyHash> sessions_;
  // Indexed by interned host id: followed queue ids, watched client IPs.
  std::vector<StringMap<std::unique_ptr<MessageRecord>>> messages_;
  // By host: ip, subnet, org -> watched until (microseconds).
  std::vector<std::array<StringMap<Micros>, 3>> watched_;
  std::size_t message_count_ = 0;
  std::size_t watched_count_ = 0;
  std::uint64_t ip_watch_gen_ = 0;  // grows with every change to a by-IP watch
  PresenceFilter message_filter_;  // (host id, queue id)
  PresenceFilter watched_filter_;  // (host id, client ip)
  ClientTally client_stats_;
  OrgDomains org_domains_;  // registrable domains, remembered by parent name
  std::vector<std::unique_ptr<Session>> spare_sessions_;  // closed ones, reused
  // Closed sessions not yet counted in client_stats_ (a ring, oldest at
  // closing_next_): counting waits for their client's entry to be loaded.
  static constexpr std::size_t kCountDelay = 8;
  std::array<std::unique_ptr<Session>, kCountDelay> closing_;
  std::size_t closing_next_ = 0;
  std::vector<HostFacts> host_facts_;  // by interned host id
  std::vector<std::string> inputs_;    // names of the inputs evidence lines come from
  std::size_t evidence_bytes_ = 0;     // evidence_text bytes of open sessions
};

}  // namespace pftls
