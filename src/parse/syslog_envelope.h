// syslog_envelope: the syslog frame around a Postfix message.
//
// Contract: parse() takes one log line in any of these forms, detected per
// line by its first bytes:
//   RFC 3164            "Dec 23 16:01:05 host prog[pid]: msg" (day space- or
//                       zero-padded: syslog, Postfix's maillog_file,
//                       journalctl -o short)
//   short-precise       "Dec 23 16:01:05.123456 host ..." (journalctl)
//   RFC 3339            "2026-11-28T23:45:17.123456+01:00 host ..." (rsyslog;
//                       any fraction, offset +HH:MM, -HH:MM or Z; none: --tz)
//   short-iso[-precise] "2026-11-28T23:45:17[.123456]+0100 host ..."
//                       (journalctl: the offset without a colon)
// Tolerated as admins paste and containers write them:
//   - an unpadded day ("Feb 1 09:00:01") and runs of spaces between fields;
//   - no host: the program right after the stamp (the program field
//     decides, so a host named "postfix" or "(none)" is a host);
//   - after an RFC 3339 stamp, a severity word where the host would be
//     ("2023-12-30T21:20:26.617755+00:00 INFO    postfix/smtpd[481]: ...",
//     any word, any padding);
//   - no stamp at all ("postfix/smtpd[481]: ...") when a frame around the
//     line gives the time (set_frame()).
// A line without a host gets the frame's host, else "(none)" (what syslog
// writes for a machine without a name). A line that is not read as
// Postfix's but names a Postfix program ("postfix.../...[pid]:" in its
// first kNamesProgramBytes) is kMalformed, never kOtherProgram.
// The program must be a Postfix one: "SYSLOG_NAME/SERVICE[pid]" by the rule
// of postfix_program.h (postfix, postfix-in, postfix/submission, ...; the
// service is the last component). Other programs, and journalctl's
// "-- Boot ... --" marker lines, cost a few byte comparisons and no time
// conversion (kOtherProgram). Times become UTC microseconds: yearless ones
// through the YearTracker and the LocalZone, RFC 3339 ones through their own
// offset; fractions are kept. journalctl -o json is read by JournalJsonParser
// (journal_json.h), which fills the same Envelope.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/log_time.h"
#include "parse/envelope.h"

namespace pftls {

class EnvelopeParser {
 public:
  EnvelopeParser(LocalZone& zone, std::optional<int> year) : zone_(zone), year_(year) {}

  // Call before the first line of each input; mtime dates yearless lines.
  void begin_input(std::optional<std::int64_t> mtime_utc_seconds);
  EnvelopeStatus parse(std::string_view line, Envelope& out);
  // The frame around the next lines (container logs): its time, for a line
  // without a stamp, and its host (a container's service name), for a line
  // without a host; "" for kNoHost. Stays until set again.
  void set_frame(std::optional<Micros> time, std::string_view host);
  static constexpr const char* kNoHost = "(none)";
  std::optional<int> current_year() const { return years_.current_year(); }
  // The year state, saved with a file's offset and restored on resume.
  YearTracker& years() { return years_; }

 private:
  // The fast path for the usual line; parse_general() (the byte-at-a-time
  // path for every other line, syslog_envelope_internal.h) is its reference.
  bool parse_usual(std::string_view line, Envelope& out, EnvelopeStatus& status);
  friend EnvelopeStatus parse_general(EnvelopeParser& parser, std::string_view line, Envelope& out);
  // parse_general() before its check for a Postfix name.
  EnvelopeStatus parse_frame(std::string_view line, Envelope& out);
  // The stamp's time, converted or from the cache (see last_stamp_); `stamp`
  // is its 15 bytes, day padded.
  bool rfc3164_time_cached(const char* stamp, Micros& out);
  bool rfc3339_time_cached(std::string_view line, std::size_t stamp_end, std::size_t suffix_begin,
                           Micros& out);
  bool parse_rfc3164_time(const char* stamp, Micros& out);
  // The stamp to the second and its offset ("" for --tz); UTC, whole seconds.
  bool parse_rfc3339_time(std::string_view stamp, std::string_view offset, Micros& out);

  LocalZone& zone_;
  std::optional<int> year_;
  // Many lines share a timestamp: the last one is converted only once
  // (without its fraction).
  char last_stamp_[40] = {};
  std::size_t last_stamp_size_ = 0;
  Micros last_time_ = 0;
  bool first_input_ = true;
  bool has_frame_time_ = false;
  Micros frame_time_ = 0;
  std::string_view frame_host_ = kNoHost;
  YearTracker years_;
};

}  // namespace pftls
