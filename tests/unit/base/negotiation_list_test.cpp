// negotiation_list: the stored form of a peer's negotiations read back as
// written, whatever bytes the log put in them; anything else refused.
#include "base/negotiation_list.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

namespace pftls {
namespace {

using Entry = std::tuple<std::string, std::string, std::int64_t>;

bool read(std::string_view text, std::vector<Entry>& out) {
  out.clear();
  return for_each_negotiation(text, [&](std::string_view p, std::string_view c, std::int64_t n) {
    out.emplace_back(std::string(p), std::string(c), n);
  });
}

TEST(NegotiationList, TheForm) {
  std::string text;
  append_negotiation(text, "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", 5);
  append_negotiation(text, "", "", 12);
  EXPECT_EQ(text, "7:TLSv1.2 27:ECDHE-RSA-AES256-GCM-SHA384 5;0: 0: 12;");
  std::vector<Entry> got;
  ASSERT_TRUE(read(text, got));
  EXPECT_EQ(got, (std::vector<Entry>{{"TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", 5}, {"", "", 12}}));
  ASSERT_TRUE(read("", got));
  EXPECT_TRUE(got.empty());
}

TEST(NegotiationList, AnyBytesReadBackAsWritten) {
  const std::vector<Entry> written = {{"1: ;", "2:  ;;", 1},
                                      {std::string("a\0b", 3), "\x1f\xff ", 9000000000},
                                      {" ", ":", 0},
                                      {std::string(128, ';'), std::string(128, ' '), 7}};
  std::string text;
  for (const auto& [p, c, n] : written) append_negotiation(text, p, c, n);
  std::vector<Entry> got;
  ASSERT_TRUE(read(text, got));
  EXPECT_EQ(got, written);
}

// Every cut of a list but those between entries is refused, as are
// lengths past the end and counts that are not numbers.
TEST(NegotiationList, CutsAndDamageAreRefused) {
  std::string text;
  append_negotiation(text, "TLSv1.3", "TLS_AES_128_GCM_SHA256", 31);
  append_negotiation(text, "TLSv1", "AES128-SHA", 2);
  const std::size_t between = text.find(';') + 1;
  std::vector<Entry> got;
  for (std::size_t cut = 1; cut < text.size(); ++cut) {
    if (cut == between) continue;
    EXPECT_FALSE(read(std::string_view(text).substr(0, cut), got)) << cut;
  }
  EXPECT_TRUE(read(std::string_view(text).substr(0, between), got));
  for (const char* bad : {"7:TLSv1.2 3:AES 5", "8:TLSv1.2 3:AES 5;", "7:TLSv1.2 99:AES 5;",
                          "7:TLSv1.2 3:AES x;", "7:TLSv1.2 3:AES -;", "-1:x 0: 1;", "x", ";"})
    EXPECT_FALSE(read(bad, got)) << bad;
}

}  // namespace
}  // namespace pftls
