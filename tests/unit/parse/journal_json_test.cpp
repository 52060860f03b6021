// Unit tests for journal_json: journalctl -o json entries, byte-array
// messages, identifiers, pids, cursors, and lines that are not journal JSON
// (truncated, mutated, garbage): never a crash, never an exception.
#include "parse/journal_json.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "../test_support.h"

namespace pftls {
namespace {

using namespace std::string_literals;

using test_support::status_name;

// A journalctl -o json entry with the fields in journalctl's usual order.
std::string entry(const std::string& ident, const std::string& message_json,
                  const std::string& extra = R"("SYSLOG_PID":"2101","_PID":"2101",)",
                  const std::string& cursor = "s=4c1d;i=2a;b=77;m=1f;t=5f;x=3e") {
  return R"({"__CURSOR":")" + cursor +
         R"(","__REALTIME_TIMESTAMP":"1772618402123456","__MONOTONIC_TIMESTAMP":"1234567",)"
         R"("_BOOT_ID":"0f3c2a9e8d7b4c5a9e8d7b4c5a9e8d7b","_TRANSPORT":"syslog","PRIORITY":"6",)"
         R"("SYSLOG_FACILITY":"2","SYSLOG_IDENTIFIER":")" +
         ident + R"(",)" + extra + R"("_UID":"100","_COMM":"smtpd","_HOSTNAME":"mx1",)" +
         R"("SYSLOG_TIMESTAMP":"Mar  4 10:00:02 ","MESSAGE":)" + message_json +
         R"(,"_SYSTEMD_UNIT":"postfix@-.service"})";
}

TEST(JournalJson, PostfixEntry) {
  JournalJsonParser parser;
  Envelope env;
  const std::string line =
      entry("postfix/smtpd", R"("connect from mta1.bank.example[192.0.2.10]")");
  ASSERT_EQ(parser.parse(line, env), EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.time, Micros{1772618402123456});
  EXPECT_EQ(format_utc(env.time), "2026-03-04T10:00:02Z");
  EXPECT_EQ(env.host, "mx1");
  EXPECT_EQ(env.syslog_name, "postfix");
  EXPECT_EQ(env.service, "smtpd");
  EXPECT_EQ(env.pid, 2101u);
  EXPECT_EQ(env.message, "connect from mta1.bank.example[192.0.2.10]");
  EXPECT_EQ(parser.last_cursor(), "s=4c1d;i=2a;b=77;m=1f;t=5f;x=3e");
}

TEST(JournalJson, SyslogNames) {
  JournalJsonParser parser;
  Envelope env;
  ASSERT_EQ(parser.parse(entry("postfix/submission/smtpd", R"("m")"), env),
            EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.syslog_name, "postfix/submission");
  EXPECT_EQ(env.service, "smtpd");
  ASSERT_EQ(parser.parse(entry("postfix-in/smtpd", R"("m")"), env), EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.syslog_name, "postfix-in");
  EXPECT_EQ(env.service, "smtpd");
  ASSERT_EQ(parser.parse(entry("postfix-out/smtp", R"("m")"), env), EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.syslog_name, "postfix-out");
  EXPECT_EQ(env.service, "smtp");
}

TEST(JournalJson, EscapesInMessageAreDecoded) {
  JournalJsonParser parser;
  Envelope env;
  ASSERT_EQ(parser.parse(entry("postfix/cleanup", R"("A: message-id=<\"q\"\\x\tz\u00e9\/>")"), env),
            EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.message, "A: message-id=<\"q\"\\x\tz\xc3\xa9/>");
}

TEST(JournalJson, ByteArrayMessage) {
  JournalJsonParser parser;
  Envelope env;
  // "bad \xff\xfe utf8 \xc3( and a NUL \0 end": not valid UTF-8.
  const std::string bytes = "bad \xff\xfe utf8 \xc3( and a NUL "s + '\0' + " end";
  std::string array = "[";
  for (char c : bytes) {
    if (array.size() > 1) array += ',';
    array += std::to_string(static_cast<unsigned char>(c));
  }
  array += "]";
  ASSERT_EQ(parser.parse(entry("postfix/smtpd", array), env), EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.message, bytes);
  EXPECT_EQ(env.message.size(), bytes.size());
  EXPECT_EQ(env.message[env.message.size() - 5], '\0');
  // Whitespace inside the array, an empty array.
  ASSERT_EQ(parser.parse(entry("postfix/smtpd", "[ 104 , 105 ]"), env), EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.message, "hi");
  ASSERT_EQ(parser.parse(entry("postfix/smtpd", "[]"), env), EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.message, "");
}

TEST(JournalJson, FieldsInAnyOrderAndPidChoices) {
  JournalJsonParser parser;
  Envelope env;
  // MESSAGE first, identifier last, no SYSLOG_PID: _PID is used.
  ASSERT_EQ(parser.parse(R"({"MESSAGE":"m","_PID":"77","__REALTIME_TIMESTAMP":"5","_HOSTNAME":"h",)"
                         R"("SYSLOG_IDENTIFIER":"postfix/qmgr"})",
                         env),
            EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.pid, 77u);
  EXPECT_EQ(env.time, 5);
  EXPECT_EQ(env.service, "qmgr");
  // SYSLOG_PID wins over _PID, whichever comes first.
  ASSERT_EQ(parser.parse(entry("postfix/smtpd", R"("m")", R"("_PID":"1","SYSLOG_PID":"2",)"), env),
            EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.pid, 2u);
  // Numbers instead of strings are accepted; blanks around tokens too.
  ASSERT_EQ(parser.parse(R"( { "SYSLOG_IDENTIFIER" : "postfix/smtpd" , "SYSLOG_PID" : 4294967295 ,)"
                         R"( "__REALTIME_TIMESTAMP" : 1772618402000000 , "_HOSTNAME" : "mx1" ,)"
                         R"( "MESSAGE" : "m" } )",
                         env),
            EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.pid, 4294967295u);
  EXPECT_EQ(env.time, Micros{1772618402000000});
  // CRLF line end.
  ASSERT_EQ(parser.parse(entry("postfix/smtpd", R"("m")") + "\r", env), EnvelopeStatus::kPostfix);
}

TEST(JournalJson, OtherPrograms) {
  JournalJsonParser parser;
  Envelope env;
  for (const char* ident : {"sshd", "kernel", "postfix", "postfixadmin", "systemd", "dovecot",
                            "Postfix/smtpd", "postfi/smtpd", ""}) {
    EXPECT_EQ(parser.parse(entry(ident, R"("m")"), env), EnvelopeStatus::kOtherProgram) << ident;
  }
  // No SYSLOG_IDENTIFIER at all (kernel audit records, stdout of services).
  EXPECT_EQ(parser.parse(R"({"__CURSOR":"c1","MESSAGE":"audit: x","_HOSTNAME":"h"})", env),
            EnvelopeStatus::kOtherProgram);
  EXPECT_EQ(parser.last_cursor(), "c1");
  // Another program's MESSAGE may be null (too large) or bytes: not our business.
  EXPECT_EQ(parser.parse(entry("sshd", "null"), env), EnvelopeStatus::kOtherProgram);
  EXPECT_EQ(parser.parse(entry("sshd", "[255,0,1]"), env), EnvelopeStatus::kOtherProgram);
  EXPECT_EQ(parser.parse(entry("sshd", R"(["a","b"])"), env), EnvelopeStatus::kOtherProgram);
  EXPECT_EQ(parser.parse(R"({"SYSLOG_IDENTIFIER":"cron","MESSAGE":"x"})", env),
            EnvelopeStatus::kOtherProgram);
  // Once identifier and cursor are known, the rest of the line is not read
  // (a damaged value there goes unnoticed)...
  EXPECT_EQ(
      parser.parse(R"({"__CURSOR":"c2","SYSLOG_IDENTIFIER":"sshd","MESSAGE":nul,"X":[}})", env),
      EnvelopeStatus::kOtherProgram);
  EXPECT_EQ(parser.last_cursor(), "c2");
  // ... but an object cut short is caught before any field is read.
  EXPECT_EQ(parser.parse(R"({"__CURSOR":"c3","SYSLOG_IDENTIFIER":"sshd","MESSAGE":)", env),
            EnvelopeStatus::kMalformed);
  EXPECT_EQ(parser.last_cursor(), "c2");
}

TEST(JournalJson, CursorFollowsTheLastEntryThatHadOne) {
  JournalJsonParser parser;
  Envelope env;
  EXPECT_EQ(parser.last_cursor(), "");
  ASSERT_EQ(parser.parse(entry("postfix/smtpd", R"("m")", "\"_PID\":\"1\",", "s=a;i=1"), env),
            EnvelopeStatus::kPostfix);
  EXPECT_EQ(parser.last_cursor(), "s=a;i=1");
  ASSERT_EQ(parser.parse(entry("sshd", R"("m")", "", "s=a;i=2"), env),
            EnvelopeStatus::kOtherProgram);
  EXPECT_EQ(parser.last_cursor(), "s=a;i=2");
  ASSERT_EQ(parser.parse("garbage", env), EnvelopeStatus::kMalformed);
  EXPECT_EQ(parser.last_cursor(), "s=a;i=2");
  ASSERT_EQ(parser.parse(R"({"SYSLOG_IDENTIFIER":"cron"})", env), EnvelopeStatus::kOtherProgram);
  EXPECT_EQ(parser.last_cursor(), "s=a;i=2");
}

TEST(JournalJson, LongLinesGrowTheBuffer) {
  JournalJsonParser parser;
  Envelope env;
  const std::string big(60000, 'x');
  ASSERT_EQ(parser.parse(entry("postfix/smtpd", "\"" + big + "\""), env), EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.message, big);
  ASSERT_EQ(parser.parse(entry("postfix/smtpd", R"("short")"), env), EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.message, "short");
}

struct BadCase {
  const char* what;
  std::string line;
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.what; }

class JournalJsonMalformedTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(JournalJsonMalformedTest, IsMalformed) {
  JournalJsonParser parser;
  Envelope env;
  const EnvelopeStatus st = parser.parse(GetParam().line, env);
  EXPECT_EQ(st, EnvelopeStatus::kMalformed) << GetParam().what << ": " << status_name(st);
}

const std::string kPid = R"("SYSLOG_PID":"2101",)";

INSTANTIATE_TEST_SUITE_P(
    Lines, JournalJsonMalformedTest,
    ::testing::Values(
        BadCase{"empty", ""}, BadCase{"blank", "   "}, BadCase{"open brace", "{"},
        BadCase{"close brace", "}"}, BadCase{"array", "[1,2]"}, BadCase{"null", "null"},
        BadCase{"number", "42"}, BadCase{"string", R"("postfix/smtpd")"},
        BadCase{"syslog text",
                "Mar  4 10:00:01 mx1 postfix/smtpd[2101]: connect from a[192.0.2.1]"},
        BadCase{"unclosed object", R"({"SYSLOG_IDENTIFIER":"postfix/smtpd","MESSAGE":"m")"},
        BadCase{"unclosed string", R"({"SYSLOG_IDENTIFIER":"postfix/smtpd","MESSAGE":"m)"},
        BadCase{"missing colon", R"({"SYSLOG_IDENTIFIER" "postfix/smtpd"})"},
        BadCase{"trailing garbage", entry("postfix/smtpd", R"("m")") + " x"},
        BadCase{"two objects", entry("postfix/smtpd", R"("m")") + entry("postfix/smtpd", R"("m")")},
        BadCase{"invalid UTF-8 in a string", entry("postfix/smtpd", "\"bad \xff\"")},
        BadCase{"raw control character", entry("postfix/smtpd", "\"a\nb\"")},
        BadCase{"MESSAGE null (too large)", entry("postfix/smtpd", "null")},
        BadCase{"MESSAGE number", entry("postfix/smtpd", "12")},
        BadCase{"MESSAGE array of strings", entry("postfix/smtpd", R"(["a","b"])")},
        BadCase{"byte above 255", entry("postfix/smtpd", "[104,256]")},
        BadCase{"negative byte", entry("postfix/smtpd", "[104,-1]")},
        BadCase{"fractional byte", entry("postfix/smtpd", "[104,1.5]")},
        BadCase{"unclosed byte array",
                R"({"SYSLOG_IDENTIFIER":"postfix/smtpd","MESSAGE":[104,105)"},
        BadCase{"empty service", entry("postfix/", R"("m")")},
        BadCase{
            "no MESSAGE",
            R"({"SYSLOG_IDENTIFIER":"postfix/smtpd","_PID":"1","_HOSTNAME":"h","__REALTIME_TIMESTAMP":"1"})"},
        BadCase{
            "no host",
            R"({"SYSLOG_IDENTIFIER":"postfix/smtpd","_PID":"1","MESSAGE":"m","__REALTIME_TIMESTAMP":"1"})"},
        BadCase{
            "empty host",
            R"({"SYSLOG_IDENTIFIER":"postfix/smtpd","_PID":"1","_HOSTNAME":"","MESSAGE":"m","__REALTIME_TIMESTAMP":"1"})"},
        BadCase{
            "no time",
            R"({"SYSLOG_IDENTIFIER":"postfix/smtpd","_PID":"1","_HOSTNAME":"h","MESSAGE":"m"})"},
        BadCase{
            "no pid",
            R"({"SYSLOG_IDENTIFIER":"postfix/smtpd","_HOSTNAME":"h","MESSAGE":"m","__REALTIME_TIMESTAMP":"1"})"},
        BadCase{
            "time not digits",
            R"({"SYSLOG_IDENTIFIER":"postfix/smtpd","_PID":"1","_HOSTNAME":"h","MESSAGE":"m","__REALTIME_TIMESTAMP":"17x"})"},
        BadCase{
            "time negative",
            R"({"SYSLOG_IDENTIFIER":"postfix/smtpd","_PID":"1","_HOSTNAME":"h","MESSAGE":"m","__REALTIME_TIMESTAMP":-1})"},
        BadCase{
            "time over int64",
            R"({"SYSLOG_IDENTIFIER":"postfix/smtpd","_PID":"1","_HOSTNAME":"h","MESSAGE":"m","__REALTIME_TIMESTAMP":"9223372036854775808"})"},
        BadCase{
            "time near INT64_MAX (would overflow time + window)",
            R"({"SYSLOG_IDENTIFIER":"postfix/smtpd","_PID":"1","_HOSTNAME":"h","MESSAGE":"m","__REALTIME_TIMESTAMP":"9223372036854775000"})"},
        BadCase{
            "time after 9999",
            R"({"SYSLOG_IDENTIFIER":"postfix/smtpd","_PID":"1","_HOSTNAME":"h","MESSAGE":"m","__REALTIME_TIMESTAMP":"253402300800000000"})"},
        BadCase{"pid over 32 bits",
                entry("postfix/smtpd", R"("m")", R"("SYSLOG_PID":"4294967296",)")},
        BadCase{"pid empty", entry("postfix/smtpd", R"("m")", R"("SYSLOG_PID":"",)")},
        BadCase{"pid escaped", entry("postfix/smtpd", R"("m")", R"("SYSLOG_PID":"\u0031",)")},
        BadCase{"identifier not a string",
                R"({"SYSLOG_IDENTIFIER":["postfix/smtpd"],"_PID":"1",)"
                R"("_HOSTNAME":"h","MESSAGE":"m","__REALTIME_TIMESTAMP":"1"})"},
        BadCase{"host not a string",
                R"({"SYSLOG_IDENTIFIER":"postfix/smtpd","_PID":"1","_HOSTNAME":7,)"
                R"("MESSAGE":"m","__REALTIME_TIMESTAMP":"1"})"}));

// Every prefix of a valid Postfix entry is malformed (only the whole line is
// an entry); every prefix of another program's entry is malformed or, once
// its identifier and cursor are read, another program. No crash either way.
TEST(JournalJsonFuzz, TruncatedLines) {
  JournalJsonParser parser;
  Envelope env;
  const std::string good = entry("postfix/smtpd", "[104,255,0,105]");
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_EQ(parser.parse(std::string_view(good).substr(0, n), env), EnvelopeStatus::kMalformed)
        << "prefix of " << n << " bytes";
  }
  ASSERT_EQ(parser.parse(good, env), EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.message, "h\xff"s + '\0' + "i");
  const std::string other = entry("sshd", R"("Accepted publickey")");
  for (std::size_t n = 0; n < other.size(); ++n) {
    const EnvelopeStatus st = parser.parse(std::string_view(other).substr(0, n), env);
    EXPECT_NE(st, EnvelopeStatus::kPostfix) << n;
  }
}

// Random mutations of valid entries (fixed seed): bytes replaced, inserted,
// deleted, structural characters sprinkled. The parser must answer with one
// of its three statuses and, for kPostfix, a well-formed Envelope.
TEST(JournalJsonFuzz, MutatedLines) {
  JournalJsonParser parser;
  std::mt19937 rng(20261128);
  const std::vector<std::string> seeds = {
      entry("postfix/smtpd", R"("connect from a.example[192.0.2.1]")"),
      entry("postfix/submission/smtpd", "[83,83,76,255,0]"),
      entry("sshd", R"("Accepted publickey for root")"),
      R"({"MESSAGE":"m","_PID":"77","__REALTIME_TIMESTAMP":"5","_HOSTNAME":"h","SYSLOG_IDENTIFIER":"postfix/qmgr"})",
  };
  const char specials[] = "{}[]\",:\\0123456789 \x00\xff\xc3tfnu";
  std::size_t counts[3] = {};
  for (int round = 0; round < 20000; ++round) {
    std::string line = seeds[static_cast<std::size_t>(round) % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !line.empty(); ++e) {
      const std::size_t pos = rng() % line.size();
      const char c =
          (rng() % 2) ? specials[rng() % (sizeof specials - 1)] : static_cast<char>(rng() & 0xff);
      switch (rng() % 3) {
        case 0:
          line[pos] = c;
          break;
        case 1:
          line.insert(line.begin() + static_cast<std::ptrdiff_t>(pos), c);
          break;
        default:
          line.erase(pos, 1 + rng() % 8);
          break;
      }
    }
    Envelope env;
    const EnvelopeStatus st = parser.parse(line, env);
    ++counts[static_cast<int>(st)];
    if (st == EnvelopeStatus::kPostfix) {
      EXPECT_FALSE(env.host.empty()) << line;
      EXPECT_FALSE(env.service.empty()) << line;
      EXPECT_EQ(env.syslog_name.substr(0, 7), "postfix") << line;
    }
  }
  // The mutations hit all three outcomes.
  EXPECT_GT(counts[0], 0u);
  EXPECT_GT(counts[1], 0u);
  EXPECT_GT(counts[2], 0u);
}

TEST(JournalJsonFuzz, RandomBytes) {
  JournalJsonParser parser;
  std::mt19937 rng(7);
  Envelope env;
  for (int round = 0; round < 5000; ++round) {
    std::string line(rng() % 300, '\0');
    for (auto& c : line) c = static_cast<char>(rng() & 0xff);
    if (!line.empty() && rng() % 2) line[0] = '{';
    EXPECT_NE(parser.parse(line, env), EnvelopeStatus::kPostfix);
  }
}

}  // namespace
}  // namespace pftls
