// pg_columns: the field tables of sqlite_columns.h (each record's columns,
// stated once) bound to and read from PostgreSQL statements.
//
// Contract: as sqlite_columns.h, with PostgreSQL's forms: parameters are
// $1..$N, every column name is quoted ("offset" is reserved there), blobs
// are bytea. pg_bind_fields() appends a record's fields to a PgParams;
// pg_read_fields() reads them from a result row's columns first, first+1, ...
#pragma once

#include <string>
#include <string_view>
#include <type_traits>

#include "store/pg_conn.h"
#include "store/sqlite_columns.h"

namespace pftls {

// "\"a\", \"b\""
template <typename R>
std::string pg_columns(Fields<R> fields) {
  std::string out;
  for (const auto& f : fields) {
    if (!out.empty()) out += ", ";
    out += '"';
    out += f.column;
    out += '"';
  }
  return out;
}
// "INSERT INTO table (columns) VALUES ($1, ..., $N)".
std::string pg_insert_sql(std::string_view table, const std::string& columns, int count);
template <typename R>
std::string pg_insert_sql(std::string_view table, Fields<R> fields) {
  return pg_insert_sql(table, pg_columns(fields), static_cast<int>(fields.size()));
}
// "UPDATE table SET \"c1\" = $1, ... WHERE id = $N+1".
template <typename R>
std::string pg_update_sql(std::string_view table, Fields<R> fields) {
  std::string sql = "UPDATE " + std::string(table) + " SET ";
  int i = 0;
  for (const auto& f : fields) {
    if (i++ > 0) sql += ", ";
    sql += '"' + std::string(f.column) + "\" = $" + std::to_string(i);
  }
  return sql + " WHERE id = $" + std::to_string(i + 1);
}

namespace pg_column_detail {
inline void bind_value(PgParams& p, const std::string& v, bool blob) {
  blob ? p.add_blob(v) : p.add_text(v);
}
inline void bind_value(PgParams& p, const std::vector<std::string>& v, bool) {
  p.add_text(join_lines(v));
}
inline void bind_value(PgParams& p, const std::optional<int>& v, bool) {
  p.add_opt(v.value_or(0), v.has_value());
}
template <typename N>
requires std::is_arithmetic_v<N>
void bind_value(PgParams& p, N v, bool) { p.add(static_cast<std::int64_t>(v)); }

inline void read_value(const PgResult& r, int row, int k, std::string& v, bool blob) {
  v = blob ? r.blob(row, k) : std::string(r.text(row, k));
}
inline void read_value(const PgResult& r, int row, int k, std::vector<std::string>& v, bool) {
  v = split_lines(std::string(r.text(row, k)));
}
inline void read_value(const PgResult& r, int row, int k, std::optional<int>& v, bool) {
  v.reset();
  if (!r.is_null(row, k)) v = static_cast<int>(r.int64(row, k));
}
template <typename N>
requires std::is_arithmetic_v<N>
void read_value(const PgResult& r, int row, int k, N& v, bool) {
  v = static_cast<N>(r.int64(row, k));
}
}  // namespace pg_column_detail

template <typename R>
void pg_bind_fields(PgParams& p, const R& r, Fields<R> fields, Nulls nulls = Nulls::kExact) {
  for (const auto& f : fields) {
    if (nulls == Nulls::kForQueries && f.known && !f.known(r)) {
      p.add_null();
      continue;
    }
    std::visit([&](auto m) { pg_column_detail::bind_value(p, r.*m, f.blob); }, f.member);
  }
}

template <typename R>
void pg_read_fields(const PgResult& res, int row, int first, R& r, Fields<R> fields) {
  int k = first;
  for (const auto& f : fields) {
    std::visit([&](auto m) { pg_column_detail::read_value(res, row, k, r.*m, f.blob); }, f.member);
    ++k;
  }
}

}  // namespace pftls
