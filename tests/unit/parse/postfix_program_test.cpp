// Unit tests for postfix_program: the one rule that tells Postfix program
// names from others and splits off the service.
#include "parse/postfix_program.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace pftls {
namespace {

struct ProgramCase {
  const char* name;
  ProgramName::Kind kind;
  const char* syslog_name;
  const char* service;
};

const ProgramCase kProgramCases[] = {
    {"postfix/smtpd", ProgramName::kPostfix, "postfix", "smtpd"},
    {"postfix/submission/smtpd", ProgramName::kPostfix, "postfix/submission", "smtpd"},
    {"postfix-in/cleanup", ProgramName::kPostfix, "postfix-in", "cleanup"},
    {"postfixd/x", ProgramName::kPostfix, "postfixd", "x"},  // only the start is compared
    {"postfix/a/", ProgramName::kNoService, "postfix/a", ""},
    {"postfix/", ProgramName::kNoService, "postfix", ""},
    {"postfix", ProgramName::kOther, "", ""},
    {"postfix-in", ProgramName::kOther, "", ""},
    {"postfi/smtpd", ProgramName::kOther, "", ""},
    {"Postfix/smtpd", ProgramName::kOther, "", ""},
    {"dovecot/imap", ProgramName::kOther, "", ""},
    {"/postfix/smtpd", ProgramName::kOther, "", ""},
    {"", ProgramName::kOther, "", ""},
};

TEST(SplitProgram, AppliesThePostfixRule) {
  for (const ProgramCase& c : kProgramCases) {
    const std::string name = c.name;
    const ProgramName got = split_program(name);
    EXPECT_EQ(got.kind, c.kind) << name;
    EXPECT_EQ(got.syslog_name, c.syslog_name) << name;
    EXPECT_EQ(got.service, c.service) << name;
    if (got.kind != ProgramName::kOther) {
      EXPECT_EQ(got.syslog_name.data(), name.data()) << name;  // views into the name
    }
  }
}

// With 23 readable bytes the last '/' is found 16 bytes at once: the same
// answers for every name up to 23 bytes, '/' at every position.
TEST(SplitProgram, SixteenBytesAtOnceAgreesWithTheByteLoop) {
  std::vector<std::string> names;
  for (const ProgramCase& c : kProgramCases) names.emplace_back(c.name);
  for (std::size_t len = 8; len <= 23; ++len) {
    for (std::size_t a = 7; a < len; ++a) {
      for (std::size_t b = a; b < len; ++b) {
        std::string name = "postfix" + std::string(len - 7, 'q');
        name[a] = '/';
        name[b] = '/';
        names.push_back(name);
      }
    }
    names.push_back("postfix" + std::string(len - 7, 'q'));
  }
  for (const std::string& name : names) {
    std::string buffer = name + std::string(32, '/');  // what lies past the name must not count
    const std::string_view in_buffer(buffer.data(), name.size());
    const ProgramName want = split_program(name);
    const ProgramName got = split_program(in_buffer, buffer.size());
    ASSERT_EQ(got.kind, want.kind) << name;
    ASSERT_EQ(got.syslog_name, want.syslog_name) << name;
    ASSERT_EQ(got.service, want.service) << name;
  }
}

}  // namespace
}  // namespace pftls
