// sqlite_store: opening the database, the sinks, inputs, settings and runs.
#include "store/sqlite_store.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <ctime>
#include <map>
#include <tuple>
#include <utility>

#include "base/embedded_data.h"
#include "store/prune_sql.h"
#include "store/sqlite_columns.h"

namespace pftls {
namespace {

// Adds a run's counts of a client to the stored ones.
constexpr const char* kUpsertClientSql =
    "INSERT INTO client_stats (client_ip, client_name, sessions, tls_sessions, "
    "plaintext_sessions, failed_sessions, starttls_sessions, messages, plaintext_messages, "
    "first_seen, last_seen, org_domain, named_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
    "?10, ?11, ?12, ?13) ON CONFLICT (client_ip) DO UPDATE SET "
    // names_later (correlate/records.h); every SET reads the row as it was.
    "client_name = CASE WHEN excluded.client_name <> '' AND (excluded.named_at, "
    "excluded.client_name) > (named_at, client_name) THEN excluded.client_name "
    "ELSE client_name END, "
    "org_domain = CASE WHEN excluded.client_name <> '' AND (excluded.named_at, "
    "excluded.client_name) > (named_at, client_name) THEN excluded.org_domain "
    "ELSE org_domain END, "
    "named_at = CASE WHEN excluded.client_name <> '' AND (excluded.named_at, "
    "excluded.client_name) > (named_at, client_name) THEN excluded.named_at "
    "ELSE named_at END, "
    "sessions = sessions + excluded.sessions, "
    "tls_sessions = tls_sessions + excluded.tls_sessions, "
    "plaintext_sessions = plaintext_sessions + excluded.plaintext_sessions, "
    "failed_sessions = failed_sessions + excluded.failed_sessions, "
    "starttls_sessions = starttls_sessions + excluded.starttls_sessions, "
    "messages = messages + excluded.messages, "
    "plaintext_messages = plaintext_messages + excluded.plaintext_messages, "
    "first_seen = CASE WHEN coalesce(first_seen, 0) = 0 THEN excluded.first_seen "
    "ELSE min(first_seen, excluded.first_seen) END, "
    "last_seen = max(last_seen, excluded.last_seen)";

}  // namespace

SqliteStore::SqliteStore(const std::string& path, Mode mode, int busy_timeout_ms)
    : cache_(kSlotCount) {
  if (mode == Mode::kReadOnly) {
    db_.emplace(path, Db::Mode::kReadOnly, busy_timeout_ms);
    const std::int64_t version = db_->user_version();
    if (version == kSchemaVersion) {
      shadow_added_tables();
      shadow_tls_mix();
      shadow_tls_peers();
      return;
    }
    if (version <= 0) {
      throw StoreError(StoreError::Kind::kFailed, "database " + path +
                                                      " is not a pftls database (schema version " +
                                                      std::to_string(version) + ", expected " +
                                                      std::to_string(kSchemaVersion) + ")");
    }
    // Older: migrated through a writable connection; newer: refused there.
    db_.reset();
    open_for_writing(path, busy_timeout_ms);
    db_.reset();
    db_.emplace(path, Db::Mode::kReadOnly, busy_timeout_ms);
    return;
  }
  open_for_writing(path, busy_timeout_ms);
}

SqliteStore::~SqliteStore() = default;

void SqliteStore::open_for_writing(const std::string& path, int busy_timeout_ms) {
  OpenLock open_lock(path, busy_timeout_ms);
  db_.emplace(path, Db::Mode::kReadWrite, busy_timeout_ms);
  // Refused before anything is written to it, the journal mode included.
  const std::int64_t version = db_->user_version();
  if (version > kSchemaVersion) {
    throw StoreError(StoreError::Kind::kVersion,
                     "database " + path + " has schema version " + std::to_string(version) +
                         ", newer than this pftls knows (" + std::to_string(kSchemaVersion) +
                         "): use a newer pftls");
  }
  if (version > 0) check_integrity_if_due();  // before anything is written to it
  db_->exec("PRAGMA journal_mode=WAL", "PRAGMA journal_mode=WAL");
  db_->exec("PRAGMA synchronous=NORMAL", "PRAGMA synchronous=NORMAL");
  // The kept WAL is emptied when the last connection closes (any limit >= 0
  // truncates it then): readers without write access read it whole.
  db_->exec("PRAGMA journal_size_limit=67108864", "PRAGMA journal_size_limit");
  db_->align_wal_modes();
  // One run is one transaction; its dirty pages beyond this cache spill to
  // the WAL. 4 MiB: the page cache is the largest part of a flood's peak
  // RSS, and a normal run's writes fit in it.
  db_->exec("PRAGMA cache_size=-4096", "PRAGMA cache_size");
  ensure_schema();
  ensure_tls_mix();
  ensure_tls_peers();
}

// Indexes and tables added to schema.sql within its version: made when a
// database of that version is opened for writing (a no-op once they exist).
// The tls_inventory, session_days and outbound_failures tables are those of
// schema.sql, word for word.
constexpr const char* kAddedIndexes =
    "CREATE INDEX IF NOT EXISTS sessions_failed_time ON sessions (failure_at, failure_ord, id) "
    "WHERE failed = 1;"
    "CREATE INDEX IF NOT EXISTS sessions_failed_reason ON sessions (mx_host, failure_reason, "
    "failed) "
    "WHERE failed = 1;"
    "CREATE INDEX IF NOT EXISTS client_stats_never_tls ON client_stats (messages DESC, "
    "client_ip, client_name, sessions, first_seen, last_seen) WHERE messages > 0 AND "
    "tls_sessions = 0 AND starttls_sessions = 0 AND failed_sessions = 0;"
    "CREATE TABLE IF NOT EXISTS tls_inventory ("
    "direction TEXT NOT NULL, client_ip TEXT NOT NULL, mx_host TEXT NOT NULL, "
    "protocol TEXT NOT NULL, cipher TEXT NOT NULL, bits INTEGER NOT NULL, trust TEXT NOT NULL, "
    "sessions INTEGER NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, "
    "PRIMARY KEY (direction, client_ip, mx_host, protocol, cipher, bits, trust)) WITHOUT ROWID;"
    // The outbound evidence and its pending state: those of schema.sql.
    "CREATE TABLE IF NOT EXISTS outbound_evidence (id INTEGER PRIMARY KEY, "
    "outbound_id INTEGER NOT NULL REFERENCES outbound (id), role TEXT NOT NULL, "
    "input TEXT NOT NULL, line INTEGER NOT NULL, raw TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS outbound_evidence_outbound ON outbound_evidence (outbound_id, id);"
    "CREATE TABLE IF NOT EXISTS outbound_messages ("
    "outbound_id INTEGER PRIMARY KEY REFERENCES outbound (id), message_id TEXT NOT NULL, "
    "sender TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS open_outbound_lines (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, "
    "owner_seq INTEGER NOT NULL, role TEXT NOT NULL, input TEXT NOT NULL, "
    "line INTEGER NOT NULL, raw TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS open_outbound_notes (seq INTEGER PRIMARY KEY, "
    "mx_host TEXT NOT NULL, queue_id TEXT NOT NULL, message_id TEXT NOT NULL, "
    "sender TEXT NOT NULL, seen_at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS session_days ("
    "mx_host TEXT NOT NULL, day INTEGER NOT NULL, tls_state TEXT NOT NULL, "
    "sessions INTEGER NOT NULL, PRIMARY KEY (mx_host, day, tls_state)) WITHOUT ROWID;"
    // The cross-host marks and look-ups: those of schema.sql.
    "CREATE TABLE IF NOT EXISTS plain_marks (id INTEGER PRIMARY KEY, mx_host "
    "TEXT NOT NULL, queue_id TEXT NOT NULL, client_ip TEXT NOT NULL, client_name "
    "TEXT NOT NULL, client_subnet TEXT NOT NULL, org_domain TEXT NOT NULL, subnet_key "
    "TEXT GENERATED ALWAYS AS (CASE WHEN client_subnet = '' THEN client_ip ELSE client_subnet "
    "END) STORED, org_key TEXT GENERATED ALWAYS AS (CASE WHEN org_domain = '' THEN "
    "client_ip ELSE org_domain END) STORED, accepted_at INTEGER NOT NULL, accepted_ord "
    "INTEGER NOT NULL, connect_input TEXT NOT NULL DEFAULT '', connect_line INTEGER NOT NULL "
    "DEFAULT 0, connect_raw TEXT NOT NULL DEFAULT '', client_input TEXT NOT NULL DEFAULT '', "
    "client_line INTEGER NOT NULL DEFAULT 0, client_raw TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX IF NOT EXISTS plain_marks_client ON plain_marks (client_ip, accepted_at);"
    "CREATE TABLE IF NOT EXISTS tls_marks (client_ip TEXT NOT NULL, tls_at INTEGER NOT NULL, "
    "mx_host TEXT NOT NULL, tls_ord INTEGER NOT NULL, "
    "PRIMARY KEY (client_ip, tls_at, mx_host, tls_ord)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS sessions_failed_any ON sessions (client_ip, failure_at) WHERE "
    "failed = 1;"
    "CREATE INDEX IF NOT EXISTS sessions_failed_any_subnet ON sessions (subnet_key, "
    "failure_at) WHERE failed = 1;"
    "CREATE INDEX IF NOT EXISTS sessions_failed_any_org ON sessions (org_key, failure_at) "
    "WHERE failed = 1;"
    "CREATE INDEX IF NOT EXISTS sessions_tls_any ON sessions (client_ip, tls_at) WHERE tls = "
    "1 AND failed = 0;"
    "CREATE INDEX IF NOT EXISTS messages_any ON messages (client_ip, accepted_at);"
    "CREATE TABLE IF NOT EXISTS outbound_failures (id INTEGER PRIMARY KEY, "
    "mx_host TEXT NOT NULL, queue_id TEXT NOT NULL, relay_name TEXT NOT NULL, "
    "relay_ip TEXT NOT NULL, relay_port TEXT NOT NULL, failure_at INTEGER NOT NULL, "
    "failure_reason TEXT NOT NULL, openssl_code TEXT NOT NULL, outcome TEXT NOT NULL, "
    "outcome_at INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS outbound_failures_pending ON outbound_failures (mx_host, "
    "queue_id) WHERE outcome = 'pending';"
    "CREATE INDEX IF NOT EXISTS outbound_failures_time ON outbound_failures (failure_at, id)";

// tls_mix: the inventory's sessions per direction, protocol and cipher (a
// few hundred rows), which the report reads instead of every inventory row.
// add_tls_counts() adds to it as it adds to the inventory. Made with its
// contents from the inventory, in one transaction, the first time a
// database is opened for writing by a pftls that has it; a reader of a
// database without it reads a view that computes the same from the
// inventory. queries/schema.sql refers here.
constexpr const char* kTlsMixTable =
    "CREATE TABLE tls_mix (direction TEXT NOT NULL, protocol TEXT NOT NULL, cipher TEXT NOT "
    "NULL, sessions INTEGER NOT NULL, PRIMARY KEY (direction, protocol, cipher)) WITHOUT ROWID";
constexpr std::string_view kTlsMixFromInventory =
    "SELECT direction, protocol, cipher, sum(sessions) AS sessions "
    "FROM tls_inventory GROUP BY direction, protocol, cipher";

// tls_peers: the inventory per direction and peer as `pftls tls` lists it
// (queries/tls.sql): totals, lists, weakest bits, first and last seen, and
// an inbound peer's name (client_stats), stored in the listing's order (its
// key) with a unique index on the peer. The listing of a year's 726,227
// peers then reads one B-tree in order, instead of grouping 2.2M inventory
// rows and sorting the groups (3.7 s), or reading rows at random through
// an index in that order (2.2 s), or looking up each name (366k page reads).
// - negotiations: the peer's (protocol, cipher, sessions), which pftls
//   whatif judges (queries/whatif.sql), in the form of
//   base/negotiation_list.h. The peer's index covers it, so that whatif
//   reads each client's in one look-up (its 2.5M inventory rows, one look-up
//   per client and a row for each, kept whatif over 2 s on a year of data);
// - add_tls_counts() notes the peers it touched (temp.tls_touched); before
//   the run commits, refresh_tls_peers() deletes their rows and computes
//   them again from the inventory, or, when they are a large part of the
//   table, the whole table in its order;
// - the triggers give a peer the name client_stats gets, whichever of the
//   two a run writes first.
// So the rows are those of the inventory and client_stats whatever the
// runs and hosts. Made with its contents, and read through a view where it
// is missing, as tls_mix is.
constexpr const char* kTlsPeersTable =
    "CREATE TABLE tls_peers (direction TEXT NOT NULL, client_ip TEXT NOT NULL, "
    "client_name TEXT NOT NULL, hosts TEXT NOT NULL, tls_sessions INTEGER NOT NULL, "
    "unknown_sessions INTEGER NOT NULL, protocols TEXT, ciphers TEXT, trust TEXT, "
    "min_bits INTEGER, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, "
    "negotiations TEXT, PRIMARY KEY (direction, tls_sessions DESC, client_ip)) WITHOUT ROWID;"
    "CREATE TRIGGER tls_peers_named AFTER INSERT ON client_stats BEGIN "
    "UPDATE tls_peers SET client_name = new.client_name "
    "WHERE direction = 'in' AND client_ip = new.client_ip; END;"
    "CREATE TRIGGER tls_peers_renamed AFTER UPDATE OF client_name ON client_stats "
    "WHEN new.client_name IS NOT old.client_name BEGIN "
    "UPDATE tls_peers SET client_name = new.client_name "
    "WHERE direction = 'in' AND client_ip = new.client_ip; END";
constexpr const char* kTlsPeersIndex =
    "CREATE INDEX tls_peers_peer ON tls_peers (direction, client_ip, negotiations)";
// A peer's row from its inventory rows, `i` (count_list and distinct_list:
// store/sqlite_functions.h); the FROM clause and GROUP BY follow.
constexpr std::string_view kTlsPeersColumns =
    "SELECT i.direction, i.client_ip, "
    "CASE WHEN i.direction = 'in' THEN coalesce((SELECT cs.client_name FROM client_stats AS cs "
    "WHERE cs.client_ip = i.client_ip), '') ELSE '' END AS client_name, "
    "distinct_list(i.mx_host) AS hosts, sum(i.sessions) AS tls_sessions, "
    "sum(CASE WHEN i.protocol = '' THEN i.sessions ELSE 0 END) AS unknown_sessions, "
    "count_list(i.protocol, i.sessions) AS protocols, count_list(i.cipher, i.sessions) AS ciphers, "
    "count_list(i.trust, i.sessions) AS trust, "
    "min(CASE WHEN i.protocol <> '' THEN i.bits END) AS min_bits, "
    "min(i.first_seen) AS first_seen, max(i.last_seen) AS last_seen, "
    "negotiation_list(i.protocol, i.cipher, i.sessions) AS negotiations ";
constexpr std::string_view kTlsPeersAll =
    "FROM tls_inventory AS i GROUP BY i.direction, i.client_ip";
// A run that touched at least 1/kTlsPeersRebuildShare of the peers stored
// makes the table anew, in its key order, instead of replacing each row at
// random (which, past the 4 MiB page cache, writes pages to the WAL again
// and again): its cost stays within that share of the run's own work.
constexpr std::int64_t kTlsPeersRebuildShare = 4;

// The columns added to plain_marks within this version (a mark's evidence),
// with their defaults: a table made before them gets them by ALTER TABLE
// (add_mark_columns()), a reader sees them through a view
// (shadow_added_tables()).
constexpr std::array<std::pair<const char*, const char*>, 6> kAddedMarkColumns = {{
    {"connect_input", "TEXT NOT NULL DEFAULT ''"},
    {"connect_line", "INTEGER NOT NULL DEFAULT 0"},
    {"connect_raw", "TEXT NOT NULL DEFAULT ''"},
    {"client_input", "TEXT NOT NULL DEFAULT ''"},
    {"client_line", "INTEGER NOT NULL DEFAULT 0"},
    {"client_raw", "TEXT NOT NULL DEFAULT ''"},
}};

// Whether main.plain_marks exists and lacks the added columns.
bool SqliteStore::marks_lack_columns() {
  return !has_main_column("plain_marks", kAddedMarkColumns.back().first) &&
         has_main_table("plain_marks");
}

// Whether main.`table` exists with a column of that name.
bool SqliteStore::has_main_column(std::string_view table, std::string_view column) {
  Statement st =
      db_->prepare("SELECT 1 FROM pragma_table_info(?1, 'main') WHERE name = ?2", "read schema");
  st.bind_kept(1, table);
  st.bind_kept(2, column);
  return st.step();
}

bool SqliteStore::has_main_table(std::string_view name) {
  Statement st = db_->prepare("SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?1",
                              "read schema");
  st.bind_kept(1, name);
  return st.step();
}

void SqliteStore::add_mark_columns() {
  if (!marks_lack_columns()) return;
  Transaction t(*db_);
  if (!marks_lack_columns()) return;
  for (const auto& [name, type] : kAddedMarkColumns) {
    db_->exec(std::string("ALTER TABLE plain_marks ADD COLUMN ") + name + " " + type,
              "add plain_marks columns");
  }
  t.commit();
}

// A database of this version that no ingest of this pftls has opened yet
// lacks the tables added within the version, and a reader cannot make them
// there: empty ones of the same name in this connection's TEMP schema (a
// name not found in temp is looked up in main) let every query answer, with
// nothing of what those tables would hold. The next ingest makes the real
// ones.
void SqliteStore::shadow_added_tables() {
  constexpr std::string_view kCreate = "CREATE TABLE IF NOT EXISTS ";
  const std::string_view all = kAddedIndexes;
  for (std::size_t pos = 0; pos < all.size();) {
    std::size_t end = all.find(';', pos);
    if (end == std::string_view::npos) end = all.size();
    const std::string_view stmt = all.substr(pos, end - pos);
    pos = end + 1;
    if (stmt.substr(0, kCreate.size()) != kCreate) continue;
    const std::string_view rest = stmt.substr(kCreate.size());
    if (has_main_table(rest.substr(0, rest.find(' ')))) continue;
    db_->exec("CREATE TEMP TABLE " + std::string(rest), "make an empty table for reading");
  }
  // Marks stored before their evidence columns: read with empty ones.
  if (marks_lack_columns()) {
    std::string view = "CREATE TEMP VIEW plain_marks AS SELECT *";
    for (const auto& [name, type] : kAddedMarkColumns) {
      view += std::string_view(type).substr(0, 4) == "TEXT" ? ", '' AS " : ", 0 AS ";
      view += name;
    }
    db_->exec(view + " FROM main.plain_marks", "make a view for reading");
  }
}

// Makes tls_mix in a database that lacks it: table and contents in one
// transaction, so that it is whole or absent.
void SqliteStore::ensure_tls_mix() {
  if (has_main_table("tls_mix")) return;
  Transaction t(*db_);
  if (has_main_table("tls_mix")) return;  // another pftls got here first
  db_->exec(kTlsMixTable, "make tls_mix");
  db_->exec("INSERT INTO tls_mix " + std::string(kTlsMixFromInventory), "fill tls_mix");
  t.commit();
}

// A reader of a database without tls_mix reads a view that computes it from
// the inventory: the same rows, slower.
void SqliteStore::shadow_tls_mix() {
  if (has_main_table("tls_mix")) return;
  db_->exec("CREATE TEMP VIEW tls_mix AS " + std::string(kTlsMixFromInventory),
            "make a view for reading");
}

// Whether main.tls_peers exists with every column (a pftls before the
// negotiations column made it without).
bool SqliteStore::has_tls_peers() { return has_main_column("tls_peers", "negotiations"); }

// Makes tls_peers in a database that lacks it (or has it without the
// negotiations), whole or not at all (one transaction; a year's inventory
// takes a few seconds, once).
void SqliteStore::ensure_tls_peers() {
  if (has_tls_peers()) return;
  Transaction t(*db_);
  if (has_tls_peers()) return;  // another pftls got here first
  db_->exec(
      "DROP TRIGGER IF EXISTS tls_peers_named; DROP TRIGGER IF EXISTS tls_peers_renamed; "
      "DROP TABLE IF EXISTS tls_peers",
      "make tls_peers");
  db_->exec(kTlsPeersTable, "make tls_peers");
  rebuild_tls_peers();
  t.commit();
}

// A reader of a database without tls_peers (or with it without the
// negotiations) reads the same rows through a view that groups the
// inventory (and a listing then sorts them): a TEMP view hides a main table
// of the same name.
void SqliteStore::shadow_tls_peers() {
  if (has_tls_peers()) return;
  db_->exec(
      "CREATE TEMP VIEW tls_peers AS " + std::string(kTlsPeersColumns) + std::string(kTlsPeersAll),
      "make a view for reading");
}

// Every row anew, inserted in the key's order, the index made after them
// (a sort): sequential writes only. Inside the caller's transaction.
void SqliteStore::rebuild_tls_peers() {
  // DROP INDEX is refused (SQLITE_LOCKED) while a statement of this
  // connection is part way through its rows.
  for (auto& st : cache_) {
    if (st) st->reset();
  }
  db_->exec("DROP INDEX IF EXISTS tls_peers_peer; DELETE FROM tls_peers", "make tls_peers");
  db_->exec("INSERT INTO tls_peers " + std::string(kTlsPeersColumns) + std::string(kTlsPeersAll) +
                " ORDER BY 1, 5 DESC, 2",
            "make tls_peers");
  db_->exec(kTlsPeersIndex, "make tls_peers");
}

// The rows of the peers this run touched, from the inventory as it is now
// (see kTlsPeersTable): called before the run commits, or by
// add_tls_counts() outside a run.
void SqliteStore::refresh_tls_peers() {
  if (!tls_touched_) return;
  std::int64_t touched = 0;
  std::int64_t stored = 0;
  {
    Statement count = db_->prepare("SELECT count(*) FROM temp.tls_touched", "save TLS peers");
    count.step();
    touched = count.column_int(0);
    // The stored rows, counted only up to the share that decides.
    Statement rows =
        db_->prepare("SELECT count(*) FROM (SELECT 1 FROM tls_peers LIMIT ?1)", "save TLS peers");
    rows.bind(1, touched * kTlsPeersRebuildShare);
    rows.step();
    stored = rows.column_int(0);
  }
  if (stored < touched * kTlsPeersRebuildShare) {
    rebuild_tls_peers();
  } else {
    // The peer's index finds its old row (its key holds the old count).
    db_->exec(
        "DELETE FROM tls_peers WHERE (direction, client_ip) IN "
        "(SELECT direction, client_ip FROM temp.tls_touched)",
        "save TLS peers");
    db_->exec("INSERT INTO tls_peers " + std::string(kTlsPeersColumns) +
                  "FROM temp.tls_touched AS t CROSS JOIN tls_inventory AS i "
                  "ON i.direction = t.direction AND i.client_ip = t.client_ip "
                  "GROUP BY i.direction, i.client_ip",
              "save TLS peers");
  }
  db_->exec("DELETE FROM temp.tls_touched", "save TLS peers");
  tls_touched_ = false;
}

void SqliteStore::check_integrity() {
  Statement st = db_->prepare("PRAGMA quick_check", "PRAGMA quick_check");
  std::string first;
  if (st.step()) first = st.column_text(0);
  if (first == "ok") return;
  const std::string& path = db_->path();
  throw StoreError(StoreError::Kind::kFailed,
                   "database " + path + " is damaged (PRAGMA quick_check: " + first.substr(0, 200) +
                       "), nothing written to it; recover it with: sqlite3 " + path +
                       " .recover | sqlite3 NEW.db");
}

void SqliteStore::check_integrity_if_due() {
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  std::int64_t last = 0;
  {
    Statement st = db_->prepare("SELECT value FROM settings WHERE key = 'integrity_checked_at'",
                                "read setting");
    if (st.step()) last = std::strtoll(st.column_text(0).c_str(), nullptr, 10);
  }
  // A clock set back counts as due too.
  if (last <= now && now - last < kIntegrityCheckEverySeconds) return;
  check_integrity();
  checked_at_ = now;  // stored by the run, in its transaction: a failed run leaves no trace
}

void SqliteStore::ensure_schema() {
  const std::int64_t version = db_->user_version();
  if (version == kSchemaVersion) {
    db_->exec(kAddedIndexes, "create indexes");
    add_mark_columns();
    return;
  }
  if (version == 0) {
    // A database with tables of its own but no version is not ours.
    Statement st = db_->prepare("SELECT count(*) FROM sqlite_schema", "read schema");
    if (st.step() && st.column_int(0) != 0) {
      throw StoreError(
          StoreError::Kind::kFailed,
          "database " + db_->path() + " is not a pftls database (it has other tables)");
    }
  }
  Transaction t(*db_);
  // Asked again inside the transaction: another pftls may have got here first.
  const std::int64_t now = db_->user_version();
  if (now == kSchemaVersion) return;
  if (now == 0) {
    db_->exec(std::string(embedded_file("queries/schema.sql")), "create schema");
  } else {
    migrate(now);
    db_->exec(kAddedIndexes, "create indexes");  // whatever the migration made
  }
  db_->exec("PRAGMA user_version = " + std::to_string(kSchemaVersion), "set schema version");
  t.commit();
}

void SqliteStore::begin_run() {
  run_.emplace(*db_);
  if (checked_at_) set_setting("integrity_checked_at", std::to_string(*checked_at_));
}

void SqliteStore::commit_run() {
  refresh_tls_peers();
  run_->commit();
  run_.reset();
}

void SqliteStore::rollback_run() noexcept {
  run_.reset();
  tls_touched_ = false;  // its rows went with the transaction
}

std::optional<std::string> SqliteStore::setting(std::string_view key) {
  Statement st = db_->prepare("SELECT value FROM settings WHERE key = ?1", "read setting");
  st.bind_text(1, key);
  if (!st.step()) return std::nullopt;
  return st.column_text(0);
}

void SqliteStore::set_setting(std::string_view key, std::string_view value) {
  Statement st = db_->prepare(
      "INSERT INTO settings (key, value) VALUES (?1, ?2) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      "write setting");
  st.bind_text(1, key);
  st.bind_text(2, value);
  st.run();
}

void SqliteStore::record_run(const RunRecord& r) {
  const std::string run_columns = columns(run_fields()) + ", " + columns(drop_fields());
  const auto n = static_cast<int>(run_fields().size() + drop_fields().size());
  Statement st = db_->prepare(insert_sql("runs", run_columns, n), "record run");
  bind_fields(st, 1, r, run_fields());
  bind_fields(st, 1 + static_cast<int>(run_fields().size()), r.drops, drop_fields());
  st.run();
}

std::vector<InputRecord> SqliteStore::load_inputs() {
  Statement st = db_->prepare("SELECT id, " + columns(input_fields()) + " FROM inputs ORDER BY id",
                              "load inputs");
  std::vector<InputRecord> out;
  while (st.step()) {
    out.emplace_back().id = st.column_int(0);
    read_fields(st, 1, out.back(), input_fields());
  }
  return out;
}

// Inserts a record the first time (and sets its id), updates it after;
// `slot`: the cached insert statement, the update's is the next slot.
template <typename R>
void SqliteStore::save_row(R& r, std::string_view table, Fields<R> fields, Nulls nulls, Slot slot,
                           const char* what) {
  Statement& st =
      r.id == 0 ? cached(
                      slot, [&] { return insert_sql(table, fields); }, what)
                : cached(
                      static_cast<Slot>(slot + 1), [&] { return update_sql(table, fields); }, what);
  bind_fields(st, 1, r, fields, nulls);
  if (r.id != 0) st.bind(static_cast<int>(fields.size()) + 1, r.id);
  st.run();
  if (r.id == 0) r.id = db_->last_insert_rowid();
}

void SqliteStore::save_input(InputRecord& r) {
  save_row(r, "inputs", input_fields(), Nulls::kExact, kInsertInput, "save input");
}

void SqliteStore::save_session(SessionRecord& s) {
  save_row(s, "sessions", session_fields(), Nulls::kForQueries, kInsertSession, "save session");
}

void SqliteStore::save_outbound(OutboundRecord& r) {
  save_row(r, "outbound", outbound_fields(), Nulls::kExact, kInsertOutbound, "save outbound");
  if (r.message_id.empty() && r.sender.empty()) return;
  Statement& st = cached(
      kUpsertOutboundMessage,
      [] {
        return "INSERT INTO outbound_messages (outbound_id, message_id, sender) "
               "VALUES (?1, ?2, ?3) ON CONFLICT (outbound_id) DO UPDATE SET "
               "message_id = excluded.message_id, sender = excluded.sender";
      },
      "save outbound");
  st.bind(1, r.id);
  st.bind_kept(2, r.message_id);
  st.bind_kept(3, r.sender);
  st.run();
}

void SqliteStore::save_outbound_failure(const OutboundFailureRow& f) {
  Statement& st = cached(
      kInsertOutboundFailure,
      [] {
        return "INSERT INTO outbound_failures (mx_host, queue_id, relay_name, relay_ip, "
               "relay_port, failure_at, failure_reason, openssl_code, outcome, outcome_at) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', 0)";
      },
      "save outbound failure");
  st.bind_kept(1, f.mx_host);
  st.bind_kept(2, f.queue_id);
  st.bind_kept(3, f.relay_name);
  st.bind_kept(4, f.relay_ip);
  st.bind_kept(5, f.relay_port);
  st.bind(6, f.failure_at);
  st.bind_kept(7, f.failure_reason);
  st.bind_kept(8, f.openssl_code);
  st.run();
}

void SqliteStore::resolve_outbound_failures(std::string_view mx_host, std::string_view queue_id,
                                            std::string_view outcome, Micros since, Micros at) {
  Statement& st = cached(
      kResolveOutboundFailures,
      [] {
        return "UPDATE outbound_failures SET outcome = ?3, outcome_at = ?5 "
               "WHERE mx_host = ?1 AND queue_id = ?2 AND outcome = 'pending' "
               "AND failure_at >= ?4 AND failure_at <= ?5";
      },
      "save outbound failure");
  st.bind_text(1, mx_host);
  st.bind_text(2, queue_id);
  st.bind_text(3, outcome);
  st.bind(4, since);
  st.bind(5, at);
  st.run();
}

void SqliteStore::save_outbound_evidence(std::int64_t outbound_id,
                                         const std::vector<OutboundLine>& lines) {
  for (const OutboundLine& l : lines) {
    Statement& st = cached(
        kInsertOutboundEvidence,
        [] {
          return "INSERT INTO outbound_evidence (outbound_id, role, input, line, raw) "
                 "VALUES (?1, ?2, ?3, ?4, ?5)";
        },
        "save outbound evidence");
    st.bind(1, outbound_id);
    st.bind_kept(2, l.role);
    st.bind_kept(3, l.input);
    st.bind(4, static_cast<std::int64_t>(l.line));
    st.bind_kept(5, l.raw);
    st.run();
  }
}

void SqliteStore::save_message(MessageRecord& m) {
  if (m.id == 0) {
    save_row(m, "messages", message_fields(), Nulls::kExact, kInsertMessage, "save message");
    return;
  }
  // An update changes what later lines add; the rest is fixed at insert.
  Statement& st = cached(
      kUpdateMessage,
      [] {
        return "UPDATE messages SET message_id = ?1, sender = ?2, recipients = ?3 WHERE id = ?4";
      },
      "save message");
  st.bind_kept(1, m.message_id);
  st.bind_kept(2, m.sender);
  st.bind_text(3, join_lines(m.recipients));
  st.bind(4, m.id);
  st.run();
}

void SqliteStore::save_evidence(std::int64_t session_id, const EvidenceLine* lines, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    Statement& st = cached(
        kInsertEvidence,
        [] {
          return "INSERT INTO evidence (session_id, input, line, raw) VALUES (?1, ?2, ?3, ?4)";
        },
        "save evidence");
    st.bind(1, session_id);
    st.bind_kept(2, lines[i].input);
    st.bind(3, static_cast<std::int64_t>(lines[i].line));
    st.bind_kept(4, lines[i].raw);
    st.run();
  }
}

void SqliteStore::add_client_stats(const ClientStatsList& stats) {
  for (const auto& [ip, c] : stats) {
    Statement& st = cached(
        kUpsertClient, [] { return kUpsertClientSql; }, "save client counts");
    const std::int64_t counts[] = {c.sessions,           c.tls_sessions,      c.plaintext_sessions,
                                   c.failed_sessions,    c.starttls_sessions, c.messages,
                                   c.plaintext_messages, c.first_seen,        c.last_seen};
    st.bind_kept(1, ip);
    st.bind_kept(2, c.client_name);
    int k = 3;
    for (std::int64_t n : counts) st.bind(k++, n);
    st.bind_kept(12, c.org_domain);
    st.bind(13, c.named_at);
    st.run();
  }
}

PruneCounts SqliteStore::prune(Micros before) {
  PruneCounts out;
  for (const PruneStep& step : prune_steps()) {
    Statement st = db_->prepare(step.sql, "prune " + std::string(step.table));
    st.bind(1, before);
    st.run();
    prune_count(out, step.table) += db_->changes();
  }
  return out;
}

void SqliteStore::vacuum() { db_->exec("VACUUM", "VACUUM"); }

void SqliteStore::merge_host_facts(const StringMap<HostFacts>& hosts) {
  for (const auto& [host, h] : hosts) {
    Statement& st = cached(
        kUpsertHost,
        [] {
          return "INSERT INTO hosts (mx_host, newest_at, logs_tls_established) VALUES (?1, ?2, ?3) "
                 "ON CONFLICT (mx_host) DO UPDATE SET newest_at = max(newest_at, "
                 "excluded.newest_at), "
                 "logs_tls_established = max(logs_tls_established, excluded.logs_tls_established)";
        },
        "save host facts");
    st.bind_kept(1, host);
    st.bind(2, h.newest_at);
    st.bind(3, h.logs_tls_established);
    st.run();
  }
}

// Counts add up and first/last seen widen: the same sums whatever the order
// of runs and hosts.
// Upserted in the key's order (tls_inventory is one B-tree on it; sums,
// min and max do not depend on the order): a chunk then sweeps the tree
// once instead of touching a page at random per row, which on a table larger
// than the 4 MiB cache read and spilled pages to the WAL again and again.
void SqliteStore::add_tls_counts(const TlsCountList& counts) {
  std::vector<const TlsCountList::value_type*> sorted;
  sorted.reserve(counts.size());
  for (const auto& row : counts) sorted.push_back(&row);
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    const TlsParams& x = a->first;
    const TlsParams& y = b->first;
    return std::tie(x.direction, x.peer_ip, x.mx_host, x.protocol, x.cipher, x.bits, x.trust) <
           std::tie(y.direction, y.peer_ip, y.mx_host, y.protocol, y.cipher, y.bits, y.trust);
  });
  for (const auto* row : sorted) {
    const auto& [p, c] = *row;
    Statement& st = cached(
        kUpsertTls,
        [] {
          return "INSERT INTO tls_inventory (direction, client_ip, mx_host, protocol, cipher, "
                 "bits, "
                 "trust, sessions, first_seen, last_seen) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
                 "ON CONFLICT (direction, client_ip, mx_host, protocol, cipher, bits, trust) "
                 "DO UPDATE SET sessions = sessions + excluded.sessions, "
                 "first_seen = min(first_seen, excluded.first_seen), "
                 "last_seen = max(last_seen, excluded.last_seen)";
        },
        "save TLS inventory");
    st.bind_kept(1, p.direction);
    st.bind_kept(2, p.peer_ip);
    st.bind_kept(3, p.mx_host);
    st.bind_kept(4, p.protocol);
    st.bind_kept(5, p.cipher);
    st.bind(6, p.bits);
    st.bind_kept(7, p.trust);
    st.bind(8, c.sessions);
    st.bind(9, c.first_seen);
    st.bind(10, c.last_seen);
    st.run();
  }
  // tls_peers: each peer touched, noted for refresh_tls_peers().
  if (!tls_touched_) {
    db_->exec(
        "CREATE TEMP TABLE IF NOT EXISTS tls_touched (direction TEXT NOT NULL, client_ip TEXT "
        "NOT NULL, PRIMARY KEY (direction, client_ip)) WITHOUT ROWID",
        "save TLS peers");
    tls_touched_ = true;
  }
  const TlsParams* last = nullptr;
  for (const auto* row : sorted) {
    const TlsParams& p = row->first;
    if (last != nullptr && last->direction == p.direction && last->peer_ip == p.peer_ip) continue;
    last = &p;
    Statement& st = cached(
        kNoteTlsPeer,
        [] {
          return "INSERT OR IGNORE INTO temp.tls_touched (direction, client_ip) VALUES (?1, ?2)";
        },
        "save TLS peers");
    st.bind_kept(1, p.direction);
    st.bind_kept(2, p.peer_ip);
    st.run();
  }
  if (!run_) refresh_tls_peers();
  // tls_mix: this hand-over's sessions summed per key first, a few rows.
  std::map<std::tuple<std::string_view, std::string_view, std::string_view>, std::int64_t> mix;
  for (const auto& [p, c] : counts) mix[{p.direction, p.protocol, p.cipher}] += c.sessions;
  for (const auto& [k, n] : mix) {
    Statement& st = cached(
        kUpsertTlsMix,
        [] {
          return "INSERT INTO tls_mix (direction, protocol, cipher, sessions) "
                 "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (direction, protocol, cipher) "
                 "DO UPDATE SET sessions = sessions + excluded.sessions";
        },
        "save TLS mix");
    st.bind_kept(1, std::get<0>(k));
    st.bind_kept(2, std::get<1>(k));
    st.bind_kept(3, std::get<2>(k));
    st.bind(4, n);
    st.run();
  }
}

// Counts add up: the same sums whatever the order and split of runs.
void SqliteStore::add_session_days(const SessionDayList& days) {
  for (const auto& [k, n] : days) {
    Statement& st = cached(
        kUpsertSessionDay,
        [] {
          return "INSERT INTO session_days (mx_host, day, tls_state, sessions) "
                 "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (mx_host, day, tls_state) "
                 "DO UPDATE SET sessions = sessions + excluded.sessions";
        },
        "save session days");
    st.bind_kept(1, k.mx_host);
    st.bind(2, k.day);
    st.bind_kept(3, k.tls_state);
    st.bind(4, n);
    st.run();
  }
}

// Marks are rows of their own: no upsert, any order of runs and hosts.
// TLS marks go in in their key's order (tls_marks is one B-tree keyed by
// client, time, host, line): a batch then sweeps the tree once instead of
// touching a page at random for each mark, which spills pages of the 4 MiB
// cache to the WAL again and again. Plaintext marks keep their order (their
// ids name incidents).
void SqliteStore::save_marks(const ClientMarkList& marks) {
  std::vector<const ClientMark*> tls;
  for (const ClientMark& m : marks) {
    if (m.tls) tls.push_back(&m);
  }
  std::sort(tls.begin(), tls.end(), [](const ClientMark* a, const ClientMark* b) {
    return std::tie(a->client_ip, a->at, a->mx_host, a->ord) <
           std::tie(b->client_ip, b->at, b->mx_host, b->ord);
  });
  for (const ClientMark* m : tls) {
    Statement& st = cached(
        kInsertTlsMark,
        [] {
          return "INSERT INTO tls_marks (mx_host, client_ip, tls_at, tls_ord) "
                 "VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING";
        },
        "save TLS marks");
    st.bind_kept(1, m->mx_host);
    st.bind_kept(2, m->client_ip);
    st.bind(3, m->at);
    st.bind(4, static_cast<std::int64_t>(m->ord));
    st.run();
  }
  for (const ClientMark& m : marks) {
    if (m.tls) continue;
    Statement& st = cached(
        kInsertPlainMark,
        [] {
          return "INSERT INTO plain_marks (mx_host, queue_id, client_ip, client_name, "
                 "client_subnet, org_domain, accepted_at, accepted_ord, connect_input, "
                 "connect_line, connect_raw, client_input, client_line, client_raw) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
        },
        "save plaintext marks");
    st.bind_kept(1, m.mx_host);
    st.bind_kept(2, m.queue_id);
    st.bind_kept(3, m.client_ip);
    st.bind_kept(4, m.client_name);
    st.bind_kept(5, m.client_subnet);
    st.bind_kept(6, m.org_domain);
    st.bind(7, m.at);
    st.bind(8, static_cast<std::int64_t>(m.ord));
    st.bind_kept(9, m.connect_line.input);
    st.bind(10, static_cast<std::int64_t>(m.connect_line.line));
    st.bind_kept(11, m.connect_line.raw);
    st.bind_kept(12, m.client_line.input);
    st.bind(13, static_cast<std::int64_t>(m.client_line.line));
    st.bind_kept(14, m.client_line.raw);
    st.run();
  }
}

namespace {

// Settling deletes in batches of kSettleBatch rows, each resuming after the
// largest key the batch before deleted. One DELETE of every settled mark
// would, for its correlated conditions, have SQLite collect all their keys
// in memory before deleting any (about 25 bytes each: a year in one run
// settles millions of marks, and its ingest peaked at 88 MiB); a batch holds
// its own keys only, and each mark is looked at once.
constexpr std::int64_t kSettleBatch = 8192;

// One column of a mark's key as RETURNING gives it.
struct KeyValue {
  bool text = false;
  std::string s;
  std::int64_t i = 0;
  bool operator<(const KeyValue& o) const { return text ? s < o.s : i < o.i; }
};

// "m.a, m.b" -> "a, b".
std::string bare_columns(std::string_view key) {
  std::string out(key);
  for (std::size_t at = 0; (at = out.find("m.", at)) != std::string::npos;) out.erase(at, 2);
  return out;
}

// The batch DELETE of `step`: ?1..?4 as settle_conditions(), then (with
// `after`) the key to resume after, then the batch size.
std::string settle_batch_sql(const SettleStep& step, std::size_t columns, bool after) {
  const std::string table(step.table);
  const std::string key(step.key);
  std::string sql = "DELETE FROM " + table + " WHERE (" + bare_columns(key) + ") IN (SELECT " +
                    key + " FROM " + table + " AS m WHERE ";
  int next = 5;
  if (after) {
    sql += "(" + key + ") > (";
    for (std::size_t c = 0; c < columns; ++c) sql += (c ? ", ?" : "?") + std::to_string(next++);
    sql += ") AND ";
  }
  return sql + step.where + " ORDER BY " + key + " LIMIT ?" + std::to_string(next) +
         ") RETURNING " + bare_columns(key);
}

}  // namespace

std::int64_t SqliteStore::settle_marks(Micros window_us, const std::vector<std::string>& hosts) {
  std::int64_t removed = 0;
  for (const SettleStep& step : settle_conditions()) {
    const auto columns =
        static_cast<std::size_t>(std::count(step.key.begin(), step.key.end(), ',') + 1);
    const std::string what = "settle " + std::string(step.table);
    Statement first = db_->prepare(settle_batch_sql(step, columns, false), what);
    Statement more = db_->prepare(settle_batch_sql(step, columns, true), what);
    for (const std::string& host : hosts) {
      std::vector<KeyValue> cursor;
      for (;;) {
        Statement& st = cursor.empty() ? first : more;
        st.bind(1, window_us);
        st.bind(2, kMarkLag);
        st.bind(3, kMaxSkew);
        st.bind_kept(4, host);
        int next = 5;
        for (const KeyValue& v : cursor) v.text ? st.bind_kept(next++, v.s) : st.bind(next++, v.i);
        st.bind(next, kSettleBatch);
        std::int64_t deleted = 0;
        std::vector<KeyValue> largest;
        std::vector<KeyValue> row(columns);
        while (st.step()) {
          ++deleted;
          for (std::size_t c = 0; c < columns; ++c) {
            const int i = static_cast<int>(c);
            row[c].text = st.column_type(i) == Statement::Type::kText;
            if (row[c].text) {
              row[c].s.assign(st.column_view(i));
            } else {
              row[c].i = st.column_int(i);
            }
          }
          if (largest.empty() || largest < row) largest = row;
        }
        st.reset();
        removed += deleted;
        if (deleted < kSettleBatch) break;
        cursor = std::move(largest);
      }
    }
  }
  return removed;
}

}  // namespace pftls
