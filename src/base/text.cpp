// text: strip_controls and escape_bytes over one UTF-8 reading of the bytes.
#include "base/text.h"

namespace pftls {
namespace {

inline unsigned char byte_at(std::string_view s, std::size_t i) {
  return static_cast<unsigned char>(s[i]);
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// What stands at text[i]: how many bytes, and whether they may be shown.
struct Unit {
  std::size_t size;
  bool shown;
};

inline Unit unit_at(std::string_view text, std::size_t i) {
  const unsigned char c = byte_at(text, i);
  if (c < 0x80) return {1, c >= 0x20 && c != 0x7f};
  const std::size_t n = utf8_sequence_length(text, i);
  if (n == 0) return {1, false};
  return {n, !is_hidden_code_point(text.substr(i, n))};
}

}  // namespace

std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const unsigned char c = byte_at(text, i);
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  const unsigned char second = byte_at(text, i + 1);
  if (second < lo || second > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if ((byte_at(text, i + k) & 0xC0) != 0x80) return 0;
  }
  return n;
}

bool is_hidden_code_point(std::string_view seq) {
  if (seq.size() == 2) return byte_at(seq, 0) == 0xC2 && byte_at(seq, 1) <= 0x9F;  // C1
  if (seq.size() != 3 || byte_at(seq, 0) != 0xE2) return false;
  const unsigned char b1 = byte_at(seq, 1), b2 = byte_at(seq, 2);
  return (b1 == 0x80 && b2 >= 0xAA && b2 <= 0xAE) ||  // U+202A..U+202E
         (b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9);    // U+2066..U+2069
}

std::string strip_controls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const Unit u = unit_at(text, i);
    if (u.shown) {
      out.append(text.substr(i, u.size));
    } else if (u.size == 1 && byte_at(text, i) >= 0x80) {
      out.append(kReplacement);  // not UTF-8: visibly something was there
    }
    i += u.size;
  }
  return out;
}

std::string escape_bytes(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const Unit u = unit_at(text, i);
    if (u.shown && text[i] != '\\') {
      out.append(text.substr(i, u.size));
    } else {
      for (std::size_t k = i; k < i + u.size; ++k) {
        const unsigned char c = byte_at(text, k);
        out += "\\x";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
      }
    }
    i += u.size;
  }
  return out;
}

}  // namespace pftls
