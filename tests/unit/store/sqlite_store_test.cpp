// Unit tests for the SQLite store on a real temporary file: run state and
// settings come back as saved, a rolled-back run leaves the file as it was,
// the watch horizon is the one asked for, a newer schema is refused.
#include "store/sqlite_store.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include <limits>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <tuple>

#include "../xorshift.h"
#include "store/open_store.h"

namespace pftls {
namespace {

auto fields(const SessionRecord& s) {
  return std::tie(s.id, s.mx_host, s.syslog_name, s.pid, s.client_ip, s.client_name,
                  s.client_subnet, s.org_domain, s.connect_at, s.end_at, s.first_ord, s.failed,
                  s.failure_at, s.failure_ord, s.failure_reason, s.openssl_code, s.tls, s.tls_at,
                  s.tls_ord, s.counters_present, s.starttls_attempts, s.starttls_ok, s.messages);
}
auto fields(const EvidenceLine& l) { return std::tie(l.input, l.line, l.raw); }
auto fields(const MessageRecord& m) {
  return std::tie(m.id, m.session_id, m.mx_host, m.queue_id, m.client_ip, m.client_name,
                  m.client_subnet, m.org_domain, m.accepted_at, m.accepted_ord, m.message_id,
                  m.sender, m.recipients);
}
auto fields(const OutboundRecord& r) {
  return std::tie(r.id, r.mx_host, r.queue_id, r.relay_name, r.relay_ip, r.relay_port, r.failure_at,
                  r.failure_ord, r.failure_reason, r.openssl_code, r.failed_attempts,
                  r.plaintext_at, r.plaintext_ord, r.recipients, r.fallback_seen);
}
auto fields(const OutboundPendingFailure& f) {
  return std::tie(f.mx_host, f.syslog_name, f.pid, f.relay_name, f.relay_ip, f.relay_port,
                  f.failure_at, f.failure_ord, f.failure_reason, f.openssl_code, f.seen_at);
}
auto fields(const OutboundPendingMessage& m) {
  return std::tuple_cat(fields(m.record),
                        std::tie(m.syslog_name, m.pid, m.attempt_ord, m.fallback_open, m.seen_at));
}
template <typename T>
bool same(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (fields(a[i]) != fields(b[i])) return false;
  }
  return true;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pftls-store-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/db";
  }
  void TearDown() override {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path_ + suffix).c_str());
    ::rmdir(dir_.c_str());
  }
  std::string bytes() const {
    std::ifstream in(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::string dir_, path_;
};

SessionRecord open_session(std::int64_t id, std::uint32_t pid) {
  SessionRecord s;
  s.id = id;
  s.mx_host = "mx";
  s.syslog_name = "postfix/smtpd";
  s.pid = pid;
  s.client_ip = "192.0.2.12";
  s.client_name = "mta.bank.example";
  s.client_subnet = "192.0.2.0/24";
  s.org_domain = "bank.example";
  s.connect_at = 1'700'000'000'000'000 + pid;
  s.first_ord = 41;
  s.failed = pid % 2 == 0;
  s.failure_at = s.failed ? s.connect_at + 1 : 0;
  s.failure_ord = s.failed ? 42 : 0;
  s.failure_reason = s.failed ? "no-shared-cipher" : "";
  s.openssl_code = s.failed ? "0A0000C1" : "";
  s.tls = !s.failed;
  s.tls_at = s.tls ? s.connect_at + 2 : 0;
  s.messages = 1;
  return s;
}

TEST_F(SqliteStoreTest, RunStateComesBackAsSaved) {
  CorrelatorState state;
  OutboundState outbound;
  {
    SqliteStore store(path_, Store::Mode::kReadWrite);
    store.begin_run();
    SessionRecord stored = open_session(0, 7);
    store.save_session(stored);
    MessageRecord m;
    m.session_id = stored.id;
    m.mx_host = "mx";
    m.queue_id = "4fRk7H1cNdz2Jm4";
    m.client_ip = "192.0.2.12";
    m.accepted_at = 1'700'000'000'000'123;
    m.accepted_ord = 50;
    m.sender = "alerts@bank.example";
    m.recipients = {"alice@example.com", "bob@example.com"};
    store.save_message(m);
    state.open_sessions = {stored, open_session(0, 8)};
    // Raw lines hold any byte but newline, the old field separators included.
    state.open_evidence = {{{"mail.log", 3, "connect from x\x1f\x1e\x1d y"}},
                           {{"mail.log", 4, "a"}, {"other.log", 9, ""}}};
    state.tracked_messages = {m};
    OutboundPendingFailure f{"mx",
                             "postfix/smtp",
                             5030,
                             "mx.weak.test",
                             "203.0.113.25",
                             "25",
                             1'700'000'000'000'000,
                             6,
                             "alert-handshake-failure",
                             "0A000410",
                             1'700'000'000'000'001,
                             {{"failed", "mail.log", 5, "SSL_connect error \x1f"}}};
    OutboundPendingMessage pm;
    pm.record = {0,
                 "mx",
                 "4fRk2P0mQtz2Jd1",
                 "mx.weak.test",
                 "203.0.113.25",
                 "25",
                 5,
                 6,
                 "other",
                 "",
                 2,
                 0,
                 0,
                 {"ap@weak.test", "x\x1dy@weak.test"},
                 true,
                 "",
                 ""};
    pm.syslog_name = "postfix/smtp";
    pm.pid = 5031;
    pm.attempt_ord = 37;
    pm.fallback_open = true;
    pm.seen_at = 9;
    outbound.failures = {f};
    outbound.messages = {pm, pm};
    outbound.messages[1].record.id = 12;
    outbound.messages[0].evidence = {{"failed", "mail.log", 6, "a"},
                                     {"plaintext", "other.log", 7, "b"}};
    outbound.notes = {{"mx", "4fRk2P0mQtz2Jd1", "id@x", "ap@x", 3}, {"mx", "Q2", "", "s@x", 4}};
    store.save_state(state);
    store.save_outbound_state(outbound);
    store.commit_run();
  }
  SqliteStore store(path_, Store::Mode::kReadOnly);
  CorrelatorState loaded = store.load_state(7LL * 86400 * kMicrosPerSecond, 100);
  EXPECT_TRUE(same(loaded.open_sessions, state.open_sessions));
  ASSERT_EQ(loaded.open_evidence.size(), state.open_evidence.size());
  for (std::size_t i = 0; i < state.open_evidence.size(); ++i) {
    EXPECT_TRUE(same(loaded.open_evidence[i], state.open_evidence[i])) << i;
  }
  EXPECT_TRUE(same(loaded.tracked_messages, state.tracked_messages));
  OutboundState out = store.load_outbound_state();
  EXPECT_TRUE(same(out.failures, outbound.failures));
  EXPECT_TRUE(same(out.messages, outbound.messages));
  // The outbound entries' raw lines and the queue ids' notes.
  auto lines = [](const std::vector<OutboundLine>& v) {
    std::string t;
    for (const auto& l : v)
      t += l.role + "|" + l.input + "|" + std::to_string(l.line) + "|" + l.raw + "\n";
    return t;
  };
  ASSERT_EQ(out.failures.size(), 1u);
  EXPECT_EQ(lines(out.failures[0].evidence), lines(outbound.failures[0].evidence));
  ASSERT_EQ(out.messages.size(), 2u);
  EXPECT_EQ(lines(out.messages[0].evidence), lines(outbound.messages[0].evidence));
  EXPECT_TRUE(out.messages[1].evidence.empty());
  ASSERT_EQ(out.notes.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(out.notes[i].mx_host, outbound.notes[i].mx_host);
    EXPECT_EQ(out.notes[i].queue_id, outbound.notes[i].queue_id);
    EXPECT_EQ(out.notes[i].message_id, outbound.notes[i].message_id);
    EXPECT_EQ(out.notes[i].sender, outbound.notes[i].sender);
    EXPECT_EQ(out.notes[i].seen_at, outbound.notes[i].seen_at);
  }
}

TEST_F(SqliteStoreTest, RolledBackRunLeavesTheFileAsItWas) {
  {
    SqliteStore store(path_, Store::Mode::kReadWrite);
    store.begin_run();
    store.set_setting("window_seconds", "3600");
    store.commit_run();
  }
  const std::string before = bytes();
  ASSERT_FALSE(before.empty());
  {
    SqliteStore store(path_, Store::Mode::kReadWrite);
    store.begin_run();
    store.set_setting("window_seconds", "60");
    SessionRecord s = open_session(0, 8);
    store.save_session(s);
    CorrelatorState state;
    state.open_sessions = {s};
    state.open_evidence = {{{"mail.log", 1, "line"}}};
    store.save_state(state);
    RunRecord run;
    run.drops.evicted_sessions = 3;
    store.record_run(run);
    store.rollback_run();
  }
  EXPECT_EQ(bytes(), before);
  SqliteStore store(path_, Store::Mode::kReadOnly);
  EXPECT_EQ(store.setting("window_seconds"), "3600");
  EXPECT_TRUE(store.query("status_runs", {{"limit", std::int64_t{10}}}).rows.empty());
}

// Statement::column_value gives what column_type() with column_int() or
// column_view() give: NULL, integers (the extremes too), reals as SQLite's
// text of them, text and blobs as their bytes.
TEST_F(SqliteStoreTest, ColumnValueIsTheColumnReadOneWay) {
  Db db(path_, Db::Mode::kReadWrite, 0);
  Statement st = db.prepare(
      "SELECT NULL, 0, -9223372036854775808, 9223372036854775807, 2.5, 1e300, '', "
      "'caf' || char(233), x'00ff41', 7.0",
      "test");
  ASSERT_TRUE(st.step());
  for (int i = 0; i < st.column_count(); ++i) {
    const Statement::Type want = st.column_type(i);
    std::int64_t n = -1;
    std::string_view text;
    const Statement::Type got = st.column_value(i, n, text);
    ASSERT_EQ(got, want) << i;
    if (got == Statement::Type::kInteger) {
      EXPECT_EQ(n, st.column_int(i)) << i;
    } else if (got != Statement::Type::kNull) {
      EXPECT_EQ(std::string(text), std::string(st.column_view(i))) << i;
    }
  }
  // Again, each column read first by column_value (a type read after a
  // conversion to text is not SQLite's to promise).
  st.reset();
  ASSERT_TRUE(st.step());
  std::int64_t n = 0;
  std::string_view text;
  EXPECT_EQ(st.column_value(2, n, text), Statement::Type::kInteger);
  EXPECT_EQ(n, std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(st.column_value(4, n, text), Statement::Type::kReal);
  EXPECT_EQ(text, "2.5");
  EXPECT_EQ(st.column_value(8, n, text), Statement::Type::kText);  // a blob reads as text
  EXPECT_EQ(text, std::string_view("\0\xff"
                                   "A",
                                   3));
}

TEST_F(SqliteStoreTest, SettingsRoundTrip) {
  SqliteStore store(path_, Store::Mode::kReadWrite);
  EXPECT_EQ(store.setting("next_ord"), std::nullopt);
  const std::string odd("a\0b'; DROP TABLE settings; --", 29);
  for (const std::string& value : {std::string("1"), std::string(""), odd}) {
    store.set_setting("next_ord", value);
    EXPECT_EQ(store.setting("next_ord"), value);
  }
  store.set_setting(odd, "x");
  EXPECT_EQ(store.setting(odd), "x");
  EXPECT_EQ(effective_window(store, std::nullopt), kDefaultWindowSeconds);
  store.set_setting("window_seconds", "90");
  EXPECT_EQ(effective_window(store, std::nullopt), 90);
  EXPECT_EQ(effective_window(store, 5), 5);
}

TEST_F(SqliteStoreTest, RunDropsShowInStatus) {
  SqliteStore store(path_, Store::Mode::kReadWrite);
  RunRecord run;
  run.drops.evicted_sessions = 2;
  run.drops.outbound_dropped = 5;
  store.record_run(run);
  ResultSet rs = store.query("status_runs", {{"limit", std::int64_t{1}}});
  ASSERT_EQ(rs.rows.size(), 1u);
  ASSERT_GE(rs.columns.size(), 2u);
  EXPECT_EQ(rs.columns[rs.columns.size() - 2], "dropped");
  EXPECT_EQ(rs.rows[0][rs.columns.size() - 2].text, "7");
  EXPECT_EQ(rs.rows[0].back().text, "evicted_sessions=2 outbound_dropped=5");
}

// A failed client is watched while its failure is within the horizon of the
// host's newest line.
TEST_F(SqliteStoreTest, WatchHorizonIsTheOneAskedFor) {
  SqliteStore store(path_, Store::Mode::kReadWrite);
  SessionRecord s = open_session(0, 8);  // failed
  store.save_session(s);
  StringMap<HostFacts> hosts;
  hosts["mx"].newest_at = s.failure_at + 1000;
  store.merge_host_facts(hosts);
  struct Case {
    Micros horizon;
    std::size_t watched;
  };
  for (const Case& c : {Case{1000, 1}, Case{999, 0}, Case{7LL * 86400 * kMicrosPerSecond, 1}}) {
    EXPECT_EQ(store.load_state(c.horizon, 100).watched.size(), c.watched) << c.horizon;
  }
}

// At most max_watched failed clients come back, those of the latest
// failures; the others are counted, not loaded (a flood of failing
// addresses must not fill the next run's memory).
TEST_F(SqliteStoreTest, WatchedClientsLoadedUpToTheBound) {
  SqliteStore store(path_, Store::Mode::kReadWrite);
  Micros newest = 0;
  for (std::uint32_t i = 0; i < 5; ++i) {
    SessionRecord s = open_session(0, 2 * i);  // failed, one second apart
    s.client_ip = "192.0.2." + std::to_string(20 + i);
    s.failure_at += static_cast<Micros>(i) * kMicrosPerSecond;
    store.save_session(s);
    newest = s.failure_at;
  }
  StringMap<HostFacts> hosts;
  hosts["mx"].newest_at = newest;
  store.merge_host_facts(hosts);
  const Micros week = 7LL * 86400 * kMicrosPerSecond;
  const CorrelatorState all = store.load_state(week, 10);
  EXPECT_EQ(all.watched.size(), 5u);
  EXPECT_EQ(all.watched_not_loaded, 0u);
  const CorrelatorState some = store.load_state(week, 2);
  ASSERT_EQ(some.watched.size(), 2u);
  EXPECT_EQ(some.watched[0].client_ip, "192.0.2.24");
  EXPECT_EQ(some.watched[1].client_ip, "192.0.2.23");
  EXPECT_EQ(some.watched_not_loaded, 3u);
}

std::string stored_name(const std::string& path) {
  Db db(path, Db::Mode::kReadOnly, 0);
  Statement st = db.prepare("SELECT client_name || ' ' || org_domain FROM client_stats", "test");
  EXPECT_TRUE(st.step());
  return st.column_text(0);
}

ClientStatsList named(std::string name, std::string domain, Micros at) {
  ClientStats c;
  c.client_name = std::move(name);
  c.org_domain = std::move(domain);
  c.named_at = at;
  c.sessions = 1;
  c.first_seen = c.last_seen = at;
  return {{"192.0.2.7", c}};
}

// The name kept is the latest session's, of two at one time the greater,
// whatever order the runs (or hosts) hand their counts over in.
TEST_F(SqliteStoreTest, ClientNameDoesNotDependOnCommitOrder) {
  const Micros t = 1'700'000'000'000'000;
  const std::vector<ClientStatsList> runs = {
      named("b.bank.example", "bank.example", t), named("a.other.example", "other.example", t),
      named("", "", t + 5), named("c.old.example", "old.example", t - 1)};
  for (const bool reversed : {false, true}) {
    SCOPED_TRACE(reversed);
    ::unlink(path_.c_str());
    SqliteStore store(path_, Store::Mode::kReadWrite);
    for (std::size_t i = 0; i < runs.size(); ++i) {
      store.add_client_stats(runs[reversed ? runs.size() - 1 - i : i]);
    }
    EXPECT_EQ(stored_name(path_), "b.bank.example bank.example");
  }
}

// A version 2 database (no client_stats.named_at) is migrated: its names
// stay until a later one comes.
TEST_F(SqliteStoreTest, VersionTwoGainsNamedAt) {
  const Micros t = 1'700'000'000'000'000;
  {
    SqliteStore store(path_, Store::Mode::kReadWrite);
    store.add_client_stats(named("old.bank.example", "bank.example", t));
  }
  {
    Db db(path_, Db::Mode::kReadWrite, 0);
    db.exec("ALTER TABLE client_stats DROP COLUMN named_at", "test");
    db.exec("PRAGMA user_version = 2", "test");
  }
  SqliteStore store(path_, Store::Mode::kReadWrite);
  EXPECT_EQ(stored_name(path_), "old.bank.example bank.example");
  store.add_client_stats(named("new.other.example", "other.example", t + 1));
  EXPECT_EQ(stored_name(path_), "new.other.example other.example");
}

std::pair<TlsParams, TlsCount> tls_count(std::string direction, std::string peer,
                                         std::string protocol, std::string cipher,
                                         std::int64_t sessions) {
  TlsParams p;
  p.direction = std::move(direction);
  p.mx_host = "mx";
  p.peer_ip = std::move(peer);
  p.protocol = std::move(protocol);
  p.cipher = std::move(cipher);
  p.bits = p.protocol.empty() ? 0 : 256;
  const Micros t = 1'700'000'000'000'000;
  return {p, TlsCount{sessions, t, t + sessions}};
}

// Every row of a result, one line each, for comparing whole results.
std::string all_rows(const ResultSet& rs) {
  std::string out;
  for (const auto& row : rs.rows) {
    for (const Cell& c : row) out.append(c.text).push_back('|');
    out.push_back('\n');
  }
  return out;
}

// The first `columns` columns of every row `sql` gives on the file at
// `path`, read by a connection of its own: one line per row.
std::string rows_as_text(const std::string& path, const std::string& sql, int columns) {
  Db db(path, Db::Mode::kReadOnly, 0);
  Statement st = db.prepare(sql, "test");
  std::string out;
  while (st.step()) {
    for (int i = 0; i < columns; ++i) out.append(st.column_text(i)).push_back('|');
    out.push_back('\n');
  }
  return out;
}

// tls_mix (what the report's protocol and cipher mix reads) is the
// inventory summed per direction, protocol and cipher, whatever the
// hand-overs; a database without it reads the same through a view, and the
// next write makes it with the same contents.
TEST_F(SqliteStoreTest, TlsMixIsTheInventorySummed) {
  const QueryParams period = {{"since_us", std::int64_t{0}},
                              {"until_us", std::int64_t{4'000'000'000'000'000}},
                              {"prev_since_us", std::int64_t{0}}};
  std::string report;
  {
    SqliteStore store(path_, Store::Mode::kReadWrite);
    store.add_tls_counts({tls_count("in", "192.0.2.1", "TLSv1.3", "TLS_AES_256_GCM_SHA384", 3),
                          tls_count("in", "192.0.2.2", "TLSv1.3", "TLS_AES_256_GCM_SHA384", 4),
                          tls_count("in", "192.0.2.2", "", "", 2)});
    store.add_tls_counts(
        {tls_count("in", "192.0.2.1", "TLSv1.3", "TLS_AES_256_GCM_SHA384", 5),
         tls_count("in", "192.0.2.3", "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", 1),
         tls_count("out", "198.51.100.7", "TLSv1.3", "TLS_AES_128_GCM_SHA256", 6)});
    report = all_rows(store.query("report_counts", period));
  }
  const auto mix = [&](const std::string& sql) { return rows_as_text(path_, sql, 4); };
  const std::string summed =
      mix("SELECT direction, protocol, cipher, sum(sessions) FROM tls_inventory "
          "GROUP BY direction, protocol, cipher ORDER BY 1, 2, 3");
  EXPECT_EQ(mix("SELECT direction, protocol, cipher, sessions FROM tls_mix ORDER BY 1, 2, 3"),
            summed);
  EXPECT_EQ(summed,
            "in|||2|\nin|TLSv1.2|ECDHE-RSA-AES128-GCM-SHA256|1|\n"
            "in|TLSv1.3|TLS_AES_256_GCM_SHA384|12|\nout|TLSv1.3|TLS_AES_128_GCM_SHA256|6|\n");
  EXPECT_NE(report.find("protocol|in|TLSv1.3|12|"), std::string::npos) << report;

  {
    Db db(path_, Db::Mode::kReadWrite, 0);
    db.exec("DROP TABLE tls_mix", "test");
  }
  const std::string before = bytes();
  {
    SqliteStore reader(path_, Store::Mode::kReadOnly);
    EXPECT_EQ(all_rows(reader.query("report_counts", period)), report);
  }
  EXPECT_EQ(bytes(), before);
  {
    SqliteStore writer(path_, Store::Mode::kReadWrite);
    EXPECT_EQ(all_rows(writer.query("report_counts", period)), report);
  }
  EXPECT_EQ(mix("SELECT direction, protocol, cipher, sessions FROM tls_mix ORDER BY 1, 2, 3"),
            summed);
}

// The TLS inventory as `pftls tls` listed it before tls_peers: grouped
// from tls_inventory on each query, names from client_stats, then sorted.
// tls_peers must give exactly these rows.
constexpr const char* kInventoryListing =
    "SELECT p.direction, p.client_ip, CASE WHEN p.direction = 'in' THEN "
    "coalesce(cs.client_name, '') ELSE '' END, p.hosts, p.tls_sessions, p.unknown_sessions, "
    "coalesce(p.protocols, ''), coalesce(p.ciphers, ''), coalesce(p.trust, ''), p.min_bits, "
    "strftime('%Y-%m-%dT%H:%M:%SZ', p.first_seen / 1000000, 'unixepoch'), "
    "strftime('%Y-%m-%dT%H:%M:%SZ', p.last_seen / 1000000, 'unixepoch') FROM ("
    "SELECT direction, client_ip, distinct_list(mx_host) AS hosts, sum(sessions) AS "
    "tls_sessions, sum(CASE WHEN protocol = '' THEN sessions ELSE 0 END) AS unknown_sessions, "
    "count_list(protocol, sessions) AS protocols, count_list(cipher, sessions) AS ciphers, "
    "count_list(trust, sessions) AS trust, min(CASE WHEN protocol <> '' THEN bits END) AS "
    "min_bits, min(first_seen) AS first_seen, max(last_seen) AS last_seen FROM tls_inventory "
    "GROUP BY direction, client_ip) AS p LEFT JOIN client_stats AS cs ON cs.client_ip = "
    "p.client_ip ORDER BY p.direction, p.tls_sessions DESC, p.client_ip";

std::string inventory_listing(const std::string& path) {
  return rows_as_text(path, kInventoryListing, 12);
}

const QueryParams kAllPeers = {{"direction", QueryParam{}}, {"client_ip", QueryParam{}}};

// Counts for peer `n` of a run: a few hosts, protocols and trusts, so that
// peers reorder as runs add to them.
TlsCountList peer_counts(test_inputs::XorShift64& next, int n) {
  static const char* const kProtocols[] = {"TLSv1.3", "TLSv1.2", "TLSv1", ""};
  static const char* const kCiphers[] = {"TLS_AES_256_GCM_SHA384", "ECDHE-RSA-AES128-GCM-SHA256",
                                         "AES256-SHA", ""};
  TlsCountList out;
  const std::string ip = "192.0.2." + std::to_string(n);
  for (std::uint64_t k = next() % 3 + 1; k > 0; --k) {
    const std::size_t which = next() % 4;
    auto row = tls_count(n % 7 == 0 ? "out" : "in", ip, kProtocols[which], kCiphers[which],
                         static_cast<std::int64_t>(next() % 5 + 1));
    row.first.mx_host = next() % 2 ? "mx1" : "mx2";
    row.first.trust = next() % 2 ? "Trusted" : "Anonymous";
    row.second.first_seen += static_cast<Micros>(next() % 1000) * 1'000'000;
    row.second.last_seen = row.second.first_seen + 5'000'000;
    out.push_back(std::move(row));
  }
  return out;
}

ClientStatsList renamed(int n, Micros at) {
  ClientStats c;
  c.client_name = "mta" + std::to_string(at % 97) + ".example";
  c.org_domain = "example";
  c.named_at = at;
  c.sessions = 1;
  c.first_seen = c.last_seen = at;
  return {{"192.0.2." + std::to_string(n), c}};
}

// whatif's rows with each client's negotiations as tls_peers keeps them
// and as summed from the inventory (a time bound that every row meets
// takes that path): the same, and some client has some.
std::string whatif_both_ways(Store& store) {
  const ResultSet kept = store.query(
      "whatif",
      {{"since_us", QueryParam{}}, {"until_us", QueryParam{}}, {"client_ip", QueryParam{}}});
  const ResultSet summed = store.query(
      "whatif",
      {{"since_us", std::int64_t{0}}, {"until_us", QueryParam{}}, {"client_ip", QueryParam{}}});
  EXPECT_EQ(kept.columns.back(), "negotiations");
  EXPECT_EQ(all_rows(kept), all_rows(summed));
  EXPECT_NE(all_rows(kept).find("7:TLSv1.3 22:TLS_AES_256_GCM_SHA384 "), std::string::npos)
      << all_rows(kept);
  return all_rows(kept);
}

// tls_peers (what `pftls tls` reads) is the inventory grouped per peer
// with client_stats' names, whatever the runs: a first run that makes every
// row anew, later runs that replace a few, hand-overs outside a run, names
// written before or after the counts, a run rolled back; a database without
// the table is read through a view, and the next writer makes it.
TEST_F(SqliteStoreTest, TlsPeersAreTheInventoryGroupedWithNames) {
  test_inputs::XorShift64 next(16);
  const Micros t = 1'700'000'000'000'000;
  {
    SqliteStore store(path_, Store::Mode::kReadWrite);
    // A first run: every peer new (the whole table made in its order).
    store.begin_run();
    for (int n = 1; n <= 200; ++n) store.add_tls_counts(peer_counts(next, n));
    for (int n = 1; n <= 200; n += 3) store.add_client_stats(renamed(n, t + n));
    store.commit_run();
    ASSERT_EQ(all_rows(store.query("tls", kAllPeers)), inventory_listing(path_));
    // Later runs: a few peers each (their rows replaced), a name before
    // the counts in one run and after them in the next.
    for (int run = 0; run < 20; ++run) {
      store.begin_run();
      const int n = static_cast<int>(next() % 200) + 1;
      if (run % 2 == 0) store.add_client_stats(renamed(n, t + 1000 + run));
      store.add_tls_counts(peer_counts(next, n));
      store.add_tls_counts(peer_counts(next, static_cast<int>(next() % 200) + 1));
      if (run % 2 == 1) store.add_client_stats(renamed(n, t + 1000 + run));
      store.commit_run();
      ASSERT_EQ(all_rows(store.query("tls", kAllPeers)), inventory_listing(path_)) << run;
      whatif_both_ways(store);
    }
    // A name that changes without any TLS session.
    store.add_client_stats(renamed(3, t + 5000));
    // Outside a run, the rows follow at once.
    store.add_tls_counts(peer_counts(next, 201));
    ASSERT_EQ(all_rows(store.query("tls", kAllPeers)), inventory_listing(path_));
    // Rolled back: nothing of it stays, and the next run is whole.
    const std::string before = all_rows(store.query("tls", kAllPeers));
    store.begin_run();
    store.add_tls_counts(peer_counts(next, 5));
    store.rollback_run();
    EXPECT_EQ(all_rows(store.query("tls", kAllPeers)), before);
    store.begin_run();
    store.add_tls_counts(peer_counts(next, 6));
    store.commit_run();
    EXPECT_EQ(all_rows(store.query("tls", kAllPeers)), inventory_listing(path_));
    // One peer, and one direction.
    const auto one =
        store.query("tls", {{"direction", QueryParam{}}, {"client_ip", std::string("192.0.2.6")}});
    ASSERT_EQ(one.rows.size(), 1U);
    EXPECT_EQ(one.rows[0][1].text, "192.0.2.6");
    const auto out =
        store.query("tls", {{"direction", std::string("out")}, {"client_ip", QueryParam{}}});
    EXPECT_EQ(out.rows.size(), 28U);  // 7, 14, ..., 196
  }
  const std::string listing = inventory_listing(path_);
  EXPECT_NE(listing.find("|mx1 mx2|"), std::string::npos);
  EXPECT_NE(listing.find("\nout|192.0.2.7|"), std::string::npos) << "no outbound peer";
  std::string whatif;
  {
    SqliteStore store(path_, Store::Mode::kReadWrite);
    whatif = whatif_both_ways(store);
  }
  // Without the table, and with the table a pftls before the negotiations
  // made (no such column): read through the view; the next writer makes it
  // (again).
  for (const char* drop :
       {"DROP TABLE tls_peers; DROP TRIGGER tls_peers_named; DROP TRIGGER tls_peers_renamed",
        "DROP INDEX tls_peers_peer; ALTER TABLE tls_peers DROP COLUMN negotiations"}) {
    {
      Db db(path_, Db::Mode::kReadWrite, 0);
      db.exec(drop, "test");
    }
    const std::string before = bytes();
    {
      SqliteStore reader(path_, Store::Mode::kReadOnly);
      EXPECT_EQ(all_rows(reader.query("tls", kAllPeers)), listing) << drop;
      EXPECT_EQ(whatif_both_ways(reader), whatif) << drop;
    }
    EXPECT_EQ(bytes(), before);
    SqliteStore writer(path_, Store::Mode::kReadWrite);
    EXPECT_EQ(all_rows(writer.query("tls", kAllPeers)), listing);
    EXPECT_EQ(whatif_both_ways(writer), whatif) << drop;
  }
  SqliteStore writer(path_, Store::Mode::kReadWrite);
  writer.add_client_stats(renamed(10, t + 9000));
  EXPECT_EQ(all_rows(writer.query("tls", kAllPeers)), inventory_listing(path_));
}

// Settling removes the marks no query can need, in batches that resume
// after the last key deleted (so that a run settling millions holds a
// batch's keys, not all of them): more marks than several batches, with
// those a failure needs scattered among them in id and key order, leave
// exactly those.
TEST_F(SqliteStoreTest, SettlingKeepsWhatAFailureNeedsAcrossBatches) {
  constexpr Micros kDay = 86400 * kMicrosPerSecond;
  constexpr Micros kT0 = 1'700'000'000'000'000;  // the old failure
  const Micros newest = kT0 + 100 * kDay;
  constexpr int kOld = 30'000;  // of each kind; a batch is a few thousand
  const std::string failing = "10.0.50.7";
  SqliteStore store(path_, Store::Mode::kReadWrite);
  SessionRecord f = open_session(0, 2);  // failed (even pid), a new row
  f.client_ip = failing;
  f.client_subnet = "10.0.50.0/24";
  f.org_domain = "";
  f.failure_at = kT0;
  store.save_session(f);
  StringMap<HostFacts> hosts;
  hosts["mx"].newest_at = newest;
  store.merge_host_facts(hosts);
  ClientMarkList marks;
  std::size_t kept_plain = 0;
  std::size_t kept_tls = 0;
  const auto ip = [](int i) {
    return "10.0." + std::to_string(i / 250 % 250) + "." + std::to_string(i % 250 + 1);
  };
  for (int i = 0; i < kOld; ++i) {
    ClientMark m;
    m.mx_host = "mx";
    m.client_ip = ip(i);
    m.client_name = "unknown";
    m.queue_id = "Q" + std::to_string(i);
    m.at = kT0 + kDay + i;  // old: before newest - window - 7 days
    m.ord = static_cast<std::uint64_t>(i);
    if (i % 7919 == 0) {  // scattered: a plaintext retry of the failing client
      m.client_ip = failing;
      m.at = kT0 + 60 * kMicrosPerSecond;
      ++kept_plain;
    }
    marks.push_back(m);
    ClientMark t;
    t.tls = true;
    t.mx_host = "mx";
    t.client_ip = ip(i);
    t.at = kT0 + 2 * kDay + i;
    t.ord = std::uint64_t{kOld} + static_cast<std::uint64_t>(i);
    if (i % 6007 == 0) {  // within the failing client's key range
      t.client_ip = failing;
      t.at = kT0 + 30 * kMicrosPerSecond;
      ++kept_tls;
    }
    marks.push_back(t);
  }
  for (int i = 0; i < 50; ++i) {  // recent: kept whatever they are
    ClientMark m;
    m.mx_host = "mx";
    m.client_ip = ip(i);
    m.at = newest - kDay + i;
    m.ord = std::uint64_t{3} * kOld + static_cast<std::uint64_t>(i);
    marks.push_back(m);
    m.tls = true;
    marks.push_back(m);
  }
  store.save_marks(marks);
  const std::int64_t removed = store.settle_marks(kDay, {"mx"});
  EXPECT_EQ(removed, std::int64_t{2} * kOld - static_cast<std::int64_t>(kept_plain + kept_tls));
  Db db(path_, Db::Mode::kReadOnly, 0);
  const auto one = [&](const std::string& sql) {
    Statement st = db.prepare(sql, "test");
    return st.step() ? st.column_int(0) : -1;
  };
  EXPECT_EQ(one("SELECT count(*) FROM plain_marks WHERE client_ip = '" + failing + "'"),
            static_cast<std::int64_t>(kept_plain));
  EXPECT_EQ(one("SELECT count(*) FROM tls_marks WHERE client_ip = '" + failing + "'"),
            static_cast<std::int64_t>(kept_tls));
  EXPECT_EQ(one("SELECT count(*) FROM plain_marks"), static_cast<std::int64_t>(kept_plain) + 50);
  EXPECT_EQ(one("SELECT count(*) FROM tls_marks"), static_cast<std::int64_t>(kept_tls) + 50);
  EXPECT_GT(kept_plain, 1U);
  EXPECT_GT(kept_tls, 1U);
}

TEST_F(SqliteStoreTest, NewerSchemaIsRefusedAndLeftAlone) {
  { SqliteStore store(path_, Store::Mode::kReadWrite); }
  {
    Db db(path_, Db::Mode::kReadWrite, 0);
    db.exec("PRAGMA user_version = " + std::to_string(SqliteStore::kSchemaVersion + 1), "test");
  }
  const std::string before = bytes();
  for (Store::Mode mode : {Store::Mode::kReadWrite, Store::Mode::kReadOnly}) {
    try {
      open_store(path_, mode);
      ADD_FAILURE() << "a newer schema was accepted";
    } catch (const StoreError& e) {
      EXPECT_EQ(e.kind(), StoreError::Kind::kVersion);
      EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
    EXPECT_EQ(bytes(), before);
  }
}

}  // namespace
}  // namespace pftls
