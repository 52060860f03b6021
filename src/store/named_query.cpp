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
#include <optional>
#include <string>

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

namespace {

// Cells [at, at + count) of `row` from columns [from, from + count) of the
// current row of `st`. The cells keep their buffers from row to row (or
// trade them with a sink that takes them): a row costs no allocation once
// the widest values have been seen. Every cell is set for every row.
void read_cells(const Statement& st, int from, int count, std::vector<Cell>& row, std::size_t at) {
  for (int i = 0; i < count; ++i) {
    Cell& c = row[at + static_cast<std::size_t>(i)];
    std::int64_t n = 0;
    std::string_view text;
    switch (st.column_value(from + i, n, text)) {
      case Statement::Type::kNull:
        c.type = Cell::Type::kNull;
        c.text.clear();
        continue;
      case Statement::Type::kInteger: {
        // SQLite's own text of an integer is the same digits, made in a
        // buffer of its own first.
        c.type = Cell::Type::kInteger;
        char digits[24];
        const auto r = std::to_chars(digits, digits + sizeof digits, n);
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
    c.text.assign(text);
  }
}

}  // namespace

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
  // The joined query (query_manifest.h), stepped beside this one: both on
  // this connection, so in one read transaction, one state of the data.
  // Its columns after the key: where each goes in the row (one named as a
  // column of this query replaces it where the joined query has the key).
  std::optional<Statement> joined;
  std::vector<std::size_t> target;
  std::vector<std::size_t> appended;  // the targets beyond this query's columns
  if (!q.joined.empty()) {
    joined.emplace(db_->prepare(named_sql(q.joined, params), "query " + std::string(q.joined)));
    bind_params(*joined, params);
    for (int i = 1; i < joined->column_count(); ++i) {
      const std::string column = joined->column_name(i);
      const auto at = static_cast<std::size_t>(
          std::find(columns.begin(), columns.begin() + ncol, column) - columns.begin());
      if (at == static_cast<std::size_t>(ncol)) {
        appended.push_back(columns.size());
        columns.push_back(column);
        target.push_back(appended.back());
      } else {
        target.push_back(at);
      }
    }
  }
  sink.begin(columns);
  std::vector<Cell> row(columns.size());
  const auto out_of_order = [](std::string_view query) {
    return StoreError(StoreError::Kind::kFailed,
                      "query " + std::string(query) + " gave its rows out of key order");
  };
  bool joined_row = joined && joined->step();
  std::string key, joined_key;  // the last keys, to check the order
  if (joined_row) joined_key.assign(joined->column_view(0));
  while (st.step()) {
    read_cells(st, 0, ncol, row, 0);
    if (joined) {
      const std::string_view k = st.column_view(0);
      if (k.compare(key) < 0) throw out_of_order(name);
      key.assign(k);
      int order = 1;  // joined_key against k
      while (joined_row && (order = std::string_view(joined_key).compare(k)) < 0) {
        joined_row = joined->step();
        if (!joined_row) break;
        const std::string_view next = joined->column_view(0);
        if (next.compare(joined_key) <= 0) throw out_of_order(q.joined);
        joined_key.assign(next);
      }
      if (joined_row && order == 0) {
        for (std::size_t i = 0; i < target.size(); ++i)
          read_cells(*joined, static_cast<int>(i) + 1, 1, row, target[i]);
      } else {
        for (const std::size_t i : appended) {
          row[i].type = Cell::Type::kNull;
          row[i].text.clear();
        }
      }
    }
    if (!sink.take_row(row)) break;
  }
  sink.end();
}

}  // namespace pftls
