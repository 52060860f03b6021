// envelope: what the frame around a Postfix message says, whatever its form.
//
// Contract: filled by EnvelopeParser (syslog_envelope.h: plain-text lines)
// and JournalJsonParser (journal_json.h: journalctl -o json) alike, read by
// the correlation stage. The views point into the line, or into storage of
// the parser that filled them, and are valid until its next parse() call.
// Only a kPostfix status fills the Envelope; after kOtherProgram or
// kMalformed its contents are unspecified.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/log_time.h"

namespace pftls {

struct Envelope {
  Micros time = 0;  // UTC microseconds
  std::string_view host;
  std::string_view syslog_name;  // "postfix", "postfix/submission", "postfix-in"
  std::string_view service;      // "smtpd", "cleanup", ...
  std::uint32_t pid = 0;
  std::string_view message;
};

// kPostfix: a Postfix line, Envelope filled. kOtherProgram: a well-formed
// line of another program (or a journalctl marker line): not counted as
// damage. kMalformed: neither.
enum class EnvelopeStatus { kPostfix, kOtherProgram, kMalformed };

}  // namespace pftls
