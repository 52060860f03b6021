// sqlite_db: SQLite through RAII. Db owns a connection, Statement a
// prepared statement, Transaction a transaction, OpenLock the directory
// lock held while a database is opened for writing.
//
// Contract: every failing SQLite call throws a StoreError naming the
// database and the step that failed (kBusy when SQLite reports the database
// busy or locked). A Statement is finalized by its destructor, a
// Transaction that was not committed is rolled back by its destructor, a Db
// is closed by its destructor; nothing else frees SQLite handles. Values
// reach SQL only as bound parameters. Not thread-safe (SQLITE_OPEN_NOMUTEX).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/store_error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace pftls {

class Db;

class Statement {
 public:
  // `what` names the statement's job in error messages ("save session").
  Statement(Db& db, std::string_view sql, std::string what);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are numbered from 1. bind_text() copies the text.
  // bind_kept() does not (SQLITE_STATIC): `v` must stay alive and unchanged
  // until the statement has been stepped; reset() clears every binding, so a
  // reused statement never reads a stale pointer.
  void bind(int i, std::int64_t v);
  void bind_text(int i, std::string_view v);
  void bind_kept(int i, std::string_view v);
  void bind_blob(int i, std::string_view v);
  void bind_null(int i);
  void bind_opt(int i, std::int64_t v, bool present) { present ? bind(i, v) : bind_null(i); }
  // The index of parameter ":name", 0 when the statement has none.
  int parameter_index(const std::string& name) const;

  // Steps once: true when a row is ready, false when done.
  bool step();
  // Steps a statement that returns no rows.
  void run();
  // Ready for another execution, with no bindings.
  void reset();

  int column_count() const;
  std::string column_name(int i) const;
  enum class Type { kNull, kInteger, kReal, kText };  // a blob reads as kText
  Type column_type(int i) const;
  bool column_null(int i) const { return column_type(i) == Type::kNull; }
  std::int64_t column_int(int i) const;
  std::string column_text(int i) const;  // NULL reads as ""
  // The text of column i, valid until the next step() or reset().
  std::string_view column_view(int i) const;
  std::string column_blob(int i) const;
  // Column i in one call: its type, and its integer (kInteger) or its text
  // (kReal, kText: valid until the next step() or reset()). For the rows of
  // a listing, where SQLite's per-call checks of column_type() and then
  // column_int() or column_view() were a tenth of the work.
  Type column_value(int i, std::int64_t& integer, std::string_view& text) const;

 private:
  Db* db_;
  sqlite3_stmt* st_ = nullptr;
  std::string what_;
};

class Db {
 public:
  enum class Mode { kReadWrite, kReadOnly };
  // Opens (kReadWrite: creates) the file; busy_timeout_ms: how long a
  // statement waits for another connection's lock. kReadOnly first checks
  // that this user may read the file and its -wal and -shm files (a
  // StoreError "cannot read database FILE: strerror" otherwise). Every
  // connection keeps the -wal and -shm files when it closes.
  Db(const std::string& path, Mode mode, int busy_timeout_ms);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  const std::string& path() const { return path_; }
  Statement prepare(std::string_view sql, std::string what) {
    return {*this, sql, std::move(what)};
  }
  // Runs SQL text without parameters (pragmas, schema, transaction control).
  void exec(const std::string& sql, std::string_view what);
  std::int64_t last_insert_rowid() const;
  // Rows the last INSERT, UPDATE or DELETE changed.
  std::int64_t changes() const;
  std::int64_t user_version();
  // Gives the -wal and -shm files the database file's read and write bits,
  // so whoever may read the database may read them (a database chmod-ed
  // after they were made, say). Best effort.
  void align_wal_modes() const;
  [[noreturn]] void fail(std::string_view what, int rc) const;

 private:
  friend class Statement;
  std::string path_;
  sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE on construction; rolled back by the destructor unless
// commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Db& db_;
  bool open_ = true;
};

// Serialises the opening of a database for writing between pftls
// processes: switching a new database to WAL deletes its rollback journal,
// and two processes doing that at once fail with SQLITE_IOERR_FSTAT or
// _DELETE_NOENT. An flock on the database's directory (not on the database
// file: closing another descriptor of it would drop SQLite's own POSIX
// locks) is held from opening to the end of the schema check, waiting at
// most wait_ms (then a kBusy StoreError). Best effort where the directory
// cannot be opened; the lock goes with the descriptor, also when a process
// dies.
class OpenLock {
 public:
  OpenLock(const std::string& db_path, int wait_ms);
  ~OpenLock();
  OpenLock(const OpenLock&) = delete;
  OpenLock& operator=(const OpenLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace pftls
