// external_sort: the order of std::stable_sort for any memory budget (one
// run in memory or hundreds in the temporary file), records larger than a
// read buffer, an early stop, and a clear error when $TMPDIR cannot hold
// the file.
#include "base/external_sort.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "../xorshift.h"

namespace pftls {
namespace {

using Record = std::pair<std::string, std::string>;

// Keys over a small alphabet (bytes 0 and 255 included), so that equal
// keys and keys that are prefixes of others are common.
std::vector<Record> generated(std::size_t n, std::uint64_t seed) {
  test_inputs::XorShift64 next(seed);
  std::vector<Record> out;
  for (std::size_t i = 0; i < n; ++i) {
    std::string key(next() % 4, '\0');
    for (char& c : key) c = "\x00\x01\x7f\x80\xff"[next() % 5];
    std::string payload = std::to_string(i) + std::string(next() % 40, 'p');
    out.emplace_back(std::move(key), std::move(payload));
  }
  return out;
}

std::vector<Record> sorted_by(std::size_t budget, const std::vector<Record>& in,
                              std::size_t* runs = nullptr) {
  ExternalSorter sorter(budget);
  for (const auto& [k, p] : in) sorter.add(k, p);
  EXPECT_EQ(sorter.records(), in.size());
  if (runs != nullptr) *runs = sorter.runs();
  std::vector<Record> out;
  sorter.drain([&](std::string_view k, std::string_view p) {
    out.emplace_back(std::string(k), std::string(p));
    return true;
  });
  return out;
}

std::vector<Record> reference(std::vector<Record> in) {
  std::stable_sort(in.begin(), in.end(), [](const Record& a, const Record& b) {
    return std::string_view(a.first) < std::string_view(b.first);
  });
  return in;
}

TEST(ExternalSort, SameOrderAsStableSortForAnyBudget) {
  const auto in = generated(20000, 7);
  const auto want = reference(in);
  for (const std::size_t budget : {std::size_t{1} << 30, std::size_t{1} << 16, std::size_t{2000}}) {
    std::size_t runs = 0;
    EXPECT_EQ(sorted_by(budget, in, &runs), want) << "budget " << budget;
    if (budget == std::size_t{1} << 30) {
      EXPECT_EQ(runs, 0u);  // in memory, no file
    } else if (budget == 2000) {
      EXPECT_GT(runs, 200u);
    }
  }
}

TEST(ExternalSort, RecordsLargerThanTheBudgetAndTheReadBuffer) {
  std::vector<Record> in;
  for (int i = 0; i < 5; ++i)
    in.emplace_back(
        std::string(1, static_cast<char>('e' - i)),
        std::string(3 * ExternalSorter::kMinReadBuffer + static_cast<std::size_t>(i), 'x'));
  std::size_t runs = 0;
  EXPECT_EQ(sorted_by(100, in, &runs), reference(in));
  EXPECT_EQ(runs, 5u);
}

TEST(ExternalSort, StopsWhenAsked) {
  ExternalSorter sorter(64);
  for (int i = 9; i >= 0; --i) sorter.add(std::to_string(i), "");
  std::vector<std::string> seen;
  sorter.drain([&](std::string_view k, std::string_view) {
    seen.emplace_back(k);
    return seen.size() < 3;
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_THROW(sorter.add("x", ""), std::logic_error);
}

TEST(ExternalSort, EmptyGivesNothing) {
  ExternalSorter sorter(64);
  bool called = false;
  sorter.drain([&](std::string_view, std::string_view) { return called = true; });
  EXPECT_FALSE(called);
}

TEST(ExternalSort, AnUnusableTempDirIsNamed) {
  const char* old = std::getenv("TMPDIR");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("TMPDIR", "/nonexistent/pftls-test", 1);
  ExternalSorter sorter(16);
  try {
    for (int i = 0; i < 10; ++i) sorter.add("key", "payload");
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/pftls-test"), std::string::npos) << e.what();
  }
  if (old != nullptr) {
    ::setenv("TMPDIR", saved.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
}

}  // namespace
}  // namespace pftls
