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
// it, whatever their outcome. Counts, settings, inputs and runs are
// not touched. Plain SQL that SQLite and PostgreSQL read alike (PostgreSQL gets $1 for ?1).
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
  if (table == "outbound_failures") return counts.outbound_failures;
  return counts.sessions;
}

inline std::array<PruneStep, 7> prune_steps() {
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
  }};
}

}  // namespace pftls
