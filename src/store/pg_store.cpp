// pg_store: opening a PostgreSQL database, the sinks, inputs, settings and runs.
#include "store/pg_store.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <thread>

#include "base/embedded_data.h"
#include "base/text.h"
#include "store/prune_sql.h"

namespace pftls {
namespace {

// Advisory lock classes: one host's ingest runs; creating the schema.
constexpr std::int64_t kHostLockClass = 0x70667473;
constexpr std::int64_t kSchemaLockClass = 0x70667474;

// The columns of a client's counts, and how a row of them is added to the
// stored one in TABLE (aliased c) as SQLite's upsert adds it: sums, the
// widest first/last seen, and the name and domain that names_later keeps,
// whatever order the hosts' runs commit in. Every SET reads the row as it
// was.
constexpr const char* kClientColumns =
    "client_ip, client_name, sessions, tls_sessions, plaintext_sessions, failed_sessions, "
    "starttls_sessions, messages, plaintext_messages, first_seen, last_seen, org_domain, named_at";

std::string add_clients_conflict() {
  const std::string later =
      "(excluded.client_name <> '' AND (excluded.named_at, excluded.client_name) > "
      "(c.named_at, c.client_name))";
  return " ON CONFLICT (client_ip) DO UPDATE SET "
         "client_name = CASE WHEN " +
         later +
         " THEN excluded.client_name ELSE c.client_name END, "
         "org_domain = CASE WHEN " +
         later +
         " THEN excluded.org_domain ELSE c.org_domain END, "
         "named_at = CASE WHEN " +
         later +
         " THEN excluded.named_at ELSE c.named_at END, "
         "sessions = c.sessions + excluded.sessions, "
         "tls_sessions = c.tls_sessions + excluded.tls_sessions, "
         "plaintext_sessions = c.plaintext_sessions + excluded.plaintext_sessions, "
         "failed_sessions = c.failed_sessions + excluded.failed_sessions, "
         "starttls_sessions = c.starttls_sessions + excluded.starttls_sessions, "
         "messages = c.messages + excluded.messages, "
         "plaintext_messages = c.plaintext_messages + excluded.plaintext_messages, "
         "first_seen = CASE WHEN coalesce(c.first_seen, 0) = 0 THEN "
         "excluded.first_seen ELSE LEAST(c.first_seen, excluded.first_seen) END, "
         "last_seen = CASE WHEN c.last_seen IS NULL OR excluded.last_seen IS NULL "
         "THEN NULL ELSE GREATEST(c.last_seen, excluded.last_seen) END";
}

// Adds `rows` clients (13 parameters each) to `table` in one statement: a
// list holds each client once, so no row is affected twice.
std::string upsert_clients_sql(const char* table, int rows) {
  std::string sql = std::string("INSERT INTO ") + table + " AS c (" + kClientColumns + ") VALUES ";
  int k = 1;
  for (int r = 0; r < rows; ++r) {
    sql += r > 0 ? ", (" : "(";
    for (int c = 0; c < 13; ++c) sql += (c > 0 ? ", $" : "$") + std::to_string(k++);
    sql += ')';
  }
  return sql + add_clients_conflict();
}

// A run's counts of clients wait in this temporary table (dropped at the
// commit) and reach client_stats in one statement just before it, in
// address order: the rows of clients that all hosts share stay locked for
// that statement and the commit only, not from a mid-run batch on through
// the run's closing queries, which made concurrent hosts' runs wait for
// each other in turn (and two runs taking the same rows in different
// batches could deadlock).
constexpr const char* kRunClients = "pg_temp.run_clients";
constexpr int kClientBatch = 200;

// $PFTLS_HOST (for a container whose host name changes with each start),
// else the system's host name. Printable ASCII without spaces, 1 to 255 bytes.
std::string run_host_name() {
  if (const char* env = std::getenv("PFTLS_HOST"); env != nullptr) {
    const std::string_view v(env);
    const bool ok = !v.empty() && v.size() <= 255 &&
                    std::all_of(v.begin(), v.end(), [](char c) { return c > ' ' && c < 0x7f; });
    if (!ok) {
      throw StoreError(StoreError::Kind::kFailed,
                       "PFTLS_HOST is not a host name (1 to 255 printable characters, no spaces)");
    }
    return std::string(v);
  }
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

}  // namespace

bool pg_run_scoped_setting(std::string_view key) {
  return key == "next_ord" || key == "tz" || key == "warned_kinds" ||
         key.starts_with("journal_cursor:") || key.starts_with("journal_lines:") ||
         key.starts_with("damaged_file:") || key.starts_with("damaged_input:");
}

std::string pg_insert_sql(std::string_view table, const std::string& columns, int count) {
  std::string sql = "INSERT INTO " + std::string(table) + " (" + columns + ") VALUES (";
  for (int i = 1; i <= count; ++i) sql += (i > 1 ? ", $" : "$") + std::to_string(i);
  return sql + ")";
}

PgStore::PgStore(const std::string& location, Mode mode, int lock_wait_ms)
    : conn_(std::make_unique<PgConn>(location)),
      host_(run_host_name()),
      lock_wait_ms_(lock_wait_ms) {
  ensure_schema(mode);
}

PgStore::~PgStore() { rollback_run(); }

// The TLS inventory and session_days tables (queries/pg/schema.sql has
// them too): made under the schema lock (also by the version 3 migration),
// as hosts' first runs may open the database at once.
constexpr const char* kTlsInventoryTable =
    "CREATE TABLE IF NOT EXISTS tls_inventory ("
    "direction TEXT COLLATE \"C\" NOT NULL, client_ip TEXT COLLATE \"C\" NOT NULL, "
    "mx_host TEXT COLLATE \"C\" NOT NULL, protocol TEXT COLLATE \"C\" NOT NULL, "
    "cipher TEXT COLLATE \"C\" NOT NULL, bits BIGINT NOT NULL, trust TEXT COLLATE \"C\" NOT NULL, "
    "sessions BIGINT NOT NULL, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, "
    "PRIMARY KEY (direction, client_ip, mx_host, protocol, cipher, bits, trust));"
    "CREATE TABLE IF NOT EXISTS session_days ("
    "mx_host TEXT COLLATE \"C\" NOT NULL, day BIGINT NOT NULL, "
    "tls_state TEXT COLLATE \"C\" NOT NULL, sessions BIGINT NOT NULL, "
    "PRIMARY KEY (mx_host, day, tls_state))";

// The cross-host marks and their look-ups (queries/pg/schema.sql has them
// too), made as kTlsInventoryTable is.
constexpr const char* kMarkTables =
    "CREATE TABLE IF NOT EXISTS plain_marks (id BIGINT GENERATED BY DEFAULT AS "
    "IDENTITY PRIMARY KEY, mx_host TEXT COLLATE \"C\" NOT NULL, queue_id TEXT "
    "COLLATE \"C\" NOT NULL, client_ip TEXT COLLATE \"C\" NOT NULL, client_name TEXT "
    "COLLATE \"C\" NOT NULL, client_subnet TEXT COLLATE \"C\" NOT NULL, org_domain TEXT "
    "COLLATE \"C\" NOT NULL, subnet_key TEXT COLLATE \"C\" GENERATED ALWAYS AS (CASE WHEN "
    "client_subnet = '' THEN client_ip ELSE client_subnet END) STORED, org_key TEXT "
    "COLLATE \"C\" GENERATED ALWAYS AS (CASE WHEN org_domain = '' THEN client_ip ELSE "
    "org_domain END) STORED, accepted_at BIGINT NOT NULL, accepted_ord BIGINT NOT NULL, "
    "connect_input TEXT COLLATE \"C\" NOT NULL DEFAULT '', connect_line BIGINT NOT NULL "
    "DEFAULT 0, connect_raw TEXT COLLATE \"C\" NOT NULL DEFAULT '', client_input TEXT "
    "COLLATE \"C\" NOT NULL DEFAULT '', client_line BIGINT NOT NULL DEFAULT 0, client_raw "
    "TEXT COLLATE \"C\" NOT NULL DEFAULT '');"
    "CREATE INDEX IF NOT EXISTS plain_marks_client ON plain_marks (client_ip, accepted_at);"
    "CREATE TABLE IF NOT EXISTS tls_marks (client_ip TEXT COLLATE \"C\" NOT NULL, "
    "tls_at BIGINT NOT NULL, mx_host TEXT COLLATE \"C\" NOT NULL, tls_ord BIGINT NOT NULL, "
    "PRIMARY KEY (client_ip, tls_at, mx_host, tls_ord));"
    "CREATE INDEX IF NOT EXISTS sessions_failed_any ON sessions (client_ip, failure_at) WHERE "
    "failed = 1;"
    "CREATE INDEX IF NOT EXISTS sessions_failed_any_subnet ON sessions (subnet_key, "
    "failure_at) WHERE failed = 1;"
    "CREATE INDEX IF NOT EXISTS sessions_failed_any_org ON sessions (org_key, failure_at) "
    "WHERE failed = 1;"
    "CREATE INDEX IF NOT EXISTS sessions_tls_any ON sessions (client_ip, tls_at) WHERE tls = "
    "1 AND failed = 0;"
    "CREATE INDEX IF NOT EXISTS messages_any ON messages (client_ip, accepted_at)";

// The outbound evidence and its pending state (queries/pg/schema.sql has
// them too), made as kTlsInventoryTable is.
constexpr const char* kOutboundEvidenceTables =
    "CREATE TABLE IF NOT EXISTS outbound_evidence ("
    "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, outbound_id BIGINT NOT NULL, "
    "role TEXT COLLATE \"C\" NOT NULL, input TEXT COLLATE \"C\" NOT NULL, line BIGINT NOT NULL, "
    "raw TEXT COLLATE \"C\" NOT NULL);"
    "CREATE INDEX IF NOT EXISTS outbound_evidence_outbound ON outbound_evidence (outbound_id, id);"
    "CREATE TABLE IF NOT EXISTS outbound_messages (outbound_id BIGINT PRIMARY KEY, "
    "message_id TEXT COLLATE \"C\" NOT NULL, sender TEXT COLLATE \"C\" NOT NULL);"
    "CREATE TABLE IF NOT EXISTS open_outbound_lines ("
    "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
    "run_host TEXT COLLATE \"C\" NOT NULL DEFAULT '', owner TEXT COLLATE \"C\" NOT NULL, "
    "owner_seq BIGINT NOT NULL, role TEXT COLLATE \"C\" NOT NULL, "
    "input TEXT COLLATE \"C\" NOT NULL, line BIGINT NOT NULL, raw TEXT COLLATE \"C\" NOT NULL);"
    "CREATE INDEX IF NOT EXISTS open_outbound_lines_host ON open_outbound_lines (run_host, id);"
    "CREATE TABLE IF NOT EXISTS open_outbound_notes ("
    "seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
    "run_host TEXT COLLATE \"C\" NOT NULL DEFAULT '', mx_host TEXT COLLATE \"C\" NOT NULL, "
    "queue_id TEXT COLLATE \"C\" NOT NULL, message_id TEXT COLLATE \"C\" NOT NULL, "
    "sender TEXT COLLATE \"C\" NOT NULL, seen_at BIGINT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS open_outbound_notes_host ON open_outbound_notes (run_host, seq)";

// Indexes added within the version (those of queries/pg/schema.sql, word for
// word): only read faster, made as kTlsInventoryTable is.
// The columns added to plain_marks within the version (a mark's
// evidence): a table made before them gets them under the schema lock
// (ensure_added_tables()), a reader sees them through a view
// (shadow_marks()).
constexpr const char* kAddedMarkColumns =
    "ALTER TABLE plain_marks ADD COLUMN IF NOT EXISTS connect_input TEXT COLLATE \"C\" "
    "NOT NULL DEFAULT '', ADD COLUMN IF NOT EXISTS connect_line BIGINT NOT NULL DEFAULT 0, "
    "ADD COLUMN IF NOT EXISTS connect_raw TEXT COLLATE \"C\" NOT NULL DEFAULT '', "
    "ADD COLUMN IF NOT EXISTS client_input TEXT COLLATE \"C\" NOT NULL DEFAULT '', "
    "ADD COLUMN IF NOT EXISTS client_line BIGINT NOT NULL DEFAULT 0, "
    "ADD COLUMN IF NOT EXISTS client_raw TEXT COLLATE \"C\" NOT NULL DEFAULT ''";
constexpr const char* kMarkColumnsExist =
    "SELECT count(*) FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c "
    "ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND c.relname = 'plain_marks' "
    "AND a.attname = 'client_raw' AND NOT a.attisdropped";

constexpr const char* kAddedIndexes =
    "CREATE INDEX IF NOT EXISTS sessions_failed_reason ON sessions (mx_host, failure_reason, "
    "failed) "
    "WHERE failed = 1;"
    "CREATE INDEX IF NOT EXISTS client_stats_never_tls ON client_stats (messages DESC, "
    "client_ip, client_name, sessions, first_seen, last_seen) WHERE messages > 0 AND "
    "tls_sessions = 0 AND starttls_sessions = 0 AND failed_sessions = 0";

// tls_mix: the inventory's sessions per direction, protocol and cipher, which
// the report reads (SQLite keeps a table of them, kTlsMixTable in
// sqlite_store.cpp; PostgreSQL sums the inventory in this view). In
// queries/pg/schema.sql too; made for a database of version 4 that lacks it
// as the added tables are, and read through a TEMP view of the same text by a
// reader of one no writer has opened yet (shadow_tls_mix()).
constexpr const char* kTlsMixView =
    "VIEW tls_mix AS SELECT direction, protocol, cipher, CAST(sum(sessions) AS BIGINT) AS "
    "sessions FROM tls_inventory GROUP BY direction, protocol, cipher";

// tls_peers: the inventory per direction and peer as `pftls tls` lists it
// (queries/pg/tls.sql; the SQLite store keeps the same, kTlsPeersTable in
// sqlite_store.cpp), with an index in the listing's order. A run notes the
// peers it touched (touched_) and, at its commit, computes their rows again
// from the inventory; a run that touched more than kMaxTouchedPeers makes
// the whole table anew. The commits of several hosts do that one at a time
// (kTlsPeersLockClass, taken before the client counts are merged, so that a
// commit waiting for it holds no row another one needs): each then sees the
// inventory rows of those committed before it. In queries/pg/schema.sql
// too; made and filled for a database of version 4 that lacks it, as the
// added tables are; read through a TEMP view by a reader of one no writer
// has opened yet.
constexpr const char* kTlsPeersTable =
    "CREATE TABLE IF NOT EXISTS tls_peers (direction TEXT COLLATE \"C\" NOT NULL, "
    "client_ip TEXT COLLATE \"C\" NOT NULL, hosts TEXT COLLATE \"C\" NOT NULL, "
    "tls_sessions BIGINT NOT NULL, unknown_sessions BIGINT NOT NULL, "
    "protocols TEXT COLLATE \"C\", ciphers TEXT COLLATE \"C\", trust TEXT COLLATE \"C\", "
    "min_bits BIGINT, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, "
    "PRIMARY KEY (direction, client_ip));"
    "CREATE INDEX IF NOT EXISTS tls_peers_listing ON tls_peers "
    "(direction, tls_sessions DESC, client_ip)";
constexpr std::int64_t kTlsPeersLockClass = 0x70667475;
constexpr std::size_t kMaxTouchedPeers = 65536;

// The rows of tls_peers from the inventory rows `inventory` (a table or a
// subquery): each list "VALUE=SESSIONS", most first, then by value.
std::string tls_peers_select(std::string_view inventory) {
  const std::string inv(inventory);
  const auto list = [&](const char* column, const char* name) {
    return std::string(name) + " AS (SELECT direction, client_ip, string_agg(" + column +
           " || '=' || n, ' ' ORDER BY n DESC, " + column + ") AS " + name +
           " FROM (SELECT direction, client_ip, " + column +
           ", sum(sessions) AS n FROM inv WHERE " + column + " <> '' GROUP BY direction, " +
           "client_ip, " + column + ") AS g GROUP BY direction, client_ip)";
  };
  return "WITH inv AS (SELECT * FROM " + inv +
         " AS x), "
         "per_client AS (SELECT direction, client_ip, CAST(sum(sessions) AS BIGINT) AS "
         "tls_sessions, CAST(sum(CASE WHEN protocol = '' THEN sessions ELSE 0 END) AS BIGINT) "
         "AS unknown_sessions, min(CASE WHEN protocol <> '' THEN bits END) AS min_bits, "
         "min(first_seen) AS first_seen, max(last_seen) AS last_seen FROM inv "
         "GROUP BY direction, client_ip), "
         "host_lists AS (SELECT direction, client_ip, string_agg(mx_host, ' ' ORDER BY mx_host) "
         "AS hosts FROM (SELECT DISTINCT direction, client_ip, mx_host FROM inv) AS d "
         "GROUP BY direction, client_ip), " +
         list("protocol", "protocols") + ", " + list("cipher", "ciphers") + ", " +
         list("trust", "trusts") +
         " SELECT p.direction, p.client_ip, h.hosts, p.tls_sessions, p.unknown_sessions, "
         "pr.protocols, ci.ciphers, tr.trusts AS trust, p.min_bits, p.first_seen, p.last_seen "
         "FROM per_client AS p "
         "JOIN host_lists AS h ON h.direction = p.direction AND h.client_ip = p.client_ip "
         "LEFT JOIN protocols AS pr ON pr.direction = p.direction AND pr.client_ip = p.client_ip "
         "LEFT JOIN ciphers AS ci ON ci.direction = p.direction AND ci.client_ip = p.client_ip "
         "LEFT JOIN trusts AS tr ON tr.direction = p.direction AND tr.client_ip = p.client_ip";
}

// Our smtp client's failed handshakes (queries/pg/schema.sql has it too),
// made as kTlsInventoryTable is.
constexpr const char* kOutboundFailuresTable =
    "CREATE TABLE IF NOT EXISTS outbound_failures ("
    "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
    "mx_host TEXT COLLATE \"C\" NOT NULL, queue_id TEXT COLLATE \"C\" NOT NULL, "
    "relay_name TEXT COLLATE \"C\" NOT NULL, relay_ip TEXT COLLATE \"C\" NOT NULL, "
    "relay_port TEXT COLLATE \"C\" NOT NULL, failure_at BIGINT NOT NULL, "
    "failure_reason TEXT COLLATE \"C\" NOT NULL, openssl_code TEXT COLLATE \"C\" NOT NULL, "
    "outcome TEXT COLLATE \"C\" NOT NULL, outcome_at BIGINT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS outbound_failures_pending ON outbound_failures (mx_host, "
    "queue_id) WHERE outcome = 'pending';"
    "CREATE INDEX IF NOT EXISTS outbound_failures_time ON outbound_failures (failure_at, id)";

void PgStore::ensure_schema(Mode mode) {
  const std::string& label = conn_->label();
  const auto version = [&]() -> std::optional<std::int64_t> {
    if (!has_relation("pftls_schema")) return std::nullopt;
    PgResult v = conn_->exec("SELECT max(version) FROM pftls_schema", "read schema version");
    return v.int64(0, 0);
  };
  const auto check = [&](std::int64_t v) {
    if (v == kSchemaVersion) return;
    throw StoreError(StoreError::Kind::kVersion,
                     "PostgreSQL " + label + " has pftls schema version " + std::to_string(v) +
                         ", which this pftls does not know (it knows " +
                         std::to_string(kSchemaVersion) + ")");
  };
  // Version 3 lacks client_stats.named_at: added under the lock below.
  constexpr std::int64_t kMigrates = 3;
  const std::optional<std::int64_t> found = version();
  if (found && *found != kMigrates) {
    check(*found);
    if (mode != Mode::kReadOnly) {
      ensure_added_tables();
    } else {
      shadow_outbound_failures();
      shadow_marks();
      shadow_tls_mix();
      shadow_tls_peers();
    }
    return;
  }
  if (!found && mode == Mode::kReadOnly) {
    throw StoreError(StoreError::Kind::kFailed,
                     "no pftls database at " + label + " (run 'pftls ingest' first)");
  }
  conn_->exec_script("BEGIN", "create schema");
  try {
    PgParams p;
    p.add(kSchemaLockClass);
    conn_->exec("SELECT pg_advisory_xact_lock(CAST($1 AS integer), 0)", p, "create schema");
    // Asked again under the lock: another pftls may have got here first.
    if (auto v = version(); v && *v == kMigrates) {
      conn_->exec_script("ALTER TABLE client_stats ADD COLUMN named_at BIGINT NOT NULL DEFAULT 0",
                         "migrate schema");
      conn_->exec_script(kTlsInventoryTable, "migrate schema");
      conn_->exec_script(kOutboundEvidenceTables, "migrate schema");
      conn_->exec_script(kAddedIndexes, "migrate schema");
      conn_->exec_script(kOutboundFailuresTable, "migrate schema");
      conn_->exec_script(kMarkTables, "migrate schema");
      conn_->exec_script(std::string("CREATE OR REPLACE ") + kTlsMixView, "migrate schema");
      PgParams now;
      now.add(kSchemaVersion);
      conn_->exec("INSERT INTO pftls_schema (version) VALUES ($1)", now, "set schema version");
      conn_->exec_script("COMMIT", "migrate schema");
      return;
    } else if (v) {
      conn_->exec_script("COMMIT", "create schema");
      return check(*v);
    }
    PgResult other = conn_->exec(
        "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
        "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')",
        "read schema");
    if (other.int64(0, 0) != 0) {
      throw StoreError(StoreError::Kind::kFailed,
                       "PostgreSQL " + label + " is not a pftls database (it has other tables)");
    }
    conn_->exec_script(std::string(embedded_file("queries/pg/schema.sql")), "create schema");
    PgParams v;
    v.add(kSchemaVersion);
    conn_->exec("INSERT INTO pftls_schema (version) VALUES ($1)", v, "set schema version");
    conn_->exec_script("COMMIT", "create schema");
  } catch (...) {
    try {
      conn_->exec_script("ROLLBACK", "create schema");
    } catch (const StoreError&) {  // the error that brought us here says more
    }
    throw;
  }
}

// A reader of a database no ingest of this pftls has opened yet: an empty
// outbound_failures of its own (pg_temp is searched first), so that
// `failures --direction out` answers with no rows; the next ingest makes the
// real one.
void PgStore::shadow_outbound_failures() {
  if (has_relation("outbound_failures")) return;
  std::string temp = kOutboundFailuresTable;
  const std::string_view from = "CREATE TABLE", to = "CREATE TEMP TABLE";
  temp.replace(temp.find(from), from.size(), to);
  conn_->exec_script(temp, "make an empty table for reading");
}

// Likewise the cross-host marks (only their columns: the queries read no
// more).
void PgStore::shadow_marks() {
  if (has_relation("plain_marks")) {
    // Marks stored before their evidence columns: read with empty ones.
    if (conn_->exec(kMarkColumnsExist, "read schema").int64(0, 0) == 0) {
      PgResult schema = conn_->exec("SELECT quote_ident(current_schema())", "read schema");
      conn_->exec_script(
          "CREATE TEMP VIEW plain_marks AS SELECT m.*, ''::text COLLATE \"C\" AS connect_input, "
          "0::bigint AS connect_line, ''::text COLLATE \"C\" AS connect_raw, "
          "''::text COLLATE \"C\" AS client_input, 0::bigint AS client_line, "
          "''::text COLLATE \"C\" AS client_raw FROM " +
              std::string(schema.text(0, 0)) + ".plain_marks AS m",
          "make a view for reading");
    }
    return;
  }
  conn_->exec_script(
      "CREATE TEMP TABLE plain_marks (id BIGINT, mx_host TEXT COLLATE \"C\", "
      "queue_id TEXT COLLATE \"C\", client_ip TEXT COLLATE \"C\", client_name TEXT COLLATE \"C\", "
      "client_subnet TEXT COLLATE \"C\", org_domain TEXT COLLATE \"C\", "
      "subnet_key TEXT COLLATE \"C\", org_key TEXT COLLATE \"C\", accepted_at BIGINT, "
      "accepted_ord BIGINT, connect_input TEXT COLLATE \"C\", connect_line BIGINT, "
      "connect_raw TEXT COLLATE \"C\", client_input TEXT COLLATE \"C\", client_line BIGINT, "
      "client_raw TEXT COLLATE \"C\");"
      "CREATE TEMP TABLE tls_marks (client_ip TEXT COLLATE \"C\", tls_at BIGINT, "
      "mx_host TEXT COLLATE \"C\", tls_ord BIGINT)",
      "make an empty table for reading");
}

// Whether this schema has a relation (table, view or index) of that name:
// pg_class through the statement's snapshot, not to_regclass, which reads
// the catalog cache, and that may not yet show the tables another host's
// first run committed while this one waited for the lock.
bool PgStore::has_relation(std::string_view name) {
  PgParams p;
  p.add_text(name);
  return conn_
             ->exec(
                 "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN "
                 "pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = "
                 "current_schema() AND c.relname = $1)",
                 p, "read schema")
             .text(0, 0) == "t";
}

void PgStore::shadow_tls_mix() {
  if (has_relation("tls_mix")) return;
  conn_->exec_script(std::string("CREATE TEMP ") + kTlsMixView, "make a view for reading");
}

void PgStore::shadow_tls_peers() {
  if (has_relation("tls_peers")) return;
  conn_->exec_script("CREATE TEMP VIEW tls_peers AS " + tls_peers_select("tls_inventory"),
                     "make a view for reading");
}

void PgStore::fill_tls_peers() {
  conn_->exec_script("DELETE FROM tls_peers", "make tls_peers");
  conn_->exec_script("INSERT INTO tls_peers " + tls_peers_select("tls_inventory"),
                     "make tls_peers");
}

// The rows of the peers this run touched, from the inventory as it is now
// (see kTlsPeersTable); the whole table when it touched too many to name.
void PgStore::refresh_tls_peers() {
  if (touched_.empty() && !touched_overflow_) return;
  PgParams lock;
  lock.add(kTlsPeersLockClass);
  conn_->exec("SELECT pg_advisory_xact_lock(CAST($1 AS integer), 0)", lock, "save TLS peers");
  if (touched_overflow_) {
    fill_tls_peers();
  } else {
    conn_->exec_script(
        "CREATE TEMP TABLE tls_touched (direction TEXT COLLATE \"C\" NOT NULL, "
        "client_ip TEXT COLLATE \"C\" NOT NULL, PRIMARY KEY (direction, client_ip)) "
        "ON COMMIT DROP",
        "save TLS peers");
    constexpr std::size_t kBatch = 500;
    std::vector<const std::pair<std::string, std::string>*> peers;
    peers.reserve(touched_.size());
    for (const auto& peer : touched_) peers.push_back(&peer);
    for (std::size_t at = 0; at < peers.size(); at += kBatch) {
      const std::size_t n = std::min(kBatch, peers.size() - at);
      std::string sql = "INSERT INTO pg_temp.tls_touched (direction, client_ip) VALUES ";
      PgParams p;
      for (std::size_t i = 0; i < n; ++i) {
        if (i > 0) sql += ", ";
        sql += "($" + std::to_string(2 * i + 1) + ", $" + std::to_string(2 * i + 2) + ")";
        p.add_text(peers[at + i]->first);
        p.add_text(peers[at + i]->second);
      }
      conn_->exec(sql, p, "save TLS peers");
    }
    conn_->exec_script(
        "DELETE FROM tls_peers AS p USING pg_temp.tls_touched AS t "
        "WHERE p.direction = t.direction AND p.client_ip = t.client_ip",
        "save TLS peers");
    conn_->exec_script(
        "INSERT INTO tls_peers " +
            tls_peers_select("(SELECT i.* FROM pg_temp.tls_touched AS t JOIN tls_inventory AS i "
                             "ON i.direction = t.direction AND i.client_ip = t.client_ip)"),
        "save TLS peers");
  }
  touched_.clear();
  touched_overflow_ = false;
}

void PgStore::ensure_added_tables() {
  // Every table, index and view added within schema version 4 (made together
  // below; checked first, so that a database that has them takes no lock).
  const auto exists = [&] {
    PgResult r = conn_->exec(
        "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
        "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
        "AND c.relname IN ('tls_inventory', 'session_days', 'open_outbound_notes', "
        "'sessions_failed_reason', 'client_stats_never_tls', 'plain_marks', "
        "'outbound_failures', 'tls_mix', 'tls_peers', 'tls_peers_listing')",
        "read schema");
    return r.int64(0, 0) == 10 && conn_->exec(kMarkColumnsExist, "read schema").int64(0, 0) == 1;
  };
  if (exists()) return;
  conn_->exec_script("BEGIN", "create schema");
  try {
    PgParams p;
    p.add(kSchemaLockClass);
    conn_->exec("SELECT pg_advisory_xact_lock(CAST($1 AS integer), 0)", p, "create schema");
    if (!exists()) {
      conn_->exec_script(kTlsInventoryTable, "create schema");
      conn_->exec_script(kOutboundEvidenceTables, "create schema");
      conn_->exec_script(kAddedIndexes, "create schema");
      conn_->exec_script(kMarkTables, "create schema");
      conn_->exec_script(kOutboundFailuresTable, "create schema");
      conn_->exec_script(kAddedMarkColumns, "create schema");
      conn_->exec_script(std::string("CREATE OR REPLACE ") + kTlsMixView, "create schema");
      // Through the statement's snapshot (see version() above), not to_regclass.
      const bool had_peers =
          conn_
              ->exec(
                  "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                  "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
                  "AND c.relname = 'tls_peers'",
                  "read schema")
              .int64(0, 0) != 0;
      conn_->exec_script(kTlsPeersTable, "create schema");
      if (!had_peers) fill_tls_peers();
    }
    conn_->exec_script("COMMIT", "create schema");
  } catch (...) {
    try {
      conn_->exec_script("ROLLBACK", "create schema");
    } catch (const StoreError&) {  // the error that brought us here says more
    }
    throw;
  }
}

// Counts add up and first/last seen widen: the same sums whatever the order
// of runs and hosts. Each host's rows are its own (mx_host is in the key).
void PgStore::add_tls_counts(const TlsCountList& counts) {
  for (const auto& [t, c] : counts) {
    if (!touched_overflow_) {
      touched_.emplace(t.direction, t.peer_ip);
      if (touched_.size() > kMaxTouchedPeers) {
        touched_.clear();
        touched_overflow_ = true;
      }
    }
    params_.clear();
    params_.add_text(t.direction);
    params_.add_text(t.peer_ip);
    params_.add_text(t.mx_host);
    params_.add_text(t.protocol);
    params_.add_text(t.cipher);
    params_.add(t.bits);
    params_.add_text(t.trust);
    params_.add(c.sessions);
    params_.add(c.first_seen);
    params_.add(c.last_seen);
    conn_->exec_prepared(
        "upsert_tls",
        "INSERT INTO tls_inventory (direction, client_ip, mx_host, protocol, cipher, bits, trust, "
        "sessions, first_seen, last_seen) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
        "ON CONFLICT (direction, client_ip, mx_host, protocol, cipher, bits, trust) DO UPDATE SET "
        "sessions = tls_inventory.sessions + excluded.sessions, "
        "first_seen = LEAST(tls_inventory.first_seen, excluded.first_seen), "
        "last_seen = GREATEST(tls_inventory.last_seen, excluded.last_seen)",
        params_, "save TLS inventory");
  }
}

// Counts add up: the same sums whatever the order and split of runs.
void PgStore::add_session_days(const SessionDayList& days) {
  for (const auto& [k, n] : days) {
    params_.clear();
    params_.add_text(k.mx_host);
    params_.add(k.day);
    params_.add_text(k.tls_state);
    params_.add(n);
    conn_->exec_prepared(
        "upsert_session_day",
        "INSERT INTO session_days (mx_host, day, tls_state, sessions) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (mx_host, day, tls_state) DO UPDATE SET "
        "sessions = session_days.sessions + excluded.sessions",
        params_, "save session days");
  }
}

// Marks are rows of their own: no upsert, any order of runs and hosts. They
// are many (a row per plaintext message and TLS session of a client its host
// does not watch), so they go in multi-row INSERTs of up to kMarkRows rows
// (bound parameters, 14 or 4 a row: within PostgreSQL's 65535), not one
// statement a mark. A batch keeps the marks' order, so plain_marks ids grow
// with it as before; ON CONFLICT DO NOTHING also skips a TLS mark repeated
// within one statement.
void PgStore::save_marks(const ClientMarkList& marks) {
  std::vector<const ClientMark*> tls;
  std::vector<const ClientMark*> plain;
  for (const ClientMark& m : marks) (m.tls ? tls : plain).push_back(&m);
  for (std::size_t next = 0; next < tls.size(); next += kMarkRows) {
    const std::size_t n = std::min(tls.size() - next, kMarkRows);
    params_.clear();
    for (std::size_t i = next; i < next + n; ++i) {
      const ClientMark& m = *tls[i];
      params_.add_text(m.mx_host);
      params_.add_text(m.client_ip);
      params_.add(m.at);
      params_.add(static_cast<std::int64_t>(m.ord));
    }
    send_marks("insert_tls_marks",
               "INSERT INTO tls_marks (mx_host, client_ip, tls_at, tls_ord) VALUES ", 4, n,
               " ON CONFLICT DO NOTHING", "save TLS marks");
  }
  for (std::size_t next = 0; next < plain.size(); next += kMarkRows) {
    const std::size_t n = std::min(plain.size() - next, kMarkRows);
    params_.clear();
    for (std::size_t i = next; i < next + n; ++i) {
      const ClientMark& m = *plain[i];
      params_.add_text(m.mx_host);
      params_.add_text(m.queue_id);
      params_.add_text(m.client_ip);
      params_.add_text(m.client_name);
      params_.add_text(m.client_subnet);
      params_.add_text(m.org_domain);
      params_.add(m.at);
      params_.add(static_cast<std::int64_t>(m.ord));
      params_.add_text(m.connect_line.input);
      params_.add(static_cast<std::int64_t>(m.connect_line.line));
      params_.add_text(m.connect_line.raw);
      params_.add_text(m.client_line.input);
      params_.add(static_cast<std::int64_t>(m.client_line.line));
      params_.add_text(m.client_line.raw);
    }
    send_marks("insert_plain_marks",
               "INSERT INTO plain_marks (mx_host, queue_id, client_ip, client_name, "
               "client_subnet, org_domain, accepted_at, accepted_ord, connect_input, "
               "connect_line, connect_raw, client_input, client_line, client_raw) VALUES ",
               14, n, "", "save plaintext marks");
  }
}

// `head` then `rows` tuples of `columns` parameters each, then `tail`, with
// params_. Full batches share one prepared statement; a shorter last one is
// sent as it is.
void PgStore::send_marks(const char* name, std::string_view head, std::size_t columns,
                         std::size_t rows, std::string_view tail, std::string_view what) {
  std::string sql(head);
  std::size_t k = 1;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r > 0 ? ", (" : "(";
    for (std::size_t c = 0; c < columns; ++c) {
      sql += c > 0 ? ", $" : "$";
      sql += std::to_string(k++);
    }
    sql += ')';
  }
  sql += tail;
  if (rows == kMarkRows) {
    conn_->exec_prepared(name, sql, params_, what);
  } else {
    conn_->exec(sql, params_, what);
  }
}

// Each run settles the marks of its own hosts only: runs of different hosts
// delete disjoint rows and do not wait for each other.
std::int64_t PgStore::settle_marks(Micros window_us, const std::vector<std::string>& hosts) {
  std::int64_t removed = 0;
  for (PruneStep& step : settle_steps()) {
    for (const char* n : {"1", "2", "3", "4"}) {
      const std::string from = std::string("?") + n;
      const std::string to = std::string("$") + n;
      for (std::size_t at = 0; (at = step.sql.find(from, at)) != std::string::npos;) {
        step.sql.replace(at, from.size(), to);
      }
    }
    for (const std::string& host : hosts) {
      PgParams p;
      p.add(window_us);
      p.add(kMarkLag);
      p.add(kMaxSkew);
      p.add_text(host);
      removed += conn_->exec(step.sql, p, "settle " + std::string(step.table)).affected();
    }
  }
  return removed;
}

void PgStore::take_host_lock() {
  const std::string& host = host_;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(lock_wait_ms_);
  for (;;) {
    PgParams p;
    p.add(kHostLockClass);
    p.add_text(host);
    PgResult r = conn_->exec("SELECT pg_try_advisory_xact_lock(CAST($1 AS integer), hashtext($2))",
                             p, "lock host");
    if (r.text(0, 0) == "t") return;
    if (std::chrono::steady_clock::now() >= deadline) {
      throw StoreError(StoreError::Kind::kBusy, "PostgreSQL " + conn_->label() +
                                                    ": another pftls run of host " +
                                                    strip_controls(host) + " holds it (waited " +
                                                    std::to_string(lock_wait_ms_ / 1000) + " s)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

PruneCounts PgStore::prune(Micros before) {
  PruneCounts out;
  for (PruneStep& step : prune_steps()) {
    for (std::size_t at = 0; (at = step.sql.find("?1", at)) != std::string::npos;) {
      step.sql.replace(at, 2, "$1");
    }
    PgParams p;
    p.add(before);
    prune_count(out, step.table) +=
        conn_->exec(step.sql, p, "prune " + std::string(step.table)).affected();
  }
  return out;
}

void PgStore::vacuum() {
  conn_->exec_script("VACUUM sessions, messages, evidence, outbound", "VACUUM");
}

void PgStore::begin_run() {
  conn_->exec_script("BEGIN", "begin run");
  in_run_ = true;
  take_host_lock();
}

void PgStore::commit_run() {
  refresh_tls_peers();  // its lock first: see kTlsPeersTable
  merge_run_clients();
  conn_->exec_script("COMMIT", "commit run");
  in_run_ = false;
  run_clients_ = false;  // dropped at the commit
}

void PgStore::rollback_run() noexcept {
  if (!in_run_) return;
  in_run_ = false;
  run_clients_ = false;  // its creation is rolled back
  touched_.clear();
  touched_overflow_ = false;
  try {
    conn_->exec_script("ROLLBACK", "roll back run");
  } catch (...) {  // a connection gone takes its transaction with it
  }
}

std::optional<std::string> PgStore::setting(std::string_view key) {
  PgParams p;
  p.add_text(pg_run_scoped_setting(key) ? host_ : std::string());
  p.add_text(key);
  PgResult r =
      conn_->exec("SELECT value FROM settings WHERE run_host = $1 AND key = $2", p, "read setting");
  if (r.rows() == 0) return std::nullopt;
  return std::string(r.text(0, 0));
}

void PgStore::set_setting(std::string_view key, std::string_view value) {
  PgParams p;
  p.add_text(pg_run_scoped_setting(key) ? host_ : std::string());
  p.add_text(key);
  p.add_text(value);
  conn_->exec(
      "INSERT INTO settings (run_host, key, value) VALUES ($1, $2, $3) "
      "ON CONFLICT (run_host, key) DO UPDATE SET value = excluded.value",
      p, "write setting");
}

void PgStore::record_run(const RunRecord& r) {
  const std::string run_columns =
      pg_columns(run_fields()) + ", " + pg_columns(drop_fields()) + ", run_host";
  const auto n = static_cast<int>(run_fields().size() + drop_fields().size()) + 1;
  PgParams p;
  pg_bind_fields(p, r, run_fields());
  pg_bind_fields(p, r.drops, drop_fields());
  p.add_text(host_);
  conn_->exec(pg_insert_sql("runs", run_columns, n), p, "record run");
}

std::vector<InputRecord> PgStore::load_inputs() {
  PgParams p;
  p.add_text(host_);
  PgResult r = conn_->exec(
      "SELECT id, " + pg_columns(input_fields()) + " FROM inputs WHERE run_host = $1 ORDER BY id",
      p, "load inputs");
  std::vector<InputRecord> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.emplace_back().id = r.int64(i, 0);
    pg_read_fields(r, i, 1, out.back(), input_fields());
  }
  return out;
}

template <typename R>
void PgStore::save_row(R& r, std::string_view table, Fields<R> fields, Nulls nulls,
                       const std::string& name, const char* what) {
  params_.clear();
  pg_bind_fields(params_, r, fields, nulls);
  if (r.id == 0) {
    PgResult res = conn_->exec_prepared(
        "insert_" + name, pg_insert_sql(table, fields) + " RETURNING id", params_, what);
    r.id = res.int64(0, 0);
  } else {
    params_.add(r.id);
    conn_->exec_prepared("update_" + name, pg_update_sql(table, fields), params_, what);
  }
}

void PgStore::save_input(InputRecord& r) {
  if (r.id != 0) {
    save_row(r, "inputs", input_fields(), Nulls::kExact, "input", "save input");
    return;
  }
  // A new input is this host's.
  params_.clear();
  pg_bind_fields(params_, r, input_fields(), Nulls::kExact);
  params_.add_text(host_);
  const auto n = static_cast<int>(input_fields().size()) + 1;
  PgResult res = conn_->exec_prepared(
      "insert_input_of_host",
      pg_insert_sql("inputs", pg_columns(input_fields()) + ", run_host", n) + " RETURNING id",
      params_, "save input");
  r.id = res.int64(0, 0);
}

void PgStore::save_session(SessionRecord& s) {
  save_row(s, "sessions", session_fields(), Nulls::kForQueries, "session", "save session");
}

void PgStore::save_outbound(OutboundRecord& r) {
  save_row(r, "outbound", outbound_fields(), Nulls::kExact, "outbound", "save outbound");
  if (r.message_id.empty() && r.sender.empty()) return;
  params_.clear();
  params_.add(r.id);
  params_.add_text(r.message_id);
  params_.add_text(r.sender);
  conn_->exec_prepared("upsert_outbound_message",
                       "INSERT INTO outbound_messages (outbound_id, message_id, sender) "
                       "VALUES ($1, $2, $3) ON CONFLICT (outbound_id) DO UPDATE SET "
                       "message_id = excluded.message_id, sender = excluded.sender",
                       params_, "save outbound");
}

void PgStore::save_outbound_failure(const OutboundFailureRow& f) {
  params_.clear();
  params_.add_text(f.mx_host);
  params_.add_text(f.queue_id);
  params_.add_text(f.relay_name);
  params_.add_text(f.relay_ip);
  params_.add_text(f.relay_port);
  params_.add(f.failure_at);
  params_.add_text(f.failure_reason);
  params_.add_text(f.openssl_code);
  conn_->exec_prepared("insert_outbound_failure",
                       "INSERT INTO outbound_failures (mx_host, queue_id, relay_name, relay_ip, "
                       "relay_port, failure_at, failure_reason, openssl_code, outcome, "
                       "outcome_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0)",
                       params_, "save outbound failure");
}

void PgStore::resolve_outbound_failures(std::string_view mx_host, std::string_view queue_id,
                                        std::string_view outcome, Micros since, Micros at) {
  params_.clear();
  params_.add_text(mx_host);
  params_.add_text(queue_id);
  params_.add_text(outcome);
  params_.add(since);
  params_.add(at);
  conn_->exec_prepared("resolve_outbound_failures",
                       "UPDATE outbound_failures SET outcome = $3, outcome_at = $5 "
                       "WHERE mx_host = $1 AND queue_id = $2 AND outcome = 'pending' "
                       "AND failure_at >= $4 AND failure_at <= $5",
                       params_, "save outbound failure");
}

void PgStore::save_outbound_evidence(std::int64_t outbound_id,
                                     const std::vector<OutboundLine>& lines) {
  for (const OutboundLine& l : lines) {
    params_.clear();
    params_.add(outbound_id);
    params_.add_text(l.role);
    params_.add_text(l.input);
    params_.add(static_cast<std::int64_t>(l.line));
    params_.add_text(l.raw);
    conn_->exec_prepared("insert_outbound_evidence",
                         "INSERT INTO outbound_evidence (outbound_id, role, input, line, raw) "
                         "VALUES ($1, $2, $3, $4, $5)",
                         params_, "save outbound evidence");
  }
}

void PgStore::save_message(MessageRecord& m) {
  if (m.id == 0) {
    save_row(m, "messages", message_fields(), Nulls::kExact, "message", "save message");
    return;
  }
  // An update changes what later lines add; the rest is fixed at insert.
  params_.clear();
  params_.add_text(m.message_id);
  params_.add_text(m.sender);
  params_.add_text(join_lines(m.recipients));
  params_.add(m.id);
  conn_->exec_prepared("update_message",
                       "UPDATE messages SET message_id = $1, sender = $2, recipients = $3 "
                       "WHERE id = $4",
                       params_, "save message");
}

void PgStore::save_evidence(std::int64_t session_id, const EvidenceLine* lines, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    params_.clear();
    params_.add(session_id);
    params_.add_text(lines[i].input);
    params_.add(static_cast<std::int64_t>(lines[i].line));
    params_.add_text(lines[i].raw);
    conn_->exec_prepared(
        "insert_evidence",
        "INSERT INTO evidence (session_id, input, line, raw) VALUES ($1, $2, $3, $4)", params_,
        "save evidence");
  }
}

void PgStore::add_client_stats(const ClientStatsList& stats) {
  // Outside a run (none today) straight to client_stats.
  const char* table = in_run_ ? kRunClients : "client_stats";
  if (in_run_ && !run_clients_) {
    conn_->exec_script(
        "CREATE TEMP TABLE run_clients (LIKE client_stats INCLUDING DEFAULTS, "
        "PRIMARY KEY (client_ip)) ON COMMIT DROP",
        "save client counts");
    run_clients_ = true;
  }
  // In address order, as the final statement adds them.
  std::vector<const ClientStatsList::value_type*> sorted;
  sorted.reserve(stats.size());
  for (const auto& entry : stats) sorted.push_back(&entry);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  std::size_t next = 0;
  while (next < sorted.size()) {
    const std::size_t n = std::min(sorted.size() - next, static_cast<std::size_t>(kClientBatch));
    params_.clear();
    for (std::size_t i = next; i < next + n; ++i) {
      const auto& [ip, c] = *sorted[i];
      const std::int64_t counts[] = {
          c.sessions,           c.tls_sessions,      c.plaintext_sessions,
          c.failed_sessions,    c.starttls_sessions, c.messages,
          c.plaintext_messages, c.first_seen,        c.last_seen};
      params_.add_text(ip);
      params_.add_text(c.client_name);
      for (std::int64_t v : counts) params_.add(v);
      params_.add_text(c.org_domain);
      params_.add(c.named_at);
    }
    const int rows = static_cast<int>(n);
    // Full batches share one prepared statement; the last, shorter one is sent as it is.
    if (rows == kClientBatch && in_run_) {
      conn_->exec_prepared("upsert_run_clients", upsert_clients_sql(table, rows), params_,
                           "save client counts");
    } else {
      conn_->exec(upsert_clients_sql(table, rows), params_, "save client counts");
    }
    next += n;
  }
}

// The run's counts of clients into client_stats (see kRunClients).
void PgStore::merge_run_clients() {
  if (!run_clients_) return;
  conn_->exec_script(std::string("INSERT INTO client_stats AS c (") + kClientColumns + ") SELECT " +
                         kClientColumns + " FROM " + kRunClients + " ORDER BY client_ip" +
                         add_clients_conflict(),
                     "save client counts");
}

void PgStore::merge_host_facts(const StringMap<HostFacts>& hosts) {
  for (const auto& [host, h] : hosts) {
    params_.clear();
    params_.add_text(host);
    params_.add(h.newest_at);
    params_.add(h.logs_tls_established);
    conn_->exec_prepared(
        "upsert_host",
        "INSERT INTO hosts (mx_host, newest_at, logs_tls_established) VALUES ($1, $2, $3) "
        "ON CONFLICT (mx_host) DO UPDATE SET newest_at = GREATEST(hosts.newest_at, "
        "excluded.newest_at), logs_tls_established = GREATEST(hosts.logs_tls_established, "
        "excluded.logs_tls_established)",
        params_, "save host facts");
  }
}

}  // namespace pftls
