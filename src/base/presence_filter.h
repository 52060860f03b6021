// presence_filter: a counting Bloom filter that answers "certainly not
// present" for most lookups without touching a hash table. The correlator
// puts it in front of the followed queue ids and the watched client IPs,
// which are few, while every queue line and every message asks.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace pftls {

class PresenceFilter {
 public:
  static std::uint64_t hash(std::uint64_t seed, std::string_view key) {
    std::uint64_t h = 0xcbf29ce484222325ULL ^ seed;  // FNV-1a
    for (char c : key) {
      h ^= static_cast<unsigned char>(c);
      h *= 0x100000001b3ULL;
    }
    return h;
  }
  void add(std::uint64_t h) {
    auto& a = counts_[h & kMask];
    auto& b = counts_[(h >> 32) & kMask];
    if (a < UINT16_MAX) ++a;
    if (b < UINT16_MAX) ++b;
  }
  void remove(std::uint64_t h) {
    auto& a = counts_[h & kMask];
    auto& b = counts_[(h >> 32) & kMask];
    if (a > 0 && a < UINT16_MAX) --a;  // a saturated counter stays: no false negatives
    if (b > 0 && b < UINT16_MAX) --b;
  }
  bool may_contain(std::uint64_t h) const {
    return counts_[h & kMask] != 0 && counts_[(h >> 32) & kMask] != 0;
  }

 private:
  static constexpr std::size_t kSize = 1 << 14;
  static constexpr std::uint64_t kMask = kSize - 1;
  std::array<std::uint16_t, kSize> counts_{};
};

}  // namespace pftls
