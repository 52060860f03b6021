// watch_list: per host and kind, a map of keys to their expiry.
#include "correlate/watch_list.h"

#include <algorithm>

namespace pftls {

bool WatchList::watch(std::uint32_t host, WatchKind kind, std::string_view key, Micros until) {
  if (key.empty()) return true;
  if (host >= by_host_.size()) by_host_.resize(host + 1);
  auto& keys = by_host_[host][index(kind)];
  if (kind == WatchKind::kIp) ++ip_generation_;
  auto it = keys.find(key);
  if (it != keys.end()) {
    it->second = std::max(it->second, until);
    return true;
  }
  if (size_ >= max_keys_) return false;
  keys.emplace(key, until);
  ++size_;
  return true;
}

bool WatchList::watched(std::uint32_t host, WatchKind kind, std::string_view key,
                        Micros now) const {
  if (key.empty() || !any(host, kind)) return false;
  const auto& keys = by_host_[host][index(kind)];
  auto it = keys.find(key);
  return it != keys.end() && it->second >= now;
}

}  // namespace pftls
