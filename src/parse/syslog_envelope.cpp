// syslog_envelope: RFC 3164 / RFC 3339 / journalctl short-* framing of Postfix log lines.
#include "parse/syslog_envelope.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "base/byte_scan.h"
#include "parse/postfix_program.h"
#include "parse/syslog_envelope_internal.h"

namespace pftls {
namespace {

inline bool two_digits(const char* p, int& out) {
  if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9') return false;
  out = (p[0] - '0') * 10 + (p[1] - '0');
  return true;
}

// "Jan".."Dec" -> 1..12, 0 otherwise.
inline unsigned month_number(const char* p) {
  switch (p[0]) {
    case 'J':
      if (p[1] == 'a' && p[2] == 'n') return 1;
      if (p[1] == 'u' && p[2] == 'n') return 6;
      if (p[1] == 'u' && p[2] == 'l') return 7;
      return 0;
    case 'F':
      return (p[1] == 'e' && p[2] == 'b') ? 2 : 0;
    case 'M':
      if (p[1] == 'a' && p[2] == 'r') return 3;
      if (p[1] == 'a' && p[2] == 'y') return 5;
      return 0;
    case 'A':
      if (p[1] == 'p' && p[2] == 'r') return 4;
      if (p[1] == 'u' && p[2] == 'g') return 8;
      return 0;
    case 'S':
      return (p[1] == 'e' && p[2] == 'p') ? 9 : 0;
    case 'O':
      return (p[1] == 'c' && p[2] == 't') ? 10 : 0;
    case 'N':
      return (p[1] == 'o' && p[2] == 'v') ? 11 : 0;
    case 'D':
      return (p[1] == 'e' && p[2] == 'c') ? 12 : 0;
    default:
      return 0;
  }
}

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

inline bool digit_value(char c, unsigned& d) {
  d = static_cast<unsigned>(static_cast<unsigned char>(c)) - '0';
  return d < 10;
}

// Reads the fraction digits of a stamp from `pos` (just after the '.') up to
// the first non-digit or `end`: their value in microseconds (digits past the
// sixth dropped) into `micros`; returns where the digits end (== pos: none).
inline std::size_t scan_fraction(std::string_view s, std::size_t pos, std::size_t end,
                                 Micros& micros) {
  unsigned d[6];
  // The usual case: exactly six digits (rsyslog, journalctl).
  if (end - pos >= 6 && digit_value(s[pos], d[0]) && digit_value(s[pos + 1], d[1]) &&
      digit_value(s[pos + 2], d[2]) && digit_value(s[pos + 3], d[3]) &&
      digit_value(s[pos + 4], d[4]) && digit_value(s[pos + 5], d[5]) &&
      (end - pos == 6 || !is_digit(s[pos + 6]))) {
    micros = ((((d[0] * 10 + d[1]) * 10 + d[2]) * 10 + d[3]) * 10 + d[4]) * 10 + d[5];
    return pos + 6;
  }
  static constexpr Micros kScale[7] = {0, 100000, 10000, 1000, 100, 10, 1};
  Micros v = 0;
  std::size_t digits = 0;
  for (; pos < end && is_digit(s[pos]); ++pos) {
    if (digits < 6) {
      v = v * 10 + (s[pos] - '0');
      ++digits;
    }
  }
  micros = v * kScale[digits];
  return pos;
}

// journalctl's own lines between entries: "-- Boot 0f3c... --",
// "-- Logs begin at ... --", "-- No entries --". Not Postfix, not damage.
inline bool is_journal_marker(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line.size() >= 6 && line.substr(0, 3) == "-- " && line.substr(line.size() - 3) == " --";
}

// What a line's stamp looks like before it is converted.
struct StampShape {
  enum Kind { kRfc3164, kRfc3339, kNone } kind = kRfc3164;
  std::size_t end = 0;           // the byte after the stamp (a space, or 0 for kNone)
  std::size_t suffix_begin = 0;  // RFC 3339: where the stamp goes on after the fraction
  Micros fraction = 0;
  // RFC 3164: the stamp's 15 bytes as syslog pads them ("Feb  1 09:00:01"),
  // also for an unpadded day ("Feb 1 09:00:01", copy and paste).
  const char* padded = nullptr;
  char unpadded_day[15] = {};
};

// The parts of a line read so far are those of a Postfix line.
constexpr EnvelopeStatus kSoFarPostfix = EnvelopeStatus::kPostfix;

// The fraction after a yearless stamp that ends at `dot` (journalctl -o
// short-precise): the stamp then ends at the space after its digits.
EnvelopeStatus read_precise(std::string_view line, std::size_t dot, StampShape& st) {
  st.end = scan_fraction(line, dot + 1, line.size(), st.fraction);
  const bool ok = st.end > dot + 1 && st.end < line.size() && line[st.end] == ' ';
  return ok ? kSoFarPostfix : EnvelopeStatus::kMalformed;
}

// The stamp's form is told by the first byte: a digit for RFC 3339 and
// journalctl's short-iso forms, else the yearless RFC 3164 forms (day
// padded or not). A line that starts with a Postfix program has no stamp
// (kNone: a frame around the line may give the time). A fraction of a
// second is read here; the rest of the stamp is converted once the line is
// known to be Postfix's.
EnvelopeStatus read_stamp(std::string_view line, StampShape& st) {
  if (!line.empty() && line[0] >= '0' && line[0] <= '9') {
    const char* space = static_cast<const char*>(std::memchr(line.data(), ' ', line.size()));
    if (!space) return EnvelopeStatus::kMalformed;
    st.kind = StampShape::kRfc3339;
    st.end = static_cast<std::size_t>(space - line.data());
    st.suffix_begin = std::min<std::size_t>(st.end, 19);
    if (st.end > 19 && line[19] == '.') {
      // No digits ("17.Z"): the '.' stays in the offset, which then fails.
      const std::size_t digits_end = scan_fraction(line, 20, st.end, st.fraction);
      if (digits_end > 20) st.suffix_begin = digits_end;
    }
    return kSoFarPostfix;
  }
  st.padded = line.data();
  if (line.size() >= 16 && line[15] == ' ' && line[5] != ' ') {  // "Mmm dd hh:mm:ss "
    st.end = 15;
    return kSoFarPostfix;
  }
  if (line.size() >= 16 && line[15] == '.' && line[5] != ' ') return read_precise(line, 15, st);
  // "Feb 1 09:00:01": a day without its padding.
  if (line.size() >= 15 && line[3] == ' ' && is_digit(line[4]) && line[5] == ' ' &&
      (line[14] == ' ' || line[14] == '.') && month_number(line.data()) != 0) {
    std::memcpy(st.unpadded_day, line.data(), 4);
    st.unpadded_day[4] = ' ';
    std::memcpy(st.unpadded_day + 5, line.data() + 4, 10);
    st.padded = st.unpadded_day;
    if (line[14] == '.') return read_precise(line, 14, st);
    st.end = 14;
    return kSoFarPostfix;
  }
  if (line.size() >= 7 && std::memcmp(line.data(), "postfix", 7) == 0) {
    st.kind = StampShape::kNone;
    st.end = 0;
    return kSoFarPostfix;
  }
  return is_journal_marker(line) ? EnvelopeStatus::kOtherProgram : EnvelopeStatus::kMalformed;
}

// The severity word some container images write where the host would be
// (rsyslog's %syslogseverity-text:::uppercase%, padded to a width), in any
// of its spellings.
bool is_severity_word(std::string_view w) {
  static constexpr std::string_view kWords[] = {"EMERG", "ALERT",   "CRIT",  "ERR",
                                                "ERROR", "WARNING", "WARN",  "NOTICE",
                                                "INFO",  "DEBUG",   "PANIC", "FATAL"};
  for (std::string_view k : kWords) {
    if (w == k) return true;
  }
  return false;
}

std::size_t skip_spaces(std::string_view line, std::size_t pos) {
  while (pos < line.size() && line[pos] == ' ') ++pos;
  return pos;
}

// The bytes that end a program name: one lookup a byte.
constexpr std::array<bool, 256> kEndsProgram = [] {
  std::array<bool, 256> t{};
  t['['] = t[' '] = t[':'] = true;
  return t;
}();

// "SYSLOG_NAME/SERVICE[PID]: " at the start of rest. The name ends at the
// first '[', ' ' or ':'; split_program() decides whether it is Postfix's.
// On success `message` is where the message begins in rest.
EnvelopeStatus read_program(std::string_view rest, ProgramName& program, std::uint32_t& pid,
                            std::size_t& message) {
  if (rest.size() < 7 || std::memcmp(rest.data(), "postfix", 7) != 0) {
    return EnvelopeStatus::kOtherProgram;
  }
  std::size_t bracket = 7;
  while (bracket < rest.size() && !kEndsProgram[static_cast<unsigned char>(rest[bracket])])
    ++bracket;
  if (bracket >= rest.size()) return EnvelopeStatus::kOtherProgram;
  program = split_program(rest.substr(0, bracket));
  if (program.kind == ProgramName::kOther) return EnvelopeStatus::kOtherProgram;
  // "postfix/smtpd: msg" is Postfix without a pid: malformed, not foreign.
  if (rest[bracket] != '[') {
    return rest[bracket] == ':' ? EnvelopeStatus::kMalformed : EnvelopeStatus::kOtherProgram;
  }
  // At most 11 digits (2^32 has 10): no overflow check inside the loop.
  std::uint64_t value = 0;
  std::size_t close = bracket + 1;
  const std::size_t digits_end = std::min(rest.size(), close + 11);
  for (; close < digits_end && is_digit(rest[close]); ++close) {
    value = value * 10 + static_cast<unsigned>(rest[close] - '0');
  }
  if (close == bracket + 1 || value > 0xFFFFFFFFULL || close + 2 >= rest.size() ||
      rest[close] != ']' || rest[close + 1] != ':' || rest[close + 2] != ' ') {
    return EnvelopeStatus::kMalformed;
  }
  pid = static_cast<std::uint32_t>(value);
  message = close + 3;
  return kSoFarPostfix;
}

// A log with CRLF line ends: the CR is not part of the message.
std::string_view without_cr(std::string_view message) {
  if (!message.empty() && message.back() == '\r') message.remove_suffix(1);
  return message;
}

}  // namespace

void EnvelopeParser::begin_input(std::optional<std::int64_t> mtime_utc_seconds) {
  std::optional<std::int64_t> local;
  if (mtime_utc_seconds) local = zone_.to_local(*mtime_utc_seconds);
  years_.begin_input(first_input_ ? year_ : (year_ ? years_.current_year() : std::nullopt), local);
  first_input_ = false;
  last_stamp_size_ = 0;  // the same stamp may mean another year in another file
}

// The usual line in a few word compares: "Mmm dd hh:mm:ss " with the stamp
// of the line before, a host of at most 15 bytes, then either another
// program (kOtherProgram) or "postfix.../SERVICE[" within 23 bytes, a pid of
// 1 to 7 digits and "]: ". Anything else (a new stamp, other forms, long
// names, damage): false, and parse_general() decides. Kept small so that it
// inlines into the caller.
[[gnu::always_inline]] inline bool EnvelopeParser::parse_usual(std::string_view line, Envelope& out,
                                                               EnvelopeStatus& status) {
  // 16 (stamp) + 16 (host) + 7 + 16 (program) + 8 (pid) bytes readable.
  if (line.size() < 63 || last_stamp_size_ != 15 || line[15] != ' ' ||
      !byte_scan::same_bytes<15>(line.data(), last_stamp_)) {
    return false;
  }
  const char* const p = line.data();
  const std::size_t host_len = byte_scan::first_in_16(p + 16, ' ');
  if (host_len == 0 || host_len == 16) return false;
  // A "host" that starts like a program: the general path decides (the
  // program field decides what is Postfix).
  if (p[16] == 'p' && std::memcmp(p + 16, "postfix", 7) == 0) return false;
  const char* const prog = p + 16 + host_len + 1;  // at most p + 32
  if (std::memcmp(prog, "postfix", 7) != 0) {
    if (*prog == ' ') return false;  // a run of spaces: the general path reads on
    status = EnvelopeStatus::kOtherProgram;
    return true;
  }
  const std::size_t bracket = 7 + byte_scan::first_of_in_16(prog + 7, '[', ' ', ':');
  if (bracket == 7 + 16 || prog[bracket] != '[') return false;
  const ProgramName program = split_program(std::string_view(prog, bracket), 7 + 16);
  if (program.kind != ProgramName::kPostfix) return false;
  unsigned digits;
  std::uint64_t pid;
  if (!byte_scan::digits_in_8(prog + bracket + 1, digits, pid)) return false;
  const char* const close = prog + bracket + 1 + digits;  // at most p + 62
  const char* const end = p + line.size();
  if (end - close < 3 || close[0] != ']' || close[1] != ':' || close[2] != ' ') return false;
  out.time = last_time_;
  out.host = std::string_view(p + 16, host_len);
  out.syslog_name = program.syslog_name;
  out.service = program.service;
  out.pid = static_cast<std::uint32_t>(pid);
  out.message = without_cr(std::string_view(close + 3, static_cast<std::size_t>(end - close - 3)));
  status = EnvelopeStatus::kPostfix;
  return true;
}

EnvelopeStatus EnvelopeParser::parse(std::string_view line, Envelope& out) {
  EnvelopeStatus status;
  // The usual path's "another program" is checked for a Postfix name
  // elsewhere in the line (odd spacing, a severity word for a host).
  if (parse_usual(line, out, status) &&
      (status != EnvelopeStatus::kOtherProgram || !names_postfix_program(line))) {
    return status;
  }
  return parse_general(*this, line, out);
}

namespace {

// The frame of a line once its stamp is read: where the host and the
// program are. The host is missing when the program follows the stamp (the
// program field decides: "postfix.../SERVICE[pid]:" is never a host) or,
// after an RFC 3339 stamp (the images that write one use rsyslog's
// date-rfc3339), when a severity word stands in its place.
struct Fields {
  std::string_view host;  // empty: none in the line
  std::size_t program = 0;
};

Fields read_fields(std::string_view line, std::size_t from, bool severity_for_host) {
  Fields f;
  const std::size_t first = skip_spaces(line, from);
  if (first >= line.size()) return {std::string_view(), line.size()};
  const char* space =
      static_cast<const char*>(std::memchr(line.data() + first, ' ', line.size() - first));
  const std::size_t first_end = space ? static_cast<std::size_t>(space - line.data()) : line.size();
  ProgramName program;
  std::uint32_t pid = 0;
  std::size_t message = 0;
  if (read_program(line.substr(first), program, pid, message) == kSoFarPostfix) {
    f.program = first;  // no host
    return f;
  }
  const std::string_view word = line.substr(first, first_end - first);
  if (!severity_for_host || !is_severity_word(word)) f.host = word;
  f.program = skip_spaces(line, first_end);
  return f;
}

}  // namespace

// Byte at a time, with no 16-byte scan: the reference of parse_usual().
EnvelopeStatus parse_general(EnvelopeParser& parser, std::string_view line, Envelope& out) {
  const EnvelopeStatus status = parser.parse_frame(line, out);
  if (status == EnvelopeStatus::kOtherProgram && names_postfix_program(line)) {
    return EnvelopeStatus::kMalformed;
  }
  return status;
}

EnvelopeStatus EnvelopeParser::parse_frame(std::string_view line, Envelope& out) {
  StampShape stamp;
  EnvelopeStatus status = read_stamp(line, stamp);
  if (status != kSoFarPostfix) return status;
  const Fields fields = stamp.kind == StampShape::kNone
                            ? Fields{std::string_view(), 0}
                            : read_fields(line, stamp.end + (stamp.end < line.size() ? 1 : 0),
                                          stamp.kind == StampShape::kRfc3339);
  if (fields.program >= line.size()) return EnvelopeStatus::kMalformed;
  const std::string_view rest = line.substr(fields.program);
  ProgramName program;
  std::uint32_t pid = 0;
  std::size_t message = 0;
  status = read_program(rest, program, pid, message);
  if (status != kSoFarPostfix) return status;
  Micros t = 0;
  bool stamp_ok = true;
  switch (stamp.kind) {
    case StampShape::kRfc3339:
      stamp_ok = rfc3339_time_cached(line, stamp.end, stamp.suffix_begin, t);
      break;
    case StampShape::kRfc3164:
      stamp_ok = rfc3164_time_cached(stamp.padded, t);
      break;
    case StampShape::kNone:  // the time of the frame around the line, if any
      stamp_ok = has_frame_time_;
      t = frame_time_;
      break;
  }
  if (!stamp_ok) return EnvelopeStatus::kMalformed;
  out.time = t + stamp.fraction;
  out.host = fields.host.empty() ? frame_host_ : fields.host;
  out.syslog_name = program.syslog_name;
  out.service = program.service;
  out.pid = pid;
  out.message = without_cr(rest.substr(message));
  if (out.host.empty() || program.kind != ProgramName::kPostfix) return EnvelopeStatus::kMalformed;
  return EnvelopeStatus::kPostfix;
}

void EnvelopeParser::set_frame(std::optional<Micros> time, std::string_view host) {
  has_frame_time_ = time.has_value();
  frame_time_ = time.value_or(0);
  frame_host_ = host.empty() ? std::string_view(kNoHost) : host;
}

// Many lines share a stamp: the last one is converted only once, without its
// fraction. The cache key is the stamp's 15 bytes for RFC 3164 forms.
bool EnvelopeParser::rfc3164_time_cached(const char* stamp, Micros& out) {
  if (last_stamp_size_ == 15 && byte_scan::same_bytes<15>(stamp, last_stamp_)) {
    out = last_time_;
    return true;
  }
  if (!parse_rfc3164_time(stamp, out)) return false;
  std::memcpy(last_stamp_, stamp, 15);
  last_stamp_size_ = 15;
  last_time_ = out;
  return true;
}

// For RFC 3339 stamps the key is its first 19 bytes (to the second) and what
// follows the fraction (the offset).
bool EnvelopeParser::rfc3339_time_cached(std::string_view line, std::size_t stamp_end,
                                         std::size_t suffix_begin, Micros& out) {
  const std::size_t head = std::min<std::size_t>(stamp_end, 19);
  const std::string_view suffix = line.substr(suffix_begin, stamp_end - suffix_begin);
  if (head == 19 && last_stamp_size_ == 19 + suffix.size() &&
      byte_scan::same_bytes<19>(line.data(), last_stamp_) &&
      byte_scan::same_bytes(suffix.data(), last_stamp_ + 19, suffix.size(),
                            line.size() - suffix_begin)) {
    out = last_time_;
    return true;
  }
  if (!parse_rfc3339_time(line.substr(0, head), suffix, out)) return false;
  if (19 + suffix.size() <= sizeof last_stamp_ - 8) {  // room for same_bytes's word
    std::memcpy(last_stamp_, line.data(), 19);
    std::memcpy(last_stamp_ + 19, suffix.data(), suffix.size());
    last_stamp_size_ = 19 + suffix.size();
    last_time_ = out;
  }
  return true;
}

bool EnvelopeParser::parse_rfc3164_time(const char* p, Micros& out) {
  unsigned month = month_number(p);
  if (month == 0 || p[3] != ' ') return false;
  int day, h, m, s;
  if (p[4] == ' ') {
    if (p[5] < '1' || p[5] > '9') return false;
    day = p[5] - '0';
  } else if (!two_digits(p + 4, day)) {
    return false;
  }
  if (p[6] != ' ' || !two_digits(p + 7, h) || p[9] != ':' || !two_digits(p + 10, m) ||
      p[12] != ':' || !two_digits(p + 13, s)) {
    return false;
  }
  // Apr 31 and Feb 30 are no dates in any year: rejected before they move the year on.
  if (day < 1 || static_cast<unsigned>(day) > days_in_month(2000, month) || h > 23 || m > 59 ||
      s > 60) {
    return false;
  }
  std::int64_t sod = h * 3600 + m * 60 + s;
  int year = years_.year_for(month, static_cast<unsigned>(day), sod);
  if (static_cast<unsigned>(day) > days_in_month(year, month)) return false;  // Feb 29
  std::int64_t local = days_from_civil(year, month, static_cast<unsigned>(day)) * 86400 + sod;
  out = zone_.to_utc(local) * kMicrosPerSecond;
  return log_time_in_range(out);
}

bool EnvelopeParser::parse_rfc3339_time(std::string_view s, std::string_view offset, Micros& out) {
  // s: YYYY-MM-DDTHH:MM:SS (the fraction is read by the caller);
  // offset: empty (the local zone), Z, +HH:MM / -HH:MM (RFC 3339) or
  // +HHMM / -HHMM (journalctl -o short-iso).
  if (s.size() != 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':') {
    return false;
  }
  const char* p = s.data();
  int y1, y2, mo, d, h, mi, se;
  if (!two_digits(p, y1) || !two_digits(p + 2, y2) || !two_digits(p + 5, mo) ||
      !two_digits(p + 8, d) || !two_digits(p + 11, h) || !two_digits(p + 14, mi) ||
      !two_digits(p + 17, se)) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 ||
      static_cast<unsigned>(d) > days_in_month(y1 * 100 + y2, static_cast<unsigned>(mo)) ||
      h > 23 || mi > 59 || se > 60) {
    return false;
  }
  std::int64_t local =
      days_from_civil(y1 * 100 + y2, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
      std::int64_t{h} * 3600 + std::int64_t{mi} * 60 + se;
  if (offset.empty()) {
    out = zone_.to_utc(local) * kMicrosPerSecond;
    return log_time_in_range(out);
  }
  const char* o = offset.data();
  int oh = 0, om = 0;
  if (offset.size() == 1 && o[0] == 'Z') {
    out = local * kMicrosPerSecond;
    return log_time_in_range(out);
  }
  if ((o[0] != '+' && o[0] != '-') ||
      !((offset.size() == 6 && o[3] == ':' && two_digits(o + 1, oh) && two_digits(o + 4, om)) ||
        (offset.size() == 5 && two_digits(o + 1, oh) && two_digits(o + 3, om))) ||
      oh > 23 || om > 59) {
    return false;
  }
  const std::int64_t seconds = oh * 3600 + om * 60;
  out = (o[0] == '-' ? local + seconds : local - seconds) * kMicrosPerSecond;
  return log_time_in_range(out);
}

}  // namespace pftls
