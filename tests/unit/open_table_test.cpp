// Unit tests for open_table: against std::unordered_map under random
// inserts, replacements and erases, including a hash that collides a lot
// (long probe runs that wrap around the end of the array).
#include "base/open_table.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <unordered_map>

namespace pftls {
namespace {

struct Mixed {
  std::size_t operator()(std::uint32_t k) const noexcept {
    std::uint64_t h = k * 0x9E3779B97F4A7C15ULL;
    return static_cast<std::size_t>(h ^ (h >> 29));
  }
};
// Eight home slots for every key: most entries sit away from home.
struct Colliding {
  std::size_t operator()(std::uint32_t k) const noexcept { return (k % 8) * 127 + 1020; }
};

template <typename H>
void check_against_reference(std::uint32_t seed, std::uint32_t key_range, int steps) {
  OpenTable<std::uint32_t, int, H> table;
  std::unordered_map<std::uint32_t, int> ref;
  std::mt19937 rng(seed);
  for (int step = 0; step < steps; ++step) {
    const std::uint32_t key = static_cast<std::uint32_t>(rng() % key_range);
    const int value = static_cast<int>(rng() % 1000);
    switch (rng() % 3) {
      case 0:
      case 1:
        table.insert(key, value);
        ref[key] = value;
        break;
      default: {
        auto got = table.erase(key);
        auto it = ref.find(key);
        ASSERT_EQ(got.has_value(), it != ref.end()) << "step " << step;
        if (it != ref.end()) {
          EXPECT_EQ(*got, it->second);
          ref.erase(it);
        }
      }
    }
    ASSERT_EQ(table.size(), ref.size()) << "step " << step;
    if (step % 97 == 0) {
      for (std::uint32_t k = 0; k < key_range; ++k) {
        int* v = table.find(k);
        auto it = ref.find(k);
        ASSERT_EQ(v != nullptr, it != ref.end()) << "key " << k << " step " << step;
        if (v) {
          EXPECT_EQ(*v, it->second);
        }
      }
    }
  }
  std::size_t seen = 0;
  table.for_each([&](std::uint32_t k, int v) {
    ++seen;
    auto it = ref.find(k);
    ASSERT_NE(it, ref.end());
    EXPECT_EQ(v, it->second);
  });
  EXPECT_EQ(seen, ref.size());
}

TEST(OpenTable, MatchesAReferenceMap) { check_against_reference<Mixed>(1, 5000, 60000); }
TEST(OpenTable, MatchesAReferenceMapUnderCollisions) { check_against_reference<Colliding>(2, 700, 20000); }

TEST(OpenTable, EmptyTable) {
  OpenTable<std::uint32_t, int, Mixed> table;
  EXPECT_TRUE(table.empty());
  EXPECT_EQ(table.find(3), nullptr);
  EXPECT_FALSE(table.erase(3).has_value());
}

TEST(OpenTable, InsertReplacesAndErasedKeysAreGone) {
  OpenTable<std::uint32_t, int, Colliding> table;
  for (std::uint32_t k = 0; k < 3000; ++k) table.insert(k, static_cast<int>(k));
  table.insert(42, -1);
  EXPECT_EQ(table.size(), 3000u);
  EXPECT_EQ(*table.find(42), -1);
  for (std::uint32_t k = 0; k < 3000; k += 2) EXPECT_TRUE(table.erase(k).has_value());
  for (std::uint32_t k = 0; k < 3000; ++k) {
    if (k % 2 == 0) {
      EXPECT_EQ(table.find(k), nullptr) << k;
    } else {
      ASSERT_NE(table.find(k), nullptr) << k;
      EXPECT_EQ(*table.find(k), static_cast<int>(k));
    }
  }
  EXPECT_EQ(table.size(), 1500u);
}

}  // namespace
}  // namespace pftls
