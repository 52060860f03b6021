// journal_json: journald entries as `journalctl -o json` writes them, one
// JSON object a line, framed into the same Envelope as syslog lines.
//
// Contract: parse() reads one line with simdjson's On-Demand API (fields in
// any order; unknown fields skipped) and fills:
//   time         __REALTIME_TIMESTAMP (a string of microseconds since the
//                epoch; already UTC, no zone, no year guessing)
//   host         _HOSTNAME
//   syslog_name, SYSLOG_IDENTIFIER "postfix/smtpd", "postfix/submission/smtpd",
//   service      "postfix-in/smtpd": split by the rule of postfix_program.h
//                (another program: kOtherProgram)
//   pid          SYSLOG_PID, else _PID (strings of digits, or numbers)
//   message      MESSAGE: a string, or an array of byte values (journalctl
//                writes that when the text is not valid UTF-8), decoded to
//                those bytes, zero bytes included
// A valid entry of another program (or without SYSLOG_IDENTIFIER) is
// kOtherProgram, without decoding its time; once its identifier and cursor
// have been seen, the rest of the line is not looked at. Anything else (not
// JSON, not an object, truncated, a Postfix entry missing a field or with a
// field of the wrong type, MESSAGE null because it was too large) is
// kMalformed. It never throws.
//
// The Envelope's string_views point into storage owned by the parser and
// stay valid until the next parse() call. last_cursor() is the __CURSOR of
// the most recent entry that had one (whatever its status), empty before.
#pragma once

#include <memory>
#include <string_view>

#include "parse/envelope.h"

namespace pftls {

class JournalJsonParser {
 public:
  JournalJsonParser();
  ~JournalJsonParser();
  JournalJsonParser(const JournalJsonParser&) = delete;
  JournalJsonParser& operator=(const JournalJsonParser&) = delete;

  // The line is copied into a padded buffer of the parser's own (simdjson
  // reads ahead in 64-byte blocks), reused from line to line.
  EnvelopeStatus parse(std::string_view line, Envelope& out);

  std::string_view last_cursor() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pftls
