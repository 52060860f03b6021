// sqlite_store: the Store in one SQLite file.
//
// Contract: the constructor creates or opens the database (WAL, schema
// from queries/schema.sql, versioned by PRAGMA user_version) and fails with
// a StoreError naming the file when it is not a pftls database, is damaged,
// is locked past the busy timeout (kBusy), or was written by a newer pftls
// (kVersion; the file is left untouched). A database of an older schema
// version is migrated in one transaction when it is opened (also for
// reading: then through a writable connection first). Named queries come
// from queries/*.sql built into the binary.
//
// The work is split by job: sqlite_store.cpp (opening, the sinks, inputs,
// settings, runs), schema_migration.cpp (older schema versions),
// run_state.cpp (open state between runs), named_query.cpp (queries), over
// sqlite_db.h (the SQLite handles) and sqlite_columns.h (each record's
// columns, stated once).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/sqlite_columns.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace pftls {

struct NamedQuery;

class SqliteStore final : public Store {
 public:
  // The schema version this pftls writes.
  static constexpr std::int64_t kSchemaVersion = 3;

  // busy_timeout_ms: how long to wait for another pftls holding the lock.
  SqliteStore(const std::string& path, Mode mode, int busy_timeout_ms = 10'000);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // PRAGMA quick_check over every page: about 5 ms a MB (see README).
  void check_integrity() override;
  // How often an ingest run checks the database: quick_check reads every
  // page, a cost that grows with the database while a run's own cost
  // follows its new lines (README, "Damaged database").
  static constexpr std::int64_t kIntegrityCheckEverySeconds = std::int64_t{24} * 3600;

  void begin_run() override;
  void commit_run() override;
  void rollback_run() noexcept override;

  CorrelatorState load_state(Micros watch_ip_for, std::size_t max_watched) override;
  void save_state(const CorrelatorState& state) override;
  OutboundState load_outbound_state() override;
  void save_outbound_state(const OutboundState& state) override;

  std::optional<std::string> setting(std::string_view key) override;
  void set_setting(std::string_view key, std::string_view value) override;
  void record_run(const RunRecord& run) override;
  std::vector<InputRecord> load_inputs() override;
  void save_input(InputRecord& r) override;

  ResultSet query(std::string_view name, const QueryParams& params) override;
  void query_rows(std::string_view name, const QueryParams& params, RowSink& sink) override;
  // SQLite's plan for a named query (EXPLAIN QUERY PLAN), one node a line,
  // "parent-id id detail", after what the query needs (temp.incidents_now):
  // for the test that no plan scans a table inside a correlated subquery.
  std::string query_plan(std::string_view name, const QueryParams& params);

  void save_session(SessionRecord& s) override;
  void save_message(MessageRecord& m) override;
  void save_evidence(std::int64_t session_id, const EvidenceLine* lines, std::size_t n) override;
  void save_outbound(OutboundRecord& r) override;
  void save_outbound_failure(const OutboundFailureRow& f) override;
  void resolve_outbound_failures(std::string_view mx_host, std::string_view queue_id,
                                 std::string_view outcome, Micros since, Micros at) override;
  void save_outbound_evidence(std::int64_t outbound_id,
                              const std::vector<OutboundLine>& lines) override;
  void add_client_stats(const ClientStatsList& stats) override;
  PruneCounts prune(Micros before) override;
  void vacuum() override;
  void merge_host_facts(const StringMap<HostFacts>& hosts) override;
  void add_tls_counts(const TlsCountList& counts) override;
  void add_session_days(const SessionDayList& days) override;
  void save_marks(const ClientMarkList& marks) override;
  std::int64_t settle_marks(Micros window_us, const std::vector<std::string>& hosts) override;

 private:
  // Each insert slot is followed by its record's update slot.
  enum Slot : int {
    kInsertSession,
    kUpdateSession,
    kInsertMessage,
    kUpdateMessage,
    kInsertOutbound,
    kUpdateOutbound,
    kInsertInput,
    kUpdateInput,
    kUpsertClient,
    kUpsertHost,
    kInsertEvidence,
    kUpsertTls,
    kUpsertTlsMix,
    kNoteTlsPeer,
    kInsertOutboundEvidence,
    kUpsertOutboundMessage,
    kInsertOutboundFailure,
    kResolveOutboundFailures,
    kUpsertSessionDay,
    kInsertPlainMark,
    kInsertTlsMark,
    kSlotCount
  };
  // The per-row statements, prepared once, reset with no bindings;
  // make_sql() gives the SQL text and is called only the first time.
  template <typename MakeSql>
  Statement& cached(Slot slot, MakeSql make_sql, const char* what) {
    auto& st = cache_[static_cast<std::size_t>(slot)];
    if (!st) st.emplace(*db_, make_sql(), what);
    st->reset();
    return *st;
  }
  template <typename R>
  void save_row(R& r, std::string_view table, Fields<R> fields, Nulls nulls, Slot slot,
                const char* what);
  // Opens (creates) the file for writing, migrated or with a new schema.
  void open_for_writing(const std::string& path, int busy_timeout_ms);
  // On opening for writing: check_integrity() when the last check that
  // passed (setting integrity_checked_at) is kIntegrityCheckEvery old, then
  // the time of this one kept for the run to store (checked_at_).
  void check_integrity_if_due();
  void ensure_schema();
  void ensure_tls_mix();
  void shadow_tls_mix();
  bool has_tls_peers();
  void ensure_tls_peers();
  void shadow_tls_peers();
  void rebuild_tls_peers();
  void refresh_tls_peers();
  // Read-only: empty TEMP tables for those added within the version that
  // the file lacks (see the .cpp).
  void shadow_added_tables();
  bool marks_lack_columns();
  // Whether the database file itself (not a TEMP shadow) has table `name`.
  bool has_main_table(std::string_view name);
  bool has_main_column(std::string_view table, std::string_view column);
  void add_mark_columns();
  // schema_migration.cpp: from `version` (< kSchemaVersion) to the current
  // schema, inside the caller's transaction.
  void migrate(std::int64_t version);
  // run_state.cpp: the parts of save_state()/save_outbound_state().
  void save_open_sessions(const CorrelatorState& state);
  void materialize_incidents(const QueryParams& params, const NamedQuery& q);

  std::optional<Db> db_;
  std::vector<std::optional<Statement>> cache_;
  std::optional<Transaction> run_;
  bool tls_touched_ = false;                  // temp.tls_touched may hold peers (sqlite_store.cpp)
  std::optional<std::int64_t> checked_at_;    // a quick_check passed at open (unix seconds)
  std::optional<QueryParams> incidents_now_;  // the parameters temp.incidents_now was made with
};

}  // namespace pftls
