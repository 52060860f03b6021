// Unit tests for the TLS inventory: "TLS connection established from/to"
// lines through the envelope parser, the built-in patterns and a Correlator
// into an in-memory sink; TLS sessions without such a line (loglevel 0);
// the bound of TlsTally; a log cut into runs giving the same counts. Also
// the per-(host, UTC day, TLS state) session counts (SessionDayTally).
#include <gtest/gtest.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "../memory_sinks.h"
#include "correlate/correlator.h"
#include "correlate/session_day_tally.h"
#include "correlate/tls_tally.h"
#include "parse/pattern_set.h"
#include "parse/syslog_envelope.h"

namespace pftls {
namespace {

using MemorySink = test_support::MemoryEventSink;

// Feeds syslog lines (year 2026, UTC) through envelope, patterns, correlator.
class Feeder {
 public:
  Feeder() : zone_("UTC"), parser_(zone_, 2026) { parser_.begin_input(std::nullopt); }
  void feed(Correlator& c, const std::vector<std::string>& lines) {
    for (const std::string& line : lines) {
      Envelope env;
      ASSERT_EQ(parser_.parse(line, env), EnvelopeStatus::kPostfix) << line;
      Event ev;
      if (!PatternSet::builtin().match(env.service, env.message, ev)) continue;
      c.on_event(env, ev, ord_++);
    }
  }

 private:
  LocalZone zone_;
  EnvelopeParser parser_;
  std::uint64_t ord_ = 0;
};

std::string line(const std::string& at, const std::string& host, const std::string& program,
                 int pid, const std::string& text) {
  return "Nov 29 " + at + " " + host + " postfix/" + program + "[" + std::to_string(pid) +
         "]: " + text;
}

// A whole inbound session: connect, the middle lines, disconnect with counters.
std::vector<std::string> session(const std::string& at, const std::string& host, int pid,
                                 const std::string& client, const std::vector<std::string>& middle,
                                 const std::string& counters) {
  std::vector<std::string> out{line(at, host, "smtpd", pid, "connect from " + client)};
  for (const std::string& m : middle) out.push_back(line(at, host, "smtpd", pid, m));
  out.push_back(line(at, host, "smtpd", pid, "disconnect from " + client + " " + counters));
  return out;
}

const std::string kTlsCounters = "ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7";
const std::string kTls13 =
    "Anonymous TLS connection established from a.example[192.0.2.1]: TLSv1.3 with cipher "
    "TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 "
    "bits) server-digest SHA256";
const std::string kTls12 =
    "Untrusted TLS connection established from a.example[192.0.2.1]: TLSv1.2 with cipher "
    "ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)";

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The inventory as "dir host ip protocol cipher bits trust n first-last" rows.
std::vector<std::string> rows(const MemorySink& sink) {
  std::vector<std::string> out;
  for (const auto& [k, c] : sink.tls) {
    const auto& [dir, host, ip, protocol, cipher, bits, trust] = k;
    out.push_back(dir + " " + host + " " + ip + " " + (protocol.empty() ? "-" : protocol) + " " +
                  (cipher.empty() ? "-" : cipher) + " " + std::to_string(bits) + " " +
                  (trust.empty() ? "-" : trust) + " " + std::to_string(c.sessions) + " " +
                  std::to_string(c.first_seen / kMicrosPerSecond % 86400) + "-" +
                  std::to_string(c.last_seen / kMicrosPerSecond % 86400));
  }
  return out;
}

std::vector<std::string> run(const std::vector<std::string>& lines, CorrelatorLimits limits = {}) {
  MemorySink sink;
  Correlator c(sink, limits);
  Feeder f;
  f.feed(c, lines);
  c.finish();
  return rows(sink);
}

TEST(TlsInventory, CountsWhatEachHandshakeNegotiated) {
  const auto lines = session("01:00:00", "mx", 10, "a.example[192.0.2.1]", {kTls13}, kTlsCounters) +
                     session("01:00:05", "mx", 11, "a.example[192.0.2.1]", {kTls13}, kTlsCounters) +
                     session("01:00:09", "mx", 12, "a.example[192.0.2.1]", {kTls12}, kTlsCounters) +
                     session("01:00:10", "mx2", 13, "a.example[192.0.2.1]", {kTls13}, kTlsCounters);
  EXPECT_EQ(run(lines),
            (std::vector<std::string>{
                "in mx 192.0.2.1 TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384 256 Untrusted 1 3609-3609",
                "in mx 192.0.2.1 TLSv1.3 TLS_AES_256_GCM_SHA384 256 Anonymous 2 3600-3605",
                "in mx2 192.0.2.1 TLSv1.3 TLS_AES_256_GCM_SHA384 256 Anonymous 1 3610-3610"}));
}

TEST(TlsInventory, TlsWithoutEstablishedLineCountsAsUnknown) {
  // smtpd_tls_loglevel 0: only the counters say STARTTLS worked.
  const auto lines =
      session("01:00:00", "mx", 10, "b.example[192.0.2.2]", {}, kTlsCounters) +
      // Postfix 2.x: no trust word.
      session("01:00:01", "mx", 11, "b.example[192.0.2.2]",
              {"TLS connection established from b.example[192.0.2.2]: TLSv1 with cipher "
               "DHE-RSA-AES256-SHA (256/256 bits)"},
              kTlsCounters) +
      // A form the pattern does not take apart: TLS, parameters unknown.
      session("01:00:02", "mx", 12, "b.example[192.0.2.2]",
              {"Verified TLS connection established from b.example[192.0.2.2]: something new"},
              kTlsCounters) +
      // Plaintext and failed sessions are not in the inventory.
      session("01:00:03", "mx", 13, "b.example[192.0.2.2]", {},
              "ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5") +
      session("01:00:04", "mx", 14, "b.example[192.0.2.2]", {}, "ehlo=1 starttls=0/1 commands=1/2");
  EXPECT_EQ(run(lines), (std::vector<std::string>{"in mx 192.0.2.2 - - 0 - 2 3600-3602",
                                                  "in mx 192.0.2.2 TLSv1 DHE-RSA-AES256-SHA 256 - "
                                                  "1 3601-3601"}));
}

TEST(TlsInventory, CountsOurSmtpClientsHandshakes) {
  const std::vector<std::string> lines{
      line("02:00:00", "mx", "smtp", 500,
           "Trusted TLS connection established to mx.example.org[198.51.100.25]:25: TLSv1.3 "
           "with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519MLKEM768 "
           "server-signature RSA-PSS (2048 bits) server-digest SHA256"),
      line("02:00:01", "mx", "lmtp", 501,
           "Verified TLS connection established to mail.sys4.de[2001:1578:400:111::7]:25: TLSv1 "
           "with cipher ECDHE-RSA-AES256-SHA (256/256 bits)"),
  };
  EXPECT_EQ(run(lines),
            (std::vector<std::string>{
                "out mx 198.51.100.25 TLSv1.3 TLS_AES_256_GCM_SHA384 256 Trusted 1 7200-7200",
                "out mx 2001:1578:400:111::7 TLSv1 ECDHE-RSA-AES256-SHA 256 Verified 1 "
                "7201-7201"}));
}

std::vector<std::string> mixed_log() {
  std::vector<std::string> lines;
  for (int i = 0; i < 12; ++i) {
    const std::string ip = "192.0.2." + std::to_string(1 + i % 5);
    const std::string client = "c.example[" + ip + "]";
    const std::string at = "03:00:" + std::string(i < 10 ? "0" : "") + std::to_string(i);
    std::vector<std::string> middle;
    if (i % 3 == 0) {
      middle.push_back("Anonymous TLS connection established from " + client +
                       ": TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits)");
    } else if (i % 3 == 1) {
      middle.push_back("Untrusted TLS connection established from " + client +
                       ": TLSv1.2 with cipher ECDHE-RSA-AES128-GCM-SHA256 (128/128 bits)");
    }
    lines = lines + session(at, i % 2 ? "mx" : "mx2", 100 + i, client, middle, kTlsCounters);
  }
  return lines;
}

TEST(TlsInventory, TheBoundHandsOverEarlyWithTheSameSums) {
  const std::vector<std::string> whole = run(mixed_log());
  CorrelatorLimits small;
  small.max_tls_rows = 1;
  MemorySink sink;
  Correlator c(sink, small);
  Feeder f;
  f.feed(c, mixed_log());
  c.finish();
  EXPECT_GT(sink.tls_flushes, 3);
  EXPECT_EQ(rows(sink), whole);
  EXPECT_GE(whole.size(), 8u);
}

TEST(TlsInventory, ALogCutIntoRunsGivesTheSameCounts) {
  const std::vector<std::string> log = mixed_log();
  const std::vector<std::string> whole = run(log);
  // Every cut, also inside a session (its open state is carried).
  for (std::ptrdiff_t cut = 1; cut < static_cast<std::ptrdiff_t>(log.size()); ++cut) {
    MemorySink sink;
    CorrelatorState state;
    Feeder f;
    {
      Correlator first(sink);
      f.feed(first, std::vector<std::string>(log.begin(), log.begin() + cut));
      state = first.finish();
    }
    Correlator second(sink);
    second.restore(std::move(state));
    f.feed(second, std::vector<std::string>(log.begin() + cut, log.end()));
    second.finish();
    EXPECT_EQ(rows(sink), whole) << "cut after line " << cut;
  }
}

// --- Sessions per (host, UTC day, TLS state).

// The counts as "host day state n" rows (day: days since 1970).
std::vector<std::string> day_rows(const MemorySink& sink) {
  std::vector<std::string> out;
  for (const auto& [k, n] : sink.session_days) {
    const auto& [host, day, state] = k;
    EXPECT_EQ(day % 86400, 0) << host << " " << day;
    out.push_back(host + " " + std::to_string(day / 86400) + " " + state + " " + std::to_string(n));
  }
  return out;
}

std::vector<std::string> run_days(const std::vector<std::string>& lines,
                                  CorrelatorLimits limits = {}) {
  MemorySink sink;
  Correlator c(sink, limits);
  Feeder f;
  f.feed(c, lines);
  c.finish();
  return day_rows(sink);
}

TEST(SessionDays, CountsEachSessionByHostDayAndState) {
  // 2026-11-29 is day 20786 since 1970; a session across midnight counts on
  // the day it began.
  const auto lines =
      session("01:00:00", "mx", 10, "a.example[192.0.2.1]", {kTls13}, kTlsCounters) +
      session("01:00:01", "mx", 11, "a.example[192.0.2.1]", {kTls13}, kTlsCounters) +
      session("01:00:02", "mx", 12, "b.example[192.0.2.2]",
              {"4A1B2C3D4E: client=b.example[192.0.2.2]"},
              "ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5") +
      session("01:00:03", "mx", 13, "b.example[192.0.2.2]", {},
              "ehlo=1 starttls=0/1 commands=1/2") +
      session("01:00:04", "mx2", 14, "c.example[192.0.2.3]", {}, "ehlo=1 quit=1 commands=2") +
      std::vector<std::string>{
          line("23:59:59", "mx", "smtpd", 15, "connect from a.example[192.0.2.1]"),
          "Nov 30 00:00:01 mx postfix/smtpd[15]: disconnect from a.example[192.0.2.1] " +
              kTlsCounters,
          "Nov 30 00:00:02 mx postfix/smtpd[16]: connect from a.example[192.0.2.1]",
          "Nov 30 00:00:03 mx postfix/smtpd[16]: disconnect from a.example[192.0.2.1] " +
              kTlsCounters};
  EXPECT_EQ(run_days(lines),
            (std::vector<std::string>{"mx 20786 failed 1", "mx 20786 plaintext 1", "mx 20786 tls 3",
                                      "mx 20787 tls 1", "mx2 20786 other 1"}));
}

TEST(SessionDays, TheBoundAndAnyCutGiveTheSameSums) {
  const std::vector<std::string> log = mixed_log();
  const std::vector<std::string> whole = run_days(log);
  ASSERT_GE(whole.size(), 2u);
  CorrelatorLimits small;
  small.max_session_day_rows = 1;
  EXPECT_EQ(run_days(log, small), whole);
  for (std::ptrdiff_t cut = 1; cut < static_cast<std::ptrdiff_t>(log.size()); ++cut) {
    MemorySink sink;
    CorrelatorState state;
    Feeder f;
    {
      Correlator first(sink);
      f.feed(first, std::vector<std::string>(log.begin(), log.begin() + cut));
      state = first.finish();
    }
    Correlator second(sink);
    second.restore(std::move(state));
    f.feed(second, std::vector<std::string>(log.begin() + cut, log.end()));
    second.finish();
    EXPECT_EQ(day_rows(sink), whole) << "cut after line " << cut;
  }
}

TEST(SessionDays, DayStartIsTheFloorOfTheUtcDay) {
  EXPECT_EQ(SessionDayTally::day_start(0), 0);
  EXPECT_EQ(SessionDayTally::day_start(86'399'999'999), 0);
  EXPECT_EQ(SessionDayTally::day_start(86'400'000'000), 86'400);
  EXPECT_EQ(SessionDayTally::day_start(-1), -86'400);
}

TEST(TlsTally, BitsAreDecimalOrZero) {
  EXPECT_EQ(TlsTally::parse_bits("256"), 256);
  EXPECT_EQ(TlsTally::parse_bits("0"), 0);
  EXPECT_EQ(TlsTally::parse_bits(""), 0);
  EXPECT_EQ(TlsTally::parse_bits("25x"), 0);
  EXPECT_EQ(TlsTally::parse_bits("-1"), 0);
  EXPECT_EQ(TlsTally::parse_bits("1234567"), 0);
}

TEST(TlsTally, HostileFieldsAreCut) {
  MemorySink sink;
  TlsTally t(sink, 10);
  const std::string long_cipher(10'000, 'A');
  t.add("in", "mx", "192.0.2.1", "TLSv1.2", long_cipher, "256", "Anonymous", 5);
  t.add("in", "mx", "192.0.2.1", "TLSv1.2", long_cipher + "B", "256", "Anonymous", 3);
  t.flush();
  ASSERT_EQ(sink.tls.size(), 1u);  // the same first 128 bytes: one row
  const auto& [key, count] = *sink.tls.begin();
  EXPECT_EQ(std::get<4>(key).size(), TlsTally::kMaxField);
  EXPECT_EQ(count.sessions, 2);
  EXPECT_EQ(count.first_seen, 3);
  EXPECT_EQ(count.last_seen, 5);
}

}  // namespace
}  // namespace pftls
