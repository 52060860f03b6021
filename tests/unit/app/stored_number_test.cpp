// stored_number: settings that read as numbers, and a damaged one refused.
#include "store/stored_number.h"

#include <gtest/gtest.h>

namespace pftls {
namespace {

struct Case {
  const char* text;
  bool ok;
  std::uint64_t value;
};

class StoredNumber : public ::testing::TestWithParam<Case> {};

TEST_P(StoredNumber, ReadsTheWholeTextOrRefusesIt) {
  const Case& c = GetParam();
  if (c.ok) {
    EXPECT_EQ(parse_stored_number<std::uint64_t>("k", std::string(c.text)), c.value);
  } else {
    EXPECT_THROW(parse_stored_number<std::uint64_t>("k", std::string(c.text)), StoreError);
  }
}

INSTANTIATE_TEST_SUITE_P(Texts, StoredNumber,
                         ::testing::Values(Case{"0", true, 0}, Case{"42", true, 42},
                                           Case{"18446744073709551615", true, UINT64_MAX},
                                           Case{"18446744073709551616", false, 0},
                                           Case{"", false, 0}, Case{"12x", false, 0},
                                           Case{" 1", false, 0}, Case{"-1", false, 0},
                                           Case{"x", false, 0}));

TEST(StoredNumberMissing, NothingStoredIsNoNumber) {
  EXPECT_EQ(parse_stored_number<std::int64_t>("k", std::nullopt), std::nullopt);
}

TEST(StoredNumberMessage, NamesTheKeyAndStripsControls) {
  try {
    parse_stored_number<std::int64_t>("next_ord", std::string("1\x1b[2J"));
    FAIL() << "no exception";
  } catch (const StoreError& e) {
    EXPECT_STREQ(e.what(), "damaged database: setting next_ord is not a number: '1[2J'");
  }
}

}  // namespace
}  // namespace pftls
