// evidence_report: redaction pseudonyms are a keyed hash, and a redacted
// report shows no recipient local part and no host name of ours.
#include "report/evidence_report.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>

namespace pftls {
namespace {

const std::string kKeyA(kPseudonymKeyBytes, 'a');
const std::string kKeyB(kPseudonymKeyBytes, 'b');

std::string key_0_to_31() {
  std::string key;
  for (int i = 0; i < 32; ++i) key.push_back(static_cast<char>(i));
  return key;
}

// The unkeyed 32-bit FNV-1a pseudonym the keyed one replaces: anyone could
// compute it for a guessed name.
std::string unkeyed_fnv(const std::string& prefix, const std::string& value) {
  std::uint64_t h = 0xcbf29ce484222325ULL ^ 0x7066746c73ULL;
  for (char c : value) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08llx", static_cast<unsigned long long>(h & 0xffffffffULL));
  return prefix + "-" + buf;
}

TEST(Pseudonym, IsKeyedBlake2bOfTheName) {
  // hashlib.blake2b(b"alice", key=b"a" * 32, digest_size=16).hexdigest()[:8]
  EXPECT_EQ(pseudonym(kKeyA, "user", "alice"), "user-6bd239cb");
  EXPECT_EQ(pseudonym(key_0_to_31(), "host", "mx1.example"), "host-d0edc525");
}

TEST(Pseudonym, SameKeySameNameGivesTheSamePseudonym) {
  EXPECT_EQ(pseudonym(kKeyA, "user", "bob"), pseudonym(kKeyA, "user", "bob"));
  EXPECT_NE(pseudonym(kKeyA, "user", "bob"), pseudonym(kKeyA, "user", "carol"));
}

TEST(Pseudonym, AnotherKeyGivesAnotherPseudonym) {
  for (const char* name : {"alice", "bob", "postmaster", "a"}) {
    EXPECT_NE(pseudonym(kKeyA, "user", name), pseudonym(kKeyB, "user", name)) << name;
  }
}

TEST(Pseudonym, IsNotTheUnkeyedHashOfTheName) {
  for (const char* name : {"alice", "bob", "postmaster", "a", ""}) {
    EXPECT_NE(pseudonym(kKeyA, "user", name), unkeyed_fnv("user", name)) << name;
  }
}

TEST(Pseudonym, RefusesAMissingKey) {
  EXPECT_THROW(pseudonym("", "user", "alice"), std::invalid_argument);
}

ResultSet one_incident() {
  ResultSet rs;
  rs.columns = {"incident_id", "mx_host", "recipients"};
  rs.rows = {{{Cell::Type::kInteger, "1"},
              {Cell::Type::kText, "mx1.example"},
              {Cell::Type::kText, "alice@mx1.example;bob@mx1.example"}}};
  return rs;
}

ResultSet one_line(std::string raw = "Mar  4 10:00:01 mx1.example postfix/smtpd[1]: to=<alice@x>") {
  ResultSet rs;
  rs.columns = {"incident_id", "role", "session_id", "input", "line", "raw"};
  rs.rows = {{{Cell::Type::kInteger, "1"},
              {Cell::Type::kText, "failed"},
              {Cell::Type::kInteger, "7"},
              {Cell::Type::kText, "mail.log"},
              {Cell::Type::kInteger, "3"},
              {Cell::Type::kText, std::move(raw)}}};
  return rs;
}

TEST(EvidenceReport, RedactedReportShowsPseudonymsOnly) {
  ReportOptions opt;
  opt.redact = true;
  opt.pseudonym_key = kKeyA;
  std::ostringstream out;
  EXPECT_EQ(write_evidence_report(one_incident(), one_line(), opt, out), 1u);
  const std::string text = out.str();
  EXPECT_EQ(text.find("alice@"), std::string::npos) << text;
  EXPECT_EQ(text.find("bob@"), std::string::npos) << text;
  EXPECT_EQ(text.find(" mx1.example "), std::string::npos) << text;
  EXPECT_NE(text.find(pseudonym(kKeyA, "user", "alice") + "@"), std::string::npos) << text;
  EXPECT_NE(text.find(pseudonym(kKeyA, "user", "bob") + "@mx1.example"), std::string::npos) << text;
  EXPECT_NE(text.find("received by:        " + pseudonym(kKeyA, "host", "mx1.example")),
            std::string::npos)
      << text;
}

TEST(EvidenceReport, PlainReportKeepsTheNames) {
  std::ostringstream out;
  write_evidence_report(one_incident(), one_line(), ReportOptions{}, out);
  EXPECT_NE(out.str().find("alice@mx1.example;bob@mx1.example"), std::string::npos);
  EXPECT_NE(out.str().find("mail.log:3: Mar  4 10:00:01 mx1.example postfix"), std::string::npos);
}

// Raw lines are shown byte for byte: what would steer a terminal or
// reorder the line (ESC, a raw 8-bit CSI, C1, bidi overrides) and bytes that
// are not UTF-8 are written visibly as \xNN, not dropped.
TEST(EvidenceReport, RawLinesEscapeWhatCannotBeShown) {
  std::ostringstream out;
  write_evidence_report(one_incident(),
                        one_line("Mar  4 10:00:01 mx1.example postfix/smtpd[1]: connect from "
                                 "a\x1b[2J\x9b"
                                 "31mb\xe2\x80\xae"
                                 "c\\d[192.0.2.1]"),
                        ReportOptions{}, out);
  const std::string text = out.str();
  EXPECT_NE(text.find("connect from a\\x1b[2J\\x9b31mb\\xe2\\x80\\xaec\\x5cd[192.0.2.1]\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(text.find('\x9b'), std::string::npos);
}

// A recipient whose local part holds a control byte is redacted in the
// raw lines (escaped) as in the header (stripped).
TEST(EvidenceReport, RedactionFindsEscapedLocalParts) {
  ResultSet incidents = one_incident();
  incidents.rows[0][2].text = "al\x01ice@mx1.example";
  ReportOptions opt;
  opt.redact = true;
  opt.pseudonym_key = kKeyA;
  std::ostringstream out;
  write_evidence_report(
      incidents,
      one_line("Mar  4 10:00:01 mx1.example postfix/local[1]: to=<al\x01ice@mx1.example>"), opt,
      out);
  const std::string text = out.str();
  EXPECT_EQ(text.find("ice@"), std::string::npos) << text;
  EXPECT_NE(text.find("to=<" + pseudonym(kKeyA, "user", "alice") + "@mx1.example>"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace pftls
