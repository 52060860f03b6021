// store: what the ingest run and the commands ask of storage, whatever the
// database behind it (open_store.h picks one).
//
// Contract: a Store receives the correlator's and the outbound tracker's
// records (EventSink, OutboundSink), carries their open state from one run
// to the next, keeps settings, the inputs read so far and one RunRecord per
// run, and answers the named queries (queries/NAME.sql). An ingest run is
// one transaction (begin_run .. commit_run): a run that fails is rolled back
// (rollback_run, or the Store's destruction) and leaves the database as it
// was. Values reach SQL only as bound parameters. Every failure is a
// StoreError (store_error.h) whose kind tells busy from version from other
// failures. Nothing here assumes an embedded database: a client/server SQL
// backend implements the same calls, one connection, one transaction per run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "correlate/records.h"
#include "input/input_catalog.h"
#include "report/result_set.h"
#include "store/store_error.h"

namespace pftls {

// What Store::prune removed, per table.
struct PruneCounts {
  std::int64_t messages = 0, outbound = 0, evidence = 0, sessions = 0;
  std::int64_t outbound_details = 0;  // outbound_messages rows, with their fallbacks
  std::int64_t marks = 0;             // cross-host marks (plain_marks, tls_marks)
  std::int64_t outbound_failures = 0;
};

// A named query's parameter: NULL, an integer or text.
using QueryParam = std::variant<std::monostate, std::int64_t, std::string>;
using QueryParams = std::vector<std::pair<std::string, QueryParam>>;

// One ingest run, as `status` lists it.
struct RunRecord {
  Micros started_at = 0;
  Micros finished_at = 0;
  std::string inputs;
  std::uint64_t lines = 0, postfix_lines = 0, unrecognised = 0, malformed = 0, truncated = 0;
  std::uint64_t sessions = 0, failures = 0, messages = 0, new_incidents = 0;
  DropCounts drops;
};

class Store : public EventSink, public OutboundSink {
 public:
  enum class Mode { kReadWrite, kReadOnly };
  ~Store() override = default;

  virtual void begin_run() = 0;
  virtual void commit_run() = 0;
  virtual void rollback_run() noexcept = 0;

  // The correlator's open state; `watch_ip_for`: how long after its last
  // failure a client is watched again (CorrelatorLimits::watch_ip_for); at
  // most `max_watched` such clients, the most recent failures first, the
  // rest counted in watched_not_loaded.
  virtual CorrelatorState load_state(Micros watch_ip_for, std::size_t max_watched) = 0;
  virtual void save_state(const CorrelatorState& state) = 0;
  virtual OutboundState load_outbound_state() = 0;
  virtual void save_outbound_state(const OutboundState& state) = 0;

  virtual std::optional<std::string> setting(std::string_view key) = 0;
  virtual void set_setting(std::string_view key, std::string_view value) = 0;
  virtual void record_run(const RunRecord& run) = 0;
  virtual std::vector<InputRecord> load_inputs() = 0;
  // Inserts the record the first time (and sets its id), updates it after.
  virtual void save_input(InputRecord& r) = 0;

  // Runs queries/NAME.sql with the named parameters it uses (others are
  // ignored), after what the query needs: a query over incidents gets the
  // TEMP table incidents_now (the incidents over the same parameters, all
  // clients), and a query that needs a window and is given no window_us
  // gets the effective window.
  virtual ResultSet query(std::string_view name, const QueryParams& params) = 0;
  // The same, each row handed to `sink` as it comes (RowSink): memory
  // stays bounded however many rows there are. This default reads the
  // whole result first; a backend that can, streams.
  virtual void query_rows(std::string_view name, const QueryParams& params, RowSink& sink);

  // Deletes the sessions, messages, evidence and outbound fallbacks whose
  // times all lie before `before` and that nothing kept refers to
  // (store/prune_sql.h says exactly what goes). Inside a run (begin_run ..
  // commit_run): all of it or, rolled back, nothing.
  virtual PruneCounts prune(Micros before) = 0;
  // At the end of a run, inside it: drops the cross-host marks of `hosts`
  // that no query can need any more (prune_sql.h, settle_steps()); returns
  // how many.
  virtual std::int64_t settle_marks(Micros window_us, const std::vector<std::string>& hosts) = 0;
  // Gives the space freed by prune back (SQLite: VACUUM, which needs free
  // disk as large as the file; PostgreSQL: VACUUM of the pruned tables).
  // Outside a run.
  virtual void vacuum() = 0;

  // Reads the whole database for damage (a page flipped on disk) and
  // throws a StoreError naming the file and how to recover it when there is
  // any. This default has nothing to check (a server checks its own pages).
  virtual void check_integrity() {}
};

inline constexpr std::int64_t kDefaultWindowSeconds = std::int64_t{24} * 3600;

// The window queries use: `override_seconds` if given, else the stored
// default (setting window_seconds), else 24h.
std::int64_t effective_window(Store& store, std::optional<std::int64_t> override_seconds);

}  // namespace pftls
