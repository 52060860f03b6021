// sqlite_store: SQLite persistence of sessions, messages, counts and state.
#include "store/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include <cstdlib>

#include "base/embedded_data.h"

namespace pftls {
namespace {

constexpr int kSchemaVersion = 1;

enum Slot : int {
  kInsertSession,
  kUpdateSession,
  kInsertMessage,
  kUpdateMessage,
  kUpsertClient,
  kUpsertHost,
  kInsertEvidence,
  kInsertOutbound,
  kUpdateOutbound,
  kSlotCount
};

void bind_text(sqlite3_stmt* st, int i, std::string_view v) {
  sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
// Without a copy, for the per-row saves: `v` must stay alive and unchanged
// until the statement is stepped; cached() resets it and clears its
// bindings before its next use, so no later step reads the pointer.
void bind_kept(sqlite3_stmt* st, int i, std::string_view v) {
  sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
void bind_int(sqlite3_stmt* st, int i, std::int64_t v) { sqlite3_bind_int64(st, i, v); }
void bind_opt(sqlite3_stmt* st, int i, std::int64_t v, bool present) {
  if (present) sqlite3_bind_int64(st, i, v);
  else sqlite3_bind_null(st, i);
}
std::int64_t col_int(sqlite3_stmt* st, int i) { return sqlite3_column_int64(st, i); }
std::string col_text(sqlite3_stmt* st, int i) {
  const unsigned char* p = sqlite3_column_text(st, i);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(st, i)))
           : std::string();
}

// Open sessions' raw lines, between runs: fields split by US (0x1f),
// lines ended by RS (0x1e). Log lines never hold either: control bytes in
// a raw line are replaced by '?' before they are kept here.
std::string encode_evidence(const std::vector<EvidenceLine>& lines) {
  std::string out;
  auto clean = [](std::string_view s) {
    std::string c(s);
    for (char& ch : c)
      if (ch == '\x1e' || ch == '\x1f') ch = '?';
    return c;
  };
  for (const auto& l : lines) {
    out += clean(l.input);
    out += '\x1f';
    out += std::to_string(l.line);
    out += '\x1f';
    out += clean(l.raw);
    out += '\x1e';
  }
  return out;
}

std::vector<EvidenceLine> decode_evidence(const std::string& text) {
  std::vector<EvidenceLine> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\x1e', pos);
    if (end == std::string::npos) break;
    std::string_view rec(text.data() + pos, end - pos);
    auto a = rec.find('\x1f');
    auto b = a == std::string_view::npos ? a : rec.find('\x1f', a + 1);
    if (b != std::string_view::npos) {
      EvidenceLine l;
      l.input = std::string(rec.substr(0, a));
      l.line = std::strtoull(std::string(rec.substr(a + 1, b - a - 1)).c_str(), nullptr, 10);
      l.raw = std::string(rec.substr(b + 1));
      out.push_back(std::move(l));
    }
    pos = end + 1;
  }
  return out;
}

std::string join_lines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out.push_back('\n');
    out += s;
  }
  return out;
}

// Serialises the opening of a database for writing between pftls
// processes: switching a new database to WAL deletes its rollback journal,
// and two processes doing that at once fail with SQLITE_IOERR_FSTAT or
// _DELETE_NOENT. An flock on the database's directory (not on the database
// file: closing another descriptor of it would drop SQLite's own POSIX
// locks) is held from sqlite3_open to the end of the schema check, waiting
// at most the busy timeout. Best effort where the directory cannot be
// opened; the lock goes with the descriptor, also when a process dies.
class OpenLock {
 public:
  OpenLock(const std::string& db_path, int wait_ms) {
    const auto slash = db_path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : db_path.substr(0, slash);
    fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd_ < 0) return;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) return;  // no locking here: go on without
      if (std::chrono::steady_clock::now() >= deadline) {
        throw StoreError(StoreError::Kind::kBusy,
                         "database " + db_path + " is locked by another pftls run (opening)");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~OpenLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  OpenLock(const OpenLock&) = delete;
  OpenLock& operator=(const OpenLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace

SqliteStore::SqliteStore(const std::string& path, Mode mode, int busy_timeout_ms)
    : path_(path), cache_(kSlotCount, nullptr) {
  int flags = mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY
                                      : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  std::optional<OpenLock> open_lock;
  if (mode == Mode::kReadWrite) open_lock.emplace(path, busy_timeout_ms);
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError(StoreError::Kind::kFailed, "cannot open database " + path + ": " + msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  try {
    if (mode == Mode::kReadWrite) {
      exec("PRAGMA journal_mode=WAL");
      exec("PRAGMA synchronous=NORMAL");
      // One run is one transaction: a page cache this size keeps it from
      // spilling to the WAL in small pieces (bounded: 24 MiB).
      exec("PRAGMA cache_size=-24576");
      ensure_schema();
    } else {
      sqlite3_stmt* st = prepare("PRAGMA user_version");
      int step = sqlite3_step(st);
      std::int64_t v = step == SQLITE_ROW ? col_int(st, 0) : -1;
      sqlite3_finalize(st);
      if (step != SQLITE_ROW) fail("read schema version", step);
      if (v != kSchemaVersion) {
        throw StoreError(StoreError::Kind::kFailed,
                         "database " + path + " is not a pftls database (schema version " +
                             std::to_string(v) + ", expected " + std::to_string(kSchemaVersion) + ")");
      }
    }
  } catch (...) {
    for (auto* st : cache_) sqlite3_finalize(st);
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

SqliteStore::~SqliteStore() {
  if (in_run_) rollback_run();
  for (auto* st : cache_) sqlite3_finalize(st);
  sqlite3_close(db_);
}

void SqliteStore::fail(std::string_view what, int rc) const {
  int primary = rc & 0xff;
  std::string msg = "database " + path_ + ": " + std::string(what) + ": " +
                    (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    throw StoreError(StoreError::Kind::kBusy, "database " + path_ +
                                                  " is locked by another pftls run (" +
                                                  std::string(what) + ")");
  }
  throw StoreError(StoreError::Kind::kFailed, msg);
}

void SqliteStore::exec(const char* sql) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(sql, rc);
}

sqlite3_stmt* SqliteStore::prepare(std::string_view sql) {
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &st, nullptr);
  if (rc != SQLITE_OK) fail("prepare", rc);
  return st;
}

sqlite3_stmt* SqliteStore::cached(int slot, const char* sql) {
  auto& st = cache_[static_cast<std::size_t>(slot)];
  if (!st) st = prepare(sql);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return st;
}

void SqliteStore::ensure_schema() {
  sqlite3_stmt* st = prepare("PRAGMA user_version");
  int step = sqlite3_step(st);
  std::int64_t version = step == SQLITE_ROW ? col_int(st, 0) : -1;
  sqlite3_finalize(st);
  if (step != SQLITE_ROW) fail("read schema version", step);
  if (version == kSchemaVersion) return;
  if (version != 0) {
    throw StoreError(StoreError::Kind::kFailed,
                     "database " + path_ + " has schema version " + std::to_string(version) +
                         "; this pftls knows version " + std::to_string(kSchemaVersion));
  }
  // A database with tables of its own but no version is not ours.
  st = prepare("SELECT count(*) FROM sqlite_schema");
  step = sqlite3_step(st);
  std::int64_t tables = step == SQLITE_ROW ? col_int(st, 0) : -1;
  sqlite3_finalize(st);
  if (step != SQLITE_ROW) fail("read schema", step);
  if (tables != 0) {
    throw StoreError(StoreError::Kind::kFailed,
                     "database " + path_ + " is not a pftls database (it has other tables)");
  }
  std::string sql = "BEGIN IMMEDIATE;\n" + std::string(embedded_file("queries/schema.sql")) +
                    "\nPRAGMA user_version = " + std::to_string(kSchemaVersion) + ";\nCOMMIT;";
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    fail("create schema", rc);
  }
}

void SqliteStore::begin_run() {
  exec("BEGIN IMMEDIATE");
  in_run_ = true;
}

void SqliteStore::commit_run() {
  exec("COMMIT");
  in_run_ = false;
}

void SqliteStore::rollback_run() noexcept {
  if (!in_run_) return;
  sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  in_run_ = false;
}

std::optional<std::string> SqliteStore::setting(std::string_view key) {
  sqlite3_stmt* st = prepare("SELECT value FROM settings WHERE key = ?1");
  bind_text(st, 1, key);
  int rc = sqlite3_step(st);
  std::optional<std::string> out;
  if (rc == SQLITE_ROW) out = col_text(st, 0);
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail("read setting", rc);
  return out;
}

void SqliteStore::set_setting(std::string_view key, std::string_view value) {
  sqlite3_stmt* st = prepare(
      "INSERT INTO settings (key, value) VALUES (?1, ?2) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  bind_text(st, 1, key);
  bind_text(st, 2, value);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) fail("write setting", rc);
}

void SqliteStore::save_session(SessionRecord& s) {
  sqlite3_stmt* st;
  if (s.id == 0) {
    st = cached(kInsertSession,
                "INSERT INTO sessions (mx_host, syslog_name, pid, client_ip, client_name, "
                "connect_at, end_at, first_ord, failed, failure_at, failure_ord, failure_reason, "
                "openssl_code, tls, tls_at, tls_ord, counters_present, starttls_attempts, "
                "starttls_ok, messages, client_subnet, org_domain) VALUES "
                "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
                "?18, ?19, ?20, ?22, ?23)");
  } else {
    st = cached(kUpdateSession,
                "UPDATE sessions SET mx_host = ?1, syslog_name = ?2, pid = ?3, client_ip = ?4, "
                "client_name = ?5, connect_at = ?6, end_at = ?7, first_ord = ?8, failed = ?9, "
                "failure_at = ?10, failure_ord = ?11, failure_reason = ?12, openssl_code = ?13, "
                "tls = ?14, tls_at = ?15, tls_ord = ?16, counters_present = ?17, "
                "starttls_attempts = ?18, starttls_ok = ?19, messages = ?20, client_subnet = ?22, "
                "org_domain = ?23 WHERE id = ?21");
    bind_int(st, 21, s.id);
  }
  bind_kept(st, 1, s.mx_host);
  bind_kept(st, 2, s.syslog_name);
  bind_int(st, 3, s.pid);
  bind_kept(st, 4, s.client_ip);
  bind_kept(st, 5, s.client_name);
  bind_opt(st, 6, s.connect_at, s.connect_at != 0);
  bind_opt(st, 7, s.end_at, s.end_at != 0);
  bind_int(st, 8, static_cast<std::int64_t>(s.first_ord));
  bind_int(st, 9, s.failed);
  bind_opt(st, 10, s.failure_at, s.failed);
  bind_opt(st, 11, static_cast<std::int64_t>(s.failure_ord), s.failed);
  if (s.failed) bind_kept(st, 12, s.failure_reason);
  if (!s.openssl_code.empty()) bind_kept(st, 13, s.openssl_code);
  bind_int(st, 14, s.tls);
  bind_opt(st, 15, s.tls_at, s.tls);
  bind_opt(st, 16, static_cast<std::int64_t>(s.tls_ord), s.tls);
  bind_int(st, 17, s.counters_present);
  bind_opt(st, 18, s.starttls_attempts, s.starttls_attempts >= 0);
  bind_opt(st, 19, s.starttls_ok, s.starttls_ok >= 0);
  bind_int(st, 20, s.messages);
  bind_kept(st, 22, s.client_subnet);
  bind_kept(st, 23, s.org_domain);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE) fail("save session", rc);
  if (s.id == 0) s.id = sqlite3_last_insert_rowid(db_);
}

void SqliteStore::save_message(MessageRecord& m) {
  sqlite3_stmt* st;
  if (m.id == 0) {
    st = cached(kInsertMessage,
                "INSERT INTO messages (session_id, mx_host, queue_id, client_ip, client_name, "
                "accepted_at, accepted_ord, message_id, sender, recipients, client_subnet, "
                "org_domain) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?12, ?13)");
    bind_int(st, 1, m.session_id);
    bind_kept(st, 2, m.mx_host);
    bind_kept(st, 3, m.queue_id);
    bind_kept(st, 4, m.client_ip);
    bind_kept(st, 5, m.client_name);
    bind_int(st, 6, m.accepted_at);
    bind_int(st, 7, static_cast<std::int64_t>(m.accepted_ord));
    bind_kept(st, 12, m.client_subnet);
    bind_kept(st, 13, m.org_domain);
  } else {
    st = cached(kUpdateMessage,
                "UPDATE messages SET message_id = ?8, sender = ?9, recipients = ?10 WHERE id = ?11");
    bind_int(st, 11, m.id);
  }
  bind_kept(st, 8, m.message_id);
  bind_kept(st, 9, m.sender);
  bind_text(st, 10, join_lines(m.recipients));
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE) fail("save message", rc);
  if (m.id == 0) m.id = sqlite3_last_insert_rowid(db_);
}

void SqliteStore::save_evidence(std::int64_t session_id, const EvidenceLine* lines, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    sqlite3_stmt* st = cached(kInsertEvidence,
                              "INSERT INTO evidence (session_id, input, line, raw) VALUES (?1, ?2, ?3, ?4)");
    bind_int(st, 1, session_id);
    bind_kept(st, 2, lines[i].input);
    bind_int(st, 3, static_cast<std::int64_t>(lines[i].line));
    bind_kept(st, 4, lines[i].raw);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) fail("save evidence", rc);
  }
}

void SqliteStore::add_client_stats(const ClientStatsList& stats) {
  for (const auto& [ip, c] : stats) {
    sqlite3_stmt* st = cached(
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
        "last_seen = max(last_seen, excluded.last_seen)");
    bind_kept(st, 1, ip);
    bind_kept(st, 2, c.client_name);
    bind_int(st, 3, c.sessions);
    bind_int(st, 4, c.tls_sessions);
    bind_int(st, 5, c.plaintext_sessions);
    bind_int(st, 6, c.failed_sessions);
    bind_int(st, 7, c.starttls_sessions);
    bind_int(st, 8, c.messages);
    bind_int(st, 9, c.plaintext_messages);
    bind_int(st, 10, c.first_seen);
    bind_int(st, 11, c.last_seen);
    bind_kept(st, 12, c.org_domain);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) fail("save client counts", rc);
  }
}

void SqliteStore::merge_host_facts(const StringMap<HostFacts>& hosts) {
  for (const auto& [host, h] : hosts) {
    sqlite3_stmt* st = cached(
        kUpsertHost,
        "INSERT INTO hosts (mx_host, newest_at, logs_tls_established) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (mx_host) DO UPDATE SET newest_at = max(newest_at, excluded.newest_at), "
        "logs_tls_established = max(logs_tls_established, excluded.logs_tls_established)");
    bind_text(st, 1, host);
    bind_int(st, 2, h.newest_at);
    bind_int(st, 3, h.logs_tls_established);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) fail("save host facts", rc);
  }
}

CorrelatorState SqliteStore::load_state() {
  CorrelatorState state;
  // Clients that failed recently enough to matter (a week: the longest
  // a client stays watched).
  sqlite3_stmt* st = prepare(
      "SELECT s.mx_host, s.client_ip, s.client_subnet, s.org_domain, max(s.failure_at) "
      "FROM sessions AS s JOIN hosts AS h ON h.mx_host = s.mx_host "
      "WHERE s.failed = 1 AND s.client_ip <> '' AND s.failure_at >= h.newest_at - 604800000000 "
      "GROUP BY s.mx_host, s.client_ip, s.client_subnet, s.org_domain");
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    state.watched.push_back(
        WatchKey{col_text(st, 0), col_text(st, 1), col_text(st, 2), col_text(st, 3), col_int(st, 4)});
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) fail("load watched clients", rc);

  st = prepare(
      "SELECT o.session_id, o.mx_host, o.syslog_name, o.pid, o.client_ip, o.client_name, "
      "o.connect_at, o.first_ord, o.failed, o.failure_at, o.failure_ord, o.failure_reason, "
      "o.openssl_code, o.tls, o.tls_at, o.tls_ord, o.messages, o.client_subnet, o.org_domain, "
      "o.evidence FROM open_sessions AS o");
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    SessionRecord s;
    s.id = col_int(st, 0);
    s.mx_host = col_text(st, 1);
    s.syslog_name = col_text(st, 2);
    s.pid = static_cast<std::uint32_t>(col_int(st, 3));
    s.client_ip = col_text(st, 4);
    s.client_name = col_text(st, 5);
    s.connect_at = col_int(st, 6);
    s.first_ord = static_cast<std::uint64_t>(col_int(st, 7));
    s.failed = col_int(st, 8) != 0;
    s.failure_at = col_int(st, 9);
    s.failure_ord = static_cast<std::uint64_t>(col_int(st, 10));
    s.failure_reason = col_text(st, 11);
    s.openssl_code = col_text(st, 12);
    s.tls = col_int(st, 13) != 0;
    s.tls_at = col_int(st, 14);
    s.tls_ord = static_cast<std::uint64_t>(col_int(st, 15));
    s.messages = static_cast<int>(col_int(st, 16));
    s.client_subnet = col_text(st, 17);
    s.org_domain = col_text(st, 18);
    state.open_sessions.push_back(std::move(s));
    state.open_evidence.push_back(decode_evidence(col_text(st, 19)));
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) fail("load open sessions", rc);

  st = prepare(
      "SELECT m.id, m.session_id, m.mx_host, m.queue_id, m.client_ip, m.client_name, "
      "m.accepted_at, m.accepted_ord, m.message_id, m.sender, m.recipients, m.client_subnet, "
      "m.org_domain FROM open_messages AS o JOIN messages AS m ON m.id = o.message_id");
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    MessageRecord m;
    m.id = col_int(st, 0);
    m.session_id = col_int(st, 1);
    m.mx_host = col_text(st, 2);
    m.queue_id = col_text(st, 3);
    m.client_ip = col_text(st, 4);
    m.client_name = col_text(st, 5);
    m.accepted_at = col_int(st, 6);
    m.accepted_ord = static_cast<std::uint64_t>(col_int(st, 7));
    m.message_id = col_text(st, 8);
    m.sender = col_text(st, 9);
    m.client_subnet = col_text(st, 11);
    m.org_domain = col_text(st, 12);
    std::string r = col_text(st, 10);
    std::size_t pos = 0;
    while (!r.empty() && pos <= r.size()) {
      auto nl = r.find('\n', pos);
      m.recipients.push_back(r.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
      if (nl == std::string::npos) break;
      pos = nl + 1;
    }
    state.tracked_messages.push_back(std::move(m));
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) fail("load open messages", rc);
  return state;
}

void SqliteStore::save_state(const CorrelatorState& state) {
  exec("DELETE FROM open_sessions");
  exec("DELETE FROM open_messages");
  sqlite3_stmt* st = prepare(
      "INSERT INTO open_sessions (session_id, mx_host, syslog_name, pid, client_ip, client_name, "
      "connect_at, first_ord, failed, failure_at, failure_ord, failure_reason, openssl_code, tls, "
      "tls_at, tls_ord, messages, client_subnet, org_domain, evidence) VALUES (?1, ?2, ?3, ?4, ?5, "
      "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)");
  for (std::size_t i = 0; i < state.open_sessions.size(); ++i) {
    const SessionRecord& s = state.open_sessions[i];
    sqlite3_reset(st);
    bind_opt(st, 1, s.id, s.id != 0);
    bind_text(st, 2, s.mx_host);
    bind_text(st, 3, s.syslog_name);
    bind_int(st, 4, s.pid);
    bind_text(st, 5, s.client_ip);
    bind_text(st, 6, s.client_name);
    bind_int(st, 7, s.connect_at);
    bind_int(st, 8, static_cast<std::int64_t>(s.first_ord));
    bind_int(st, 9, s.failed);
    bind_int(st, 10, s.failure_at);
    bind_int(st, 11, static_cast<std::int64_t>(s.failure_ord));
    bind_text(st, 12, s.failure_reason);
    bind_text(st, 13, s.openssl_code);
    bind_int(st, 14, s.tls);
    bind_int(st, 15, s.tls_at);
    bind_int(st, 16, static_cast<std::int64_t>(s.tls_ord));
    bind_int(st, 17, s.messages);
    bind_text(st, 18, s.client_subnet);
    bind_text(st, 19, s.org_domain);
    bind_text(st, 20, i < state.open_evidence.size() ? encode_evidence(state.open_evidence[i]) : "");
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) {
      sqlite3_finalize(st);
      fail("save open sessions", rc);
    }
  }
  sqlite3_finalize(st);
  st = prepare("INSERT OR IGNORE INTO open_messages (message_id) VALUES (?1)");
  for (const auto& m : state.tracked_messages) {
    sqlite3_reset(st);
    bind_int(st, 1, m.id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) {
      sqlite3_finalize(st);
      fail("save open messages", rc);
    }
  }
  sqlite3_finalize(st);
}

void SqliteStore::record_run(const RunRecord& r) {
  sqlite3_stmt* st = prepare(
      "INSERT INTO runs (started_at, finished_at, inputs, lines, postfix_lines, unrecognised, "
      "malformed, truncated, sessions, failures, messages, new_incidents) VALUES "
      "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  bind_int(st, 1, r.started_at);
  bind_int(st, 2, r.finished_at);
  bind_text(st, 3, r.inputs);
  bind_int(st, 4, static_cast<std::int64_t>(r.lines));
  bind_int(st, 5, static_cast<std::int64_t>(r.postfix_lines));
  bind_int(st, 6, static_cast<std::int64_t>(r.unrecognised));
  bind_int(st, 7, static_cast<std::int64_t>(r.malformed));
  bind_int(st, 8, static_cast<std::int64_t>(r.truncated));
  bind_int(st, 9, static_cast<std::int64_t>(r.sessions));
  bind_int(st, 10, static_cast<std::int64_t>(r.failures));
  bind_int(st, 11, static_cast<std::int64_t>(r.messages));
  bind_int(st, 12, static_cast<std::int64_t>(r.new_incidents));
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) fail("record run", rc);
}

namespace {
void bind_params(sqlite3_stmt* st, const std::vector<std::pair<std::string, QueryParam>>& params) {
  for (const auto& [pname, value] : params) {
    int index = sqlite3_bind_parameter_index(st, (":" + pname).c_str());
    if (index == 0) continue;
    if (std::holds_alternative<std::int64_t>(value)) {
      sqlite3_bind_int64(st, index, std::get<std::int64_t>(value));
    } else if (std::holds_alternative<std::string>(value)) {
      const auto& s = std::get<std::string>(value);
      sqlite3_bind_text(st, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    }
  }
}

// The text of queries/NAME.sql, with {sender} replaced by the column that
// the "match" parameter chooses from a fixed list (never by caller text).
std::string named_sql(std::string_view name,
                      const std::vector<std::pair<std::string, QueryParam>>& params) {
  std::string file = "queries/" + std::string(name) + ".sql";
  std::string sql(embedded_file(file));
  if (sql.empty()) throw StoreError(StoreError::Kind::kFailed, "no query named " + std::string(name));
  std::string column = "client_ip";
  for (const auto& [pname, value] : params) {
    if (pname != "match" || !std::holds_alternative<std::string>(value)) continue;
    const auto& m = std::get<std::string>(value);
    if (m == "subnet") column = "subnet_key";
    else if (m == "org") column = "org_key";
    else if (m != "ip") throw StoreError(StoreError::Kind::kFailed, "unknown match '" + m + "'");
  }
  for (std::size_t pos; (pos = sql.find("{sender}")) != std::string::npos;) sql.replace(pos, 8, column);
  return sql;
}
}  // namespace

void SqliteStore::materialize(std::string_view name,
                              const std::vector<std::pair<std::string, QueryParam>>& params,
                              std::string_view table) {
  std::string sql = named_sql(name, params);
  while (!sql.empty() && (sql.back() == '\n' || sql.back() == ' ' || sql.back() == ';')) sql.pop_back();
  exec(("DROP TABLE IF EXISTS temp." + std::string(table)).c_str());
  std::string create = "CREATE TEMP TABLE " + std::string(table) + " AS " + std::string(sql);
  sqlite3_stmt* st = prepare(create);
  bind_params(st, params);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) fail("query " + std::string(name), rc);
}

ResultSet SqliteStore::query(std::string_view name,
                             const std::vector<std::pair<std::string, QueryParam>>& params) {
  sqlite3_stmt* st = prepare(named_sql(name, params));
  bind_params(st, params);
  ResultSet out;
  int ncol = sqlite3_column_count(st);
  for (int i = 0; i < ncol; ++i) out.columns.emplace_back(sqlite3_column_name(st, i));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    std::vector<Cell> row(static_cast<std::size_t>(ncol));
    for (int i = 0; i < ncol; ++i) {
      Cell& c = row[static_cast<std::size_t>(i)];
      switch (sqlite3_column_type(st, i)) {
        case SQLITE_NULL: c.type = Cell::Type::kNull; break;
        case SQLITE_INTEGER: c.type = Cell::Type::kInteger; c.text = col_text(st, i); break;
        case SQLITE_FLOAT: c.type = Cell::Type::kReal; c.text = col_text(st, i); break;
        default: c.type = Cell::Type::kText; c.text = col_text(st, i); break;
      }
    }
    out.rows.push_back(std::move(row));
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) fail("query " + std::string(name), rc);
  return out;
}

std::vector<InputRecord> SqliteStore::load_inputs() {
  std::vector<InputRecord> out;
  sqlite3_stmt* st = prepare(
      "SELECT id, path, fingerprint, device, inode, offset, lines, year, last_month, complete, "
      "pending_bytes, size, mtime, last_read_at FROM inputs ORDER BY id");
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    InputRecord r;
    r.id = col_int(st, 0);
    r.path = col_text(st, 1);
    const void* blob = sqlite3_column_blob(st, 2);
    r.fingerprint.assign(static_cast<const char*>(blob),
                         blob ? static_cast<std::size_t>(sqlite3_column_bytes(st, 2)) : 0);
    r.device = static_cast<std::uint64_t>(col_int(st, 3));
    r.inode = static_cast<std::uint64_t>(col_int(st, 4));
    r.offset = static_cast<std::uint64_t>(col_int(st, 5));
    r.lines = static_cast<std::uint64_t>(col_int(st, 6));
    if (sqlite3_column_type(st, 7) != SQLITE_NULL) r.year = static_cast<int>(col_int(st, 7));
    r.last_month = static_cast<unsigned>(col_int(st, 8));
    r.complete = col_int(st, 9) != 0;
    r.pending_bytes = static_cast<std::uint64_t>(col_int(st, 10));
    r.size = static_cast<std::uint64_t>(col_int(st, 11));
    r.mtime = col_int(st, 12);
    r.last_read_at = col_int(st, 13);
    out.push_back(std::move(r));
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) fail("load inputs", rc);
  return out;
}

void SqliteStore::save_input(InputRecord& r) {
  sqlite3_stmt* st = prepare(
      r.id == 0
          ? "INSERT INTO inputs (path, fingerprint, device, inode, offset, lines, year, last_month, "
            "complete, pending_bytes, size, mtime, last_read_at) VALUES "
            "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
          : "UPDATE inputs SET path = ?1, fingerprint = ?2, device = ?3, inode = ?4, offset = ?5, "
            "lines = ?6, year = ?7, last_month = ?8, complete = ?9, pending_bytes = ?10, size = ?11, "
            "mtime = ?12, last_read_at = ?13 WHERE id = ?14");
  bind_text(st, 1, r.path);
  sqlite3_bind_blob(st, 2, r.fingerprint.data(), static_cast<int>(r.fingerprint.size()),
                    SQLITE_TRANSIENT);
  bind_int(st, 3, static_cast<std::int64_t>(r.device));
  bind_int(st, 4, static_cast<std::int64_t>(r.inode));
  bind_int(st, 5, static_cast<std::int64_t>(r.offset));
  bind_int(st, 6, static_cast<std::int64_t>(r.lines));
  bind_opt(st, 7, r.year.value_or(0), r.year.has_value());
  bind_int(st, 8, r.last_month);
  bind_int(st, 9, r.complete);
  bind_int(st, 10, static_cast<std::int64_t>(r.pending_bytes));
  bind_int(st, 11, static_cast<std::int64_t>(r.size));
  bind_int(st, 12, r.mtime);
  bind_int(st, 13, r.last_read_at);
  if (r.id != 0) bind_int(st, 14, r.id);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) fail("save input", rc);
  if (r.id == 0) r.id = sqlite3_last_insert_rowid(db_);
}

void SqliteStore::save_outbound(OutboundRecord& r) {
  sqlite3_stmt* st =
      r.id == 0
          ? cached(kInsertOutbound,
                   "INSERT INTO outbound (mx_host, queue_id, relay_name, relay_ip, relay_port, "
                   "failure_at, failure_ord, failure_reason, openssl_code, failed_attempts, "
                   "plaintext_at, plaintext_ord, recipients, fallback_seen) VALUES (?1, ?2, ?3, "
                   "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)")
          : cached(kUpdateOutbound,
                   "UPDATE outbound SET mx_host = ?1, queue_id = ?2, relay_name = ?3, relay_ip = ?4, "
                   "relay_port = ?5, failure_at = ?6, failure_ord = ?7, failure_reason = ?8, "
                   "openssl_code = ?9, failed_attempts = ?10, plaintext_at = ?11, plaintext_ord = ?12, "
                   "recipients = ?13, fallback_seen = ?14 WHERE id = ?15");
  bind_text(st, 1, r.mx_host);
  bind_text(st, 2, r.queue_id);
  bind_text(st, 3, r.relay_name);
  bind_text(st, 4, r.relay_ip);
  bind_text(st, 5, r.relay_port);
  bind_int(st, 6, r.failure_at);
  bind_int(st, 7, static_cast<std::int64_t>(r.failure_ord));
  bind_text(st, 8, r.failure_reason);
  bind_text(st, 9, r.openssl_code);
  bind_int(st, 10, r.failed_attempts);
  bind_int(st, 11, r.plaintext_at);
  bind_int(st, 12, static_cast<std::int64_t>(r.plaintext_ord));
  bind_text(st, 13, join_lines(r.recipients));
  bind_int(st, 14, r.fallback_seen);
  if (r.id != 0) bind_int(st, 15, r.id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE) fail("save outbound", rc);
  if (r.id == 0) r.id = sqlite3_last_insert_rowid(db_);
}

namespace {
// The outbound tracker's pending state as text: records separated by RS
// (0x1e), fields by US (0x1f); log text never holds either (see
// encode_evidence), list fields (recipients) are joined by GS (0x1d).
class Fields {
 public:
  explicit Fields(std::string_view rec) : rec_(rec) {}
  std::string str() {
    auto end = rec_.find('\x1f', pos_);
    std::string out(rec_.substr(pos_, end == std::string_view::npos ? std::string_view::npos : end - pos_));
    pos_ = end == std::string_view::npos ? rec_.size() : end + 1;
    return out;
  }
  std::int64_t num() { return std::strtoll(str().c_str(), nullptr, 10); }

 private:
  std::string_view rec_;
  std::size_t pos_ = 0;
};

std::string safe(std::string_view s) {
  std::string c(s);
  for (char& ch : c)
    if (ch == '\x1d' || ch == '\x1e' || ch == '\x1f') ch = '?';
  return c;
}
}  // namespace

void SqliteStore::save_outbound_state(const OutboundState& state) {
  std::string text;
  auto put = [&](std::string_view v) { text += safe(v); text += '\x1f'; };
  auto num = [&](std::int64_t v) { text += std::to_string(v); text += '\x1f'; };
  for (const auto& f : state.failures) {
    put("F");
    put(f.mx_host); put(f.syslog_name); num(f.pid); put(f.relay_name); put(f.relay_ip);
    put(f.relay_port); num(f.failure_at); num(static_cast<std::int64_t>(f.failure_ord));
    put(f.failure_reason); put(f.openssl_code); num(f.seen_at);
    text += '\x1e';
  }
  for (const auto& m : state.messages) {
    const auto& r = m.record;
    std::string rcpts;
    for (const auto& x : r.recipients) { if (!rcpts.empty()) rcpts += '\x1d'; rcpts += safe(x); }
    put("M");
    num(r.id); put(r.mx_host); put(r.queue_id); put(r.relay_name); put(r.relay_ip); put(r.relay_port);
    num(r.failure_at); num(static_cast<std::int64_t>(r.failure_ord)); put(r.failure_reason);
    put(r.openssl_code); num(r.failed_attempts); num(r.plaintext_at);
    num(static_cast<std::int64_t>(r.plaintext_ord)); text += rcpts; text += '\x1f';
    num(r.fallback_seen); put(m.syslog_name); num(m.pid); num(static_cast<std::int64_t>(m.attempt_ord));
    num(m.fallback_open); num(m.seen_at);
    text += '\x1e';
  }
  sqlite3_stmt* st = prepare("INSERT INTO open_outbound (id, state) VALUES (1, ?1) "
                             "ON CONFLICT (id) DO UPDATE SET state = excluded.state");
  bind_text(st, 1, text);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) fail("save outbound state", rc);
}

OutboundState SqliteStore::load_outbound_state() {
  OutboundState state;
  sqlite3_stmt* st = prepare("SELECT state FROM open_outbound WHERE id = 1");
  int rc = sqlite3_step(st);
  std::string text = rc == SQLITE_ROW ? col_text(st, 0) : std::string();
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail("load outbound state", rc);
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\x1e', pos);
    if (end == std::string::npos) break;
    Fields f(std::string_view(text).substr(pos, end - pos));
    pos = end + 1;
    std::string kind = f.str();
    if (kind == "F") {
      OutboundPendingFailure p;
      p.mx_host = f.str(); p.syslog_name = f.str(); p.pid = static_cast<std::uint32_t>(f.num());
      p.relay_name = f.str(); p.relay_ip = f.str(); p.relay_port = f.str();
      p.failure_at = f.num(); p.failure_ord = static_cast<std::uint64_t>(f.num());
      p.failure_reason = f.str(); p.openssl_code = f.str(); p.seen_at = f.num();
      state.failures.push_back(std::move(p));
    } else if (kind == "M") {
      OutboundPendingMessage m;
      auto& r = m.record;
      r.id = f.num(); r.mx_host = f.str(); r.queue_id = f.str(); r.relay_name = f.str();
      r.relay_ip = f.str(); r.relay_port = f.str(); r.failure_at = f.num();
      r.failure_ord = static_cast<std::uint64_t>(f.num()); r.failure_reason = f.str();
      r.openssl_code = f.str(); r.failed_attempts = static_cast<int>(f.num()); r.plaintext_at = f.num();
      r.plaintext_ord = static_cast<std::uint64_t>(f.num());
      std::string rcpts = f.str();
      for (std::size_t a = 0; !rcpts.empty() && a <= rcpts.size();) {
        std::size_t b = rcpts.find('\x1d', a);
        r.recipients.push_back(rcpts.substr(a, b == std::string::npos ? std::string::npos : b - a));
        if (b == std::string::npos) break;
        a = b + 1;
      }
      r.fallback_seen = f.num() != 0; m.syslog_name = f.str(); m.pid = static_cast<std::uint32_t>(f.num());
      m.attempt_ord = static_cast<std::uint64_t>(f.num()); m.fallback_open = f.num() != 0;
      m.seen_at = f.num();
      state.messages.push_back(std::move(m));
    }
  }
  return state;
}

}  // namespace pftls
