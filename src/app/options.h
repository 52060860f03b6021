// options: the command line's options, as typed and as validated.
//
// Contract: the *Args structs hold the text CLI11 binds (cli.cpp); the
// validate_*() functions turn them into the *Options the commands take
// (commands.h) or throw UsageError with the message the user sees (exit 2).
// Validation opens nothing: a usage error leaves no file behind. The help
// texts shared by several subcommands are defined here once.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/ingest.h"
#include "app/tls_report.h"
#include "base/log_time.h"
#include "input/journal_reader.h"
#include "report/result_writer.h"

namespace pftls {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The database every subcommand takes: $PFTLS_DB, else ./pftls.db.
std::string default_db();

// --- As typed ---

struct IngestArgs {
  std::vector<std::string> paths;
  std::string window;
  int year = 0;  // 0: not given
  std::string tz;
  double lock_wait = 10;
  double journal_timeout = 300;
  std::string format = "auto";
  std::string unrecognised;
  std::string metrics;
  bool quiet = false;
  bool verbose = false;
  std::string on_incident;
  bool journal = false;
  JournalSelection journal_selection;
};

struct QueryArgs {
  std::string window;
  std::string since;
  std::string until;
  std::string client;
  std::string match = "ip";
  bool per_host = false;
  std::string skew = "5s";
  std::string format = "table";
  std::string output;
  std::string columns;  // --columns a,b,...
  bool wide = false;
  std::string direction;  // "in", "out", "both"; "": the command's default
};

struct PruneArgs {
  std::string before;  // a time (as --since takes)
  std::string keep;    // or a duration back from now
  std::string window;  // "": the stored one
  bool vacuum = false;
  double lock_wait = 10;
};

struct ReportArgs {
  std::string since = "24h";
  std::string until;
  std::string format = "text";
  std::string tz;
};

struct EvidenceArgs {
  std::string incident_id;  // N (inbound) or oN (outbound); empty: not given
  std::string client;
  std::string org;
  bool redact = false;
};

// --- Validated ---

struct IngestCommandOptions {
  std::string db;
  IngestOptions ingest;  // unrecognised_out is set by the command
  int lock_wait_ms = 10'000;
  std::string unrecognised_path;  // "": not asked for
  std::string metrics_path;       // --metrics: "" not asked for, "-" stdout
  // The summary line and every warning (true), or news only (false: new
  // incidents, warnings not given in the last day); nullopt: by whether
  // stderr is a terminal.
  std::optional<bool> verbose;
  std::vector<std::string> on_incident;  // argv of --on-incident; empty: none
};

struct QueryOptions {
  std::string db;
  std::optional<std::int64_t> window;  // nullopt: the stored window
  std::optional<Micros> since;
  std::optional<Micros> until;
  std::string client;  // "": every client
  std::string match = "ip";
  bool per_host = false;          // --per-host: a failure and its retry on the same host only
  std::int64_t skew_seconds = 5;  // --skew: clocks of different hosts disagree by this much
  OutputFormat format = OutputFormat::kTable;
  std::string output;  // "": standard output
  // --columns: these columns in this order, whatever the format; empty: a
  // table gets the command's default columns, the other formats all.
  std::vector<std::string> columns;
  bool wide = false;  // a table with every column, cells not cut to the terminal
  // "in", "out", "both"; "": the command's default (tls: both; failures: in)
  std::string direction;
};

struct PruneOptions {
  std::string db;
  Micros keep_from = 0;                // the cut-off
  std::optional<std::int64_t> window;  // nullopt: the stored one
  bool vacuum = false;
  int lock_wait_ms = 10'000;
};

struct EvidenceOptions {
  std::string incident_id;  // "N" or "oN"; empty: by client or org instead
  std::string client;
  std::string org;
  bool redact = false;
};

IngestCommandOptions validate_ingest(const std::string& db, const IngestArgs& args);
// `fixed`: the format of an export subcommand (args.format is then not read).
QueryOptions validate_query(const std::string& db, const QueryArgs& args,
                            std::optional<OutputFormat> fixed = std::nullopt);
PruneOptions validate_prune(const std::string& db, const PruneArgs& args);
// `now`: unix seconds, for --until's default and relative times.
TlsReportOptions validate_report(const ReportArgs& args, std::int64_t now);
// `exporting`: export evidence, which needs --client or --org.
EvidenceOptions validate_evidence(const EvidenceArgs& args, bool exporting);

// --- Help texts used by more than one subcommand ---

inline constexpr const char* kDbHelp =
    "SQLite file or postgresql:// URL (default: $PFTLS_DB, else ./pftls.db)";
inline constexpr const char* kFormatHelp =
    "table, csv, json or ndjson (one JSON object a line) (default table)";
inline constexpr const char* kSinceHelp =
    "From this time on: RFC 3339, YYYY-MM-DD[THH:MM[:SS]] (UTC), 24h/7d ago, today, yesterday";
inline constexpr const char* kUntilHelp = "Before this time (the forms of --since)";
inline constexpr const char* kColumnsHelp =
    "Only these columns, in this order (comma-separated), in any format";
inline constexpr const char* kWideHelp =
    "A table with every column, none cut to the terminal's width";
inline constexpr const char* kPerHostHelp =
    "Match a failure only with a plaintext message on the same host (default: the hosts of "
    "the store are one MX set)";
inline constexpr const char* kSkewHelp =
    "How far hosts' clocks may disagree: a plaintext message on another host up to this long "
    "before the failure still follows it (default 5s, at most 300s)";
inline constexpr const char* kMatchHelp = "How incidents are matched (ip, subnet, org; default ip)";
inline constexpr const char* kMatchLongHelp =
    "What ties a failure to a later plaintext delivery: ip (the same address, default), "
    "subnet (the same IPv4 /24 or IPv6 /64) or org (the same registrable domain)";
inline constexpr const char* kQueryWindowHelp =
    "Window between failure and plaintext delivery (default: the stored one, else 24h)";
inline constexpr const char* kRetryWindowHelp =
    "How long a retry may take (default: the stored window, else 24h)";
inline constexpr const char* kClientHelp = "Only this client IP";
inline constexpr const char* kOutputHelp = "Output file (default: standard output)";
inline constexpr const char* kMatchValues[] = {"ip", "subnet", "org"};

}  // namespace pftls
