// container_prefix: the shapes of what container runtimes write before a
// log line, told by bytes alone (no time conversion).
//
// Contract: pure functions of their argument, each reading only its bytes;
// shared by the per-input form detection (input/input_format.h) and the
// frames that unwrap the lines (parse/container_frame.h).
//   skip_ansi()            ANSI colour sequences ("\x1b[36m") at the start
//   compose_prefix()       `docker compose logs`' "SERVICE   | " (colours
//                          around it skipped), service names of [A-Za-z0-9_.-]
//   rfc3339_stamp_length() "YYYY-MM-DDTHH:MM:SS[.f...](Z|+HH:MM|-HH:MM)"
//                          followed by a space or the end
//   timestamps_prefix()    the stamp `docker logs --timestamps` and `kubectl
//                          logs --timestamps` put first: 'Z'-terminated, and
//                          not an rsyslog line's stamp (which a host and a
//                          program follow): nanoseconds (7 to 9 fraction
//                          digits), or a line that starts with a stamp, '['
//                          or a Postfix program name after it
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>

namespace pftls::container_prefix {

inline bool digit(char c) { return c >= '0' && c <= '9'; }

inline std::string_view skip_ansi(std::string_view s) {
  while (s.size() >= 2 && s[0] == '\x1b' && s[1] == '[') {
    std::size_t i = 2;
    while (i < s.size() && (digit(s[i]) || s[i] == ';')) ++i;
    if (i >= s.size()) return s.substr(s.size());
    s.remove_prefix(i + 1);  // the final byte ('m' for colours)
  }
  return s;
}

// True with the service name and where the text after the prefix starts
// (after the one space that follows '|').
inline bool compose_prefix(std::string_view line, std::string_view& service, std::size_t& rest) {
  const std::string_view s = skip_ansi(line);
  std::size_t i = 0;
  auto name_byte = [](char c) {
    return digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' ||
           c == '-';
  };
  while (i < s.size() && i < 256 && name_byte(s[i])) ++i;
  if (i == 0 || i >= s.size() || s[i] != ' ') return false;
  const std::size_t name_end = i;
  while (i < s.size() && s[i] == ' ') ++i;
  if (i >= s.size() || s[i] != '|') return false;
  std::string_view after = skip_ansi(s.substr(i + 1));
  if (!after.empty()) {
    if (after[0] != ' ') return false;
    after = skip_ansi(after.substr(1));
  }
  service = s.substr(0, name_end);
  rest = line.size() - after.size();
  return true;
}

// The stamp's length, 0 when `s` does not start with one.
inline std::size_t rfc3339_stamp_length(std::string_view s, std::size_t* fraction_digits = nullptr,
                                        bool* zulu = nullptr) {
  if (s.size() < 20) return 0;
  static constexpr char kShape[] = "dddd-dd-ddTdd:dd:dd";
  for (std::size_t i = 0; i < 19; ++i) {
    if (kShape[i] == 'd' ? !digit(s[i]) : s[i] != kShape[i]) return 0;
  }
  std::size_t i = 19, digits = 0;
  if (s[i] == '.') {
    ++i;
    while (i < s.size() && digit(s[i])) ++i, ++digits;
    if (digits == 0) return 0;
  }
  if (fraction_digits) *fraction_digits = digits;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
    if (zulu) *zulu = true;
  } else if (s.size() - i >= 6 && (s[i] == '+' || s[i] == '-') && digit(s[i + 1]) &&
             digit(s[i + 2]) && s[i + 3] == ':' && digit(s[i + 4]) && digit(s[i + 5])) {
    i += 6;
    if (zulu) *zulu = false;
  } else {
    return 0;
  }
  return i == s.size() || s[i] == ' ' ? i : 0;
}

// True with where the rest starts (after the space).
inline bool timestamps_prefix(std::string_view line, std::size_t& rest) {
  std::size_t digits = 0;
  bool zulu = false;
  const std::size_t n = rfc3339_stamp_length(line, &digits, &zulu);
  if (n == 0 || !zulu || n >= line.size()) return false;
  const std::string_view after = line.substr(n + 1);
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  bool month = false;
  if (after.size() >= 4 && after[3] == ' ') {
    for (std::size_t m = 0; m < kMonths.size(); m += 3)
      month |= after.substr(0, 3) == kMonths.substr(m, 3);
  }
  if (digits >= 7 || month || (!after.empty() && (digit(after[0]) || after[0] == '[')) ||
      after.substr(0, 7) == "postfix") {
    rest = n + 1;
    return true;
  }
  return false;
}

}  // namespace pftls::container_prefix
