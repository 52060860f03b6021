// strip_controls: C0, DEL and C1 controls go, everything else stays.
#include "base/text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pftls {
namespace {

TEST(StripControls, Table) {
  struct Case {
    const char* what;
    std::string in;
    std::string want;
  };
  const Case cases[] = {
      {"plain", "mx.example.org", "mx.example.org"},
      {"BEL", "a\x07z", "az"},
      {"NUL", std::string("a\0z", 3), "az"},
      {"TAB CR LF", "a\tb\rc\nd", "abcd"},
      {"DEL", "a\x7fz", "az"},
      {"C1 NEL U+0085", "a\xc2\x85z", "az"},
      {"C1 CSI U+009B",
       "a\xc2\x9b"
       "31mz",
       "a31mz"},
      {"C1 first U+0080", "a\xc2\x80z", "az"},
      {"C1 last U+009F", "a\xc2\x9fz", "az"},
      {"NBSP U+00A0 is not a control", "a\xc2\xa0z", "a\xc2\xa0z"},
      {"UTF-8 with C3 9F (sharp s) kept", "Grüße", "Grüße"},
      {"three-byte UTF-8 kept", "\xe2\x82\xac 5", "\xe2\x82\xac 5"},
      {"four-byte UTF-8 kept", "\xf0\x9f\x93\xa7", "\xf0\x9f\x93\xa7"},
      // A raw 0x9B is the 8-bit CSI of a VT220-style terminal.
      {"raw 8-bit CSI",
       "a\x9b"
       "31mz",
       "a\xef\xbf\xbd"
       "31mz"},
      {"Latin-1 byte",
       "Gr\xfc\xdf"
       "e",
       "Gr\xef\xbf\xbd\xef\xbf\xbd"
       "e"},
      {"overlong slash", "a\xc0\xafz", "a\xef\xbf\xbd\xef\xbf\xbdz"},
      {"surrogate", "a\xed\xa0\x80z", "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz"},
      {"truncated sequence at the end", "a\xe2\x82", "a\xef\xbf\xbd\xef\xbf\xbd"},
      {"RLO U+202E",
       "gpj.\xe2\x80\xae"
       "exe",
       "gpj.exe"},
      {"LRE U+202A", "a\xe2\x80\xaaz", "az"},
      {"PDF U+202C", "a\xe2\x80\xacz", "az"},
      {"LRI U+2066", "a\xe2\x81\xa6z", "az"},
      {"PDI U+2069", "a\xe2\x81\xa9z", "az"},
      {"U+2065 is no bidi control", "a\xe2\x81\xa5z", "a\xe2\x81\xa5z"},
      {"U+202F is no bidi control", "a\xe2\x80\xafz", "a\xe2\x80\xafz"},
      // Found by tests/fuzz/result_writer_fuzz: stripping the C0 between
      // C2 and 85 used to leave C2 85 (NEL) behind. Each stray byte is
      // U+FFFD now, so no C1 can be rebuilt.
      {"C1 not rebuilt across a stripped control", "a\xc2\x01\x85z", "a\xef\xbf\xbd\xef\xbf\xbdz"},
      {"C1 not rebuilt across DEL and ESC", "a\xc2\x7f\x1b\x9bz", "a\xef\xbf\xbd\xef\xbf\xbdz"},
  };
  for (const auto& c : cases) EXPECT_EQ(strip_controls(c.in), c.want) << c.what;
}

TEST(StripControls, EscapeSequenceLosesItsEscape) {
  const std::string got = strip_controls("\x1b[31mred\x1b[0m\x1b]0;title\x07");
  EXPECT_EQ(got.find('\x1b'), std::string::npos);
  EXPECT_EQ(got.find('\x07'), std::string::npos);
  EXPECT_NE(got.find("red"), std::string::npos);
}

TEST(EscapeBytes, Table) {
  struct Case {
    const char* what;
    std::string in;
    std::string want;
  };
  const Case cases[] = {
      {"plain", "connect from a.example[192.0.2.1]", "connect from a.example[192.0.2.1]"},
      {"ESC sequence", "a\x1b[2Jz", "a\\x1b[2Jz"},
      {"TAB and NUL", std::string("a\t\0z", 4), "a\\x09\\x00z"},
      {"DEL", "a\x7fz", "a\\x7fz"},
      {"raw 8-bit CSI",
       "a\x9b"
       "2Jz",
       "a\\x9b2Jz"},
      {"C1 CSI as UTF-8", "a\xc2\x9bz", "a\\xc2\\x9bz"},
      {"RLO",
       "a\xe2\x80\xae"
       "z",
       "a\\xe2\\x80\\xaez"},
      {"backslash itself", "a\\x41", "a\\x5cx41"},
      {"UTF-8 kept", "Gr\xc3\xbc\xc3\x9f \xe2\x82\xac", "Gr\xc3\xbc\xc3\x9f \xe2\x82\xac"},
  };
  for (const auto& c : cases) EXPECT_EQ(escape_bytes(c.in), c.want) << c.what;
}

TEST(EscapeBytes, EveryByteCanBeReadBack) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  const std::string shown = escape_bytes(all);
  std::string back;
  for (std::size_t i = 0; i < shown.size(); ++i) {
    if (shown[i] == '\\') {
      ASSERT_EQ(shown[i + 1], 'x');
      back.push_back(static_cast<char>(std::stoi(shown.substr(i + 2, 2), nullptr, 16)));
      i += 3;
    } else {
      back.push_back(shown[i]);
    }
  }
  EXPECT_EQ(back, all);
  EXPECT_EQ(strip_controls(shown), shown) << "the escaped text is all printable";
}

}  // namespace
}  // namespace pftls

namespace pftls {
namespace {

TEST(ClosestWord, NearMissesOnly) {
  const std::vector<std::string> words = {"incidents", "failures", "clients",
                                          "never-tls", "--since",  "--until"};
  EXPECT_EQ(closest_word("inicdents", words), "incidents");
  EXPECT_EQ(closest_word("INCIDENTS", words), "incidents");
  EXPECT_EQ(closest_word("failure", words), "failures");
  EXPECT_EQ(closest_word("--sinse", words), "--since");
  EXPECT_EQ(closest_word("--untill", words), "--until");
  EXPECT_EQ(closest_word("status", words), "");
  EXPECT_EQ(closest_word("", words), "");
  EXPECT_EQ(closest_word(std::string(100, 'a'), words), "");
}

TEST(SameIgnoringCase, AsciiOnly) {
  EXPECT_TRUE(same_ignoring_case("Europe/Berlin", "europe/BERLIN"));
  EXPECT_FALSE(same_ignoring_case("UTC", "UTC0"));
  EXPECT_FALSE(same_ignoring_case("\xc3\x84", "\xc3\xa4"));  // Ä, ä: not ASCII
}

// printable_ascii reads eight bytes at a time: every byte value at every
// place of strings of 1 to 24 printable bytes gives the byte loop's answer.
TEST(PrintableAscii, EveryByteAtEveryPlace) {
  const auto slow = [](const std::string& t) {
    for (const char ch : t) {
      const auto c = static_cast<unsigned char>(ch);
      if (c < 0x20 || c >= 0x7f) return false;
    }
    return true;
  };
  for (std::size_t size = 1; size <= 24; ++size) {
    std::string t(size, 'a');
    for (std::size_t at = 0; at < size; ++at) t[at] = static_cast<char>(0x20 + (at * 7) % 95);
    ASSERT_TRUE(printable_ascii(t)) << size;
    for (std::size_t at = 0; at < size; ++at) {
      const char keep = t[at];
      for (int b = 0; b < 256; ++b) {
        t[at] = static_cast<char>(b);
        ASSERT_EQ(printable_ascii(t), slow(t)) << size << " " << at << " " << b;
      }
      t[at] = keep;
    }
  }
  EXPECT_TRUE(printable_ascii(""));
  EXPECT_FALSE(printable_ascii(std::string("abcdefgh\x7f") + "ijklmnop"));
  EXPECT_FALSE(printable_ascii("abcdefghijklmnop\x1f"));
}

}  // namespace
}  // namespace pftls
