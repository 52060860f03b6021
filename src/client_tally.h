// client_tally: per-client-IP counts, in a flat open-addressing table.
//
// Contract: get(ip) returns the counts of `ip`, creating them at zero. One
// lookup per smtpd session; the table is small (thousands of IPs) but the
// log streaming past evicts caches, so it keeps a compact slot array of
// (hash, index) and the entries apart: a lookup costs about one cache miss
// instead of the three of a node-based map. take() hands the entries over
// and empties the table.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "event_sink.h"
#include "presence_filter.h"

namespace pftls {

class ClientTally {
 public:
  // The hash get() and contains() take; never 0 (0 marks an empty slot).
  static std::uint64_t hash(std::string_view ip) { return PresenceFilter::hash(0, ip) | 1; }

  ClientStats& get(std::string_view ip, std::uint64_t h) {
    if ((entries_.size() + 1) * 2 > slots_.size()) grow();
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.hash == 0) {
        s.hash = h;
        s.index = static_cast<std::uint32_t>(entries_.size());
        entries_.emplace_back(std::string(ip), ClientStats{});
        return entries_.back().second;
      }
      if (s.hash == h && entries_[s.index].first == ip) return entries_[s.index].second;
    }
  }
  std::size_t size() const { return entries_.size(); }
  bool contains(std::string_view ip) const {
    if (slots_.empty()) return false;
    std::uint64_t h = hash(ip);
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.hash == 0) return false;
      if (s.hash == h && entries_[s.index].first == ip) return true;
    }
  }
  ClientStatsList take() {
    ClientStatsList out = std::move(entries_);
    entries_.clear();
    slots_.assign(slots_.size(), Slot{});
    return out;
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t index = 0;
  };
  void grow() {
    std::vector<Slot> bigger(slots_.empty() ? 1024 : slots_.size() * 2);
    std::size_t mask = bigger.size() - 1;
    for (const Slot& s : slots_) {
      if (s.hash == 0) continue;
      std::size_t i = s.hash & mask;
      while (bigger[i].hash != 0) i = (i + 1) & mask;
      bigger[i] = s;
    }
    slots_.swap(bigger);
  }
  std::vector<Slot> slots_;
  ClientStatsList entries_;
};

}  // namespace pftls
