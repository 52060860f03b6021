// store_copy: a SQLite store into a new PostgreSQL database (see store_copy.h).
// Each table's rows go through COPY ... FROM STDIN (text format), in chunks
// of about 4 MiB; the columns are those PostgreSQL's table has that are not
// generated, read from SQLite by the same names, except run_host, which
// SQLite does not have: what the copied runs carry to the next is the
// copying host's (its run_host), and settings are shared but for the
// run-scoped ones (pg_run_scoped_setting), which become its own.
#include "store/store_copy.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

#include "store/pg_store.h"
#include "store/sqlite_db.h"
#include "store/sqlite_store.h"

namespace pftls {
namespace {

constexpr std::size_t kChunkBytes = std::size_t{4} << 20;

// Every table of the schema, and its id column (empty: none). An added
// table (made within its schema version) may be missing from a file no run
// has written to since; it is then copied as empty.
struct Table {
  std::string_view name;
  std::string_view id;
  bool added = false;
};
constexpr std::array<Table, 23> kTables = {{
    {"settings", ""},
    {"sessions", "id"},
    {"messages", "id"},
    {"client_stats", ""},
    {"hosts", ""},
    {"tls_inventory", "", true},
    {"session_days", "", true},
    {"evidence", "id"},
    {"open_sessions", ""},
    {"open_evidence", "id"},
    {"open_messages", ""},
    {"outbound", "id"},
    {"open_outbound_failures", "seq"},
    {"open_outbound_messages", "seq"},
    {"outbound_evidence", "id", true},
    {"outbound_messages", "", true},
    {"open_outbound_lines", "id", true},
    {"open_outbound_notes", "seq", true},
    {"plain_marks", "id", true},
    {"tls_marks", "", true},
    {"outbound_failures", "id", true},
    {"inputs", "id"},
    {"runs", "id"},
}};

struct Column {
  std::string name;
  bool integer = false;
  bool bytea = false;
  bool run_host = false;  // not in SQLite: the copying host's name
};

std::vector<Column> pg_table_columns(PgConn& conn, std::string_view table) {
  PgParams p;
  p.add_text(table);
  PgResult r = conn.exec(
      "SELECT column_name, data_type FROM information_schema.columns "
      "WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER' "
      "ORDER BY ordinal_position",
      p, "copy: read columns");
  std::vector<Column> out;
  for (int i = 0; i < r.rows(); ++i) {
    const std::string_view type = r.text(i, 1);
    const std::string_view name = r.text(i, 0);
    out.push_back(Column{std::string(name), type == "bigint", type == "bytea", name == "run_host"});
  }
  return out;
}

void append_hex(std::string& out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\\\x";  // \x, with its backslash escaped for COPY's text format
  for (char byte : bytes) {
    const auto c = static_cast<unsigned char>(byte);
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
}

std::uint64_t copy_table(Db& from, PgConn& to, const Table& t, const std::string& host) {
  if (t.added) {
    Statement exists =
        from.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                     "copy " + std::string(t.name));
    exists.bind_text(1, t.name);
    if (!exists.step() || exists.column_int(0) == 0) return 0;
  }
  const std::vector<Column> cols = pg_table_columns(to, t.name);
  // A column added within the version (plain_marks' evidence) may be
  // missing from a file no run has written to since: copied as its default.
  std::vector<std::string> have;
  {
    Statement info =
        from.prepare("SELECT name FROM pragma_table_info(?1)", "copy " + std::string(t.name));
    info.bind_text(1, t.name);
    while (info.step()) have.push_back(info.column_text(0));
  }
  std::string names;
  std::string selected;  // what SQLite gives, in the same places
  for (const auto& c : cols) {
    names += (names.empty() ? "\"" : ", \"") + c.name + '"';
    const bool missing = std::find(have.begin(), have.end(), c.name) == have.end();
    selected += (selected.empty() ? "" : ", ") + (c.run_host             ? std::string("NULL")
                                                  : missing && c.integer ? std::string("0")
                                                  : missing              ? std::string("''")
                                                                         : '"' + c.name + '"');
  }
  const std::string table(t.name);
  // Settings are shared but for the run-scoped ones; other rows are the host's.
  const bool settings = t.name == "settings";
  std::size_t key_col = 0;
  while (settings && key_col < cols.size() && cols[key_col].name != "key") ++key_col;
  Statement st = from.prepare("SELECT " + selected + " FROM " + table, "copy " + table);
  const std::string copy_sql = "COPY " + table + " (" + names + ") FROM STDIN";
  std::string chunk;
  std::uint64_t rows = 0;
  while (st.step()) {
    for (std::size_t i = 0; i < cols.size(); ++i) {
      if (i > 0) chunk.push_back('\t');
      const int k = static_cast<int>(i);
      if (cols[i].run_host) {
        const bool own =
            !settings || pg_run_scoped_setting(st.column_text(static_cast<int>(key_col)));
        append_copy_text(chunk, own ? host : std::string());
      } else if (st.column_null(k)) {
        chunk += "\\N";
      } else if (cols[i].integer) {
        chunk += std::to_string(st.column_int(k));
      } else if (cols[i].bytea) {
        append_hex(chunk, st.column_blob(k));
      } else {
        append_copy_text(chunk, pg_clean_text(st.column_text(k)));
      }
    }
    chunk.push_back('\n');
    ++rows;
    if (chunk.size() >= kChunkBytes) {
      to.copy_in(copy_sql, chunk, "copy " + table);
      chunk.clear();
    }
  }
  if (!chunk.empty()) to.copy_in(copy_sql, chunk, "copy " + table);
  if (!t.id.empty()) {
    // The identity continues after the copied ids.
    const std::string id(t.id);
    to.exec("SELECT setval(pg_get_serial_sequence('" + table + "', '" + id + "'), max(" + id +
                ")) FROM " + table + " HAVING max(" + id + ") IS NOT NULL",
            "copy " + table);
  }
  return rows;
}

}  // namespace

std::uint64_t copy_store(const std::string& sqlite_path, const std::string& pg_location) {
  // Validated (and migrated) as any reader would, then read directly.
  { SqliteStore check(sqlite_path, Store::Mode::kReadOnly); }
  Db from(sqlite_path, Db::Mode::kReadOnly, 10'000);
  from.exec("BEGIN", "copy: read");  // one snapshot of the whole file
  PgStore store(pg_location, Store::Mode::kReadWrite);
  PgConn& to = store.connection();
  to.exec_script("BEGIN", "copy");
  PgResult used = to.exec(
      "SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM inputs) + "
      "(SELECT count(*) FROM sessions) + (SELECT count(*) FROM settings)",
      "copy");
  if (used.int64(0, 0) != 0) {
    to.exec_script("ROLLBACK", "copy");
    throw StoreError(StoreError::Kind::kFailed,
                     "PostgreSQL " + to.label() +
                         " already holds pftls data: pftls copy writes only into a new database");
  }
  std::uint64_t rows = 0;
  try {
    for (const Table& t : kTables) rows += copy_table(from, to, t, store.run_host());
    store.fill_tls_peers();  // derived from the inventory, not copied
    to.exec_script("COMMIT", "copy");
  } catch (...) {
    try {
      to.exec_script("ROLLBACK", "copy");
    } catch (const StoreError&) {  // the error that brought us here says more
    }
    throw;
  }
  return rows;
}

}  // namespace pftls
