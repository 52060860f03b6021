// tls_tally: what TLS sessions negotiated, counted per (direction, host,
// peer IP, protocol, cipher, bits, trust) for the TLS inventory.
//
// Contract: add() counts one session at time `t`. Bounded like ClientTally:
// when max_rows keys are held and a new one comes, every count is first
// handed to the sink (counts add up there, first and last seen widen) and
// the table starts empty; flush() hands over the rest at the end of a run.
// A run cut anywhere, or an early hand-over, gives the sink the same sums.
// Text fields are cut to kMaxField bytes (every log byte is hostile).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include <absl/container/flat_hash_map.h>
#include <absl/hash/hash.h>

#include "correlate/records.h"

namespace pftls {

struct TlsParamsHash {
  std::size_t operator()(const TlsParams& p) const {
    return absl::HashOf(p.direction, p.mx_host, p.peer_ip, p.protocol, p.cipher, p.bits, p.trust);
  }
};

class TlsTally {
 public:
  static constexpr std::size_t kMaxField = 128;

  TlsTally(EventSink& sink, std::size_t max_rows) : sink_(sink), max_rows_(max_rows) {}

  // bits: the decimal text of the line ("256"); anything else counts as 0.
  void add(std::string_view direction, std::string_view mx_host, std::string_view peer_ip,
           std::string_view protocol, std::string_view cipher, std::string_view bits,
           std::string_view trust, Micros t) {
    key_.direction.assign(cut(direction));
    key_.mx_host.assign(cut(mx_host));
    key_.peer_ip.assign(cut(peer_ip));
    key_.protocol.assign(cut(protocol));
    key_.cipher.assign(cut(cipher));
    key_.bits = parse_bits(bits);
    key_.trust.assign(cut(trust));
    auto it = rows_.find(key_);
    if (it == rows_.end()) {
      if (rows_.size() >= max_rows_) flushed_ += hand_over();
      it = rows_.try_emplace(key_).first;
    }
    TlsCount& c = it->second;
    ++c.sessions;
    if (c.first_seen == 0 || t < c.first_seen) c.first_seen = t;
    if (t > c.last_seen) c.last_seen = t;
  }
  void flush() { hand_over(); }
  // Rows handed over early because the table was full.
  std::uint64_t flushed() const { return flushed_; }
  std::size_t size() const { return rows_.size(); }

  // "256" -> 256; empty, not a number or over 6 digits -> 0.
  static std::int64_t parse_bits(std::string_view s) {
    if (s.empty() || s.size() > 6) return 0;
    std::int64_t n = 0;
    for (char ch : s) {
      if (ch < '0' || ch > '9') return 0;
      n = n * 10 + (ch - '0');
    }
    return n;
  }

 private:
  static std::string_view cut(std::string_view s) { return s.substr(0, kMaxField); }

  // Handed over in chunks, so the copy never doubles the table's memory.
  std::size_t hand_over() {
    constexpr std::size_t kChunk = 4096;
    TlsCountList out;
    out.reserve(std::min(rows_.size(), kChunk));
    std::size_t n = 0;
    for (auto& [k, c] : rows_) {
      out.emplace_back(k, c);
      if (out.size() == kChunk) {
        sink_.add_tls_counts(out);
        n += out.size();
        out.clear();
      }
    }
    rows_.clear();
    if (!out.empty()) sink_.add_tls_counts(out);
    return n + out.size();
  }

  EventSink& sink_;
  std::size_t max_rows_;
  std::uint64_t flushed_ = 0;
  TlsParams key_;  // reused: no allocation for a key already held
  absl::flat_hash_map<TlsParams, TlsCount, TlsParamsHash> rows_;
};

}  // namespace pftls
