// Unit tests for byte_scan: every function against its byte-at-a-time twin
// (byte_scan::scalar), on random bytes and on buffers with the byte sought
// at every position, for every length the function accepts.
#include "base/byte_scan.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../xorshift.h"

namespace pftls {
namespace {

namespace scalar = byte_scan::scalar;

// Random buffers of 32 bytes over a small alphabet (so that the bytes sought
// are frequent), with the bytes the callers look for among them.
std::vector<std::string> buffers() {
  const std::string alphabet = "[]/: 0123456789ab\x80\xff";
  test_inputs::XorShift64 next(0xC0FFEE1234567ULL);
  std::vector<std::string> out;
  for (int i = 0; i < 20000; ++i) {
    std::string b(32, 'x');
    const std::size_t density = 1 + next() % 8;
    for (char& c : b)
      if (next() % density == 0) c = alphabet[next() % alphabet.size()];
    out.push_back(b);
  }
  // Edge inputs: none of the bytes, each byte alone at every position.
  out.emplace_back(32, 'x');
  for (char c : std::string("[/: 5")) {
    for (std::size_t at = 0; at < 32; ++at) {
      std::string b(32, 'x');
      b[at] = c;
      out.push_back(b);
    }
  }
  return out;
}

TEST(ByteScan, FirstIn16AgreesWithScalar) {
  for (const std::string& b : buffers()) {
    for (char c : {' ', '[', '/', '\xff'}) {
      ASSERT_EQ(byte_scan::first_in_16(b.data(), c), scalar::first_in_16(b.data(), c)) << b;
      ASSERT_EQ(byte_scan::first_in_16(b.data() + 5, c), scalar::first_in_16(b.data() + 5, c)) << b;
    }
  }
  EXPECT_EQ(scalar::first_in_16("abcdefghijklmnop", 'a'), 0u);
  EXPECT_EQ(scalar::first_in_16("abcdefghijklmnop", 'p'), 15u);
  EXPECT_EQ(scalar::first_in_16("abcdefghijklmnopq", 'q'), 16u);  // past the 16
}

TEST(ByteScan, FindByteAgreesWithScalarOnEveryRange) {
  for (const std::string& b : buffers()) {
    for (std::size_t from = 0; from <= b.size(); ++from) {
      for (std::size_t to = from; to <= b.size(); ++to) {
        for (char c : {'[', ' ', '\xff'}) {
          const char* p = b.data() + from;
          const char* end = b.data() + to;
          ASSERT_EQ(byte_scan::find_byte(p, end, c), scalar::find_byte(p, end, c))
              << b << " [" << from << "," << to << ")";
        }
      }
    }
  }
  const std::string text = "mail.example.org[192.0.2.1]";
  EXPECT_EQ(scalar::find_byte(text.data(), text.data() + text.size(), '['), text.data() + 16);
  EXPECT_EQ(scalar::find_byte(text.data(), text.data() + 16, '['), nullptr);  // end excluded
}

TEST(ByteScan, FirstOfIn16AgreesWithScalar) {
  for (const std::string& b : buffers()) {
    for (std::size_t off : {0u, 3u, 16u}) {
      const char* p = b.data() + off;
      ASSERT_EQ(byte_scan::first_of_in_16(p, '[', ' ', ':'),
                scalar::first_of_in_16(p, '[', ' ', ':'))
          << b;
    }
  }
  EXPECT_EQ(scalar::first_of_in_16("smtpd[12]: x....", '[', ' ', ':'), 5u);
  EXPECT_EQ(scalar::first_of_in_16("smtpd: [x.......", '[', ' ', ':'), 5u);
  EXPECT_EQ(scalar::first_of_in_16("abcdefghijklmnop[", '[', ' ', ':'), 16u);
}

TEST(ByteScan, MasksAgreeWithScalar) {
  for (const std::string& b : buffers()) {
    for (std::size_t off : {0u, 7u, 16u}) {
      const char* p = b.data() + off;
      for (char c : {':', '0', ' ', '['}) {
        ASSERT_EQ(byte_scan::mask_eq_16(p, c), scalar::mask_eq_16(p, c)) << b;
        ASSERT_EQ(byte_scan::mask_below_16(p, c), scalar::mask_below_16(p, c)) << b;
      }
      ASSERT_EQ(byte_scan::mask_in_16(p, '0', '9'), scalar::mask_in_16(p, '0', '9')) << b;
      ASSERT_EQ(byte_scan::mask_in_16(p, 'A', 'F'), scalar::mask_in_16(p, 'A', 'F')) << b;
      ASSERT_EQ(byte_scan::mask_in_16(p, 'a', 'b'), scalar::mask_in_16(p, 'a', 'b')) << b;
    }
  }
  // The scalar twins themselves: a byte >= 0x80 is below '0' and in no range.
  const char* s =  // 16 bytes
      "09:\x80"
      "AF x/[19aZ!!";
  EXPECT_EQ(scalar::mask_eq_16(s, ':'), 1u << 2);
  EXPECT_EQ(scalar::mask_below_16(s, '0'), (1u << 3) | (1u << 6) | (1u << 8) | (3u << 14));
  EXPECT_EQ(scalar::mask_in_16(s, '0', '9'), 0b11u | (1u << 10) | (1u << 11));
  EXPECT_EQ(scalar::mask_in_16(s, 'A', 'F'), (1u << 4) | (1u << 5));
}

TEST(ByteScan, LastIn16AgreesWithScalarForEveryLength) {
  for (const std::string& b : buffers()) {
    for (std::size_t n = 0; n <= 16; ++n) {
      ASSERT_EQ(byte_scan::last_in_16(b.data(), n, '/'), scalar::last_in_16(b.data(), n, '/'))
          << b << " n=" << n;
    }
  }
  EXPECT_EQ(scalar::last_in_16("a/b/c/..........", 5, '/'), 3u);
  EXPECT_EQ(scalar::last_in_16("a/b/c/..........", 6, '/'), 5u);
  EXPECT_EQ(scalar::last_in_16("abc/............", 3, '/'), 16u);  // only the first n count
}

TEST(ByteScan, DigitsIn8AgreesWithScalar) {
  std::vector<std::string> words;
  for (const std::string& b : buffers()) words.push_back(b.substr(9, 8));  // digits are frequent
  for (std::size_t len = 0; len <= 8; ++len) {
    // '/' and ':' are the bytes just below '0' and just above '9'.
    for (char stop : {']', '/', ':', '\x80', '\0'}) {
      std::string w = std::string("98765432").substr(0, len) + std::string(8 - len, stop);
      words.push_back(w);
    }
  }
  for (const std::string& w : words) {
    unsigned n1 = 99, n2 = 99;
    std::uint64_t v1 = 7, v2 = 7;
    const bool r1 = byte_scan::digits_in_8(w.data(), n1, v1);
    const bool r2 = scalar::digits_in_8(w.data(), n2, v2);
    ASSERT_EQ(r1, r2) << w;
    ASSERT_EQ(n1, n2) << w;
    ASSERT_EQ(v1, v2) << w;
  }
  unsigned n = 0;
  std::uint64_t v = 0;
  ASSERT_TRUE(scalar::digits_in_8("4021]: m", n, v));
  EXPECT_EQ(n, 4u);
  EXPECT_EQ(v, 4021u);
  EXPECT_FALSE(scalar::digits_in_8("12345678", n, v));  // 8 digits: not decided in one word
  EXPECT_FALSE(scalar::digits_in_8("]1234567", n, v));  // none
}

TEST(ByteScan, SameBytesAgreesWithMemcmp) {
  test_inputs::XorShift64 next(0x5EED);
  for (int i = 0; i < 20000; ++i) {
    std::string a(32, 'a');
    for (char& c : a) c = static_cast<char>('a' + next() % 3);
    std::string b = a;
    if (next() % 2 == 0) b[next() % 32] = static_cast<char>('a' + next() % 3);
    ASSERT_EQ(byte_scan::same_bytes<15>(a.data(), b.data()),
              scalar::same_bytes(a.data(), b.data(), 15));
    ASSERT_EQ(byte_scan::same_bytes<19>(a.data(), b.data()),
              scalar::same_bytes(a.data(), b.data(), 19));
    for (std::size_t n = 0; n <= 12; ++n) {
      for (std::size_t room : {n, std::size_t{8}, std::size_t{16}}) {
        if (room < n) continue;
        ASSERT_EQ(byte_scan::same_bytes(a.data(), b.data(), n, room),
                  scalar::same_bytes(a.data(), b.data(), n))
            << a << " " << b << " n=" << n;
      }
    }
  }
  // A difference in each byte position, inside and just outside the N.
  for (std::size_t at = 0; at < 20; ++at) {
    std::string a(24, 'k'), b(24, 'k');
    b[at] = 'z';
    EXPECT_EQ(byte_scan::same_bytes<15>(a.data(), b.data()), at >= 15) << at;
    EXPECT_EQ(byte_scan::same_bytes<19>(a.data(), b.data()), at >= 19) << at;
  }
}

}  // namespace
}  // namespace pftls
