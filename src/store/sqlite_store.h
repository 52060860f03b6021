// sqlite_store: the event store, one SQLite file.
//
// Contract: open() creates or opens the database (WAL, schema from
// queries/schema.sql, versioned by PRAGMA user_version) and fails with a
// StoreError naming the file when it is not a pftls database, is damaged,
// or is locked past the busy timeout. An ingest runs as one transaction
// (begin_run .. commit_run): a run that fails is rolled back and leaves the
// database as it was. SQL is only ever executed with bound parameters;
// named queries come from queries/*.sql built into the binary.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "correlate/records.h"
#include "input/input_catalog.h"
#include "report/result_set.h"

struct sqlite3;
struct sqlite3_stmt;

namespace pftls {

class StoreError : public std::runtime_error {
 public:
  enum class Kind { kBusy, kFailed };
  StoreError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

using QueryParam = std::variant<std::monostate, std::int64_t, std::string>;

struct RunRecord {
  Micros started_at = 0;
  Micros finished_at = 0;
  std::string inputs;
  std::uint64_t lines = 0, postfix_lines = 0, unrecognised = 0, malformed = 0, truncated = 0;
  std::uint64_t sessions = 0, failures = 0, messages = 0, new_incidents = 0;
  DropCounts drops;  // not stored yet: see the storage work
};

class SqliteStore final : public EventSink, public OutboundSink {
 public:
  enum class Mode { kReadWrite, kReadOnly };
  // busy_timeout_ms: how long to wait for another pftls holding the lock.
  SqliteStore(const std::string& path, Mode mode, int busy_timeout_ms = 10'000);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  const std::string& path() const { return path_; }

  void begin_run();
  void commit_run();
  void rollback_run() noexcept;

  CorrelatorState load_state();
  void save_state(const CorrelatorState& state);
  std::optional<std::string> setting(std::string_view key);
  void set_setting(std::string_view key, std::string_view value);
  void record_run(const RunRecord& run);
  std::vector<InputRecord> load_inputs();
  void save_input(InputRecord& r);

  // Runs queries/NAME.sql with the named parameters it uses; parameters the
  // query does not use are ignored.
  ResultSet query(std::string_view name,
                  const std::vector<std::pair<std::string, QueryParam>>& params);
  // Runs queries/NAME.sql into TEMP table `table` (for queries built on
  // another query's rows, such as clients on incidents).
  void materialize(std::string_view name,
                   const std::vector<std::pair<std::string, QueryParam>>& params,
                   std::string_view table);

  void save_session(SessionRecord& s) override;
  void save_message(MessageRecord& m) override;
  void save_evidence(std::int64_t session_id, const EvidenceLine* lines, std::size_t n) override;
  void save_outbound(OutboundRecord& r) override;
  OutboundState load_outbound_state();
  void save_outbound_state(const OutboundState& state);
  void add_client_stats(const ClientStatsList& stats) override;
  void merge_host_facts(const StringMap<HostFacts>& hosts) override;

 private:
  class Statement;
  [[noreturn]] void fail(std::string_view what, int rc) const;
  void exec(const char* sql);
  void ensure_schema();
  sqlite3_stmt* prepare(std::string_view sql);
  sqlite3_stmt* cached(int slot, const char* sql);

  std::string path_;
  sqlite3* db_ = nullptr;
  bool in_run_ = false;
  std::vector<sqlite3_stmt*> cache_;
};

}  // namespace pftls
