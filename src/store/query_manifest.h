// query_manifest: the named queries every backend runs, and what each needs.
//
// Contract: only the queries listed here run (queries/NAME.sql, or
// queries/pg/NAME.sql where PostgreSQL's dialect differs). A query that
// needs a window gets window_us (the effective window when not given); one
// on incidents reads temp.incidents_now, the incidents query's rows over the
// same parameters, which the backend makes first. The one text put into a
// query is {sender}: a column chosen by the "match" parameter from a fixed
// list, never caller text.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <variant>

#include "store/store.h"
#include "store/store_error.h"

namespace pftls {

struct NamedQuery {
  std::string_view name;
  bool needs_window;
  bool on_incidents;  // reads temp.incidents_now
  // temp.incidents_now may hold only the incidents of :client_ip when that
  // is given (the query reads no other client's): a look-up, not the whole
  // incidents query, for one client.
  bool incidents_of_client;
  // Another query whose rows join this one's: a left join on the first
  // column, both queries in its byte order, each key at most once in the
  // joined one. Its other columns are added to each row (NULL where it has
  // no row for the key), except one named as a column of this query, which
  // replaces that column's value where it has the key (clients: a
  // downgraded client's tls_status). SQLite merges the two in key order,
  // which for a million rows costs a fraction of a look-up per row.
  // PostgreSQL's queries/pg/NAME.sql joins them itself.
  std::string_view joined;
};

inline constexpr std::array<NamedQuery, 20> kNamedQueries = {{
    {"incidents", true, false, false, ""},
    {"incidents_selected", true, true, false, ""},
    {"evidence", true, true, false, ""},
    {"failures", true, false, false, ""},
    {"failures_outbound", false, false, false, ""},
    {"clients", true, true, true, "clients_downgraded"},
    {"clients_downgraded", true, true, true, ""},
    {"failing_senders", false, false, false, ""},
    {"never_tls", false, false, false, ""},
    {"tls", false, false, false, ""},
    {"whatif", false, false, false, "whatif_negotiations"},
    {"whatif_negotiations", false, false, false, ""},
    {"status_inputs", false, false, false, ""},
    {"status_damaged", false, false, false, ""},
    {"status_runs", false, false, false, ""},
    {"latest_ids", false, false, false, ""},
    {"status_hosts", false, false, false, ""},
    {"metrics", false, false, false, ""},
    {"report_counts", false, false, false, ""},
    {"report_regressions", false, false, false, ""},
}};

inline const NamedQuery& query_manifest(std::string_view name) {
  for (const auto& q : kNamedQueries) {
    if (q.name == name) return q;
  }
  throw StoreError(StoreError::Kind::kFailed, "no query named " + std::string(name));
}

// The column {sender} stands for: client_ip, subnet_key or org_key, by the
// "match" parameter ('ip' when absent).
inline std::string sender_column(const QueryParams& params) {
  std::string column = "client_ip";
  for (const auto& [pname, value] : params) {
    if (pname != "match" || !std::holds_alternative<std::string>(value)) continue;
    const auto& m = std::get<std::string>(value);
    if (m == "subnet")
      column = "subnet_key";
    else if (m == "org")
      column = "org_key";
    else if (m != "ip")
      throw StoreError(StoreError::Kind::kFailed, "unknown match '" + m + "'");
  }
  return column;
}

// The parameters temp.incidents_now is made with: those given, for every
// client (a query on one client may still read other clients' incidents),
// unless the query says it reads only its client's (incidents_of_client).
inline QueryParams incidents_scope(const QueryParams& params, const NamedQuery& q) {
  QueryParams all = params;
  if (q.incidents_of_client) return all;
  for (auto& [pname, value] : all) {
    if (pname == "client_ip") value = std::monostate{};
  }
  return all;
}

// A query's text as the body of CREATE TEMP TABLE ... AS: no trailing ';'.
inline std::string as_table_body(std::string sql) {
  while (!sql.empty() && (sql.back() == '\n' || sql.back() == ' ' || sql.back() == ';'))
    sql.pop_back();
  return sql;
}

}  // namespace pftls
