// byte_scan: short byte searches and compares, 16 bytes or a word at once.
//
// Contract: each function answers exactly as its twin in byte_scan::scalar,
// which does the same a byte at a time (the reference the unit tests compare
// them with, on every length and position). The 16-byte forms use SSE2
// where the compiler targets it and are their scalar twins elsewhere. A
// function given `p` and told that 16 (or 8, or `room`) bytes are readable
// may read them all, whatever their values; its answer depends only on the
// bytes it names. No function allocates, throws or calls libc beyond memcpy
// and memcmp.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace pftls::byte_scan {

namespace scalar {

// The offset of the first c among the 16 bytes at p, or 16.
inline std::size_t first_in_16(const char* p, char c) {
  std::size_t i = 0;
  while (i < 16 && p[i] != c) ++i;
  return i;
}

// The offset of the first byte among the 16 at p that is a, b or c, or 16.
inline std::size_t first_of_in_16(const char* p, char a, char b, char c) {
  std::size_t i = 0;
  while (i < 16 && p[i] != a && p[i] != b && p[i] != c) ++i;
  return i;
}

// The offset of the last c among the first n (<= 16) bytes at p, or 16.
inline std::size_t last_in_16(const char* p, std::size_t n, char c) {
  for (std::size_t i = n; i-- > 0;)
    if (p[i] == c) return i;
  return 16;
}

// The leading decimal digits of the 8 bytes at p: when there are 1 to 7,
// their count into n and their value into out, and true; false for none or
// 8 (out and n untouched).
inline bool digits_in_8(const char* p, unsigned& n, std::uint64_t& out) {
  unsigned i = 0;
  std::uint64_t v = 0;
  for (; i < 8 && p[i] >= '0' && p[i] <= '9'; ++i) v = v * 10 + static_cast<unsigned>(p[i] - '0');
  if (i == 0 || i == 8) return false;
  n = i;
  out = v;
  return true;
}

// The first c in [p, end), or null.
inline const char* find_byte(const char* p, const char* end, char c) {
  for (; p < end; ++p)
    if (*p == c) return p;
  return nullptr;
}

// Whether the n bytes at a and b are equal.
inline bool same_bytes(const char* a, const char* b, std::size_t n) {
  return std::memcmp(a, b, n) == 0;
}

// Masks of the 16 bytes at p (bit i for byte i). Bytes compare as signed
// char, as SSE2 does: 0x80-0xFF are below every ASCII byte and in no
// ASCII range.
inline unsigned mask_eq_16(const char* p, char c) {
  unsigned m = 0;
  for (unsigned i = 0; i < 16; ++i)
    if (p[i] == c) m |= 1u << i;
  return m;
}
inline unsigned mask_below_16(const char* p, char c) {
  unsigned m = 0;
  for (unsigned i = 0; i < 16; ++i)
    if (static_cast<signed char>(p[i]) < static_cast<signed char>(c)) m |= 1u << i;
  return m;
}
inline unsigned mask_in_16(const char* p, char lo, char hi) {
  unsigned m = 0;
  for (unsigned i = 0; i < 16; ++i) {
    const auto b = static_cast<signed char>(p[i]);
    if (b >= static_cast<signed char>(lo) && b <= static_cast<signed char>(hi)) m |= 1u << i;
  }
  return m;
}

}  // namespace scalar

inline std::size_t first_in_16(const char* p, char c) {
#if defined(__SSE2__)
  const auto hits = static_cast<unsigned>(_mm_movemask_epi8(
      _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), _mm_set1_epi8(c))));
  return hits == 0 ? 16 : static_cast<std::size_t>(std::countr_zero(hits));
#else
  return scalar::first_in_16(p, c);
#endif
}

inline std::size_t first_of_in_16(const char* p, char a, char b, char c) {
#if defined(__SSE2__)
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i any = _mm_or_si128(
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(a)), _mm_cmpeq_epi8(v, _mm_set1_epi8(b))),
      _mm_cmpeq_epi8(v, _mm_set1_epi8(c)));
  const auto hits = static_cast<unsigned>(_mm_movemask_epi8(any));
  return hits == 0 ? 16 : static_cast<std::size_t>(std::countr_zero(hits));
#else
  return scalar::first_of_in_16(p, a, b, c);
#endif
}

// The searches in pattern templates are short as a rule (a host name up to
// its '['): 16 bytes a compare here beat a memchr call (paired runs, tests/bench/RESULTS.md).
inline const char* find_byte(const char* p, const char* end, char c) {
#if defined(__SSE2__)
  const __m128i needle = _mm_set1_epi8(c);
  for (; end - p >= 16; p += 16) {
    const auto hits = static_cast<unsigned>(_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), needle)));
    if (hits != 0) return p + std::countr_zero(hits);
  }
#endif
  return scalar::find_byte(p, end, c);
}

// 16 bytes at p are readable, whatever n.
inline std::size_t last_in_16(const char* p, std::size_t n, char c) {
#if defined(__SSE2__)
  const auto hits = static_cast<unsigned>(_mm_movemask_epi8(
      _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), _mm_set1_epi8(c))));
  const unsigned below = hits & ((1u << n) - 1);
  return below == 0 ? 16 : static_cast<std::size_t>(31 - std::countl_zero(below));
#else
  return scalar::last_in_16(p, n, c);
#endif
}

inline unsigned mask_eq_16(const char* p, char c) {
#if defined(__SSE2__)
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c))));
#else
  return scalar::mask_eq_16(p, c);
#endif
}

inline unsigned mask_below_16(const char* p, char c) {
#if defined(__SSE2__)
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8(c))));
#else
  return scalar::mask_below_16(p, c);
#endif
}

// lo <= hi; both ASCII.
inline unsigned mask_in_16(const char* p, char lo, char hi) {
#if defined(__SSE2__)
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i in = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(static_cast<char>(lo - 1))),
                                   _mm_cmplt_epi8(v, _mm_set1_epi8(static_cast<char>(hi + 1))));
  return static_cast<unsigned>(_mm_movemask_epi8(in));
#else
  return scalar::mask_in_16(p, lo, hi);
#endif
}

// The digits converted a word at a time (little-endian targets).
inline bool digits_in_8(const char* p, unsigned& n, std::uint64_t& out) {
  if constexpr (std::endian::native != std::endian::little) {
    return scalar::digits_in_8(p, n, out);
  } else {
    constexpr std::uint64_t kZeros = 0x3030303030303030ULL;
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    const std::uint64_t x = w - kZeros;  // digits become 0..9
    // A byte is no digit when x is above 9 (then x + 0x76 sets its top bit)
    // or the subtraction wrapped (its own top bit). The lowest flag is exact.
    const std::uint64_t no_digit = ((x + 0x7676767676767676ULL) | x) & 0x8080808080808080ULL;
    if (no_digit == 0) return false;  // 8 digits
    const unsigned count = static_cast<unsigned>(std::countr_zero(no_digit)) / 8;
    if (count == 0) return false;
    // Left-align the digits: leading zero digits fill the rest.
    std::uint64_t v = x << (8 * (8 - count));
    v = v * 10 + (v >> 8);
    v = (((v & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
         (((v >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >>
        32;
    n = count;
    out = v;
    return true;
  }
}

// N bytes (9 to 24) compared as overlapping words: a libc memcmp call costs
// more than the compare itself for a stamp.
template <std::size_t N>
inline bool same_bytes(const char* a, const char* b) {
  static_assert(N > 8 && N <= 24);
  std::uint64_t a0, a1, a2, b0, b1, b2;
  std::memcpy(&a0, a, 8);
  std::memcpy(&b0, b, 8);
  std::memcpy(&a1, a + (N > 16 ? 8 : N - 8), 8);
  std::memcpy(&b1, b + (N > 16 ? 8 : N - 8), 8);
  std::memcpy(&a2, a + N - 8, 8);
  std::memcpy(&b2, b + N - 8, 8);
  return ((a0 ^ b0) | (a1 ^ b1) | (a2 ^ b2)) == 0;
}

// n bytes, where 8 are readable at b and `a_room` at a: under 8 bytes (an
// offset such as "+01:00") as one masked word.
inline bool same_bytes(const char* a, const char* b, std::size_t n, std::size_t a_room) {
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

}  // namespace pftls::byte_scan
