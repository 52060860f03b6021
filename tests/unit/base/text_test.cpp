// strip_controls: C0, DEL and C1 controls go, everything else stays.
#include "base/text.h"

#include <gtest/gtest.h>

#include <string>

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
      // Found by tests/fuzz/result_writer_fuzz: stripping the C0 between
      // C2 and 85 used to leave C2 85 (NEL) behind.
      {"C1 not rebuilt across a stripped control", "a\xc2\x01\x85z", "az"},
      {"C1 not rebuilt across DEL and ESC", "a\xc2\x7f\x1b\x9bz", "az"},
  };
  for (const auto& c : cases) EXPECT_EQ(strip_controls(c.in), c.want) << c.what;
}

TEST(StripControls, EscapeSequenceLosesItsEscape) {
  const std::string got = strip_controls("\x1b[31mred\x1b[0m\x1b]0;title\x07");
  EXPECT_EQ(got.find('\x1b'), std::string::npos);
  EXPECT_EQ(got.find('\x07'), std::string::npos);
  EXPECT_NE(got.find("red"), std::string::npos);
}

}  // namespace
}  // namespace pftls
