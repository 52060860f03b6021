// warning_memory: which warnings a cron run already gave today, so that the
// same one does not mail again every few minutes.
//
// Contract: the memory is one setting of the store ("warned_kinds": lines of
// "UNIX-SECONDS KIND"), read when the run starts and written by save() in
// the run's transaction, so it works alike on every backend and a run that
// fails forgets what it warned. fresh(kind) is true when KIND was not warned
// in the 24 hours before this run, or was warned by this run itself (so a
// run shows all the lines of a kind it shows at all); it then records KIND
// as warned now. Bounds: at most kMaxKinds kinds are kept (the oldest go
// first), each at most kMaxKindBytes bytes; kinds older than a day are
// dropped on save. A damaged setting is taken as empty.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "store/store.h"

namespace pftls {

class WarningMemory {
 public:
  static constexpr std::size_t kMaxKinds = 64;
  static constexpr std::size_t kMaxKindBytes = 160;
  static constexpr std::int64_t kQuietSeconds = std::int64_t{24} * 3600;
  static constexpr const char* kSetting = "warned_kinds";

  WarningMemory(Store& store, std::int64_t now_seconds);
  bool fresh(std::string_view kind);
  // Writes the memory back if this run changed it.
  void save(Store& store) const;

 private:
  std::int64_t now_;
  std::map<std::string, std::int64_t> warned_;  // kind -> when, in seconds
  std::set<std::string> this_run_;              // kinds this run warned
  bool changed_ = false;
};

}  // namespace pftls
