// text: strip_controls and escape_bytes over one UTF-8 reading of the bytes;
// near-miss words for "did you mean" hints.
#include "base/text.h"

#include <cstdint>
#include <cstring>

#include <algorithm>
#include <vector>

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

bool printable_ascii(std::string_view text) {
  // Eight bytes at a time (every cell of a million-row listing comes here):
  // a byte below 0x20 makes (v - 0x20..) & ~v set its high bit, 0x7f or
  // above makes (v + 0x01..) | v set it. A borrow or carry into the next
  // byte comes only from a byte that is itself flagged.
  constexpr std::uint64_t kOnes = 0x0101010101010101;
  constexpr std::uint64_t kHigh = 0x8080808080808080;
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t v = 0;
    std::memcpy(&v, text.data() + i, sizeof v);
    if ((((v - kOnes * 0x20) & ~v) | ((v + kOnes) | v)) & kHigh) return false;
  }
  for (; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7f) return false;
  }
  return true;
}

std::string strip_controls(std::string_view text) {
  if (printable_ascii(text)) return std::string(text);  // the common case, in one pass
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

namespace {

char lower_ascii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      const std::size_t cost = lower_ascii(a[i - 1]) == lower_ascii(b[j - 1]) ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + cost});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

bool same_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower_ascii(a[i]) != lower_ascii(b[i])) return false;
  }
  return true;
}

std::string closest_word(std::string_view word, const std::vector<std::string>& candidates) {
  constexpr std::size_t kMaxWord = 64;
  if (word.empty() || word.size() > kMaxWord) return {};
  const std::size_t allowed = word.size() <= 4 ? 1 : word.size() / 3;
  std::string best;
  std::size_t best_distance = allowed + 1;
  for (const auto& c : candidates) {
    if (c.size() > kMaxWord) continue;
    const std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

}  // namespace pftls
