// sqlite_columns: each stored record's columns, stated once as a table of
// fields (column name and member), and the generic code that builds SQL
// from such a table, binds a record's fields and reads them back.
//
// Contract: xxx_fields() lists the columns of a record in bind order; the
// tables that hold the record (queries/schema.sql) have these columns.
// bind_fields(st, first, r, fields) binds them as parameters first,
// first+1, ...; read_fields(st, first, r, fields) reads them from result
// columns first, first+1, ... Text is bound without a copy
// (Statement::bind_kept): the record must outlive the statement's step.
// Lists of addresses are stored one per line.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "correlate/records.h"
#include "input/input_catalog.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace pftls {

// One field of a record R: its column and its member.
template <typename R>
struct Field {
  using Member =
      std::variant<std::string R::*, std::vector<std::string> R::*, std::int64_t R::*,
                   std::uint64_t R::*, unsigned R::*, int R::*, bool R::*, std::optional<int> R::*>;
  std::string_view column;
  Member member;
  bool (*known)(const R&) = nullptr;  // under Nulls::kForQueries: NULL unless known(r)
  bool blob = false;                  // a std::string bound as a blob
};
template <typename R>
using Fields = std::span<const Field<R>>;

Fields<SessionRecord> session_fields();
Fields<MessageRecord> message_fields();    // all but id
Fields<OutboundRecord> outbound_fields();  // all but id
Fields<OutboundPendingFailure> pending_failure_fields();
Fields<OutboundPendingMessage> pending_message_fields();  // its own, not its record's
Fields<InputRecord> input_fields();                       // all but id
Fields<RunRecord> run_fields();                           // all but drops
Fields<DropCounts> drop_fields();

// "a, b, c"
template <typename R>
std::string columns(Fields<R> fields) {
  std::string out;
  for (const auto& f : fields) {
    if (!out.empty()) out += ", ";
    out += f.column;
  }
  return out;
}
// "INSERT INTO table (columns) VALUES (?1, ..., ?N)".
std::string insert_sql(std::string_view table, const std::string& columns, int count);
template <typename R>
std::string insert_sql(std::string_view table, Fields<R> fields) {
  return insert_sql(table, columns(fields), static_cast<int>(fields.size()));
}
// "UPDATE table SET c1 = ?1, ..., cN = ?N WHERE id = ?N+1".
template <typename R>
std::string update_sql(std::string_view table, Fields<R> fields) {
  std::string sql = "UPDATE " + std::string(table) + " SET ";
  int i = 0;
  for (const auto& f : fields) {
    if (i++ > 0) sql += ", ";
    sql += std::string(f.column) + " = ?" + std::to_string(i);
  }
  return sql + " WHERE id = ?" + std::to_string(i + 1);
}

std::string join_lines(const std::vector<std::string>& v);
std::vector<std::string> split_lines(const std::string& text);

// kForQueries: what is unknown is NULL (Field::known); kExact: every field
// as it is, so that read_fields() gives the same record back.
enum class Nulls { kForQueries, kExact };

namespace column_detail {
inline void bind_value(Statement& st, int k, const std::string& v, bool blob) {
  blob ? st.bind_blob(k, v) : st.bind_kept(k, v);
}
inline void bind_value(Statement& st, int k, const std::vector<std::string>& v, bool) {
  st.bind_text(k, join_lines(v));
}
inline void bind_value(Statement& st, int k, const std::optional<int>& v, bool) {
  st.bind_opt(k, v.value_or(0), v.has_value());
}
template <typename N>
requires std::is_arithmetic_v<N>
void bind_value(Statement& st, int k, N v, bool) { st.bind(k, static_cast<std::int64_t>(v)); }

inline void read_value(const Statement& st, int k, std::string& v, bool blob) {
  v = blob ? st.column_blob(k) : st.column_text(k);
}
inline void read_value(const Statement& st, int k, std::vector<std::string>& v, bool) {
  v = split_lines(st.column_text(k));
}
inline void read_value(const Statement& st, int k, std::optional<int>& v, bool) {
  v.reset();
  if (!st.column_null(k)) v = static_cast<int>(st.column_int(k));
}
template <typename N>
requires std::is_arithmetic_v<N>
void read_value(const Statement& st, int k, N& v, bool) { v = static_cast<N>(st.column_int(k)); }
}  // namespace column_detail

template <typename R>
void bind_fields(Statement& st, int first, const R& r, Fields<R> fields,
                 Nulls nulls = Nulls::kExact) {
  int k = first;
  for (const auto& f : fields) {
    if (nulls == Nulls::kForQueries && f.known && !f.known(r)) {
      st.bind_null(k++);
      continue;
    }
    std::visit([&](auto m) { column_detail::bind_value(st, k, r.*m, f.blob); }, f.member);
    ++k;
  }
}

template <typename R>
void read_fields(const Statement& st, int first, R& r, Fields<R> fields) {
  int k = first;
  for (const auto& f : fields) {
    std::visit([&](auto m) { column_detail::read_value(st, k, r.*m, f.blob); }, f.member);
    ++k;
  }
}

}  // namespace pftls
