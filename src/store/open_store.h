// open_store: the one place that picks a storage backend for a location.
//
// Contract: open_store() opens (kReadWrite: creates) the store at
// `location` and returns it ready for use, or throws a StoreError. A
// location that starts with postgresql:// or postgres:// is a PostgreSQL
// database (pg_store.h, through libpq); any other is a SQLite file path.
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace pftls {

// True for a server's URL (no file of that name to check or remove).
bool is_database_url(const std::string& location);

// busy_timeout_ms: how long to wait for another pftls holding the store.
std::unique_ptr<Store> open_store(const std::string& location, Store::Mode mode,
                                  int busy_timeout_ms = 10'000);

}  // namespace pftls
