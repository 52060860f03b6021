// run_state: the correlator's and the outbound tracker's open state between
// runs, one table per kind of thing (see queries/schema.sql): open sessions
// and their evidence lines, followed messages, pending outbound failures and
// messages. Saving replaces what the previous run left; loading gives the
// saved state back in the saved order.
#include <unordered_map>

#include "store/sqlite_columns.h"
#include "store/sqlite_store.h"

namespace pftls {
namespace {

// A pending outbound message's columns: its record's id, its own, its record's.
std::string pending_message_columns() {
  return "outbound_id, " + columns(pending_message_fields()) + ", " + columns(outbound_fields());
}

// Clients that failed recently enough to be watched still, by host: at
// most `max` of them, the latest failures first; the others are counted.
void load_watched(Db& db, Micros watch_ip_for, std::size_t max, CorrelatorState& state) {
  const std::string groups =
      "FROM sessions AS s JOIN hosts AS h ON h.mx_host = s.mx_host "
      "WHERE s.failed = 1 AND s.client_ip <> '' AND s.failure_at >= h.newest_at - ?1 "
      "GROUP BY s.mx_host, s.client_ip, s.client_subnet, s.org_domain";
  Statement st = db.prepare(
      "SELECT s.mx_host, s.client_ip, s.client_subnet, s.org_domain, max(s.failure_at) AS last " +
          groups + " ORDER BY last DESC LIMIT ?2",
      "load watched clients");
  st.bind(1, watch_ip_for);
  st.bind(2, static_cast<std::int64_t>(max));
  while (st.step()) {
    state.watched.push_back(WatchKey{st.column_text(0), st.column_text(1), st.column_text(2),
                                     st.column_text(3), st.column_int(4)});
  }
  if (state.watched.size() < max) return;
  Statement all =
      db.prepare("SELECT count(*) FROM (SELECT 1 " + groups + ")", "count watched clients");
  all.bind(1, watch_ip_for);
  if (all.step() && all.column_int(0) > static_cast<std::int64_t>(max))
    state.watched_not_loaded = static_cast<std::uint64_t>(all.column_int(0)) - max;
}

void load_open_sessions(Db& db, CorrelatorState& state) {
  Statement st = db.prepare(
      "SELECT seq, session_id, " + columns(session_fields()) + " FROM open_sessions ORDER BY seq",
      "load open sessions");
  std::unordered_map<std::int64_t, std::size_t> index;  // seq -> position
  while (st.step()) {
    index.emplace(st.column_int(0), state.open_sessions.size());
    SessionRecord& s = state.open_sessions.emplace_back();
    s.id = st.column_int(1);
    read_fields(st, 2, s, session_fields());
  }
  state.open_evidence.resize(state.open_sessions.size());
  Statement ev = db.prepare("SELECT open_session, input, line, raw FROM open_evidence ORDER BY id",
                            "load open evidence");
  while (ev.step()) {
    auto it = index.find(ev.column_int(0));
    if (it == index.end()) continue;
    state.open_evidence[it->second].push_back(EvidenceLine{
        ev.column_text(1), static_cast<std::uint64_t>(ev.column_int(2)), ev.column_text(3)});
  }
}

std::vector<MessageRecord> load_followed_messages(Db& db) {
  Statement st = db.prepare("SELECT id, " + columns(message_fields()) +
                                " FROM messages WHERE id IN (SELECT message_id FROM open_messages) "
                                "ORDER BY id",
                            "load open messages");
  std::vector<MessageRecord> out;
  while (st.step()) {
    MessageRecord& m = out.emplace_back();
    m.id = st.column_int(0);
    read_fields(st, 1, m, message_fields());
  }
  return out;
}

}  // namespace

CorrelatorState SqliteStore::load_state(Micros watch_ip_for, std::size_t max_watched) {
  CorrelatorState state;
  load_watched(*db_, watch_ip_for, max_watched, state);
  load_open_sessions(*db_, state);
  state.tracked_messages = load_followed_messages(*db_);
  return state;
}

void SqliteStore::save_open_sessions(const CorrelatorState& state) {
  db_->exec("DELETE FROM open_evidence; DELETE FROM open_sessions", "clear open sessions");
  Statement st =
      db_->prepare(insert_sql("open_sessions", "seq, session_id, " + columns(session_fields()),
                              2 + static_cast<int>(session_fields().size())),
                   "save open sessions");
  Statement ev = db_->prepare(
      "INSERT INTO open_evidence (open_session, input, line, raw) VALUES (?1, ?2, ?3, ?4)",
      "save open evidence");
  for (std::size_t i = 0; i < state.open_sessions.size(); ++i) {
    const SessionRecord& s = state.open_sessions[i];
    const auto seq = static_cast<std::int64_t>(i + 1);
    st.reset();
    st.bind(1, seq);
    st.bind_opt(2, s.id, s.id != 0);
    bind_fields(st, 3, s, session_fields());
    st.run();
    if (i >= state.open_evidence.size()) continue;
    for (const EvidenceLine& line : state.open_evidence[i]) {
      ev.reset();
      ev.bind(1, seq);
      ev.bind_kept(2, line.input);
      ev.bind(3, static_cast<std::int64_t>(line.line));
      ev.bind_kept(4, line.raw);
      ev.run();
    }
  }
}

void SqliteStore::save_state(const CorrelatorState& state) {
  save_open_sessions(state);
  db_->exec("DELETE FROM open_messages", "clear open messages");
  Statement st = db_->prepare("INSERT OR IGNORE INTO open_messages (message_id) VALUES (?1)",
                              "save open messages");
  for (const auto& m : state.tracked_messages) {
    st.reset();
    st.bind(1, m.id);
    st.run();
  }
}

OutboundState SqliteStore::load_outbound_state() {
  OutboundState state;
  Statement f = db_->prepare(
      "SELECT " + columns(pending_failure_fields()) + " FROM open_outbound_failures ORDER BY seq",
      "load outbound state");
  while (f.step()) read_fields(f, 0, state.failures.emplace_back(), pending_failure_fields());
  Statement m = db_->prepare(
      "SELECT " + pending_message_columns() + " FROM open_outbound_messages ORDER BY seq",
      "load outbound state");
  const auto own = static_cast<int>(pending_message_fields().size());
  while (m.step()) {
    OutboundPendingMessage& p = state.messages.emplace_back();
    p.record.id = m.column_int(0);
    read_fields(m, 1, p, pending_message_fields());
    read_fields(m, 1 + own, p.record, outbound_fields());
  }
  Statement l = db_->prepare(
      "SELECT owner, owner_seq, role, input, line, raw FROM open_outbound_lines ORDER BY id",
      "load outbound state");
  while (l.step()) {
    const std::string owner = l.column_text(0);
    const std::int64_t seq = l.column_int(1);
    std::vector<OutboundLine>* lines = nullptr;
    if (owner == "failure" && seq >= 1 && static_cast<std::size_t>(seq) <= state.failures.size())
      lines = &state.failures[static_cast<std::size_t>(seq - 1)].evidence;
    if (owner == "message" && seq >= 1 && static_cast<std::size_t>(seq) <= state.messages.size())
      lines = &state.messages[static_cast<std::size_t>(seq - 1)].evidence;
    if (lines == nullptr) continue;
    lines->push_back(OutboundLine{l.column_text(2), l.column_text(3),
                                  static_cast<std::uint64_t>(l.column_int(4)), l.column_text(5)});
  }
  Statement n = db_->prepare(
      "SELECT mx_host, queue_id, message_id, sender, seen_at FROM open_outbound_notes "
      "ORDER BY seq",
      "load outbound state");
  while (n.step()) {
    state.notes.push_back(OutboundNote{n.column_text(0), n.column_text(1), n.column_text(2),
                                       n.column_text(3), n.column_int(4)});
  }
  return state;
}

void SqliteStore::save_outbound_state(const OutboundState& state) {
  db_->exec(
      "DELETE FROM open_outbound_failures; DELETE FROM open_outbound_messages; "
      "DELETE FROM open_outbound_lines; DELETE FROM open_outbound_notes",
      "clear outbound state");
  Statement l = db_->prepare(
      "INSERT INTO open_outbound_lines (owner, owner_seq, role, input, line, raw) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
      "save outbound state");
  auto save_lines = [&l](const char* owner, std::size_t index,
                         const std::vector<OutboundLine>& lines) {
    for (const OutboundLine& line : lines) {
      l.reset();
      l.bind_text(1, owner);
      l.bind(2, static_cast<std::int64_t>(index + 1));
      l.bind_kept(3, line.role);
      l.bind_kept(4, line.input);
      l.bind(5, static_cast<std::int64_t>(line.line));
      l.bind_kept(6, line.raw);
      l.run();
    }
  };
  for (std::size_t i = 0; i < state.failures.size(); ++i)
    save_lines("failure", i, state.failures[i].evidence);
  for (std::size_t i = 0; i < state.messages.size(); ++i)
    save_lines("message", i, state.messages[i].evidence);
  Statement n = db_->prepare(
      "INSERT INTO open_outbound_notes (mx_host, queue_id, message_id, sender, seen_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5)",
      "save outbound state");
  for (const OutboundNote& note : state.notes) {
    n.reset();
    n.bind_kept(1, note.mx_host);
    n.bind_kept(2, note.queue_id);
    n.bind_kept(3, note.message_id);
    n.bind_kept(4, note.sender);
    n.bind(5, note.seen_at);
    n.run();
  }
  Statement f = db_->prepare(insert_sql("open_outbound_failures", pending_failure_fields()),
                             "save outbound state");
  for (const auto& failure : state.failures) {
    f.reset();
    bind_fields(f, 1, failure, pending_failure_fields());
    f.run();
  }
  const auto own = static_cast<int>(pending_message_fields().size());
  Statement m = db_->prepare(insert_sql("open_outbound_messages", pending_message_columns(),
                                        1 + own + static_cast<int>(outbound_fields().size())),
                             "save outbound state");
  for (const auto& p : state.messages) {
    m.reset();
    m.bind_opt(1, p.record.id, p.record.id != 0);
    bind_fields(m, 2, p, pending_message_fields());
    bind_fields(m, 2 + own, p.record, outbound_fields());
    m.run();
  }
}

}  // namespace pftls
