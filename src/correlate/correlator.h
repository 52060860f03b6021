// correlator: smtpd sessions and queue ids, turned into stored facts.
//
// Contract: on_event() takes recognised events in log order; `ord` numbers
// the lines of all runs (it orders facts within one second). An smtpd
// session is keyed by (host, syslog_name, pid) and runs from "connect from"
// to "disconnect from"; a line for a pid with no open session opens one (an
// excerpt may start mid-session) and a new "connect from" on a pid closes
// the one before (pid reuse); but a TLS library problem of a pid with no
// open session is smtpd's start-up (loading a certificate), which opens
// none and is no failure. Failure evidence (starttls=0/N, SSL_accept
// error, lost/timeout after STARTTLS, a TLS library problem before any
// handshake succeeded) marks a session failed at its first evidence line
// and puts (host, client IP) on the watch list; but when lost/timeout after
// STARTTLS was all and the disconnect's starttls=N counter shows the
// handshake done, the session is TLS after all. Sessions and messages of
// watched clients are saved through the EventSink, all others only counted
// per client. What TLS sessions negotiated ("TLS connection established
// from/to" lines, smtpd's and our smtp/lmtp client's) is counted per peer
// and host (TlsTally); a TLS session known only from its disconnect
// counters counts with its parameters unknown. Each closed session with a
// client IP is also counted per (host, UTC day it began, TLS state)
// (SessionDayTally). Queue ids are followed only for saved messages. A
// plaintext message or a TLS session that is not saved leaves a compact
// ClientMark (handed over in batches of kMarkBatch), for failures that
// another host logs.
// Every table is bounded (CorrelatorLimits); what a bound drops is counted (CorrelatorCounts,
// add_drops()). finish() saves what is open and hands over the counts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "base/name_interner.h"
#include "correlate/client_identity.h"
#include "correlate/client_tally.h"
#include "correlate/evidence_buffer.h"
#include "correlate/message_follow.h"
#include "correlate/records.h"
#include "correlate/session_day_tally.h"
#include "correlate/session_table.h"
#include "correlate/tls_tally.h"
#include "correlate/watch_list.h"
#include "parse/envelope.h"
#include "parse/event.h"

namespace pftls {

struct CorrelatorLimits {
  // How long after its last failure a client stays watched (its sessions and
  // messages stored): by IP a week, by subnet or domain the incident window
  // (a pool such as a large provider's domain would otherwise be stored whole).
  Micros watch_ip_for = 7LL * 86400 * kMicrosPerSecond;
  Micros watch_group_for = 24LL * 3600 * kMicrosPerSecond;
  std::size_t evidence_lines = 40;                          // raw lines kept per session
  std::size_t evidence_bytes = 2048;                        // of each line
  std::size_t evidence_total_bytes = std::size_t{8} << 20;  // over all open sessions
  std::size_t max_open_sessions = 20'000;
  Micros session_idle = 2LL * 3600 * kMicrosPerSecond;   // smtpd's own limits are minutes
  std::size_t max_tracked_messages = 20'000;             // Postfix's qmgr_message_active_limit
  Micros message_age = 10LL * 86400 * kMicrosPerSecond;  // longer than maximal_queue_lifetime
  std::size_t max_watched = 100'000;          // keys (IP, subnet, domain): ~8 MiB at most
  std::size_t max_client_stats = 20'000;      // flushed to the sink beyond this (peak RSS)
  std::size_t max_tls_rows = 20'000;          // TLS inventory rows, likewise
  std::size_t max_session_day_rows = 20'000;  // (host, day, TLS state) rows, likewise
};

struct CorrelatorCounts {
  std::uint64_t sessions = 0;          // sessions closed in this run
  std::uint64_t failures = 0;          // sessions that became failed in this run
  std::uint64_t messages = 0;          // queue ids assigned by smtpd
  std::uint64_t saved_messages = 0;    // of those, from watched clients
  std::uint64_t evicted_sessions = 0;  // closed by a bound, not by a disconnect
  std::uint64_t evicted_messages = 0;  // followed queue ids saved and forgotten by the bound
  std::uint64_t evidence_dropped = 0;  // raw lines not kept: the evidence budget was spent
  std::uint64_t watch_full = 0;        // failed clients not (fully) watched: the list was full
  std::uint64_t clients_flushed = 0;   // client counts handed over early: the tally was full
};

class Correlator {
 public:
  Correlator(EventSink& sink, CorrelatorLimits limits = {});

  void restore(CorrelatorState state);
  // `raw` is the whole log line and where it came from: a session's first
  // line, and its lines from the moment it can be stored (failed, stored,
  // client watched by IP), are kept (bounded) and stored as evidence.
  using RawLine = RawLogLine;
  void on_event(const Envelope& env, const Event& ev, std::uint64_t ord, const RawLine& raw = {}) {
    // Over half the lines carry nothing (kIgnored) or are queue lines of ids
    // not followed (not captured): they only date their host.
    const std::uint32_t host = last_host_.id(names_, env.host);
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
  std::uint32_t input_id(std::string_view name) { return evidence_.input_id(name); }
  // Saves what is open, hands the counts to the sink and returns the open state.
  CorrelatorState finish();

  CorrelatorCounts counts() const;
  // The hosts (syslog host fields) of this run's lines.
  std::vector<std::string> hosts() const {
    std::vector<std::string> out;
    for (std::uint32_t h = 0; h < host_facts_.size(); ++h) {
      if (host_facts_[h].newest_at != 0) out.emplace_back(names_.name(h));
    }
    return out;
  }
  // Adds what the bounds dropped in this run to `d`.
  void add_drops(DropCounts& d) const;

 private:
  void on_session_event(std::uint32_t host, const Envelope& env, const Event& ev, std::uint64_t ord,
                        const RawLine& raw);
  void on_disconnect(Session& s, const Envelope& env, const Event& ev, std::uint64_t ord);
  void on_client(Session& s, const Envelope& env, const Event& ev, std::uint64_t ord,
                 const RawLine& raw);
  Session& session_for(const SessionKey& key, const Envelope& env, std::uint64_t ord);
  void close_session(const SessionKey& key, Micros t, bool evicted);
  void count_session(const Session& s);
  void mark(const Session& s, bool tls, std::string_view queue_id, Micros at, std::uint64_t ord,
            const RawLine* raw = nullptr);
  void flush_marks();
  void count_tls(std::string_view direction, std::uint32_t host, const Event& ev, Micros t);
  void set_client(Session& s, const Event& ev);
  void mark_failed(Session& s, Micros t, std::uint64_t ord, std::string_view reason,
                   std::string_view openssl_code, bool watch_client = true);
  void unmark_failed(Session& s);
  void mark_tls(Session& s, Micros t, std::uint64_t ord);
  const ClientKeys& keys_of(const SessionRecord& r);
  bool watched(const Session& s, Micros now, bool by_group);
  bool watched_by_ip(const Session& s, Micros now) const;
  void fill_keys(ClientKeys& k, const SessionRecord& r);
  bool watch(std::uint32_t host, const WatchKey& k);
  bool watch_failed(Session& s);
  void keep_if_on_record(Session& s, const RawLine& raw, std::uint64_t ord, Micros now);
  void save(Session& s);
  void name_record(Session& s) const;
  static bool is_queue_kind(EventKind k) {
    return k == EventKind::kMessageId || k == EventKind::kSender || k == EventKind::kRecipient ||
           k == EventKind::kRemoved;
  }
  void note_host(std::uint32_t host, Micros t, bool tls_established) {
    if (host >= host_facts_.size()) host_facts_.resize(host + 1);
    HostFacts& f = host_facts_[host];
    if (t > f.newest_at) f.newest_at = t;
    if (tls_established) f.logs_tls_established = true;
  }

  EventSink& sink_;
  CorrelatorLimits limits_;
  CorrelatorCounts counts_;
  NameInterner names_;  // hosts and syslog names
  LastName last_host_;
  LastName last_syslog_;
  SessionTable sessions_;
  WatchList watch_list_;
  EvidenceBuffer evidence_;
  MessageFollow messages_;
  ClientTally clients_;
  TlsTally tls_;
  SessionDayTally session_days_;
  OrgDomains org_domains_;
  std::vector<HostFacts> host_facts_;              // by host id
  static constexpr std::size_t kMarkBatch = 4096;  // marks held before the sink takes them
  // and their evidence bytes (each line is cut at evidence_bytes)
  static constexpr std::size_t kMarkBatchBytes = std::size_t{1} << 20;
  ClientMarkList marks_;
  std::size_t mark_bytes_ = 0;
  // A TLS library problem of a process with no session open: its start-up
  // (dropped at its next connect) or a session that began before the log
  // did (taken by the process's next session line, within kOrphanWindow).
  struct OrphanProblem {
    Micros at = 0;
    std::uint64_t ord = 0;
    std::string reason;
    std::string openssl_code;
  };
  static constexpr std::size_t kMaxOrphans = 1024;
  static constexpr Micros kOrphanWindow = 600 * kMicrosPerSecond;  // smtpd's timeouts are 300 s
  absl::flat_hash_map<SessionKey, OrphanProblem> orphans_;
};

}  // namespace pftls
