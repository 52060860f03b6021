// named_query: runs queries/NAME.sql, after what the query needs.
//
// Contract: only the queries in the manifest below run; each gets the
// named parameters it uses (others are ignored), bound, never pasted. The
// one text put into a query is {sender}: a column chosen by the "match"
// parameter from a fixed list. The manifest says what a query needs before
// it runs: a window (window_us; the effective window when not given) and
// temp.incidents_now (the incidents query's rows over the same parameters,
// for all clients), which the runner makes and keeps while the parameters
// stay the same.
#include <algorithm>
#include <array>
#include <charconv>

#include "base/embedded_data.h"
#include "store/query_manifest.h"
#include "store/sqlite_store.h"

namespace pftls {
namespace {

// The text of queries/NAME.sql, with {sender} replaced by the column that
// the "match" parameter chooses from a fixed list (never by caller text).
std::string named_sql(std::string_view name, const QueryParams& params) {
  std::string sql(embedded_file("queries/" + std::string(name) + ".sql"));
  if (sql.empty())
    throw StoreError(StoreError::Kind::kFailed, "no query named " + std::string(name));
  const std::string column = sender_column(params);
  for (std::size_t pos; (pos = sql.find("{sender}")) != std::string::npos;)
    sql.replace(pos, 8, column);
  return sql;
}

void bind_params(Statement& st, const QueryParams& params) {
  for (const auto& [pname, value] : params) {
    const int index = st.parameter_index(":" + pname);
    if (index == 0) continue;
    if (const auto* n = std::get_if<std::int64_t>(&value)) st.bind(index, *n);
    if (const auto* s = std::get_if<std::string>(&value)) st.bind_text(index, *s);
  }
}

bool has_param(const QueryParams& params, std::string_view name) {
  return std::any_of(params.begin(), params.end(), [&](const auto& p) {
    return p.first == name && !std::holds_alternative<std::monostate>(p.second);
  });
}

}  // namespace

void SqliteStore::materialize_incidents(const QueryParams& params, const NamedQuery& q) {
  QueryParams all = incidents_scope(params, q);
  if (incidents_now_ == all) return;
  const std::string sql = as_table_body(named_sql("incidents", all));
  db_->exec("DROP TABLE IF EXISTS temp.incidents_now", "query incidents");
  incidents_now_.reset();
  Statement st = db_->prepare("CREATE TEMP TABLE incidents_now AS " + sql, "query incidents");
  bind_params(st, all);
  st.run();
  // clients.sql asks it once per client: an index keeps that a look-up.
  db_->exec("CREATE INDEX temp.incidents_now_client ON incidents_now (client_ip)",
            "query incidents");
  incidents_now_ = std::move(all);
}

ResultSet SqliteStore::query(std::string_view name, const QueryParams& given) {
  ResultSet out;
  ResultCollector collect(out);
  query_rows(name, given, collect);
  return out;
}

std::string SqliteStore::query_plan(std::string_view name, const QueryParams& given) {
  const NamedQuery& q = query_manifest(name);
  QueryParams params = given;
  if (q.needs_window && !has_param(params, "window_us")) {
    params.emplace_back("window_us", effective_window(*this, std::nullopt) * kMicrosPerSecond);
  }
  if (q.on_incidents) materialize_incidents(params, q);
  Statement st =
      db_->prepare("EXPLAIN QUERY PLAN " + named_sql(name, params), "explain " + std::string(name));
  bind_params(st, params);
  std::string out;
  while (st.step()) {
    out += std::to_string(st.column_int(1)) + " " + std::to_string(st.column_int(0)) + " " +
           st.column_text(3) + "\n";
  }
  return out;
}

// Each row goes to `sink` as SQLite steps to it: one row in memory at a time.
void SqliteStore::query_rows(std::string_view name, const QueryParams& given, RowSink& sink) {
  const NamedQuery& q = query_manifest(name);
  QueryParams params = given;
  if (q.needs_window && !has_param(params, "window_us")) {
    params.emplace_back("window_us", effective_window(*this, std::nullopt) * kMicrosPerSecond);
  }
  if (q.on_incidents) materialize_incidents(params, q);
  Statement st = db_->prepare(named_sql(name, params), "query " + std::string(name));
  bind_params(st, params);
  const int ncol = st.column_count();
  std::vector<std::string> columns;
  columns.reserve(static_cast<std::size_t>(ncol));
  for (int i = 0; i < ncol; ++i) columns.push_back(st.column_name(i));
  sink.begin(columns);
  // The cells keep their buffers from row to row (or trade them with a sink
  // that takes them): a row costs no allocation once the widest values
  // have been seen. Every cell is set for every row.
  std::vector<Cell> row(static_cast<std::size_t>(ncol));
  while (st.step()) {
    for (int i = 0; i < ncol; ++i) {
      Cell& c = row[static_cast<std::size_t>(i)];
      c.text.clear();
      switch (st.column_type(i)) {
        case Statement::Type::kNull:
          c.type = Cell::Type::kNull;
          continue;
        case Statement::Type::kInteger: {
          // SQLite's own text of an integer is the same digits, made in a
          // buffer of its own first.
          c.type = Cell::Type::kInteger;
          char digits[24];
          const auto r = std::to_chars(digits, digits + sizeof digits, st.column_int(i));
          c.text.assign(digits, r.ptr);
          continue;
        }
        case Statement::Type::kReal:
          c.type = Cell::Type::kReal;
          break;
        case Statement::Type::kText:
          c.type = Cell::Type::kText;
          break;
      }
      c.text.assign(st.column_view(i));
    }
    if (!sink.take_row(row)) break;
  }
  sink.end();
}

}  // namespace pftls
