// Unit tests for outbound_tracker: real Postfix 3.7 smtp client lines (and
// Postfix 3.11's tls= field) through PatternSet::builtin() and the tracker,
// into an in-memory OutboundSink.
#include "correlate/outbound_tracker.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "memory_sinks.h"
#include "parse/pattern_set.h"
#include "parse/syslog_envelope.h"

namespace pftls {
namespace {

using MemorySink = test_support::MemoryOutboundSink;

// Feeds syslog lines (year 2026, UTC) through the envelope, the built-in
// patterns and a tracker; `ord` runs on across trackers like ingest's.
class Feeder {
 public:
  Feeder() : zone_("UTC"), parser_(zone_, 2026) { parser_.begin_input(std::nullopt); }
  void feed(OutboundTracker& t, const std::string& line) {
    Envelope env;
    ASSERT_EQ(parser_.parse(line, env), EnvelopeStatus::kPostfix) << line;
    Event ev;
    if (PatternSet::builtin().match(env.service, env.message, ev))
      t.on_event(env, ev, ord_, OutboundTracker::RawLine{line, "log", ord_ + 1});
    ++ord_;
  }
  void feed(OutboundTracker& t, const std::vector<std::string>& lines) {
    for (const auto& l : lines) feed(t, l);
  }

 private:
  LocalZone zone_;
  EnvelopeParser parser_;
  std::uint64_t ord_ = 0;
};

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  std::string l;
  while (std::getline(in, l)) lines.push_back(l);
  return lines;
}

// A record's stored evidence as "ROLE LINE: RAW" lines.
std::string evidence_text(const MemorySink& sink, std::int64_t id) {
  std::string out;
  auto it = sink.evidence.find(id);
  if (it == sink.evidence.end()) return out;
  for (const auto& l : it->second)
    out += l.role + " " + std::to_string(l.line) + ": " + l.raw + "\n";
  return out;
}

// What is pending, through the tracker's public state: failures waiting
// for a queue id, and the distinct (host, queue id) followed.
std::size_t pending_failures(const OutboundTracker& t) { return t.export_state().failures.size(); }
std::size_t pending_messages(const OutboundTracker& t) {
  std::set<std::pair<std::string, std::string>> ids;
  for (const auto& m : t.export_state().messages) ids.emplace(m.record.mx_host, m.record.queue_id);
  return ids.size();
}

const std::string kSamples = std::string(PFTLS_SOURCE_DIR) + "/samples/postfix-3.7/";

// 2026-11-29 hh:mm:ss UTC
Micros at(int h, int m, int s) {
  return (days_from_civil(2026, 11, 29) * 86400 + h * 3600 + m * 60 + s) * kMicrosPerSecond;
}

// ---------------------------------------------------------------------------
// Line builders: the wording of real Postfix 3.7 / OpenSSL 3 lines.

constexpr const char* kWeak = "mail.weak.test[127.0.0.19]:25";

std::string head(const std::string& time, const std::string& host, int pid,
                 const std::string& service = "smtp") {
  return "Nov 29 " + time + " " + host + " postfix/" + service + "[" + std::to_string(pid) + "]: ";
}
std::string ssl_error(const std::string& time, int pid, const std::string& host = "mx",
                      const std::string& relay = kWeak) {
  return head(time, host, pid) + "SSL_connect error to " + relay + ": -1";
}
std::string library(const std::string& time, int pid, const std::string& host = "mx") {
  return head(time, host, pid) +
         "warning: TLS library problem: error:0A000410:SSL routines::sslv3 alert handshake "
         "failure:../ssl/record/rec_layer_s3.c:1601:SSL alert number 40:";
}
std::string deferred(const std::string& time, int pid, const std::string& qid,
                     const std::string& host = "mx", const std::string& rcpt = "ap@weak.test",
                     const std::string& relay = kWeak) {
  return head(time, host, pid) + qid + ": to=<" + rcpt + ">, relay=" + relay +
         ", delay=0.19, delays=0.05/0.06/0.09/0, dsn=4.7.5, status=deferred (Cannot start TLS: "
         "handshake failure)";
}
std::string cannot_start(const std::string& time, int pid, const std::string& qid,
                         const std::string& host = "mx") {
  return head(time, host, pid) + qid + ": Cannot start TLS: handshake failure";
}
std::string sent(const std::string& time, int pid, const std::string& qid,
                 const std::string& host = "mx", const std::string& rcpt = "ap@weak.test",
                 const std::string& relay = kWeak, const std::string& tls = "") {
  return head(time, host, pid) + qid + ": to=<" + rcpt + ">, relay=" + relay +
         ", delay=3.2, delays=3.2/0/0/0.01, " + (tls.empty() ? "" : "tls=" + tls + ", ") +
         "dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 578CA110332)";
}
std::string greylisted(const std::string& time, int pid, const std::string& qid,
                       const std::string& host = "mx") {
  return head(time, host, pid) + qid + ": to=<ap@weak.test>, relay=" + kWeak +
         ", delay=5, delays=5/0/0/0, dsn=4.2.0, status=deferred (host mail.weak.test[127.0.0.19] "
         "said: 450 4.2.0 Greylisted (in reply to RCPT TO command))";
}
std::string tls_ok(const std::string& time, int pid, const std::string& host = "mx",
                   const std::string& relay = kWeak) {
  return head(time, host, pid) + "Untrusted TLS connection established to " + relay +
         ": TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)";
}
std::string removed(const std::string& time, const std::string& qid,
                    const std::string& host = "mx") {
  return head(time, host, 100, "qmgr") + qid + ": removed";
}

// ---------------------------------------------------------------------------
// The patterns the tracker lives on

TEST(OutboundPatterns, SmtpClientLinesAreTheirOwnEvents) {
  const PatternSet& set = PatternSet::builtin();
  Event ev;
  ASSERT_TRUE(set.match("smtp", "SSL_connect error to mail.weak.test[127.0.0.19]:25: -1", ev));
  EXPECT_EQ(ev.kind, EventKind::kSslConnectError);
  EXPECT_EQ(ev.get(Field::kClientName), "mail.weak.test");
  EXPECT_EQ(ev.get(Field::kClientIp), "127.0.0.19");
  EXPECT_EQ(ev.get(Field::kClientPort), "25");
  EXPECT_EQ(ev.get(Field::kDetail), "-1");

  ev.clear();
  ASSERT_TRUE(set.match("smtp", "30BA91102C2: Cannot start TLS: handshake failure", ev));
  EXPECT_EQ(ev.kind, EventKind::kCannotStartTls);
  EXPECT_EQ(ev.get(Field::kQueueId), "30BA91102C2");

  ev.clear();
  ASSERT_TRUE(
      set.match("lmtp",
                "Verified TLS connection established to mail.sys4.de[2001:1578:400:111::7]:25: "
                "TLSv1 with cipher ECDHE-RSA-AES256-SHA (256/256 bits)",
                ev));
  EXPECT_EQ(ev.kind, EventKind::kTlsEstablishedTo);
  EXPECT_EQ(ev.get(Field::kClientIp), "2001:1578:400:111::7");

  ev.clear();
  ASSERT_TRUE(
      set.match("smtp",
                "warning: TLS library problem: error:0A000410:SSL routines::sslv3 alert handshake "
                "failure:../ssl/record/rec_layer_s3.c:1601:SSL alert number 40:",
                ev));
  EXPECT_EQ(ev.kind, EventKind::kTlsLibraryProblem);
  EXPECT_EQ(ev.get(Field::kOpensslCode), "0A000410");
}

TEST(OutboundPatterns, DeliveryLinesStayRecipientsWithRelayAndStatus) {
  const PatternSet& set = PatternSet::builtin();
  struct Case {
    const char* message;
    const char* status;
    const char* detail_prefix;
    const char* tls;
  };
  const Case cases[] = {
      {"30BA91102C2: to=<ap@weak.test>, relay=mail.weak.test[127.0.0.19]:25, delay=0.26, "
       "delays=0.06/0.1/0.1/0, dsn=4.7.5, status=deferred (Cannot start TLS: handshake failure)",
       "deferred", "Cannot start TLS", ""},
      {"30BA91102C2: to=<ap@weak.test>, relay=mail.weak.test[127.0.0.19]:25, delay=4.2, "
       "delays=4.2/0/0/0.04, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 61FA8110626)",
       "sent", "250 ", ""},
      {"30BA91102C2: to=<ap@weak.test>, relay=mail.weak.test[127.0.0.19]:25, delay=3.6, "
       "delays=0.08/0.02/0.85/0.14, tls=may:none, dsn=2.1.5, status=sent (250 2.0.0 Ok)",
       "sent", "250 ", "may:none"},
  };
  for (const auto& c : cases) {
    Event ev;
    ASSERT_TRUE(set.match("smtp", c.message, ev)) << c.message;
    EXPECT_EQ(ev.kind, EventKind::kRecipient) << c.message;
    EXPECT_EQ(ev.get(Field::kQueueId), "30BA91102C2");
    EXPECT_EQ(ev.get(Field::kRecipient), "ap@weak.test");
    EXPECT_EQ(ev.get(Field::kClientName), "mail.weak.test");
    EXPECT_EQ(ev.get(Field::kClientIp), "127.0.0.19");
    EXPECT_EQ(ev.get(Field::kClientPort), "25");
    EXPECT_EQ(ev.get(Field::kStatus), c.status);
    EXPECT_TRUE(ev.get(Field::kDetail).starts_with(c.detail_prefix)) << ev.get(Field::kDetail);
    EXPECT_EQ(ev.get(Field::kTls), c.tls);
  }
}

// ---------------------------------------------------------------------------
// The captured Postfix 3.7 logs (samples/postfix-3.7/README.md)

TEST(OutboundTracker, CapturedLogOfOurServer) {
  MemorySink sink;
  OutboundTracker t(sink);
  Feeder f;
  f.feed(t, read_lines(kSamples + "mx.test.log"));
  const auto recs = sink.records();
  ASSERT_EQ(recs.size(), 1u);
  const OutboundRecord& r = recs[0];
  EXPECT_EQ(r.mx_host, "mx");
  EXPECT_EQ(r.queue_id, "30BA91102C2");
  EXPECT_EQ(r.relay_name, "mail.weak.test");
  EXPECT_EQ(r.relay_ip, "127.0.0.19");
  EXPECT_EQ(r.relay_port, "25");
  EXPECT_EQ(r.failed_attempts, 3);  // deferred at 00:34:12 and 00:34:14, fallback at 00:34:16
  EXPECT_EQ(r.failure_at, at(0, 34, 16));
  EXPECT_EQ(r.plaintext_at, at(0, 34, 16));
  EXPECT_LT(r.failure_ord, r.plaintext_ord);
  EXPECT_EQ(r.failure_reason, "alert-handshake-failure");
  EXPECT_EQ(r.openssl_code, "0A000410");
  EXPECT_EQ(r.recipients, std::vector<std::string>{"ap@weak.test"});
  EXPECT_TRUE(r.fallback_seen);
  EXPECT_EQ(t.counts().fallbacks, 1u);
  EXPECT_EQ(t.counts().failures, 3u);
  // qmgr's "removed" ended the queue id; nothing is left pending.
  EXPECT_EQ(pending_messages(t), 0u);
  EXPECT_EQ(pending_failures(t), 0u);
}

TEST(OutboundTracker, CapturedLogOfTheSendingBank) {
  MemorySink sink;
  OutboundTracker t(sink);
  Feeder f;
  f.feed(t, read_lines(kSamples + "mta.bank.test.log"));
  const auto recs = sink.records();
  ASSERT_EQ(recs.size(), 1u);
  const OutboundRecord& r = recs[0];
  EXPECT_EQ(r.mx_host, "mta");
  EXPECT_EQ(r.queue_id, "291581102A3");
  EXPECT_EQ(r.relay_name, "mx.test");
  EXPECT_EQ(r.relay_ip, "127.0.0.10");
  EXPECT_EQ(r.failed_attempts, 2);
  EXPECT_EQ(r.failure_at, at(0, 34, 15));
  EXPECT_EQ(r.plaintext_at, at(0, 34, 15));
  EXPECT_EQ(r.failure_reason, "alert-handshake-failure");
  EXPECT_EQ(r.recipients, std::vector<std::string>{"bank@mx.test"});
}

TEST(OutboundTracker, CapturedLogOfTheWeakPartnerHasNone) {
  MemorySink sink;
  OutboundTracker t(sink);
  Feeder f;
  f.feed(t, read_lines(kSamples + "mail.weak.test.log"));
  EXPECT_TRUE(sink.rows.empty());
}

// ---------------------------------------------------------------------------
// Scenarios

struct Expect {
  std::string host;
  std::string queue_id;
  std::string relay_ip;
  int failed_attempts;
  Micros failure_at;
  Micros plaintext_at;
  std::vector<std::string> recipients;
  bool fallback_seen;
};

struct Scenario {
  const char* name;
  std::vector<std::string> lines;
  std::vector<Expect> expect;            // in insertion order
  std::size_t pending_after = SIZE_MAX;  // pending messages at the end; SIZE_MAX: not checked
};

void PrintTo(const Scenario& s, std::ostream* os) { *os << s.name; }

std::vector<Scenario> scenarios() {
  const std::string Q = "CDF4F11E17E";
  return {
      {"fallback after a deferral, retry on another pid",
       {ssl_error("00:41:38", 30073), library("00:41:38", 30073), deferred("00:41:38", 30073, Q),
        ssl_error("00:46:40", 30100), library("00:46:40", 30100),
        cannot_start("00:46:40", 30100, Q), sent("00:46:41", 30100, Q), removed("00:46:41", Q)},
       {{"mx", Q, "127.0.0.19", 2, at(0, 46, 40), at(0, 46, 41), {"ap@weak.test"}, true}},
       0},
      {"deferrals only",
       {ssl_error("00:41:38", 30073), library("00:41:38", 30073), deferred("00:41:38", 30073, Q),
        ssl_error("00:46:40", 30100), library("00:46:40", 30100), deferred("00:46:40", 30100, Q)},
       {},
       1},
      {"Cannot start TLS inside status=deferred is no fallback",
       {ssl_error("00:41:38", 30073), library("00:41:38", 30073), deferred("00:41:38", 30073, Q),
        sent("00:46:41", 30073, Q)},
       {},
       0},
      {"TLS after failures",
       {ssl_error("00:41:38", 30073), library("00:41:38", 30073), deferred("00:41:38", 30073, Q),
        ssl_error("00:46:40", 30100), library("00:46:40", 30100), deferred("00:46:40", 30100, Q),
        tls_ok("00:56:40", 30111), sent("00:56:41", 30111, Q)},
       {},
       0},
      {"a plaintext retry that was deferred, then a fallback",
       {ssl_error("00:41:38", 30073), library("00:41:38", 30073),
        cannot_start("00:41:38", 30073, Q), greylisted("00:41:39", 30073, Q),
        ssl_error("00:51:38", 30073), library("00:51:38", 30073),
        cannot_start("00:51:38", 30073, Q), sent("00:51:39", 30073, Q)},
       {{"mx", Q, "127.0.0.19", 2, at(0, 51, 38), at(0, 51, 39), {"ap@weak.test"}, true}}},
      {"next MX over TLS after Cannot start TLS",
       {ssl_error("00:41:38", 30073), library("00:41:38", 30073),
        cannot_start("00:41:38", 30073, Q),
        tls_ok("00:41:39", 30073, "mx", "mx2.weak.test[127.0.0.29]:25"),
        sent("00:41:39", 30073, Q, "mx", "ap@weak.test", "mx2.weak.test[127.0.0.29]:25")},
       {}},
      {"three recipients in the fallback attempt, one record",
       {ssl_error("00:41:38", 30073), library("00:41:38", 30073),
        deferred("00:41:38", 30073, Q, "mx", "a@weak.test"),
        deferred("00:41:38", 30073, Q, "mx", "b@weak.test"),
        deferred("00:41:38", 30073, Q, "mx", "c@weak.test"), ssl_error("00:46:40", 30100),
        library("00:46:40", 30100), cannot_start("00:46:40", 30100, Q),
        sent("00:46:41", 30100, Q, "mx", "a@weak.test"),
        sent("00:46:41", 30100, Q, "mx", "b@weak.test"),
        sent("00:46:41", 30100, Q, "mx", "c@weak.test")},
       {{"mx",
         Q,
         "127.0.0.19",
         2,
         at(0, 46, 40),
         at(0, 46, 41),
         {"a@weak.test", "b@weak.test", "c@weak.test"},
         true}}},
      {"retries on different pids, interleaved with other deliveries",
       {ssl_error("00:41:38", 30073),
        ssl_error("00:41:38", 30074, "mx", "mx.other.test[192.0.2.7]:25"),
        library("00:41:38", 30073), deferred("00:41:38", 30073, Q),
        tls_ok("00:41:38", 30074, "mx", "mx.other.test[192.0.2.7]:25"),
        sent("00:41:39", 30074, "AAAAA11111", "mx", "x@other.test", "mx.other.test[192.0.2.7]:25"),
        ssl_error("00:43:00", 30090), library("00:43:00", 30090), deferred("00:43:00", 30090, Q),
        ssl_error("00:46:40", 30100), library("00:46:40", 30100),
        cannot_start("00:46:40", 30100, Q), sent("00:46:41", 30100, Q)},
       {{"mx", Q, "127.0.0.19", 3, at(0, 46, 40), at(0, 46, 41), {"ap@weak.test"}, true}}},
      {"two hosts, the same pids and queue ids",
       {ssl_error("00:41:38", 30073, "mx"), ssl_error("00:41:38", 30073, "mx2"),
        library("00:41:38", 30073, "mx"), library("00:41:38", 30073, "mx2"),
        deferred("00:41:38", 30073, Q, "mx"), deferred("00:41:38", 30073, Q, "mx2"),
        ssl_error("00:46:40", 30100, "mx"), library("00:46:40", 30100, "mx"),
        cannot_start("00:46:40", 30100, Q, "mx"), tls_ok("00:46:40", 30100, "mx2"),
        sent("00:46:41", 30100, Q, "mx2"), sent("00:46:41", 30100, Q, "mx")},
       {{"mx", Q, "127.0.0.19", 2, at(0, 46, 40), at(0, 46, 41), {"ap@weak.test"}, true}},
       1},  // mx2's queue id went out over TLS and is gone; mx's waits for "removed
      {"two hosts, the fallback on the other one",
       {ssl_error("00:41:38", 30073, "mx"), library("00:41:38", 30073, "mx"),
        deferred("00:41:38", 30073, Q, "mx"), ssl_error("00:46:40", 30100, "mx2"),
        library("00:46:40", 30100, "mx2"), cannot_start("00:46:40", 30100, Q, "mx2"),
        sent("00:46:41", 30100, Q, "mx2")},
       {{"mx2", Q, "127.0.0.19", 1, at(0, 46, 40), at(0, 46, 41), {"ap@weak.test"}, true}}},
      {"Postfix 3.11 tls=may:none after a failure",
       {ssl_error("00:41:38", 30073), library("00:41:38", 30073), deferred("00:41:38", 30073, Q),
        ssl_error("00:46:40", 30100), library("00:46:40", 30100),
        sent("00:46:41", 30100, Q, "mx", "ap@weak.test", kWeak, "may:none")},
       {{"mx", Q, "127.0.0.19", 2, at(0, 46, 40), at(0, 46, 41), {"ap@weak.test"}, false}}},
      {"Postfix 3.11 tls=may:none with the Cannot start TLS line",
       {ssl_error("00:46:40", 30100), library("00:46:40", 30100),
        cannot_start("00:46:40", 30100, Q),
        sent("00:46:41", 30100, Q, "mx", "ap@weak.test", kWeak, "may:none")},
       {{"mx", Q, "127.0.0.19", 1, at(0, 46, 40), at(0, 46, 41), {"ap@weak.test"}, true}}},
      {"Postfix 3.11 tls=may:none without any failure",
       {sent("00:46:41", 30100, Q, "mx", "ap@weak.test", kWeak, "may:none")},
       {},
       0},
      {"Postfix 3.11 tls=may (TLS used) after Cannot start TLS",
       {ssl_error("00:46:40", 30100), library("00:46:40", 30100),
        cannot_start("00:46:40", 30100, Q),
        sent("00:46:41", 30100, Q, "mx", "ap@weak.test", kWeak, "may")},
       {},
       0},
      {"Cannot start TLS without a failure line before it",
       {cannot_start("00:46:40", 30100, Q), sent("00:46:41", 30100, Q)},
       {{"mx", Q, "127.0.0.19", 1, at(0, 46, 40), at(0, 46, 41), {"ap@weak.test"}, true}}},
      {"a library problem alone is no handshake failure",
       {library("00:46:40", 30100),
        sent("00:46:41", 30100, Q, "mx", "ap@weak.test", kWeak, "may:none")},
       {},
       0},
      {"a TLS success on the pid drops its failure",
       {ssl_error("00:46:40", 30100), tls_ok("00:46:41", 30100),
        sent("00:46:42", 30100, Q, "mx", "ap@weak.test", kWeak, "may:none")},
       {},
       0},
      {"removed ends a queue id",
       {ssl_error("00:41:38", 30073), library("00:41:38", 30073), deferred("00:41:38", 30073, Q),
        removed("00:42:00", Q), cannot_start("00:46:40", 30100, Q), sent("00:46:41", 30100, Q)},
       {{"mx", Q, "127.0.0.19", 1, at(0, 46, 40), at(0, 46, 41), {"ap@weak.test"}, true}}},
  };
}

class OutboundScenario : public ::testing::TestWithParam<Scenario> {};

void check(const Scenario& s, const MemorySink& sink) {
  const auto recs = sink.records();
  ASSERT_EQ(recs.size(), s.expect.size()) << s.name;
  for (std::size_t i = 0; i < recs.size(); ++i) {
    const OutboundRecord& r = recs[i];
    const Expect& e = s.expect[i];
    EXPECT_EQ(r.mx_host, e.host) << s.name;
    EXPECT_EQ(r.queue_id, e.queue_id) << s.name;
    EXPECT_EQ(r.relay_ip, e.relay_ip) << s.name;
    EXPECT_EQ(r.failed_attempts, e.failed_attempts) << s.name;
    EXPECT_EQ(r.failure_at, e.failure_at) << s.name;
    EXPECT_EQ(r.plaintext_at, e.plaintext_at) << s.name;
    EXPECT_EQ(r.recipients, e.recipients) << s.name;
    EXPECT_EQ(r.fallback_seen, e.fallback_seen) << s.name;
    EXPECT_FALSE(r.failure_reason.empty()) << s.name;
  }
}

TEST_P(OutboundScenario, OnePass) {
  const Scenario& s = GetParam();
  MemorySink sink;
  OutboundTracker t(sink);
  Feeder f;
  f.feed(t, s.lines);
  check(s, sink);
  EXPECT_EQ(sink.inserts, static_cast<int>(s.expect.size())) << s.name;
  if (s.pending_after != SIZE_MAX) {
    EXPECT_EQ(pending_messages(t), s.pending_after) << s.name;
  }
}

// However the log is cut into runs, with the state carried over, the
// records are those of one pass.
TEST_P(OutboundScenario, EveryCutBetweenTwoRuns) {
  const Scenario& s = GetParam();
  MemorySink whole;
  {
    OutboundTracker t(whole);
    Feeder f;
    f.feed(t, s.lines);
  }
  for (std::size_t cut = 0; cut <= s.lines.size(); ++cut) {
    MemorySink sink;
    Feeder f;
    OutboundTracker::State state;
    {
      OutboundTracker first(sink);
      for (std::size_t i = 0; i < cut; ++i) f.feed(first, s.lines[i]);
      state = first.export_state();
    }
    OutboundTracker second(sink);
    second.restore(state);
    for (std::size_t i = cut; i < s.lines.size(); ++i) f.feed(second, s.lines[i]);
    ASSERT_EQ(sink.rows.size(), whole.rows.size()) << s.name << ", cut before line " << cut;
    for (const auto& [id, r] : whole.rows) {
      const OutboundRecord& got = sink.rows.at(id);
      EXPECT_EQ(got.queue_id, r.queue_id) << s.name << ", cut " << cut;
      EXPECT_EQ(got.relay_ip, r.relay_ip) << s.name << ", cut " << cut;
      EXPECT_EQ(got.failed_attempts, r.failed_attempts) << s.name << ", cut " << cut;
      EXPECT_EQ(got.failure_at, r.failure_at) << s.name << ", cut " << cut;
      EXPECT_EQ(got.failure_ord, r.failure_ord) << s.name << ", cut " << cut;
      EXPECT_EQ(got.failure_reason, r.failure_reason) << s.name << ", cut " << cut;
      EXPECT_EQ(got.openssl_code, r.openssl_code) << s.name << ", cut " << cut;
      EXPECT_EQ(got.plaintext_at, r.plaintext_at) << s.name << ", cut " << cut;
      EXPECT_EQ(got.plaintext_ord, r.plaintext_ord) << s.name << ", cut " << cut;
      EXPECT_EQ(got.recipients, r.recipients) << s.name << ", cut " << cut;
      EXPECT_EQ(got.fallback_seen, r.fallback_seen) << s.name << ", cut " << cut;
      EXPECT_EQ(evidence_text(sink, id), evidence_text(whole, id)) << s.name << ", cut " << cut;
    }
    // The failures list (outbound_failures) and its outcomes too.
    ASSERT_EQ(sink.failures.size(), whole.failures.size()) << s.name << ", cut " << cut;
    for (std::size_t i = 0; i < whole.failures.size(); ++i) {
      const auto& got = sink.failures[i];
      const auto& want = whole.failures[i];
      EXPECT_EQ(got.row.queue_id, want.row.queue_id) << s.name << ", cut " << cut;
      EXPECT_EQ(got.row.relay_ip, want.row.relay_ip) << s.name << ", cut " << cut;
      EXPECT_EQ(got.row.failure_at, want.row.failure_at) << s.name << ", cut " << cut;
      EXPECT_EQ(got.row.failure_reason, want.row.failure_reason) << s.name << ", cut " << cut;
      EXPECT_EQ(got.outcome, want.outcome) << s.name << ", cut " << cut;
      EXPECT_EQ(got.outcome_at, want.outcome_at) << s.name << ", cut " << cut;
    }
  }
}

// ---------------------------------------------------------------------------
// The failures list: one row per failed attempt, and its outcome

std::string bounced(const std::string& time, int pid, const std::string& qid,
                    const std::string& relay = kWeak) {
  return head(time, "mx", pid) + qid + ": to=<ap@weak.test>, relay=" + relay +
         ", delay=4.1, delays=4/0/0.06/0.04, dsn=5.1.1, status=bounced (host mail.weak.test"
         "[127.0.0.19] said: 550 5.1.1 <ap@weak.test>: Recipient address rejected: User unknown "
         "(in reply to RCPT TO command))";
}
constexpr const char* kGood = "mx2.weak.test[127.0.0.20]:25";

TEST(OutboundFailures, DeferredThenFallbackAreBothDowngraded) {
  MemorySink sink;
  OutboundTracker t(sink);
  Feeder f;
  f.feed(t, {ssl_error("00:41:38", 31), library("00:41:38", 31),
             deferred("00:41:38", 31, "30BA91102C2"), ssl_error("00:41:40", 32),
             library("00:41:40", 32), cannot_start("00:41:40", 32, "30BA91102C2")});
  ASSERT_EQ(sink.failures.size(), 2u);
  EXPECT_EQ(sink.outcomes(), (std::vector<std::string>{"pending", "pending"}));
  const OutboundFailureRow& row = sink.failures[0].row;
  EXPECT_EQ(row.mx_host, "mx");
  EXPECT_EQ(row.queue_id, "30BA91102C2");
  EXPECT_EQ(row.relay_name, "mail.weak.test");
  EXPECT_EQ(row.relay_ip, "127.0.0.19");
  EXPECT_EQ(row.relay_port, "25");
  EXPECT_EQ(row.failure_at, at(0, 41, 38));
  EXPECT_EQ(row.failure_reason, "alert-handshake-failure");
  EXPECT_EQ(row.openssl_code, "0A000410");
  f.feed(t, sent("00:41:41", 32, "30BA91102C2"));
  EXPECT_EQ(sink.outcomes(), (std::vector<std::string>{"downgraded", "downgraded"}));
  EXPECT_EQ(sink.failures[1].outcome_at, at(0, 41, 41));
  EXPECT_EQ(sink.rows.size(), 1u);  // the fallback of the outbound table
}

TEST(OutboundFailures, LaterTlsDeliveryToAnotherMxIsTlsRetry) {
  MemorySink sink;
  OutboundTracker t(sink);
  Feeder f;
  f.feed(t, {ssl_error("00:41:38", 31), deferred("00:41:38", 31, "4A1B2C3D4E"),
             greylisted("00:45:00", 33, "4A1B2C3D4E")});
  EXPECT_EQ(sink.outcomes(), (std::vector<std::string>{"pending"}));  // deferred again
  f.feed(t, {tls_ok("00:50:00", 34, "mx", kGood),
             sent("00:50:01", 34, "4A1B2C3D4E", "mx", "ap@weak.test", kGood)});
  EXPECT_EQ(sink.outcomes(), (std::vector<std::string>{"tls-retry"}));
  EXPECT_EQ(sink.failures[0].outcome_at, at(0, 50, 1));
  EXPECT_TRUE(sink.rows.empty());
}

TEST(OutboundFailures, PlaintextToAnotherMxIsDowngraded) {
  MemorySink sink;
  OutboundTracker t(sink);
  Feeder f;
  f.feed(t, {ssl_error("00:41:38", 31), deferred("00:41:38", 31, "4A1B2C3D4E"),
             sent("00:50:01", 34, "4A1B2C3D4E", "mx", "ap@weak.test", kGood, "may:none")});
  EXPECT_EQ(sink.outcomes(), (std::vector<std::string>{"downgraded"}));
}

TEST(OutboundFailures, BounceAfterTheFallbackIsBounced) {
  MemorySink sink;
  OutboundTracker t(sink);
  Feeder f;
  f.feed(t, {ssl_error("00:41:38", 31), deferred("00:41:38", 31, "4A1B2C3D4E"),
             ssl_error("00:46:40", 32), cannot_start("00:46:40", 32, "4A1B2C3D4E"),
             bounced("00:46:41", 32, "4A1B2C3D4E")});
  EXPECT_EQ(sink.outcomes(), (std::vector<std::string>{"bounced", "bounced"}));
  EXPECT_TRUE(sink.rows.empty());  // nothing was sent in plaintext
  // A later failure of the same queue id has its own outcome.
  f.feed(t, {ssl_error("00:50:00", 35), deferred("00:50:00", 35, "4A1B2C3D4E")});
  EXPECT_EQ(sink.outcomes(), (std::vector<std::string>{"bounced", "bounced", "pending"}));
}

TEST(OutboundFailures, ExpiredIsBounced) {
  MemorySink sink;
  OutboundTracker t(sink);
  Feeder f;
  f.feed(t, {ssl_error("00:41:38", 31), deferred("00:41:38", 31, "4A1B2C3D4E"),
             head("00:50:00", "mx", 100, "qmgr") + "4A1B2C3D4E: from=<ap@mx.test>, status=expired, "
                                                   "returned to sender"});
  EXPECT_EQ(sink.outcomes(), (std::vector<std::string>{"bounced"}));
  EXPECT_EQ(sink.failures[0].outcome_at, at(0, 50, 0));
  EXPECT_EQ(pending_messages(t), 0u);  // no longer followed
}

TEST(OutboundFailures, CannotStartTlsAloneIsOneFailure) {
  MemorySink sink;
  OutboundTracker t(sink);
  Feeder f;
  f.feed(t, {cannot_start("00:46:40", 30100, "4A1B2C3D4E"), sent("00:46:41", 30100, "4A1B2C3D4E")});
  ASSERT_EQ(sink.failures.size(), 1u);
  EXPECT_EQ(sink.failures[0].row.failure_reason, "other");
  EXPECT_EQ(sink.failures[0].outcome, "downgraded");
}

TEST(OutboundFailures, OnlyFailedHandshakesAreRows) {
  MemorySink sink;
  OutboundTracker t(sink);
  Feeder f;
  // A library problem alone, a failure dropped by a TLS success on its pid,
  // an ordinary deferral and a plaintext delivery by policy: no row.
  f.feed(t, {library("00:46:40", 30100),
             sent("00:46:41", 30100, "4A1B2C3D4E", "mx", "ap@weak.test", kWeak, "may:none"),
             ssl_error("00:47:40", 30101), tls_ok("00:47:41", 30101),
             sent("00:47:42", 30101, "4A1B2C3D4F"), greylisted("00:48:00", 30102, "4A1B2C3D50")});
  EXPECT_TRUE(sink.failures.empty());
}

INSTANTIATE_TEST_SUITE_P(Scenarios, OutboundScenario, ::testing::ValuesIn(scenarios()));

TEST(OutboundTracker, CapturedLogCutEverywhereGivesTheSameRecord) {
  const auto lines = read_lines(kSamples + "mx.test.log");
  MemorySink whole;
  {
    OutboundTracker t(whole);
    Feeder f;
    f.feed(t, lines);
  }
  ASSERT_EQ(whole.rows.size(), 1u);
  for (std::size_t cut = 0; cut <= lines.size(); ++cut) {
    MemorySink sink;
    Feeder f;
    OutboundTracker first(sink);
    for (std::size_t i = 0; i < cut; ++i) f.feed(first, lines[i]);
    OutboundTracker second(sink);
    second.restore(first.export_state());
    for (std::size_t i = cut; i < lines.size(); ++i) f.feed(second, lines[i]);
    ASSERT_EQ(sink.rows.size(), 1u) << "cut " << cut;
    const OutboundRecord& got = sink.rows.begin()->second;
    const OutboundRecord& want = whole.rows.begin()->second;
    EXPECT_EQ(got.failed_attempts, want.failed_attempts) << "cut " << cut;
    EXPECT_EQ(got.failure_at, want.failure_at) << "cut " << cut;
    EXPECT_EQ(got.failure_reason, want.failure_reason) << "cut " << cut;
    EXPECT_EQ(got.plaintext_at, want.plaintext_at) << "cut " << cut;
    EXPECT_EQ(got.recipients, want.recipients) << "cut " << cut;
    EXPECT_EQ(got.message_id, want.message_id) << "cut " << cut;
    EXPECT_EQ(got.sender, want.sender) << "cut " << cut;
    EXPECT_EQ(evidence_text(sink, got.id), evidence_text(whole, want.id)) << "cut " << cut;
  }
  // The captured log's fallback has its queue id's message-id and sender,
  // and the lines of its failed attempts and its plaintext delivery.
  const OutboundRecord& r = whole.rows.begin()->second;
  EXPECT_FALSE(r.message_id.empty());
  EXPECT_FALSE(r.sender.empty());
  const std::string ev = evidence_text(whole, r.id);
  EXPECT_NE(ev.find("failed "), std::string::npos) << ev;
  EXPECT_NE(ev.find("SSL_connect error to mail.weak.test"), std::string::npos) << ev;
  EXPECT_NE(ev.find("plaintext "), std::string::npos) << ev;
  EXPECT_NE(ev.find("status=sent"), std::string::npos) << ev;
}

TEST(OutboundTracker, StateHoldsWhatIsPending) {
  MemorySink sink;
  OutboundTracker t(sink);
  Feeder f;
  f.feed(t, {ssl_error("00:41:38", 30073), library("00:41:38", 30073),
             deferred("00:41:38", 30073, "CDF4F11E17E"), ssl_error("00:41:40", 30080, "mx2")});
  const OutboundState s = t.export_state();
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].mx_host, "mx2");
  EXPECT_EQ(s.failures[0].syslog_name, "postfix");
  EXPECT_EQ(s.failures[0].pid, 30080u);
  EXPECT_EQ(s.failures[0].relay_ip, "127.0.0.19");
  EXPECT_EQ(s.failures[0].failure_at, at(0, 41, 40));
  ASSERT_EQ(s.messages.size(), 1u);
  const OutboundPendingMessage& m = s.messages[0];
  EXPECT_EQ(m.record.id, 0);
  EXPECT_EQ(m.record.mx_host, "mx");
  EXPECT_EQ(m.record.queue_id, "CDF4F11E17E");
  EXPECT_EQ(m.record.relay_name, "mail.weak.test");
  EXPECT_EQ(m.record.failed_attempts, 1);
  EXPECT_EQ(m.record.failure_reason, "alert-handshake-failure");
  EXPECT_EQ(m.record.plaintext_at, 0);
  EXPECT_EQ(m.pid, 30073u);
  EXPECT_FALSE(m.fallback_open);
  EXPECT_TRUE(sink.rows.empty());
}

// ---------------------------------------------------------------------------
// Bounds and ages

// ---------------------------------------------------------------------------
// Verbose TLS logging (smtp_tls_loglevel >= 2, smtp_tls_note_starttls_offer):
// lines that the tracker holds per pid within one run.

std::string offered(const std::string& time, int pid, const std::string& host = "mail.weak.test") {
  return head(time, "mx", pid) + "Host offered STARTTLS: [" + host + "]";
}
std::string alert(const std::string& time, int pid, const std::string& text) {
  return head(time, "mx", pid) + "SSL3 alert " + text;
}

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

struct VerboseCase {
  const char* name;
  std::vector<std::string> lines;
  int records;         // fallbacks saved
  const char* reason;  // of the first, when there is one
  bool fallback_seen;  // of the first
};

TEST(OutboundTracker, VerboseLinesRefineAndProve) {
  const std::string Q = "CDF4F11E17E";
  const std::vector<std::string> deferral = {ssl_error("00:41:38", 30073),
                                             deferred("00:41:38", 30073, Q)};
  const VerboseCase cases[] = {
      // The offer: this connection is plaintext though the remote offers TLS.
      {"offer after failures proves the plaintext delivery",
       deferral + std::vector<std::string>{offered("00:46:40", 30100), sent("00:46:41", 30100, Q)},
       1, "other", false},
      {"without the offer the delivery may have been over TLS",
       deferral + std::vector<std::string>{sent("00:46:41", 30100, Q)}, 0, "", false},
      {"an offer without a failure is policy (level none), no fallback",
       {offered("00:46:40", 30100), sent("00:46:41", 30100, Q)},
       0,
       "",
       false},
      {"an offer of another host proves nothing for this relay",
       deferral + std::vector<std::string>{offered("00:46:40", 30100, "mx2.weak.test"),
                                           sent("00:46:41", 30100, Q)},
       0, "", false},
      {"an offer with the relay's address",
       deferral + std::vector<std::string>{offered("00:46:40", 30100, "127.0.0.19"),
                                           sent("00:46:41", 30100, Q)},
       1, "other", false},
      {"an offer of another pid proves nothing",
       deferral + std::vector<std::string>{offered("00:46:40", 30101), sent("00:46:41", 30100, Q)},
       0, "", false},
      {"a TLS connection of the pid ends its offer",
       deferral + std::vector<std::string>{offered("00:46:40", 30100), tls_ok("00:50:00", 30100),
                                           sent("00:50:01", 30100, Q)},
       0, "", false},
      {"a stale offer proves nothing",
       deferral + std::vector<std::string>{offered("00:46:40", 30100), sent("01:46:41", 30100, Q)},
       0, "", false},
      {"tls=may (TLS used) outranks an offer",
       deferral +
           std::vector<std::string>{offered("00:46:40", 30100),
                                    sent("00:46:41", 30100, Q, "mx", "ap@weak.test", kWeak, "may")},
       0, "", false},
      {"the offer after Cannot start TLS: the plaintext retry",
       {ssl_error("00:46:40", 30100), cannot_start("00:46:40", 30100, Q),
        offered("00:46:40", 30100), sent("00:46:41", 30100, Q)},
       1,
       "other",
       true},
      // The alert comes before the SSL_connect error it explains.
      {"the alert we sent names a bare -1",
       {alert("00:46:40", 30100, "write:fatal:protocol version"), ssl_error("00:46:40", 30100),
        cannot_start("00:46:40", 30100, Q), offered("00:46:40", 30100), sent("00:46:41", 30100, Q)},
       1,
       "sent-alert-protocol-version",
       true},
      {"the alert the remote sent names a bare -1",
       {alert("00:46:40", 30100, "read:fatal:handshake failure"), ssl_error("00:46:40", 30100),
        cannot_start("00:46:40", 30100, Q), sent("00:46:41", 30100, Q)},
       1,
       "alert-handshake-failure",
       true},
      {"a library line after the error outranks the alert we sent",
       {alert("00:46:40", 30100, "write:fatal:handshake failure"), ssl_error("00:46:40", 30100),
        library("00:46:40", 30100), cannot_start("00:46:40", 30100, Q), sent("00:46:41", 30100, Q)},
       1,
       "alert-handshake-failure",
       true},
      {"an alert of another pid names nothing",
       {alert("00:46:40", 30101, "write:fatal:protocol version"), ssl_error("00:46:40", 30100),
        cannot_start("00:46:40", 30100, Q), sent("00:46:41", 30100, Q)},
       1,
       "other",
       true},
      {"an alert alone is no failure",
       {alert("00:46:40", 30100, "write:fatal:protocol version"), sent("00:46:41", 30100, Q)},
       0,
       "",
       false},
      {"a TLS connection of the pid drops its alert",
       {alert("00:46:40", 30100, "write:fatal:protocol version"), tls_ok("00:46:40", 30100),
        ssl_error("00:47:40", 30100), cannot_start("00:47:40", 30100, Q),
        sent("00:47:41", 30100, Q)},
       1,
       "other",
       true},
  };
  for (const auto& c : cases) {
    MemorySink sink;
    OutboundTracker t(sink);
    Feeder f;
    f.feed(t, c.lines);
    const auto recs = sink.records();
    ASSERT_EQ(recs.size(), static_cast<std::size_t>(c.records)) << c.name;
    if (recs.empty()) continue;
    EXPECT_EQ(recs[0].failure_reason, c.reason) << c.name;
    EXPECT_EQ(recs[0].fallback_seen, c.fallback_seen) << c.name;
    EXPECT_EQ(recs[0].recipients, std::vector<std::string>{"ap@weak.test"}) << c.name;
  }
}

// The per-process notes are bounded; what the bound clears is counted.
TEST(OutboundTracker, OfferBoundClearsAndCounts) {
  MemorySink sink;
  OutboundTracker t(sink);
  Feeder f;
  f.feed(t, ssl_error("00:41:38", 1));  // a pending failure: offers are kept
  for (int pid = 2; pid <= 4097; ++pid) f.feed(t, offered("00:41:39", pid));
  EXPECT_EQ(t.counts().dropped, 0u);
  f.feed(t, offered("00:41:39", 4098));
  EXPECT_EQ(t.counts().dropped, 4096u);
}

TEST(OutboundPatterns, OfferIsItsOwnEvent) {
  Event ev;
  ASSERT_TRUE(PatternSet::builtin().match("smtp", "Host offered STARTTLS: [mail.weak.test]", ev));
  EXPECT_EQ(ev.kind, EventKind::kStarttlsOffered);
  EXPECT_EQ(ev.get(Field::kClientName), "mail.weak.test");
  ev.clear();
  ASSERT_TRUE(PatternSet::builtin().match("smtp", "SSL3 alert write:fatal:protocol version", ev));
  EXPECT_EQ(ev.kind, EventKind::kTlsLibraryProblem);
  EXPECT_EQ(ev.get(Field::kOpensslCode), "");
}

TEST(OutboundTracker, FailureBoundEvictsTheOldest) {
  MemorySink sink;
  OutboundLimits limits;
  limits.max_failures = 2;
  OutboundTracker t(sink, limits);
  Feeder f;
  f.feed(t, {ssl_error("00:41:38", 1), ssl_error("00:41:39", 2), ssl_error("00:41:40", 3)});
  EXPECT_EQ(pending_failures(t), 2u);
  EXPECT_EQ(t.counts().evicted_failures, 1u);
  const auto s = t.export_state();
  ASSERT_EQ(s.failures.size(), 2u);
  EXPECT_EQ(s.failures[0].pid, 2u);
  EXPECT_EQ(s.failures[1].pid, 3u);
}

TEST(OutboundTracker, MessageBoundEvictsTheOldest) {
  MemorySink sink;
  OutboundLimits limits;
  limits.max_messages = 2;
  OutboundTracker t(sink, limits);
  Feeder f;
  f.feed(t, {deferred("00:41:38", 1, "AAAAA11111"), deferred("00:41:39", 2, "BBBBB22222"),
             deferred("00:41:40", 3, "CCCCC33333"), deferred("00:41:41", 4, "BBBBB22222")});
  EXPECT_EQ(pending_messages(t), 2u);
  EXPECT_EQ(t.counts().evicted_messages, 1u);
  const auto s = t.export_state();
  ASSERT_EQ(s.messages.size(), 2u);
  EXPECT_EQ(s.messages[0].record.queue_id, "CCCCC33333");
  EXPECT_EQ(s.messages[1].record.queue_id, "BBBBB22222");  // touched last
  EXPECT_EQ(s.messages[1].record.failed_attempts, 2);
}

TEST(OutboundTracker, AgeLimitsDropStaleEntries) {
  MemorySink sink;
  OutboundLimits limits;
  limits.failure_age = 60 * kMicrosPerSecond;
  limits.message_age = 3600 * kMicrosPerSecond;
  OutboundTracker t(sink, limits);
  Feeder f;
  f.feed(t, {ssl_error("00:00:00", 1), deferred("00:00:00", 2, "AAAAA11111")});
  EXPECT_EQ(pending_failures(t), 1u);
  EXPECT_EQ(pending_messages(t), 1u);
  f.feed(t, ssl_error("00:02:00", 3));  // 2 minutes on: pid 1's failure is stale
  EXPECT_EQ(pending_failures(t), 1u);
  EXPECT_EQ(t.export_state().failures[0].pid, 3u);
  EXPECT_EQ(pending_messages(t), 1u);
  f.feed(t, ssl_error("01:00:01", 4));  // past the message age
  EXPECT_EQ(pending_messages(t), 0u);
  EXPECT_EQ(t.counts().evicted_failures, 2u);
  EXPECT_EQ(t.counts().evicted_messages, 1u);
  // A fallback for the aged queue id is no longer tied to the old deferral.
  f.feed(t, {cannot_start("01:00:02", 5, "AAAAA11111"), sent("01:00:02", 5, "AAAAA11111")});
  ASSERT_EQ(sink.rows.size(), 1u);
  EXPECT_EQ(sink.rows.begin()->second.failed_attempts, 1);
}

TEST(OutboundTracker, RelayBoundPerMessage) {
  MemorySink sink;
  OutboundLimits limits;
  limits.max_relays_per_message = 1;
  OutboundTracker t(sink, limits);
  Feeder f;
  f.feed(t, {deferred("00:41:38", 1, "AAAAA11111"),
             deferred("00:41:38", 1, "AAAAA11111", "mx", "b@other.test",
                      "mx.other.test[192.0.2.7]:25")});
  const auto s = t.export_state();
  ASSERT_EQ(s.messages.size(), 1u);
  EXPECT_EQ(s.messages[0].record.relay_ip, "127.0.0.19");
  EXPECT_EQ(t.counts().dropped, 1u);
}

TEST(OutboundTracker, AddDropsAddsEveryBoundsCount) {
  MemorySink sink;
  OutboundLimits limits;
  limits.max_failures = 1;
  limits.max_messages = 1;
  limits.max_relays_per_message = 1;
  OutboundTracker t(sink, limits);
  Feeder f;
  f.feed(t, {ssl_error("00:41:38", 1), ssl_error("00:41:39", 2),
             deferred("00:41:40", 3, "AAAAA11111"), deferred("00:41:41", 4, "BBBBB22222"),
             deferred("00:41:41", 4, "BBBBB22222", "mx", "b@other.test",
                      "mx.other.test[192.0.2.7]:25")});
  const OutboundCounts& n = t.counts();
  EXPECT_GT(n.evicted_failures, 0u);
  EXPECT_GT(n.evicted_messages, 0u);
  EXPECT_GT(n.dropped, 0u);
  DropCounts d;
  d.evicted_sessions = 5;  // added to, not overwritten
  t.add_drops(d);
  EXPECT_EQ(d.outbound_evicted_failures, n.evicted_failures);
  EXPECT_EQ(d.outbound_evicted_messages, n.evicted_messages);
  EXPECT_EQ(d.outbound_dropped, n.dropped);
  EXPECT_EQ(d.evicted_sessions, 5u);
  EXPECT_EQ(d.total(), 5u + n.evicted_failures + n.evicted_messages + n.dropped);
}

TEST(OutboundTracker, OrdinaryDeliveriesLeaveNothingBehind) {
  MemorySink sink;
  OutboundTracker t(sink);
  Feeder f;
  for (int i = 0; i < 100; ++i) {
    const std::string pid = std::to_string(2000 + i);
    f.feed(t, {tls_ok("00:41:38", 2000 + i, "mx", "mx.other.test[192.0.2.7]:25"),
               sent("00:41:38", 2000 + i, "AAAAA" + std::to_string(10000 + i), "mx", "x@other.test",
                    "mx.other.test[192.0.2.7]:25"),
               removed("00:41:38", "AAAAA" + std::to_string(10000 + i))});
  }
  EXPECT_EQ(pending_failures(t), 0u);
  EXPECT_EQ(pending_messages(t), 0u);
  EXPECT_TRUE(sink.rows.empty());
}

TEST(OutboundTracker, OnlySmtpAndLmtpLinesCount) {
  MemorySink sink;
  OutboundTracker t(sink);
  Feeder f;
  // An smtpd TLS library problem and a local delivery of the same queue id.
  f.feed(
      t,
      {head("00:41:38", "mx", 30073, "smtpd") + "warning: TLS library problem: error:0A0000C1:SSL "
                                                "routines::no shared cipher:../ssl/statem/"
                                                "statem_srvr.c:2226:",
       head("00:41:39", "mx", 30074, "local") +
           "CDF4F11E17E: to=<ap@mx.test>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, "
           "status=sent (delivered to mailbox)"});
  EXPECT_EQ(pending_failures(t), 0u);
  EXPECT_EQ(pending_messages(t), 0u);
}

}  // namespace
}  // namespace pftls

namespace pftls {
namespace {

std::string cleanup(const std::string& time, const std::string& qid, const std::string& id,
                    const std::string& host = "mx") {
  return head(time, host, 200, "cleanup") + qid + ": message-id=<" + id + ">";
}
std::string qmgr_from(const std::string& time, const std::string& qid, const std::string& from,
                      const std::string& host = "mx") {
  return head(time, host, 100, "qmgr") + qid + ": from=<" + from +
         ">, size=512, nrcpt=1 (queue active)";
}

// The lines of a fallback: failed attempt, then the plaintext delivery,
// each in its role, in log order; message-id and sender from the queue
// id's cleanup and qmgr lines.
TEST(OutboundEvidence, FailedAttemptAndPlaintextDelivery) {
  MemorySink sink;
  OutboundTracker t(sink);
  Feeder f;
  const std::vector<std::string> lines = {
      cleanup("00:41:37", "30BA91102C2", "m1@mx.test"),
      qmgr_from("00:41:37", "30BA91102C2", "ap@mx.test"),
      ssl_error("00:41:38", 31),
      library("00:41:38", 31),
      deferred("00:41:38", 31, "30BA91102C2"),
      ssl_error("00:41:40", 32),
      cannot_start("00:41:40", 32, "30BA91102C2"),
      sent("00:41:41", 32, "30BA91102C2"),
      removed("00:41:41", "30BA91102C2"),
  };
  f.feed(t, lines);
  ASSERT_EQ(sink.rows.size(), 1u);
  const OutboundRecord& r = sink.rows.begin()->second;
  EXPECT_EQ(r.message_id, "m1@mx.test");
  EXPECT_EQ(r.sender, "ap@mx.test");
  std::string want;
  for (std::size_t i = 2; i < 8; ++i)
    want += std::string(i == 7 ? "plaintext " : "failed ") + std::to_string(i + 1) + ": " +
            lines[i] + "\n";
  EXPECT_EQ(evidence_text(sink, r.id), want);
  EXPECT_EQ(pending_messages(t), 0u);
  EXPECT_TRUE(t.export_state().notes.empty());  // "removed" forgot them
}

// A second recipient delivered later in plaintext adds its line to the
// stored record's evidence at once.
TEST(OutboundEvidence, LaterPlaintextRecipientsFollow) {
  MemorySink sink;
  OutboundTracker t(sink);
  Feeder f;
  f.feed(t, {ssl_error("00:41:38", 31), cannot_start("00:41:38", 31, "30BA91102C2"),
             sent("00:41:39", 31, "30BA91102C2"),
             sent("00:41:39", 31, "30BA91102C2", "mx", "b@weak.test")});
  ASSERT_EQ(sink.rows.size(), 1u);
  const std::string ev = evidence_text(sink, sink.rows.begin()->first);
  EXPECT_NE(ev.find("plaintext 3: "), std::string::npos) << ev;
  EXPECT_NE(ev.find("plaintext 4: "), std::string::npos) << ev;
  EXPECT_TRUE(t.export_state().messages.at(0).evidence.empty());  // all stored
}

// Pending lines are part of the state: a failure in one run, the fallback
// in the next, and the record carries both runs' lines, message-id and
// sender.
TEST(OutboundEvidence, StateCarriesLinesAndNotes) {
  MemorySink sink;
  Feeder f;
  OutboundTracker first(sink);
  f.feed(first, {cleanup("00:41:37", "30BA91102C2", "m1@mx.test"),
                 qmgr_from("00:41:37", "30BA91102C2", "ap@mx.test"), ssl_error("00:41:38", 31)});
  OutboundTracker::State state = first.export_state();
  ASSERT_EQ(state.failures.size(), 1u);
  EXPECT_EQ(state.failures[0].evidence.size(), 1u);
  ASSERT_EQ(state.notes.size(), 1u);
  EXPECT_EQ(state.notes[0].message_id, "m1@mx.test");
  EXPECT_EQ(state.notes[0].sender, "ap@mx.test");
  OutboundTracker second(sink);
  second.restore(state);
  f.feed(second,
         {cannot_start("00:41:38", 31, "30BA91102C2"), sent("00:41:39", 31, "30BA91102C2")});
  ASSERT_EQ(sink.rows.size(), 1u);
  const OutboundRecord& r = sink.rows.begin()->second;
  EXPECT_EQ(r.message_id, "m1@mx.test");
  EXPECT_EQ(r.sender, "ap@mx.test");
  EXPECT_EQ(evidence_text(sink, r.id).substr(0, 9), "failed 3:");
}

// The evidence budget: a line beyond it is not kept and is counted, in
// the run's drop counts too; per entry at most evidence_lines are kept.
TEST(OutboundEvidence, BudgetIsBoundedAndCounted) {
  MemorySink sink;
  OutboundLimits limits;
  limits.evidence_total_bytes = 150;
  limits.evidence_lines = 2;
  OutboundTracker t(sink, limits);
  Feeder f;
  f.feed(t, {ssl_error("00:41:38", 31), library("00:41:38", 31), library("00:41:38", 31),
             ssl_error("00:41:38", 32)});
  const OutboundTracker::State state = t.export_state();
  ASSERT_EQ(state.failures.size(), 2u);
  EXPECT_EQ(state.failures[0].evidence.size(), 1u);  // the library line passed the budget
  EXPECT_EQ(state.failures[1].evidence.size(), 0u);
  EXPECT_GE(t.counts().evidence_dropped, 2u);
  DropCounts d;
  t.add_drops(d);
  EXPECT_EQ(d.evidence_dropped, t.counts().evidence_dropped);

  OutboundLimits few;
  few.evidence_lines = 2;
  MemorySink sink2;
  OutboundTracker u(sink2, few);
  Feeder g;
  g.feed(u, {ssl_error("00:41:38", 31), library("00:41:38", 31), library("00:41:38", 31)});
  EXPECT_EQ(u.export_state().failures.at(0).evidence.size(), 2u);
  EXPECT_EQ(u.counts().evidence_dropped, 0u);
}

// Notes are bounded (the oldest go, counted) and aged.
TEST(OutboundEvidence, NotesAreBoundedAndAged) {
  MemorySink sink;
  OutboundLimits limits;
  limits.max_notes = 2;
  OutboundTracker t(sink, limits);
  Feeder f;
  f.feed(t, {cleanup("00:41:37", "AAAAA11111", "a@mx"), cleanup("00:41:37", "BBBBB22222", "b@mx"),
             cleanup("00:41:38", "CCCCC33333", "c@mx")});
  auto notes = t.export_state().notes;
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0].queue_id, "BBBBB22222");
  EXPECT_EQ(t.counts().dropped, 1u);
  f.feed(t, cleanup("02:41:38", "DDDDD44444", "d@mx"));  // two hours on
  notes = t.export_state().notes;
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].queue_id, "DDDDD44444");
}

// A noted value is cut to note_bytes: a stranger's long message-id costs
// no more than a short one.
TEST(OutboundEvidence, NotedValuesAreCut) {
  MemorySink sink;
  OutboundTracker t(sink, OutboundLimits{});
  Feeder f;
  const std::string long_id(5000, 'x');
  f.feed(t, cleanup("00:41:37", "AAAAA11111", long_id + "@mx"));
  const auto notes = t.export_state().notes;
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].message_id, std::string(OutboundLimits{}.note_bytes, 'x'));
}

}  // namespace
}  // namespace pftls
