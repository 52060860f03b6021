// Unit tests for syslog_envelope: RFC 3164 and RFC 3339 stamps, Postfix
// program names, other programs and malformed lines.
//
// Expected instants were checked with GNU date (`date -u -d ... +%s`).
#include "parse/syslog_envelope.h"

#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "../test_support.h"
#include "../xorshift.h"
#include "parse/syslog_envelope_internal.h"

namespace pftls {
namespace {

Micros utc(int y, unsigned mo, unsigned d, int h, int mi, int s, std::int64_t micros = 0) {
  return (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * kMicrosPerSecond + micros;
}

using test_support::status_name;

// A parser for --tz UTC and --year 2016, ready for its first line.
struct Utc2016 {
  LocalZone zone{"UTC"};
  EnvelopeParser parser{zone, 2016};
  Utc2016() { parser.begin_input(std::nullopt); }
};

// ---------------------------------------------------------------------------
// Well-formed Postfix lines

struct GoodCase {
  const char* what;
  const char* line;
  Micros time;
  const char* host;
  const char* syslog_name;
  const char* service;
  std::uint32_t pid;
  const char* message;
};

void PrintTo(const GoodCase& c, std::ostream* os) { *os << c.what; }

class EnvelopeGoodUtcTest : public ::testing::TestWithParam<GoodCase> {};

TEST_P(EnvelopeGoodUtcTest, Parses) {
  const GoodCase& c = GetParam();
  Utc2016 utc2016;
  EnvelopeParser& parser = utc2016.parser;
  Envelope env;
  const EnvelopeStatus st = parser.parse(c.line, env);
  ASSERT_EQ(st, EnvelopeStatus::kPostfix) << c.what << ": " << status_name(st);
  EXPECT_EQ(env.time, c.time) << c.what << ": " << format_utc(env.time);
  EXPECT_EQ(env.host, c.host) << c.what;
  EXPECT_EQ(env.syslog_name, c.syslog_name) << c.what;
  EXPECT_EQ(env.service, c.service) << c.what;
  EXPECT_EQ(env.pid, c.pid) << c.what;
  EXPECT_EQ(env.message, c.message) << c.what;
}

INSTANTIATE_TEST_SUITE_P(
    Forms, EnvelopeGoodUtcTest,
    ::testing::Values(
        GoodCase{"RFC 3164, space-padded day",
                 "Dec  3 16:01:05 box postfix/smtpd[25349]: connect from a.example[192.0.2.1]",
                 utc(2016, 12, 3, 16, 1, 5), "box", "postfix", "smtpd", 25349,
                 "connect from a.example[192.0.2.1]"},
        GoodCase{"RFC 3164, zero-padded day (maillog_file)",
                 "Dec 03 16:01:05 box postfix/smtpd[25349]: connect from a.example[192.0.2.1]",
                 utc(2016, 12, 3, 16, 1, 5), "box", "postfix", "smtpd", 25349,
                 "connect from a.example[192.0.2.1]"},
        GoodCase{"RFC 3164, two-digit day",
                 "Dec 23 16:01:05 box postfix/cleanup[30017]: 1FBCDAE88B: message-id=<a@b>",
                 utc(2016, 12, 23, 16, 1, 5), "box", "postfix", "cleanup", 30017,
                 "1FBCDAE88B: message-id=<a@b>"},
        GoodCase{"RFC 3164, leap day", "Feb 29 00:00:00 mx1 postfix/qmgr[1]: 0F5383D: removed",
                 utc(2016, 2, 29, 0, 0, 0), "mx1", "postfix", "qmgr", 1, "0F5383D: removed"},
        GoodCase{
            "RFC 3339 with fraction and offset",
            "2026-11-29T00:45:17.000000+01:00 mx postfix/smtpd[4477]: disconnect from x[192.0.2.9]",
            utc(2026, 11, 28, 23, 45, 17), "mx", "postfix", "smtpd", 4477,
            "disconnect from x[192.0.2.9]"},
        GoodCase{"RFC 3339 fraction kept in microseconds",
                 "2026-11-28T23:45:17.123456+00:00 mx postfix/smtpd[4477]: m",
                 utc(2026, 11, 28, 23, 45, 17, 123456), "mx", "postfix", "smtpd", 4477, "m"},
        GoodCase{"RFC 3339 short fraction", "2026-11-28T23:45:17.5Z mx postfix/smtpd[4477]: m",
                 utc(2026, 11, 28, 23, 45, 17, 500000), "mx", "postfix", "smtpd", 4477, "m"},
        GoodCase{"RFC 3339 negative offset", "2026-11-28T18:45:17-05:00 mx postfix/smtpd[4477]: m",
                 utc(2026, 11, 28, 23, 45, 17), "mx", "postfix", "smtpd", 4477, "m"},
        GoodCase{"RFC 3339 Z suffix", "2026-11-28T23:45:17Z mx postfix/smtpd[4477]: m",
                 utc(2026, 11, 28, 23, 45, 17), "mx", "postfix", "smtpd", 4477, "m"},
        GoodCase{"submission service",
                 "Dec 23 16:01:05 box postfix/submission/smtpd[77]: connect from a[192.0.2.1]",
                 utc(2016, 12, 23, 16, 1, 5), "box", "postfix/submission", "smtpd", 77,
                 "connect from a[192.0.2.1]"},
        GoodCase{"Debian's relay transport (syslog_name=postfix/$service_name)",
                 "Dec 23 16:01:05 box postfix/relay/smtp[79]: 1FBCDAE88B: to=<a@b.example>, "
                 "relay=c[192.0.2.9]:25",
                 utc(2016, 12, 23, 16, 1, 5), "box", "postfix/relay", "smtp", 79,
                 "1FBCDAE88B: to=<a@b.example>, relay=c[192.0.2.9]:25"},
        GoodCase{"multi-instance syslog_name",
                 "Dec 23 16:01:05 box postfix-in/smtpd[78]: connect from a[192.0.2.1]",
                 utc(2016, 12, 23, 16, 1, 5), "box", "postfix-in", "smtpd", 78,
                 "connect from a[192.0.2.1]"},
        GoodCase{"message containing brackets and ]: ",
                 "Dec 23 16:01:05 box postfix/smtpd[25349]: SSL_accept error from a[192.0.2.1]: -1",
                 utc(2016, 12, 23, 16, 1, 5), "box", "postfix", "smtpd", 25349,
                 "SSL_accept error from a[192.0.2.1]: -1"},
        GoodCase{"empty message", "Dec 23 16:01:05 box postfix/smtpd[1]: ",
                 utc(2016, 12, 23, 16, 1, 5), "box", "postfix", "smtpd", 1, ""},
        GoodCase{"one-digit pid", "Dec 23 16:01:05 box postfix/smtpd[7]: connect from a[192.0.2.1]",
                 utc(2016, 12, 23, 16, 1, 5), "box", "postfix", "smtpd", 7,
                 "connect from a[192.0.2.1]"},
        GoodCase{"seven-digit pid",
                 "Dec 23 16:01:05 box postfix/smtpd[4194303]: connect from a[192.0.2.1]",
                 utc(2016, 12, 23, 16, 1, 5), "box", "postfix", "smtpd", 4194303,
                 "connect from a[192.0.2.1]"},
        GoodCase{"eight-digit pid",
                 "Dec 23 16:01:05 box postfix/smtpd[12345678]: connect from a[192.0.2.1]",
                 utc(2016, 12, 23, 16, 1, 5), "box", "postfix", "smtpd", 12345678,
                 "connect from a[192.0.2.1]"},
        GoodCase{"pid with leading zeros",
                 "Dec 23 16:01:05 box postfix/smtpd[00901]: connect from a[192.0.2.1]",
                 utc(2016, 12, 23, 16, 1, 5), "box", "postfix", "smtpd", 901,
                 "connect from a[192.0.2.1]"},
        GoodCase{"pid at the end of a short line", "Dec 23 16:01:05 box postfix/smtpd[4077]: ",
                 utc(2016, 12, 23, 16, 1, 5), "box", "postfix", "smtpd", 4077, ""},
        GoodCase{"largest pid", "Dec 23 16:01:05 box postfix/smtpd[4294967295]: m",
                 utc(2016, 12, 23, 16, 1, 5), "box", "postfix", "smtpd", 4294967295u, "m"}));

TEST(Envelope, EveryPidLengthAndTailParses) {
  // Pids of 1 to 10 digits, followed by the usual "]: " and messages of
  // every short length (the word-at-a-time path needs 8 readable bytes).
  Utc2016 utc2016;
  EnvelopeParser& parser = utc2016.parser;
  std::uint64_t pid = 0;
  for (int digits = 1; digits <= 10; ++digits) {
    pid = pid * 10 + static_cast<std::uint64_t>(digits % 10);
    for (std::uint64_t p : {pid, pid + 1, pid / 2 + 1}) {
      if (p > 0xFFFFFFFFULL) continue;
      for (std::size_t msg = 0; msg < 10; ++msg) {
        std::string line = "Dec 23 16:01:05 box postfix/smtpd[" + std::to_string(p) +
                           "]: " + std::string(msg, 'm');
        Envelope env;
        ASSERT_EQ(parser.parse(line, env), EnvelopeStatus::kPostfix) << line;
        EXPECT_EQ(env.pid, p) << line;
        EXPECT_EQ(env.message, std::string(msg, 'm')) << line;
      }
    }
  }
}

// Hosts of 1 to 40 bytes (the end of most is found in one 16-byte compare)
// in lines that end soon after, and a line that is only a stamp and a host.
TEST(Envelope, EveryHostLengthParses) {
  Utc2016 utc2016;
  EnvelopeParser& parser = utc2016.parser;
  for (std::size_t n = 1; n <= 40; ++n) {
    std::string host;
    for (std::size_t k = 0; k < n; ++k) host += static_cast<char>('a' + k % 26);
    for (const char* rest : {"postfix/smtpd[1]: ", "postfix/smtpd[1]: m", "sshd[1]: x"}) {
      const std::string line = "Dec 23 16:01:05 " + host + " " + rest;
      Envelope env;
      const EnvelopeStatus st = parser.parse(line, env);
      if (rest[0] == 's') {
        EXPECT_EQ(st, EnvelopeStatus::kOtherProgram) << line;
        continue;
      }
      ASSERT_EQ(st, EnvelopeStatus::kPostfix) << line;
      EXPECT_EQ(env.host, host) << line;
      EXPECT_EQ(env.service, "smtpd") << line;
    }
    Envelope env;
    EXPECT_EQ(parser.parse("Dec 23 16:01:05 " + host, env), EnvelopeStatus::kMalformed) << host;
  }
}

// Program names of every shape and length: "postfix" then random bytes of
// names, '/', ' ', ':' and '[', then a pid and a message of 0 to 20 bytes.
// The parser (16 bytes at once where it can) must answer as this reference
// of the rule: the name ends at the first '[', ' ' or ':'; a '[' after a
// '/' makes SYSLOG_NAME/SERVICE; ':' after a '/' is Postfix without a pid
// (malformed); anything else is another program.
TEST(Envelope, ProgramNamesOfEveryShapeAgreeWithTheRule) {
  Utc2016 utc2016;
  EnvelopeParser& parser = utc2016.parser;
  test_inputs::XorShift64 next(0x853C49E6748FEA9BULL);
  const std::string alphabet = "abcdemnpqstuvwxyz-._/////  ::[[";
  std::size_t postfix_lines = 0;
  for (int i = 0; i < 100000; ++i) {
    std::string name = "postfix";
    const std::size_t len = next() % 30;
    for (std::size_t k = 0; k < len; ++k) {
      name += next() % 4 == 0 ? alphabet[next() % alphabet.size()]
                              : static_cast<char>('a' + next() % 26);
    }
    const std::string message(next() % 21, 'm');
    const std::string line = "Dec 23 16:01:05 box " + name + "[4242]: " + message;
    // The reference.
    const std::string tail = name + "[";
    const std::size_t stop = tail.find_first_of("[ :", 7);
    const std::size_t slash = tail.find_last_of('/', stop);
    const bool has_slash = slash != std::string::npos && slash >= 7 && slash < stop;
    EnvelopeStatus want = EnvelopeStatus::kOtherProgram;
    if (tail[stop] == '[' && has_slash) {
      // A '[' inside the name is followed by no pid; an empty service is no name.
      want = stop != name.size() || stop == slash + 1 ? EnvelopeStatus::kMalformed
                                                      : EnvelopeStatus::kPostfix;
    } else if (tail[stop] == ':' && has_slash) {
      want = EnvelopeStatus::kMalformed;
    }
    Envelope env;
    const EnvelopeStatus got = parser.parse(line, env);
    ASSERT_EQ(status_name(got), std::string(status_name(want))) << line;
    if (want != EnvelopeStatus::kPostfix) continue;
    ++postfix_lines;
    ASSERT_EQ(env.syslog_name, tail.substr(0, slash)) << line;
    ASSERT_EQ(env.service, tail.substr(slash + 1, stop - slash - 1)) << line;
    ASSERT_EQ(env.pid, 4242u) << line;
    ASSERT_EQ(env.message, message) << line;
  }
  EXPECT_GT(postfix_lines, 10000u);
}

// parse() takes the usual line by a short path and leaves the rest to
// parse_general(): on generated lines around that path's edges (stamps
// repeated or new, hosts of 0 to 20 bytes, other programs, program names of
// every shape, pids of 0 to 12 digits, damaged "]: ", CR ends, lines cut
// anywhere) both must give the same status and, for Postfix lines, the same
// fields. Two parsers see the same lines, so their stamp caches agree.
TEST(Envelope, UsualLinePathAgreesWithGeneralParse) {
  LocalZone zone("UTC");
  EnvelopeParser fast(zone, 2016);
  EnvelopeParser general(zone, 2016);
  fast.begin_input(std::nullopt);
  general.begin_input(std::nullopt);
  test_inputs::XorShift64 next(0x2545F4914F6CDD1DULL);
  const char* const stamps[] = {"Dec 23 16:01:05", "Dec 23 16:01:06",      "Dec  3 16:01:06",
                                "Dec 23 16:01:0x", "2016-12-23T16:01:07Z", "Dec 3 16:01:06"};
  const char* const programs[] = {"postfix/smtpd",
                                  "postfix/submission/smtpd",
                                  "postfix-in/cleanup",
                                  "postfix/qmgr",
                                  "postfix/",
                                  "postfix",
                                  "postfixd",
                                  "postfix[",
                                  "postfix/smtpd:",
                                  "postfix/a b",
                                  "postfix/lmtp",
                                  "dovecot",
                                  "postfix/verylongservicename",
                                  "postfix/x/y/z/smtpd"};
  const char* const closes[] = {"]: ", "]: ", "]: ", "]:", "] ", "]x ", ": ", "]:  "};
  std::size_t postfix_lines = 0, usual = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string line = stamps[next() % std::size(stamps)];
    line += next() % 8 == 0 ? "." : " ";
    const std::size_t host_len = next() % 21;
    if (next() % 12 == 0) {
      line += next() % 2 ? "INFO" : "postfix";  // a severity word, a host named so
    } else {
      for (std::size_t k = 0; k < host_len; ++k) line += static_cast<char>('a' + next() % 26);
    }
    line += next() % 7 == 0 ? "  " : " ";  // runs of spaces
    line += programs[next() % std::size(programs)];
    line += '[';
    const std::size_t digits = next() % 13;
    for (std::size_t k = 0; k < digits; ++k) line += static_cast<char>('0' + next() % 10);
    line += closes[next() % std::size(closes)];
    const std::size_t msg = next() % 48;
    for (std::size_t k = 0; k < msg; ++k) line += static_cast<char>('a' + next() % 26);
    if (next() % 6 == 0) line += '\r';
    if (next() % 10 == 0) line.resize(next() % (line.size() + 1));
    Envelope a, b;
    const EnvelopeStatus got = fast.parse(line, a);
    const EnvelopeStatus want = parse_general(general, line, b);
    ASSERT_EQ(status_name(got), std::string(status_name(want))) << line;
    if (want != EnvelopeStatus::kPostfix) continue;
    ++postfix_lines;
    if (line.size() >= 63) ++usual;
    ASSERT_EQ(a.time, b.time) << line;
    ASSERT_EQ(a.host, b.host) << line;
    ASSERT_EQ(a.syslog_name, b.syslog_name) << line;
    ASSERT_EQ(a.service, b.service) << line;
    ASSERT_EQ(a.pid, b.pid) << line;
    ASSERT_EQ(a.message, b.message) << line;
  }
  EXPECT_GT(postfix_lines, 10000u);
  EXPECT_GT(usual, 5000u);
}

TEST(Envelope, Rfc3339WithoutOffsetUsesLocalZone) {
  // No offset: the --tz zone applies (Berlin in winter is +1).
  LocalZone zone("Europe/Berlin");
  EnvelopeParser parser(zone, std::nullopt);
  parser.begin_input(std::nullopt);
  Envelope env;
  ASSERT_EQ(parser.parse("2016-12-23T16:01:05.250 box postfix/smtpd[1]: m", env),
            EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.time, utc(2016, 12, 23, 15, 1, 5, 250000));
  // The same without a fraction: still a valid timestamp in the local zone.
  ASSERT_EQ(parser.parse("2016-12-23T16:01:05 box postfix/smtpd[1]: m", env),
            EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.time, utc(2016, 12, 23, 15, 1, 5));
}

TEST(Envelope, Rfc3339WithOffsetIgnoresLocalZone) {
  LocalZone zone("Europe/Berlin");
  EnvelopeParser parser(zone, std::nullopt);
  parser.begin_input(std::nullopt);
  Envelope env;
  ASSERT_EQ(parser.parse("2026-11-29T00:45:17.000000+01:00 mx postfix/smtpd[4477]: m", env),
            EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.time, utc(2026, 11, 28, 23, 45, 17));
  ASSERT_EQ(parser.parse("2016-07-01T10:00:00Z mx postfix/smtpd[4477]: m", env),
            EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.time, utc(2016, 7, 1, 10, 0, 0));
}

TEST(Envelope, Rfc3164UsesLocalZone) {
  LocalZone zone("Europe/Berlin");
  EnvelopeParser parser(zone, 2016);
  parser.begin_input(std::nullopt);
  Envelope env;
  ASSERT_EQ(parser.parse("Jul  1 12:00:00 box postfix/smtpd[1]: m", env), EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.time, utc(2016, 7, 1, 10, 0, 0));  // CEST, +2
}

// ---------------------------------------------------------------------------
// Other programs and malformed lines

struct StatusCase {
  const char* what;
  const char* line;
  EnvelopeStatus want;
};

void PrintTo(const StatusCase& c, std::ostream* os) { *os << c.what; }

class EnvelopeStatusTest : public ::testing::TestWithParam<StatusCase> {};

TEST_P(EnvelopeStatusTest, Classifies) {
  const StatusCase& c = GetParam();
  Utc2016 utc2016;
  EnvelopeParser& parser = utc2016.parser;
  Envelope env;
  EXPECT_EQ(parser.parse(c.line, env), c.want)
      << c.what << ": got " << status_name(parser.parse(c.line, env)) << " for '" << c.line << "'";
}

INSTANTIATE_TEST_SUITE_P(
    OtherPrograms, EnvelopeStatusTest,
    ::testing::Values(
        StatusCase{"dovecot", "Dec 23 16:01:05 box dovecot: imap-login: Login: user=<a>",
                   EnvelopeStatus::kOtherProgram},
        StatusCase{"dovecot with pid", "Dec 23 16:01:05 box dovecot[123]: master: started",
                   EnvelopeStatus::kOtherProgram},
        StatusCase{"CRON",
                   "Dec 23 16:17:01 box CRON[4242]: (root) CMD (run-parts /etc/cron.hourly)",
                   EnvelopeStatus::kOtherProgram},
        StatusCase{"kernel", "Dec 23 16:01:05 box kernel: [12345.678901] eth0: link up",
                   EnvelopeStatus::kOtherProgram},
        StatusCase{"opendkim", "Dec 23 16:01:05 box opendkim[99]: 1FBCDAE88B: s=sel d=example.com",
                   EnvelopeStatus::kOtherProgram},
        StatusCase{"RFC 3339 other program",
                   "2026-11-28T23:45:17.123456+01:00 box sshd[1]: Accepted publickey",
                   EnvelopeStatus::kOtherProgram}));

INSTANTIATE_TEST_SUITE_P(
    Malformed, EnvelopeStatusTest,
    ::testing::Values(
        StatusCase{"empty", "", EnvelopeStatus::kMalformed},
        StatusCase{"short", "Dec 23 16:01", EnvelopeStatus::kMalformed},
        StatusCase{"stamp only", "Dec 23 16:01:05", EnvelopeStatus::kMalformed},
        StatusCase{"stamp and host only", "Dec 23 16:01:05 box", EnvelopeStatus::kMalformed},
        StatusCase{"bad month", "Foo 23 16:01:05 box postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"lower-case month", "dec 23 16:01:05 box postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"day 32", "Dec 32 16:01:05 box postfix/smtpd[1]: m", EnvelopeStatus::kMalformed},
        StatusCase{"day 00", "Dec 00 16:01:05 box postfix/smtpd[1]: m", EnvelopeStatus::kMalformed},
        StatusCase{"hour 24", "Dec 23 24:01:05 box postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"bad time separators", "Dec 23 16-01-05 box postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"empty pid", "Dec 23 16:01:05 box postfix/smtpd[]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"missing pid", "Dec 23 16:01:05 box postfix/smtpd: connect from a[192.0.2.1]",
                   EnvelopeStatus::kMalformed},
        StatusCase{"non-numeric pid", "Dec 23 16:01:05 box postfix/smtpd[12a]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"pid overflow", "Dec 23 16:01:05 box postfix/smtpd[4294967296]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"missing ']: '", "Dec 23 16:01:05 box postfix/smtpd[123] connect from a",
                   EnvelopeStatus::kMalformed},
        StatusCase{"missing ']: ' at end of line", "Dec 23 16:01:05 box postfix/smtpd[123]",
                   EnvelopeStatus::kMalformed},
        StatusCase{"empty service", "Dec 23 16:01:05 box postfix/[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"RFC 3339 bad month", "2026-13-28T23:45:17Z mx postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"RFC 3339 bad offset (hours only)",
                   "2026-11-28T23:45:17+01 mx postfix/smtpd[1]: m", EnvelopeStatus::kMalformed},
        StatusCase{"RFC 3339 empty fraction", "2026-11-28T23:45:17.Z mx postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"RFC 3339 truncated", "2026-11-28T23:45 mx postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"digits only", "12345", EnvelopeStatus::kMalformed},
        // Dates that do not exist, and times outside [1970, 9999]: not
        // normalised into another day, not stored where no query finds them.
        StatusCase{"Feb 30", "Feb 30 16:01:05 box postfix/smtpd[1]: m", EnvelopeStatus::kMalformed},
        StatusCase{"Apr 31", "Apr 31 16:01:05 box postfix/smtpd[1]: m", EnvelopeStatus::kMalformed},
        StatusCase{"RFC 3339 Feb 30", "2016-02-30T10:00:00Z mx postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"RFC 3339 Feb 29 of a common year",
                   "2025-02-29T10:00:00Z mx postfix/smtpd[1]: m", EnvelopeStatus::kMalformed},
        StatusCase{"RFC 3339 Sep 31", "2025-09-31T10:00:00+02:00 mx postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"RFC 3339 before 1970", "1969-12-31T23:59:59Z mx postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"RFC 3339 before 1970 by its offset",
                   "1970-01-01T00:30:00+01:00 mx postfix/smtpd[1]: m", EnvelopeStatus::kMalformed},
        StatusCase{"RFC 3339 year 0000", "0000-01-01T00:00:00Z mx postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"RFC 3339 after 9999 by its offset",
                   "9999-12-31T23:30:00-01:00 mx postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed}));

TEST(Envelope, TheEdgesOfTheAcceptedRangeParse) {
  Utc2016 utc2016;
  Envelope env;
  ASSERT_EQ(utc2016.parser.parse("1970-01-01T00:00:00Z mx postfix/smtpd[1]: m", env),
            EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.time, 0);
  ASSERT_EQ(utc2016.parser.parse("9999-12-31T23:59:59.999999Z mx postfix/smtpd[1]: m", env),
            EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.time, kLatestLogTime);
  ASSERT_EQ(utc2016.parser.parse("2016-02-29T12:00:00Z mx postfix/smtpd[1]: m", env),
            EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.time, utc(2016, 2, 29, 12, 0, 0));
}

TEST(Envelope, Feb29OfAYearlessLineNeedsALeapYear) {
  LocalZone zone("UTC");
  for (int year : {2015, 2016, 2100, 2000}) {
    const bool leap = year == 2016 || year == 2000;
    EnvelopeParser parser(zone, year);
    parser.begin_input(std::nullopt);
    Envelope env;
    EXPECT_EQ(parser.parse("Feb 29 10:00:00 box postfix/smtpd[1]: m", env),
              leap ? EnvelopeStatus::kPostfix : EnvelopeStatus::kMalformed)
        << year;
    // The line after a rejected one parses as before: nothing was cached.
    EXPECT_EQ(parser.parse("Mar  1 10:00:00 box postfix/smtpd[1]: m", env),
              EnvelopeStatus::kPostfix)
        << year;
    EXPECT_EQ(env.time, utc(year, 3, 1, 10, 0, 0)) << year;
  }
}

// ---------------------------------------------------------------------------
// Years across lines and inputs

TEST(Envelope, ForcedYearAdvancesAcrossInputsAtNewYear) {
  // pftls ingest --year 2024 mail.log.1 mail.log
  LocalZone zone("UTC");
  EnvelopeParser parser(zone, 2024);
  Envelope env;
  parser.begin_input(utc(2025, 1, 1, 0, 0, 0) / kMicrosPerSecond);
  ASSERT_EQ(parser.parse("Dec 31 23:59:59 box postfix/smtpd[1]: m", env), EnvelopeStatus::kPostfix);
  EXPECT_EQ(format_utc(env.time), "2024-12-31T23:59:59Z");
  parser.begin_input(utc(2025, 1, 1, 12, 0, 0) / kMicrosPerSecond);
  ASSERT_EQ(parser.parse("Jan  1 00:00:01 box postfix/smtpd[1]: m", env), EnvelopeStatus::kPostfix);
  EXPECT_EQ(format_utc(env.time), "2025-01-01T00:00:01Z");
  EXPECT_EQ(parser.current_year(), 2025);
}

TEST(Envelope, MtimeDatesYearlessLines) {
  LocalZone zone("UTC");
  EnvelopeParser parser(zone, std::nullopt);
  Envelope env;
  parser.begin_input(utc(2017, 1, 2, 10, 0, 0) / kMicrosPerSecond);
  ASSERT_EQ(parser.parse("Dec 31 23:59:59 box postfix/smtpd[1]: m", env), EnvelopeStatus::kPostfix);
  EXPECT_EQ(format_utc(env.time), "2016-12-31T23:59:59Z");
  ASSERT_EQ(parser.parse("Jan  1 00:00:01 box postfix/smtpd[1]: m", env), EnvelopeStatus::kPostfix);
  EXPECT_EQ(format_utc(env.time), "2017-01-01T00:00:01Z");
}

TEST(Envelope, SameStampInAnotherInputIsDatedByThatInput) {
  // Without --year each input is dated by its own mtime: the same yearless
  // stamp in two files can mean two different years.
  LocalZone zone("UTC");
  EnvelopeParser parser(zone, std::nullopt);
  Envelope env;
  parser.begin_input(utc(2017, 1, 2, 10, 0, 0) / kMicrosPerSecond);
  ASSERT_EQ(parser.parse("Dec 31 23:59:59 box postfix/smtpd[1]: m", env), EnvelopeStatus::kPostfix);
  EXPECT_EQ(format_utc(env.time), "2016-12-31T23:59:59Z");
  parser.begin_input(utc(2018, 1, 2, 10, 0, 0) / kMicrosPerSecond);
  ASSERT_EQ(parser.parse("Dec 31 23:59:59 box postfix/smtpd[1]: m", env), EnvelopeStatus::kPostfix);
  EXPECT_EQ(format_utc(env.time), "2017-12-31T23:59:59Z");
}

TEST(Envelope, RepeatedStampsAndStragglersAcrossNewYear) {
  Utc2016 utc2016;
  EnvelopeParser& parser = utc2016.parser;
  const char* lines[] = {
      "Dec 31 23:59:59 box postfix/smtpd[1]: a", "Dec 31 23:59:59 box postfix/smtpd[2]: b",
      "Jan  1 00:00:00 box postfix/smtpd[1]: c", "Jan  1 00:00:00 box postfix/smtpd[2]: d",
      "Dec 31 23:59:59 box postfix/smtpd[3]: e", "Jan  1 00:00:00 box postfix/smtpd[3]: f",
      "Jan  1 00:00:01 box postfix/smtpd[3]: g",
  };
  const char* want[] = {"2016-12-31T23:59:59Z", "2016-12-31T23:59:59Z", "2017-01-01T00:00:00Z",
                        "2017-01-01T00:00:00Z", "2016-12-31T23:59:59Z", "2017-01-01T00:00:00Z",
                        "2017-01-01T00:00:01Z"};
  for (std::size_t i = 0; i < std::size(lines); ++i) {
    Envelope env;
    ASSERT_EQ(parser.parse(lines[i], env), EnvelopeStatus::kPostfix) << lines[i];
    EXPECT_EQ(format_utc(env.time), want[i]) << lines[i];
  }
}

// ---------------------------------------------------------------------------
// The AMEX excerpt

TEST(Envelope, AmexSampleWithYear2016InBerlin) {
  std::ifstream in(std::string(PFTLS_SOURCE_DIR) + "/samples/amex/mail.log");
  ASSERT_TRUE(in) << "samples/amex/mail.log";
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_GE(lines.size(), 5u);

  LocalZone zone("Europe/Berlin");
  EnvelopeParser parser(zone, 2016);
  parser.begin_input(std::nullopt);
  std::vector<std::string> times;
  for (const auto& l : lines) {
    Envelope env;
    ASSERT_EQ(parser.parse(l, env), EnvelopeStatus::kPostfix) << l;
    EXPECT_EQ(env.host, "box");
    EXPECT_EQ(env.syslog_name, "postfix");
    times.push_back(format_utc(env.time));
  }
  // Dec 23 16:01:05 CET (+1) is 15:01:05Z; 16:29:17 CET is 15:29:17Z.
  EXPECT_EQ(times[0], "2016-12-23T15:01:05Z");
  EXPECT_EQ(times[1], "2016-12-23T15:01:05Z");
  EXPECT_EQ(times[2], "2016-12-23T15:29:16Z");
  EXPECT_EQ(times[3], "2016-12-23T15:29:17Z");

  Envelope first;
  ASSERT_EQ(parser.parse(lines[0], first), EnvelopeStatus::kPostfix);
  EXPECT_EQ(first.service, "smtpd");
  EXPECT_EQ(first.pid, 25349u);
  EXPECT_EQ(first.message, "SSL_accept error from extmta1-new.aexp.com[148.173.96.86]: -1");
  EXPECT_EQ(first.time, 1482505265 * kMicrosPerSecond);
}

}  // namespace
}  // namespace pftls
