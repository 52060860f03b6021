// presence_filter: the stable text hash under the name report/ still uses
// for redaction pseudonyms; base/hash.h is the hash itself.
//
// Contract: PresenceFilter::hash(seed, key) == stable_hash(seed, key).
#pragma once

#include <cstdint>
#include <string_view>

#include "base/hash.h"

namespace pftls {

struct PresenceFilter {
  static std::uint64_t hash(std::uint64_t seed, std::string_view key) {
    return stable_hash(seed, key);
  }
};

}  // namespace pftls
