// Unit tests for the forms in which containers hand a Postfix log to an
// admin (issue 14): container_frame (compose prefixes, --timestamps stamps,
// CRI files, Docker's json-file entries), the per-input detection of
// input_format.h, and the EnvelopeParser's tolerance (unpadded day, runs of
// spaces, no host, a severity word for a host, no stamp inside a frame),
// and that a line naming a Postfix program is never "another program".
//
// Real lines carry their public source beside them. Expected instants were
// checked with GNU date (`date -u -d ... +%s`).
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "../test_support.h"
#include "input/input_format.h"
#include "parse/container_frame.h"
#include "parse/postfix_program.h"
#include "parse/syslog_envelope.h"
#include "parse/syslog_envelope_internal.h"

namespace pftls {
namespace {

using test_support::status_name;

Micros utc(int y, unsigned mo, unsigned d, int h, int mi, int s, std::int64_t micros = 0) {
  return (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * kMicrosPerSecond + micros;
}

struct Parsed {
  EnvelopeStatus status;
  Envelope env;
  std::string host, service, message;
};

// One line through the frame of `kind` (none: a plain line) and the envelope
// (--tz UTC, --year 2023).
class Reader {
 public:
  explicit Reader(std::optional<FrameKind> kind) {
    parser_.begin_input(std::nullopt);
    if (kind) frame_.emplace(*kind);
  }
  // nullopt while the frame holds a part of a split line.
  std::optional<Parsed> read(std::string_view line) {
    std::string_view text = line;
    if (frame_) {
      FramedLine f;
      switch (frame_->unwrap(line, f)) {
        case ContainerFrame::kPartial:
          return std::nullopt;
        case ContainerFrame::kBad:
          return Parsed{EnvelopeStatus::kMalformed, {}, {}, {}, {}};
        case ContainerFrame::kNotFramed:
          parser_.set_frame(std::nullopt, {});
          break;
        case ContainerFrame::kLine:
          text = f.text;
          parser_.set_frame(f.time, f.service);
          break;
      }
    }
    Parsed p;
    p.status = parser_.parse(text, p.env);
    if (p.status == EnvelopeStatus::kPostfix) {
      p.host.assign(p.env.host);
      p.service.assign(p.env.service);
      p.message.assign(p.env.message);
    }
    return p;
  }

 private:
  LocalZone zone_{"UTC"};
  EnvelopeParser parser_{zone_, 2023};
  std::optional<ContainerFrame> frame_;
};

void expect_postfix(const std::optional<Parsed>& p, Micros time, const char* host,
                    const char* service, const char* message) {
  ASSERT_TRUE(p.has_value());
  ASSERT_EQ(status_name(p->status), std::string("kPostfix"));
  EXPECT_EQ(p->env.time, time) << format_utc(p->env.time);
  EXPECT_EQ(p->host, host);
  EXPECT_EQ(p->service, service);
  EXPECT_EQ(p->message, message);
}

// ---------------------------------------------------------------------------
// Detection, per input by its first line

TEST(ContainerForms, DetectsEachFormByItsFirstLine) {
  // docker compose logs: v2 names, v1 names, padded, coloured.
  EXPECT_EQ(detect_format("mail    | Aug 31 14:11:21 mail postfix/smtpd[1285]: connect from x"),
            InputFormat::kCompose);
  EXPECT_EQ(detect_format("mail_1              | Aug 31 14:11:21 mail postfix/smtpd[1]: m"),
            InputFormat::kCompose);
  EXPECT_EQ(detect_format("\x1b[36mmailserver-1  | \x1b[0m[   INF   ]  Welcome"),
            InputFormat::kCompose);
  EXPECT_EQ(
      detect_format("2024-01-01T00:00:00.123456789Z stdout F Aug 31 14:11:21 m postfix/x[1]: m"),
      InputFormat::kCri);
  EXPECT_EQ(detect_format("2024-01-01T00:00:00.123456789Z stderr P part"), InputFormat::kCri);
  EXPECT_EQ(
      detect_format("{\"log\":\"x\\n\",\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:00Z\"}"),
      InputFormat::kDockerJson);
  EXPECT_EQ(detect_format("{\"__CURSOR\":\"s=1\",\"log\":1}"), InputFormat::kJournalJson);
  EXPECT_EQ(detect_format("2024-01-01T00:00:00.123456789Z [   INF   ]  Welcome"),
            InputFormat::kTimestamped);
  EXPECT_EQ(detect_format("2024-01-01T00:00:00.5Z Aug 31 14:11:21 mail postfix/smtpd[1]: m"),
            InputFormat::kTimestamped);
  EXPECT_EQ(detect_format("2024-01-01T00:00:00Z postfix/smtpd[1]: m"), InputFormat::kTimestamped);
  // rsyslog's and the images' own RFC 3339 forms stay syslog.
  EXPECT_EQ(detect_format("2024-01-01T00:00:00.123456Z mx postfix/smtpd[1]: m"),
            InputFormat::kSyslog);
  EXPECT_EQ(detect_format("2023-12-30T21:20:26.617755+00:00 INFO    postfix/smtpd[481]: m"),
            InputFormat::kSyslog);
  EXPECT_EQ(detect_format("Aug 31 14:11:21 mail postfix/smtpd[1285]: m"), InputFormat::kSyslog);
  EXPECT_EQ(detect_format("mail | "), InputFormat::kCompose);
  EXPECT_EQ(detect_format("a|b"), InputFormat::kSyslog);
}

TEST(ContainerForms, FormatNames) {
  InputFormat f = InputFormat::kAuto;
  ASSERT_TRUE(input_format_from_name("compose", f));
  EXPECT_EQ(f, InputFormat::kCompose);
  ASSERT_TRUE(input_format_from_name("timestamps", f));
  EXPECT_EQ(f, InputFormat::kTimestamped);
  ASSERT_TRUE(input_format_from_name("cri", f));
  EXPECT_EQ(f, InputFormat::kCri);
  ASSERT_TRUE(input_format_from_name("docker-json", f));
  EXPECT_EQ(f, InputFormat::kDockerJson);
  EXPECT_FALSE(input_format_from_name("docker", f));
}

// ---------------------------------------------------------------------------
// docker compose logs

TEST(ContainerForms, ComposePrefixes) {
  Reader r(FrameKind::kCompose);
  const Micros t = utc(2023, 8, 31, 14, 11, 21);
  // The issue's own lines; v1 (`mail_1`), v2 (`mailserver-1`), colours.
  expect_postfix(
      r.read("mail    | Aug 31 14:11:21 mail postfix/smtpd[1285]: connect from x[1.2.3.4]"), t,
      "mail", "smtpd", "connect from x[1.2.3.4]");
  expect_postfix(r.read("mail_1              | Aug 31 14:11:21 mail postfix/smtpd[1285]: m"), t,
                 "mail", "smtpd", "m");
  expect_postfix(r.read("\x1b[36mmailserver-1  | \x1b[0mAug 31 14:11:21 mail postfix/qmgr[9]: m"),
                 t, "mail", "qmgr", "m");
  expect_postfix(r.read("\x1b[33mmail_1  |\x1b[0m Aug 31 14:11:21 mail postfix/qmgr[9]: m"), t,
                 "mail", "qmgr", "m");
  // docker-mailserver v15 under `docker compose up`, from a public bug report
  // (github.com, a tutorial's evaluation of
  // https://github.com/docker-mailserver/docker-mailserver):
  expect_postfix(r.read("mailserver  | 2025-03-28T23:26:35.246620+01:00 smtp1 "
                        "postfix/postfix-script[849]: starting the Postfix mail system"),
                 utc(2025, 3, 28, 22, 26, 35, 246620), "smtp1", "postfix-script",
                 "starting the Postfix mail system");
  // The image's start-up script and supervisord in the same stream: other programs.
  EXPECT_EQ(
      r.read("mailserver  | 2025-03-28 23:26:16+01:00 INFO  start-mailserver.sh: Welcome")->status,
      EnvelopeStatus::kOtherProgram);
  EXPECT_EQ(r.read("mailserver  | 2023-07-13 07:10:59,539 WARN received SIGTERM")->status,
            EnvelopeStatus::kOtherProgram);
  // `docker compose logs --timestamps`: the inner stamp counts; without one,
  // the outer; without a host, the service's name.
  expect_postfix(r.read("mail-1  | 2023-08-31T14:11:25.000000001Z Aug 31 14:11:21 mail "
                        "postfix/smtpd[1]: m"),
                 t, "mail", "smtpd", "m");
  expect_postfix(r.read("mail-1  | 2023-08-31T14:11:25.123456789Z postfix/smtpd[1]: m"),
                 utc(2023, 8, 31, 14, 11, 25, 123456), "mail-1", "smtpd", "m");
}

// ---------------------------------------------------------------------------
// docker logs --timestamps, kubectl logs --timestamps

TEST(ContainerForms, TimestampsInnerStampCountsElseOuter) {
  Reader r(FrameKind::kTimestamped);
  // Postfix's maillog_file=/dev/stdout (postlogd, http://www.postfix.org/MAILLOG_README.html):
  // the syslog stamp inside is the local time that counts.
  expect_postfix(r.read("2023-08-31T14:11:22.999999999Z Aug 31 14:11:21 mail postfix/smtpd[12]: m"),
                 utc(2023, 8, 31, 14, 11, 21), "mail", "smtpd", "m");
  // The boky/postfix form inside (https://github.com/bokysan/docker-postfix).
  expect_postfix(r.read("2023-12-30T21:20:27.000000000Z 2023-12-30T21:20:26.617755+00:00 INFO    "
                        "postfix/smtpd[481]: connect from unknown[10.0.1.22]"),
                 utc(2023, 12, 30, 21, 20, 26, 617755), "(none)", "smtpd",
                 "connect from unknown[10.0.1.22]");
  // No stamp inside: the outer one, nanoseconds kept to the microsecond;
  // an offset instead of Z.
  expect_postfix(r.read("2024-01-01T00:00:00.123456789Z postfix/smtpd[7]: m"),
                 utc(2024, 1, 1, 0, 0, 0, 123456), "(none)", "smtpd", "m");
  expect_postfix(r.read("2024-01-01T01:00:00.5+01:00 postfix/smtpd[7]: m"),
                 utc(2024, 1, 1, 0, 0, 0, 500000), "(none)", "smtpd", "m");
  EXPECT_EQ(r.read("2024-01-01T00:00:00.123456789Z [   INF   ]  Welcome")->status,
            EnvelopeStatus::kMalformed);  // not syslog (ingest counts it as another program's)
}

// ---------------------------------------------------------------------------
// Kubernetes/CRI log files

TEST(ContainerForms, CriJoinsPartialLines) {
  Reader r(FrameKind::kCri);
  EXPECT_FALSE(r.read("2024-01-01T00:00:01.000000001Z stdout P Aug 31 14:11:21 mail post"));
  EXPECT_FALSE(r.read("2024-01-01T00:00:01.000000002Z stdout P fix/smtpd[12]: conn"));
  expect_postfix(r.read("2024-01-01T00:00:01.000000003Z stdout F ect from x[1.2.3.4]"),
                 utc(2023, 8, 31, 14, 11, 21), "mail", "smtpd", "connect from x[1.2.3.4]");
  expect_postfix(r.read("2024-01-01T00:00:02Z stderr F postfix/smtpd[12]: m"),
                 utc(2024, 1, 1, 0, 0, 2), "(none)", "smtpd", "m");
  // A line without the frame is read as it is.
  expect_postfix(r.read("Aug 31 14:11:21 mail postfix/smtpd[12]: m"), utc(2023, 8, 31, 14, 11, 21),
                 "mail", "smtpd", "m");
  // A split line is dated by its first part, and bounded.
  std::string big(100, 'x');
  Reader b(FrameKind::kCri);
  EXPECT_FALSE(b.read("2024-01-01T00:00:05Z stdout P postfix/smtpd[3]: "));
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(b.read("2024-01-01T00:00:06Z stdout P " + big));
  const auto joined = b.read("2024-01-01T00:00:07Z stdout F end");
  ASSERT_TRUE(joined.has_value());
  ASSERT_EQ(joined->status, EnvelopeStatus::kPostfix);
  EXPECT_EQ(joined->env.time, utc(2024, 1, 1, 0, 0, 5));
  EXPECT_EQ(joined->message.size(), kMaxJoinedBytes - std::string("postfix/smtpd[3]: ").size());
}

// ---------------------------------------------------------------------------
// Docker json-file

TEST(ContainerForms, DockerJsonUnescapesAndJoins) {
  Reader r(FrameKind::kDockerJson);
  // Go's encoder escapes <, > and & (https://docs.docker.com/engine/logging/drivers/json-file/).
  expect_postfix(
      r.read(
          R"({"log":"Aug 31 14:11:21 mail postfix/cleanup[5]: 4A1B2C3D4E: message-id=\u003ca\u0026b@x\u003e\n","stream":"stdout","time":"2023-08-31T14:11:21.5Z"})"),
      utc(2023, 8, 31, 14, 11, 21), "mail", "cleanup", "4A1B2C3D4E: message-id=<a&b@x>");
  EXPECT_FALSE(r.read(
      R"({"log":"postfix/smtpd[5]: con","stream":"stdout","time":"2023-08-31T14:11:22.25Z"})"));
  expect_postfix(
      r.read(R"({"log":"nect from x\n","stream":"stdout","time":"2023-08-31T14:11:23Z"})"),
      utc(2023, 8, 31, 14, 11, 22, 250000), "(none)", "smtpd", "connect from x");
  EXPECT_EQ(r.read(R"({"log":"Aug 31)")->status, EnvelopeStatus::kMalformed);
  EXPECT_EQ(r.read(R"({"stream":"stdout"})")->status, EnvelopeStatus::kMalformed);
  EXPECT_EQ(r.read(R"({"log":"x\n"} trailing)")->status, EnvelopeStatus::kMalformed);
}

// ---------------------------------------------------------------------------
// Images' own forms and tolerant syslog, no frame

TEST(ContainerForms, SeverityForHostInAnySpelling) {
  Reader r(std::nullopt);
  // The issue's line, boky/postfix (https://github.com/bokysan/docker-postfix).
  expect_postfix(r.read("2023-12-30T21:20:26.617755+00:00 INFO    postfix/smtpd[481]: connect from "
                        "unknown[10.0.1.22]"),
                 utc(2023, 12, 30, 21, 20, 26, 617755), "(none)", "smtpd",
                 "connect from unknown[10.0.1.22]");
  // From a public README of a project running that image.
  expect_postfix(r.read("2025-07-31T01:01:53.376231+00:00 INFO    postfix/smtp[1678]: 792AB29DF6: "
                        "to=<test@example.com>, relay=none, delay=404, status=deferred"),
                 utc(2025, 7, 31, 1, 1, 53, 376231), "(none)", "smtp",
                 "792AB29DF6: to=<test@example.com>, relay=none, delay=404, status=deferred");
  // From a public blog post on that image behind a home connection (offset -07:00).
  expect_postfix(r.read("2022-08-26T21:21:21.212121-07:00 INFO    postfix/smtp[796]: connect to "
                        "alt2.aspmx.l.google.com[64.233.171.26]:25: Operation timed out"),
                 utc(2022, 8, 27, 4, 21, 21, 212121), "(none)", "smtp",
                 "connect to alt2.aspmx.l.google.com[64.233.171.26]:25: Operation timed out");
  // Every syslog severity, in rsyslog's and the other spellings the images use.
  for (const char* sev : {"EMERG", "PANIC", "ALERT", "CRIT", "ERR", "ERROR", "WARNING", "WARN",
                          "NOTICE", "INFO", "DEBUG", "FATAL"}) {
    for (int pad = 1; pad <= 4; ++pad) {
      const std::string line = std::string("2023-12-30T21:20:26.617755+00:00 ") + sev +
                               std::string(static_cast<std::size_t>(pad), ' ') +
                               "postfix/smtpd[481]: warning: x";
      expect_postfix(r.read(line), utc(2023, 12, 30, 21, 20, 26, 617755), "(none)", "smtpd",
                     "warning: x");
    }
  }
}

TEST(ContainerForms, TolerantSyslog) {
  Reader r(std::nullopt);
  const Micros feb1 = utc(2023, 2, 1, 9, 0, 1);
  expect_postfix(r.read("Feb 1 09:00:01 mx postfix/smtpd[1]: m"), feb1, "mx", "smtpd", "m");
  expect_postfix(r.read("Feb  1 09:00:01 mx postfix/smtpd[1]: m"), feb1, "mx", "smtpd", "m");
  expect_postfix(r.read("Feb 1 09:00:01.250000 mx postfix/smtpd[1]: m"), feb1 + 250000, "mx",
                 "smtpd", "m");
  expect_postfix(r.read("Feb  1 09:00:01   mx    postfix/smtpd[1]: m  n"), feb1, "mx", "smtpd",
                 "m  n");
  // Odd hosts, and no host: the program field decides.
  expect_postfix(r.read("Feb 1 09:00:01 (none) postfix/smtpd[1]: m"), feb1, "(none)", "smtpd", "m");
  expect_postfix(r.read("Feb 1 09:00:01 postfix postfix/smtpd[1]: m"), feb1, "postfix", "smtpd",
                 "m");
  expect_postfix(r.read("Feb 1 09:00:01 postfix/smtpd[1]: m"), feb1, "(none)", "smtpd", "m");
  expect_postfix(r.read("2023-02-01T09:00:01Z postfix/smtpd[1]: m"), feb1, "(none)", "smtpd", "m");
  // A stamp-less line needs a frame's time.
  EXPECT_EQ(r.read("postfix/smtpd[1]: m")->status, EnvelopeStatus::kMalformed);
  EXPECT_EQ(r.read("Feb 1 09:00:01 mx dovecot: m")->status, EnvelopeStatus::kOtherProgram);
}

// ---------------------------------------------------------------------------
// Nothing dropped silently

TEST(ContainerForms, NamesPostfixProgram) {
  EXPECT_TRUE(names_postfix_program("x postfix/smtpd[1]: m"));
  EXPECT_TRUE(names_postfix_program("<22>1 postfix-in/submission/smtpd[12345]:"));
  EXPECT_FALSE(names_postfix_program("postfix/smtpd: m"));
  EXPECT_FALSE(names_postfix_program("postfix[1]: m"));
  EXPECT_FALSE(names_postfix_program("postfix/smtpd[]: m"));
  EXPECT_FALSE(names_postfix_program("postfix/smtpd [1]: m"));
  EXPECT_FALSE(names_postfix_program("dovecot: imap-login: m"));
  // Only the first kNamesProgramBytes bytes are searched.
  const std::string far = std::string(kNamesProgramBytes, 'x') + " postfix/smtpd[1]: m";
  EXPECT_FALSE(names_postfix_program(far));
  EXPECT_TRUE(names_postfix_program(far.substr(10)));
}

TEST(ContainerForms, PostfixNamedIsNeverAnotherProgram) {
  Reader r(std::nullopt);
  for (const char* line :
       {"Aug 31 14:11:21 relay.example mx postfix/smtpd[1285]: connect from x[1.2.3.4]",
        "Aug 31 14:11:21 mail - postfix/smtpd[1285]: connect from x",
        "<22>Aug 31 14:11:21 mail postfix/smtpd[1285]: connect from x",
        "Aug 31 14:11:21 mail sudo: postfix/smtpd[1285]: x"}) {
    EXPECT_EQ(status_name(r.read(line)->status), std::string("kMalformed")) << line;
  }
  // The usual path agrees: a line with the stamp of the line before.
  ASSERT_EQ(r.read("Aug 31 14:11:21 mail postfix/smtpd[1]: m")->status, EnvelopeStatus::kPostfix);
  EXPECT_EQ(
      r.read("Aug 31 14:11:21 mail mail2 postfix/smtpd[1]: a message long enough for it")->status,
      EnvelopeStatus::kMalformed);
  EXPECT_EQ(
      r.read("Aug 31 14:11:21 mail dovecot: imap-login: a message long enough for it")->status,
      EnvelopeStatus::kOtherProgram);
}

}  // namespace
}  // namespace pftls
