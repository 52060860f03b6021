// hash: the hashing of pftls, in one place.
//
// Contract: tables hash with absl::Hash (seeded per process, so iteration
// order is not stable: nothing may depend on it). TextMap<V> is an absl
// flat hash map keyed by std::string that a std::string_view finds without
// a copy. Values that are shown or stored
// (redaction pseudonyms) use a keyed hash instead (report/evidence_report).
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/hash/hash.h>
#include <absl/strings/string_view.h>

#include <cstddef>
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

}  // namespace pftls
