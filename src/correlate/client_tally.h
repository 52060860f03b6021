// client_tally: per-client-IP counts and identity keys, in a flat
// open-addressing table.
//
// Contract: index_of(ip, hash) finds or creates the entry of `ip` and
// returns its index, valid until take(); at(index) gives its counts and its
// identity keys (subnet, registrable domain, computed once per IP). The
// table is small (thousands of IPs) but the log streaming past evicts
// caches, so it keeps a compact slot array of (hash, index) apart from the
// entries: a lookup costs about one cache miss, not the three of a
// node-based map. take() hands the counts over, empties the table and
// starts a new generation. prefetch_slot() and prefetch_entry() only start
// loads (hints, no effect on the contents): a session asks for its slot
// when its client IP is known and for its entry when it ends, so that the
// lookup when it is counted, a few sessions later, finds both in cache.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/cache_prefetch.h"
#include "correlate/records.h"
#include "base/presence_filter.h"

namespace pftls {

struct ClientKeys {
  bool known = false;  // computed
  std::string subnet;
  std::string org_domain;
  std::uint64_t subnet_hash = 0;
  std::uint64_t org_hash = 0;
};

class ClientTally {
 public:
  // The hash index_of() and contains() take; never 0 (0 marks an empty slot).
  static std::uint64_t hash(std::string_view s) { return PresenceFilter::hash(0, s) | 1; }

  std::size_t index_of(std::string_view ip, std::uint64_t h) {
    if ((entries_.size() + 1) * 2 > slots_.size()) grow();
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.hash == 0) {
        s.hash = h;
        s.index = entries_.size();
        entries_.push_back(Entry{std::string(ip), {}, {}});
        return s.index;
      }
      if (s.hash == h && entries_[s.index].ip == ip) return s.index;
    }
  }
  void prefetch_slot(std::uint64_t h) const {
    if (!slots_.empty()) prefetch_line(&slots_[h & (slots_.size() - 1)]);
  }
  // Reads the slots (prefetch_slot() made them cheap) and starts loading
  // the entry of h, if any.
  void prefetch_entry(std::uint64_t h) const {
    if (slots_.empty()) return;
    std::size_t mask = slots_.size() - 1;
    std::size_t index = entries_.size();
    for (std::size_t i = h & mask; slots_[i].hash != 0; i = (i + 1) & mask) {
      if (slots_[i].hash == h) {
        index = slots_[i].index;
        break;
      }
    }
    if (index >= entries_.size()) return;
    const char* e = reinterpret_cast<const char*>(&entries_[index]);
    for (std::size_t at = 0; at < sizeof(Entry); at += 64) prefetch_line(e + at);
    prefetch_line(e + sizeof(Entry) - 1);  // entries are not line-aligned
  }
  ClientStats& stats(std::size_t index) { return entries_[index].stats; }
  ClientKeys& keys(std::size_t index) { return entries_[index].keys; }
  std::size_t size() const { return entries_.size(); }
  std::uint64_t generation() const { return generation_; }
  bool contains(std::string_view ip) const {
    if (slots_.empty()) return false;
    std::uint64_t h = hash(ip);
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.hash == 0) return false;
      if (s.hash == h && entries_[s.index].ip == ip) return true;
    }
  }
  ClientStatsList take() {
    ClientStatsList out;
    out.reserve(entries_.size());
    for (auto& e : entries_) {
      if (e.stats.sessions == 0) continue;  // made only for its identity keys
      e.stats.org_domain = e.keys.org_domain;
      out.emplace_back(std::move(e.ip), std::move(e.stats));
    }
    entries_.clear();
    slots_.assign(slots_.size(), Slot{});
    ++generation_;
    return out;
  }

 private:
  struct Slot {  // 16 bytes: four to a cache line
    std::uint64_t hash = 0;
    std::uint64_t index = 0;
  };
  struct Entry {
    std::string ip;
    ClientStats stats;
    ClientKeys keys;
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
  std::vector<Entry> entries_;
  std::uint64_t generation_ = 0;
};

}  // namespace pftls
