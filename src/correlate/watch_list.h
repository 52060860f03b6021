// watch_list: the clients that failed on a host, and until when they stay
// watched.
//
// Contract: a client is watched per host by IP, by subnet or by registrable
// domain (WatchKind; the last two serve --match subnet|org). watch() sets
// or extends a key's expiry (the later one wins); watched() is true while
// `now` is not past it. Empty keys are never watched. Bounded: beyond
// max_keys watch() refuses a new key and returns false; keys are not
// dropped before the run ends. ip_generation() changes with every by-IP
// watch, so a caller may remember an answer until it changes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/hash.h"
#include "base/log_time.h"

namespace pftls {

enum class WatchKind : std::uint8_t { kIp = 0, kSubnet = 1, kOrg = 2 };

class WatchList {
 public:
  explicit WatchList(std::size_t max_keys) : max_keys_(max_keys) {}

  bool watch(std::uint32_t host, WatchKind kind, std::string_view key, Micros until);
  bool watched(std::uint32_t host, WatchKind kind, std::string_view key, Micros now) const;
  // Whether any key of that kind is watched on the host.
  bool any(std::uint32_t host, WatchKind kind) const {
    return host < by_host_.size() && !by_host_[host][index(kind)].empty();
  }
  std::uint64_t ip_generation() const { return ip_generation_; }

 private:
  static std::size_t index(WatchKind kind) { return static_cast<std::size_t>(kind); }

  std::size_t max_keys_;
  std::size_t size_ = 0;
  std::uint64_t ip_generation_ = 0;
  // By host id, by kind: key -> watched until.
  std::vector<std::array<TextMap<Micros>, 3>> by_host_;
};

}  // namespace pftls
