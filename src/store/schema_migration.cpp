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
#include <cstdlib>

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

// Fields of one v1 outbound record, read in order; missing ones read empty.
class V1Fields {
 public:
  explicit V1Fields(std::string_view rec) : fields_(split(rec, '\x1f')) {}
  std::string str() { return next_ < fields_.size() ? std::string(fields_[next_++]) : ""; }
  std::int64_t i64() { return num(str()); }
  std::uint64_t u64() { return static_cast<std::uint64_t>(i64()); }

 private:
  std::vector<std::string_view> fields_;
  std::size_t next_ = 0;
};

OutboundPendingFailure v1_failure(V1Fields& f) {
  OutboundPendingFailure p;
  p.mx_host = f.str();
  p.syslog_name = f.str();
  p.pid = static_cast<std::uint32_t>(f.i64());
  p.relay_name = f.str();
  p.relay_ip = f.str();
  p.relay_port = f.str();
  p.failure_at = f.i64();
  p.failure_ord = f.u64();
  p.failure_reason = f.str();
  p.openssl_code = f.str();
  p.seen_at = f.i64();
  return p;
}

OutboundPendingMessage v1_message(V1Fields& f) {
  OutboundPendingMessage m;
  OutboundRecord& r = m.record;
  r.id = f.i64();
  r.mx_host = f.str();
  r.queue_id = f.str();
  r.relay_name = f.str();
  r.relay_ip = f.str();
  r.relay_port = f.str();
  r.failure_at = f.i64();
  r.failure_ord = f.u64();
  r.failure_reason = f.str();
  r.openssl_code = f.str();
  r.failed_attempts = static_cast<int>(f.i64());
  r.plaintext_at = f.i64();
  r.plaintext_ord = f.u64();
  for (std::string_view a : split(f.str(), '\x1d')) r.recipients.emplace_back(a);
  r.fallback_seen = f.i64() != 0;
  m.syslog_name = f.str();
  m.pid = static_cast<std::uint32_t>(f.i64());
  m.attempt_ord = f.u64();
  m.fallback_open = f.i64() != 0;
  m.seen_at = f.i64();
  return m;
}

OutboundState v1_outbound_state(Db& db) {
  OutboundState state;
  Statement st = db.prepare("SELECT state FROM open_outbound WHERE id = 1", "migrate outbound state");
  const std::string text = st.step() ? st.column_text(0) : std::string();
  for (std::string_view rec : v1_records(text)) {
    V1Fields f(rec);
    const std::string kind = f.str();
    if (kind == "F") state.failures.push_back(v1_failure(f));
    if (kind == "M") state.messages.push_back(v1_message(f));
  }
  return state;
}

// The v1 open_sessions table held the fields a session has while open.
CorrelatorState v1_open_sessions(Db& db) {
  CorrelatorState state;
  Statement st = db.prepare(
      "SELECT session_id, mx_host, syslog_name, pid, client_ip, client_name, connect_at, "
      "first_ord, failed, failure_at, failure_ord, failure_reason, openssl_code, tls, tls_at, "
      "tls_ord, messages, client_subnet, org_domain, evidence FROM open_sessions ORDER BY rowid",
      "migrate open sessions");
  while (st.step()) {
    SessionRecord s;
    s.id = st.column_int(0);
    s.mx_host = st.column_text(1);
    s.syslog_name = st.column_text(2);
    s.pid = static_cast<std::uint32_t>(st.column_int(3));
    s.client_ip = st.column_text(4);
    s.client_name = st.column_text(5);
    s.connect_at = st.column_int(6);
    s.first_ord = static_cast<std::uint64_t>(st.column_int(7));
    s.failed = st.column_int(8) != 0;
    s.failure_at = st.column_int(9);
    s.failure_ord = static_cast<std::uint64_t>(st.column_int(10));
    s.failure_reason = st.column_text(11);
    s.openssl_code = st.column_text(12);
    s.tls = st.column_int(13) != 0;
    s.tls_at = st.column_int(14);
    s.tls_ord = static_cast<std::uint64_t>(st.column_int(15));
    s.messages = static_cast<int>(st.column_int(16));
    s.client_subnet = st.column_text(17);
    s.org_domain = st.column_text(18);
    state.open_sessions.push_back(std::move(s));
    state.open_evidence.push_back(v1_evidence(st.column_text(19)));
  }
  return state;
}

}  // namespace

void SqliteStore::migrate(std::int64_t version) {
  if (version != 1) {
    throw StoreError(StoreError::Kind::kFailed,
                     "database " + db_->path() + " has schema version " + std::to_string(version) +
                         ", which this pftls cannot migrate");
  }
  const CorrelatorState sessions = v1_open_sessions(*db_);
  const OutboundState outbound = v1_outbound_state(*db_);
  db_->exec("DROP TABLE open_sessions; DROP TABLE open_outbound", "migrate: drop version 1 state");
  for (std::string_view column : split(kDropColumns, ',')) {
    while (!column.empty() && column.front() == ' ') column.remove_prefix(1);
    db_->exec("ALTER TABLE runs ADD COLUMN " + std::string(column) + " INTEGER NOT NULL DEFAULT 0",
              "migrate runs");
  }
  // The tables version 2 adds (the others exist: CREATE ... IF NOT EXISTS).
  db_->exec(std::string(embedded_file("queries/schema.sql")), "migrate: create schema");
  save_open_sessions(sessions);
  save_outbound_state(outbound);
}

}  // namespace pftls
