// outbound_tracker: failed STARTTLS handshakes of the smtp/lmtp client, per
// pid until a queue id claims them, then per (host, queue id, relay) until
// the message is removed, aged out, or handed over in plaintext.
#include "correlate/outbound_tracker.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <utility>

#include "parse/failure_reason.h"

namespace pftls {
namespace {

constexpr std::string_view kCannotStartTls = "Cannot start TLS";

// "status=deferred (Cannot start TLS: handshake failure)" and the like: a
// delivery attempt that ended because the handshake failed.
bool tls_failure_status(const Event& ev) {
  const std::string_view status = ev.get(Field::kStatus);
  return !status.empty() && status != "sent" && ev.get(Field::kDetail).starts_with(kCannotStartTls);
}

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  return std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

enum class TlsUse { kUnknown, kTls, kPlain };

// Postfix >= 3.11 "tls=LEVEL[?][:DOWNGRADE][/...]": ":none" is a downgrade
// to no TLS; a level without a downgrade was met (TLS, unless it is "none").
TlsUse tls_use(std::string_view tls) {
  if (tls.empty()) return TlsUse::kUnknown;
  std::string_view level = tls.substr(0, tls.find('/'));
  const auto colon = level.find(':');
  if (colon != std::string_view::npos) {
    return level.substr(colon + 1) == "none" ? TlsUse::kPlain : TlsUse::kTls;
  }
  while (!level.empty() && level.back() == '?') level.remove_suffix(1);
  return level == "none" || level.empty() ? TlsUse::kUnknown : TlsUse::kTls;
}

// A codeless library-problem event from smtp_tls_loglevel >= 2's alert
// lines (parsers/smtpd.patterns [tls.verbose-alert-*]).
bool verbose_alert(const Event& ev) {
  return ev.get(Field::kOpensslCode).empty() &&
         ev.get(Field::kOpensslReason).starts_with("SSL3 alert ");
}

bool same_host_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

OutboundTracker::OutboundTracker(OutboundSink& sink, OutboundLimits limits)
    : sink_(sink), limits_(limits), names_(limits.max_names) {}

OutboundTracker::~OutboundTracker() = default;

// ---------------------------------------------------------------------------
// Names and keys

bool OutboundTracker::pid_key(const Envelope& env, bool create, PidKey& out) {
  out.host = last_host_.id(names_, env.host, create);
  if (out.host == NameInterner::kNone) return false;
  out.syslog_name = last_syslog_.id(names_, env.syslog_name, create);
  out.pid = env.pid;
  return out.syslog_name != NameInterner::kNone;
}

bool OutboundTracker::qid_key(const Envelope& env, std::string_view qid, bool create, QidKey& out) {
  if (qid.empty() || qid.size() > kMaxQueueId) return false;
  out.host = last_host_.id(names_, env.host, create);
  if (out.host == NameInterner::kNone) return false;
  out.size = static_cast<std::uint8_t>(qid.size());
  std::memcpy(out.id.data(), qid.data(), qid.size());
  return true;
}

bool OutboundTracker::same_attempt(const OutboundPendingMessage& t, const Envelope& env) {
  return t.attempt_ord != 0 && t.pid == env.pid && t.syslog_name == env.syslog_name;
}

// ---------------------------------------------------------------------------
// Bounds and ages

void OutboundTracker::advance(Micros t) {
  if (t > now_) now_ = t;
}

void OutboundTracker::expire() {
  while (!failure_age_.empty() && (failures_.size() > limits_.max_failures ||
                                   failure_age_.front().at + limits_.failure_age < now_)) {
    evict_failure();
  }
  while (!message_age_.empty() && (messages_.size() > limits_.max_messages ||
                                   message_age_.front().at + limits_.message_age < now_)) {
    evict_message();
  }
}

void OutboundTracker::evict_failure() {
  auto it = failures_.find(failure_age_.front().key);
  forget(it->second.f.evidence);
  failures_.erase(it);
  failure_age_.pop_front();
  ++counts_.evicted_failures;
}

void OutboundTracker::evict_message() {
  auto it = messages_.find(message_age_.front().key);
  forget(it->second);
  messages_.erase(it);
  message_age_.pop_front();
  ++counts_.evicted_messages;
}

void OutboundTracker::erase_message(Message& m) {
  const QidKey key = m.age->key;
  forget(m);
  message_age_.erase(m.age);
  messages_.erase(key);
}

void OutboundTracker::touch(Message& m, OutboundPendingMessage* t) {
  if (t) t->seen_at = now_;
  m.age->at = now_;
  message_age_.splice(message_age_.end(), message_age_, m.age);
}

// ---------------------------------------------------------------------------
// Tables

OutboundTracker::Message* OutboundTracker::message_for(const Envelope& env, std::string_view qid,
                                                       bool create) {
  if (!create && messages_.empty()) return nullptr;
  QidKey key;
  if (!qid_key(env, qid, create, key)) {
    if (create) ++counts_.dropped;
    return nullptr;
  }
  auto it = messages_.find(key);
  if (it != messages_.end()) return &it->second;
  if (!create) return nullptr;
  if (limits_.max_messages == 0) {
    ++counts_.dropped;
    return nullptr;
  }
  while (messages_.size() >= limits_.max_messages) evict_message();
  it = messages_.emplace(key, Message{}).first;
  message_age_.push_back({key, now_});
  it->second.age = std::prev(message_age_.end());
  if (auto n = notes_.find(key); n != notes_.end()) {  // its message-id and sender
    it->second.message_id = std::move(n->second.message_id);
    it->second.sender = std::move(n->second.sender);
    erase_note(n);
  }
  return &it->second;
}

OutboundPendingMessage* OutboundTracker::relay_for(Message& m, const Envelope& env,
                                                   std::string_view qid, std::string_view name,
                                                   std::string_view ip, std::string_view port,
                                                   bool create) {
  for (auto& r : m.relays) {
    if (r.record.relay_ip == ip && r.record.relay_port == port && r.record.relay_name == name)
      return &r;
  }
  if (!create) return nullptr;
  if (m.relays.size() >= limits_.max_relays_per_message) {
    ++counts_.dropped;
    return nullptr;
  }
  OutboundPendingMessage& r = m.relays.emplace_back();
  r.record.mx_host.assign(env.host);
  r.record.queue_id.assign(qid);
  r.record.relay_name.assign(name);
  r.record.relay_ip.assign(ip);
  r.record.relay_port.assign(port);
  r.seen_at = now_;
  return &r;
}

// A pid's failure claimed by a line of queue id `qid`: one failed attempt.
void OutboundTracker::count_failure(OutboundPendingMessage& t, const OutboundPendingFailure& f) {
  if (t.attempt_ord == f.failure_ord + 1) return;  // this attempt is counted already
  t.attempt_ord = f.failure_ord + 1;
  t.syslog_name = f.syslog_name;
  t.pid = f.pid;
  t.fallback_open = false;
  ++counts_.failures;
  save_failure(t, f.failure_at, f.failure_reason, f.openssl_code);
  OutboundRecord& r = t.record;
  if (r.plaintext_at != 0) return;  // a saved fallback keeps its failure
  ++r.failed_attempts;
  r.failure_at = f.failure_at;
  r.failure_ord = f.failure_ord;
  r.failure_reason = f.failure_reason;
  r.openssl_code = f.openssl_code;
}

// A "Cannot start TLS" line with no failure line of its pid before it (an
// excerpt that starts mid-attempt): the line itself is the failure.
void OutboundTracker::count_failure_here(OutboundPendingMessage& t, const Envelope& env,
                                         std::uint64_t ord) {
  t.attempt_ord = ord + 1;
  t.syslog_name.assign(env.syslog_name);
  t.pid = env.pid;
  t.fallback_open = false;
  ++counts_.failures;
  save_failure(t, env.time, "other", {});
  OutboundRecord& r = t.record;
  if (r.plaintext_at != 0) return;
  ++r.failed_attempts;
  r.failure_at = env.time;
  r.failure_ord = ord;
  r.failure_reason = "other";
  r.openssl_code.clear();
}

void OutboundTracker::save_failure(const OutboundPendingMessage& t, Micros at,
                                   std::string_view reason, std::string_view openssl_code) {
  OutboundFailureRow& row = failure_row_;
  row.mx_host.assign(t.record.mx_host);
  row.queue_id.assign(t.record.queue_id);
  row.relay_name.assign(t.record.relay_name);
  row.relay_ip.assign(t.record.relay_ip);
  row.relay_port.assign(t.record.relay_port);
  row.failure_at = at;
  row.failure_reason.assign(reason);
  row.openssl_code.assign(openssl_code);
  sink_.save_outbound_failure(row);
}

// ---------------------------------------------------------------------------
// Events

bool OutboundTracker::wants_fields(const Envelope& env, EventKind kind,
                                   std::string_view text) const {
  if (kind == EventKind::kMessageId || kind == EventKind::kSender) return true;  // noted
  if (kind == EventKind::kIgnored || kind == EventKind::kRemoved || !smtp_like(env.service))
    return false;
  if (kind != EventKind::kRecipient || !failures_.empty() || !messages_.empty()) return true;
  return text.find(kCannotStartTls) != std::string_view::npos;  // see tls_failure_status()
}

// The events on_event() lets through: a followed message removed, or a line
// of the smtp/lmtp client.
// qmgr's "removed" (forgets the queue id) or "status=expired" (returned to
// its sender: its pending failures bounced).
void OutboundTracker::on_queue_end(const Envelope& env, const Event& ev) {
  const std::string_view qid = ev.get(Field::kQueueId);
  if (ev.kind == EventKind::kExpired) {
    if (Message* m = message_for(env, qid, false)) {
      erase_message(*m);
      resolve(env, qid, "bounced");
    }
    return;
  }
  if (Message* m = message_for(env, qid, false)) erase_message(*m);
  QidKey key;
  if (!notes_.empty() && qid_key(env, qid, false, key)) {
    if (auto n = notes_.find(key); n != notes_.end()) erase_note(n);
  }
}

void OutboundTracker::on_client_event(const Envelope& env, const Event& ev, std::uint64_t ord) {
  if (ev.kind == EventKind::kRemoved || ev.kind == EventKind::kExpired) {
    on_queue_end(env, ev);
    return;
  }
  if (ev.kind == EventKind::kMessageId || ev.kind == EventKind::kSender) {
    on_note(env, ev);
    return;
  }
  const bool idle = failures_.empty() && messages_.empty();
  switch (ev.kind) {
    case EventKind::kSslConnectError:
    case EventKind::kCannotStartTls:
      break;
    case EventKind::kTlsLibraryProblem:
      if (idle && !verbose_alert(ev)) return;  // after a failure only, but for these
      break;
    case EventKind::kTlsEstablishedTo:
      if (idle && alerts_.empty()) return;  // it drops the pid's held alert
      break;
    case EventKind::kRecipient:
      if (idle && !tls_failure_status(ev)) return;  // the common case: an ordinary delivery
      break;
    default:
      if (idle) return;
      break;
  }
  advance(env.time);
  if (!idle) expire();

  switch (ev.kind) {
    case EventKind::kSslConnectError:
      on_connect_error(env, ev, ord);
      return;
    case EventKind::kTlsLibraryProblem:
      on_library_problem(env, ev);
      return;
    case EventKind::kStarttlsOffered:
      on_starttls_offered(env, ev);
      return;
    case EventKind::kTlsEstablishedTo: {
      PidKey key;
      if (pid_key(env, false, key)) {
        offers_.erase(key);
        alerts_.erase(key);
        auto it = failures_.find(key);
        if (it != failures_.end()) {
          forget(it->second.f.evidence);
          failure_age_.erase(it->second.age);
          failures_.erase(it);
        }
      }
      return;
    }
    default:
      break;
  }

  const std::string_view qid = ev.get(Field::kQueueId);
  if (qid.empty()) return;
  // The first line of the pid with a queue id claims its failure.
  OutboundPendingMessage* failed = nullptr;
  Message* m = nullptr;
  PidKey key;
  if (!failures_.empty() && pid_key(env, false, key)) {
    auto it = failures_.find(key);
    if (it != failures_.end()) {
      OutboundPendingFailure f = std::move(it->second.f);
      failure_age_.erase(it->second.age);
      failures_.erase(it);
      m = message_for(env, qid, true);
      if (m) failed = relay_for(*m, env, qid, f.relay_name, f.relay_ip, f.relay_port, true);
      if (failed) {
        count_failure(*failed, f);
        touch(*m, failed);
        auto& lines = failed->evidence;
        lines.insert(lines.end(), std::make_move_iterator(f.evidence.begin()),
                     std::make_move_iterator(f.evidence.end()));
      } else {
        forget(f.evidence);
      }
    }
  }
  switch (ev.kind) {
    case EventKind::kCannotStartTls:
      if (!m) m = message_for(env, qid, true);
      if (m) on_cannot_start(*m, env, qid, ord, failed);
      return;
    case EventKind::kRecipient:
      on_delivery(env, ev, qid, ord);
      return;
    default:
      return;
  }
}

void OutboundTracker::on_connect_error(const Envelope& env, const Event& ev, std::uint64_t ord) {
  PidKey key;
  if (!pid_key(env, true, key) || limits_.max_failures == 0) {
    ++counts_.dropped;
    return;
  }
  auto it = failures_.find(key);
  if (it == failures_.end()) {
    while (failures_.size() >= limits_.max_failures) evict_failure();
    it = failures_.emplace(key, Failure{}).first;
    failure_age_.push_back({key, now_});
    it->second.age = std::prev(failure_age_.end());
    it->second.f.mx_host.assign(env.host);
    it->second.f.syslog_name.assign(env.syslog_name);
    it->second.f.pid = env.pid;
  } else {  // a second failure before any queue id: the later one counts
    it->second.age->at = now_;
    failure_age_.splice(failure_age_.end(), failure_age_, it->second.age);
  }
  OutboundPendingFailure& f = it->second.f;
  keep(f.evidence, "failed");
  f.relay_name.assign(ev.get(Field::kClientName));
  f.relay_ip.assign(ev.get(Field::kClientIp));
  f.relay_port.assign(ev.get(Field::kClientPort));
  f.failure_at = env.time;
  f.failure_ord = ord;
  f.failure_reason = reason_from_accept_detail(ev.get(Field::kDetail));
  f.openssl_code.clear();
  if (!offers_.empty()) offers_.erase(key);  // a new connection
  if (alerts_.empty()) return;
  // The alert of this handshake, logged before this line.
  if (auto a = alerts_.find(key); a != alerts_.end()) {
    if (env.time - a->second.at <= kOfferAge &&
        reason_rank(a->second.text) > reason_rank(f.failure_reason)) {
      f.failure_reason = std::move(a->second.text);
    }
    alerts_.erase(a);
  }
}

void OutboundTracker::note(absl::flat_hash_map<PidKey, PidNote>& map, const PidKey& key,
                           std::string_view text, Micros at) {
  if (map.size() >= kMaxPerPid && !map.contains(key)) {
    counts_.dropped += map.size();
    map.clear();
  }
  PidNote& n = map[key];
  n.text.assign(text);
  n.at = at;
}

// Kept while a failure or a followed message could use it (the caller
// passes no offer while the tracker is idle).
void OutboundTracker::on_starttls_offered(const Envelope& env, const Event& ev) {
  PidKey key;
  if (!pid_key(env, true, key)) return;
  note(offers_, key, ev.get(Field::kClientName), env.time);
}

// Whether this pid's connection is to `name`/`ip` and was offered STARTTLS
// without using it; a delivery to another relay ends the offer.
bool OutboundTracker::offered_by(const Envelope& env, std::string_view name, std::string_view ip) {
  if (offers_.empty()) return false;
  PidKey key;
  if (!pid_key(env, false, key)) return false;
  auto it = offers_.find(key);
  if (it == offers_.end()) return false;
  const std::string_view host = it->second.text;
  if (env.time - it->second.at > kOfferAge || !(same_host_name(host, name) || host == ip)) {
    offers_.erase(it);
    return false;
  }
  return true;
}

void OutboundTracker::on_library_problem(const Envelope& env, const Event& ev) {
  PidKey key;
  const bool alert = verbose_alert(ev);
  if ((failures_.empty() && !alert) || !pid_key(env, alert, key)) return;
  auto it = failures_.find(key);
  if (it == failures_.end()) {
    // Not after an SSL_connect error: no handshake failure, unless it is
    // the alert of the error that follows.
    if (alert) {
      const std::string reason = reason_from_openssl({}, ev.get(Field::kOpensslReason));
      if (!reason.empty()) note(alerts_, key, reason, env.time);
    }
    return;
  }
  OutboundPendingFailure& f = it->second.f;
  keep(f.evidence, "failed");
  std::string reason =
      reason_from_openssl(ev.get(Field::kOpensslCode), ev.get(Field::kOpensslReason));
  if (reason.empty()) reason = "other";
  if (reason_rank(reason) > reason_rank(f.failure_reason)) {
    f.failure_reason = std::move(reason);
    f.openssl_code.assign(ev.get(Field::kOpensslCode));
  }
}

void OutboundTracker::on_cannot_start(Message& m, const Envelope& env, std::string_view qid,
                                      std::uint64_t ord, OutboundPendingMessage* failed) {
  OutboundPendingMessage* t = failed;
  if (!t) {
    // No failure line before it: the latest attempt of this pid, else a
    // relay that this pid's delivery line will name.
    for (auto& r : m.relays)
      if (same_attempt(r, env)) t = &r;
    if (!t) t = relay_for(m, env, qid, {}, {}, {}, true);
    if (!t) return;
    if (!same_attempt(*t, env)) count_failure_here(*t, env, ord);
  }
  for (auto& r : m.relays)
    if (&r != t && same_attempt(r, env)) r.fallback_open = false;
  t->fallback_open = true;
  keep(t->evidence, "failed");
  flush_evidence(*t);
  touch(m, t);
}

void OutboundTracker::on_delivery(const Envelope& env, const Event& ev, std::string_view qid,
                                  std::uint64_t ord) {
  const std::string_view status = ev.get(Field::kStatus);
  const std::string_view name = ev.get(Field::kClientName);
  const std::string_view ip = ev.get(Field::kClientIp);
  const std::string_view port = ev.get(Field::kClientPort);
  const bool relay_known = !status.empty() && !ip.empty() && valid_port(port);
  const bool sent = relay_known && status == "sent";
  const bool tls_failed = relay_known && tls_failure_status(ev);
  const bool offered = relay_known && offered_by(env, name, ip);

  Message* m = message_for(env, qid, tls_failed);
  if (!m) return;
  // The outcome of this queue id's failures so far (their rows): its first
  // delivery or bounce after them.
  const bool bounced = status == "bounced" || status == "expired";
  bool plaintext = false;
  OutboundPendingMessage* t =
      relay_known ? relay_for(*m, env, qid, name, ip, port, false) : nullptr;
  if (!t && sent) {
    // A "Cannot start TLS" line without a failure line: its relay is this one.
    for (auto& r : m->relays) {
      if (r.record.relay_ip.empty() && r.fallback_open && same_attempt(r, env)) {
        r.record.relay_name.assign(name);
        r.record.relay_ip.assign(ip);
        r.record.relay_port.assign(port);
        t = &r;
        break;
      }
    }
  }
  if (tls_failed) {
    if (!t) t = relay_for(*m, env, qid, name, ip, port, true);
    if (t && !same_attempt(*t, env)) count_failure_here(*t, env, ord);
  }

  TlsUse use = tls_use(ev.get(Field::kTls));
  if (use == TlsUse::kUnknown && offered) use = TlsUse::kPlain;
  if (status == "sent" && use == TlsUse::kPlain) plaintext = true;  // to another relay, say
  if (sent && t) {
    const bool standalone = t->fallback_open && same_attempt(*t, env);
    if ((standalone && use != TlsUse::kTls) ||
        (use == TlsUse::kPlain && t->record.failed_attempts > 0)) {
      plaintext = true;
      keep(t->evidence, "plaintext");
      if (t->record.message_id.empty()) t->record.message_id = m->message_id;
      if (t->record.sender.empty()) t->record.sender = m->sender;
      record_fallback(*t, env, ev, ord, standalone);
    } else if (t->record.id == 0 && t->record.plaintext_at == 0) {
      // Delivered without a fallback (over TLS, say): nothing to report.
      forget(t->evidence);
      m->relays.erase(m->relays.begin() + (t - m->relays.data()));
      t = nullptr;
      if (m->relays.empty()) {
        erase_message(*m);
        resolve(env, qid, plaintext ? "downgraded" : "tls-retry");
        return;
      }
    } else {
      t->fallback_open = false;
      keep(t->evidence, "plaintext");
    }
  } else if (t) {
    keep(t->evidence, "failed");
  }
  // This pid's attempt has its outcome: other relays' fallbacks on it are
  // over, and so is every one when it was not a delivery.
  for (auto& r : m->relays)
    if ((&r != t || !sent) && same_attempt(r, env)) r.fallback_open = false;
  if (t) {
    flush_evidence(*t);
    touch(*m, t);
  }
  if (m->relays.empty()) erase_message(*m);
  if (bounced) {
    resolve(env, qid, "bounced");
  } else if (status == "sent") {
    resolve(env, qid, plaintext ? "downgraded" : "tls-retry");
  }
}

void OutboundTracker::resolve(const Envelope& env, std::string_view qid, std::string_view outcome) {
  sink_.resolve_outbound_failures(env.host, qid, outcome, env.time - limits_.message_age, env.time);
}

void OutboundTracker::record_fallback(OutboundPendingMessage& t, const Envelope& env,
                                      const Event& ev, std::uint64_t ord, bool standalone) {
  OutboundRecord& r = t.record;
  bool changed = false;
  if (r.plaintext_at == 0) {
    r.plaintext_at = env.time;
    r.plaintext_ord = ord;
    r.fallback_seen = standalone;
    changed = true;
  } else if (standalone && !r.fallback_seen) {
    r.fallback_seen = true;
    changed = true;
  }
  const std::string_view rcpt = ev.get(Field::kRecipient);
  if (r.recipients.size() < limits_.max_recipients &&
      std::find(r.recipients.begin(), r.recipients.end(), rcpt) == r.recipients.end()) {
    r.recipients.emplace_back(rcpt);
    changed = true;
  }
  if (!changed) return;
  const bool insert = r.id == 0;
  sink_.save_outbound(r);
  if (insert) ++counts_.fallbacks;
}

// ---------------------------------------------------------------------------
// Evidence and notes

void OutboundTracker::keep(std::vector<OutboundLine>& lines, const char* role) {
  if (raw_ == nullptr || raw_->text.empty() || lines.size() >= limits_.evidence_lines) return;
  const std::string_view text = raw_->text.substr(0, limits_.evidence_bytes);
  if (evidence_used_ + text.size() > limits_.evidence_total_bytes) {
    ++counts_.evidence_dropped;
    return;
  }
  evidence_used_ += text.size();
  lines.push_back(OutboundLine{role, std::string(raw_->input), raw_->number, std::string(text)});
}

void OutboundTracker::forget(const std::vector<OutboundLine>& lines) {
  for (const auto& l : lines) evidence_used_ -= std::min(evidence_used_, l.raw.size());
}

// A saved record's lines go to the sink as they come.
void OutboundTracker::flush_evidence(OutboundPendingMessage& t) {
  if (t.record.id == 0 || t.evidence.empty()) return;
  sink_.save_outbound_evidence(t.record.id, t.evidence);
  forget(t.evidence);
  t.evidence.clear();
}

void OutboundTracker::erase_note(absl::node_hash_map<QidKey, Note>::iterator it) {
  note_age_.erase(it->second.age);
  notes_.erase(it);
}

void OutboundTracker::expire_notes() {
  while (!note_age_.empty() && note_age_.front().at + limits_.failure_age < now_)
    erase_note(notes_.find(note_age_.front().key));
}

// cleanup's "QUEUEID: message-id=<...>" or qmgr's "QUEUEID: from=<...>":
// given to the queue id's followed message, else noted for one to come.
void OutboundTracker::on_note(const Envelope& env, const Event& ev) {
  const bool is_id = ev.kind == EventKind::kMessageId;
  const std::string_view value =
      ev.get(is_id ? Field::kMessageId : Field::kSender).substr(0, limits_.note_bytes);
  const std::string_view qid = ev.get(Field::kQueueId);
  if (value.empty() || qid.empty()) return;
  advance(env.time);
  expire_notes();
  QidKey key;
  if (!qid_key(env, qid, true, key)) {
    ++counts_.dropped;
    return;
  }
  if (!messages_.empty()) {
    if (auto m = messages_.find(key); m != messages_.end()) {
      std::string& field = is_id ? m->second.message_id : m->second.sender;
      if (field.empty()) field.assign(value);
      return;
    }
  }
  auto it = notes_.find(key);
  if (it == notes_.end()) {
    if (limits_.max_notes == 0) {
      ++counts_.dropped;
      return;
    }
    while (notes_.size() >= limits_.max_notes) {
      erase_note(notes_.find(note_age_.front().key));
      ++counts_.dropped;
    }
    it = notes_.emplace(key, Note{}).first;
    note_age_.push_back({key, now_});
    it->second.age = std::prev(note_age_.end());
  } else {  // a qmgr line of a later delivery attempt keeps the note
    it->second.age->at = now_;
    note_age_.splice(note_age_.end(), note_age_, it->second.age);
  }
  (is_id ? it->second.message_id : it->second.sender).assign(value);
}

// ---------------------------------------------------------------------------
// State across runs

void OutboundTracker::restore(State state) {
  auto older = [](const auto& a, const auto& b) { return a.seen_at < b.seen_at; };
  std::stable_sort(state.failures.begin(), state.failures.end(), older);
  std::stable_sort(state.messages.begin(), state.messages.end(), older);
  std::stable_sort(state.notes.begin(), state.notes.end(), older);
  for (auto& f : state.failures) {
    advance(f.seen_at);
    for (const auto& l : f.evidence) evidence_used_ += l.raw.size();
    Envelope env;
    env.host = f.mx_host;
    env.syslog_name = f.syslog_name;
    env.pid = f.pid;
    PidKey key;
    if (!pid_key(env, true, key) || limits_.max_failures == 0) {
      ++counts_.dropped;
      continue;
    }
    auto it = failures_.find(key);
    if (it != failures_.end()) {
      failure_age_.erase(it->second.age);
      failures_.erase(it);
    }
    while (failures_.size() >= limits_.max_failures) evict_failure();
    failure_age_.push_back({key, f.seen_at});
    Failure entry{std::move(f), std::prev(failure_age_.end())};
    failures_.emplace(key, std::move(entry));
  }
  // Notes before messages: a restored message takes its queue id's note.
  for (auto& n : state.notes) {
    advance(n.seen_at);
    Envelope env;
    env.host = n.mx_host;
    QidKey key;
    if (!qid_key(env, n.queue_id, true, key) || limits_.max_notes == 0) {
      ++counts_.dropped;
      continue;
    }
    auto it = notes_.find(key);
    if (it == notes_.end()) {
      while (notes_.size() >= limits_.max_notes) {
        erase_note(notes_.find(note_age_.front().key));
        ++counts_.dropped;
      }
      it = notes_.emplace(key, Note{}).first;
      note_age_.push_back({key, n.seen_at});
      it->second.age = std::prev(note_age_.end());
    }
    it->second.message_id = std::move(n.message_id);
    it->second.sender = std::move(n.sender);
  }
  for (auto& p : state.messages) {
    advance(p.seen_at);
    for (const auto& l : p.evidence) evidence_used_ += l.raw.size();
    Envelope env;
    env.host = p.record.mx_host;
    Message* m = message_for(env, p.record.queue_id, true);
    if (!m) continue;
    if (m->relays.size() >= limits_.max_relays_per_message) {
      ++counts_.dropped;
      continue;
    }
    const Micros at = p.seen_at;
    m->relays.push_back(std::move(p));
    m->age->at = at;
    message_age_.splice(message_age_.end(), message_age_, m->age);
  }
}

OutboundState OutboundTracker::export_state() const {
  State state;
  state.failures.reserve(failures_.size());
  for (const auto& aged : failure_age_) {
    const Failure& entry = failures_.at(aged.key);
    state.failures.push_back(entry.f);
    state.failures.back().seen_at = aged.at;
  }
  for (const auto& aged : note_age_) {
    const Note& n = notes_.at(aged.key);
    state.notes.push_back(OutboundNote{names_.name(aged.key.host), std::string(aged.key.text()),
                                       n.message_id, n.sender, aged.at});
  }
  for (const auto& aged : message_age_) {
    const Message& m = messages_.at(aged.key);
    for (const auto& r : m.relays) state.messages.push_back(r);
    if (!m.message_id.empty() || !m.sender.empty()) {
      state.notes.push_back(OutboundNote{names_.name(aged.key.host), std::string(aged.key.text()),
                                         m.message_id, m.sender, aged.at});
    }
  }
  return state;
}

}  // namespace pftls
