// client_tally: per-client-IP counts, and each IP's identity keys.
//
// Contract: entry(ip) finds or makes the entry of `ip`; a reference to it
// stays valid until entry() is next asked for a new IP. Its keys (subnet,
// registrable domain) are computed by the caller. Bounded:
// when max_clients IPs are held and a new one comes, every count is first
// handed to the sink (counts add up there) and the table starts empty;
// flushed() counts the IPs so handed over early. flush() hands over the
// rest at the end of a run. Entries made only for their keys (no session
// counted) are not handed over.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "base/hash.h"
#include "correlate/records.h"

namespace pftls {

// An IP's subnet (computed once) and the registrable domain of the latest
// name it was seen with (Postfix's "unknown" names none), as a run over
// the whole log and a run per piece of it see alike.
struct ClientKeys {
  bool known = false;  // subnet computed
  std::string subnet;
  std::string named_by;  // the name org_domain comes from; empty: none yet
  std::string org_domain;
};

class ClientTally {
 public:
  struct Entry {
    ClientStats stats;
    ClientKeys keys;
  };

  ClientTally(EventSink& sink, std::size_t max_clients) : sink_(sink), max_clients_(max_clients) {}

  Entry& entry(std::string_view ip) {
    auto it = entries_.find(ip);
    if (it != entries_.end()) return it->second;
    if (entries_.size() >= max_clients_) flushed_ += hand_over();
    return entries_.try_emplace(ip).first->second;
  }
  void flush() { hand_over(); }
  std::uint64_t flushed() const { return flushed_; }

 private:
  // Handed over in chunks, so the copy never doubles the table's memory.
  std::size_t hand_over() {
    constexpr std::size_t kChunk = 4096;
    ClientStatsList out;
    out.reserve(std::min(entries_.size(), kChunk));
    std::size_t n = 0;
    for (auto& [ip, e] : entries_) {
      if (e.stats.sessions == 0) continue;  // made only for its identity keys
      out.emplace_back(ip, std::move(e.stats));
      if (out.size() == kChunk) {
        sink_.add_client_stats(out);
        n += out.size();
        out.clear();
      }
    }
    entries_.clear();
    sink_.add_client_stats(out);
    return n + out.size();
  }

  EventSink& sink_;
  std::size_t max_clients_;
  std::uint64_t flushed_ = 0;
  TextMap<Entry> entries_;
};

}  // namespace pftls
