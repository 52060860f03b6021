// correlator: smtpd sessions, failures, watched clients and their messages.
#include "correlate/correlator.h"

#include <algorithm>
#include <cstring>
#include <tuple>

#include "correlate/client_identity.h"
#include "parse/failure_reason.h"
#include "base/same_text.h"

namespace pftls {

struct Correlator::Session {
  SessionRecord rec;
  std::uint32_t host = 0;    // interned mx host; rec.mx_host is filled when stored
  std::uint32_t syslog = 0;  // interned syslog name; likewise rec.syslog_name
  Micros last_seen = 0;
  std::uint64_t ip_hash = 0;  // of rec.client_ip, computed once; 0 = not yet
  // Whether rec.client_ip is watched, as of watch generation ip_watch_gen.
  std::uint64_t ip_watch_gen = UINT64_MAX;
  bool ip_watched = false;
  std::size_t tally = 0;      // index in client_stats_ of that generation
  std::uint64_t tally_gen = UINT64_MAX;
  // Raw lines of this session (bounded), back to back in one buffer;
  // lines [0, evidence_stored) are in the store.
  struct LineRef {
    std::uint32_t offset;
    std::uint32_t size;
    std::uint32_t input;  // index in Correlator::inputs_
    std::uint64_t line;
  };
  std::string evidence_text;
  std::vector<LineRef> evidence;
  std::size_t evidence_stored = 0;

  std::uint64_t client_hash() {
    if (ip_hash == 0) ip_hash = ClientTally::hash(rec.client_ip);
    return ip_hash;
  }
};

namespace {
// Key kinds of the watch list: a client is watched by IP, by subnet or by
// registrable domain (the last two serve --match subnet|org).
enum WatchKind : std::uint32_t { kByIp = 0, kBySubnet = 1, kByOrg = 2 };

std::uint64_t host_mix(std::uint32_t host, WatchKind kind, std::uint64_t key_hash) {
  std::uint64_t k = (static_cast<std::uint64_t>(host) << 2 | kind) + 1;
  return key_hash ^ (k * 0x9E3779B97F4A7C15ULL);
}
}  // namespace

std::size_t Correlator::SessionKeyHash::operator()(const SessionKey& k) const noexcept {
  std::uint64_t h = (static_cast<std::uint64_t>(k.host) << 40) ^
                    (static_cast<std::uint64_t>(k.syslog_name) << 32) ^ k.pid;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return static_cast<std::size_t>(h);
}

Correlator::Correlator(EventSink& sink, CorrelatorLimits limits) : sink_(sink), limits_(limits) {}
Correlator::~Correlator() = default;


std::uint32_t Correlator::intern(std::string_view s) {
  auto it = name_ids_.find(s);
  if (it != name_ids_.end()) return it->second;
  auto id = static_cast<std::uint32_t>(names_.size());
  names_.emplace_back(s);
  name_ids_.emplace(std::string(s), id);
  return id;
}

// Most lines repeat the previous line's host and syslog name (same_text.h).
std::uint32_t Correlator::host_id(std::string_view host) {
  if (last_host_id_ != UINT32_MAX && same_text(names_[last_host_id_], host)) return last_host_id_;
  return last_host_id_ = intern(host);
}

std::uint32_t Correlator::syslog_id(std::string_view name) {
  if (last_syslog_id_ != UINT32_MAX && same_text(names_[last_syslog_id_], name)) return last_syslog_id_;
  return last_syslog_id_ = intern(name);
}

std::size_t Correlator::tally_index(Session& s) {
  if (s.tally_gen != client_stats_.generation()) {
    if (client_stats_.size() >= limits_.max_client_stats && !client_stats_.contains(s.rec.client_ip)) {
      sink_.add_client_stats(client_stats_.take());
    }
    s.tally = client_stats_.index_of(s.rec.client_ip, s.client_hash());
    s.tally_gen = client_stats_.generation();
  }
  return s.tally;
}

const ClientKeys& Correlator::keys_of(Session& s) {
  ClientKeys& k = client_stats_.keys(tally_index(s));
  if (!k.known) {
    k.known = true;
    k.subnet = subnet_of(s.rec.client_ip);
    k.org_domain = org_domains_.of(s.rec.client_name);
    k.subnet_hash = k.subnet.empty() ? 0 : ClientTally::hash(k.subnet);
    k.org_hash = k.org_domain.empty() ? 0 : ClientTally::hash(k.org_domain);
  }
  return k;
}

bool Correlator::watched_key(std::uint32_t host, int kind, std::string_view key,
                             std::uint64_t key_hash, Micros now) const {
  if (key.empty() || host >= watched_.size()) return false;
  const auto& set = watched_[host][static_cast<std::size_t>(kind)];
  if (set.empty() || !watched_filter_.may_contain(host_mix(host, static_cast<WatchKind>(kind), key_hash))) {
    return false;
  }
  auto it = set.find(key);
  return it != set.end() && it->second >= now;
}

bool Correlator::watched(std::uint32_t host, Session& s, Micros now, bool by_group) {
  if (s.rec.client_ip.empty() || host >= watched_.size()) return false;
  if (watched_key(host, kByIp, s.rec.client_ip, s.client_hash(), now)) return true;
  if (!by_group) return false;
  const auto& sets = watched_[host];
  if (sets[kBySubnet].empty() && sets[kByOrg].empty()) return false;
  const ClientKeys& k = keys_of(s);
  return watched_key(host, kBySubnet, k.subnet, k.subnet_hash, now) ||
         watched_key(host, kByOrg, k.org_domain, k.org_hash, now);
}

void Correlator::watch_key(std::uint32_t host, int kind, const std::string& key, Micros until) {
  if (key.empty()) return;
  if (host >= watched_.size()) watched_.resize(host + 1);
  auto& set = watched_[host][static_cast<std::size_t>(kind)];
  auto it = set.find(key);
  if (kind == kByIp) ++ip_watch_gen_;  // keep_if_on_record() asks again
  if (it != set.end()) {
    it->second = std::max(it->second, until);
    return;
  }
  if (watched_count_ >= limits_.max_watched) return;
  set.emplace(key, until);
  ++watched_count_;
  watched_filter_.add(host_mix(host, static_cast<WatchKind>(kind), ClientTally::hash(key)));
}

void Correlator::watch(std::uint32_t host, Session& s, Micros failure_at) {
  if (s.rec.client_ip.empty()) return;
  const ClientKeys& k = keys_of(s);
  watch_key(host, kByIp, s.rec.client_ip, failure_at + limits_.watch_ip_for);
  watch_key(host, kBySubnet, k.subnet, failure_at + limits_.watch_group_for);
  watch_key(host, kByOrg, k.org_domain, failure_at + limits_.watch_group_for);
}

std::vector<EvidenceLine> Correlator::evidence_of(const Session& s, std::size_t from) const {
  std::vector<EvidenceLine> out;
  out.reserve(s.evidence.size() - std::min(from, s.evidence.size()));
  for (std::size_t i = from; i < s.evidence.size(); ++i) {
    const Session::LineRef& r = s.evidence[i];
    out.push_back(EvidenceLine{inputs_[r.input], r.line, s.evidence_text.substr(r.offset, r.size)});
  }
  return out;
}

// The record's host and syslog name strings, from the interned ids: set
// only when a session leaves the correlator (stored or carried over).
void Correlator::name_record(Session& s) const {
  if (s.rec.mx_host.empty()) s.rec.mx_host = names_[s.host];
  if (s.rec.syslog_name.empty()) s.rec.syslog_name = names_[s.syslog];
}

void Correlator::save(Session& s) {
  if (!s.rec.client_ip.empty()) {
    const ClientKeys& k = keys_of(s);
    if (s.rec.client_subnet != k.subnet) s.rec.client_subnet = k.subnet;
    if (s.rec.org_domain != k.org_domain) s.rec.org_domain = k.org_domain;
  }
  name_record(s);
  sink_.save_session(s.rec);
  if (s.evidence_stored < s.evidence.size()) {
    std::vector<EvidenceLine> lines = evidence_of(s, s.evidence_stored);
    sink_.save_evidence(s.rec.id, lines.data(), lines.size());
    s.evidence_stored = s.evidence.size();
  }
}

std::uint32_t Correlator::input_index(std::string_view input) {
  // Asked once an input (and for restored evidence): a scan of a few names.
  for (std::uint32_t i = 0; i < inputs_.size(); ++i)
    if (inputs_[i] == input) return i;
  inputs_.emplace_back(input);
  return static_cast<std::uint32_t>(inputs_.size() - 1);
}

void Correlator::keep_line(Session& s, const RawLine& raw) {
  if (raw.text.empty() || s.evidence.size() >= limits_.evidence_lines) return;
  std::string_view text = raw.text.substr(0, limits_.evidence_bytes);
  if (evidence_bytes_ + text.size() > limits_.evidence_total_bytes) {
    ++counts_.evidence_dropped;
    return;
  }
  evidence_bytes_ += text.size();
  s.evidence.push_back(Session::LineRef{static_cast<std::uint32_t>(s.evidence_text.size()),
                                        static_cast<std::uint32_t>(text.size()),
                                        raw.input, raw.number});
  s.evidence_text.append(text);
}

// Evidence is kept for the sessions that can be stored: a failed one, one
// already stored, one whose client is watched by IP. A session's first
// line (its connect line) is kept whatever it turns out to be. Lines of
// the other sessions (almost all of them) are not copied at all.
// Whether the client is watched by IP is asked again only when the watch
// list has changed since (ip_watch_gen_): once a session, as a rule.
bool Correlator::client_watched_by_ip(Session& s, Micros now) {
  s.ip_watched = watched_key(s.host, kByIp, s.rec.client_ip, s.client_hash(), now);
  s.ip_watch_gen = ip_watch_gen_;
  return s.ip_watched;
}

// Inline in on_session_event(): asked for every session line.
[[gnu::always_inline]] inline void Correlator::keep_if_on_record(Session& s, const RawLine& raw,
                                                                 std::uint64_t ord, Micros now) {
  if (s.rec.first_ord == ord || s.rec.failed || s.rec.id != 0 ||
      (!s.rec.client_ip.empty() &&
       (s.ip_watch_gen == ip_watch_gen_ ? s.ip_watched : client_watched_by_ip(s, now)))) {
    keep_line(s, raw);
  }
}

void Correlator::restore(CorrelatorState state) {
  for (auto& w : state.watched) {
    std::uint32_t host = intern(w.mx_host);
    watch_key(host, kByIp, w.client_ip, w.failure_at + limits_.watch_ip_for);
    watch_key(host, kBySubnet, w.client_subnet, w.failure_at + limits_.watch_group_for);
    watch_key(host, kByOrg, w.org_domain, w.failure_at + limits_.watch_group_for);
  }
  for (std::size_t i = 0; i < state.open_sessions.size(); ++i) {
    SessionRecord& rec = state.open_sessions[i];
    SessionKey key{intern(rec.mx_host), intern(rec.syslog_name), rec.pid};
    auto s = std::make_unique<Session>();
    s->host = key.host;
    s->syslog = key.syslog_name;
    s->last_seen = std::max({rec.connect_at, rec.failure_at, rec.tls_at});
    s->rec = std::move(rec);
    if (i < state.open_evidence.size()) {
      for (const EvidenceLine& e : state.open_evidence[i]) {
        keep_line(*s, RawLine{e.raw, input_index(e.input), e.line});
      }
    }
    sessions_.insert(key, std::move(s));
  }
  for (auto& m : state.tracked_messages) {
    std::uint32_t host = intern(m.mx_host);
    if (host >= messages_.size()) messages_.resize(host + 1);
    std::string qid = m.queue_id;
    std::uint64_t h = PresenceFilter::hash(host, qid);
    if (messages_[host].insert_or_assign(qid, std::make_unique<MessageRecord>(std::move(m))).second) {
      ++message_count_;
      message_filter_.add(h);
    }
  }
}

Correlator::Session& Correlator::session_for(const SessionKey& key, const Envelope& env,
                                             std::uint64_t ord) {
  if (auto* open = sessions_.find(key)) {
    (*open)->last_seen = env.time;
    return **open;
  }
  if (sessions_.size() >= limits_.max_open_sessions) enforce_session_bound(env.time);
  std::unique_ptr<Session> s;
  if (spare_sessions_.empty()) {
    s = std::make_unique<Session>();
  } else {
    s = std::move(spare_sessions_.back());
    spare_sessions_.pop_back();
  }
  s->host = key.host;
  s->syslog = key.syslog_name;
  s->rec.pid = env.pid;
  s->rec.first_ord = ord;
  s->last_seen = env.time;
  return *sessions_.insert(key, std::move(s));
}

void Correlator::set_client(Session& s, std::string_view name, std::string_view ip) {
  // Usually both are known from the connect line: two length tests, no compare.
  if (s.rec.client_ip.empty() && !ip.empty() && ip != "unknown") s.rec.client_ip.assign(ip);
  if (!name.empty() && (s.rec.client_name.empty() ||
                        (s.rec.client_name.size() == 7 && s.rec.client_name == "unknown"))) {
    s.rec.client_name.assign(name);
  }
}

void Correlator::persist_if_watched(Session& s) {
  if (s.rec.failed) watch(s.host, s, s.rec.failure_at);
  if (s.rec.id != 0 || s.rec.failed ||
      watched_key(s.host, kByIp, s.rec.client_ip, s.client_hash(), s.last_seen)) {
    save(s);
  }
}

void Correlator::mark_failed(Session& s, Micros t, std::uint64_t ord, const std::string& reason,
                             std::string_view openssl_code) {
  if (!s.rec.failed) {
    s.rec.failed = true;
    s.rec.failure_at = t;
    s.rec.failure_ord = ord;
    ++counts_.failures;
  }
  if (reason_rank(reason) > reason_rank(s.rec.failure_reason)) {
    s.rec.failure_reason = reason;
    s.rec.openssl_code.assign(openssl_code);
  }
  // Stored when the session ends (or the run does): one write, not one per line.
  watch(s.host, s, s.rec.failure_at);
}

void Correlator::mark_tls(Session& s, Micros t, std::uint64_t ord) {
  if (!s.rec.tls) {
    s.rec.tls = true;
    s.rec.tls_at = t;
    s.rec.tls_ord = ord;
  }
}

void Correlator::count_session(Session& s) {
  const SessionRecord& r = s.rec;
  if (r.client_ip.empty()) return;
  ClientStats& c = client_stats_.stats(tally_index(s));
  if (!client_stats_.keys(s.tally).known && r.client_name != "unknown") keys_of(s);
  if (!r.client_name.empty() && r.client_name != "unknown") c.client_name = r.client_name;
  Micros first = r.connect_at ? r.connect_at : s.last_seen;
  if (c.first_seen == 0 || first < c.first_seen) c.first_seen = first;
  if (s.last_seen > c.last_seen) c.last_seen = s.last_seen;
  ++c.sessions;
  bool tls = r.tls && !r.failed;
  if (r.failed) ++c.failed_sessions;
  if (tls) ++c.tls_sessions;
  if (r.failed || r.tls || r.starttls_attempts > 0) ++c.starttls_sessions;
  c.messages += r.messages;
  if (!tls && !r.failed && r.messages > 0) {
    ++c.plaintext_sessions;
    c.plaintext_messages += r.messages;
  }
}

namespace {
// SessionRecord{} field by field, strings cleared but not freed. The size
// check makes a new field fail the build until it is reset here too.
void reset_keeping_capacity(SessionRecord& r) {
#if defined(__x86_64__) && defined(__GLIBCXX__)  // a tripwire where the layout is known
  static_assert(sizeof(SessionRecord) == 360,
                "SessionRecord changed: reset the new field in reset_keeping_capacity()");
#endif
  r.id = 0;
  r.mx_host.clear();
  r.syslog_name.clear();
  r.pid = 0;
  r.client_ip.clear();
  r.client_name.clear();
  r.client_subnet.clear();
  r.org_domain.clear();
  r.connect_at = 0;
  r.end_at = 0;
  r.first_ord = 0;
  r.failed = false;
  r.failure_at = 0;
  r.failure_ord = 0;
  r.failure_reason.clear();
  r.openssl_code.clear();
  r.tls = false;
  r.tls_at = 0;
  r.tls_ord = 0;
  r.counters_present = false;
  r.starttls_attempts = -1;
  r.starttls_ok = -1;
  r.messages = 0;
}
}  // namespace

void Correlator::close_session(const SessionKey& key, Micros t, bool evicted) {
  auto* open = sessions_.find(key);
  if (!open) return;
  Session& s = **open;
  s.rec.end_at = t;
  persist_if_watched(s);
  ++counts_.sessions;
  if (evicted) ++counts_.evicted_sessions;
  evidence_bytes_ -= std::min(evidence_bytes_, s.evidence_text.size());
  // Counted kCountDelay closes later, when its client's entry (asked for
  // now) is in cache.
  if (!s.rec.client_ip.empty()) client_stats_.prefetch_entry(s.client_hash());
  std::unique_ptr<Session> closed = std::move(*open);
  sessions_.erase(key);
  std::unique_ptr<Session>& oldest = closing_[closing_next_];
  if (oldest) count_and_recycle(std::move(oldest));
  oldest = std::move(closed);
  closing_next_ = (closing_next_ + 1) % kCountDelay;
}

void Correlator::count_and_recycle(std::unique_ptr<Session> s) {
  count_session(*s);
  // Keep the object (and its strings' capacity) for the next session.
  if (spare_sessions_.size() < 256) {
    reset_keeping_capacity(s->rec);
    s->last_seen = 0;
    s->ip_hash = 0;
    s->ip_watch_gen = UINT64_MAX;
    s->ip_watched = false;
    s->tally_gen = UINT64_MAX;
    s->evidence.clear();
    s->evidence_text.clear();
    s->evidence_stored = 0;
    spare_sessions_.push_back(std::move(s));
  }
}

void Correlator::count_held_back() {
  for (std::size_t i = 0; i < kCountDelay; ++i) {
    std::unique_ptr<Session>& s = closing_[(closing_next_ + i) % kCountDelay];  // oldest first
    if (s) count_and_recycle(std::move(s));
  }
  closing_next_ = 0;
}

void Correlator::enforce_session_bound(Micros now) {
  // Close idle sessions; if that is not enough, the least recently active half.
  std::vector<std::pair<Micros, SessionKey>> order;
  order.reserve(sessions_.size());
  sessions_.for_each([&](const SessionKey& key, const std::unique_ptr<Session>& s) {
    order.emplace_back(s->last_seen, key);
  });
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::size_t target = limits_.max_open_sessions / 2;
  std::size_t remaining = order.size();
  for (const auto& [seen, key] : order) {
    if (remaining <= target && seen >= now - limits_.session_idle) break;
    close_session(key, seen, true);
    --remaining;
  }
}

void Correlator::enforce_message_bound(Micros now) {
  std::vector<std::tuple<Micros, std::uint32_t, std::string>> order;
  for (std::uint32_t h = 0; h < messages_.size(); ++h)
    for (const auto& [qid, m] : messages_[h]) order.emplace_back(m->accepted_at, h, qid);
  std::sort(order.begin(), order.end());
  std::size_t target = limits_.max_tracked_messages / 2;
  std::size_t remaining = order.size();
  for (const auto& [at, h, qid] : order) {
    if (remaining <= target && at >= now - limits_.message_age) break;
    sink_.save_message(*messages_[h].find(qid)->second);
    messages_[h].erase(qid);
    message_filter_.remove(PresenceFilter::hash(h, qid));
    --message_count_;
    ++counts_.evicted_messages;
    --remaining;
  }
}

void Correlator::on_client(Session& s, const Envelope& env, const Event& ev, std::uint64_t ord) {
  set_client(s, ev.get(Field::kClientName), ev.get(Field::kClientIp));
  ++s.rec.messages;
  ++counts_.messages;
  const std::uint32_t host = s.host;
  // A client watched by IP: every message. One watched only as a member of a
  // failed client's subnet or domain (a pool): its messages outside TLS
  // (whole pools of large senders would otherwise be stored), so a TLS
  // session's group keys are not looked up at all.
  if (!watched(host, s, env.time, /*by_group=*/!s.rec.tls)) return;
  save(s);
  auto m = std::make_unique<MessageRecord>();
  m->session_id = s.rec.id;
  m->mx_host = names_[s.host];
  m->queue_id.assign(ev.get(Field::kQueueId));
  m->client_ip = s.rec.client_ip;
  m->client_name.assign(ev.get(Field::kClientName));
  m->client_subnet = s.rec.client_subnet;
  m->org_domain = s.rec.org_domain;
  m->accepted_at = env.time;
  m->accepted_ord = ord;
  ++counts_.saved_messages;  // written once its queue id is done (removed, evicted, end of run)
  if (message_count_ >= limits_.max_tracked_messages) enforce_message_bound(env.time);
  if (host >= messages_.size()) messages_.resize(host + 1);
  std::string qid = m->queue_id;
  std::uint64_t h = PresenceFilter::hash(host, qid);
  if (messages_[host].insert_or_assign(std::move(qid), std::move(m)).second) {
    ++message_count_;
    message_filter_.add(h);
  }
}

void Correlator::on_queue_event(std::uint32_t host, const Event& ev) {
  if (message_count_ == 0) return;
  if (host >= messages_.size() || messages_[host].empty()) return;
  std::string_view qid = ev.get(Field::kQueueId);
  std::uint64_t h = PresenceFilter::hash(host, qid);
  if (!message_filter_.may_contain(h)) return;
  auto& by_qid = messages_[host];
  auto it = by_qid.find(qid);
  if (it == by_qid.end()) return;
  MessageRecord& m = *it->second;
  switch (ev.kind) {
    case EventKind::kMessageId:
      m.message_id.assign(ev.get(Field::kMessageId));
      break;
    case EventKind::kSender:
      m.sender.assign(ev.get(Field::kSender));
      break;
    case EventKind::kRecipient: {
      std::string_view r = ev.get(Field::kRecipient);
      if (std::find(m.recipients.begin(), m.recipients.end(), r) != m.recipients.end()) return;
      if (m.recipients.size() >= 1000) return;  // bound: a message's listed recipients
      m.recipients.emplace_back(r);
      break;
    }
    case EventKind::kRemoved:
      sink_.save_message(m);
      by_qid.erase(it);
      message_filter_.remove(h);
      --message_count_;
      return;
    default:
      return;
  }
}

namespace {
// "ehlo=2 starttls=0/1 mail=1 ... commands=5/7" -> starttls ok/attempts.
bool parse_starttls_counter(std::string_view counters, int& ok, int& attempts) {
  auto pos = counters.find("starttls=");
  if (pos == std::string_view::npos || (pos > 0 && counters[pos - 1] != ' ')) return false;
  pos += 9;
  auto number = [&](int& out) {
    std::size_t start = pos;
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

bool Correlator::wants_fields(const Envelope& env, EventKind kind, std::string_view queue_id) {
  switch (kind) {
    case EventKind::kIgnored:
      return false;
    case EventKind::kMessageId:
    case EventKind::kSender:
    case EventKind::kRecipient:
    case EventKind::kRemoved: {
      if (message_count_ == 0) return false;
      const std::uint32_t host = host_id(env.host);
      if (host >= messages_.size() || messages_[host].empty()) return false;
      return message_filter_.may_contain(PresenceFilter::hash(host, queue_id));
    }
    default:
      return true;
  }
}

void Correlator::on_session_event(std::uint32_t host, const Envelope& env, const Event& ev,
                                  std::uint64_t ord, const RawLine& raw) {
  const bool smtpd = same_text(env.service, "smtpd");
  note_host(host, env.time, smtpd && ev.kind == EventKind::kTlsEstablished);
  switch (ev.kind) {
    case EventKind::kIgnored:
      return;
    case EventKind::kMessageId:
    case EventKind::kSender:
    case EventKind::kRecipient:
    case EventKind::kRemoved:
      if (ev.captured) on_queue_event(host, ev);  // else: a queue id not followed (wants_fields)
      return;
    default:
      break;
  }
  if (!smtpd) return;  // the smtp client's TLS lines are not sessions of ours

  const SessionKey key{host, syslog_id(env.syslog_name), env.pid};
  if (ev.kind == EventKind::kConnect) {
    if (sessions_.find(key)) close_session(key, env.time, false);  // pid reuse
    Session& s = session_for(key, env, ord);
    s.rec.connect_at = env.time;
    keep_line(s, raw);  // a session's first line is always kept
    set_client(s, ev.get(Field::kClientName), ev.get(Field::kClientIp));
    // The client's counts are touched after the session ends
    // (count_and_recycle()); the table is cold by then, the log streaming
    // past: its slot is loaded now, its entry at the close.
    if (!s.rec.client_ip.empty()) client_stats_.prefetch_slot(s.client_hash());
    return;
  }
  Session& s = session_for(key, env, ord);
  switch (ev.kind) {
    case EventKind::kDisconnect: {
      set_client(s, ev.get(Field::kClientName), ev.get(Field::kClientIp));
      std::string_view counters = ev.get(Field::kCounters);
      s.rec.counters_present = counters.find('=') != std::string_view::npos;
      int ok, attempts;
      if (parse_starttls_counter(counters, ok, attempts)) {
        s.rec.starttls_ok = ok;
        s.rec.starttls_attempts = attempts;
        if (attempts > ok) {
          mark_failed(s, env.time, ord, "other", {});
        } else if (ok > 0 && !s.rec.failed) {
          mark_tls(s, env.time, ord);
        }
      } else if (s.rec.counters_present) {
        s.rec.starttls_ok = s.rec.starttls_attempts = 0;
      }
      keep_if_on_record(s, raw, ord, env.time);
      close_session(key, env.time, false);
      return;
    }
    case EventKind::kClient:
      on_client(s, env, ev, ord);
      break;
    case EventKind::kTlsEstablished:
      set_client(s, ev.get(Field::kClientName), ev.get(Field::kClientIp));
      if (!s.rec.failed) mark_tls(s, env.time, ord);  // stored when the session ends
      break;
    case EventKind::kSslAcceptError:
      set_client(s, ev.get(Field::kClientName), ev.get(Field::kClientIp));
      mark_failed(s, env.time, ord, reason_from_accept_detail(ev.get(Field::kDetail)), {});
      break;
    case EventKind::kTlsLibraryProblem: {
      if (s.rec.tls) break;  // after a successful handshake: not a STARTTLS failure
      std::string reason =
          reason_from_openssl(ev.get(Field::kOpensslCode), ev.get(Field::kOpensslReason));
      mark_failed(s, env.time, ord, reason.empty() ? "other" : reason, ev.get(Field::kOpensslCode));
      break;
    }
    case EventKind::kLostAfterStarttls:
      set_client(s, ev.get(Field::kClientName), ev.get(Field::kClientIp));
      mark_failed(s, env.time, ord, "lost-connection", {});
      break;
    case EventKind::kTimeoutAfterStarttls:
      set_client(s, ev.get(Field::kClientName), ev.get(Field::kClientIp));
      mark_failed(s, env.time, ord, "timeout", {});
      break;
    default:
      break;
  }
  keep_if_on_record(s, raw, ord, env.time);
}

CorrelatorState Correlator::finish() {
  CorrelatorState state;
  sessions_.for_each([&](const SessionKey&, std::unique_ptr<Session>& s) {
    // Stored sessions carry their state so far; a failed one is stored now,
    // for the queries, though its disconnect may come in the next run.
    if (s->rec.id != 0 || s->rec.failed) save(*s);
    name_record(*s);
    state.open_sessions.push_back(s->rec);
    state.open_evidence.push_back(evidence_of(*s, s->evidence_stored));
  });
  for (auto& by_qid : messages_) {
    for (auto& [qid, m] : by_qid) {
      sink_.save_message(*m);  // gives it an id for the next run
      state.tracked_messages.push_back(*m);
    }
  }

  count_held_back();
  sink_.add_client_stats(client_stats_.take());
  StringMap<HostFacts> hosts;
  for (std::uint32_t h = 0; h < host_facts_.size(); ++h) {
    if (host_facts_[h].newest_at != 0 || host_facts_[h].logs_tls_established) hosts[names_[h]] = host_facts_[h];
  }
  sink_.merge_host_facts(hosts);
  return state;
}

}  // namespace pftls
