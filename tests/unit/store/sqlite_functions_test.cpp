// Unit tests for the SQL functions pftls adds to its SQLite connections:
// strftime's ISO form gives SQLite's own text for every kind of value the
// built-in takes (compared with an unregistered connection, on edges and on
// generated times), refuses other forms; count_list and distinct_list give
// the lists the per-group subqueries gave.
#include "store/sqlite_functions.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "../xorshift.h"
#include "base/negotiation_list.h"

namespace pftls {
namespace {

class Conn {
 public:
  explicit Conn(bool ours) {
    EXPECT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    if (ours) {
      EXPECT_TRUE(register_sqlite_functions(db_));
    }
  }
  ~Conn() { sqlite3_close(db_); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  void exec(const std::string& sql) {
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db_);
  }
  // The first column of the first row (nullopt for NULL); `error` gets the
  // message of a failed step.
  std::optional<std::string> one(const std::string& sql, std::string* error = nullptr) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db_);
    std::optional<std::string> out;
    const int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    if (rc != SQLITE_ROW && error != nullptr) *error = sqlite3_errmsg(db_);
    sqlite3_finalize(st);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

std::string iso(const std::string& value) {
  return "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', " + value + ", 'unixepoch')";
}

TEST(SqliteFunctions, StrftimeEqualsTheBuiltInOnEdges) {
  Conn builtin(false), ours(true);
  const std::vector<std::string> values = {"0",
                                           "1",
                                           "-1",
                                           "86399",
                                           "86400",
                                           "951782400",
                                           "951868799",
                                           "1709164800",
                                           "4107542399",
                                           "1735689599",
                                           "-62167219200",
                                           "-62167219201",
                                           "-210866760000",
                                           "-210866760001",
                                           "253402300799",
                                           "253402300800",
                                           "1.9996",
                                           "-1.5",
                                           "1700000000.4",
                                           "1e300",
                                           "-1e300",
                                           "'1700000000'",
                                           "'17e8'",
                                           "'abc'",
                                           "''",
                                           "NULL",
                                           "1735689599999999 / 1000000",
                                           "-0.0004",
                                           "9223372036854775807",
                                           "-9223372036854775808"};
  for (const std::string& v : values) {
    EXPECT_EQ(ours.one(iso(v)), builtin.one(iso(v))) << v;
  }
}

TEST(SqliteFunctions, StrftimeEqualsTheBuiltInOnGeneratedTimes) {
  Conn builtin(false), ours(true);
  test_inputs::XorShift64 rng(20261207);
  constexpr std::int64_t kSpan = 253402300799LL + 210866760000LL;
  for (int i = 0; i < 20000; ++i) {
    const std::int64_t secs = static_cast<std::int64_t>(rng() % (kSpan + 1)) - 210866760000LL;
    std::string v;
    v += std::to_string(secs);
    ASSERT_EQ(ours.one(iso(v)), builtin.one(iso(v))) << v;
  }
}

TEST(SqliteFunctions, StrftimeRefusesOtherForms) {
  Conn ours(true);
  std::string error;
  EXPECT_EQ(ours.one("SELECT strftime('%s', 0, 'unixepoch')", &error), std::nullopt);
  EXPECT_NE(error.find("strftime('%Y-%m-%dT%H:%M:%SZ', T, 'unixepoch')"), std::string::npos)
      << error;
  error.clear();
  EXPECT_EQ(ours.one("SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 0, 'localtime')", &error),
            std::nullopt);
  EXPECT_FALSE(error.empty());
  // The other arities stay SQLite's.
  EXPECT_EQ(ours.one("SELECT strftime('%Y', '2024-05-06')"), "2024");
}

TEST(SqliteFunctions, CountListSumsEachValueMostFirst) {
  Conn ours(true);
  ours.exec(
      "CREATE TABLE t (g INTEGER, v TEXT, n INTEGER);"
      "INSERT INTO t VALUES (1, 'TLSv1.2', 2), (1, 'TLSv1.3', 5), (1, 'TLSv1.2', 3),"
      " (1, '', 9), (1, NULL, 9), (1, 'SSLv3', 5), (2, '', 1), (3, 'b', 1), (3, 'a', 1);");
  EXPECT_EQ(ours.one("SELECT count_list(v, n) FROM t WHERE g = 1"), "SSLv3=5 TLSv1.2=5 TLSv1.3=5");
  EXPECT_EQ(ours.one("SELECT count_list(v, n) FROM t WHERE g = 2"), std::nullopt);
  EXPECT_EQ(ours.one("SELECT count_list(v, n) FROM t WHERE g = 9"), std::nullopt);
  EXPECT_EQ(ours.one("SELECT count_list(v, n) FROM t WHERE g = 3"), "a=1 b=1");
  ours.exec("INSERT INTO t VALUES (1, 'TLSv1.3', 1)");
  EXPECT_EQ(ours.one("SELECT count_list(v, n) FROM t WHERE g = 1"), "TLSv1.3=6 SSLv3=5 TLSv1.2=5");
  // One list per group, as GROUP BY gives them.
  EXPECT_EQ(ours.one("SELECT group_concat(l, '|') FROM (SELECT g, count_list(v, n) AS l FROM t "
                     "GROUP BY g ORDER BY g)"),
            "TLSv1.3=6 SSLv3=5 TLSv1.2=5|a=1 b=1");
}

TEST(SqliteFunctions, DistinctListSortsBytewise) {
  Conn ours(true);
  ours.exec(
      "CREATE TABLE t (g INTEGER, v TEXT);"
      "INSERT INTO t VALUES (1, 'mx2'), (1, 'mx1'), (1, 'mx2'), (1, NULL), (1, 'Mx3'),"
      " (1, '\xc3\xa9'), (2, NULL);");
  EXPECT_EQ(ours.one("SELECT distinct_list(v) FROM t WHERE g = 1"), "Mx3 mx1 mx2 \xc3\xa9");
  EXPECT_EQ(ours.one("SELECT distinct_list(v) FROM t WHERE g = 2"), std::nullopt);
}

// Each protocol and cipher once, its sessions summed, in the stored form
// (base/negotiation_list.h), whatever bytes the texts hold.
TEST(SqliteFunctions, NegotiationListSumsEachPair) {
  Conn ours(true);
  ours.exec(
      "CREATE TABLE t (g INTEGER, p TEXT, c TEXT, n INTEGER);"
      "INSERT INTO t VALUES (1, 'TLSv1.2', 'AES128-SHA', 2), (1, 'TLSv1.3', 'X', 5),"
      " (1, 'TLSv1.2', 'AES128-SHA', 3), (1, '', '', 9), (1, NULL, NULL, 1),"
      " (1, 'a 1:b;', ' ;', 4), (3, 'TLSv1', 'A', 1);");
  const auto got = ours.one("SELECT negotiation_list(p, c, n) FROM t WHERE g = 1");
  ASSERT_TRUE(got);
  std::map<std::pair<std::string, std::string>, std::int64_t> pairs;
  std::size_t entries = 0;
  EXPECT_TRUE(for_each_negotiation(*got, [&](std::string_view p, std::string_view c,
                                             std::int64_t n) {
    pairs[{std::string(p), std::string(c)}] += n;
    ++entries;
  })) << *got;
  EXPECT_EQ(entries, pairs.size()) << *got;  // each pair once
  EXPECT_EQ(pairs, (std::map<std::pair<std::string, std::string>, std::int64_t>{
                       {{"", ""}, 10},
                       {{"TLSv1.2", "AES128-SHA"}, 5},
                       {{"TLSv1.3", "X"}, 5},
                       {{"a 1:b;", " ;"}, 4}}));
  EXPECT_EQ(ours.one("SELECT negotiation_list(p, c, n) FROM t WHERE g = 2"), std::nullopt);
  EXPECT_EQ(ours.one("SELECT negotiation_list(p, c, n) FROM t WHERE g = 3"), "5:TLSv1 1:A 1;");
}

}  // namespace
}  // namespace pftls
