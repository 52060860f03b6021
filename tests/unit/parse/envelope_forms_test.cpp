// Unit tests for the envelope forms of issue 4: one Postfix line written in
// every form an operator has (RFC 3164, maillog_file, journalctl -o short,
// short-precise, short-iso, short-iso-precise, rsyslog RFC 3339, journalctl
// -o json) gives the same Envelope with the same UTC time.
//
// The instant 2026-11-28T23:45:17.123456Z is 1795909517 s (GNU date:
// `date -u -d 2026-11-28T23:45:17Z +%s`); Europe/Berlin is +01:00 then,
// America/New_York -05:00.
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "input/input_format.h"
#include "parse/journal_json.h"
#include "parse/syslog_envelope.h"

namespace pftls {
namespace {

constexpr Micros kWhole = Micros{1795909517} * kMicrosPerSecond;
constexpr Micros kPrecise = kWhole + 123456;
constexpr const char* kMessage =
    "disconnect from x.example[192.0.2.9] ehlo=1 starttls=0/1 commands=1/2";

struct FormCase {
  const char* what;
  const char* zone;  // --tz: must not matter for forms with an offset
  std::string line;
  Micros time;
};

void PrintTo(const FormCase& c, std::ostream* os) { *os << c.what; }

std::string syslog_line(const std::string& stamp) {
  return stamp + " mx1 postfix/smtpd[4477]: " + kMessage;
}

std::string json_line() {
  return std::string(
             R"({"__CURSOR":"s=0f;i=1a2b;b=9c;m=1;t=5;x=7","__REALTIME_TIMESTAMP":"1795909517123456",)"
             R"("__MONOTONIC_TIMESTAMP":"99","_TRANSPORT":"syslog","PRIORITY":"6",)"
             R"("SYSLOG_IDENTIFIER":"postfix/smtpd","SYSLOG_PID":"4477","_HOSTNAME":"mx1","MESSAGE":")") +
         kMessage + R"(","_PID":"4477"})";
}

class EnvelopeFormTest : public ::testing::TestWithParam<FormCase> {};

TEST_P(EnvelopeFormTest, SameEnvelope) {
  const FormCase& c = GetParam();
  Envelope env;
  EnvelopeStatus st;
  LocalZone zone(c.zone);
  EnvelopeParser syslog(zone, 2026);
  JournalJsonParser journal;
  syslog.begin_input(std::nullopt);
  if (detect_format(c.line) == InputFormat::kJournalJson) {
    st = journal.parse(c.line, env);
  } else {
    st = syslog.parse(c.line, env);
  }
  ASSERT_EQ(st, EnvelopeStatus::kPostfix) << c.line;
  EXPECT_EQ(env.time, c.time) << format_utc(env.time) << " +" << env.time % kMicrosPerSecond;
  EXPECT_EQ(env.host, "mx1");
  EXPECT_EQ(env.syslog_name, "postfix");
  EXPECT_EQ(env.service, "smtpd");
  EXPECT_EQ(env.pid, 4477u);
  EXPECT_EQ(env.message, kMessage);
}

INSTANTIATE_TEST_SUITE_P(
    Forms, EnvelopeFormTest,
    ::testing::Values(
        FormCase{"RFC 3164 in UTC", "UTC", syslog_line("Nov 28 23:45:17"), kWhole},
        FormCase{"RFC 3164 in Berlin", "Europe/Berlin", syslog_line("Nov 29 00:45:17"), kWhole},
        FormCase{"journalctl -o short (New York)", "America/New_York",
                 syslog_line("Nov 28 18:45:17"), kWhole},
        FormCase{"short-precise in UTC", "UTC", syslog_line("Nov 28 23:45:17.123456"), kPrecise},
        FormCase{"short-precise in Berlin", "Europe/Berlin", syslog_line("Nov 29 00:45:17.123456"),
                 kPrecise},
        FormCase{"short-precise, 3 digits", "UTC", syslog_line("Nov 28 23:45:17.123"),
                 kWhole + 123000},
        FormCase{"short-precise, 9 digits (cut to micros)", "UTC",
                 syslog_line("Nov 28 23:45:17.123456789"), kPrecise},
        FormCase{"short-iso +0100", "America/New_York", syslog_line("2026-11-29T00:45:17+0100"),
                 kWhole},
        FormCase{"short-iso -0500", "Europe/Berlin", syslog_line("2026-11-28T18:45:17-0500"),
                 kWhole},
        FormCase{"short-iso +0000", "Europe/Berlin", syslog_line("2026-11-28T23:45:17+0000"),
                 kWhole},
        FormCase{"short-iso +0530", "UTC", syslog_line("2026-11-29T05:15:17+0530"), kWhole},
        FormCase{"short-iso-precise +0100", "UTC", syslog_line("2026-11-29T00:45:17.123456+0100"),
                 kPrecise},
        FormCase{"short-iso-precise -0500", "UTC", syslog_line("2026-11-28T18:45:17.123456-0500"),
                 kPrecise},
        FormCase{"RFC 3339 +01:00", "America/New_York",
                 syslog_line("2026-11-29T00:45:17.123456+01:00"), kPrecise},
        FormCase{"RFC 3339 -05:00", "Europe/Berlin",
                 syslog_line("2026-11-28T18:45:17.123456-05:00"), kPrecise},
        FormCase{"RFC 3339 Z", "Europe/Berlin", syslog_line("2026-11-28T23:45:17.123456Z"),
                 kPrecise},
        FormCase{"RFC 3339 whole seconds", "Europe/Berlin",
                 syslog_line("2026-11-29T00:45:17+01:00"), kWhole},
        FormCase{"RFC 3339 without offset (--tz)", "Europe/Berlin",
                 syslog_line("2026-11-29T00:45:17.123456"), kPrecise},
        FormCase{"journalctl -o json", "America/New_York", json_line(), kPrecise}));

TEST(EnvelopeForms, ZeroAndSpacePaddedDaysAgree) {
  // syslog pads the day with a space, maillog_file and journalctl with a zero.
  LocalZone zone("UTC");
  EnvelopeParser parser(zone, 2026);
  parser.begin_input(std::nullopt);
  Envelope a, b, c;
  ASSERT_EQ(parser.parse("Mar  4 10:00:01 mx1 postfix/smtpd[2101]: m", a),
            EnvelopeStatus::kPostfix);
  ASSERT_EQ(parser.parse("Mar 04 10:00:01 mx1 postfix/smtpd[2101]: m", b),
            EnvelopeStatus::kPostfix);
  ASSERT_EQ(parser.parse("Mar 04 10:00:01.250000 mx1 postfix/smtpd[2101]: m", c),
            EnvelopeStatus::kPostfix);
  EXPECT_EQ(format_utc(a.time), "2026-03-04T10:00:01Z");
  EXPECT_EQ(a.time, b.time);
  EXPECT_EQ(c.time, a.time + 250000);
}

TEST(EnvelopeForms, PreciseStampsInOneSecondKeepTheirFractions) {
  // The stamp cache holds the whole second; each line keeps its own fraction.
  LocalZone zone("Europe/Berlin");
  EnvelopeParser parser(zone, 2026);
  parser.begin_input(std::nullopt);
  const char* lines[] = {
      "Nov 29 00:45:17.000001 mx1 postfix/smtpd[1]: a",
      "Nov 29 00:45:17.500000 mx1 postfix/smtpd[1]: b",
      "Nov 29 00:45:17 mx1 postfix/smtpd[1]: c",
      "Nov 29 00:45:17.999999 mx1 postfix/smtpd[1]: d",
      "Nov 29 00:45:18.000000 mx1 postfix/smtpd[1]: e",
  };
  const Micros want[] = {kWhole + 1, kWhole + 500000, kWhole, kWhole + 999999, kWhole + 1000000};
  for (std::size_t i = 0; i < std::size(lines); ++i) {
    Envelope env;
    ASSERT_EQ(parser.parse(lines[i], env), EnvelopeStatus::kPostfix) << lines[i];
    EXPECT_EQ(env.time, want[i]) << lines[i];
  }
}

TEST(EnvelopeForms, Rfc3339FractionsInOneSecondKeepTheirFractions) {
  // The cache holds the stamp to the second plus its offset.
  LocalZone zone("Europe/Berlin");
  EnvelopeParser parser(zone, std::nullopt);
  parser.begin_input(std::nullopt);
  const std::string stamps[] = {
      "2026-11-29T00:45:17.000001+01:00", "2026-11-29T00:45:17.5+01:00",
      "2026-11-29T00:45:17+01:00",        "2026-11-29T00:45:17.999999+0100",
      "2026-11-28T23:45:17.25Z",          "2026-11-29T00:45:17.123456789+01:00",
      "2026-11-29T00:45:17.000002",       "2026-11-29T00:45:17.000003+02:00",
      "2026-11-29T00:45:17.000004+01:00",
  };
  const Micros want[] = {
      kWhole + 1,      kWhole + 500000, kWhole,     kWhole + 999999,
      kWhole + 250000, kPrecise,        kWhole + 2, kWhole - 3600 * kMicrosPerSecond + 3,
      kWhole + 4};
  for (std::size_t i = 0; i < std::size(stamps); ++i) {
    Envelope env;
    ASSERT_EQ(parser.parse(syslog_line(stamps[i]), env), EnvelopeStatus::kPostfix) << stamps[i];
    EXPECT_EQ(env.time, want[i]) << stamps[i];
  }
}

TEST(EnvelopeForms, ShortIsoStampsShareTheCacheByWholeStamp) {
  LocalZone zone("UTC");
  EnvelopeParser parser(zone, std::nullopt);
  parser.begin_input(std::nullopt);
  Envelope env;
  ASSERT_EQ(parser.parse(syslog_line("2026-11-29T00:45:17+0100"), env), EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.time, kWhole);
  // Same wall clock, other offset: another instant.
  ASSERT_EQ(parser.parse(syslog_line("2026-11-29T00:45:17+0200"), env), EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.time, kWhole - 3600 * kMicrosPerSecond);
  ASSERT_EQ(parser.parse(syslog_line("2026-11-29T00:45:17+0100"), env), EnvelopeStatus::kPostfix);
  EXPECT_EQ(env.time, kWhole);
}

TEST(EnvelopeForms, YearlessPreciseStampsAdvanceTheYear) {
  LocalZone zone("UTC");
  EnvelopeParser parser(zone, 2025);
  parser.begin_input(std::nullopt);
  Envelope env;
  ASSERT_EQ(parser.parse("Dec 31 23:59:59.999999 mx1 postfix/smtpd[1]: m", env),
            EnvelopeStatus::kPostfix);
  EXPECT_EQ(format_utc(env.time), "2025-12-31T23:59:59Z");
  ASSERT_EQ(parser.parse("Jan 01 00:00:00.000001 mx1 postfix/smtpd[1]: m", env),
            EnvelopeStatus::kPostfix);
  EXPECT_EQ(format_utc(env.time), "2026-01-01T00:00:00Z");
  EXPECT_EQ(env.time % kMicrosPerSecond, 1);
}

struct StatusCase {
  const char* what;
  const char* line;
  EnvelopeStatus want;
};

void PrintTo(const StatusCase& c, std::ostream* os) { *os << c.what; }

class EnvelopeFormStatusTest : public ::testing::TestWithParam<StatusCase> {};

TEST_P(EnvelopeFormStatusTest, Classifies) {
  const StatusCase& c = GetParam();
  LocalZone zone("UTC");
  EnvelopeParser parser(zone, 2026);
  parser.begin_input(std::nullopt);
  Envelope env;
  EXPECT_EQ(parser.parse(c.line, env), c.want) << c.what << ": '" << c.line << "'";
}

INSTANTIATE_TEST_SUITE_P(
    Forms, EnvelopeFormStatusTest,
    ::testing::Values(
        StatusCase{"journalctl boot marker", "-- Boot 0f3c2a9e8d7b4c5a9e8d7b4c5a9e8d7b --",
                   EnvelopeStatus::kOtherProgram},
        StatusCase{"journalctl boot marker, CRLF", "-- Boot 0f3c2a9e8d7b4c5a9e8d7b4c5a9e8d7b --\r",
                   EnvelopeStatus::kOtherProgram},
        StatusCase{"journalctl header",
                   "-- Logs begin at Sat 2026-11-28 00:00:01 CET, end at Sun 2026-11-29 "
                   "01:00:00 CET. --",
                   EnvelopeStatus::kOtherProgram},
        StatusCase{"journalctl no entries", "-- No entries --", EnvelopeStatus::kOtherProgram},
        StatusCase{"short-precise other program", "Nov 28 23:45:17.123456 mx1 sshd[12]: Accepted",
                   EnvelopeStatus::kOtherProgram},
        StatusCase{"short-iso other program", "2026-11-29T00:45:17+0100 mx1 systemd[1]: Started",
                   EnvelopeStatus::kOtherProgram},
        StatusCase{"dashes without the closing marker", "-- Boot 0f3c2a9e8d7b4c5a9e8d7b4c",
                   EnvelopeStatus::kMalformed},
        StatusCase{"short-precise, empty fraction", "Nov 28 23:45:17. mx1 postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"short-precise, letter in fraction",
                   "Nov 28 23:45:17.12x mx1 postfix/smtpd[1]: m", EnvelopeStatus::kMalformed},
        StatusCase{"short-precise, stamp only", "Nov 28 23:45:17.123456",
                   EnvelopeStatus::kMalformed},
        StatusCase{"short-precise, bad month", "Nox 28 23:45:17.123456 mx1 postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"short-precise, bad seconds", "Nov 28 23:45:61.123456 mx1 postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"three-digit offset", "2026-11-29T00:45:17+010 mx1 postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"five-digit offset", "2026-11-29T00:45:17+01000 mx1 postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"offset hour 24", "2026-11-29T00:45:17+2400 mx1 postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"offset minute 60", "2026-11-29T00:45:17+0160 mx1 postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"offset with letters", "2026-11-29T00:45:17+01a0 mx1 postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"colon offset, bad minutes", "2026-11-29T00:45:17+01:6x mx1 postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"offset without sign", "2026-11-29T00:45:170100 mx1 postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"RFC 3339 empty fraction, other program", "2026-11-28T23:45:17.Z mx sshd[1]: m",
                   EnvelopeStatus::kOtherProgram},
        StatusCase{"RFC 3339 fraction then garbage",
                   "2026-11-28T23:45:17.12x+01:00 mx postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"RFC 3339 fraction, no offset sign",
                   "2026-11-28T23:45:17.120100 mx postfix/smtpd[1]: m", EnvelopeStatus::kPostfix},
        StatusCase{"RFC 3339 space instead of T (the time is read as the host, and a line "
                   "naming a Postfix program is never another program's)",
                   "2026-11-28 23:45:17Z mx postfix/smtpd[1]: m", EnvelopeStatus::kMalformed},
        StatusCase{"RFC 3339 short stamp", "2026-11-28 mx postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"RFC 3339 long garbage stamp",
                   "2026-11-28T23:45:17.123456+01:00000000000000000000000000000000000 mx "
                   "postfix/smtpd[1]: m",
                   EnvelopeStatus::kMalformed},
        StatusCase{"JSON line given to the syslog envelope", "{\"MESSAGE\":\"m\"}",
                   EnvelopeStatus::kMalformed}));

TEST(InputFormat, DetectsByTheFirstByte) {
  EXPECT_EQ(detect_format("{\"__CURSOR\":\"s=1\"}"), InputFormat::kJournalJson);
  EXPECT_EQ(detect_format("  \t{\"MESSAGE\":\"m\"}"), InputFormat::kJournalJson);
  EXPECT_EQ(detect_format("Nov 28 23:45:17 mx1 postfix/smtpd[1]: m"), InputFormat::kSyslog);
  EXPECT_EQ(detect_format("2026-11-29T00:45:17+0100 mx1 postfix/smtpd[1]: m"),
            InputFormat::kSyslog);
  EXPECT_EQ(detect_format("-- Boot 0f3c --"), InputFormat::kSyslog);
  EXPECT_EQ(detect_format("garbage"), InputFormat::kSyslog);
  EXPECT_EQ(detect_format(""), InputFormat::kSyslog);
}

TEST(InputFormat, FromName) {
  InputFormat f = InputFormat::kSyslog;
  ASSERT_TRUE(input_format_from_name("auto", f));
  EXPECT_EQ(f, InputFormat::kAuto);
  ASSERT_TRUE(input_format_from_name("syslog", f));
  EXPECT_EQ(f, InputFormat::kSyslog);
  ASSERT_TRUE(input_format_from_name("journal", f));
  EXPECT_EQ(f, InputFormat::kJournalJson);
  ASSERT_TRUE(input_format_from_name("json", f));
  EXPECT_EQ(f, InputFormat::kJournalJson);
  f = InputFormat::kSyslog;
  EXPECT_FALSE(input_format_from_name("", f));
  EXPECT_FALSE(input_format_from_name("JSON", f));
  EXPECT_FALSE(input_format_from_name("journald", f));
  EXPECT_EQ(f, InputFormat::kSyslog);  // unchanged on failure
}

// ---------------------------------------------------------------------------
// samples/forms: every rewritten form gives the envelopes of the original.

struct Framed {
  Micros time;
  std::string host, syslog_name, service, message;
  std::uint32_t pid;
  bool operator==(const Framed&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Framed& f) {
  return os << format_utc(f.time) << "+" << f.time % kMicrosPerSecond << "us " << f.host << " "
            << f.syslog_name << "/" << f.service << "[" << f.pid << "]: " << f.message;
}

// Postfix envelopes of a sample file, read as ingest would (auto format).
std::vector<Framed> read_form(const std::string& name, const char* zone_name, std::size_t* others) {
  std::ifstream in(std::string(PFTLS_SOURCE_DIR) + "/samples/forms/" + name);
  EXPECT_TRUE(in) << name;
  LocalZone zone(zone_name);
  EnvelopeParser syslog(zone, 2026);
  JournalJsonParser journal;
  syslog.begin_input(std::nullopt);
  std::optional<InputFormat> format;
  std::vector<Framed> out;
  std::size_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (!format && !line.empty()) format = detect_format(line);
    Envelope env;
    const EnvelopeStatus st =
        format == InputFormat::kJournalJson ? journal.parse(line, env) : syslog.parse(line, env);
    if (st == EnvelopeStatus::kOtherProgram) {
      if (others) ++*others;
      continue;
    }
    EXPECT_EQ(st, EnvelopeStatus::kPostfix) << name << ":" << number;
    if (st != EnvelopeStatus::kPostfix) continue;
    out.push_back(Framed{env.time, std::string(env.host), std::string(env.syslog_name),
                         std::string(env.service), std::string(env.message), env.pid});
  }
  return out;
}

std::vector<Framed> whole_seconds(std::vector<Framed> v) {
  for (auto& f : v) f.time -= f.time % kMicrosPerSecond;
  return v;
}

TEST(SampleForms, EveryFormFramesTheSameLines) {
  const std::vector<Framed> original = read_form("rfc3164.log", "UTC", nullptr);
  ASSERT_EQ(original.size(), 47u);
  struct {
    const char* file;
    const char* zone;
    bool fractions;  // stamps carry fractions: compare whole seconds
  } forms[] = {
      {"maillog_file.log", "UTC", false},
      {"rfc3339.log", "America/New_York", true},
      {"short-iso.log", "Asia/Tokyo", false},
      {"short-precise.log", "UTC", true},
      {"short-iso-precise.log", "Europe/Berlin", true},
      {"json.log", "Europe/Berlin", true},
  };
  for (const auto& form : forms) {
    std::size_t others = 0;
    std::vector<Framed> got = read_form(form.file, form.zone, &others);
    if (form.fractions) got = whole_seconds(got);
    EXPECT_EQ(got, original) << form.file;
    if (std::string(form.file) == "json.log") {
      EXPECT_GE(others, 2u) << "non-Postfix entries";
    }
  }
}

TEST(SampleForms, CustomSyslogNameAndTwoHosts) {
  const std::vector<Framed> original = read_form("rfc3164.log", "UTC", nullptr);
  std::vector<Framed> renamed = read_form("syslog-name.log", "UTC", nullptr);
  ASSERT_EQ(renamed.size(), original.size());
  for (std::size_t i = 0; i < renamed.size(); ++i) {
    EXPECT_EQ(renamed[i].syslog_name, "postfix-in") << i;
    renamed[i].syslog_name = original[i].syslog_name;
    EXPECT_EQ(renamed[i], original[i]) << i;
  }
  const std::vector<Framed> two = read_form("two-hosts.log", "UTC", nullptr);
  ASSERT_EQ(two.size(), 2 * original.size());
  for (std::size_t i = 0; i < original.size(); ++i) {
    Framed mx2 = original[i];
    mx2.host = "mx2";
    EXPECT_EQ(two[2 * i], original[i]) << i;
    EXPECT_EQ(two[2 * i + 1], mx2) << i;
  }
}

}  // namespace
}  // namespace pftls
