// session_table: a flat hash map of open sessions, with spares to reuse.
#include "correlate/session_table.h"

#include <algorithm>
#include <tuple>

namespace pftls {

namespace {
constexpr std::size_t kMaxSpare = 256;
}  // namespace

Session& SessionTable::open(const SessionKey& key) {
  std::unique_ptr<Session> s;
  if (spare_.empty()) {
    s = std::make_unique<Session>();
  } else {
    s = std::move(spare_.back());
    spare_.pop_back();
  }
  s->host = key.host;
  s->syslog = key.syslog_name;
  Session& out = *s;
  open_.insert_or_assign(key, std::move(s));
  return out;
}

std::unique_ptr<Session> SessionTable::take(const SessionKey& key) {
  auto it = open_.find(key);
  if (it == open_.end()) return nullptr;
  std::unique_ptr<Session> s = std::move(it->second);
  open_.erase(it);
  return s;
}

void SessionTable::recycle(std::unique_ptr<Session> s) {
  if (spare_.size() >= kMaxSpare) return;
  s->rec = SessionRecord{};
  s->last_seen = 0;
  s->ip_watch_gen = UINT64_MAX;
  s->ip_watch_at = 0;
  s->ip_watched = false;
  s->evidence.clear();  // keeps its buffers' capacity
  spare_.push_back(std::move(s));
}

std::vector<std::pair<Micros, SessionKey>> SessionTable::to_close(Micros now) const {
  std::vector<std::pair<Micros, SessionKey>> order;
  order.reserve(open_.size());
  for (const auto& [key, s] : open_) order.emplace_back(s->last_seen, key);
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) {  // ties in key order: the same run every time
              return std::tie(a.first, a.second.host, a.second.syslog_name, a.second.pid) <
                     std::tie(b.first, b.second.host, b.second.syslog_name, b.second.pid);
            });
  const std::size_t target = max_open_ / 2;
  std::size_t remaining = order.size();
  std::size_t n = 0;
  for (const auto& entry : order) {
    if (remaining <= target && entry.first >= now - idle_) break;
    ++n;
    --remaining;
  }
  order.resize(n);
  return order;
}

}  // namespace pftls
