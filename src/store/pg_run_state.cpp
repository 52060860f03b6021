// pg_run_state: the correlator's and the outbound tracker's open state
// between runs in PostgreSQL, in the tables and order of run_state.cpp:
// saving replaces what the previous run of the same host left, loading gives
// it back in the saved order; the rows of other hosts' runs (column run_host)
// are neither read nor touched. Rows are sent as multi-row INSERTs of up to
// kBatch rows.
#include <unordered_map>

#include "store/pg_store.h"

namespace pftls {
namespace {

constexpr int kBatch = 200;

std::string pending_message_columns() {
  return "outbound_id, " + pg_columns(pending_message_fields()) + ", " +
         pg_columns(outbound_fields());
}

// "INSERT INTO table (columns) VALUES ($1..$k), ($k+1..$2k), ..." for `rows` rows.
std::string multi_insert(std::string_view table, const std::string& columns, int per_row,
                         int rows) {
  std::string sql = "INSERT INTO " + std::string(table) + " (" + columns + ") VALUES ";
  int k = 1;
  for (int r = 0; r < rows; ++r) {
    sql += r > 0 ? ", (" : "(";
    for (int c = 0; c < per_row; ++c) sql += (c > 0 ? ", $" : "$") + std::to_string(k++);
    sql += ')';
  }
  return sql;
}

// Collects rows and sends them kBatch at a time.
class BatchInsert {
 public:
  BatchInsert(PgConn& conn, std::string table, std::string columns, int per_row, const char* what)
      : conn_(conn),
        table_(std::move(table)),
        columns_(std::move(columns)),
        per_row_(per_row),
        what_(what) {}
  PgParams& row() {
    if (rows_ == kBatch) flush();
    ++rows_;
    return params_;
  }
  void flush() {
    if (rows_ == 0) return;
    conn_.exec(multi_insert(table_, columns_, per_row_, rows_), params_, what_);
    params_.clear();
    rows_ = 0;
  }

 private:
  PgConn& conn_;
  std::string table_, columns_;
  int per_row_;
  const char* what_;
  PgParams params_;
  int rows_ = 0;
};

// Clients that failed recently enough to be watched still, by host: at
// most `max` of them, the latest failures first; the others are counted.
void load_watched(PgConn& conn, Micros watch_ip_for, std::size_t max, CorrelatorState& state) {
  const std::string groups =
      "FROM sessions AS s JOIN hosts AS h ON h.mx_host = s.mx_host "
      "WHERE s.failed = 1 AND s.client_ip <> '' AND s.failure_at >= h.newest_at - $1 "
      "GROUP BY s.mx_host, s.client_ip, s.client_subnet, s.org_domain";
  PgParams p;
  p.add(watch_ip_for);
  p.add(static_cast<std::int64_t>(max));
  PgResult r = conn.exec(
      "SELECT s.mx_host, s.client_ip, s.client_subnet, s.org_domain, max(s.failure_at) AS last " +
          groups + " ORDER BY last DESC LIMIT $2",
      p, "load watched clients");
  state.watched.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    state.watched.push_back(WatchKey{std::string(r.text(i, 0)), std::string(r.text(i, 1)),
                                     std::string(r.text(i, 2)), std::string(r.text(i, 3)),
                                     r.int64(i, 4)});
  }
  if (state.watched.size() < max) return;
  PgParams c;
  c.add(watch_ip_for);
  PgResult all =
      conn.exec("SELECT count(*) FROM (SELECT 1 " + groups + ") AS g", c, "count watched clients");
  if (all.int64(0, 0) > static_cast<std::int64_t>(max))
    state.watched_not_loaded = static_cast<std::uint64_t>(all.int64(0, 0)) - max;
}

PgParams host_param(const std::string& host) {
  PgParams p;
  p.add_text(host);
  return p;
}

void load_open_sessions(PgConn& conn, const std::string& host, CorrelatorState& state) {
  PgResult r = conn.exec("SELECT seq, session_id, " + pg_columns(session_fields()) +
                             " FROM open_sessions WHERE run_host = $1 ORDER BY seq",
                         host_param(host), "load open sessions");
  std::unordered_map<std::int64_t, std::size_t> index;  // seq -> position
  for (int i = 0; i < r.rows(); ++i) {
    index.emplace(r.int64(i, 0), state.open_sessions.size());
    SessionRecord& s = state.open_sessions.emplace_back();
    s.id = r.int64(i, 1);
    pg_read_fields(r, i, 2, s, session_fields());
  }
  state.open_evidence.resize(state.open_sessions.size());
  PgResult ev = conn.exec(
      "SELECT open_session, input, line, raw FROM open_evidence WHERE run_host = $1 ORDER BY id",
      host_param(host), "load open evidence");
  for (int i = 0; i < ev.rows(); ++i) {
    auto it = index.find(ev.int64(i, 0));
    if (it == index.end()) continue;
    state.open_evidence[it->second].push_back(
        EvidenceLine{std::string(ev.text(i, 1)), static_cast<std::uint64_t>(ev.int64(i, 2)),
                     std::string(ev.text(i, 3))});
  }
}

std::vector<MessageRecord> load_followed_messages(PgConn& conn, const std::string& host) {
  PgResult r = conn.exec("SELECT id, " + pg_columns(message_fields()) +
                             " FROM messages WHERE id IN "
                             "(SELECT message_id FROM open_messages WHERE run_host = $1) "
                             "ORDER BY id",
                         host_param(host), "load open messages");
  std::vector<MessageRecord> out;
  for (int i = 0; i < r.rows(); ++i) {
    MessageRecord& m = out.emplace_back();
    m.id = r.int64(i, 0);
    pg_read_fields(r, i, 1, m, message_fields());
  }
  return out;
}

}  // namespace

CorrelatorState PgStore::load_state(Micros watch_ip_for, std::size_t max_watched) {
  CorrelatorState state;
  load_watched(*conn_, watch_ip_for, max_watched, state);
  load_open_sessions(*conn_, host_, state);
  state.tracked_messages = load_followed_messages(*conn_, host_);
  return state;
}

void PgStore::save_open_sessions(const CorrelatorState& state) {
  conn_->exec("DELETE FROM open_evidence WHERE run_host = $1", host_param(host_),
              "clear open sessions");
  conn_->exec("DELETE FROM open_sessions WHERE run_host = $1", host_param(host_),
              "clear open sessions");
  BatchInsert st(*conn_, "open_sessions",
                 "run_host, seq, session_id, " + pg_columns(session_fields()),
                 3 + static_cast<int>(session_fields().size()), "save open sessions");
  BatchInsert ev(*conn_, "open_evidence", "run_host, open_session, input, line, raw", 5,
                 "save open evidence");
  for (std::size_t i = 0; i < state.open_sessions.size(); ++i) {
    const SessionRecord& s = state.open_sessions[i];
    const auto seq = static_cast<std::int64_t>(i + 1);
    PgParams& p = st.row();
    p.add_text(host_);
    p.add(seq);
    p.add_opt(s.id, s.id != 0);
    pg_bind_fields(p, s, session_fields());
    if (i >= state.open_evidence.size()) continue;
    for (const EvidenceLine& line : state.open_evidence[i]) {
      PgParams& e = ev.row();
      e.add_text(host_);
      e.add(seq);
      e.add_text(line.input);
      e.add(static_cast<std::int64_t>(line.line));
      e.add_text(line.raw);
    }
  }
  st.flush();
  ev.flush();
}

void PgStore::save_state(const CorrelatorState& state) {
  save_open_sessions(state);
  conn_->exec("DELETE FROM open_messages WHERE run_host = $1", host_param(host_),
              "clear open messages");
  BatchInsert st(*conn_, "open_messages", "run_host, message_id", 2, "save open messages");
  std::unordered_map<std::int64_t, bool> seen;
  for (const auto& m : state.tracked_messages) {
    if (!seen.emplace(m.id, true).second) continue;  // INSERT OR IGNORE, as in SQLite
    PgParams& row = st.row();
    row.add_text(host_);
    row.add(m.id);
  }
  st.flush();
}

OutboundState PgStore::load_outbound_state() {
  OutboundState state;
  PgResult f = conn_->exec("SELECT " + pg_columns(pending_failure_fields()) +
                               " FROM open_outbound_failures WHERE run_host = $1 ORDER BY seq",
                           host_param(host_), "load outbound state");
  for (int i = 0; i < f.rows(); ++i)
    pg_read_fields(f, i, 0, state.failures.emplace_back(), pending_failure_fields());
  PgResult m = conn_->exec("SELECT " + pending_message_columns() +
                               " FROM open_outbound_messages WHERE run_host = $1 ORDER BY seq",
                           host_param(host_), "load outbound state");
  const auto own = static_cast<int>(pending_message_fields().size());
  for (int i = 0; i < m.rows(); ++i) {
    OutboundPendingMessage& p = state.messages.emplace_back();
    p.record.id = m.int64(i, 0);
    pg_read_fields(m, i, 1, p, pending_message_fields());
    pg_read_fields(m, i, 1 + own, p.record, outbound_fields());
  }
  PgResult l = conn_->exec(
      "SELECT owner, owner_seq, role, input, line, raw FROM open_outbound_lines "
      "WHERE run_host = $1 ORDER BY id",
      host_param(host_), "load outbound state");
  for (int i = 0; i < l.rows(); ++i) {
    const std::string_view owner = l.text(i, 0);
    const std::int64_t seq = l.int64(i, 1);
    std::vector<OutboundLine>* lines = nullptr;
    if (owner == "failure" && seq >= 1 && static_cast<std::size_t>(seq) <= state.failures.size())
      lines = &state.failures[static_cast<std::size_t>(seq - 1)].evidence;
    if (owner == "message" && seq >= 1 && static_cast<std::size_t>(seq) <= state.messages.size())
      lines = &state.messages[static_cast<std::size_t>(seq - 1)].evidence;
    if (lines == nullptr) continue;
    lines->push_back(OutboundLine{std::string(l.text(i, 2)), std::string(l.text(i, 3)),
                                  static_cast<std::uint64_t>(l.int64(i, 4)),
                                  std::string(l.text(i, 5))});
  }
  PgResult n = conn_->exec(
      "SELECT mx_host, queue_id, message_id, sender, seen_at FROM open_outbound_notes "
      "WHERE run_host = $1 ORDER BY seq",
      host_param(host_), "load outbound state");
  for (int i = 0; i < n.rows(); ++i) {
    state.notes.push_back(OutboundNote{std::string(n.text(i, 0)), std::string(n.text(i, 1)),
                                       std::string(n.text(i, 2)), std::string(n.text(i, 3)),
                                       n.int64(i, 4)});
  }
  return state;
}

void PgStore::save_outbound_state(const OutboundState& state) {
  conn_->exec("DELETE FROM open_outbound_failures WHERE run_host = $1", host_param(host_),
              "clear outbound state");
  conn_->exec("DELETE FROM open_outbound_messages WHERE run_host = $1", host_param(host_),
              "clear outbound state");
  BatchInsert f(*conn_, "open_outbound_failures",
                "run_host, " + pg_columns(pending_failure_fields()),
                1 + static_cast<int>(pending_failure_fields().size()), "save outbound state");
  for (const auto& failure : state.failures) {
    PgParams& row = f.row();
    row.add_text(host_);
    pg_bind_fields(row, failure, pending_failure_fields());
  }
  f.flush();
  const auto own = static_cast<int>(pending_message_fields().size());
  BatchInsert m(*conn_, "open_outbound_messages", "run_host, " + pending_message_columns(),
                2 + own + static_cast<int>(outbound_fields().size()), "save outbound state");
  for (const auto& p : state.messages) {
    PgParams& row = m.row();
    row.add_text(host_);
    row.add_opt(p.record.id, p.record.id != 0);
    pg_bind_fields(row, p, pending_message_fields());
    pg_bind_fields(row, p.record, outbound_fields());
  }
  m.flush();
  conn_->exec("DELETE FROM open_outbound_lines WHERE run_host = $1", host_param(host_),
              "clear outbound state");
  conn_->exec("DELETE FROM open_outbound_notes WHERE run_host = $1", host_param(host_),
              "clear outbound state");
  BatchInsert l(*conn_, "open_outbound_lines", "run_host, owner, owner_seq, role, input, line, raw",
                7, "save outbound state");
  auto save_lines = [&](const char* owner, std::size_t index,
                        const std::vector<OutboundLine>& lines) {
    for (const OutboundLine& line : lines) {
      PgParams& row = l.row();
      row.add_text(host_);
      row.add_text(owner);
      row.add(static_cast<std::int64_t>(index + 1));
      row.add_text(line.role);
      row.add_text(line.input);
      row.add(static_cast<std::int64_t>(line.line));
      row.add_text(line.raw);
    }
  };
  for (std::size_t i = 0; i < state.failures.size(); ++i)
    save_lines("failure", i, state.failures[i].evidence);
  for (std::size_t i = 0; i < state.messages.size(); ++i)
    save_lines("message", i, state.messages[i].evidence);
  l.flush();
  BatchInsert n(*conn_, "open_outbound_notes",
                "run_host, mx_host, queue_id, message_id, sender, seen_at", 6,
                "save outbound state");
  for (const OutboundNote& note : state.notes) {
    PgParams& row = n.row();
    row.add_text(host_);
    row.add_text(note.mx_host);
    row.add_text(note.queue_id);
    row.add_text(note.message_id);
    row.add_text(note.sender);
    row.add(note.seen_at);
  }
  n.flush();
}

}  // namespace pftls
