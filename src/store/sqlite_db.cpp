// sqlite_db: the SQLite handles behind RAII owners (see sqlite_db.h).
#include "store/sqlite_db.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "store/sqlite_functions.h"

namespace pftls {

Statement::Statement(Db& db, std::string_view sql, std::string what)
    : db_(&db), what_(std::move(what)) {
  int rc = sqlite3_prepare_v2(db.db_, sql.data(), static_cast<int>(sql.size()), &st_, nullptr);
  if (rc != SQLITE_OK) db.fail("prepare " + what_, rc);
}

Statement::~Statement() { sqlite3_finalize(st_); }

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), st_(other.st_), what_(std::move(other.what_)) {
  other.st_ = nullptr;
}

void Statement::bind(int i, std::int64_t v) { sqlite3_bind_int64(st_, i, v); }
void Statement::bind_text(int i, std::string_view v) {
  sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
void Statement::bind_kept(int i, std::string_view v) {
  sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
void Statement::bind_blob(int i, std::string_view v) {
  sqlite3_bind_blob(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
void Statement::bind_null(int i) { sqlite3_bind_null(st_, i); }

int Statement::parameter_index(const std::string& name) const {
  return sqlite3_bind_parameter_index(st_, name.c_str());
}

bool Statement::step() {
  int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) db_->fail(what_, rc);
  return false;
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(st_);
  sqlite3_clear_bindings(st_);
}

int Statement::column_count() const { return sqlite3_column_count(st_); }
std::string Statement::column_name(int i) const { return sqlite3_column_name(st_, i); }
Statement::Type Statement::column_type(int i) const {
  switch (sqlite3_column_type(st_, i)) {
    case SQLITE_NULL:
      return Type::kNull;
    case SQLITE_INTEGER:
      return Type::kInteger;
    case SQLITE_FLOAT:
      return Type::kReal;
    default:
      return Type::kText;
  }
}
std::int64_t Statement::column_int(int i) const { return sqlite3_column_int64(st_, i); }
std::string Statement::column_text(int i) const {
  const unsigned char* p = sqlite3_column_text(st_, i);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(st_, i)))
           : std::string();
}
std::string_view Statement::column_view(int i) const {
  const unsigned char* p = sqlite3_column_text(st_, i);
  return p ? std::string_view(reinterpret_cast<const char*>(p),
                              static_cast<std::size_t>(sqlite3_column_bytes(st_, i)))
           : std::string_view();
}
Statement::Type Statement::column_value(int i, std::int64_t& integer,
                                        std::string_view& text) const {
  // The value is only read here, on the connection's one thread (SQLite
  // calls an unprotected value's use not thread-safe, nothing more).
  sqlite3_value* v = sqlite3_column_value(st_, i);
  // The type before sqlite3_value_text() converts a number.
  const int type = sqlite3_value_type(v);
  if (type == SQLITE_NULL) return Type::kNull;
  if (type == SQLITE_INTEGER) {
    integer = sqlite3_value_int64(v);
    return Type::kInteger;
  }
  const unsigned char* p = sqlite3_value_text(v);
  text = p ? std::string_view(reinterpret_cast<const char*>(p),
                              static_cast<std::size_t>(sqlite3_value_bytes(v)))
           : std::string_view();
  return type == SQLITE_FLOAT ? Type::kReal : Type::kText;
}

std::string Statement::column_blob(int i) const {
  const void* p = sqlite3_column_blob(st_, i);
  return p ? std::string(static_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(st_, i)))
           : std::string();
}

namespace {

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

[[noreturn]] void cannot_read(const std::string& file, int err) {
  throw StoreError(StoreError::Kind::kFailed,
                   "cannot read database " + file + ": " + std::strerror(err));
}

// What a read-only connection needs, checked before SQLite is asked: SQLite
// would report a file it may not read or create as "attempt to write a
// readonly database". The database and its -wal and -shm files readable,
// and those two present (the writer keeps them: SQLITE_FCNTL_PERSIST_WAL)
// or creatable in the directory.
void check_readable(const std::string& path) {
  if (::access(path.c_str(), R_OK) != 0) cannot_read(path, errno);
  bool missing = false;
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::string file = path + suffix;
    if (::access(file.c_str(), R_OK) == 0) continue;
    if (errno != ENOENT) cannot_read(file, errno);
    missing = true;
  }
  const std::string dir = directory_of(path);
  if (missing && ::access(dir.c_str(), W_OK) != 0) {
    const int err = errno;
    throw StoreError(StoreError::Kind::kFailed,
                     "cannot read database " + path + ": its -wal and -shm files are missing and " +
                         dir + " is not writable (" + std::strerror(err) +
                         "); one 'pftls ingest' run by its owner creates and keeps them");
  }
}

// SQLite counts every allocation it makes under one process-wide mutex
// unless told not to before it initialises; pftls never reads those counts
// (sqlite3_memory_used and the like). Off: a listing of a million rows took
// a lock and an unlock for each of the allocations a row makes. A no-op
// (SQLITE_MISUSE, ignored) once SQLite is initialised.
void skip_memory_statistics() {
  static const bool done = [] {
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)done;
}

}  // namespace

Db::Db(const std::string& path, Mode mode, int busy_timeout_ms) : path_(path) {
  skip_memory_statistics();
  if (mode == Mode::kReadOnly) check_readable(path);
  int flags =
      mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    const int sys = db_ ? sqlite3_system_errno(db_) : 0;
    if (sys != 0) msg += std::string(" (") + std::strerror(sys) + ")";  // the system's reason
    sqlite3_close(db_);
    throw StoreError(StoreError::Kind::kFailed, "cannot open database " + path + ": " + msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  if (!register_sqlite_functions(db_)) {
    const std::string msg = sqlite3_errmsg(db_);
    sqlite3_close(db_);
    throw StoreError(StoreError::Kind::kFailed,
                     "cannot open database " + path + ": its SQL functions: " + msg);
  }
  // The -wal and -shm files stay when the last connection closes (the WAL
  // checkpointed and emptied): a user who may read the database but not
  // write its directory can then read it too (SQLite's "read-only WAL").
  int persist = 1;
  sqlite3_file_control(db_, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
}

void Db::align_wal_modes() const {
  struct stat db_st;
  if (::stat(path_.c_str(), &db_st) != 0) return;
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::string file = path_ + suffix;
    struct stat st;
    if (::stat(file.c_str(), &st) != 0 || (st.st_mode & 07777) == (db_st.st_mode & 0666)) continue;
    (void)::chmod(file.c_str(), db_st.st_mode & 0666);  // best effort: not ours, say
  }
}

Db::~Db() { sqlite3_close(db_); }

void Db::fail(std::string_view what, int rc) const {
  int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    throw StoreError(
        StoreError::Kind::kBusy,
        "database " + path_ + " is locked by another pftls run (" + std::string(what) + ")");
  }
  std::string reason = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  // A file that could not be opened, read or written: the system's reason too.
  const int sys = db_ ? sqlite3_system_errno(db_) : 0;
  if (sys != 0 && (primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR ||
                   primary == SQLITE_READONLY || primary == SQLITE_FULL)) {
    reason += std::string(" (") + std::strerror(sys) + ")";
  }
  throw StoreError(StoreError::Kind::kFailed,
                   "database " + path_ + ": " + std::string(what) + ": " + reason);
}

void Db::exec(const std::string& sql, std::string_view what) {
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(what, rc);
}

std::int64_t Db::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

std::int64_t Db::changes() const { return sqlite3_changes64(db_); }

std::int64_t Db::user_version() {
  Statement st = prepare("PRAGMA user_version", "read schema version");
  if (!st.step()) fail("read schema version", SQLITE_ERROR);
  return st.column_int(0);
}

Transaction::Transaction(Db& db) : db_(db) { db_.exec("BEGIN IMMEDIATE", "BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!open_) return;
  try {
    db_.exec("ROLLBACK", "ROLLBACK");
  } catch (const StoreError&) {
    // SQLite has rolled back already (an I/O error ends the transaction).
  }
}

void Transaction::commit() {
  db_.exec("COMMIT", "COMMIT");
  open_ = false;
}

OpenLock::OpenLock(const std::string& db_path, int wait_ms) {
  const auto slash = db_path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : db_path.substr(0, slash);
  fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_ < 0) return;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) return;  // no locking here: go on without
    if (std::chrono::steady_clock::now() >= deadline) {
      ::close(fd_);
      fd_ = -1;
      throw StoreError(StoreError::Kind::kBusy,
                       "database " + db_path + " is locked by another pftls run (opening)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

OpenLock::~OpenLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace pftls
