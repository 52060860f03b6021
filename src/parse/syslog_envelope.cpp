// syslog_envelope: RFC 3164 / RFC 3339 / journalctl short-* framing of Postfix log lines.
#include "parse/syslog_envelope.h"

#include <algorithm>
#include <array>

#include <bit>
#include <cstring>

#include "parse/postfix_program.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// The 15 bytes of "Mmm dd hh:mm:ss" compared as two overlapping words
// (a libc memcmp call costs more than the rest of the stamp check).
inline bool same_15_bytes(const char* a, const char* b) {
  std::uint64_t a0, a1, b0, b1;
  std::memcpy(&a0, a, 8);
  std::memcpy(&a1, a + 7, 8);
  std::memcpy(&b0, b, 8);
  std::memcpy(&b1, b + 7, 8);
  return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

inline bool digit_value(char c, unsigned& d) {
  d = static_cast<unsigned>(static_cast<unsigned char>(c)) - '0';
  return d < 10;
}

// Reads the fraction digits of a stamp from `pos` (just after the '.') up to
// the first non-digit or `end`: their value in microseconds (digits past the
// sixth dropped) into `micros`; returns where the digits end (== pos: none).
inline std::size_t scan_fraction(std::string_view s, std::size_t pos, std::size_t end, Micros& micros) {
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

// The first 19 bytes ("YYYY-MM-DDTHH:MM:SS") as three overlapping words.
inline bool same_19_bytes(const char* a, const char* b) {
  std::uint64_t a0, a1, a2, b0, b1, b2;
  std::memcpy(&a0, a, 8);
  std::memcpy(&a1, a + 8, 8);
  std::memcpy(&a2, a + 11, 8);
  std::memcpy(&b0, b, 8);
  std::memcpy(&b1, b + 8, 8);
  std::memcpy(&b2, b + 11, 8);
  return ((a0 ^ b0) | (a1 ^ b1) | (a2 ^ b2)) == 0;
}

// The n bytes at a and b are equal; at least 8 bytes may be read at b, and
// `a_room` at a. An offset ("+01:00", "Z", "") fits in one masked word.
inline bool same_short(const char* a, const char* b, std::size_t n, std::size_t a_room) {
  if constexpr (std::endian::native == std::endian::little) {
    if (n < 8 && a_room >= 8) {
      std::uint64_t x, y;
      std::memcpy(&x, a, 8);
      std::memcpy(&y, b, 8);
      const std::uint64_t mask = (std::uint64_t{1} << (8 * n)) - 1;
      return ((x ^ y) & mask) == 0;
    }
  }
  return std::memcmp(a, b, n) == 0;
}

// The pid after '[' when it has 1 to 7 digits and 8 bytes can be read there
// (the message follows): the digits found and converted a word at a time.
// Advances pos past them. False: not that case, use the byte loop.
inline bool pid_in_one_word(std::string_view s, std::size_t& pos, std::uint64_t& out) {
  if constexpr (std::endian::native != std::endian::little) {
    return false;
  } else {
    if (s.size() < pos + 8) return false;
    constexpr std::uint64_t kZeros = 0x3030303030303030ULL;
    std::uint64_t w;
    std::memcpy(&w, s.data() + pos, 8);
    const std::uint64_t x = w - kZeros;  // digits become 0..9
    // A byte is no digit when x is above 9 (then x + 0x76 sets its top bit)
    // or the subtraction wrapped (its own top bit). The lowest flag is exact.
    const std::uint64_t no_digit = ((x + 0x7676767676767676ULL) | x) & 0x8080808080808080ULL;
    if (no_digit == 0) return false;  // 8 or more digits
    const unsigned n = static_cast<unsigned>(std::countr_zero(no_digit)) / 8;
    if (n == 0) return false;
    // Left-align the n digits: leading zero digits fill the rest.
    std::uint64_t v = x << (8 * (8 - n));
    v = v * 10 + (v >> 8);
    v = (((v & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
         (((v >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >> 32;
    out = v;
    pos += n;
    return true;
  }
}

#if defined(__SSE2__)
// The first space among the 16 bytes at p (all readable): its offset, or 16.
inline std::size_t first_space_in_16(const char* p) {
  const auto spaces = static_cast<unsigned>(_mm_movemask_epi8(
      _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), _mm_set1_epi8(' '))));
  return spaces == 0 ? 16 : static_cast<std::size_t>(std::countr_zero(spaces));
}

// Where the usual program name ends among the 16 bytes at p (all readable):
// the offset of the first of '[', ' ', ':' when it is a '[', else 16 (none
// of them, or ' ' or ':' first: the byte loop decides).
inline std::size_t program_bracket_in_16(const char* p) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  auto bits = [&v](char c) {
    return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c))));
  };
  const unsigned open = bits('[');
  const unsigned stops = open | bits(' ') | bits(':');
  if (stops == 0) return 16;
  const unsigned at = static_cast<unsigned>(std::countr_zero(stops));
  return ((open >> at) & 1u) != 0 ? at : 16;
}
#endif

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

// The usual line in a few word compares: "Mmm dd hh:mm:ss " with the stamp
// of the line before, a host of at most 15 bytes, then either another
// program (kOtherProgram) or "postfix.../SERVICE[" within 23 bytes, a pid of
// 1 to 7 digits and "]: ". Anything else (a new stamp, other forms, long
// names, damage): false, and parse_general() decides, as for every line
// before this path existed. Kept small so that it inlines into the caller.
[[gnu::always_inline]] inline bool EnvelopeParser::parse_usual(std::string_view line, Envelope& out,
                                                               EnvelopeStatus& status) {
#if defined(__SSE2__)
  // 16 (stamp) + 16 (host) + 7 + 16 (program) + 8 (pid) bytes readable.
  if (line.size() < 63 || last_stamp_size_ != 15 || line[15] != ' ' ||
      !same_15_bytes(line.data(), last_stamp_)) {
    return false;
  }
  const char* const p = line.data();
  const std::size_t host_len = first_space_in_16(p + 16);
  if (host_len == 0 || host_len == 16) return false;
  const char* const prog = p + 16 + host_len + 1;  // at most p + 32
  if (std::memcmp(prog, "postfix", 7) != 0) {
    status = EnvelopeStatus::kOtherProgram;
    return true;
  }
  const std::size_t bracket = 7 + program_bracket_in_16(prog + 7);
  if (bracket == 7 + 16) return false;
  const ProgramName program = split_program(std::string_view(prog, bracket));
  if (program.kind != ProgramName::kPostfix) return false;
  const std::string_view rest(prog, static_cast<std::size_t>(line.data() + line.size() - prog));
  std::size_t close = bracket + 1;
  std::uint64_t pid = 0;
  if (!pid_in_one_word(rest, close, pid) || close + 2 >= rest.size() || rest[close] != ']' ||
      rest[close + 1] != ':' || rest[close + 2] != ' ') {
    return false;
  }
  out.time = last_time_;
  out.host = std::string_view(p + 16, host_len);
  out.syslog_name = program.syslog_name;
  out.service = program.service;
  out.pid = static_cast<std::uint32_t>(pid);
  out.message = std::string_view(rest.data() + close + 3, rest.size() - close - 3);
  if (!out.message.empty() && out.message.back() == '\r') out.message.remove_suffix(1);
  status = EnvelopeStatus::kPostfix;
  return true;
#else
  (void)line;
  (void)out;
  (void)status;
  return false;
#endif
}

EnvelopeStatus EnvelopeParser::parse(std::string_view line, Envelope& out) {
  EnvelopeStatus status;
  if (parse_usual(line, out, status)) return status;
  return parse_general(line, out);
}

EnvelopeStatus EnvelopeParser::parse_general(std::string_view line, Envelope& out) {
  // Timestamp: its form is told by the first byte (a digit: RFC 3339 and
  // journalctl's short-iso forms; else the yearless RFC 3164 forms). A
  // fraction of a second is read here; the rest of the stamp is converted
  // (or found in the cache) once the line is known to be Postfix's.
  std::size_t stamp_end;
  std::size_t suffix_begin = 0;  // RFC 3339: where the stamp goes on after the fraction
  Micros fraction = 0;
  const bool rfc3339 = !line.empty() && line[0] >= '0' && line[0] <= '9';
  if (rfc3339) {
    const char* space = static_cast<const char*>(std::memchr(line.data(), ' ', line.size()));
    if (!space) return EnvelopeStatus::kMalformed;
    stamp_end = static_cast<std::size_t>(space - line.data());
    suffix_begin = stamp_end < 19 ? stamp_end : 19;
    if (stamp_end > 19 && line[19] == '.') {
      // No digits ("17.Z"): the '.' stays in the offset, which then fails.
      const std::size_t digits_end = scan_fraction(line, 20, stamp_end, fraction);
      if (digits_end > 20) suffix_begin = digits_end;
    }
  } else if (line.size() >= 16 && line[15] == ' ') {
    // "Mmm dd hh:mm:ss " is 15 bytes and a space: the common case.
    stamp_end = 15;
  } else if (line.size() >= 16 && line[15] == '.') {
    // journalctl -o short-precise: "Mmm dd hh:mm:ss.ffffff ".
    stamp_end = scan_fraction(line, 16, line.size(), fraction);
    if (stamp_end == 16 || stamp_end >= line.size() || line[stamp_end] != ' ') {
      return EnvelopeStatus::kMalformed;
    }
  } else {
    return is_journal_marker(line) ? EnvelopeStatus::kOtherProgram : EnvelopeStatus::kMalformed;
  }
  // Host.
  std::size_t host_begin = stamp_end + 1;
  std::size_t host_end = std::string_view::npos;
#if defined(__SSE2__)
  // Host names are short: their end is in the next 16 bytes, as a rule.
  if (line.size() >= host_begin + 16) {
    const std::size_t n = first_space_in_16(line.data() + host_begin);
    if (n < 16) host_end = host_begin + n;
  }
#endif
  if (host_end == std::string_view::npos) {
    const char* host_end_p =
        static_cast<const char*>(std::memchr(line.data() + host_begin, ' ', line.size() - host_begin));
    if (!host_end_p) return EnvelopeStatus::kMalformed;
    host_end = static_cast<std::size_t>(host_end_p - line.data());
  }
  // Program "name[pid]: ".
  std::size_t prog_begin = host_end + 1;
  // Views are made from pointers below: substr()'s range check is not free.
  std::string_view rest(line.data() + prog_begin, line.size() - prog_begin);
  if (rest.size() < 7 || std::memcmp(rest.data(), "postfix", 7) != 0) {
    return EnvelopeStatus::kOtherProgram;
  }
  // "SYSLOG_NAME/SERVICE[PID]: ": the name ends at the first '[', ' ' or ':'.
  std::size_t bracket = 7;
#if defined(__SSE2__)
  if (rest.size() >= 7 + 16) bracket += program_bracket_in_16(rest.data() + 7);
  if (bracket == 7 + 16) bracket = 7;
#endif
  for (; bracket < rest.size(); ++bracket) {
    const char c = rest[bracket];
    if (c == '[' || c == ' ' || c == ':') break;
  }
  if (bracket >= rest.size()) return EnvelopeStatus::kOtherProgram;
  const ProgramName program = split_program(std::string_view(rest.data(), bracket));
  if (program.kind == ProgramName::kOther) return EnvelopeStatus::kOtherProgram;
  // "postfix/smtpd: msg" is Postfix without a pid: malformed, not foreign.
  if (rest[bracket] != '[') {
    return rest[bracket] == ':' ? EnvelopeStatus::kMalformed : EnvelopeStatus::kOtherProgram;
  }
  std::uint64_t pid = 0;
  std::size_t close = bracket + 1;
  if (!pid_in_one_word(rest, close, pid)) {
    // At most 11 digits (2^32 has 10): no overflow check inside the loop.
    const std::size_t digits_end = std::min(rest.size(), close + 11);
    for (; close < digits_end && static_cast<unsigned char>(rest[close] - '0') <= 9; ++close) {
      pid = pid * 10 + static_cast<unsigned>(rest[close] - '0');
    }
  }
  if (close == bracket + 1 || pid > 0xFFFFFFFFULL || close + 2 >= rest.size() ||
      rest[close] != ']' || rest[close + 1] != ':' || rest[close + 2] != ' ') {
    return EnvelopeStatus::kMalformed;
  }

  // Many lines share a stamp: the last one is converted only once, without
  // its fraction. The cache key is the stamp's 15 bytes for RFC 3164 forms;
  // for RFC 3339 ones its first 19 bytes (to the second) and what follows
  // the fraction (the offset), at least 19 bytes.
  Micros t;
  if (!rfc3339) {
    if (last_stamp_size_ == 15 && same_15_bytes(line.data(), last_stamp_)) {
      t = last_time_;
    } else {
      if (!parse_rfc3164_time(line, t)) return EnvelopeStatus::kMalformed;
      std::memcpy(last_stamp_, line.data(), 15);
      last_stamp_size_ = 15;
      last_time_ = t;
    }
  } else {
    const std::size_t head = stamp_end < 19 ? stamp_end : 19;
    const std::string_view suffix = line.substr(suffix_begin, stamp_end - suffix_begin);
    if (head == 19 && last_stamp_size_ == 19 + suffix.size() && same_19_bytes(line.data(), last_stamp_) &&
        same_short(suffix.data(), last_stamp_ + 19, suffix.size(), line.size() - suffix_begin)) {
      t = last_time_;
    } else {
      if (!parse_rfc3339_time(line.substr(0, head), suffix, t)) return EnvelopeStatus::kMalformed;
      if (19 + suffix.size() <= sizeof last_stamp_ - 8) {  // room for same_short's word
        std::memcpy(last_stamp_, line.data(), 19);
        std::memcpy(last_stamp_ + 19, suffix.data(), suffix.size());
        last_stamp_size_ = 19 + suffix.size();
        last_time_ = t;
      }
    }
  }
  out.time = t + fraction;
  out.host = std::string_view(line.data() + host_begin, host_end - host_begin);
  out.syslog_name = program.syslog_name;
  out.service = program.service;
  out.pid = static_cast<std::uint32_t>(pid);
  out.message = std::string_view(rest.data() + close + 3, rest.size() - close - 3);
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

bool EnvelopeParser::parse_rfc3339_time(std::string_view s, std::string_view offset, Micros& out) {
  // s: YYYY-MM-DDTHH:MM:SS (the fraction is read by the caller);
  // offset: empty (the local zone), Z, +HH:MM / -HH:MM (RFC 3339) or
  // +HHMM / -HHMM (journalctl -o short-iso).
  if (s.size() != 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') {
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
  std::int64_t local = days_from_civil(y1 * 100 + y2, static_cast<unsigned>(mo),
                                       static_cast<unsigned>(d)) * 86400 +
                       h * 3600 + mi * 60 + se;
  if (offset.empty()) {
    out = zone_.to_utc(local) * kMicrosPerSecond;
    return true;
  }
  const char* o = offset.data();
  int oh = 0, om = 0;
  if (offset.size() == 1 && o[0] == 'Z') {
    out = local * kMicrosPerSecond;
    return true;
  }
  if ((o[0] != '+' && o[0] != '-') ||
      !((offset.size() == 6 && o[3] == ':' && two_digits(o + 1, oh) && two_digits(o + 4, om)) ||
        (offset.size() == 5 && two_digits(o + 1, oh) && two_digits(o + 3, om))) ||
      oh > 23 || om > 59) {
    return false;
  }
  const std::int64_t seconds = oh * 3600 + om * 60;
  out = (o[0] == '-' ? local + seconds : local - seconds) * kMicrosPerSecond;
  return true;
}

}  // namespace pftls
