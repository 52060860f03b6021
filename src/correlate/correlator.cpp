// correlator: the rules of README's "What counts as what" over smtpd
// sessions; the tables they use are in session_table, watch_list,
// evidence_buffer, message_follow and client_tally, the state between runs
// in correlator_state.cpp.
#include "correlate/correlator.h"

#include <algorithm>
#include <string>

#include "base/same_text.h"
#include "parse/failure_reason.h"

namespace pftls {

namespace {

constexpr std::string_view kUnknown = "unknown";  // Postfix's name or address when it has none

// "ehlo=2 starttls=0/1 mail=1 ... commands=5/7" -> starttls ok/attempts.
bool parse_starttls_counter(std::string_view counters, int& ok, int& attempts) {
  auto pos = counters.find("starttls=");
  if (pos == std::string_view::npos || (pos > 0 && counters[pos - 1] != ' ')) return false;
  pos += 9;
  auto number = [&](int& out) {
    const std::size_t start = pos;
    out = 0;
    while (pos < counters.size() && counters[pos] >= '0' && counters[pos] <= '9' && out < 1000000) {
      out = out * 10 + (counters[pos] - '0');
      ++pos;
    }
    return pos > start;
  };
  if (!number(ok)) return false;
  attempts = ok;
  if (pos < counters.size() && counters[pos] == '/') {
    ++pos;
    if (!number(attempts)) return false;
  }
  return true;
}

}  // namespace

Correlator::Correlator(EventSink& sink, CorrelatorLimits limits)
    : sink_(sink),
      limits_(limits),
      sessions_(limits.max_open_sessions, limits.session_idle),
      watch_list_(limits.max_watched),
      evidence_(limits.evidence_lines, limits.evidence_bytes, limits.evidence_total_bytes),
      messages_(sink, limits.max_tracked_messages, limits.message_age),
      clients_(sink, limits.max_client_stats),
      tls_(sink, limits.max_tls_rows),
      session_days_(sink, limits.max_session_day_rows) {}

// --- The rules.

void Correlator::on_session_event(std::uint32_t host, const Envelope& env, const Event& ev,
                                  std::uint64_t ord, const RawLine& raw) {
  const bool smtpd = same_text(env.service, "smtpd");
  note_host(host, env.time, smtpd && ev.kind == EventKind::kTlsEstablished);
  if (is_queue_kind(ev.kind)) {
    if (ev.captured) messages_.on_queue_event(host, ev);  // else: not followed (wants_fields)
    return;
  }
  if (!smtpd) {
    // The smtp client's TLS lines are not sessions of ours; what they
    // negotiated goes into the inventory.
    if (ev.kind == EventKind::kTlsEstablishedTo) count_tls("out", host, ev, env.time);
    return;
  }

  const SessionKey key{host, last_syslog_.id(names_, env.syslog_name), env.pid};
  if (ev.kind == EventKind::kConnect) {
    orphans_.erase(key);                                           // its start-up's
    if (sessions_.find(key)) close_session(key, env.time, false);  // pid reuse
    Session& s = session_for(key, env, ord);
    s.rec.connect_at = env.time;
    evidence_.keep(s.evidence, raw);  // a session's first line is always kept
    set_client(s, ev);
    return;
  }
  // A TLS library problem of a process with no session open comes from its
  // start-up (loading a certificate or key): no session's, no failure; or
  // from a session whose connect line the log does not hold: held until the
  // process's next line says which.
  if (ev.kind == EventKind::kTlsLibraryProblem && !sessions_.find(key)) {
    const std::string reason =
        reason_from_openssl(ev.get(Field::kOpensslCode), ev.get(Field::kOpensslReason));
    if (!reason.empty() && reason_rank(reason) == 0) return;  // server-setup
    if (orphans_.size() >= kMaxOrphans) orphans_.clear();
    auto [it, fresh] = orphans_.try_emplace(key);
    if (fresh) {
      it->second = OrphanProblem{env.time, ord, reason.empty() ? "other" : reason,
                                 std::string(ev.get(Field::kOpensslCode))};
    }
    return;
  }
  Session& s = session_for(key, env, ord);
  if (!orphans_.empty()) {
    if (auto it = orphans_.find(key); it != orphans_.end()) {
      if (env.time - it->second.at <= kOrphanWindow) {
        mark_failed(s, it->second.at, it->second.ord, it->second.reason, it->second.openssl_code);
      }
      orphans_.erase(it);
    }
  }
  switch (ev.kind) {
    case EventKind::kDisconnect:
      on_disconnect(s, env, ev, ord);
      // TLS by the counters of this very line, no "TLS connection
      // established" before it (smtpd_tls_loglevel 0): parameters unknown.
      if (s.rec.tls && !s.rec.failed && s.rec.tls_ord == ord && !s.rec.client_ip.empty()) {
        tls_.add("in", names_.name(host), s.rec.client_ip, {}, {}, {}, {}, env.time);
      }
      keep_if_on_record(s, raw, ord, env.time);
      close_session(key, env.time, false);
      return;
    case EventKind::kClient:
      on_client(s, env, ev, ord, raw);
      break;
    case EventKind::kTlsEstablished:
      set_client(s, ev);
      count_tls("in", host, ev, env.time);
      if (!s.rec.failed) mark_tls(s, env.time, ord);  // failure evidence outranks it
      break;
    case EventKind::kSslAcceptError:
      set_client(s, ev);
      mark_failed(s, env.time, ord, reason_from_accept_detail(ev.get(Field::kDetail)), {});
      break;
    case EventKind::kTlsLibraryProblem: {
      if (s.rec.tls) break;  // after a successful handshake: not a STARTTLS failure
      const std::string reason =
          reason_from_openssl(ev.get(Field::kOpensslCode), ev.get(Field::kOpensslReason));
      // Rank 0 (server-setup): the server's certificate or key failed to load
      // when smtpd started; no handshake was tried.
      if (!reason.empty() && reason_rank(reason) == 0) break;
      mark_failed(s, env.time, ord, reason.empty() ? "other" : reason, ev.get(Field::kOpensslCode));
      break;
    }
    case EventKind::kLostAfterStarttls:
    case EventKind::kTimeoutAfterStarttls: {
      set_client(s, ev);
      // Postfix names the last command: the client may have gone away after
      // a handshake that succeeded; the disconnect counters tell.
      // Its client is watched once that is known (close_session()).
      const bool first = !s.rec.failed;
      mark_failed(s, env.time, ord,
                  ev.kind == EventKind::kLostAfterStarttls ? "lost-connection" : "timeout", {},
                  /*watch_client=*/!first);
      if (first) s.rec.starttls_attempts = SessionRecord::kLostAfterStarttlsOnly;
      break;
    }
    default:
      break;
  }
  keep_if_on_record(s, raw, ord, env.time);
}

// One "TLS connection established" line into the inventory (parameters
// empty when the line is not in Postfix's form).
void Correlator::count_tls(std::string_view direction, std::uint32_t host, const Event& ev,
                           Micros t) {
  const std::string_view ip = ev.get(Field::kClientIp);
  if (ip.empty() || ip == kUnknown) return;
  tls_.add(direction, names_.name(host), ip, ev.get(Field::kTlsProtocol), ev.get(Field::kTlsCipher),
           ev.get(Field::kTlsBits), ev.get(Field::kTlsTrust), t);
}

// The disconnect counters: starttls=N/M with M > N is a failure, N > 0
// without other evidence is TLS; counters without starttls= mean no attempt.
void Correlator::on_disconnect(Session& s, const Envelope& env, const Event& ev,
                               std::uint64_t ord) {
  set_client(s, ev);
  const std::string_view counters = ev.get(Field::kCounters);
  s.rec.counters_present = counters.find('=') != std::string_view::npos;
  const bool lost_only = s.rec.starttls_attempts == SessionRecord::kLostAfterStarttlsOnly;
  if (lost_only) s.rec.starttls_attempts = -1;
  int ok = 0, attempts = 0;
  if (parse_starttls_counter(counters, ok, attempts)) {
    s.rec.starttls_ok = ok;
    s.rec.starttls_attempts = attempts;
    if (attempts > ok) {
      mark_failed(s, env.time, ord, "other", {});
    } else if (ok > 0 && lost_only) {
      // smtpd counts STARTTLS as done only after a completed handshake
      // (a failed one is starttls=0/1): "lost connection/timeout after
      // STARTTLS" then means the client left over TLS, not a failure.
      unmark_failed(s);
      mark_tls(s, env.time, ord);
    } else if (ok > 0 && !s.rec.failed) {
      mark_tls(s, env.time, ord);
    }
  } else if (s.rec.counters_present) {
    s.rec.starttls_ok = s.rec.starttls_attempts = 0;
  }
}

// A queue id: a message. Saved, and its queue id followed, when its client
// is watched: by IP every message; as a member of a failed client's subnet
// or domain (a pool) only its messages outside TLS, as whole pools of
// large senders would otherwise be stored.
void Correlator::on_client(Session& s, const Envelope& env, const Event& ev, std::uint64_t ord,
                           const RawLine& raw) {
  set_client(s, ev);
  ++s.rec.messages;
  ++counts_.messages;
  if (!watched(s, env.time, /*by_group=*/!s.rec.tls)) {
    if (!s.rec.tls && !s.rec.failed && !s.rec.client_ip.empty()) {
      mark(s, false, ev.get(Field::kQueueId), env.time, ord, &raw);
    }
    return;
  }
  save(s);
  MessageRecord m;
  m.session_id = s.rec.id;
  m.mx_host = names_.name(s.host);
  m.queue_id.assign(ev.get(Field::kQueueId));
  m.client_ip = s.rec.client_ip;
  m.client_name.assign(ev.get(Field::kClientName));
  m.client_subnet = s.rec.client_subnet;
  m.org_domain = s.rec.org_domain;
  m.accepted_at = env.time;
  m.accepted_ord = ord;
  ++counts_.saved_messages;  // written once its queue id is done (removed, evicted, end of run)
  messages_.follow(s.host, std::move(m), env.time);
}

// Failed at its first evidence line; the most telling reason wins. The
// client is watched from then on; the session is stored when it ends.
void Correlator::mark_failed(Session& s, Micros t, std::uint64_t ord, std::string_view reason,
                             std::string_view openssl_code, bool watch_client) {
  // Other evidence: the failure stands (its caller sets this again when
  // lost/timeout after STARTTLS is all).
  if (s.rec.starttls_attempts == SessionRecord::kLostAfterStarttlsOnly) {
    s.rec.starttls_attempts = -1;
  }
  if (!s.rec.failed) {
    s.rec.failed = true;
    s.rec.failure_at = t;
    s.rec.failure_ord = ord;
    ++counts_.failures;
  }
  if (reason_rank(reason) > reason_rank(s.rec.failure_reason)) {
    s.rec.failure_reason.assign(reason);
    s.rec.openssl_code.assign(openssl_code);
  }
  if (watch_client) watch_failed(s);
}

// The only failure evidence was withdrawn (see on_disconnect); it added no
// watch.
void Correlator::unmark_failed(Session& s) {
  if (!s.rec.failed) return;
  s.rec.failed = false;
  s.rec.failure_at = 0;
  s.rec.failure_ord = 0;
  s.rec.failure_reason.clear();
  s.rec.openssl_code.clear();
  if (counts_.failures > 0) --counts_.failures;
}

bool Correlator::watch_failed(Session& s) {
  if (s.rec.client_ip.empty()) return true;
  const ClientKeys& k = keys_of(s.rec);
  return watch(s.host, WatchKey{{}, s.rec.client_ip, k.subnet, k.org_domain, s.rec.failure_at});
}

void Correlator::mark_tls(Session& s, Micros t, std::uint64_t ord) {
  if (s.rec.tls) return;
  s.rec.tls = true;
  s.rec.tls_at = t;
  s.rec.tls_ord = ord;
}

// A session ends: stored when it failed, was stored before, or its client
// is watched by IP; always counted for its client.
void Correlator::close_session(const SessionKey& key, Micros t, bool evicted) {
  std::unique_ptr<Session> s = sessions_.take(key);
  if (!s) return;
  s->rec.end_at = t;
  // Ended with no counters to tell (evicted): the failure stands.
  if (s->rec.starttls_attempts == SessionRecord::kLostAfterStarttlsOnly) {
    s->rec.starttls_attempts = -1;
  }
  // Watched again: its client IP may have come after the failure line.
  if (s->rec.failed && !watch_failed(*s)) ++counts_.watch_full;
  if (s->rec.id != 0 || s->rec.failed || watched_by_ip(*s, s->last_seen)) save(*s);
  if (s->rec.id == 0 && s->rec.tls && !s->rec.failed && !s->rec.client_ip.empty()) {
    mark(*s, true, {}, s->rec.tls_at, s->rec.tls_ord);
  }
  ++counts_.sessions;
  if (evicted) ++counts_.evicted_sessions;
  evidence_.release(s->evidence);
  count_session(*s);
  sessions_.recycle(std::move(s));
}

void Correlator::count_session(const Session& s) {
  const SessionRecord& r = s.rec;
  if (r.client_ip.empty()) return;
  ClientTally::Entry& e = clients_.entry(r.client_ip);
  const bool unknown = std::string_view(r.client_name) == kUnknown;
  fill_keys(e.keys, r);
  ClientStats& c = e.stats;
  const Micros first = r.connect_at ? r.connect_at : s.last_seen;
  if (!unknown && names_later(first, r.client_name, c.named_at, c.client_name)) {
    c.client_name = r.client_name;
    c.named_at = first;
    c.org_domain = e.keys.org_domain;  // fill_keys just took it from this name
  }
  if (c.first_seen == 0 || first < c.first_seen) c.first_seen = first;
  if (s.last_seen > c.last_seen) c.last_seen = s.last_seen;
  ++c.sessions;
  const bool tls = r.tls && !r.failed;
  if (r.failed) ++c.failed_sessions;
  if (tls) ++c.tls_sessions;
  if (r.failed || r.tls || r.starttls_attempts > 0) ++c.starttls_sessions;
  c.messages += r.messages;
  if (!tls && !r.failed && r.messages > 0) {
    ++c.plaintext_sessions;
    c.plaintext_messages += r.messages;
  }
  const char* state = r.failed ? "failed" : tls ? "tls" : r.messages > 0 ? "plaintext" : "other";
  // The host by its interned id (rec.mx_host is filled only when saved).
  session_days_.add(r.mx_host.empty() ? names_.name(s.host) : r.mx_host, first, state);
}

// A session not saved: its plaintext message or its TLS, as a mark.
void Correlator::mark(const Session& s, bool tls, std::string_view queue_id, Micros at,
                      std::uint64_t ord, const RawLine* raw) {
  ClientMark& m = marks_.emplace_back();
  m.tls = tls;
  m.mx_host = names_.name(s.host);
  m.client_ip = s.rec.client_ip;
  m.at = at;
  m.ord = ord;
  if (!tls) {
    const ClientKeys& k = keys_of(s.rec);
    m.client_name = s.rec.client_name;
    m.client_subnet = k.subnet;
    m.org_domain = k.org_domain;
    m.queue_id.assign(queue_id);
    // The session's first line, unless it is this very line.
    if (s.rec.first_ord != ord) m.connect_line = evidence_.line(s.evidence, 0);
    if (raw != nullptr) m.client_line = evidence_.copy(*raw);
    mark_bytes_ += m.connect_line.raw.size() + m.client_line.raw.size();
  }
  if (marks_.size() >= kMarkBatch || mark_bytes_ >= kMarkBatchBytes) flush_marks();
}

void Correlator::flush_marks() {
  if (marks_.empty()) return;
  sink_.save_marks(marks_);
  marks_.clear();
  mark_bytes_ = 0;
}

// --- Watched clients.

const ClientKeys& Correlator::keys_of(const SessionRecord& r) {
  ClientKeys& k = clients_.entry(r.client_ip).keys;
  fill_keys(k, r);
  return k;
}

// The subnet once per IP (while its tally entry lasts); the domain again
// whenever the IP shows up under another name, never from "unknown" (so a
// client first seen unnamed gets its domain once named, in one run as in
// several: the stored one is the latest non-empty).
void Correlator::fill_keys(ClientKeys& k, const SessionRecord& r) {
  if (!k.known) {
    k.known = true;
    k.subnet = subnet_of(r.client_ip);
  }
  const std::string_view name = r.client_name;
  if (name.empty() || name == kUnknown || name == k.named_by) return;
  k.named_by = name;
  k.org_domain = org_domains_.of(name);
}

// A "no" found for the session since (keep_if_on_record()), at no later
// time and with no by-IP watch added, still holds: watches only expire.
bool Correlator::watched_by_ip(const Session& s, Micros now) const {
  if (s.ip_watch_gen == watch_list_.ip_generation() && !s.ip_watched && s.ip_watch_at <= now) {
    return false;
  }
  return watch_list_.watched(s.host, WatchKind::kIp, s.rec.client_ip, now);
}

// Watched on its host by IP, and with by_group also by subnet or domain.
bool Correlator::watched(const Session& s, Micros now, bool by_group) {
  if (s.rec.client_ip.empty()) return false;
  if (watched_by_ip(s, now)) return true;
  if (!by_group ||
      (!watch_list_.any(s.host, WatchKind::kSubnet) && !watch_list_.any(s.host, WatchKind::kOrg))) {
    return false;
  }
  const ClientKeys& k = keys_of(s.rec);
  return watch_list_.watched(s.host, WatchKind::kSubnet, k.subnet, now) ||
         watch_list_.watched(s.host, WatchKind::kOrg, k.org_domain, now);
}

// Whether every key was taken (the list was not full).
bool Correlator::watch(std::uint32_t host, const WatchKey& k) {
  const Micros ip_until = k.failure_at + limits_.watch_ip_for;
  const Micros group_until = k.failure_at + limits_.watch_group_for;
  const bool ip = watch_list_.watch(host, WatchKind::kIp, k.client_ip, ip_until);
  const bool subnet = watch_list_.watch(host, WatchKind::kSubnet, k.client_subnet, group_until);
  return watch_list_.watch(host, WatchKind::kOrg, k.org_domain, group_until) && ip && subnet;
}

// --- Sessions, evidence and storage.

Session& Correlator::session_for(const SessionKey& key, const Envelope& env, std::uint64_t ord) {
  if (Session* open = sessions_.find(key)) {
    open->last_seen = env.time;
    return *open;
  }
  if (sessions_.full()) {
    for (const auto& [seen, old] : sessions_.to_close(env.time)) close_session(old, seen, true);
  }
  Session& s = sessions_.open(key);
  s.rec.pid = env.pid;
  s.rec.first_ord = ord;
  s.last_seen = env.time;
  return s;
}

void Correlator::set_client(Session& s, const Event& ev) {
  const std::string_view name = ev.get(Field::kClientName);
  const std::string_view ip = ev.get(Field::kClientIp);
  if (s.rec.client_ip.empty() && !ip.empty() && ip != kUnknown) s.rec.client_ip.assign(ip);
  if (!name.empty() &&
      (s.rec.client_name.empty() || std::string_view(s.rec.client_name) == kUnknown)) {
    s.rec.client_name.assign(name);
  }
}

// Evidence is kept for the sessions that can be stored: a failed one, one
// already stored, one whose client is watched by IP (asked again only when
// the watch list changed). A session's first line is kept whatever it
// turns out to be; the lines of all other sessions are not copied at all.
void Correlator::keep_if_on_record(Session& s, const RawLine& raw, std::uint64_t ord, Micros now) {
  if (s.rec.first_ord != ord && !s.rec.failed && s.rec.id == 0) {
    if (s.rec.client_ip.empty()) return;
    if (s.ip_watch_gen != watch_list_.ip_generation()) {
      s.ip_watched = watch_list_.watched(s.host, WatchKind::kIp, s.rec.client_ip, now);
      s.ip_watch_gen = watch_list_.ip_generation();
      s.ip_watch_at = now;
    }
    if (!s.ip_watched) return;
  }
  evidence_.keep(s.evidence, raw);
}

// The record's host and syslog name strings, from the interned ids: set
// only when a session leaves the correlator (stored or carried over).
void Correlator::name_record(Session& s) const {
  if (s.rec.mx_host.empty()) s.rec.mx_host = names_.name(s.host);
  if (s.rec.syslog_name.empty()) s.rec.syslog_name = names_.name(s.syslog);
}

void Correlator::save(Session& s) {
  if (!s.rec.client_ip.empty()) {
    const ClientKeys& k = keys_of(s.rec);
    if (s.rec.client_subnet != k.subnet) s.rec.client_subnet = k.subnet;
    if (s.rec.org_domain != k.org_domain) s.rec.org_domain = k.org_domain;
  }
  name_record(s);
  sink_.save_session(s.rec);
  if (s.evidence.stored < s.evidence.lines.size()) {
    const std::vector<EvidenceLine> lines = evidence_.unsaved(s.evidence);
    sink_.save_evidence(s.rec.id, lines.data(), lines.size());
    s.evidence.stored = s.evidence.lines.size();
  }
}

bool Correlator::wants_fields(const Envelope& env, EventKind kind, std::string_view queue_id) {
  if (kind == EventKind::kIgnored) return false;
  if (!is_queue_kind(kind)) return true;
  return !messages_.empty() && messages_.follows(last_host_.id(names_, env.host), queue_id);
}

}  // namespace pftls
