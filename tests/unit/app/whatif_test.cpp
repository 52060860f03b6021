// whatif: verdicts from the rows of queries/whatif.sql, the order that puts
// the clients a policy would hurt first, and the bound on the negotiations
// named per client.
#include "app/whatif.h"

#include "base/negotiation_list.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace pftls {
namespace {

const std::vector<std::string> kCols = {"client_ip",          "client_name",     "tls_sessions",
                                        "plaintext_sessions", "failed_sessions", "messages",
                                        "first_seen",         "last_seen",       "negotiations"};
constexpr std::int64_t kDay = 86400LL * 1000000;

struct Row {
  std::string ip;
  std::int64_t tls = 0, plain = 0, failed = 0, messages = 1;
  std::string protocol, cipher;
  std::int64_t n = 0;
  std::int64_t days = 0;
};

// A row of the query for one negotiation of a client (a list of one), or
// for a client without any (n 0: NULL).
std::vector<Cell> cells(const Row& r) {
  const auto i = [](std::int64_t v) { return Cell{Cell::Type::kInteger, std::to_string(v)}; };
  const auto t = [](std::string v) { return Cell{Cell::Type::kText, std::move(v)}; };
  std::string listed;
  if (r.n > 0) append_negotiation(listed, r.protocol, r.cipher, r.n);
  return {t(r.ip),
          t("name-" + r.ip),
          i(r.tls),
          i(r.plain),
          i(r.failed),
          i(r.messages),
          i(1000),
          i(1000 + r.days * kDay),
          r.n > 0 ? t(listed) : Cell{}};
}

ResultSet judge(const WhatifPolicy& policy, const std::vector<Row>& rows,
                std::size_t sort_budget = WhatifTally::kSortBudget) {
  WhatifTally tally(policy, sort_budget);
  tally.begin(kCols);
  for (const auto& r : rows) EXPECT_TRUE(tally.row(cells(r)));
  tally.end();
  return tally.result();
}

std::string col(const ResultSet& rs, std::size_t row, const std::string& name) {
  const auto& c = rs.columns;
  return rs.rows.at(row)
      .at(static_cast<std::size_t>(std::find(c.begin(), c.end(), name) - c.begin()))
      .text;
}

std::map<std::string, std::string> verdicts(const ResultSet& rs) {
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i < rs.rows.size(); ++i)
    out[col(rs, i, "client_ip")] = col(rs, i, "verdict");
  return out;
}

WhatifPolicy strict(bool require_tls = false) {
  WhatifPolicy p;
  p.protocols = ProtocolPolicy::parse(">=TLSv1.2");
  p.ciphers = CipherPolicy::expand("ECDHE+AESGCM:!aNULL");
  p.require_tls = require_tls;
  return p;
}

const std::vector<Row> kClients = {
    {"10.0.0.1", 2, 0, 0, 2, "TLSv1.3", "TLS_AES_256_GCM_SHA384", 1},
    {"10.0.0.1", 2, 0, 0, 2, "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", 1},  // ok
    {"10.0.0.2", 1, 0, 0, 1, "TLSv1", "ECDHE-RSA-AES256-SHA", 1},           // protocol
    {"10.0.0.3", 1, 0, 0, 1, "TLSv1.2", "AES256-SHA", 1},                   // cipher (RSA kx)
    {"10.0.0.4", 2, 0, 0, 2, "", "", 1},                                    // loglevel 0
    {"10.0.0.4", 2, 0, 0, 2, "TLSv1.3", "TLS_AES_128_GCM_SHA256", 1},
    {"10.0.0.5", 0, 0, 3, 0, "", "", 0},  // fails, never TLS
    {"10.0.0.6", 0, 4, 0, 4, "", "", 0},  // plaintext
    {"10.0.0.7", 0, 1, 0, 0, "", "", 0},  // a probe: no message
    {"10.0.0.8", 3, 0, 0, 3, "", "", 0},  // TLS before the inventory existed
    {"10.0.0.9", 1, 0, 1, 1, "TLSv1.3", "TLS_AES_256_GCM_SHA384", 1},  // failed once, then TLS
};

TEST(Whatif, Verdicts) {
  const auto v = verdicts(judge(strict(), kClients));
  EXPECT_EQ(v, (std::map<std::string, std::string>{{"10.0.0.1", "ok"},
                                                   {"10.0.0.2", "at-risk"},
                                                   {"10.0.0.3", "at-risk"},
                                                   {"10.0.0.4", "unknown"},
                                                   {"10.0.0.5", "failing"},
                                                   {"10.0.0.6", "plaintext"},
                                                   {"10.0.0.8", "unknown"},
                                                   {"10.0.0.9", "ok"}}));
  // A looser policy lets both at-risk clients through.
  WhatifPolicy loose;
  loose.protocols = ProtocolPolicy::parse("!SSLv2, !SSLv3");
  loose.ciphers = CipherPolicy::expand("HIGH:!aNULL");
  const auto l = verdicts(judge(loose, kClients));
  EXPECT_EQ(l.at("10.0.0.2"), "ok");
  EXPECT_EQ(l.at("10.0.0.3"), "ok");
  // No cipher list: only the protocols judge.
  WhatifPolicy protocols_only;
  protocols_only.protocols = ProtocolPolicy::parse(">=TLSv1.2");
  const auto p = verdicts(judge(protocols_only, kClients));
  EXPECT_EQ(p.at("10.0.0.2"), "at-risk");
  EXPECT_EQ(p.at("10.0.0.3"), "ok");
}

TEST(Whatif, HurtFirstThenBusiest) {
  std::vector<Row> rows = kClients;
  rows.push_back({"10.0.0.0", 1, 0, 0, 30, "TLSv1.1", "AES128-SHA", 1});  // busier at-risk
  const ResultSet rs = judge(strict(), rows);
  std::vector<std::string> order;
  for (std::size_t i = 0; i < rs.rows.size(); ++i) order.push_back(col(rs, i, "client_ip"));
  EXPECT_EQ(order,
            (std::vector<std::string>{"10.0.0.0", "10.0.0.2", "10.0.0.3", "10.0.0.8", "10.0.0.4",
                                      "10.0.0.5", "10.0.0.6", "10.0.0.1", "10.0.0.9"}));
  EXPECT_EQ(col(rs, 0, "disallowed"), "TLSv1.1/AES128-SHA=1");
  EXPECT_EQ(col(rs, 0, "messages_per_day"), "30.0");
  // Without --require-tls a plaintext client is not lost; with it, it is and
  // comes right after the at-risk ones.
  EXPECT_EQ(col(rs, 6, "effect"), "not lost");
  const ResultSet req = judge(strict(true), rows);
  EXPECT_EQ(col(req, 3, "client_ip"), "10.0.0.6");
  EXPECT_EQ(col(req, 3, "verdict"), "plaintext");
  EXPECT_EQ(col(req, 3, "effect"), "lost");
}

TEST(Whatif, MessagesPerDayOverTheDaysSeen) {
  const ResultSet rs =
      judge(strict(), {{"10.0.0.1", 1, 0, 0, 40, "TLSv1.3", "TLS_AES_256_GCM_SHA384", 1, 4},
                       {"10.0.0.2", 1, 0, 0, 3, "TLSv1.3", "TLS_AES_256_GCM_SHA384", 1, 0}});
  EXPECT_EQ(col(rs, 0, "messages_per_day"), "10.0");  // 40 over 4 days
  EXPECT_EQ(col(rs, 1, "messages_per_day"), "3.0");   // under a day counts as one
}

TEST(Whatif, DisallowedListIsBoundedMostUsedFirst) {
  std::vector<Row> rows;
  for (int i = 0; i < 40; ++i) {
    // Appended, not "C" + to_string(i): GCC 12 -O1 with the sanitizers
    // warns (-Wrestrict) about its own inlined operator+ there.
    std::string cipher = "C";
    cipher += std::to_string(i);
    rows.push_back({"10.0.0.1", 100, 0, 0, 1, "TLSv1", cipher, i + 1});
  }
  const ResultSet rs = judge(strict(), rows);
  const std::string listed = col(rs, 0, "disallowed");
  EXPECT_EQ(std::count(listed.begin(), listed.end(), '='),
            static_cast<long>(WhatifTally::kMaxListed));
  EXPECT_EQ(listed.rfind("TLSv1/C39=40 TLSv1/C38=39", 0), 0U) << listed;
  EXPECT_EQ(col(rs, 0, "disallowed_sessions"), std::to_string(40 * 41 / 2));
}

// The query gives one row per inventory row (host, bits, trust): the rows
// of one negotiation are summed before it is judged and listed, so that a
// negotiation split over many hosts is named once, with all its sessions,
// and ranks by them (here TLSv1/A's 5 rows of 3 outrank B's single 10).
TEST(Whatif, ANegotiationsRowsAreSummed) {
  std::vector<Row> rows;
  for (int host = 0; host < 5; ++host) rows.push_back({"10.0.0.1", 30, 0, 0, 1, "TLSv1", "A", 3});
  rows.push_back({"10.0.0.1", 30, 0, 0, 1, "TLSv1", "B", 10});
  for (int host = 0; host < 2; ++host)
    rows.push_back({"10.0.0.1", 30, 0, 0, 1, "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", 2});
  rows.push_back({"10.0.0.1", 30, 0, 0, 1, "", "", 1});
  rows.push_back({"10.0.0.2", 4, 0, 0, 1, "TLSv1", "A", 4});
  const ResultSet rs = judge(strict(), rows);
  ASSERT_EQ(rs.rows.size(), 2U);
  EXPECT_EQ(col(rs, 0, "client_ip"), "10.0.0.1");
  EXPECT_EQ(col(rs, 0, "disallowed"), "TLSv1/A=15 TLSv1/B=10");
  EXPECT_EQ(col(rs, 0, "disallowed_sessions"), "25");
  EXPECT_EQ(col(rs, 0, "tls_sessions"), "30");
  EXPECT_EQ(col(rs, 0, "unknown_sessions"), "1");
  EXPECT_EQ(col(rs, 1, "disallowed"), "TLSv1/A=4");
}

// The query gives a client's rows in the inventory's key order, host
// first: one negotiation's rows are not adjacent when the client met two
// hosts. They are summed all the same, and the judgement does not depend
// on the order the rows come in.
TEST(Whatif, ANegotiationsRowsAreSummedInAnyOrder) {
  std::vector<Row> rows;
  for (int host = 0; host < 3; ++host) {
    rows.push_back({"10.0.0.1", 40, 0, 0, 1, "TLSv1", "A", 3});
    rows.push_back({"10.0.0.1", 40, 0, 0, 1, "TLSv1", "B", 4});
    rows.push_back({"10.0.0.1", 40, 0, 0, 1, "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", 2});
    rows.push_back({"10.0.0.1", 40, 0, 0, 1, "", "", 1});
  }
  const ResultSet host_major = judge(strict(), rows);
  ASSERT_EQ(host_major.rows.size(), 1U);
  EXPECT_EQ(col(host_major, 0, "disallowed"), "TLSv1/B=12 TLSv1/A=9");
  EXPECT_EQ(col(host_major, 0, "disallowed_sessions"), "21");
  EXPECT_EQ(col(host_major, 0, "unknown_sessions"), "3");
  std::reverse(rows.begin(), rows.end());
  const ResultSet reversed = judge(strict(), rows);
  ASSERT_EQ(reversed.rows.size(), 1U);
  for (const std::string& name : WhatifTally::columns())
    EXPECT_EQ(col(reversed, 0, name), col(host_major, 0, name)) << name;
}

// One row per client, its negotiations in one list (what the query gives):
// the same verdict as one row per negotiation, whatever the entries' order
// and whatever bytes a hostile log put in a protocol or cipher.
TEST(Whatif, OneRowWithTheClientsList) {
  std::vector<Cell> row = cells({"10.0.0.1", 12, 0, 0, 3, "", "", 0});
  std::string listed;
  append_negotiation(listed, "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", 5);
  append_negotiation(listed, "TLSv1", "A B=1;2: x;", 4);  // odd text, disallowed
  append_negotiation(listed, "", "", 1);
  append_negotiation(listed, "TLSv1", "A B=1;2: x;", 2);  // the same one again
  row.back() = Cell{Cell::Type::kText, listed};
  const WhatifPolicy policy = strict();  // the tally keeps a reference
  WhatifTally tally(policy);
  tally.begin(kCols);
  ASSERT_TRUE(tally.row(row));
  tally.end();
  const ResultSet rs = tally.result();
  ASSERT_EQ(rs.rows.size(), 1U);
  EXPECT_EQ(col(rs, 0, "verdict"), "at-risk");
  EXPECT_EQ(col(rs, 0, "disallowed"), "TLSv1/A B=1;2: x;=6");
  EXPECT_EQ(col(rs, 0, "disallowed_sessions"), "6");
  EXPECT_EQ(col(rs, 0, "tls_sessions"), "12");
  EXPECT_EQ(col(rs, 0, "unknown_sessions"), "1");
}

// A list not of the stored form is an error, not a guess.
TEST(Whatif, ADamagedListIsAnError) {
  for (const char* bad : {"7:TLSv1.2 3:AES 5", "7:TLSv1.2 30:AES 5;", "x", "7:TLSv1.2 3:AES x;"}) {
    std::vector<Cell> row = cells({"10.0.0.1", 1, 0, 0, 1, "", "", 0});
    row.back() = Cell{Cell::Type::kText, bad};
    const WhatifPolicy policy = strict();  // the tally keeps a reference
    WhatifTally tally(policy);
    tally.begin(kCols);
    EXPECT_THROW(tally.row(row), std::runtime_error) << bad;
  }
}

// The listing is sorted outside memory when it does not fit the budget:
// the same rows in the same order from one run held in memory and from
// hundreds of runs in the temporary file.
TEST(Whatif, TheListingIsTheSameSortedInMemoryOrOnDisk) {
  std::vector<Row> rows;
  const char* protocols[] = {"TLSv1", "TLSv1.2", "TLSv1.3", ""};
  const char* ciphers[] = {"AES128-SHA", "ECDHE-RSA-AES256-GCM-SHA384", "TLS_AES_256_GCM_SHA384",
                           ""};
  for (int i = 0; i < 3000; ++i) {
    const int k = (i * 7) % 5;  // 4: no TLS
    Row r;
    r.ip = "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    r.tls = k < 4 ? 1 : 0;
    r.failed = i % 3 == 0 ? 1 : 0;
    r.messages = i % 11;
    r.days = i % 13;
    if (k < 4) {
      r.protocol = protocols[k];
      r.cipher = ciphers[k];
      r.n = 1 + i % 4;
    }
    rows.push_back(r);
  }
  const ResultSet in_memory = judge(strict(), rows);
  const ResultSet on_disk = judge(strict(), rows, 4096);
  EXPECT_GT(in_memory.rows.size(), 2000u);
  EXPECT_EQ(on_disk.columns, in_memory.columns);
  ASSERT_EQ(on_disk.rows.size(), in_memory.rows.size());
  for (std::size_t i = 0; i < in_memory.rows.size(); ++i) {
    ASSERT_EQ(on_disk.rows[i].size(), in_memory.rows[i].size());
    for (std::size_t j = 0; j < in_memory.rows[i].size(); ++j) {
      EXPECT_EQ(on_disk.rows[i][j].type, in_memory.rows[i][j].type) << i << "," << j;
      EXPECT_EQ(on_disk.rows[i][j].text, in_memory.rows[i][j].text) << i << "," << j;
    }
  }
}

}  // namespace
}  // namespace pftls
