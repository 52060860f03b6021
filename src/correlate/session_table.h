// session_table: the open smtpd sessions, by (host, syslog name, pid).
//
// Contract: open() starts a session for a key that has none; take()
// removes one and hands it over; recycle() takes a finished session back
// so the next open() reuses its buffers. Bounded: full() says when
// max_open sessions are open, and to_close() names the ones to close, in
// the order of their last activity: every session idle longer than
// `idle`, then the least recently active until half the bound is left.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include "base/name_interner.h"
#include "correlate/evidence_buffer.h"
#include "correlate/records.h"

namespace pftls {

using SessionKey = ProcessKey;

struct Session {
  SessionRecord rec;
  std::uint32_t host = 0;    // interned mx host; rec.mx_host is filled when stored
  std::uint32_t syslog = 0;  // interned syslog name; likewise rec.syslog_name
  Micros last_seen = 0;
  // Whether rec.client_ip was watched by IP at ip_watch_at, as of WatchList
  // generation ip_watch_gen.
  std::uint64_t ip_watch_gen = UINT64_MAX;
  Micros ip_watch_at = 0;
  bool ip_watched = false;
  SessionEvidence evidence;
};

class SessionTable {
 public:
  SessionTable(std::size_t max_open, Micros idle) : max_open_(max_open), idle_(idle) {}

  Session* find(const SessionKey& key) {
    auto it = open_.find(key);
    return it == open_.end() ? nullptr : it->second.get();
  }
  Session& open(const SessionKey& key);
  std::unique_ptr<Session> take(const SessionKey& key);
  void recycle(std::unique_ptr<Session> s);
  bool full() const { return open_.size() >= max_open_; }
  std::vector<std::pair<Micros, SessionKey>> to_close(Micros now) const;
  template <typename F>
  void for_each(F&& f) {
    for (auto& [key, s] : open_) f(*s);
  }

 private:
  std::size_t max_open_;
  Micros idle_;
  absl::flat_hash_map<SessionKey, std::unique_ptr<Session>> open_;
  std::vector<std::unique_ptr<Session>> spare_;
};

}  // namespace pftls
