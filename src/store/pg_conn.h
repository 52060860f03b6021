// pg_conn: PostgreSQL through libpq and RAII. PgConn owns a connection,
// PgResult a result, PgParams the bound parameters of one statement.
//
// Contract: every failing libpq call throws a StoreError that names the
// server by its masked location (pg_location_label: no password, ever) and
// the step that failed. A server that cannot be reached or goes away (no
// connection, SQLSTATE class 08, 57P01..57P03) is kBusy: the caller exits 75
// and cron tries again; anything else is kFailed. Values reach SQL only as
// parameters (PQexecParams / PQexecPrepared); text is sent as text, blobs as
// binary bytea. Text PostgreSQL would refuse (invalid UTF-8, NUL) is sent
// with each bad byte as U+FFFD: the client encoding is always UTF8. Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "store/store_error.h"

struct pg_conn;
struct pg_result;

namespace pftls {

// True for a location pftls opens with PostgreSQL (postgresql:// or postgres://).
bool is_postgres_location(std::string_view location);
// `location` with any password (user:PASSWORD@, password=PASSWORD) masked as ***.
std::string pg_location_label(std::string_view location);

class PgParams {
 public:
  void add(std::int64_t v);
  void add_text(std::string_view v);
  void add_blob(std::string_view v);
  void add_null();
  void add_opt(std::int64_t v, bool present) { present ? add(v) : add_null(); }
  std::size_t size() const { return values_.size(); }
  void clear();

 private:
  friend class PgConn;
  std::vector<std::optional<std::string>> values_;
  std::vector<unsigned> types_;  // Oids
  std::vector<int> formats_;
};

class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(pg_result* r) : r_(r) {}
  ~PgResult();
  PgResult(PgResult&& other) noexcept : r_(other.r_) { other.r_ = nullptr; }
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  int rows() const;
  int columns() const;
  std::string column_name(int c) const;
  unsigned column_type(int c) const;  // the Oid
  bool is_null(int r, int c) const;
  std::string_view text(int r, int c) const;  // NULL reads as ""
  std::int64_t int64(int r, int c) const;     // NULL reads as 0
  std::string blob(int r, int c) const;       // a bytea column (text form)
  std::int64_t affected() const;              // rows an INSERT, UPDATE or DELETE changed

 private:
  pg_result* r_ = nullptr;
};

class PgConn {
 public:
  // Connects (libpq's ways to find credentials: ~/.pgpass, PGPASSFILE,
  // PGSERVICE, the environment). Unreachable: kBusy naming the server.
  explicit PgConn(const std::string& location);
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  const std::string& label() const { return label_; }
  // True inside a transaction block (BEGIN .. COMMIT/ROLLBACK).
  bool in_transaction() const;
  // SQL without parameters; may hold several statements (schema, BEGIN).
  void exec_script(const std::string& sql, std::string_view what);
  PgResult exec(const std::string& sql, PgParams& params, std::string_view what);
  PgResult exec(const std::string& sql, PgParams&& params, std::string_view what) {
    return exec(sql, params, what);
  }
  PgResult exec(const std::string& sql, std::string_view what) {
    PgParams none;
    return exec(sql, none, what);
  }
  // Prepared once under `name` (the first call's `sql`), then executed.
  PgResult exec_prepared(const std::string& name, const std::string& sql, PgParams& params,
                         std::string_view what);
  // Sends `lines` (COPY text format rows, each ending in \n) to a COPY ... FROM STDIN.
  void copy_in(const std::string& copy_sql, const std::string& lines, std::string_view what);

  [[noreturn]] void fail(std::string_view what, const pg_result* r) const;
  // Masks every known password in `text`.
  std::string mask(std::string text) const;

 private:
  PgResult check(pg_result* r, std::string_view what) const;
  pg_conn* conn_ = nullptr;
  std::string label_;
  std::vector<std::string> secrets_;  // passwords to mask in messages
  std::set<std::string> prepared_;
};

// `text` as PostgreSQL text holds it: each byte that is not part of valid
// UTF-8, and NUL, as U+FFFD.
std::string pg_clean_text(std::string_view text);
// Escapes a value for COPY's text format (backslash, tab, newline, CR).
void append_copy_text(std::string& out, std::string_view v);

}  // namespace pftls
