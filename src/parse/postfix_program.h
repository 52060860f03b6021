// postfix_program: which program names are Postfix's, and their service.
//
// Contract: split_program() holds the one rule both envelopes apply
// (syslog_envelope.h to "NAME[pid]:", journal_json.h to SYSLOG_IDENTIFIER):
// a program name "SYSLOG_NAME/SERVICE" is Postfix's when it starts with
// "postfix" (postfix/smtpd, postfix-in/cleanup, postfix/submission/smtpd)
// and has a '/'; the service is what follows the last '/', the syslog name
// what precedes it. A Postfix name with nothing after its last '/' is
// kNoService (the caller's damage), any other name kOther. Reads only the
// name's bytes; the views point into it.
#pragma once

#include <cstring>
#include <string_view>

namespace pftls {

struct ProgramName {
  enum Kind { kPostfix, kNoService, kOther };
  Kind kind = kOther;
  std::string_view syslog_name;  // kPostfix, kNoService
  std::string_view service;      // kPostfix
};

inline ProgramName split_program(std::string_view name) {
  ProgramName out;
  if (name.size() < 8 || std::memcmp(name.data(), "postfix", 7) != 0) return out;
  const std::size_t slash = name.rfind('/');
  if (slash == std::string_view::npos) return out;
  out.kind = slash + 1 == name.size() ? ProgramName::kNoService : ProgramName::kPostfix;
  out.syslog_name = std::string_view(name.data(), slash);
  out.service = std::string_view(name.data() + slash + 1, name.size() - slash - 1);
  return out;
}

}  // namespace pftls
