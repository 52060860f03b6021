// sqlite_store: opening the database, the sinks, inputs, settings and runs.
#include "store/sqlite_store.h"

#include "base/embedded_data.h"
#include "store/sqlite_columns.h"

namespace pftls {

SqliteStore::SqliteStore(const std::string& path, Mode mode, int busy_timeout_ms)
    : cache_(kSlotCount) {
  if (mode == Mode::kReadOnly) {
    db_.emplace(path, Db::Mode::kReadOnly, busy_timeout_ms);
    const std::int64_t version = db_->user_version();
    if (version == kSchemaVersion) return;
    if (version <= 0) {
      throw StoreError(StoreError::Kind::kFailed,
                       "database " + path + " is not a pftls database (schema version " +
                           std::to_string(version) + ", expected " +
                           std::to_string(kSchemaVersion) + ")");
    }
    // Older: migrated through a writable connection; newer: refused there.
    db_.reset();
    open(path, Mode::kReadWrite, busy_timeout_ms);
    db_.reset();
    db_.emplace(path, Db::Mode::kReadOnly, busy_timeout_ms);
    return;
  }
  open(path, mode, busy_timeout_ms);
}

SqliteStore::~SqliteStore() = default;

void SqliteStore::open(const std::string& path, Mode mode, int busy_timeout_ms) {
  OpenLock open_lock(path, busy_timeout_ms);
  db_.emplace(path, mode == Mode::kReadOnly ? Db::Mode::kReadOnly : Db::Mode::kReadWrite,
              busy_timeout_ms);
  // Refused before anything is written to it, the journal mode included.
  const std::int64_t version = db_->user_version();
  if (version > kSchemaVersion) {
    throw StoreError(StoreError::Kind::kVersion,
                     "database " + path + " has schema version " + std::to_string(version) +
                         ", newer than this pftls knows (" + std::to_string(kSchemaVersion) +
                         "): use a newer pftls");
  }
  db_->exec("PRAGMA journal_mode=WAL", "PRAGMA journal_mode=WAL");
  db_->exec("PRAGMA synchronous=NORMAL", "PRAGMA synchronous=NORMAL");
  // One run is one transaction: a page cache this size keeps it from
  // spilling to the WAL in small pieces (bounded: 24 MiB).
  db_->exec("PRAGMA cache_size=-24576", "PRAGMA cache_size");
  ensure_schema();
}

void SqliteStore::ensure_schema() {
  const std::int64_t version = db_->user_version();
  if (version == kSchemaVersion) return;
  if (version == 0) {
    // A database with tables of its own but no version is not ours.
    Statement st = db_->prepare("SELECT count(*) FROM sqlite_schema", "read schema");
    if (st.step() && st.column_int(0) != 0) {
      throw StoreError(StoreError::Kind::kFailed, "database " + db_->path() +
                                                      " is not a pftls database (it has other tables)");
    }
  }
  Transaction t(*db_);
  // Asked again inside the transaction: another pftls may have got here first.
  const std::int64_t now = db_->user_version();
  if (now == kSchemaVersion) return;
  if (now == 0) {
    db_->exec(std::string(embedded_file("queries/schema.sql")), "create schema");
  } else {
    migrate(now);
  }
  db_->exec("PRAGMA user_version = " + std::to_string(kSchemaVersion), "set schema version");
  t.commit();
}

Statement& SqliteStore::cached(Slot slot, std::string_view sql, const char* what) {
  auto& st = cache_[static_cast<std::size_t>(slot)];
  if (!st) st.emplace(*db_, sql, what);
  st->reset();
  return *st;
}

void SqliteStore::begin_run() { run_.emplace(*db_); }

void SqliteStore::commit_run() {
  run_->commit();
  run_.reset();
}

void SqliteStore::rollback_run() noexcept { run_.reset(); }

std::optional<std::string> SqliteStore::setting(std::string_view key) {
  Statement st = db_->prepare("SELECT value FROM settings WHERE key = ?1", "read setting");
  st.bind_text(1, key);
  if (!st.step()) return std::nullopt;
  return st.column_text(0);
}

void SqliteStore::set_setting(std::string_view key, std::string_view value) {
  Statement st = db_->prepare(
      "INSERT INTO settings (key, value) VALUES (?1, ?2) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      "write setting");
  st.bind_text(1, key);
  st.bind_text(2, value);
  st.run();
}

void SqliteStore::record_run(const RunRecord& r) {
  const std::string columns = std::string(kRunColumns) + ", " + std::string(kDropColumns);
  Statement st = db_->prepare(insert_sql("runs", columns), "record run");
  bind_run(st, 1, r);
  st.run();
}

std::vector<InputRecord> SqliteStore::load_inputs() {
  Statement st = db_->prepare(
      "SELECT id, " + std::string(kInputColumns) + " FROM inputs ORDER BY id", "load inputs");
  std::vector<InputRecord> out;
  while (st.step()) {
    out.push_back(read_input(st, 1));
    out.back().id = st.column_int(0);
  }
  return out;
}

void SqliteStore::save_input(InputRecord& r) {
  Statement st = db_->prepare(r.id == 0 ? insert_sql("inputs", kInputColumns)
                                        : update_sql("inputs", kInputColumns, "id"),
                              "save input");
  bind_input(st, 1, r);
  if (r.id != 0) st.bind(column_count(kInputColumns) + 1, r.id);
  st.run();
  if (r.id == 0) r.id = db_->last_insert_rowid();
}

void SqliteStore::save_session(SessionRecord& s) {
  static const std::string insert = insert_sql("sessions", kSessionColumns);
  static const std::string update = update_sql("sessions", kSessionColumns, "id");
  Statement& st = s.id == 0 ? cached(kInsertSession, insert, "save session")
                            : cached(kUpdateSession, update, "save session");
  bind_session(st, 1, s, Nulls::kForQueries);
  if (s.id != 0) st.bind(column_count(kSessionColumns) + 1, s.id);
  st.run();
  if (s.id == 0) s.id = db_->last_insert_rowid();
}

void SqliteStore::save_message(MessageRecord& m) {
  // An update changes what later lines add; the rest is fixed at insert.
  static const std::string insert = insert_sql("messages", kMessageColumns);
  static const std::string update =
      "UPDATE messages SET message_id = ?8, sender = ?9, recipients = ?10 WHERE id = ?" +
      std::to_string(column_count(kMessageColumns) + 1);
  Statement& st = m.id == 0 ? cached(kInsertMessage, insert, "save message")
                            : cached(kUpdateMessage, update, "save message");
  const std::string recipients = join_lines(m.recipients);
  bind_message(st, 1, m, recipients);
  if (m.id != 0) st.bind(column_count(kMessageColumns) + 1, m.id);
  st.run();
  if (m.id == 0) m.id = db_->last_insert_rowid();
}

void SqliteStore::save_evidence(std::int64_t session_id, const EvidenceLine* lines, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    Statement& st = cached(kInsertEvidence,
                           "INSERT INTO evidence (session_id, input, line, raw) VALUES (?1, ?2, ?3, ?4)",
                           "save evidence");
    st.bind(1, session_id);
    st.bind_kept(2, lines[i].input);
    st.bind(3, static_cast<std::int64_t>(lines[i].line));
    st.bind_kept(4, lines[i].raw);
    st.run();
  }
}

void SqliteStore::save_outbound(OutboundRecord& r) {
  static const std::string insert = insert_sql("outbound", kOutboundColumns);
  static const std::string update = update_sql("outbound", kOutboundColumns, "id");
  Statement& st = r.id == 0 ? cached(kInsertOutbound, insert, "save outbound")
                            : cached(kUpdateOutbound, update, "save outbound");
  const std::string recipients = join_lines(r.recipients);
  bind_outbound(st, 1, r, recipients);
  if (r.id != 0) st.bind(column_count(kOutboundColumns) + 1, r.id);
  st.run();
  if (r.id == 0) r.id = db_->last_insert_rowid();
}

void SqliteStore::add_client_stats(const ClientStatsList& stats) {
  for (const auto& [ip, c] : stats) {
    Statement& st = cached(
        kUpsertClient,
        "INSERT INTO client_stats (client_ip, client_name, sessions, tls_sessions, "
        "plaintext_sessions, failed_sessions, starttls_sessions, messages, plaintext_messages, "
        "first_seen, last_seen, org_domain) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
        "?12) ON CONFLICT (client_ip) DO UPDATE SET "
        "client_name = CASE WHEN excluded.client_name <> '' THEN excluded.client_name "
        "ELSE client_name END, "
        "org_domain = CASE WHEN excluded.org_domain <> '' THEN excluded.org_domain "
        "ELSE org_domain END, "
        "sessions = sessions + excluded.sessions, "
        "tls_sessions = tls_sessions + excluded.tls_sessions, "
        "plaintext_sessions = plaintext_sessions + excluded.plaintext_sessions, "
        "failed_sessions = failed_sessions + excluded.failed_sessions, "
        "starttls_sessions = starttls_sessions + excluded.starttls_sessions, "
        "messages = messages + excluded.messages, "
        "plaintext_messages = plaintext_messages + excluded.plaintext_messages, "
        "first_seen = CASE WHEN coalesce(first_seen, 0) = 0 THEN excluded.first_seen "
        "ELSE min(first_seen, excluded.first_seen) END, "
        "last_seen = max(last_seen, excluded.last_seen)",
        "save client counts");
    const std::int64_t counts[] = {c.sessions,          c.tls_sessions,     c.plaintext_sessions,
                                   c.failed_sessions,   c.starttls_sessions, c.messages,
                                   c.plaintext_messages, c.first_seen,       c.last_seen};
    st.bind_kept(1, ip);
    st.bind_kept(2, c.client_name);
    int k = 3;
    for (std::int64_t n : counts) st.bind(k++, n);
    st.bind_kept(12, c.org_domain);
    st.run();
  }
}

void SqliteStore::merge_host_facts(const StringMap<HostFacts>& hosts) {
  for (const auto& [host, h] : hosts) {
    Statement& st = cached(
        kUpsertHost,
        "INSERT INTO hosts (mx_host, newest_at, logs_tls_established) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (mx_host) DO UPDATE SET newest_at = max(newest_at, excluded.newest_at), "
        "logs_tls_established = max(logs_tls_established, excluded.logs_tls_established)",
        "save host facts");
    st.bind_kept(1, host);
    st.bind(2, h.newest_at);
    st.bind(3, h.logs_tls_established);
    st.run();
  }
}

}  // namespace pftls
