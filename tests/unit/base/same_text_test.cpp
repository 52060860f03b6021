// Unit tests for same_text: equal to string_view's == for every length up
// to past its word paths, with a difference at each position.
#include "base/same_text.h"

#include <gtest/gtest.h>

#include <string>

namespace pftls {
namespace {

TEST(SameText, AgreesWithEqualityAtEveryLengthAndPosition) {
  for (std::size_t n = 0; n <= 40; ++n) {
    // Both strings inside larger buffers with different bytes around them:
    // same_text may read only the n bytes.
    std::string a = "[[[[[[[[" + std::string(n, 'x') + "]]]]]]]]";
    std::string b = "{{{{{{{{" + std::string(n, 'x') + "}}}}}}}}";
    for (std::size_t i = 0; i < n; ++i) a[8 + i] = b[8 + i] = static_cast<char>('a' + (i * 7) % 26);
    const std::string_view va(a.data() + 8, n), vb(b.data() + 8, n);
    EXPECT_TRUE(same_text(va, vb)) << n;
    for (std::size_t i = 0; i < n; ++i) {
      for (char d : {'\0', '\x80', '\xff', 'Z'}) {
        std::string c = b;
        if (c[8 + i] == d) continue;
        c[8 + i] = d;
        const std::string_view vc(c.data() + 8, n);
        EXPECT_FALSE(same_text(va, vc)) << "length " << n << ", byte " << i;
        EXPECT_FALSE(same_text(vc, va)) << "length " << n << ", byte " << i;
      }
    }
    if (n > 0) {
      EXPECT_FALSE(same_text(va, va.substr(0, n - 1))) << n;  // lengths differ
      EXPECT_FALSE(same_text(va.substr(1), va.substr(0, n - 1)) &&
                   va.substr(1) != va.substr(0, n - 1))
          << n;
    }
  }
  EXPECT_TRUE(same_text("", ""));
  EXPECT_TRUE(same_text("smtpd", "smtpd"));
  EXPECT_FALSE(same_text("smtpd", "smtp"));
  EXPECT_FALSE(same_text("postfix-in", "postfix-on"));
}

}  // namespace
}  // namespace pftls
