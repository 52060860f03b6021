// prune_sql: the statements `pftls prune` runs, for every backend.
//
// Contract: run in this order inside one transaction, with ?1 = the time
// before which rows go (microseconds), they delete (Store::prune): messages
// accepted before it, unless a kept outbound fallback names their queue id
// or the run state still follows them; outbound fallbacks before it that no
// pending outbound message refers to; then every session whose times all
// lie before it, that is not open and that no kept message belongs to, with
// its evidence. An outbound fallback's evidence lines and message-id go
// with it (their counts are those of evidence and outbound). Our smtp
// client's failed handshakes (outbound_failures) go when they failed before
// it, whatever their outcome; then the cross-host marks before it. Counts, settings, inputs and
// runs are not touched. Plain SQL that SQLite and PostgreSQL read alike (PostgreSQL gets $1 for
// ?1).
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "store/store.h"

namespace pftls {

struct PruneStep {
  std::string_view table;  // what it deletes from
  std::string sql;
};

// The count of `table` in `counts`.
inline std::int64_t& prune_count(PruneCounts& counts, std::string_view table) {
  if (table == "messages") return counts.messages;
  if (table == "outbound") return counts.outbound;
  if (table == "evidence" || table == "outbound_evidence") return counts.evidence;
  if (table == "outbound_messages") return counts.outbound_details;
  if (table == "plain_marks" || table == "tls_marks") return counts.marks;
  if (table == "outbound_failures") return counts.outbound_failures;
  return counts.sessions;
}

inline std::array<PruneStep, 9> prune_steps() {
  const std::string old_session =
      "coalesce(end_at, ?1) < ?1 AND coalesce(connect_at, 0) < ?1 "
      "AND coalesce(failure_at, 0) < ?1 AND coalesce(tls_at, 0) < ?1 "
      "AND NOT EXISTS (SELECT 1 FROM messages AS m WHERE m.session_id = sessions.id) "
      "AND id NOT IN (SELECT session_id FROM open_sessions WHERE session_id IS NOT NULL)";
  const std::string old_outbound =
      "plaintext_at < ?1 AND id NOT IN "
      "(SELECT outbound_id FROM open_outbound_messages WHERE outbound_id IS NOT NULL)";
  return {{
      {"messages",
       "DELETE FROM messages WHERE accepted_at < ?1 "
       "AND id NOT IN (SELECT message_id FROM open_messages) "
       "AND (mx_host, queue_id) NOT IN "
       "(SELECT mx_host, queue_id FROM outbound WHERE plaintext_at >= ?1)"},
      {"outbound_evidence",
       "DELETE FROM outbound_evidence WHERE outbound_id IN (SELECT id FROM outbound WHERE " +
           old_outbound + ")"},
      {"outbound_messages",
       "DELETE FROM outbound_messages WHERE outbound_id IN (SELECT id FROM outbound WHERE " +
           old_outbound + ")"},
      {"outbound", "DELETE FROM outbound WHERE " + old_outbound},
      {"outbound_failures", "DELETE FROM outbound_failures WHERE failure_at < ?1"},
      {"evidence", "DELETE FROM evidence WHERE session_id IN (SELECT id FROM sessions WHERE " +
                       old_session + ")"},
      {"sessions", "DELETE FROM sessions WHERE " + old_session},
      {"plain_marks", "DELETE FROM plain_marks WHERE accepted_at < ?1"},
      {"tls_marks", "DELETE FROM tls_marks WHERE tls_at < ?1"},
  }};
}

}  // namespace pftls

namespace pftls {

// How long a run keeps every cross-host mark of its hosts: the window plus
// this, behind the host's newest line. Another host's failure that commits
// later than that finds only the marks near a failure stored by then.
inline constexpr Micros kMarkLag = 7LL * 86400 * kMicrosPerSecond;
// The clock difference between hosts that settling allows for (--skew's
// largest value).
inline constexpr Micros kMaxSkew = 300 * kMicrosPerSecond;

// Store::settle_marks(): with ?1 = the window, ?2 = kMarkLag, ?3 = kMaxSkew
// (microseconds) and ?4 = a host, delete that host's marks older than its
// newest line minus window and lag that no incident and no failure outcome
// can need: a plaintext mark with no failure of its client (by IP, subnet or
// domain) from a window before it to the skew after it; then a TLS mark
// with no failure of its IP in the window before it and no plaintext
// message or mark of its IP in the window after it (it could lie between
// the two). Each step: the table, its key (columns of alias m, in the order
// of its primary key) and which of its rows alias m go.
struct SettleStep {
  std::string_view table;
  std::string_view key;
  std::string where;
};
inline std::array<SettleStep, 2> settle_conditions() {
  const auto failure_near = [](const std::string& key, const std::string& at) {
    return "NOT EXISTS (SELECT 1 FROM sessions AS f WHERE f.failed = 1 AND f." + key + " = m." +
           key + " AND f.failure_at >= m." + at + " - ?1 AND f.failure_at <= m." + at + " + ?3)";
  };
  const std::string cutoff = "(SELECT newest_at FROM hosts WHERE mx_host = ?4) - ?1 - ?2";
  return {{
      {"plain_marks", "m.id",
       "m.mx_host = ?4 AND m.accepted_at < " + cutoff + " AND " +
           failure_near("client_ip", "accepted_at") + " AND " +
           failure_near("subnet_key", "accepted_at") + " AND " +
           failure_near("org_key", "accepted_at")},
      {"tls_marks", "m.client_ip, m.tls_at, m.mx_host, m.tls_ord",
       "m.mx_host = ?4 AND m.tls_at < " + cutoff + " AND " + failure_near("client_ip", "tls_at") +
           " AND NOT EXISTS (SELECT 1 FROM plain_marks AS p WHERE p.client_ip = m.client_ip "
           "AND p.accepted_at >= m.tls_at - ?3 AND p.accepted_at <= m.tls_at + ?1)"
           " AND NOT EXISTS (SELECT 1 FROM messages AS p WHERE p.client_ip = m.client_ip "
           "AND p.accepted_at >= m.tls_at - ?3 AND p.accepted_at <= m.tls_at + ?1)"},
  }};
}

// The steps as one DELETE each (PostgreSQL, whose server holds what a
// DELETE collects).
inline std::array<PruneStep, 2> settle_steps() {
  std::array<PruneStep, 2> out;
  const auto conditions = settle_conditions();
  for (std::size_t i = 0; i < conditions.size(); ++i) {
    out[i] = {conditions[i].table, "DELETE FROM " + std::string(conditions[i].table) +
                                       " AS m WHERE " + conditions[i].where};
  }
  return out;
}

}  // namespace pftls
