// Every named query's plan, under every --match, is free of a full scan
// inside a correlated subquery: such a plan costs the product of two table
// sizes (the failing query once took 15 s for 10k failing addresses and
// grew quadratically). SQLite's planner works from the schema and its
// indexes, so a database with a few rows of each table shows the plans a
// large one gets.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "store/sqlite_store.h"

namespace pftls {
namespace {

struct PlanNode {
  int parent = 0;
  std::string detail;
};

// The nodes of a plan (SqliteStore::query_plan's lines) that scan a table
// or index below a correlated subquery.
std::vector<std::string> scans_in_correlated(const std::string& plan) {
  std::map<int, PlanNode> nodes;
  std::istringstream in(plan);
  int parent = 0, id = 0;
  while (in >> parent >> id) {
    std::string detail;
    std::getline(in, detail);
    if (!detail.empty() && detail[0] == ' ') detail.erase(0, 1);
    nodes[id] = {parent, detail};
  }
  std::vector<std::string> bad;
  for (const auto& [node_id, node] : nodes) {
    // A scan of a subquery's co-routine reads that subquery's rows, whose
    // own nodes (below it) are checked here too.
    const bool scan = node.detail.rfind("SCAN ", 0) == 0 &&
                      node.detail.find("CONSTANT ROW") == std::string::npos &&
                      node.detail.rfind("SCAN (subquery-", 0) != 0;
    const bool automatic = node.detail.find("AUTOMATIC") != std::string::npos;
    if (!scan && !automatic) continue;
    for (int up = node.parent; up != 0 && nodes.count(up); up = nodes[up].parent) {
      if (nodes[up].detail.rfind("CORRELATED", 0) == 0) {
        bad.push_back(node.detail + " (in " + nodes[up].detail + ")");
        break;
      }
    }
  }
  return bad;
}

// Whether the plan sorts the whole result before its first row (a
// top-level temporary B-tree for the ORDER BY): such a listing cannot
// stream, and `| head -1` pays for every row.
bool sorts_everything(const std::string& plan) {
  std::istringstream in(plan);
  int parent = 0, id = 0;
  while (in >> parent >> id) {
    std::string detail;
    std::getline(in, detail);
    if (!detail.empty() && detail[0] == ' ') detail.erase(0, 1);
    if (parent == 0 && detail == "USE TEMP B-TREE FOR ORDER BY") return true;
  }
  return false;
}

TEST(QueryPlanTest, FindsTopLevelSort) {
  EXPECT_TRUE(sorts_everything("0 2 SCAN s\n0 9 USE TEMP B-TREE FOR ORDER BY\n"));
  EXPECT_FALSE(sorts_everything("0 2 SCAN s\n5 9 USE TEMP B-TREE FOR ORDER BY\n"));
  EXPECT_FALSE(sorts_everything("0 2 SCAN s USING INDEX i\n"));
}

TEST(QueryPlanTest, FindsScanInsideCorrelatedSubquery) {
  const std::string plan =
      "0 2 SCAN s\n0 5 CORRELATED SCALAR SUBQUERY 1\n5 8 SCAN x\n"
      "0 9 CORRELATED SCALAR SUBQUERY 2\n9 12 SEARCH y USING INDEX i (a=?)\n";
  const auto bad = scans_in_correlated(plan);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0], "SCAN x (in CORRELATED SCALAR SUBQUERY 1)");
  // A co-routine's rows scanned: its own search is what counts.
  EXPECT_TRUE(scans_in_correlated("0 5 CORRELATED SCALAR SUBQUERY 1\n5 6 CO-ROUTINE (subquery-1)\n"
                                  "6 7 SEARCH t USING PRIMARY KEY (a=?)\n5 9 SCAN (subquery-1)\n")
                  .empty());
}

TEST(QueryPlanTest, NoNamedQueryScansInsideCorrelatedSubquery) {
  char tmpl[] = "/tmp/pftls-plan-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  {
    SqliteStore store(dir + "/db", Store::Mode::kReadWrite, 1000);
    const char* names[] = {"incidents",
                           "incidents_selected",
                           "evidence",
                           "failures",
                           "clients",
                           "failing_senders",
                           "never_tls",
                           "status_inputs",
                           "status_runs",
                           "latest_ids",
                           "status_hosts",
                           "metrics",
                           "report_counts",
                           "report_regressions",
                           "tls",
                           "whatif",
                           "whatif_negotiations",
                           "clients_downgraded"};
    for (const char* match : {"ip", "subnet", "org"}) {
      for (const char* name : names) {
        QueryParams params = {{"window_us", std::int64_t{86400} * 1000000},
                              {"match", std::string(match)},
                              {"since_us", QueryParam{}},
                              {"until_us", QueryParam{}},
                              {"client_ip", QueryParam{}},
                              {"incident_id", QueryParam{}},
                              {"org", QueryParam{}},
                              {"outcome", QueryParam{}},
                              {"limit", std::int64_t{10}}};
        const std::string plan = store.query_plan(name, params);
        EXPECT_FALSE(plan.empty()) << name;
        for (const auto& bad : scans_in_correlated(plan)) {
          ADD_FAILURE() << name << " --match " << match << ": " << bad << "\nplan:\n" << plan;
        }
      }
      // failures streams: its order is an index's (sessions_failed_time).
      for (const QueryParam& ip : {QueryParam{}, QueryParam{std::string("192.0.2.1")}}) {
        const std::string plan =
            store.query_plan("failures", {{"window_us", std::int64_t{86400} * 1000000},
                                          {"match", std::string(match)},
                                          {"client_ip", ip},
                                          {"outcome", QueryParam{}}});
        EXPECT_FALSE(sorts_everything(plan)) << "failures --match " << match << ":\n" << plan;
      }
      // never-tls streams from its index (client_stats_never_tls), clients in
      // its key order: their first rows come before the millionth client's.
      for (const char* name : {"never_tls", "clients"}) {
        const std::string plan =
            store.query_plan(name, {{"window_us", std::int64_t{86400} * 1000000},
                                    {"match", std::string(match)},
                                    {"since_us", QueryParam{}},
                                    {"until_us", QueryParam{}},
                                    {"client_ip", QueryParam{}}});
        EXPECT_FALSE(sorts_everything(plan)) << name << " --match " << match << ":\n" << plan;
      }
      // whatif's two queries, merged by the store in key order: each reads
      // its rows in that order (no sort: a year's whatif paid a second
      // for one), the negotiations from the index that holds them, or,
      // for a time bound, grouped in the inventory's key order.
      const QueryParams all_time = {
          {"since_us", QueryParam{}}, {"until_us", QueryParam{}}, {"client_ip", QueryParam{}}};
      for (const char* name : {"whatif", "whatif_negotiations"}) {
        const std::string plan = store.query_plan(name, all_time);
        EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << name << ":\n" << plan;
      }
      const std::string negotiations = store.query_plan("whatif_negotiations", all_time);
      EXPECT_NE(negotiations.find("SEARCH p USING COVERING INDEX tls_peers_peer"),
                std::string::npos)
          << negotiations;
      EXPECT_NE(negotiations.find("SEARCH t USING PRIMARY KEY (direction=?"), std::string::npos)
          << negotiations;
      // clients --client IP: a look-up of its key, not a scan of every client.
      const std::string one =
          store.query_plan("clients", {{"window_us", std::int64_t{86400} * 1000000},
                                       {"match", std::string(match)},
                                       {"client_ip", std::string("192.0.2.1")}});
      EXPECT_NE(one.find("SEARCH c USING PRIMARY KEY (client_ip>? AND client_ip<?)"),
                std::string::npos)
          << one;
      // The metrics' failures by reason are counted from an index alone.
      EXPECT_NE(store.query_plan("metrics", {}).find("USING COVERING INDEX sessions_failed_reason"),
                std::string::npos)
          << store.query_plan("metrics", {});
      // The count of new incidents an ingest makes: a rowid range first.
      const std::string plan =
          store.query_plan("incidents", {{"window_us", std::int64_t{86400} * 1000000},
                                         {"after_message_id", std::int64_t{5}},
                                         {"after_outbound_id", std::int64_t{5}}});
      EXPECT_NE(plan.find("SEARCH m USING INTEGER PRIMARY KEY (rowid>?)"), std::string::npos)
          << plan;
      EXPECT_NE(plan.find("SEARCH o USING INTEGER PRIMARY KEY (rowid>?)"), std::string::npos)
          << plan;
    }
  }
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace pftls
