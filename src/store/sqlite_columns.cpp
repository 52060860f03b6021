// sqlite_columns: records to bound parameters and result columns back.
#include "store/sqlite_columns.h"

namespace pftls {
namespace {

std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }
std::uint64_t u64(const Statement& st, int i) { return static_cast<std::uint64_t>(st.column_int(i)); }

}  // namespace

int column_count(std::string_view columns) {
  int n = 1;
  for (char c : columns) n += c == ',';
  return n;
}

std::string insert_sql(std::string_view table, std::string_view columns) {
  std::string sql = "INSERT INTO " + std::string(table) + " (" + std::string(columns) + ") VALUES (";
  for (int i = 1, n = column_count(columns); i <= n; ++i) {
    sql += (i > 1 ? ", ?" : "?") + std::to_string(i);
  }
  return sql + ")";
}

std::string update_sql(std::string_view table, std::string_view columns, std::string_view key) {
  std::string sql = "UPDATE " + std::string(table) + " SET ";
  int i = 0;
  for (std::size_t pos = 0; pos < columns.size();) {
    std::size_t end = columns.find(',', pos);
    if (end == std::string_view::npos) end = columns.size();
    std::string_view name = columns.substr(pos, end - pos);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    if (i++ > 0) sql += ", ";
    sql += std::string(name) + " = ?" + std::to_string(i);
    pos = end + 1;
  }
  return sql + " WHERE " + std::string(key) + " = ?" + std::to_string(i + 1);
}

std::string join_lines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out.push_back('\n');
    out += s;
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  for (std::size_t pos = 0; !text.empty() && pos <= text.size();) {
    std::size_t nl = text.find('\n', pos);
    out.push_back(text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return out;
}

void bind_session(Statement& st, int i, const SessionRecord& s, Nulls nulls) {
  const bool exact = nulls == Nulls::kExact;
  auto opt = [&](int k, std::int64_t v, bool known) { st.bind_opt(i + k, v, exact || known); };
  st.bind_kept(i, s.mx_host);
  st.bind_kept(i + 1, s.syslog_name);
  st.bind(i + 2, s.pid);
  st.bind_kept(i + 3, s.client_ip);
  st.bind_kept(i + 4, s.client_name);
  opt(5, s.connect_at, s.connect_at != 0);
  opt(6, s.end_at, s.end_at != 0);
  st.bind(i + 7, i64(s.first_ord));
  st.bind(i + 8, s.failed);
  opt(9, s.failure_at, s.failed);
  opt(10, i64(s.failure_ord), s.failed);
  if (exact || s.failed) st.bind_kept(i + 11, s.failure_reason);
  if (exact || !s.openssl_code.empty()) st.bind_kept(i + 12, s.openssl_code);
  st.bind(i + 13, s.tls);
  opt(14, s.tls_at, s.tls);
  opt(15, i64(s.tls_ord), s.tls);
  st.bind(i + 16, s.counters_present);
  opt(17, s.starttls_attempts, s.starttls_attempts >= 0);
  opt(18, s.starttls_ok, s.starttls_ok >= 0);
  st.bind(i + 19, s.messages);
  st.bind_kept(i + 20, s.client_subnet);
  st.bind_kept(i + 21, s.org_domain);
}

SessionRecord read_session(const Statement& st, int i) {
  SessionRecord s;
  s.mx_host = st.column_text(i);
  s.syslog_name = st.column_text(i + 1);
  s.pid = static_cast<std::uint32_t>(st.column_int(i + 2));
  s.client_ip = st.column_text(i + 3);
  s.client_name = st.column_text(i + 4);
  s.connect_at = st.column_int(i + 5);
  s.end_at = st.column_int(i + 6);
  s.first_ord = u64(st, i + 7);
  s.failed = st.column_int(i + 8) != 0;
  s.failure_at = st.column_int(i + 9);
  s.failure_ord = u64(st, i + 10);
  s.failure_reason = st.column_text(i + 11);
  s.openssl_code = st.column_text(i + 12);
  s.tls = st.column_int(i + 13) != 0;
  s.tls_at = st.column_int(i + 14);
  s.tls_ord = u64(st, i + 15);
  s.counters_present = st.column_int(i + 16) != 0;
  s.starttls_attempts = st.column_null(i + 17) ? -1 : static_cast<int>(st.column_int(i + 17));
  s.starttls_ok = st.column_null(i + 18) ? -1 : static_cast<int>(st.column_int(i + 18));
  s.messages = static_cast<int>(st.column_int(i + 19));
  s.client_subnet = st.column_text(i + 20);
  s.org_domain = st.column_text(i + 21);
  return s;
}

void bind_message(Statement& st, int i, const MessageRecord& m, const std::string& recipients) {
  st.bind(i, m.session_id);
  st.bind_kept(i + 1, m.mx_host);
  st.bind_kept(i + 2, m.queue_id);
  st.bind_kept(i + 3, m.client_ip);
  st.bind_kept(i + 4, m.client_name);
  st.bind(i + 5, m.accepted_at);
  st.bind(i + 6, i64(m.accepted_ord));
  st.bind_kept(i + 7, m.message_id);
  st.bind_kept(i + 8, m.sender);
  st.bind_kept(i + 9, recipients);
  st.bind_kept(i + 10, m.client_subnet);
  st.bind_kept(i + 11, m.org_domain);
}

MessageRecord read_message(const Statement& st, int i) {
  MessageRecord m;
  m.session_id = st.column_int(i);
  m.mx_host = st.column_text(i + 1);
  m.queue_id = st.column_text(i + 2);
  m.client_ip = st.column_text(i + 3);
  m.client_name = st.column_text(i + 4);
  m.accepted_at = st.column_int(i + 5);
  m.accepted_ord = u64(st, i + 6);
  m.message_id = st.column_text(i + 7);
  m.sender = st.column_text(i + 8);
  m.recipients = split_lines(st.column_text(i + 9));
  m.client_subnet = st.column_text(i + 10);
  m.org_domain = st.column_text(i + 11);
  return m;
}

void bind_outbound(Statement& st, int i, const OutboundRecord& r, const std::string& recipients) {
  st.bind_kept(i, r.mx_host);
  st.bind_kept(i + 1, r.queue_id);
  st.bind_kept(i + 2, r.relay_name);
  st.bind_kept(i + 3, r.relay_ip);
  st.bind_kept(i + 4, r.relay_port);
  st.bind(i + 5, r.failure_at);
  st.bind(i + 6, i64(r.failure_ord));
  st.bind_kept(i + 7, r.failure_reason);
  st.bind_kept(i + 8, r.openssl_code);
  st.bind(i + 9, r.failed_attempts);
  st.bind(i + 10, r.plaintext_at);
  st.bind(i + 11, i64(r.plaintext_ord));
  st.bind_kept(i + 12, recipients);
  st.bind(i + 13, r.fallback_seen);
}

OutboundRecord read_outbound(const Statement& st, int i) {
  OutboundRecord r;
  r.mx_host = st.column_text(i);
  r.queue_id = st.column_text(i + 1);
  r.relay_name = st.column_text(i + 2);
  r.relay_ip = st.column_text(i + 3);
  r.relay_port = st.column_text(i + 4);
  r.failure_at = st.column_int(i + 5);
  r.failure_ord = u64(st, i + 6);
  r.failure_reason = st.column_text(i + 7);
  r.openssl_code = st.column_text(i + 8);
  r.failed_attempts = static_cast<int>(st.column_int(i + 9));
  r.plaintext_at = st.column_int(i + 10);
  r.plaintext_ord = u64(st, i + 11);
  r.recipients = split_lines(st.column_text(i + 12));
  r.fallback_seen = st.column_int(i + 13) != 0;
  return r;
}

void bind_pending_failure(Statement& st, int i, const OutboundPendingFailure& f) {
  st.bind_kept(i, f.mx_host);
  st.bind_kept(i + 1, f.syslog_name);
  st.bind(i + 2, f.pid);
  st.bind_kept(i + 3, f.relay_name);
  st.bind_kept(i + 4, f.relay_ip);
  st.bind_kept(i + 5, f.relay_port);
  st.bind(i + 6, f.failure_at);
  st.bind(i + 7, i64(f.failure_ord));
  st.bind_kept(i + 8, f.failure_reason);
  st.bind_kept(i + 9, f.openssl_code);
  st.bind(i + 10, f.seen_at);
}

OutboundPendingFailure read_pending_failure(const Statement& st, int i) {
  OutboundPendingFailure f;
  f.mx_host = st.column_text(i);
  f.syslog_name = st.column_text(i + 1);
  f.pid = static_cast<std::uint32_t>(st.column_int(i + 2));
  f.relay_name = st.column_text(i + 3);
  f.relay_ip = st.column_text(i + 4);
  f.relay_port = st.column_text(i + 5);
  f.failure_at = st.column_int(i + 6);
  f.failure_ord = u64(st, i + 7);
  f.failure_reason = st.column_text(i + 8);
  f.openssl_code = st.column_text(i + 9);
  f.seen_at = st.column_int(i + 10);
  return f;
}

void bind_input(Statement& st, int i, const InputRecord& r) {
  st.bind_kept(i, r.path);
  st.bind_blob(i + 1, r.fingerprint);
  st.bind(i + 2, i64(r.device));
  st.bind(i + 3, i64(r.inode));
  st.bind(i + 4, i64(r.offset));
  st.bind(i + 5, i64(r.lines));
  st.bind_opt(i + 6, r.year.value_or(0), r.year.has_value());
  st.bind(i + 7, r.last_month);
  st.bind(i + 8, r.complete);
  st.bind(i + 9, i64(r.pending_bytes));
  st.bind(i + 10, i64(r.size));
  st.bind(i + 11, r.mtime);
  st.bind(i + 12, r.last_read_at);
}

InputRecord read_input(const Statement& st, int i) {
  InputRecord r;
  r.path = st.column_text(i);
  r.fingerprint = st.column_blob(i + 1);
  r.device = u64(st, i + 2);
  r.inode = u64(st, i + 3);
  r.offset = u64(st, i + 4);
  r.lines = u64(st, i + 5);
  if (!st.column_null(i + 6)) r.year = static_cast<int>(st.column_int(i + 6));
  r.last_month = static_cast<unsigned>(st.column_int(i + 7));
  r.complete = st.column_int(i + 8) != 0;
  r.pending_bytes = u64(st, i + 9);
  r.size = u64(st, i + 10);
  r.mtime = st.column_int(i + 11);
  r.last_read_at = st.column_int(i + 12);
  return r;
}

void bind_run(Statement& st, int i, const RunRecord& r) {
  const std::uint64_t counts[] = {
      r.lines, r.postfix_lines, r.unrecognised, r.malformed, r.truncated, r.sessions, r.failures,
      r.messages, r.new_incidents,
      // DropCounts, as kDropColumns lists them
      r.drops.evicted_sessions, r.drops.evicted_messages, r.drops.evidence_dropped,
      r.drops.watch_full, r.drops.clients_flushed, r.drops.outbound_evicted_failures,
      r.drops.outbound_evicted_messages, r.drops.outbound_dropped};
  st.bind(i, r.started_at);
  st.bind(i + 1, r.finished_at);
  st.bind_kept(i + 2, r.inputs);
  int k = i + 3;
  for (std::uint64_t n : counts) st.bind(k++, i64(n));
}

}  // namespace pftls
