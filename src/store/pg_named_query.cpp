// pg_named_query: runs a named query on PostgreSQL, after what it needs.
//
// Contract: the queries, their manifest and their parameters are those of
// named_query.cpp. The SQL is queries/pg/NAME.sql where the dialects differ,
// else queries/NAME.sql; in it each :name becomes a typed positional
// parameter (CAST($k AS bigint) or text, by the name), bound, never pasted,
// {sender} a column from the same fixed list, and temp.incidents_now the
// session's pg_temp.incidents_now. A result cell's type follows its column's
// type, except incident_id: text in PostgreSQL (inbound ids are numbers,
// outbound ones "o<N>"), an all-digit id is reported as an integer, as
// SQLite gives it.
#include <algorithm>
#include <array>

#include "base/embedded_data.h"
#include "store/pg_store.h"
#include "store/query_manifest.h"

namespace pftls {
namespace {

// Parameters that are numbers; all others are text (incident_id too: "o<N>"
// names an outbound incident).
bool numeric_param(std::string_view name) {
  return name == "window_us" || name == "since_us" || name == "until_us" || name == "limit" ||
         name == "after_message_id" || name == "after_outbound_id" || name == "now_us" ||
         name == "prev_since_us" || name == "per_host" || name == "skew_us" ||
         name == "after_mark_id";
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (std::size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size())
    text.replace(pos, from.size(), to);
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// SQL with :name parameters -> SQL with $k and the values bound in order.
struct Prepared {
  std::string sql;
  PgParams params;
};

Prepared translate(const std::string& sql, const QueryParams& given) {
  Prepared out;
  std::vector<std::string> names;
  const auto value_of = [&](const std::string& name) -> const QueryParam* {
    for (const auto& [pname, value] : given) {
      if (pname == name) return &value;
    }
    return nullptr;
  };
  for (std::size_t i = 0; i < sql.size();) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {  // a literal or a quoted name, copied whole
      std::size_t end = sql.find(c, i + 1);
      end = end == std::string::npos ? sql.size() : end + 1;
      out.sql.append(sql, i, end - i);
      i = end;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      std::size_t end = sql.find('\n', i);
      end = end == std::string::npos ? sql.size() : end;
      out.sql.append(sql, i, end - i);
      i = end;
    } else if (c == ':' && i + 1 < sql.size() && sql[i + 1] == ':') {
      out.sql += "::";
      i += 2;
    } else if (c == ':' && i + 1 < sql.size() && is_name_char(sql[i + 1]) &&
               !(sql[i + 1] >= '0' && sql[i + 1] <= '9')) {
      std::size_t end = i + 1;
      while (end < sql.size() && is_name_char(sql[end])) ++end;
      const std::string name = sql.substr(i + 1, end - i - 1);
      auto it = std::find(names.begin(), names.end(), name);
      if (it == names.end()) {
        names.push_back(name);
        it = names.end() - 1;
        const QueryParam* v = value_of(name);
        if (v == nullptr || std::holds_alternative<std::monostate>(*v)) {
          out.params.add_null();
        } else if (const auto* n = std::get_if<std::int64_t>(v)) {
          numeric_param(name) ? out.params.add(*n) : out.params.add_text(std::to_string(*n));
        } else {
          out.params.add_text(std::get<std::string>(*v));
        }
      }
      out.sql += "CAST($" + std::to_string(it - names.begin() + 1) +
                 (numeric_param(name) ? " AS bigint)" : " AS text)");
      i = end;
    } else {
      out.sql += c;
      ++i;
    }
  }
  return out;
}

// The query's text for PostgreSQL, {sender} and temp.incidents_now resolved.
std::string named_sql(std::string_view name, const QueryParams& params) {
  std::string sql(embedded_file("queries/pg/" + std::string(name) + ".sql"));
  if (sql.empty()) sql = embedded_file("queries/" + std::string(name) + ".sql");
  if (sql.empty())
    throw StoreError(StoreError::Kind::kFailed, "no query named " + std::string(name));
  replace_all(sql, "{sender}", sender_column(params));
  replace_all(sql, "temp.incidents_now", "pg_temp.incidents_now");
  return sql;
}

bool has_param(const QueryParams& params, std::string_view name) {
  return std::any_of(params.begin(), params.end(), [&](const auto& p) {
    return p.first == name && !std::holds_alternative<std::monostate>(p.second);
  });
}

Cell::Type cell_type(unsigned oid) {
  switch (oid) {
    case 20:  // int8
    case 21:  // int2
    case 23:  // int4
      return Cell::Type::kInteger;
    case 700:   // float4
    case 701:   // float8
    case 1700:  // numeric
      return Cell::Type::kReal;
    default:
      return Cell::Type::kText;
  }
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

void PgStore::materialize_incidents(const QueryParams& params, const NamedQuery& q) {
  QueryParams all = incidents_scope(params, q);
  if (incidents_now_ == all) return;
  const std::string sql = as_table_body(named_sql("incidents", all));
  conn_->exec_script("DROP TABLE IF EXISTS pg_temp.incidents_now", "query incidents");
  incidents_now_.reset();
  Prepared p = translate("CREATE TEMP TABLE incidents_now AS " + sql, all);
  conn_->exec(p.sql, p.params, "query incidents");
  incidents_now_ = std::move(all);
}

ResultSet PgStore::query(std::string_view name, const QueryParams& given) {
  ResultSet out;
  ResultCollector collect(out);
  query_rows(name, given, collect);
  return out;
}

// The rows come through a cursor, kFetchRows at a time: libpq holds a whole
// result in memory, which for a listing of a million clients was a
// gigabyte (whatif: 2.3 GB). Inside a transaction (a run's) the cursor
// lives in it; else in one of its own, read only.
void PgStore::query_rows(std::string_view name, const QueryParams& given, RowSink& sink) {
  constexpr int kFetchRows = 2000;
  const NamedQuery& q = query_manifest(name);
  QueryParams params = given;
  if (q.needs_window && !has_param(params, "window_us")) {
    params.emplace_back("window_us", effective_window(*this, std::nullopt) * kMicrosPerSecond);
  }
  if (q.on_incidents) materialize_incidents(params, q);
  Prepared p = translate(named_sql(name, params), params);
  const std::string what = "query " + std::string(name);
  // A sink may run another query while it takes a row: each cursor its own name.
  const std::string cursor = "pftls_rows_" + std::to_string(++cursors_);
  const bool own_transaction = !conn_->in_transaction();
  if (own_transaction) conn_->exec_script("BEGIN READ ONLY", what);
  try {
    conn_->exec("DECLARE " + cursor + " NO SCROLL CURSOR FOR " + p.sql, p.params, what);
    const std::string fetch = "FETCH " + std::to_string(kFetchRows) + " FROM " + cursor;
    std::vector<Cell::Type> types;
    std::vector<Cell> cells;
    int id_column = -1;
    bool more = true;
    for (bool first = true; more; first = false) {
      PgResult r = conn_->exec(fetch, what);
      const int ncol = r.columns();
      if (first) {
        std::vector<std::string> columns;
        for (int i = 0; i < ncol; ++i) {
          columns.emplace_back(r.column_name(i));
          types.push_back(cell_type(r.column_type(i)));
          if (columns.back() == "incident_id") id_column = i;
        }
        cells.resize(static_cast<std::size_t>(ncol));
        sink.begin(columns);
      }
      for (int row = 0; row < r.rows() && more; ++row) {
        for (int i = 0; i < ncol; ++i) {
          Cell& c = cells[static_cast<std::size_t>(i)];
          if (r.is_null(row, i)) {
            c.type = Cell::Type::kNull;
            c.text.clear();
            continue;
          }
          c.text = r.text(row, i);
          c.type = types[static_cast<std::size_t>(i)];
          if (i == id_column && all_digits(c.text)) c.type = Cell::Type::kInteger;
        }
        more = sink.take_row(cells);
      }
      if (r.rows() < kFetchRows) more = false;
    }
    conn_->exec_script("CLOSE " + cursor, what);
    if (own_transaction) conn_->exec_script("COMMIT", what);
  } catch (...) {
    if (own_transaction) {
      try {
        conn_->exec_script("ROLLBACK", what);
      } catch (...) {  // a connection gone takes its transaction with it
      }
    }
    throw;
  }
  sink.end();
}

}  // namespace pftls
