// store_copy: moves a SQLite store into a new PostgreSQL database
// (`pftls copy --from FILE.db --to postgresql://…`).
//
// Contract: copy_store() opens the SQLite file for reading (migrated first
// when it is of an older schema, as any opening does), opens the PostgreSQL
// database for writing (creating the schema on first use) and copies every
// table, ids and the open state between runs included, in one transaction:
// a failed copy leaves the PostgreSQL database as it was. It refuses a
// PostgreSQL database that already holds pftls data (kFailed): a copy never
// merges. After it, the identity sequences continue after the copied ids,
// and the next ingest run carries on where the last SQLite run ended.
// Returns the number of rows copied.
#pragma once

#include <cstdint>
#include <string>

namespace pftls {

std::uint64_t copy_store(const std::string& sqlite_path, const std::string& pg_location);

}  // namespace pftls
