// Unit tests for the correlator: real Postfix smtpd/cleanup/qmgr lines
// through the envelope parser, the built-in patterns and a Correlator, into
// an in-memory EventSink. One table row per rule of README's "What counts
// as what" (failed, TLS, plaintext, watched clients, followed messages) and
// per bound; each row asserts what was saved and counted.
#include "correlate/correlator.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "../memory_sinks.h"
#include "parse/pattern_set.h"
#include "parse/syslog_envelope.h"

namespace pftls {
namespace {

using MemorySink = test_support::MemoryEventSink;

std::string clock_of(Micros t) {
  if (t == 0) return "-";
  const long long s = (t / kMicrosPerSecond) % 86400;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  return buf;
}

// A saved session in one line: "IP outcome[@time reason] msgs=N".
std::string describe(const SessionRecord& s) {
  std::string out = s.mx_host + " " + s.client_ip;
  if (s.failed) {
    out += " failed@" + clock_of(s.failure_at) + " " + s.failure_reason;
    if (!s.openssl_code.empty()) out += " " + s.openssl_code;
  } else if (s.tls) {
    out += " tls@" + clock_of(s.tls_at);
  } else {
    out += " plain";
  }
  if (s.end_at == 0) out += " open";
  return out + " msgs=" + std::to_string(s.messages);
}

// A saved message: "queue_id ip subnet org from=<> to=a,b mid=<>".
std::string describe(const MessageRecord& m) {
  std::string out = m.queue_id + " " + m.client_ip + " " + m.client_subnet + " " + m.org_domain;
  out += " from=" + m.sender + " to=";
  for (std::size_t i = 0; i < m.recipients.size(); ++i) out += (i ? "," : "") + m.recipients[i];
  return out + " mid=" + m.message_id;
}

// A client's counts: "IP s=sessions tls=N plain=N failed=N starttls=N msgs=N/plain".
std::string describe(const std::string& ip, const ClientStats& c) {
  return ip + " s=" + std::to_string(c.sessions) + " tls=" + std::to_string(c.tls_sessions) +
         " plain=" + std::to_string(c.plaintext_sessions) +
         " failed=" + std::to_string(c.failed_sessions) +
         " starttls=" + std::to_string(c.starttls_sessions) +
         " msgs=" + std::to_string(c.messages) + "/" + std::to_string(c.plaintext_messages);
}

// Feeds syslog lines (year 2026, UTC) through the envelope parser, the
// built-in patterns and the correlator, each line kept as its own evidence.
class Feeder {
 public:
  Feeder() : zone_("UTC"), parser_(zone_, 2026) { parser_.begin_input(std::nullopt); }
  void feed(Correlator& c, const std::vector<std::string>& lines) {
    const std::uint32_t input = c.input_id("mail.log");
    for (const std::string& line : lines) {
      Envelope env;
      ASSERT_EQ(parser_.parse(line, env), EnvelopeStatus::kPostfix) << line;
      Event ev;
      ++number_;
      if (!PatternSet::builtin().match(env.service, env.message, ev)) continue;
      c.on_event(env, ev, ord_++, RawLogLine{line, input, number_});
    }
  }

 private:
  LocalZone zone_;
  EnvelopeParser parser_;
  std::uint64_t ord_ = 0;
  std::uint64_t number_ = 0;
};

// "Nov 29 HH:MM:SS mx postfix/smtpd[PID]: TEXT"; `at` may carry a day
// ("30 01:00:00") for the watch expiries.
std::string smtpd(const std::string& at, int pid, const std::string& text,
                  const std::string& host = "mx") {
  const std::string when = at.size() > 8 ? at : "29 " + at;
  return "Nov " + when + " " + host + " postfix/smtpd[" + std::to_string(pid) + "]: " + text;
}
std::string other(const std::string& at, const std::string& service, const std::string& text) {
  const std::string when = at.size() > 8 ? at : "29 " + at;
  return "Nov " + when + " mx postfix/" + service + "[900]: " + text;
}

const std::string kNoCipher =
    "warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher:"
    "../ssl/statem/statem_srvr.c:2226:";
const std::string kPlainCounters = "ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5";

// One whole session from `name[ip]` on pid: connect, the middle, disconnect.
std::vector<std::string> session(const std::string& at, int pid, const std::string& client,
                                 const std::vector<std::string>& middle,
                                 const std::string& counters) {
  std::vector<std::string> out{smtpd(at, pid, "connect from " + client)};
  for (const std::string& m : middle) out.push_back(smtpd(at, pid, m));
  out.push_back(smtpd(at, pid, "disconnect from " + client + " " + counters));
  return out;
}
// A session that fails by a lost connection after STARTTLS.
std::vector<std::string> failed_session(const std::string& at, int pid, const std::string& client) {
  return session(at, pid, client, {"lost connection after STARTTLS from " + client},
                 "ehlo=1 commands=1");
}
// A plaintext message of queue id `qid` from client on pid, with its
// cleanup, qmgr and delivery lines.
std::vector<std::string> plain_message(const std::string& at, int pid, const std::string& client,
                                       const std::string& qid) {
  std::vector<std::string> out =
      session(at, pid, client, {qid + ": client=" + client}, kPlainCounters);
  out.push_back(other(at, "cleanup", qid + ": message-id=<m-" + qid + "@example.com>"));
  out.push_back(
      other(at, "qmgr", qid + ": from=<a@example.com>, size=300, nrcpt=1 (queue active)"));
  out.push_back(other(at, "local",
                      qid + ": to=<u@mx.test>, relay=local, delay=0.1, "
                            "delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered)"));
  out.push_back(other(at, "qmgr", qid + ": removed"));
  return out;
}
std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

struct Expected {
  std::vector<std::string> sessions;  // describe() of every saved session, by id
  std::vector<std::string> messages;  // describe() of every saved message, by id
  std::vector<std::string> clients;   // describe() of every client's counts, by IP
  std::uint64_t closed = 0;           // counts().sessions
  std::uint64_t failures = 0;
  std::uint64_t messages_seen = 0;  // counts().messages
  std::uint64_t saved_messages = 0;
};

struct Case {
  const char* name;
  std::vector<std::string> lines;
  Expected want;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

struct Outcome {
  MemorySink sink;
  CorrelatorState state;
  CorrelatorCounts counts;
};

void run(Outcome& r, const std::vector<std::string>& lines, CorrelatorLimits limits = {}) {
  Correlator c(r.sink, limits);
  Feeder f;
  f.feed(c, lines);
  r.state = c.finish();
  r.counts = c.counts();
}

const std::string kA = "a.example.com[192.0.2.1]";
const std::string kA2 = "b.example.com[192.0.2.2]";     // kA's /24, kA's domain
const std::string kA3 = "c.example.com[198.51.100.3]";  // kA's domain only
const std::string kB = "mail.other.net[203.0.113.9]";

class CorrelatorRules : public ::testing::TestWithParam<Case> {};

TEST_P(CorrelatorRules, SavesAndCounts) {
  const Case& c = GetParam();
  Outcome r;
  run(r, c.lines);
  std::vector<std::string> sessions, messages, clients;
  for (const auto& [id, s] : r.sink.sessions) sessions.push_back(describe(s));
  for (const auto& [id, m] : r.sink.messages) messages.push_back(describe(m));
  for (const auto& [ip, s] : r.sink.clients) clients.push_back(describe(ip, s));
  EXPECT_EQ(sessions, c.want.sessions);
  EXPECT_EQ(messages, c.want.messages);
  EXPECT_EQ(clients, c.want.clients);
  EXPECT_EQ(r.counts.sessions, c.want.closed);
  EXPECT_EQ(r.counts.failures, c.want.failures);
  EXPECT_EQ(r.counts.messages, c.want.messages_seen);
  EXPECT_EQ(r.counts.saved_messages, c.want.saved_messages);
}

const std::string kFailedA = "192.0.2.1 s=1 tls=0 plain=0 failed=1 starttls=1 msgs=0/0";

INSTANTIATE_TEST_SUITE_P(
    WhatCountsAsWhat, CorrelatorRules,
    ::testing::Values(
        Case{"failed_by_starttls_counter",
             session("01:00:00", 10, kA, {}, "ehlo=1 starttls=0/1 commands=1/2"),
             {{"mx 192.0.2.1 failed@01:00:00 other msgs=0"}, {}, {kFailedA}, 1, 1, 0, 0}},
        Case{"failed_by_ssl_accept_error",
             session("01:00:00", 10, kA, {"SSL_accept error from " + kA + ": -1"},
                     "ehlo=1 commands=1"),
             {{"mx 192.0.2.1 failed@01:00:00 other msgs=0"}, {}, {kFailedA}, 1, 1, 0, 0}},
        Case{"failed_by_lost_connection_after_starttls",
             failed_session("01:00:00", 10, kA),
             {{"mx 192.0.2.1 failed@01:00:00 lost-connection msgs=0"}, {}, {kFailedA}, 1, 1, 0, 0}},
        Case{
            "failed_by_timeout_after_starttls",
            session("01:00:00", 10, kA, {"timeout after STARTTLS from " + kA}, "ehlo=1 commands=1"),
            {{"mx 192.0.2.1 failed@01:00:00 timeout msgs=0"}, {}, {kFailedA}, 1, 1, 0, 0}},
        Case{"failed_by_noqueue_timeout_after_starttls",
             session("01:00:00", 10, kA, {"NOQUEUE: timeout after STARTTLS from " + kA},
                     "ehlo=1 commands=1"),
             {{"mx 192.0.2.1 failed@01:00:00 timeout msgs=0"}, {}, {kFailedA}, 1, 1, 0, 0}},
        Case{"failed_by_tls_library_problem_before_handshake",
             session("01:00:00", 10, kA, {kNoCipher}, "ehlo=1 commands=1"),
             {{"mx 192.0.2.1 failed@01:00:00 no-shared-cipher 0A0000C1 msgs=0"},
              {},
              {kFailedA},
              1,
              1,
              0,
              0}},
        Case{"tls_library_problem_after_handshake_is_no_failure",
             session("01:00:00", 10, kA,
                     {"Anonymous TLS connection established from " + kA +
                          ": TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
                      kNoCipher},
                     "ehlo=2 starttls=1 quit=1 commands=4"),
             {{}, {}, {"192.0.2.1 s=1 tls=1 plain=0 failed=0 starttls=1 msgs=0/0"}, 1, 0, 0, 0}},
        Case{"tls_by_established_line",
             session("01:00:00", 10, kA,
                     {"Anonymous TLS connection established from " + kA +
                          ": TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
                      "4A1B2C3D4E: client=" + kA},
                     "ehlo=2 mail=1 rcpt=1 data=1 quit=1 commands=6"),
             {{}, {}, {"192.0.2.1 s=1 tls=1 plain=0 failed=0 starttls=1 msgs=1/0"}, 1, 0, 1, 0}},
        Case{"tls_by_starttls_counter",
             session("01:00:00", 10, kA, {}, "ehlo=2 starttls=1 quit=1 commands=4"),
             {{}, {}, {"192.0.2.1 s=1 tls=1 plain=0 failed=0 starttls=1 msgs=0/0"}, 1, 0, 0, 0}},
        Case{"lost_after_starttls_with_starttls_failed_stays_failed",
             session("01:00:00", 10, kA, {"lost connection after STARTTLS from " + kA},
                     "ehlo=1 starttls=0/1 commands=1/2"),
             {{"mx 192.0.2.1 failed@01:00:00 lost-connection msgs=0"}, {}, {kFailedA}, 1, 1, 0, 0}},
        // "lost connection/timeout after STARTTLS" names the last command:
        // with starttls=1 (done) and nothing else, the handshake succeeded.
        Case{"lost_after_starttls_with_starttls_done_is_tls",
             session("01:00:00", 10, kA, {"lost connection after STARTTLS from " + kA},
                     "ehlo=1 starttls=1 commands=2"),
             {{}, {}, {"192.0.2.1 s=1 tls=1 plain=0 failed=0 starttls=1 msgs=0/0"}, 1, 0, 0, 0}},
        Case{"noqueue_timeout_after_starttls_with_starttls_done_is_tls",
             session("01:00:00", 10, kA, {"NOQUEUE: timeout after STARTTLS from " + kA},
                     "ehlo=1 starttls=1 commands=2"),
             {{}, {}, {"192.0.2.1 s=1 tls=1 plain=0 failed=0 starttls=1 msgs=0/0"}, 1, 0, 0, 0}},
        Case{"lost_after_starttls_without_counters_stays_failed",
             {smtpd("01:00:00", 10, "connect from " + kA),
              smtpd("01:00:00", 10, "lost connection after STARTTLS from " + kA),
              smtpd("01:00:00", 10, "disconnect from " + kA)},
             {{"mx 192.0.2.1 failed@01:00:00 lost-connection msgs=0"}, {}, {kFailedA}, 1, 1, 0, 0}},
        Case{"lost_after_starttls_open_at_the_end_stays_failed",
             {smtpd("01:00:00", 10, "connect from " + kA),
              smtpd("01:00:00", 10, "lost connection after STARTTLS from " + kA)},
             {{"mx 192.0.2.1 failed@01:00:00 lost-connection open msgs=0"}, {}, {}, 0, 1, 0, 0}},
        Case{"accept_error_then_lost_with_starttls_done_stays_failed",
             session("01:00:00", 10, kA,
                     {"SSL_accept error from " + kA + ": lost connection",
                      "lost connection after STARTTLS from " + kA},
                     "ehlo=1 starttls=1 commands=2"),
             {{"mx 192.0.2.1 failed@01:00:00 lost-connection msgs=0"}, {}, {kFailedA}, 1, 1, 0, 0}},
        Case{"lost_then_sent_alert_with_starttls_done_stays_failed",
             session("01:00:00", 10, kA,
                     {"lost connection after STARTTLS from " + kA,
                      "SSL3 alert write:fatal:handshake failure"},
                     "ehlo=1 starttls=1 commands=2"),
             {{"mx 192.0.2.1 failed@01:00:00 sent-alert-handshake-failure msgs=0"},
              {},
              {kFailedA},
              1,
              1,
              0,
              0}},
        // smtpd_tls_loglevel 2: the alert we sent names a bare "-1" or a lost
        // connection; an OpenSSL reason still outranks it.
        Case{"sent_alert_names_a_bare_accept_error",
             session("01:00:00", 10, kA,
                     {"a.example.com[192.0.2.1]: TLS cipher list \"ALL:+RC4:@STRENGTH\"",
                      "SSL_accept:before/accept initialization",
                      "SSL3 alert write:fatal:handshake failure",
                      "SSL_accept:error in SSLv3 read client hello C",
                      "SSL_accept error from " + kA + ": -1"},
                     "ehlo=1 starttls=0/1 commands=1/2"),
             {{"mx 192.0.2.1 failed@01:00:00 sent-alert-handshake-failure msgs=0"},
              {},
              {kFailedA},
              1,
              1,
              0,
              0}},
        Case{"sent_alert_outranks_lost_connection",
             session("01:00:00", 10, kA,
                     {"SSL_accept error from " + kA + ": lost connection",
                      "SSL3 alert write:fatal:unexpected_message",
                      "lost connection after STARTTLS from " + kA},
                     "ehlo=1 starttls=0/1 commands=1/2"),
             {{"mx 192.0.2.1 failed@01:00:00 sent-alert-unexpected-message msgs=0"},
              {},
              {kFailedA},
              1,
              1,
              0,
              0}},
        Case{"openssl_reason_outranks_sent_alert",
             session("01:00:00", 10, kA,
                     {"SSL3 alert write:fatal:handshake failure",
                      "SSL_accept error from " + kA + ": -1", kNoCipher},
                     "ehlo=1 starttls=0/1 commands=1/2"),
             {{"mx 192.0.2.1 failed@01:00:00 no-shared-cipher 0A0000C1 msgs=0"},
              {},
              {kFailedA},
              1,
              1,
              0,
              0}},
        Case{"sent_warning_alert_is_no_failure",
             session("01:00:00", 10, kA,
                     {"Anonymous TLS connection established from " + kA +
                          ": TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
                      "SSL3 alert write:warning:close notify"},
                     "ehlo=2 starttls=1 quit=1 commands=4"),
             {{}, {}, {"192.0.2.1 s=1 tls=1 plain=0 failed=0 starttls=1 msgs=0/0"}, 1, 0, 0, 0}},
        // A library problem of a pid with no session open: the session began
        // before the log (its next line is the session's) or the process's
        // start-up (its next line is a connect).
        Case{"library_problem_of_a_session_begun_before_the_log",
             {smtpd("01:00:00", 10, kNoCipher),
              smtpd("01:00:00", 10, "lost connection after STARTTLS from " + kA),
              smtpd("01:00:00", 10, "disconnect from " + kA + " ehlo=1 starttls=0/1 commands=1/2")},
             {{"mx 192.0.2.1 failed@01:00:00 no-shared-cipher 0A0000C1 msgs=0"},
              {},
              {kFailedA},
              1,
              1,
              0,
              0}},
        Case{"library_problem_then_connect_is_start_up",
             std::vector<std::string>{smtpd("01:00:00", 10, kNoCipher)} +
                 session("01:00:01", 10, kA, {}, "ehlo=1 quit=1 commands=2"),
             {{}, {}, {"192.0.2.1 s=1 tls=0 plain=0 failed=0 starttls=0 msgs=0/0"}, 1, 0, 0, 0}},
        Case{"library_problem_long_before_the_next_line_is_dropped",
             {smtpd("01:00:00", 10, kNoCipher),
              smtpd("01:20:00", 10, "lost connection after STARTTLS from " + kA)},
             {{"mx 192.0.2.1 failed@01:20:00 lost-connection open msgs=0"}, {}, {}, 0, 1, 0, 0}},
        Case{"plaintext_by_queue_id",
             session("01:00:00", 10, kA, {"4A1B2C3D4E: client=" + kA}, kPlainCounters),
             {{}, {}, {"192.0.2.1 s=1 tls=0 plain=1 failed=0 starttls=0 msgs=1/1"}, 1, 0, 1, 0}},
        Case{"no_queue_id_is_no_plaintext_session",
             session("01:00:00", 10, kA, {}, "ehlo=1 quit=1 commands=2"),
             {{}, {}, {"192.0.2.1 s=1 tls=0 plain=0 failed=0 starttls=0 msgs=0/0"}, 1, 0, 0, 0}},
        Case{"failure_outranks_starttls_1_and_dates_from_first_evidence",
             {smtpd("01:00:00", 10, "connect from " + kA),
              smtpd("01:00:01", 10, "lost connection after STARTTLS from " + kA),
              smtpd("01:00:02", 10, kNoCipher),
              smtpd("01:00:03", 10,
                    "Anonymous TLS connection established from " + kA +
                        ": TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"),
              smtpd("01:00:04", 10,
                    "disconnect from " + kA + " ehlo=2 starttls=1 quit=1 commands=4")},
             {{"mx 192.0.2.1 failed@01:00:01 no-shared-cipher 0A0000C1 msgs=0"},
              {},
              {kFailedA},
              1,
              1,
              0,
              0}},
        Case{"pid_reuse_closes_the_session_before",
             {smtpd("01:00:00", 10, "connect from " + kA),
              smtpd("01:00:01", 10, "lost connection after STARTTLS from " + kA),
              smtpd("01:00:05", 10, "connect from " + kB),
              smtpd("01:00:06", 10, "disconnect from " + kB + " ehlo=1 quit=1 commands=2")},
             {{"mx 192.0.2.1 failed@01:00:01 lost-connection msgs=0"},
              {},
              {kFailedA, "203.0.113.9 s=1 tls=0 plain=0 failed=0 starttls=0 msgs=0/0"},
              2,
              1,
              0,
              0}},
        Case{"session_starting_mid_log",
             {smtpd("01:00:00", 10, "SSL_accept error from " + kA + ": -1"),
              smtpd("01:00:01", 10, "disconnect from " + kA + " ehlo=1 starttls=0/1 commands=1/2")},
             {{"mx 192.0.2.1 failed@01:00:00 other msgs=0"}, {}, {kFailedA}, 1, 1, 0, 0}},
        Case{"open_failed_session_is_saved_at_the_end",
             {smtpd("01:00:00", 10, "connect from " + kA),
              smtpd("01:00:01", 10, "lost connection after STARTTLS from " + kA)},
             {{"mx 192.0.2.1 failed@01:00:01 lost-connection open msgs=0"}, {}, {}, 0, 1, 0, 0}},
        Case{"unwatched_plaintext_message_is_only_counted",
             plain_message("01:00:00", 10, kB, "4A1B2C3D4E"),
             {{}, {}, {"203.0.113.9 s=1 tls=0 plain=1 failed=0 starttls=0 msgs=1/1"}, 1, 0, 1, 0}},
        Case{"watched_by_ip_saves_session_and_followed_message",
             failed_session("01:00:00", 10, kA) + plain_message("01:28:00", 11, kA, "4A1B2C3D4E"),
             {{"mx 192.0.2.1 failed@01:00:00 lost-connection msgs=0", "mx 192.0.2.1 plain msgs=1"},
              {"4A1B2C3D4E 192.0.2.1 192.0.2.0/24 example.com from=a@example.com to=u@mx.test "
               "mid=m-4A1B2C3D4E@example.com"},
              {"192.0.2.1 s=2 tls=0 plain=1 failed=1 starttls=1 msgs=1/1"},
              2,
              1,
              1,
              1}},
        Case{"watched_by_ip_saves_a_tls_session_too",
             failed_session("01:00:00", 10, kA) +
                 session("01:10:00", 11, kA,
                         {"Anonymous TLS connection established from " + kA +
                          ": TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"},
                         "ehlo=2 starttls=1 quit=1 commands=4"),
             {{"mx 192.0.2.1 failed@01:00:00 lost-connection msgs=0",
               "mx 192.0.2.1 tls@01:10:00 msgs=0"},
              {},
              {"192.0.2.1 s=2 tls=1 plain=0 failed=1 starttls=2 msgs=0/0"},
              2,
              1,
              0,
              0}},
        Case{"watched_by_subnet_saves_plaintext_messages",
             failed_session("01:00:00", 10, kA) + plain_message("01:28:00", 11, kA2, "5B1B2C3D4E"),
             {{"mx 192.0.2.1 failed@01:00:00 lost-connection msgs=0", "mx 192.0.2.2 plain msgs=1"},
              {"5B1B2C3D4E 192.0.2.2 192.0.2.0/24 example.com from=a@example.com to=u@mx.test "
               "mid=m-5B1B2C3D4E@example.com"},
              {kFailedA, "192.0.2.2 s=1 tls=0 plain=1 failed=0 starttls=0 msgs=1/1"},
              2,
              1,
              1,
              1}},
        Case{
            "watched_by_org_saves_plaintext_messages",
            failed_session("01:00:00", 10, kA) + plain_message("01:28:00", 11, kA3, "6C1B2C3D4E"),
            {{"mx 192.0.2.1 failed@01:00:00 lost-connection msgs=0",
              "mx 198.51.100.3 plain msgs=1"},
             {"6C1B2C3D4E 198.51.100.3 198.51.100.0/24 example.com from=a@example.com to=u@mx.test "
              "mid=m-6C1B2C3D4E@example.com"},
             {kFailedA, "198.51.100.3 s=1 tls=0 plain=1 failed=0 starttls=0 msgs=1/1"},
             2,
             1,
             1,
             1}},
        Case{"group_watch_skips_tls_sessions",
             failed_session("01:00:00", 10, kA) +
                 session("01:10:00", 11, kA2,
                         {"Anonymous TLS connection established from " + kA2 +
                              ": TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
                          "7D1B2C3D4E: client=" + kA2},
                         "ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=6"),
             {{"mx 192.0.2.1 failed@01:00:00 lost-connection msgs=0"},
              {},
              {kFailedA, "192.0.2.2 s=1 tls=1 plain=0 failed=0 starttls=1 msgs=1/0"},
              2,
              1,
              1,
              0}},
        Case{"group_watch_ends_after_a_day_ip_watch_lasts",
             failed_session("01:00:00", 10, kA) +
                 plain_message("30 02:00:00", 11, kA2, "8E1B2C3D4E") +
                 plain_message("30 02:00:00", 12, kA, "9F1B2C3D4E"),
             {{"mx 192.0.2.1 failed@01:00:00 lost-connection msgs=0", "mx 192.0.2.1 plain msgs=1"},
              {"9F1B2C3D4E 192.0.2.1 192.0.2.0/24 example.com from=a@example.com to=u@mx.test "
               "mid=m-9F1B2C3D4E@example.com"},
              {"192.0.2.1 s=2 tls=0 plain=1 failed=1 starttls=1 msgs=1/1",
               "192.0.2.2 s=1 tls=0 plain=1 failed=0 starttls=0 msgs=1/1"},
              3,
              1,
              2,
              1}},
        Case{"watch_is_per_host",
             failed_session("01:00:00", 10, kA) +
                 std::vector<std::string>{
                     smtpd("01:28:00", 11, "connect from " + kA, "mx2"),
                     smtpd("01:28:00", 11, "AA1B2C3D4E: client=" + kA, "mx2"),
                     smtpd("01:28:01", 11, "disconnect from " + kA + " " + kPlainCounters, "mx2")},
             {{"mx 192.0.2.1 failed@01:00:00 lost-connection msgs=0"},
              {},
              {"192.0.2.1 s=2 tls=0 plain=1 failed=1 starttls=1 msgs=1/1"},
              2,
              1,
              1,
              0}}),
    [](const ::testing::TestParamInfo<Case>& p) { return std::string(p.param.name); });

TEST(Correlator, KeepsEvidenceOfFailedSessions) {
  Outcome r;
  run(r, session("01:00:00", 10, kA,
                 {"SSL_accept error from " + kA + ": -1", kNoCipher,
                  "lost connection after STARTTLS from " + kA},
                 "ehlo=1 starttls=0/1 commands=1/2") +
             plain_message("01:01:00", 11, kB, "4A1B2C3D4E"));
  ASSERT_EQ(r.sink.sessions.size(), 1u);
  const auto& lines = r.sink.evidence[r.sink.sessions.begin()->first];
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0].input, "mail.log");
  EXPECT_EQ(lines[0].line, 1u);
  EXPECT_EQ(lines[0].raw, smtpd("01:00:00", 10, "connect from " + kA));
  EXPECT_EQ(lines[4].line, 5u);
  EXPECT_EQ(r.sink.hosts.count("mx"), 1u);
}

// A plaintext message of a client not watched leaves a mark with its
// session's first line and its client= line, each cut at evidence_bytes;
// a session seen from its client= line on has that line once.
TEST(Correlator, PlaintextMarksCarryTheirLines) {
  Outcome r;
  CorrelatorLimits limits;
  limits.evidence_bytes = 60;
  const std::vector<std::string> lines =
      plain_message("01:00:00", 10, kA, "4A1B2C3D4E") +
      std::vector<std::string>{
          smtpd("01:05:00", 12, "5A1B2C3D4E: client=" + kB),
          smtpd("01:05:01", 12, "disconnect from " + kB + " " + kPlainCounters)};
  run(r, lines, limits);
  std::vector<const ClientMark*> plain;
  for (const ClientMark& m : r.sink.marks)
    if (!m.tls) plain.push_back(&m);
  ASSERT_EQ(plain.size(), 2u);
  const ClientMark& a = *plain[0];
  EXPECT_EQ(a.queue_id, "4A1B2C3D4E");
  EXPECT_EQ(a.connect_line.input, "mail.log");
  EXPECT_EQ(a.connect_line.line, 1u);
  EXPECT_EQ(a.connect_line.raw, lines[0].substr(0, 60));
  EXPECT_EQ(a.client_line.input, "mail.log");
  EXPECT_EQ(a.client_line.line, 2u);
  EXPECT_EQ(a.client_line.raw, lines[1].substr(0, 60));
  const ClientMark& b = *plain[1];
  EXPECT_EQ(b.queue_id, "5A1B2C3D4E");
  EXPECT_EQ(b.connect_line.raw, "");  // the client= line was the session's first
  EXPECT_EQ(b.client_line.line, lines.size() - 1);
  EXPECT_EQ(b.client_line.raw, lines[lines.size() - 2].substr(0, 60));
}

// The alert we sent is kept with the failure it names.
TEST(Correlator, KeepsTheSentAlertAsEvidence) {
  Outcome r;
  run(r,
      session("01:00:00", 10, kA,
              {"SSL_accept:before/accept initialization",
               "SSL3 alert write:fatal:handshake failure", "SSL_accept error from " + kA + ": -1"},
              "ehlo=1 starttls=0/1 commands=1/2"));
  ASSERT_EQ(r.sink.sessions.size(), 1u);
  const auto& lines = r.sink.evidence[r.sink.sessions.begin()->first];
  ASSERT_EQ(lines.size(), 4u);  // the handshake state line carries nothing: not kept
  EXPECT_EQ(lines[1].raw, smtpd("01:00:00", 10, "SSL3 alert write:fatal:handshake failure"));
  EXPECT_EQ(lines[1].line, 3u);
  EXPECT_EQ(r.sink.sessions.begin()->second.failure_reason, "sent-alert-handshake-failure");
}

TEST(Correlator, HostFactsTellWhetherTheHostLogsTls) {
  Outcome r;
  run(r, session("01:00:00", 10, kA,
                 {"Anonymous TLS connection established from " + kA +
                  ": TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"},
                 "ehlo=2 starttls=1 quit=1 commands=4"));
  ASSERT_EQ(r.sink.hosts.count("mx"), 1u);
  EXPECT_TRUE(r.sink.hosts["mx"].logs_tls_established);
  EXPECT_EQ(clock_of(r.sink.hosts["mx"].newest_at), "01:00:00");
}

TEST(Correlator, CarriesOpenStateToTheNextRun) {
  // A failure in one run, the plaintext retry in the next.
  Outcome first;
  run(first, {smtpd("01:00:00", 10, "connect from " + kA),
              smtpd("01:00:01", 10, "lost connection after STARTTLS from " + kA)});
  ASSERT_EQ(first.state.open_sessions.size(), 1u);
  MemorySink sink2;
  Correlator c(sink2);
  CorrelatorState carried = first.state;
  carried.watched.push_back(WatchKey{"mx", "192.0.2.1", "192.0.2.0/24", "example.com",
                                     first.state.open_sessions[0].failure_at});
  c.restore(carried);
  Feeder f;
  f.feed(c, std::vector<std::string>{smtpd("01:00:02", 10,
                                           "disconnect from " + kA + " ehlo=1 commands=1")} +
                plain_message("01:28:00", 11, kA, "4A1B2C3D4E"));
  CorrelatorState end = c.finish();
  EXPECT_TRUE(end.open_sessions.empty());
  ASSERT_EQ(sink2.messages.size(), 1u);
  EXPECT_EQ(sink2.messages.begin()->second.queue_id, "4A1B2C3D4E");
  EXPECT_EQ(c.counts().sessions, 2u);
}

// "lost connection after STARTTLS" at the end of one run, starttls=1 at
// the start of the next: the carried session is TLS after all, as in one run.
TEST(Correlator, LostAfterStarttlsIsSettledByTheNextRunsCounters) {
  Outcome first;
  run(first, {smtpd("01:00:00", 10, "connect from " + kA),
              smtpd("01:00:01", 10, "lost connection after STARTTLS from " + kA)});
  ASSERT_EQ(first.state.open_sessions.size(), 1u);
  EXPECT_TRUE(first.state.open_sessions[0].failed);  // reported meanwhile
  EXPECT_EQ(first.sink.sessions.size(), 1u);
  MemorySink& sink2 = first.sink;
  Correlator c(sink2);
  c.restore(first.state);
  Feeder f;
  f.feed(c, {smtpd("01:00:01", 10, "disconnect from " + kA + " ehlo=1 starttls=1 commands=2")});
  c.finish();
  ASSERT_EQ(sink2.sessions.size(), 1u);
  EXPECT_EQ(describe(sink2.sessions.begin()->second), "mx 192.0.2.1 tls@01:00:01 msgs=0");
  EXPECT_EQ(c.counts().failures, 0u);
}

TEST(Correlator, FollowedMessageOpenAtTheEndIsCarried) {
  Outcome r;
  std::vector<std::string> lines =
      failed_session("01:00:00", 10, kA) +
      session("01:28:00", 11, kA, {"4A1B2C3D4E: client=" + kA}, kPlainCounters);
  lines.push_back(other("01:28:00", "qmgr",
                        "4A1B2C3D4E: from=<a@example.com>, size=3, nrcpt=2 (queue active)"));
  run(r, lines);
  ASSERT_EQ(r.state.tracked_messages.size(), 1u);
  EXPECT_EQ(r.state.tracked_messages[0].sender, "a@example.com");
  EXPECT_NE(r.state.tracked_messages[0].id, 0);  // saved, for the next run to update
}

TEST(Correlator, FollowedMessageIsFollowedInTheNextRun) {
  Outcome first;
  run(first, failed_session("01:00:00", 10, kA) +
                 session("01:28:00", 11, kA, {"4A1B2C3D4E: client=" + kA}, kPlainCounters));
  ASSERT_EQ(first.state.tracked_messages.size(), 1u);
  MemorySink sink2;
  Correlator c(sink2);
  c.restore(first.state);
  Feeder f;
  const std::vector<std::string> queue_lines{
      other("01:28:01", "cleanup", "4A1B2C3D4E: message-id=<otp@example.com>"),
      other("01:28:01", "qmgr", "4A1B2C3D4E: from=<a@example.com>, size=3, nrcpt=1 (queue active)"),
      other("01:28:02", "qmgr", "4A1B2C3D4E: removed")};
  Envelope mx;
  mx.host = "mx";
  for (const std::string& line : queue_lines) {
    EXPECT_TRUE(c.wants_fields(mx, EventKind::kMessageId, "4A1B2C3D4E"));
    f.feed(c, {line});
  }
  EXPECT_FALSE(c.wants_fields(mx, EventKind::kMessageId, "4A1B2C3D4E"));
  ASSERT_EQ(sink2.messages.size(), 1u);
  const MessageRecord& m = sink2.messages.begin()->second;
  EXPECT_EQ(m.id, first.state.tracked_messages[0].id);  // updated, not inserted again
  EXPECT_EQ(m.message_id, "otp@example.com");
  EXPECT_EQ(m.sender, "a@example.com");
  EXPECT_TRUE(c.finish().tracked_messages.empty());
}

// --- Bounds: each drops data, and is counted.

TEST(CorrelatorBounds, OpenSessionBoundEvictsAndCounts) {
  CorrelatorLimits limits;
  limits.max_open_sessions = 4;
  std::vector<std::string> lines;
  for (int pid = 1; pid <= 6; ++pid)
    lines.push_back(smtpd("01:00:0" + std::to_string(pid), pid, "connect from " + kB));
  lines.push_back(smtpd("01:00:09", 1, "lost connection after STARTTLS from " + kA));
  Outcome r;
  run(r, lines, limits);
  EXPECT_GT(r.counts.evicted_sessions, 0u);
  EXPECT_EQ(r.counts.sessions, r.counts.evicted_sessions);
  EXPECT_LE(r.state.open_sessions.size(), 4u);
  EXPECT_EQ(r.state.open_sessions.size() + r.counts.sessions, 7u);
}

TEST(CorrelatorBounds, EvidenceBudgetDropsAndCounts) {
  CorrelatorLimits limits;
  limits.evidence_total_bytes = 200;
  Outcome r;
  run(r,
      session("01:00:00", 10, kA,
              {"SSL_accept error from " + kA + ": -1", kNoCipher,
               "lost connection after STARTTLS from " + kA},
              "ehlo=1 starttls=0/1 commands=1/2"),
      limits);
  EXPECT_GT(r.counts.evidence_dropped, 0u);
  ASSERT_EQ(r.sink.sessions.size(), 1u);
  const auto& lines = r.sink.evidence[r.sink.sessions.begin()->first];
  EXPECT_EQ(lines.size() + r.counts.evidence_dropped, 5u);
}

TEST(CorrelatorBounds, EvidenceLinesPerSessionBound) {
  CorrelatorLimits limits;
  limits.evidence_lines = 2;
  Outcome r;
  run(r, session("01:00:00", 10, kA, {kNoCipher, kNoCipher, kNoCipher}, "ehlo=1 commands=1"),
      limits);
  ASSERT_EQ(r.sink.sessions.size(), 1u);
  EXPECT_EQ(r.sink.evidence[r.sink.sessions.begin()->first].size(), 2u);
}

TEST(CorrelatorBounds, MessageBoundSavesEvictsAndCounts) {
  CorrelatorLimits limits;
  limits.max_tracked_messages = 2;
  std::vector<std::string> lines = failed_session("01:00:00", 10, kA);
  const char* qids[] = {"4A1B2C3D41", "4A1B2C3D42", "4A1B2C3D43", "4A1B2C3D44"};
  int pid = 20;
  for (const char* q : qids) {
    lines =
        lines + session("01:10:00", pid++, kA, {std::string(q) + ": client=" + kA}, kPlainCounters);
  }
  Outcome r;
  run(r, lines, limits);
  EXPECT_GT(r.counts.evicted_messages, 0u);
  EXPECT_EQ(r.counts.saved_messages, 4u);
  EXPECT_EQ(r.sink.messages.size(), 4u);  // evicted ones are written, not lost
  EXPECT_LE(r.state.tracked_messages.size(), 2u);
}

TEST(CorrelatorBounds, RecipientsPerMessageAreBounded) {
  std::vector<std::string> lines =
      failed_session("01:00:00", 10, kA) +
      session("01:10:00", 11, kA, {"4A1B2C3D4E: client=" + kA}, kPlainCounters);
  for (int i = 0; i < 1005; ++i) {
    lines.push_back(other("01:10:01", "local",
                          "4A1B2C3D4E: to=<u" + std::to_string(i) +
                              "@mx.test>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, "
                              "status=sent (delivered)"));
  }
  Outcome r;
  run(r, lines);
  ASSERT_EQ(r.state.tracked_messages.size(), 1u);
  EXPECT_EQ(r.state.tracked_messages[0].recipients.size(), 1000u);
}

// A client first seen unnamed ("unknown": no reverse DNS at the time) and
// named later gets the domain of its name, in one run as in a run per
// session; a later other name gives its own domain (the latest wins).
TEST(CorrelatorClients, DomainOfTheLatestName) {
  const std::string unnamed = "unknown[198.51.100.9]";
  const std::string named = "mta1.bank.example[198.51.100.9]";
  const std::string renamed = "out.other-bank.example[198.51.100.9]";
  Outcome r;
  run(r, session("01:00:00", 10, unnamed, {}, "ehlo=1 quit=1 commands=2") +
             session("01:01:00", 11, named, {}, "ehlo=1 quit=1 commands=2"));
  ASSERT_EQ(r.sink.clients.count("198.51.100.9"), 1u);
  EXPECT_EQ(r.sink.clients.at("198.51.100.9").org_domain, "bank.example");
  EXPECT_EQ(r.sink.clients.at("198.51.100.9").client_name, "mta1.bank.example");
  Outcome later;
  run(later, session("01:00:00", 10, named, {}, "ehlo=1 quit=1 commands=2") +
                 session("01:01:00", 11, unnamed, {}, "ehlo=1 quit=1 commands=2") +
                 session("01:02:00", 12, renamed, {}, "ehlo=1 quit=1 commands=2"));
  EXPECT_EQ(later.sink.clients.at("198.51.100.9").org_domain, "other-bank.example");
}

// Two sessions that began in the same second (on two hosts of one stream,
// say) name the client alike in either order: the greater name wins; a
// later session's name wins whatever order the sessions end in.
TEST(CorrelatorClients, NameDoesNotDependOnOrder) {
  const std::string a = "mta1.bank.example[198.51.100.9]";
  const std::string b = "out.other-bank.example[198.51.100.9]";
  const auto counters = "ehlo=1 quit=1 commands=2";
  for (const bool b_first : {false, true}) {
    Outcome r;
    run(r,
        b_first
            ? session("01:00:00", 11, b, {}, counters) + session("01:00:00", 10, a, {}, counters)
            : session("01:00:00", 10, a, {}, counters) + session("01:00:00", 11, b, {}, counters));
    ASSERT_EQ(r.sink.clients.count("198.51.100.9"), 1u);
    EXPECT_EQ(r.sink.clients.at("198.51.100.9").client_name, "out.other-bank.example") << b_first;
    EXPECT_EQ(r.sink.clients.at("198.51.100.9").org_domain, "other-bank.example") << b_first;
  }
  Outcome later;
  run(later, session("01:00:00", 10, b, {}, counters) + session("01:00:01", 11, a, {}, counters));
  EXPECT_EQ(later.sink.clients.at("198.51.100.9").client_name, "mta1.bank.example");
  EXPECT_EQ(later.sink.clients.at("198.51.100.9").org_domain, "bank.example");
}

TEST(CorrelatorBounds, ClientCountsFlushedEarlyStillAddUp) {
  CorrelatorLimits limits;
  limits.max_client_stats = 2;
  std::vector<std::string> lines;
  for (int i = 1; i <= 5; ++i) {
    const std::string c =
        "h" + std::to_string(i) + ".example.net[203.0.113." + std::to_string(i) + "]";
    lines = lines + session("01:00:00", i, c, {}, "ehlo=1 quit=1 commands=2");
  }
  Outcome r;
  run(r, lines, limits);
  EXPECT_GT(r.sink.client_flushes, 1);
  EXPECT_EQ(r.counts.clients_flushed, 4u);  // 2 + 2 handed over early, the fifth at the end
  ASSERT_EQ(r.sink.clients.size(), 5u);
  for (const auto& [ip, s] : r.sink.clients) EXPECT_EQ(s.sessions, 1) << ip;
}

TEST(CorrelatorBounds, WatchListBound) {
  CorrelatorLimits limits;
  limits.max_watched = 3;  // kA's ip, subnet and domain; kB is not watched
  std::vector<std::string> lines = failed_session("01:00:00", 10, kA) +
                                   failed_session("01:00:01", 11, kB) +
                                   plain_message("01:28:00", 12, kA, "4A1B2C3D4E") +
                                   plain_message("01:28:00", 13, kB, "5B1B2C3D4E");
  Outcome r;
  run(r, lines, limits);
  ASSERT_EQ(r.sink.messages.size(), 1u);
  EXPECT_EQ(r.sink.messages.begin()->second.client_ip, "192.0.2.1");
  EXPECT_EQ(r.counts.failures, 2u);
  EXPECT_EQ(r.counts.watch_full, 1u);  // kB, once
}

TEST(CorrelatorBounds, NothingDroppedWithinTheBounds) {
  Outcome r;
  run(r, failed_session("01:00:00", 10, kA) + plain_message("01:28:00", 11, kA, "4A1B2C3D4E"));
  EXPECT_EQ(r.counts.evicted_sessions + r.counts.evicted_messages + r.counts.evidence_dropped +
                r.counts.watch_full + r.counts.clients_flushed,
            0u);
}

TEST(CorrelatorBounds, AddDropsAddsEveryBoundsCount) {
  CorrelatorLimits limits;
  limits.max_open_sessions = 2;
  limits.max_tracked_messages = 2;
  limits.evidence_total_bytes = 100;
  limits.max_watched = 3;
  limits.max_client_stats = 1;
  std::vector<std::string> lines =
      failed_session("01:00:00", 10, kA) + failed_session("01:00:01", 11, kB);
  for (int pid = 20; pid < 25; ++pid) {
    lines = lines + session("01:10:00", pid, kA,
                            {"4A1B2C3D4" + std::to_string(pid % 10) + ": client=" + kA},
                            kPlainCounters);
  }
  for (int pid = 30; pid < 35; ++pid)
    lines.push_back(smtpd("01:20:00", pid, "connect from " + kA2));
  MemorySink sink;
  Correlator c(sink, limits);
  Feeder f;
  f.feed(c, lines);
  c.finish();
  const CorrelatorCounts n = c.counts();
  EXPECT_GT(n.evicted_sessions, 0u);
  EXPECT_GT(n.evicted_messages, 0u);
  EXPECT_GT(n.evidence_dropped, 0u);
  EXPECT_GT(n.watch_full, 0u);
  EXPECT_GT(n.clients_flushed, 0u);
  DropCounts d;
  d.outbound_dropped = 7;  // added to, not overwritten
  c.add_drops(d);
  c.add_drops(d);
  EXPECT_EQ(d.evicted_sessions, 2 * n.evicted_sessions);
  EXPECT_EQ(d.evicted_messages, 2 * n.evicted_messages);
  EXPECT_EQ(d.evidence_dropped, 2 * n.evidence_dropped);
  EXPECT_EQ(d.watch_full, 2 * n.watch_full);
  EXPECT_EQ(d.clients_flushed, 2 * n.clients_flushed);
  EXPECT_EQ(d.outbound_dropped, 7u);
}

}  // namespace
}  // namespace pftls
