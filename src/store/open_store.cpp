// open_store: a location to a Store (see open_store.h).
#include "store/open_store.h"

#include "store/pg_conn.h"
#include "store/pg_store.h"
#include "store/sqlite_store.h"

namespace pftls {

bool is_database_url(const std::string& location) { return is_postgres_location(location); }

std::unique_ptr<Store> open_store(const std::string& location, Store::Mode mode,
                                  int busy_timeout_ms) {
  if (is_postgres_location(location))
    return std::make_unique<PgStore>(location, mode, busy_timeout_ms);
  return std::make_unique<SqliteStore>(location, mode, busy_timeout_ms);
}

}  // namespace pftls
