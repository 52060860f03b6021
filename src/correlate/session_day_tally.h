// session_day_tally: inbound sessions counted per (host, UTC day, TLS
// state) for the daily report (table session_days).
//
// Contract: add() counts one closed session. Bounded like TlsTally: when
// max_rows keys are held and a new one comes, every count is first handed
// to the sink (counts add up there) and the table starts empty; flush()
// hands over the rest at the end of a run. A session is counted once, when
// it closes (a session open at the end of a run is counted by the run that
// closes it), so any split of a log into runs gives the same sums. The host
// name is cut to kMaxField bytes (every log byte is hostile).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <absl/container/flat_hash_map.h>
#include <absl/hash/hash.h>

#include "correlate/records.h"

namespace pftls {

struct SessionDayKeyHash {
  std::size_t operator()(const SessionDayKey& k) const {
    return absl::HashOf(k.mx_host, k.day, k.tls_state);
  }
};

class SessionDayTally {
 public:
  static constexpr std::size_t kMaxField = 128;

  SessionDayTally(EventSink& sink, std::size_t max_rows) : sink_(sink), max_rows_(max_rows) {}

  // One session of `mx_host` that began at `first` (its first line), in
  // TLS state `state` (see SessionDayKey).
  void add(std::string_view mx_host, Micros first, std::string_view state) {
    key_.mx_host.assign(mx_host.substr(0, kMaxField));
    key_.day = day_start(first);
    key_.tls_state.assign(state);
    auto it = rows_.find(key_);
    if (it == rows_.end()) {
      if (rows_.size() >= max_rows_) hand_over();
      it = rows_.try_emplace(key_, 0).first;
    }
    ++it->second;
  }
  void flush() { hand_over(); }

  // The UTC day start, in unix seconds, of time `t` (floor, also before 1970).
  static std::int64_t day_start(Micros t) {
    constexpr std::int64_t kDay = 86400;
    std::int64_t s = t / kMicrosPerSecond;
    if (t % kMicrosPerSecond < 0) --s;
    std::int64_t d = s / kDay;
    if (s % kDay < 0) --d;
    return d * kDay;
  }

 private:
  void hand_over() {
    if (rows_.empty()) return;
    SessionDayList out;
    out.reserve(rows_.size());
    for (auto& [k, n] : rows_) out.emplace_back(k, n);
    rows_.clear();
    sink_.add_session_days(out);
  }

  EventSink& sink_;
  std::size_t max_rows_;
  SessionDayKey key_;  // reused: no allocation for a key already held
  absl::flat_hash_map<SessionDayKey, std::int64_t, SessionDayKeyHash> rows_;
};

}  // namespace pftls
