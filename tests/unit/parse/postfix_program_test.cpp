// Unit tests for postfix_program: the one rule that tells Postfix program
// names from others and splits off the service.
#include "parse/postfix_program.h"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace pftls
