// open_store: the one place that picks a storage backend for a location.
//
// Contract: open_store() opens (kReadWrite: creates) the store at
// `location` and returns it ready for use, or throws a StoreError. Today
// every location is a SQLite file path; another backend is chosen here (by
// the form of the location) without changes to its callers.
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace pftls {

// busy_timeout_ms: how long to wait for another pftls holding the store.
std::unique_ptr<Store> open_store(const std::string& location, Store::Mode mode,
                                  int busy_timeout_ms = 10'000);

}  // namespace pftls
