// main: the pftls command line. Parses arguments, runs one subcommand, maps
// errors to the documented exit codes:
//   0  done
//   2  usage error, or a run that could not complete (unreadable input,
//      corrupt compressed data, damaged or foreign database); the database
//      is left as it was before the run
//   75 the database is locked by another pftls run (EX_TEMPFAIL: cron will
//      simply try again next time)
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "report/evidence_report.h"
#include "app/ingest.h"
#include "input/input_format.h"
#include "input/journal_reader.h"
#include "input/line_source.h"
#include "base/log_time.h"
#include "parse/pattern_set.h"
#include "report/result_writer.h"
#include "store/open_store.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 2;
constexpr int kExitBusy = 75;

constexpr const char* kExitCodes =
    "Exit codes: 0 done; 2 usage error or a run that could not complete (the database is left "
    "as it was); 75 the database is locked by another pftls run.";

std::string default_db() {
  const char* env = std::getenv("PFTLS_DB");
  return env && *env ? env : "pftls.db";
}

struct QueryOptions {
  std::string db;
  std::string window;
  std::string since;
  std::string until;
  std::string client;
  std::string match = "ip";
  std::string format = "table";
  std::string output;
};

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::optional<std::int64_t> window_arg(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::int64_t seconds;
  if (!pftls::parse_duration(text, seconds) || seconds <= 0) {
    throw UsageError("--window: '" + pftls::strip_controls(text) +
                     "' is not a duration (e.g. 90s, 30m, 24h, 5d)");
  }
  return seconds;
}

pftls::QueryParam time_arg(const std::string& name, const std::string& text) {
  if (text.empty()) return std::monostate{};
  pftls::Micros t;
  if (!pftls::parse_time_arg(text, t)) {
    throw UsageError(name + ": '" + pftls::strip_controls(text) +
                     "' is not a time (RFC 3339, or YYYY-MM-DD[THH:MM[:SS]] in UTC)");
  }
  return t;
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

void remove_database_files(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
}

int run_ingest_command(const std::string& db, const std::vector<std::string>& inputs,
                       const std::string& window, int year, const std::string& tz,
                       double lock_wait, const std::string& input_format,
                       const std::string& unrecognised_path,
                       const std::optional<pftls::JournalSelection>& journal) {
  pftls::IngestOptions opt;
  std::ofstream unrecognised;
  if (!unrecognised_path.empty()) {
    unrecognised.open(unrecognised_path, std::ios::binary | std::ios::trunc);
    if (!unrecognised) throw std::runtime_error("cannot write " + unrecognised_path);
    opt.unrecognised_out = &unrecognised;
  }
  if (!pftls::input_format_from_name(input_format, opt.format)) {
    throw UsageError("--format: auto, syslog or journal");
  }
  // With --journal, stdin only when named ("-"): the files first, then the journal.
  opt.paths = inputs.empty() && !journal ? std::vector<std::string>{"-"} : inputs;
  opt.journal = journal;
  if (journal) {
    for (const auto& u : journal->units) {
      if (u.empty()) throw UsageError("--unit: a unit name, not ''");
    }
    for (const auto& f : journal->files) {
      if (f.empty()) throw UsageError("--journal-file: a file name, not ''");
    }
  }
  if (year != 0) {
    if (year < 1970 || year > 9999) throw UsageError("--year: out of range");
    opt.year = year;
  }
  opt.zone = tz;
  opt.window_seconds = window_arg(window);
  pftls::LocalZone check(tz);  // an unknown zone is a usage error before anything is opened
  (void)check;
  bool existed = file_exists(db);
  try {
    auto store = pftls::open_store(db, pftls::Store::Mode::kReadWrite,
                                   static_cast<int>(lock_wait * 1000));
    auto sum = pftls::run_ingest(*store, opt, std::cerr);
    std::cerr << "pftls: ingest: " << sum.lines << " lines read, " << sum.postfix_lines
              << " Postfix lines, " << sum.unrecognised << " unrecognised, " << sum.malformed
              << " malformed, " << sum.truncated << " truncated; " << sum.sessions
              << " sessions, " << sum.failures << " failures, " << sum.messages << " messages, "
              << sum.new_incidents << " new incidents\n";
    if (!sum.unrecognised_by_service.empty()) {
      std::cerr << "pftls: unrecognised lines by program:";
      for (const auto& [service, n] : sum.unrecognised_by_service) std::cerr << " " << service << "=" << n;
      std::cerr << "\n";
    }
    if (unrecognised.is_open()) {
      unrecognised.flush();
      // The run is committed by now: a short file is worth a warning only.
      if (!unrecognised) std::cerr << "pftls: warning: cannot write all of " << unrecognised_path << "\n";
    }
  } catch (...) {
    if (!existed) remove_database_files(db);
    throw;
  }
  return kExitOk;
}

// Queries never create a database: a missing one is an error that says so.
std::unique_ptr<pftls::Store> open_for_reading(const std::string& db) {
  if (!file_exists(db)) {
    throw pftls::StoreError(pftls::StoreError::Kind::kFailed,
                            "no database at " + db + " (run 'pftls ingest' first)");
  }
  return pftls::open_store(db, pftls::Store::Mode::kReadOnly);
}

// A named query and what it needs before it runs.
struct QuerySpec {
  const char* name;
  bool needs_window = false;
  bool on_incidents = false;    // reads temp.incidents_now (clients)
  const char* outcome = nullptr;  // failures: keep only this outcome
};

// Writes to -o FILE (through FILE.tmp and a rename: no half-written report)
// or to standard output.
template <typename Write>
void write_output(const std::string& path, Write&& write) {
  if (path.empty()) {
    write(std::cout);
    std::cout.flush();
    if (!std::cout) throw std::runtime_error("cannot write to standard output");
    return;
  }
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + path);
    write(out);
    out.flush();
    if (!out) {
      ::unlink(tmp.c_str());
      throw std::runtime_error("cannot write " + path);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + path);
  }
}

int run_query_command(const QuerySpec& spec, const QueryOptions& q, pftls::OutputFormat format) {
  const std::string query = spec.name;
  const bool needs_window = spec.needs_window || spec.on_incidents;
  // Arguments first: a usage error is reported as such, database or not.
  auto window_override = window_arg(q.window);
  std::vector<std::pair<std::string, pftls::QueryParam>> params;
  params.emplace_back("since_us", time_arg("--since", q.since));
  params.emplace_back("until_us", time_arg("--until", q.until));
  auto store = open_for_reading(q.db);
  if (needs_window) {
    params.emplace_back("window_us",
                        pftls::effective_window(*store, window_override) * pftls::kMicrosPerSecond);
  }
  params.emplace_back("match", q.match);
  params.emplace_back("outcome", spec.outcome ? pftls::QueryParam{std::string(spec.outcome)}
                                              : pftls::QueryParam{});
  params.emplace_back("client_ip", q.client.empty() ? pftls::QueryParam{} : pftls::QueryParam{q.client});
  pftls::ResultSet rs = store->query(query, params);
  write_output(q.output, [&](std::ostream& out) { pftls::write_result(rs, format, out); });
  return kExitOk;
}

struct EvidenceOptions {
  std::int64_t incident_id = 0;  // 0: not given
  std::string client;
  std::string org;
  bool redact = false;
};

int run_evidence_command(const QueryOptions& q, const EvidenceOptions& e) {
  auto window_override = window_arg(q.window);
  auto store = open_for_reading(q.db);
  std::int64_t window = pftls::effective_window(*store, window_override);
  std::vector<std::pair<std::string, pftls::QueryParam>> params = {
      {"window_us", window * pftls::kMicrosPerSecond},
      {"match", q.match},
      {"since_us", pftls::QueryParam{}},
      {"until_us", pftls::QueryParam{}},
      {"client_ip", pftls::QueryParam{}}};
  params.pop_back();
  params.emplace_back("incident_id", e.incident_id ? pftls::QueryParam{e.incident_id} : pftls::QueryParam{});
  params.emplace_back("client_ip", e.client.empty() ? pftls::QueryParam{} : pftls::QueryParam{e.client});
  params.emplace_back("org", e.org.empty() ? pftls::QueryParam{} : pftls::QueryParam{e.org});
  pftls::ResultSet incidents = store->query("incidents_selected", params);
  if (e.incident_id && incidents.rows.empty()) {
    throw UsageError("no incident " + std::to_string(e.incident_id) + " (with window " +
                     std::to_string(window) + "s, match " + q.match + ")");
  }
  pftls::ResultSet evidence = store->query("evidence", params);
  pftls::ReportOptions opt;
  opt.redact = e.redact;
  opt.heading = "window " + std::to_string(window) + "s, match " + q.match +
                (e.redact ? ", redacted" : "");
  write_output(q.output, [&](std::ostream& out) {
    pftls::write_evidence_report(incidents, evidence, opt, out);
  });
  return kExitOk;
}

int run_status_command(const std::string& db, int runs) {
  auto store = open_for_reading(db);
  std::cout << "Inputs\n";
  pftls::write_result(store->query("status_inputs", {}), pftls::OutputFormat::kTable, std::cout);
  std::cout << "\nRuns (most recent first)\n";
  pftls::write_result(store->query("status_runs", {{"limit", std::int64_t{runs}}}),
                      pftls::OutputFormat::kTable, std::cout);
  return kExitOk;
}

pftls::OutputFormat format_arg(const std::string& name) {
  pftls::OutputFormat f;
  if (!pftls::output_format_from_name(name, f)) throw UsageError("--format: table, csv or json");
  return f;
}

void add_db_option(CLI::App* cmd, std::string& db) {
  cmd->add_option("--db", db, "SQLite database (default: $PFTLS_DB, else ./pftls.db)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pftls: finds TLS downgrade incidents in Postfix logs: a sender whose STARTTLS "
               "handshake failed and that then delivered the mail in plaintext."};
  app.footer(kExitCodes);
  app.require_subcommand(1);
  app.set_version_flag("--version", "pftls 0.1.0");

  std::string db = default_db();
  std::vector<std::string> inputs;
  std::string window;
  int year = 0;
  std::string tz;
  double lock_wait = 10;
  auto* ingest = app.add_subcommand("ingest", "Read Postfix logs (plain, .gz, .bz2, .xz, .zst or - for stdin) into the database");
  add_db_option(ingest, db);
  ingest->add_option("--window", window, "Default incident window stored in the database (90s, 30m, 24h, 5d; default 24h)");
  ingest->add_option("--year", year, "Year of the first yearless line (default: from the file's mtime)");
  ingest->add_option("--tz", tz, "IANA zone of timestamps without an offset (default: the system zone)");
  ingest->add_option("--lock-wait", lock_wait, "Seconds to wait for another pftls run to finish before giving up with exit 75 (default 10)")
      ->check(CLI::Range(0.0, 3600.0));
  std::string input_format = "auto";
  std::string unrecognised_path;
  ingest->add_option("--unrecognised", unrecognised_path,
                     "Write every Postfix line no pattern knows to this file (as pflogsumm's --unprocd-file)");
  ingest->add_option("--format", input_format,
                     "Input form of the PATHs: auto (default: each by its first line), syslog, or journal (journalctl -o json); --journal is always JSON");
  bool journal = false;
  pftls::JournalSelection journal_selection;
  ingest->add_flag("--journal", journal,
                   "Also read the systemd journal (journalctl from PATH), after any PATHs, resuming after "
                   "the cursor of the previous run");
  ingest->add_option("--unit", journal_selection.units,
                     "Journal unit to read, repeatable, globs allowed (default: postfix.service and "
                     "postfix@*.service); implies --journal")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  auto* journal_file = ingest->add_option("--journal-file", journal_selection.files,
                     "Read this journal file (journalctl --file, e.g. systemd-journal-remote output) "
                     "instead of the system journal, repeatable; implies --journal")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  auto* journal_dir = ingest->add_option("--journal-directory", journal_selection.directory,
                     "Read the journal files in this directory (journalctl --directory) instead of the "
                     "system journal; implies --journal");
  journal_file->excludes(journal_dir);
  ingest->add_option("paths", inputs, "Log files, oldest first; '-' or none for stdin (none: no stdin with --journal)");

  QueryOptions q;
  q.db = db;
  auto add_query_options = [&](CLI::App* cmd, bool with_format) {
    add_db_option(cmd, q.db);
    cmd->add_option("--window", q.window, "Window between failure and plaintext delivery (default: the stored one, else 24h)");
    cmd->add_option("--since", q.since, "Only incidents whose plaintext delivery is at or after this time");
    cmd->add_option("--until", q.until, "Only incidents whose plaintext delivery is before this time");
    cmd->add_option("--client", q.client, "Only this client IP");
    cmd->add_option("--match", q.match,
                    "What ties a failure to a later plaintext delivery: ip (the same address, default), "
                    "subnet (the same IPv4 /24 or IPv6 /64) or org (the same registrable domain)")
        ->check(CLI::IsMember({"ip", "subnet", "org"}));
    if (with_format) cmd->add_option("--format", q.format, "table, csv or json (default table)");
  };
  auto* incidents = app.add_subcommand("incidents", "Print the TLS downgrade incidents");
  add_query_options(incidents, true);

  auto* failing = app.add_subcommand("failing", "Print the senders whose STARTTLS handshakes fail");
  add_db_option(failing, q.db);
  failing->add_option("--format", q.format, "table, csv or json (default table)");
  auto* never_tls = app.add_subcommand("never-tls", "Print the senders that never use TLS");
  add_db_option(never_tls, q.db);
  never_tls->add_option("--format", q.format, "table, csv or json (default table)");
  auto add_failure_options = [&](CLI::App* cmd, bool with_format) {
    add_db_option(cmd, q.db);
    cmd->add_option("--window", q.window, "How long a retry may take (default: the stored window, else 24h)");
    cmd->add_option("--client", q.client, "Only this client IP");
    if (with_format) cmd->add_option("--format", q.format, "table, csv or json (default table)");
  };
  auto* failures = app.add_subcommand("failures", "Print every failed inbound STARTTLS session and its outcome");
  add_failure_options(failures, true);
  auto* lost = app.add_subcommand("lost", "Print failures never followed by any delivery from that client (outcome no-delivery)");
  add_failure_options(lost, true);
  auto* clients = app.add_subcommand("clients", "Print each sending client's TLS profile");
  add_failure_options(clients, true);
  clients->add_option("--match", q.match, "How incidents are matched (ip, subnet, org; default ip)")
      ->check(CLI::IsMember({"ip", "subnet", "org"}));

  EvidenceOptions ev;
  auto add_evidence_options = [&](CLI::App* cmd) {
    add_db_option(cmd, q.db);
    cmd->add_option("--window", q.window, "Window between failure and plaintext delivery (default: the stored one, else 24h)");
    cmd->add_option("--match", q.match, "How incidents are matched (ip, subnet, org; default ip)")
        ->check(CLI::IsMember({"ip", "subnet", "org"}));
    cmd->add_flag("--redact", ev.redact, "Replace recipient local parts and our own host name with stable pseudonyms");
  };
  auto* show = app.add_subcommand("show", "Print one incident with the raw log lines of its failed and plaintext sessions");
  show->add_option("incident_id", ev.incident_id, "The incident_id column of 'pftls incidents'")
      ->required()
      ->check(CLI::PositiveNumber);
  add_evidence_options(show);

  auto* status = app.add_subcommand("status", "Show the log files read so far, how far, and the last runs");
  add_db_option(status, q.db);
  int status_runs = 10;
  status->add_option("--runs", status_runs, "How many recent runs to list (default 10)")
      ->check(CLI::Range(1, 100000));

  auto* export_cmd = app.add_subcommand("export", "Write query results as CSV for a disclosure report");
  export_cmd->require_subcommand(1);
  auto* export_incidents = export_cmd->add_subcommand("incidents", "The incidents, as CSV");
  add_query_options(export_incidents, false);
  export_incidents->add_option("-o,--output", q.output, "Output file (default: standard output)");
  auto* export_failures = export_cmd->add_subcommand("failures", "Every failed inbound STARTTLS session with its outcome, as CSV");
  add_failure_options(export_failures, false);
  export_failures->add_option("-o,--output", q.output, "Output file (default: standard output)");
  auto* export_evidence = export_cmd->add_subcommand("evidence", "Every incident of one sender with its raw log lines, as a text report");
  auto* by_client = export_evidence->add_option("--client", ev.client, "The sender's IP");
  auto* by_org = export_evidence->add_option("--org", ev.org, "The sender's registrable domain (e.g. aexp.com)");
  by_client->excludes(by_org);
  add_evidence_options(export_evidence);
  export_evidence->add_option("-o,--output", q.output, "Output file (default: standard output)");
  auto* export_clients = export_cmd->add_subcommand("clients", "Every client's TLS profile, as CSV");
  add_failure_options(export_clients, false);
  export_clients->add_option("--match", q.match, "How incidents are matched (ip, subnet, org; default ip)")
      ->check(CLI::IsMember({"ip", "subnet", "org"}));
  export_clients->add_option("-o,--output", q.output, "Output file (default: standard output)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "pftls: " << pftls::strip_controls(e.what()) << " (see pftls --help)\n";
    return kExitFailed;
  }

  try {
    // Validate the built-in patterns before anything else: a broken set is a build defect.
    (void)pftls::PatternSet::builtin();
    if (*ingest) {
      std::optional<pftls::JournalSelection> journal_arg;
      if (journal || !journal_selection.units.empty() || !journal_selection.files.empty() ||
          !journal_selection.directory.empty()) {
        journal_arg = journal_selection;
      }
      return run_ingest_command(db, inputs, window, year, tz, lock_wait, input_format, unrecognised_path,
                                journal_arg);
    }
    const auto csv = pftls::OutputFormat::kCsv;
    const QuerySpec incidents_q{"incidents", true};
    const QuerySpec failures_q{"failures", true};
    const QuerySpec lost_q{"failures", true, false, "no-delivery"};
    const QuerySpec clients_q{"clients", true, true};
    if (*incidents) return run_query_command(incidents_q, q, format_arg(q.format));
    if (*export_incidents) return run_query_command(incidents_q, q, csv);
    if (*failures) return run_query_command(failures_q, q, format_arg(q.format));
    if (*export_failures) return run_query_command(failures_q, q, csv);
    if (*lost) return run_query_command(lost_q, q, format_arg(q.format));
    if (*clients) return run_query_command(clients_q, q, format_arg(q.format));
    if (*export_clients) return run_query_command(clients_q, q, csv);
    if (*failing) return run_query_command(QuerySpec{"failing_senders"}, q, format_arg(q.format));
    if (*never_tls) return run_query_command(QuerySpec{"never_tls"}, q, format_arg(q.format));
    if (*status) return run_status_command(q.db, status_runs);
    if (*export_evidence && ev.client.empty() && ev.org.empty()) {
      throw UsageError("export evidence: give --client IP or --org DOMAIN");
    }
    if (*show || *export_evidence) return run_evidence_command(q, ev);
  } catch (const pftls::PatternError& e) {
    std::cerr << "pftls: " << e.what() << "\n";
    return kExitFailed;
  } catch (const UsageError& e) {
    std::cerr << "pftls: " << e.what() << "\n";
    return kExitFailed;
  } catch (const pftls::StoreError& e) {
    std::cerr << "pftls: " << pftls::strip_controls(e.what()) << "\n";
    return e.kind() == pftls::StoreError::Kind::kBusy ? kExitBusy : kExitFailed;
  } catch (const std::exception& e) {
    std::cerr << "pftls: " << pftls::strip_controls(e.what()) << "\n";
    return kExitFailed;
  }
  return kExitFailed;
}
