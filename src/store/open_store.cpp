// open_store: a location to a Store (see open_store.h).
#include "store/open_store.h"

#include "store/sqlite_store.h"

namespace pftls {

std::unique_ptr<Store> open_store(const std::string& location, Store::Mode mode,
                                  int busy_timeout_ms) {
  return std::make_unique<SqliteStore>(location, mode, busy_timeout_ms);
}

}  // namespace pftls
