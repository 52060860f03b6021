// syslog_envelope: RFC 3164 / RFC 3339 / journalctl short-* framing of Postfix log lines.
#include "syslog_envelope.h"

#include <cstring>

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
    case 'F': return (p[1] == 'e' && p[2] == 'b') ? 2 : 0;
    case 'M':
      if (p[1] == 'a' && p[2] == 'r') return 3;
      if (p[1] == 'a' && p[2] == 'y') return 5;
      return 0;
    case 'A':
      if (p[1] == 'p' && p[2] == 'r') return 4;
      if (p[1] == 'u' && p[2] == 'g') return 8;
      return 0;
    case 'S': return (p[1] == 'e' && p[2] == 'p') ? 9 : 0;
    case 'O': return (p[1] == 'c' && p[2] == 't') ? 10 : 0;
    case 'N': return (p[1] == 'o' && p[2] == 'v') ? 11 : 0;
    case 'D': return (p[1] == 'e' && p[2] == 'c') ? 12 : 0;
    default: return 0;
  }
}

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Microseconds of the fraction digits [p, end) (at least one digit; digits
// past the sixth are dropped).
inline Micros fraction_micros(const char* p, const char* end) {
  Micros micros = 0;
  int digits = 0;
  for (; p != end && digits < 6; ++p, ++digits) micros = micros * 10 + (*p - '0');
  for (; digits < 6; ++digits) micros *= 10;
  return micros;
}

// journalctl's own lines between entries: "-- Boot 0f3c... --",
// "-- Logs begin at ... --", "-- No entries --". Not Postfix, not damage.
inline bool is_journal_marker(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line.size() >= 6 && line.substr(0, 3) == "-- " && line.substr(line.size() - 3) == " --";
}

}  // namespace

void EnvelopeParser::begin_input(std::optional<std::int64_t> mtime_utc_seconds) {
  std::optional<std::int64_t> local;
  if (mtime_utc_seconds) local = zone_.to_local(*mtime_utc_seconds);
  years_.begin_input(first_input_ ? year_ : (year_ ? years_.current_year() : std::nullopt), local);
  first_input_ = false;
  last_stamp_size_ = 0;  // the same stamp may mean another year in another file
}

EnvelopeStatus EnvelopeParser::parse(std::string_view line, Envelope& out) {
  // Timestamp: its form is told by the first byte (a digit: RFC 3339 and
  // journalctl's short-iso forms; else the yearless RFC 3164 forms).
  std::size_t stamp_end;
  bool rfc3339 = !line.empty() && line[0] >= '0' && line[0] <= '9';
  if (rfc3339) {
    stamp_end = line.find(' ');
    if (stamp_end == std::string_view::npos) return EnvelopeStatus::kMalformed;
  } else if (line.size() >= 16 && line[15] == ' ') {
    // "Mmm dd hh:mm:ss " is 15 bytes and a space: the common case.
    stamp_end = 15;
  } else if (line.size() >= 16 && line[15] == '.') {
    // journalctl -o short-precise: "Mmm dd hh:mm:ss.ffffff ".
    stamp_end = 16;
    while (stamp_end < line.size() && is_digit(line[stamp_end])) ++stamp_end;
    if (stamp_end == 16 || stamp_end >= line.size() || line[stamp_end] != ' ') {
      return EnvelopeStatus::kMalformed;
    }
  } else {
    return is_journal_marker(line) ? EnvelopeStatus::kOtherProgram : EnvelopeStatus::kMalformed;
  }
  // Host.
  std::size_t host_begin = stamp_end + 1;
  const char* host_end_p =
      static_cast<const char*>(std::memchr(line.data() + host_begin, ' ', line.size() - host_begin));
  if (!host_end_p) return EnvelopeStatus::kMalformed;
  std::size_t host_end = static_cast<std::size_t>(host_end_p - line.data());
  // Program "name[pid]: ".
  std::size_t prog_begin = host_end + 1;
  std::string_view rest = line.substr(prog_begin);
  if (rest.size() < 7 || std::memcmp(rest.data(), "postfix", 7) != 0) {
    return EnvelopeStatus::kOtherProgram;
  }
  // "SYSLOG_NAME/SERVICE[PID]: " in one pass.
  std::size_t bracket = 7, slash = std::string_view::npos;
  for (; bracket < rest.size(); ++bracket) {
    char c = rest[bracket];
    if (c == '[') break;
    if (c == '/') slash = bracket;
    if (c == ' ' || c == ':') {
      // "postfix/smtpd: msg" is Postfix without a pid: malformed, not foreign.
      return (c == ':' && slash != std::string_view::npos) ? EnvelopeStatus::kMalformed
                                                         : EnvelopeStatus::kOtherProgram;
    }
  }
  if (bracket >= rest.size()) return EnvelopeStatus::kOtherProgram;
  if (slash == std::string_view::npos) return EnvelopeStatus::kOtherProgram;
  std::string_view program = rest.substr(0, bracket);
  std::uint64_t pid = 0;
  std::size_t close = bracket + 1;
  for (; close < rest.size() && rest[close] >= '0' && rest[close] <= '9'; ++close) {
    if (pid > 0xFFFFFFFFULL / 10) return EnvelopeStatus::kMalformed;
    pid = pid * 10 + static_cast<unsigned>(rest[close] - '0');
  }
  if (close == bracket + 1 || pid > 0xFFFFFFFFULL || close + 2 >= rest.size() ||
      rest[close] != ']' || rest[close + 1] != ':' || rest[close + 2] != ' ') {
    return EnvelopeStatus::kMalformed;
  }

  // Many lines share a stamp: the last one is converted only once. Yearless
  // stamps are cached by their 15 whole-second bytes (a fraction is added
  // after), RFC 3339 ones (at least 19 bytes) by the whole stamp.
  Micros t;
  const std::size_t key_size = rfc3339 ? stamp_end : 15;
  if (key_size == last_stamp_size_ && std::memcmp(line.data(), last_stamp_, key_size) == 0) {
    t = last_time_;
  } else {
    if (rfc3339 ? !parse_rfc3339_time(line.substr(0, stamp_end), t)
                : !parse_rfc3164_time(line, t)) {
      return EnvelopeStatus::kMalformed;
    }
    if (key_size <= sizeof last_stamp_) {
      std::memcpy(last_stamp_, line.data(), key_size);
      last_stamp_size_ = key_size;
      last_time_ = t;
    }
  }
  if (!rfc3339 && stamp_end != 15) t += fraction_micros(line.data() + 16, line.data() + stamp_end);
  out.time = t;
  out.host = line.substr(host_begin, host_end - host_begin);
  out.syslog_name = program.substr(0, slash);
  out.service = program.substr(slash + 1);
  out.pid = static_cast<std::uint32_t>(pid);
  out.message = rest.substr(close + 3);
  // A log with CRLF line ends: the CR is not part of the message.
  if (!out.message.empty() && out.message.back() == '\r') out.message.remove_suffix(1);
  if (out.host.empty() || out.service.empty()) return EnvelopeStatus::kMalformed;
  return EnvelopeStatus::kPostfix;
}

bool EnvelopeParser::parse_rfc3164_time(std::string_view line, Micros& out) {
  const char* p = line.data();
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
  if (day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return false;
  std::int64_t sod = h * 3600 + m * 60 + s;
  int year = years_.year_for(month, static_cast<unsigned>(day), sod);
  std::int64_t local = days_from_civil(year, month, static_cast<unsigned>(day)) * 86400 + sod;
  out = zone_.to_utc(local) * kMicrosPerSecond;
  return true;
}

bool EnvelopeParser::parse_rfc3339_time(std::string_view s, Micros& out) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':') {
    return false;
  }
  const char* p = s.data();
  int y1, y2, mo, d, h, mi, se;
  if (!two_digits(p, y1) || !two_digits(p + 2, y2) || !two_digits(p + 5, mo) ||
      !two_digits(p + 8, d) || !two_digits(p + 11, h) || !two_digits(p + 14, mi) ||
      !two_digits(p + 17, se)) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return false;
  std::size_t pos = 19;
  std::int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    const std::size_t first = ++pos;
    while (pos < s.size() && is_digit(s[pos])) ++pos;
    if (pos == first) return false;
    micros = fraction_micros(p + first, p + pos);
  }
  std::int64_t offset = 0;
  bool has_offset = false;
  if (pos < s.size()) {
    // Z, +HH:MM (RFC 3339) or +HHMM (journalctl -o short-iso).
    const std::size_t rest = s.size() - pos;
    int oh = 0, om = 0;
    if (s[pos] == 'Z' && rest == 1) {
      has_offset = true;
    } else if ((s[pos] == '+' || s[pos] == '-') &&
               ((rest == 6 && s[pos + 3] == ':' && two_digits(p + pos + 1, oh) &&
                 two_digits(p + pos + 4, om)) ||
                (rest == 5 && two_digits(p + pos + 1, oh) && two_digits(p + pos + 3, om))) &&
               oh <= 23 && om <= 59) {
      offset = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
      has_offset = true;
    } else {
      return false;
    }
  }
  std::int64_t local = days_from_civil(y1 * 100 + y2, static_cast<unsigned>(mo),
                                       static_cast<unsigned>(d)) * 86400 +
                       h * 3600 + mi * 60 + se;
  std::int64_t utc = has_offset ? local - offset : zone_.to_utc(local);
  out = utc * kMicrosPerSecond + micros;
  return true;
}

}  // namespace pftls
