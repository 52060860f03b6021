// sqlite_functions: the SQL functions pftls adds to each of its SQLite
// connections, so that the named queries cost what they read.
//
// Contract:
// - strftime(FORMAT, T, 'unixepoch') with FORMAT '%Y-%m-%dT%H:%M:%SZ', the
//   one form the queries use (queries/pg/schema.sql defines the same one for
//   PostgreSQL): the same text as SQLite's built-in, which it replaces on
//   that connection for three arguments (for integers, reals and numeric
//   text); NULL for NULL, other text, a blob, and times outside SQLite's
//   range (Julian day 0 to the end of 9999). Any other
//   format or modifier is an SQL error naming the form it takes: the
//   built-in parses its format anew for every row, which made a listing of a
//   million clients spend most of its time on dates.
// - count_list(VALUE, N), an aggregate: "VALUE=SUM(N) ..." over the group's
//   non-empty, non-NULL values, most first, then by value (bytewise); NULL
//   when there is none.
// - distinct_list(VALUE), an aggregate: the group's distinct non-NULL values
//   in bytewise order, separated by one space; NULL when there is none.
// - negotiation_list(PROTOCOL, CIPHER, N), an aggregate: the group's
//   negotiations in the form of base/negotiation_list.h, N summed per
//   PROTOCOL and CIPHER (NULL read as ''); NULL when the group is empty.
//   All three replace per-group subqueries (a sort for each group) with one pass;
//   they hold one group's distinct values, as many as its stored rows.
#pragma once

struct sqlite3;

namespace pftls {

// Registers the functions above on `db`; false when SQLite refused one.
bool register_sqlite_functions(sqlite3* db);

}  // namespace pftls
