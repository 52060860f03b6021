// correlator_state: the correlator between runs: what a run restores
// before its first line, what finish() saves and hands over, and the run's
// counts.
#include "correlate/correlator.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace pftls {

void Correlator::restore(CorrelatorState state) {
  counts_.watch_full += state.watched_not_loaded;
  for (const WatchKey& w : state.watched) {
    if (!watch(names_.intern(w.mx_host), w)) ++counts_.watch_full;
  }
  for (std::size_t i = 0; i < state.open_sessions.size(); ++i) {
    SessionRecord& rec = state.open_sessions[i];
    const SessionKey key{names_.intern(rec.mx_host), names_.intern(rec.syslog_name), rec.pid};
    Session& s = sessions_.open(key);
    s.last_seen = std::max({rec.connect_at, rec.failure_at, rec.tls_at});
    s.rec = std::move(rec);
    if (i >= state.open_evidence.size()) continue;
    for (const EvidenceLine& e : state.open_evidence[i]) {
      evidence_.keep(s.evidence, RawLine{e.raw, evidence_.input_id(e.input), e.line});
    }
  }
  for (MessageRecord& m : state.tracked_messages) {
    const std::uint32_t host = names_.intern(m.mx_host);  // before m is moved from
    messages_.restore(host, std::move(m));
  }
}

CorrelatorState Correlator::finish() {
  CorrelatorState state;
  std::vector<Session*> open;
  sessions_.for_each([&](Session& s) { open.push_back(&s); });
  // Reserved once and moved into: up to max_open_sessions records, which a
  // copy or the vector's doubling would hold twice (peak RSS).
  state.open_sessions.reserve(open.size());
  state.open_evidence.reserve(open.size());
  std::sort(open.begin(), open.end(),
            [](const Session* a, const Session* b) { return a->rec.first_ord < b->rec.first_ord; });
  for (Session* s : open) {
    // Stored sessions carry their state so far; a failed one is stored now,
    // for the queries, though its disconnect may come in the next run.
    // Its client is not watched while its disconnect may still withdraw it.
    if (s->rec.failed && s->rec.starttls_attempts != SessionRecord::kLostAfterStarttlsOnly &&
        !watch_failed(*s)) {
      ++counts_.watch_full;
    }
    if (s->rec.id != 0 || s->rec.failed) save(*s);
    name_record(*s);
    state.open_evidence.push_back(evidence_.unsaved(s->evidence));
    // Moved: the run is over, the table is not read again.
    state.open_sessions.push_back(std::move(s->rec));
  }
  messages_.finish(state.tracked_messages);
  clients_.flush();
  tls_.flush();
  session_days_.flush();
  flush_marks();
  StringMap<HostFacts> hosts;
  for (std::uint32_t h = 0; h < host_facts_.size(); ++h) {
    const HostFacts& f = host_facts_[h];
    if (f.newest_at != 0 || f.logs_tls_established) hosts[names_.name(h)] = f;
  }
  sink_.merge_host_facts(hosts);
  return state;
}

CorrelatorCounts Correlator::counts() const {
  CorrelatorCounts c = counts_;
  c.evicted_messages = messages_.evicted();
  c.evidence_dropped = evidence_.dropped();
  c.clients_flushed = clients_.flushed();
  return c;
}

void Correlator::add_drops(DropCounts& d) const {
  const CorrelatorCounts c = counts();
  d.evicted_sessions += c.evicted_sessions;
  d.evicted_messages += c.evicted_messages;
  d.evidence_dropped += c.evidence_dropped;
  d.watch_full += c.watch_full;
  d.clients_flushed += c.clients_flushed;
}

}  // namespace pftls
