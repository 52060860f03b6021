// same_text: whether two short byte strings are equal, without a libc call.
//
// Contract: same_text(a, b) is a == b for any two string_views; it reads only
// their bytes. Names compared on every line (hosts, syslog names, services,
// at most 16 bytes as a rule) are told equal or not with two overlapping
// word loads each; longer strings go to memcmp. Equality only: a three-way
// compare (string_view's ==) and a memcmp call per line both cost measurably
// more on the per-line path.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace pftls {

[[gnu::always_inline]] inline bool same_text(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  if (n >= 8) {
    if (n > 16) return std::memcmp(p, q, n) == 0;
    std::uint64_t x0, x1, y0, y1;
    std::memcpy(&x0, p, 8);
    std::memcpy(&y0, q, 8);
    std::memcpy(&x1, p + n - 8, 8);
    std::memcpy(&y1, q + n - 8, 8);
    return ((x0 ^ y0) | (x1 ^ y1)) == 0;
  }
  if (n >= 4) {
    std::uint32_t x0, x1, y0, y1;
    std::memcpy(&x0, p, 4);
    std::memcpy(&y0, q, 4);
    std::memcpy(&x1, p + n - 4, 4);
    std::memcpy(&y1, q + n - 4, 4);
    return ((x0 ^ y0) | (x1 ^ y1)) == 0;
  }
  // 0 to 3 bytes: the first, middle and last cover them all.
  return n == 0 || (p[0] == q[0] && p[n / 2] == q[n / 2] && p[n - 1] == q[n - 1]);
}

}  // namespace pftls
