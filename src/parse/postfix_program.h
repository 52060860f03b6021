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

#include "base/byte_scan.h"

namespace pftls {

struct ProgramName {
  enum Kind { kPostfix, kNoService, kOther };
  Kind kind = kOther;
  std::string_view syslog_name;  // kPostfix, kNoService
  std::string_view service;      // kPostfix
};

// `readable`: how many bytes from name.data() may be read (name.size() at
// least; their values do not matter). With 23 or more, a name of up to 23
// bytes has its last '/' found 16 bytes at once.
[[gnu::always_inline]] inline ProgramName split_program(std::string_view name,
                                                        std::size_t readable = 0) {
  constexpr std::size_t kHead = 7;  // "postfix"
  ProgramName out;
  if (name.size() <= kHead || std::memcmp(name.data(), "postfix", kHead) != 0) return out;
  std::size_t slash;
  if (readable >= kHead + 16 && name.size() <= kHead + 16) {
    const std::size_t at = byte_scan::last_in_16(name.data() + kHead, name.size() - kHead, '/');
    slash = at == 16 ? std::string_view::npos : kHead + at;
  } else {
    slash = name.rfind('/');
  }
  if (slash == std::string_view::npos) return out;
  out.kind = slash + 1 == name.size() ? ProgramName::kNoService : ProgramName::kPostfix;
  out.syslog_name = std::string_view(name.data(), slash);
  out.service = std::string_view(name.data() + slash + 1, name.size() - slash - 1);
  return out;
}

}  // namespace pftls
