// pg_store: the Store in a PostgreSQL database (a postgresql:// or
// postgres:// location; see README "PostgreSQL").
//
// Contract: the constructor connects (libpq: credentials from ~/.pgpass,
// PGPASSFILE, PGSERVICE, the environment, never printed) and, for writing,
// creates the schema on first use (queries/pg/schema.sql, versioned in
// table pftls_schema) under an advisory lock, so that two first runs do not
// both create it. A database with tables of its own but no pftls_schema is
// refused (kFailed), one of another schema version too (kVersion). A server
// that cannot be reached is kBusy. An ingest run is one transaction, and
// holds the advisory lock of the host it runs on (gethostname) for its
// whole length: runs of one host exclude each other (waiting lock_wait_ms,
// then kBusy), runs of different hosts proceed at once. What a run carries
// to the next (open state, read offsets, the line order, journal cursors) is
// kept per host (column run_host), so that hosts sharing one database never
// read or replace each other's. Named queries are
// those of queries/, or queries/pg/NAME.sql where the dialects differ.
//
// The work is split as in the SQLite store: pg_store.cpp (opening, the
// sinks, inputs, settings, runs), pg_run_state.cpp (open state between
// runs), pg_named_query.cpp (queries), over pg_conn.h and pg_columns.h.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/pg_columns.h"
#include "store/pg_conn.h"
#include "store/store.h"

namespace pftls {

struct NamedQuery;

// Settings that belong to one host's runs (the order of its lines, its
// journal cursors, its zone, the warnings it gave today, its damaged
// files); every other setting (the window, the pseudonym key) is shared by
// all hosts. A run writes no shared row, so hosts' runs do not wait on each
// other there.
bool pg_run_scoped_setting(std::string_view key);

class PgStore final : public Store {
 public:
  // The schema version this pftls writes: 4, SQLite's version 3 plus the
  // run host of what a run carries to the next (queries/pg/schema.sql).
  static constexpr std::int64_t kSchemaVersion = 4;

  PgStore(const std::string& location, Mode mode, int lock_wait_ms = 10'000);
  ~PgStore() override;
  PgStore(const PgStore&) = delete;
  PgStore& operator=(const PgStore&) = delete;

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

  PgConn& connection() { return *conn_; }
  // tls_peers made anew from the whole inventory, in the caller's
  // transaction (pftls copy, a database that lacked the table).
  void fill_tls_peers();
  // The host whose runs this store's runs are: $PFTLS_HOST when set, else
  // gethostname. Its open state, offsets and run-scoped settings are its own.
  const std::string& run_host() const { return host_; }

 private:
  // The run's counts of clients, kept in a temporary table, into client_stats.
  void merge_run_clients();
  void ensure_schema(Mode mode);
  // Tables added to queries/pg/schema.sql within its version, made for a
  // database of that version opened for writing.
  void ensure_added_tables();
  bool has_relation(std::string_view name);
  void shadow_outbound_failures();
  void shadow_marks();
  void shadow_tls_mix();
  void shadow_tls_peers();
  // tls_peers' rows of the peers touched_ names (see pg_store.cpp).
  void refresh_tls_peers();
  void take_host_lock();
  static constexpr std::size_t kMarkRows = 512;  // marks in one INSERT
  void send_marks(const char* name, std::string_view head, std::size_t columns, std::size_t rows,
                  std::string_view tail, std::string_view what);
  template <typename R>
  void save_row(R& r, std::string_view table, Fields<R> fields, Nulls nulls,
                const std::string& name, const char* what);
  void save_open_sessions(const CorrelatorState& state);
  void materialize_incidents(const QueryParams& params, const NamedQuery& q);

  std::unique_ptr<PgConn> conn_;
  std::string host_;
  int lock_wait_ms_;
  bool in_run_ = false;
  bool run_clients_ = false;  // pg_temp.run_clients made in this run
  // The (direction, peer) of the TLS counts since the last refresh (a run's
  // commit; counts added outside a run, none today, wait for the next), at
  // most kMaxTouchedPeers; past that, touched_overflow_: all of them.
  std::set<std::pair<std::string, std::string>> touched_;
  bool touched_overflow_ = false;
  std::uint64_t cursors_ = 0;  // query_rows' cursors so far, for their names
  PgParams params_;            // reused by the per-row statements
  std::optional<QueryParams> incidents_now_;
};

}  // namespace pftls
