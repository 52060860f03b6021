// store: what every backend shares (see store.h).
#include "store/store.h"

namespace pftls {

std::int64_t effective_window(Store& store, std::optional<std::int64_t> override_seconds) {
  if (override_seconds) return *override_seconds;
  if (auto stored = store.setting("window_seconds")) {
    try {
      return std::stoll(*stored);
    } catch (const std::exception&) {
      // not a number: the default
    }
  }
  return kDefaultWindowSeconds;
}

}  // namespace pftls
