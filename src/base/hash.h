// hash: the hashing of pftls, in one place.
//
// Contract: tables hash with absl::Hash (seeded per process, so iteration
// order is not stable: nothing may depend on it). TextMap<V> is an absl
// flat hash map keyed by std::string that a std::string_view finds without
// a copy. stable_hash(seed, text) is the 64-bit FNV-1a of the bytes with
// `seed` folded into the offset basis: the same on every run and build, so
// a value derived from it may be stored or shown; it is not keyed, so it is
// no defence against chosen input and never a secret.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/hash/hash.h>
#include <absl/strings/string_view.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pftls {

struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const {
    return absl::Hash<absl::string_view>{}(absl::string_view(s.data(), s.size()));
  }
};
struct TextEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};
template <typename V>
using TextMap = absl::flat_hash_map<std::string, V, TextHash, TextEq>;

inline std::uint64_t stable_hash(std::uint64_t seed, std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL ^ seed;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace pftls
