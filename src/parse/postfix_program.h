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
//
// names_postfix_program() tells whether a line names a Postfix program
// ("postfix.../...[pid]:") in its first kNamesProgramBytes: the check that
// keeps a Postfix line pftls cannot take apart from passing for another
// program's. One memchr over those bytes for most lines.
#pragma once

#include <algorithm>
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

inline constexpr std::size_t kNamesProgramBytes = 120;

inline bool names_postfix_program(std::string_view line) {
  const std::size_t head = std::min(line.size(), kNamesProgramBytes);
  // The name and pid may run on past the head, a little.
  const char* const limit = line.data() + std::min(line.size(), kNamesProgramBytes + 64);
  const char* p = line.data();
  const char* const head_end = line.data() + head;
  while (head_end - p >= 7) {
    // memchr for its 'p', then the other six bytes: cheaper than memmem on
    // the short head of a line (other programs' lines all come here).
    const char* hit =
        static_cast<const char*>(std::memchr(p, 'p', static_cast<std::size_t>(head_end - p) - 6));
    if (!hit) return false;
    if (std::memcmp(hit + 1, "ostfix", 6) != 0) {
      p = hit + 1;
      continue;
    }
    const char* q = hit + 7;
    bool slash = false;
    while (q < limit && *q != '[' && *q != ' ' && *q != ':') slash |= *q++ == '/';
    if (slash && q < limit && *q == '[') {
      const char* digits = ++q;
      while (q < limit && *q >= '0' && *q <= '9') ++q;
      if (q > digits && limit - q >= 2 && q[0] == ']' && q[1] == ':') return true;
    }
    p = hit + 1;
  }
  return false;
}

}  // namespace pftls
