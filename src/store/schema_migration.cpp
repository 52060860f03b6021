// schema_migration: a database of an older schema version to the current
// one, inside the opening transaction (SqliteStore::ensure_schema), so that
// a failed migration leaves the database as it was.
//
// Version 1 kept an open session's raw lines as one text column (fields
// split by US 0x1f, lines ended by RS 0x1e) and the outbound tracker's
// pending state as one text row (records split by RS, fields by US, a
// record's recipients by GS 0x1d, a leading F or M for the kind). The
// readers below turn both into the records that the version 2 tables hold;
// the runs table gains the DropCounts columns (0 for the old runs).
// Version 3 adds client_stats.named_at (0 for the stored names: the next
// name seen replaces them, as every name did before).
#include <cstdlib>
#include <type_traits>

#include "base/embedded_data.h"
#include "store/sqlite_columns.h"
#include "store/sqlite_store.h"

namespace pftls {
namespace {

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find(sep, pos);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// Records ended by RS (a last record without one is not complete).
std::vector<std::string_view> v1_records(std::string_view text) {
  auto end = text.rfind('\x1e');
  return end == std::string_view::npos ? std::vector<std::string_view>{}
                                       : split(text.substr(0, end + 1), '\x1e');
}

std::int64_t num(std::string_view s) { return std::strtoll(std::string(s).c_str(), nullptr, 10); }

std::vector<EvidenceLine> v1_evidence(const std::string& text) {
  std::vector<EvidenceLine> out;
  for (std::string_view rec : v1_records(text)) {
    auto a = rec.find('\x1f');
    auto b = a == std::string_view::npos ? a : rec.find('\x1f', a + 1);
    if (b == std::string_view::npos) continue;
    out.push_back(EvidenceLine{std::string(rec.substr(0, a)),
                               static_cast<std::uint64_t>(num(rec.substr(a + 1, b - a - 1))),
                               std::string(rec.substr(b + 1))});
  }
  return out;
}

// A version 1 text field into a record's member (field tables of
// sqlite_columns.h: version 1 wrote the fields in the same order).
void parse_value(std::string_view t, std::string& v) { v = t; }
void parse_value(std::string_view t, std::vector<std::string>& v) {
  v.clear();
  for (std::string_view a : split(t, '\x1d')) v.emplace_back(a);
}
void parse_value(std::string_view, std::optional<int>&) {}
template <typename N>
requires std::is_arithmetic_v<N>
void parse_value(std::string_view t, N& v) { v = static_cast<N>(num(t)); }

// Reads fields.size() values from `in` at `next` (missing ones read empty).
template <typename R>
void parse_fields(const std::vector<std::string_view>& in, std::size_t& next, R& r,
                  Fields<R> fields) {
  for (const auto& f : fields) {
    const std::string_view t = next < in.size() ? in[next] : std::string_view();
    ++next;
    std::visit([&](auto m) { parse_value(t, r.*m); }, f.member);
  }
}

OutboundState v1_outbound_state(Db& db) {
  OutboundState state;
  Statement st =
      db.prepare("SELECT state FROM open_outbound WHERE id = 1", "migrate outbound state");
  const std::string text = st.step() ? st.column_text(0) : std::string();
  for (std::string_view rec : v1_records(text)) {
    const std::vector<std::string_view> in = split(rec, '\x1f');
    std::size_t next = 1;  // after the kind
    if (!in.empty() && in[0] == "F") {
      parse_fields(in, next, state.failures.emplace_back(), pending_failure_fields());
    } else if (!in.empty() && in[0] == "M") {
      OutboundPendingMessage& m = state.messages.emplace_back();
      m.record.id = next < in.size() ? num(in[next++]) : 0;
      parse_fields(in, next, m.record, outbound_fields());
      parse_fields(in, next, m, pending_message_fields());
    }
  }
  return state;
}

// The v1 open_sessions table held the fields a session has while open; the
// others have their values of an open session.
CorrelatorState v1_open_sessions(Db& db) {
  std::string select = "SELECT session_id";
  for (const auto& f : session_fields()) {
    const std::string_view c = f.column;
    select += ", ";
    select += c == "end_at" || c == "counters_present"         ? "0"
              : c == "starttls_attempts" || c == "starttls_ok" ? "-1"
                                                               : std::string(c);
  }
  Statement st =
      db.prepare(select + ", evidence FROM open_sessions ORDER BY rowid", "migrate open sessions");
  const auto evidence = static_cast<int>(session_fields().size()) + 1;
  CorrelatorState state;
  while (st.step()) {
    SessionRecord& s = state.open_sessions.emplace_back();
    s.id = st.column_int(0);
    read_fields(st, 1, s, session_fields());
    state.open_evidence.push_back(v1_evidence(st.column_text(evidence)));
  }
  return state;
}

}  // namespace

void SqliteStore::migrate(std::int64_t version) {
  if (version != 1 && version != 2) {
    throw StoreError(StoreError::Kind::kFailed, "database " + db_->path() + " has schema version " +
                                                    std::to_string(version) +
                                                    ", which this pftls cannot migrate");
  }
  // Version 3 gives each client's name the time it was seen (names_later).
  db_->exec("ALTER TABLE client_stats ADD COLUMN named_at INTEGER NOT NULL DEFAULT 0",
            "migrate client_stats");
  if (version == 2) return;
  const CorrelatorState sessions = v1_open_sessions(*db_);
  const OutboundState outbound = v1_outbound_state(*db_);
  db_->exec("DROP TABLE open_sessions; DROP TABLE open_outbound", "migrate: drop version 1 state");
  for (const auto& f : drop_fields()) {
    db_->exec(
        "ALTER TABLE runs ADD COLUMN " + std::string(f.column) + " INTEGER NOT NULL DEFAULT 0",
        "migrate runs");
  }
  // The tables version 2 adds (the others exist: CREATE ... IF NOT EXISTS).
  db_->exec(std::string(embedded_file("queries/schema.sql")), "migrate: create schema");
  save_open_sessions(sessions);
  save_outbound_state(outbound);
}

}  // namespace pftls
