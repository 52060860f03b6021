// memory_sinks: the correlator's EventSink and the outbound tracker's
// OutboundSink kept in memory, for unit tests and fuzz targets.
//
// Contract: test-only code; nothing in src/ includes it. A record saved with
// id 0 gets the next id (from 1) and is inserted; a record saved with its id
// replaces the stored copy. Client counts add up as the store adds them;
// host facts are replaced per host. Nothing is bounded: callers feed bounded
// input.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "correlate/records.h"

namespace pftls::test_support {

struct MemoryEventSink : EventSink {
  std::map<std::int64_t, SessionRecord> sessions;
  std::map<std::int64_t, MessageRecord> messages;
  std::map<std::int64_t, std::vector<EvidenceLine>> evidence;
  std::map<std::string, ClientStats> clients;
  std::map<std::string, HostFacts> hosts;
  int client_flushes = 0;
  std::int64_t next_id = 1;

  void save_session(SessionRecord& s) override {
    if (s.id == 0) s.id = next_id++;
    sessions[s.id] = s;
  }
  void save_message(MessageRecord& m) override {
    if (m.id == 0) m.id = next_id++;
    messages[m.id] = m;
  }
  void save_evidence(std::int64_t id, const EvidenceLine* lines, std::size_t n) override {
    evidence[id].insert(evidence[id].end(), lines, lines + n);
  }
  void add_client_stats(const ClientStatsList& stats) override {
    ++client_flushes;
    for (const auto& [ip, c] : stats) {
      ClientStats& t = clients[ip];
      t.sessions += c.sessions;
      t.tls_sessions += c.tls_sessions;
      t.plaintext_sessions += c.plaintext_sessions;
      t.failed_sessions += c.failed_sessions;
      t.starttls_sessions += c.starttls_sessions;
      t.messages += c.messages;
      t.plaintext_messages += c.plaintext_messages;
      if (names_later(c.named_at, c.client_name, t.named_at, t.client_name)) {
        t.client_name = c.client_name;
        t.org_domain = c.org_domain;
        t.named_at = c.named_at;
      }
    }
  }
  void merge_host_facts(const StringMap<HostFacts>& h) override {
    for (const auto& [name, f] : h) hosts[name] = f;
  }
  // The TLS inventory as the store keeps it, keyed by its columns.
  using TlsKey = std::tuple<std::string, std::string, std::string, std::string, std::string,
                            std::int64_t, std::string>;
  std::map<TlsKey, TlsCount> tls;
  int tls_flushes = 0;
  void add_tls_counts(const TlsCountList& counts) override {
    ++tls_flushes;
    for (const auto& [p, c] : counts) {
      TlsCount& t =
          tls[TlsKey{p.direction, p.mx_host, p.peer_ip, p.protocol, p.cipher, p.bits, p.trust}];
      t.sessions += c.sessions;
      if (t.first_seen == 0 || c.first_seen < t.first_seen) t.first_seen = c.first_seen;
      if (c.last_seen > t.last_seen) t.last_seen = c.last_seen;
    }
  }
  // Sessions per (host, day, TLS state), as the store adds them up.
  std::map<std::tuple<std::string, std::int64_t, std::string>, std::int64_t> session_days;
  void add_session_days(const SessionDayList& days) override {
    for (const auto& [k, n] : days) session_days[{k.mx_host, k.day, k.tls_state}] += n;
  }
  std::vector<ClientMark> marks;
  void save_marks(const ClientMarkList& list) override {
    marks.insert(marks.end(), list.begin(), list.end());
  }
};

struct MemoryOutboundSink : OutboundSink {
  std::map<std::int64_t, OutboundRecord> rows;
  int inserts = 0;
  int updates = 0;
  std::int64_t next_id = 1;

  void save_outbound(OutboundRecord& r) override {
    if (r.id == 0) {
      r.id = next_id++;
      ++inserts;
    } else {
      ++updates;
    }
    rows[r.id] = r;
  }
  std::map<std::int64_t, std::vector<OutboundLine>> evidence;  // by record id
  void save_outbound_evidence(std::int64_t id, const std::vector<OutboundLine>& lines) override {
    auto& kept = evidence[id];
    kept.insert(kept.end(), lines.begin(), lines.end());
  }
  std::vector<OutboundRecord> records() const {
    std::vector<OutboundRecord> out;
    for (const auto& [id, r] : rows) out.push_back(r);
    return out;
  }
  // outbound_failures, in insert order, as the stores resolve them.
  struct Failure {
    OutboundFailureRow row;
    std::string outcome = "pending";
    Micros outcome_at = 0;
  };
  std::vector<Failure> failures;
  void save_outbound_failure(const OutboundFailureRow& f) override { failures.push_back({f}); }
  void resolve_outbound_failures(std::string_view mx_host, std::string_view queue_id,
                                 std::string_view outcome, Micros since, Micros at) override {
    for (auto& f : failures) {
      if (f.outcome == "pending" && f.row.mx_host == mx_host && f.row.queue_id == queue_id &&
          f.row.failure_at >= since && f.row.failure_at <= at) {
        f.outcome = outcome;
        f.outcome_at = at;
      }
    }
  }
  std::vector<std::string> outcomes() const {
    std::vector<std::string> out;
    for (const auto& f : failures) out.push_back(f.outcome);
    return out;
  }
};

}  // namespace pftls::test_support
