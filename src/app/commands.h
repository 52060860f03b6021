// commands: one function per subcommand, on validated options (options.h).
//
// Contract: each returns the exit code of a completed command (0; an
// ingest that skipped a damaged input, the others read: kExitDamagedInput) and
// throws on failure: UsageError for a request that cannot be answered as
// asked, StoreError (kBusy: exit 75), InputError, TimeError or
// std::runtime_error otherwise; main() maps them to exit codes. Queries
// never create a database: a missing one is an error that says so. An
// ingest that fails removes a database it created.
#pragma once

#include <memory>

#include "app/options.h"
#include "app/tls_report.h"
#include "app/whatif.h"
#include "store/store.h"

namespace pftls {

// A completed ingest that skipped a damaged input (the others were read).
inline constexpr int kExitDamagedInput = 3;

// A named query (queries/NAME.sql) and what it needs before it runs.
struct QuerySpec {
  const char* name;
  bool needs_window = false;
  bool on_incidents = false;      // reads temp.incidents_now (clients)
  const char* outcome = nullptr;  // failures: keep only this outcome
  // A table's columns unless --columns or --wide (comma-separated, chosen
  // to fit 100 characters); nullptr: all.
  const char* table_columns = nullptr;
  // Columns the query gives as times in microseconds, which the listing
  // shows as UTC text (comma-separated; report/result_writer.h,
  // utc_time_columns); nullptr: none.
  const char* utc_time_columns = nullptr;
};

// What a command opens its store for: a query (read-only), a change to
// an existing database (prune), or an ingest (which may create it).
enum class DbUse { kQuery, kChange, kIngest };
// The one place a store is opened; a missing SQLite file is an error
// ("no database at ...") unless `use` is kIngest.
std::unique_ptr<Store> open_database(const std::string& db, DbUse use,
                                     int busy_timeout_ms = 10'000);

int run_ingest_command(const IngestCommandOptions& options);
int run_query_command(const QuerySpec& spec, const QueryOptions& options);
int run_evidence_command(const QueryOptions& query, const EvidenceOptions& evidence);
// status: `format` table or json (csv is a UsageError); `check`: PRAGMA
// quick_check first, a damaged database an error.
int run_status_command(const std::string& db, int runs, OutputFormat format, bool check);
// pftls metrics: the Prometheus text (metrics.h) to PATH ("" or "-": stdout).
int run_metrics_command(const std::string& db, const std::string& path);
// pftls whatif: each inbound client's verdict under `policy` (whatif.h).
int run_whatif_command(const QueryOptions& options, const WhatifPolicy& policy);
// pftls report: the daily TLS report (tls_report.h) to standard output.
int run_report_command(const std::string& db, const TlsReportOptions& options);
// pftls copy: a SQLite store into a new PostgreSQL database (store_copy.h).
int run_copy_command(const std::string& from, const std::string& to);

}  // namespace pftls
