// main: the pftls command line. Wires CLI11 to the subcommands
// (commands.h) on validated options (options.h), and maps errors to the
// documented exit codes:
//   0  done
//   2  usage error, or a run that could not complete (unreadable input,
//      corrupt compressed data, damaged or foreign database); the database
//      is left as it was before the run
//   3  an ingest that skipped a damaged input and read the others
//   75 the database is locked by another pftls run, or journalctl ran past
//      --journal-timeout (EX_TEMPFAIL: cron will simply try again next time)
#include <malloc.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>
#include <iostream>
#include <string>

#include "app/commands.h"
#include "app/options.h"
#include "app/prune_command.h"
#include "base/text.h"
#include "input/journal_reader.h"
#include "parse/pattern_set.h"
#include "store/store_error.h"

namespace {

using namespace pftls;

constexpr int kExitFailed = 2;
constexpr int kExitBusy = 75;

constexpr const char* kExitCodes =
    "Exit codes: 0 done; 2 usage error or a run that could not complete (the database is left "
    "as it was); 3 ingest skipped a damaged input (see status) and read the others; 75 the "
    "database is locked by another pftls run, its PostgreSQL server cannot be reached, or "
    "journalctl ran past --journal-timeout.";

// Every option of every subcommand, as typed (one subcommand runs), and
// what each subcommand runs once parsed.
struct Cli {
  std::string db = default_db();
  IngestArgs ingest_args;
  QueryArgs query;
  EvidenceArgs evidence;
  int status_runs = 10;
  bool status_check = false;
  std::string status_format = "table";
  std::string metrics_path;
  ReportArgs report;
  std::string copy_from, copy_to;
  PruneArgs prune;
  std::string whatif_protocols, whatif_ciphers;
  bool whatif_require_tls = false;
  std::vector<std::pair<const CLI::App*, std::function<int()>>> actions;

  void on(const CLI::App* cmd, std::function<int()> run) {
    actions.emplace_back(cmd, std::move(run));
  }
  // A named query; an export writes CSV whatever --format says.
  void on_query(const CLI::App* cmd, QuerySpec spec, bool exporting) {
    on(cmd, [this, spec, exporting] {
      auto fixed = exporting ? std::optional<OutputFormat>(OutputFormat::kCsv) : std::nullopt;
      return run_query_command(spec, validate_query(db, query, fixed));
    });
  }
  void on_evidence(const CLI::App* cmd, bool exporting) {
    on(cmd, [this, exporting] {
      EvidenceOptions e = validate_evidence(evidence, exporting);
      return run_evidence_command(validate_query(db, query, OutputFormat::kTable), e);
    });
  }
};

// A table's default columns: those that tell the rows apart and what
// happened, about 100 characters with IPv4 clients (--wide: all).
constexpr const char* kIncidentColumns =
    "incident_id,client_ip,client_name,failure_reason,plaintext_at,mx_host";
constexpr const char* kFailureColumns =
    "failure_id,client_ip,client_name,failure_at,failure_reason,outcome";
constexpr const char* kClientColumns =
    "client_ip,client_name,failed_sessions,messages,last_seen,tls_status";
constexpr QuerySpec kIncidents{"incidents", true, false, nullptr, kIncidentColumns};
constexpr QuerySpec kFailures{"failures", true, false, nullptr, kFailureColumns};
constexpr QuerySpec kLost{"failures", true, false, "no-delivery", kFailureColumns};
constexpr QuerySpec kClients{"clients", true,           true,
                             nullptr,   kClientColumns, "first_seen,last_seen"};

void add_db(CLI::App* cmd, Cli& cli) { cmd->add_option("--db", cli.db, kDbHelp); }

void add_format(CLI::App* cmd, Cli& cli) {
  cmd->add_option("--format", cli.query.format, kFormatHelp);
  cmd->add_option("--columns", cli.query.columns, kColumnsHelp);
  cmd->add_flag("--wide", cli.query.wide, kWideHelp);
}

void add_match(CLI::App* cmd, Cli& cli, const char* help) {
  static const std::vector<std::string> values(std::begin(kMatchValues), std::end(kMatchValues));
  cmd->add_option("--match", cli.query.match, help)->check(CLI::IsMember(values));
}

// How the hosts of a store are matched (incidents, failures, clients, show).
void add_hosts(CLI::App* cmd, Cli& cli) {
  cmd->add_flag("--per-host", cli.query.per_host, kPerHostHelp);
  cmd->add_option("--skew", cli.query.skew, kSkewHelp);
}

void add_output(CLI::App* cmd, Cli& cli) {
  cmd->add_option("-o,--output", cli.query.output, kOutputHelp);
}

// An option that takes one value each time it is given, and keeps them all.
CLI::Option* add_repeatable(CLI::App* cmd, const char* name, std::vector<std::string>& values,
                            const char* help) {
  return cmd->add_option(name, values, help)
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

void add_ingest(CLI::App& app, Cli& cli) {
  IngestArgs& a = cli.ingest_args;
  auto* cmd = app.add_subcommand(
      "ingest", "Read Postfix logs (plain, .gz, .bz2, .xz, .zst or - for stdin) into the database");
  cli.on(cmd, [&cli] { return run_ingest_command(validate_ingest(cli.db, cli.ingest_args)); });
  add_db(cmd, cli);
  cmd->add_option(
      "--window", a.window,
      "Default incident window stored in the database (90s, 30m, 24h, 5d; default 24h)");
  cmd->add_option("--year", a.year,
                  "Year of the first yearless line (default: from the file's mtime)");
  cmd->add_option("--tz", a.tz,
                  "IANA zone of timestamps without an offset (default: the system zone)");
  cmd->add_option("--lock-wait", a.lock_wait,
                  "Seconds to wait for another pftls run to finish before giving up with exit 75 "
                  "(default 10)")
      ->check(CLI::Range(0.0, 3600.0));
  cmd->add_option("--unrecognised", a.unrecognised,
                  "Append every Postfix line no pattern knows to this file (as pflogsumm's "
                  "--unprocd-file)");
  cmd->add_option("--metrics", a.metrics,
                  "After the run, write the database's totals in the Prometheus text format to "
                  "this file (atomically; for node_exporter's textfile collector)");
  cmd->add_flag("-q,--quiet", a.quiet,
                "News only, as when stderr is not a terminal: new incidents on stdout, warnings "
                "not given in the last day; no summary line");
  cmd->add_flag("-v,--verbose", a.verbose,
                "The summary line and every warning, as when stderr is a terminal");
  cmd->add_option("--on-incident", a.on_incident,
                  "Run CMD (split at blanks, no shell) after a run that found new incidents, "
                  "with them as JSON lines on its stdin");
  cmd->add_option("--format", a.format,
                  "Input form of the PATHs: auto (default: each by its first line), syslog, "
                  "journal (journalctl -o json), compose (docker compose logs), timestamps "
                  "(docker/kubectl logs --timestamps), cri (Kubernetes log files) or "
                  "docker-json (Docker's json-file driver); --journal is always JSON");
  cmd->add_option("--journal-timeout", a.journal_timeout,
                  "Seconds journalctl may run before it is killed and the run given up with "
                  "exit 75 (default 300)");
  cmd->add_flag("--journal", a.journal,
                "Also read the systemd journal (journalctl from PATH), after any PATHs, resuming "
                "after the cursor of the previous run");
  JournalSelection& j = a.journal_selection;
  add_repeatable(cmd, "--unit", j.units,
                 "Journal unit to read, repeatable, globs allowed (default: postfix.service and "
                 "postfix@*.service); implies --journal");
  auto* file = add_repeatable(cmd, "--journal-file", j.files,
                              "Read this journal file (journalctl --file, e.g. "
                              "systemd-journal-remote output) instead of the system journal, "
                              "repeatable; implies --journal");
  auto* dir = cmd->add_option("--journal-directory", j.directory,
                              "Read the journal files in this directory (journalctl --directory) "
                              "instead of the system journal; implies --journal");
  file->excludes(dir);
  cmd->add_option("paths", a.paths,
                  "Log files, oldest first; '-' or none for stdin (none: no stdin with --journal)");
}

// incidents and export incidents.
void add_incident_options(CLI::App* cmd, Cli& cli) {
  add_db(cmd, cli);
  cmd->add_option("--window", cli.query.window, kQueryWindowHelp);
  cmd->add_option("--since", cli.query.since,
                  "Only incidents whose plaintext delivery is at or after this time (RFC 3339, "
                  "YYYY-MM-DD[THH:MM[:SS]] in UTC, 24h/7d ago, today, yesterday)");
  cmd->add_option("--until", cli.query.until,
                  "Only incidents whose plaintext delivery is before this time");
  cmd->add_option("--client", cli.query.client, kClientHelp);
  add_match(cmd, cli, kMatchLongHelp);
  add_hosts(cmd, cli);
}

// --since/--until on a listing that is not the incidents (whose help says
// what they bound).
void add_time_range(CLI::App* cmd, Cli& cli) {
  cmd->add_option("--since", cli.query.since, kSinceHelp);
  cmd->add_option("--until", cli.query.until, kUntilHelp);
}

// failures, lost, clients and their exports.
void add_failure_options(CLI::App* cmd, Cli& cli) {
  add_db(cmd, cli);
  add_time_range(cmd, cli);
  cmd->add_option("--window", cli.query.window, kRetryWindowHelp);
  cmd->add_option("--client", cli.query.client, kClientHelp);
  add_hosts(cmd, cli);
}

// failures and export failures: which side's failed handshakes.
void add_failure_direction(CLI::App* cmd, Cli& cli) {
  static const std::vector<std::string> values = {"in", "out", "both"};
  cmd->add_option("--direction", cli.query.direction,
                  "in (clients' handshakes with our smtpd), out (our smtp client's with remote "
                  "MXs) or both (a first column direction); default in")
      ->check(CLI::IsMember(values));
}

// show and export evidence.
void add_evidence_options(CLI::App* cmd, Cli& cli) {
  add_db(cmd, cli);
  cmd->add_option("--window", cli.query.window, kQueryWindowHelp);
  add_match(cmd, cli, kMatchHelp);
  add_hosts(cmd, cli);
  cmd->add_flag("--redact", cli.evidence.redact,
                "Replace recipient local parts and our host names (every host of the store) with "
                "stable pseudonyms");
}

// tls and export tls: the TLS inventory (queries/tls.sql).
void add_tls_query(CLI::App* cmd, Cli& cli, bool exporting) {
  cli.on_query(cmd, QuerySpec{"tls"}, exporting);
  add_db(cmd, cli);
  cmd->add_option("--direction", cli.query.direction,
                  "in (clients of our smtpd) or out (servers our smtp client delivered to); "
                  "default both");
  cmd->add_option("--client", cli.query.client, kClientHelp);
  if (exporting) {
    add_output(cmd, cli);
  } else {
    add_format(cmd, cli);
  }
}

// whatif: each inbound client's verdict under a proposed TLS policy. The
// policy is read (and libssl asked) before the database is opened.
void add_whatif(CLI::App& app, Cli& cli) {
  auto* cmd = app.add_subcommand(
      "whatif", "Print what a proposed TLS policy (protocols, ciphers) would do to each client");
  cli.on(cmd, [&cli] {
    const QueryOptions q = validate_query(cli.db, cli.query);
    WhatifPolicy policy;
    policy.protocols = ProtocolPolicy::parse(cli.whatif_protocols);
    if (!cli.whatif_ciphers.empty()) policy.ciphers = CipherPolicy::expand(cli.whatif_ciphers);
    policy.require_tls = cli.whatif_require_tls;
    return run_whatif_command(q, policy);
  });
  add_db(cmd, cli);
  cmd->add_option("--protocols", cli.whatif_protocols,
                  "Allowed protocols in smtpd_tls_protocols syntax: '>=TLSv1.2' or '!SSLv3, "
                  "!TLSv1, !TLSv1.1' (default: all)");
  cmd->add_option("--ciphers", cli.whatif_ciphers,
                  "Allowed ciphers below TLS 1.3 as an OpenSSL cipher string, expanded by libssl "
                  "(e.g. 'ECDHE+AESGCM:!aNULL'; default: all)");
  cmd->add_flag("--require-tls", cli.whatif_require_tls,
                "The policy also requires TLS (smtpd_tls_security_level = encrypt): clients "
                "that never use it are lost");
  add_time_range(cmd, cli);
  cmd->add_option("--client", cli.query.client, kClientHelp);
  add_format(cmd, cli);
}

// A query subcommand with --db and --format only.
void add_plain_query(CLI::App& app, Cli& cli, const char* name, const char* help, QuerySpec spec) {
  auto* cmd = app.add_subcommand(name, help);
  cli.on_query(cmd, spec, false);
  add_db(cmd, cli);
  add_time_range(cmd, cli);
  add_format(cmd, cli);
}

// A query subcommand on failures (failures, lost, clients).
CLI::App* add_failure_query(CLI::App& app, Cli& cli, const char* name, const char* help,
                            QuerySpec spec) {
  auto* cmd = app.add_subcommand(name, help);
  cli.on_query(cmd, spec, false);
  add_failure_options(cmd, cli);
  add_format(cmd, cli);
  return cmd;
}

void add_report(CLI::App& app, Cli& cli) {
  auto* cmd = app.add_subcommand(
      "report", "Print the TLS report of a period and its changes against the period before");
  cli.on(cmd, [&cli] {
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    return run_report_command(cli.db, validate_report(cli.report, now));
  });
  add_db(cmd, cli);
  cmd->add_option("--since", cli.report.since,
                  "The period's start (the forms of "
                  "'incidents --since'; default 24h)");
  cmd->add_option("--until", cli.report.until, "The period's end (default now)");
  cmd->add_option("--format", cli.report.format, "text (80 columns) or json (default text)");
  cmd->add_option("--tz", cli.report.tz, "Time zone of the text's times (default UTC)");
}

void add_queries(CLI::App& app, Cli& cli) {
  auto* incidents = app.add_subcommand("incidents", "Print the TLS downgrade incidents");
  cli.on_query(incidents, kIncidents, false);
  add_incident_options(incidents, cli);
  add_format(incidents, cli);
  add_plain_query(app, cli, "failing", "Print the senders whose STARTTLS handshakes fail",
                  QuerySpec{"failing_senders"});
  add_plain_query(app, cli, "never-tls", "Print the senders that never use TLS",
                  QuerySpec{"never_tls"});
  add_failure_direction(
      add_failure_query(app, cli, "failures",
                        "Print every failed STARTTLS handshake (inbound unless --direction) and "
                        "its outcome",
                        kFailures),
      cli);
  add_failure_query(
      app, cli, "lost",
      "Print failures never followed by any delivery from that client (outcome no-delivery)",
      kLost);
  auto* clients =
      add_failure_query(app, cli, "clients", "Print each sending client's TLS profile", kClients);
  add_match(clients, cli, kMatchHelp);
  add_tls_query(app.add_subcommand("tls", "Print what each client's TLS sessions negotiated"), cli,
                false);
  add_whatif(app, cli);
  auto* show = app.add_subcommand(
      "show", "Print one incident with the raw log lines of its failed and plaintext sessions");
  cli.on_evidence(show, false);
  show->add_option("incident_id", cli.evidence.incident_id,
                   "The incident_id column of 'pftls incidents': N; oN for an outbound one; pN for "
                   "one whose plaintext message another host logged")
      ->required();
  add_evidence_options(show, cli);
  auto* status = app.add_subcommand(
      "status",
      "Show each host's newest log time and lag, the log files read so far, the last runs "
      "and the warnings of the last day");
  cli.on(status, [&cli] {
    OutputFormat format = OutputFormat::kTable;
    if (cli.status_format != "table" && cli.status_format != "json")
      throw UsageError("status --format: table or json");
    if (cli.status_format == "json") format = OutputFormat::kJson;
    return run_status_command(cli.db, cli.status_runs, format, cli.status_check);
  });
  add_db(status, cli);
  status->add_option("--runs", cli.status_runs, "How many recent runs to list (default 10)")
      ->check(CLI::Range(1, 100000));
  status->add_option("--format", cli.status_format, "table or json (default table)");
  status->add_flag("--check", cli.status_check,
                   "Also run PRAGMA quick_check first (reads every page: seconds on a large "
                   "database; ingest runs it daily)");
  auto* metrics = app.add_subcommand(
      "metrics", "Write the database's totals in the Prometheus text format (node_exporter)");
  cli.on(metrics, [&cli] { return run_metrics_command(cli.db, cli.metrics_path); });
  add_db(metrics, cli);
  metrics->add_option("file", cli.metrics_path,
                      "Write here, atomically (default or '-': standard output)");
  add_report(app, cli);
}

void add_copy(CLI::App& app, Cli& cli) {
  auto* cmd = app.add_subcommand(
      "copy", "Copy a SQLite database into a new PostgreSQL database (postgresql:// URL)");
  cmd->add_option("--from", cli.copy_from, "The SQLite file")->required();
  cmd->add_option("--to", cli.copy_to, "The PostgreSQL database (postgresql://...)")->required();
  cli.on(cmd, [&cli] { return run_copy_command(cli.copy_from, cli.copy_to); });
}

void add_prune(CLI::App& app, Cli& cli) {
  PruneArgs& a = cli.prune;
  auto* cmd = app.add_subcommand(
      "prune", "Delete what no query from a cut-off time on needs (retention), in one transaction");
  cli.on(cmd, [&cli] { return run_prune_command(validate_prune(cli.db, cli.prune)); });
  add_db(cmd, cli);
  auto* before = cmd->add_option("--before", a.before, "The cut-off: a time, as --since takes");
  auto* keep = cmd->add_option("--keep", a.keep, "The cut-off back from now: 400d, 52w, ...");
  before->excludes(keep);
  cmd->add_option("--window", a.window,
                  "Window kept before the cut-off for its incidents (default: the stored one, "
                  "else 24h)");
  cmd->add_flag("--vacuum", a.vacuum,
                "Then give the freed space back (SQLite VACUUM: needs free disk as large as the "
                "file and locks it meanwhile)");
  cmd->add_option("--lock-wait", a.lock_wait,
                  "Seconds to wait for another pftls run before giving up with exit 75 "
                  "(default 10)")
      ->check(CLI::Range(0.0, 3600.0));
}

void add_exports(CLI::App& app, Cli& cli) {
  auto* cmd = app.add_subcommand("export", "Write query results as CSV for a disclosure report");
  cmd->require_subcommand(1);
  auto* incidents = cmd->add_subcommand("incidents", "The incidents, as CSV");
  cli.on_query(incidents, kIncidents, true);
  add_incident_options(incidents, cli);
  add_output(incidents, cli);
  auto* failures = cmd->add_subcommand(
      "failures",
      "Every failed STARTTLS handshake (inbound unless --direction) with its outcome, as CSV");
  cli.on_query(failures, kFailures, true);
  add_failure_options(failures, cli);
  add_failure_direction(failures, cli);
  add_output(failures, cli);
  auto* evidence = cmd->add_subcommand(
      "evidence", "Every incident of one sender with its raw log lines, as a text report");
  cli.on_evidence(evidence, true);
  auto* by_client = evidence->add_option("--client", cli.evidence.client, "The sender's IP");
  auto* by_org = evidence->add_option("--org", cli.evidence.org,
                                      "The sender's registrable domain (e.g. aexp.com)");
  by_client->excludes(by_org);
  add_evidence_options(evidence, cli);
  add_output(evidence, cli);
  auto* clients = cmd->add_subcommand("clients", "Every client's TLS profile, as CSV");
  cli.on_query(clients, kClients, true);
  add_failure_options(clients, cli);
  add_match(clients, cli, kMatchHelp);
  add_output(clients, cli);
  add_tls_query(cmd->add_subcommand("tls", "The TLS inventory, as CSV"), cli, true);
}

// " (did you mean X?)" for the first word of the command line that names
// no subcommand or option where it stands, when one is near it; "" else.
std::string did_you_mean(const CLI::App& app, int argc, char** argv) {
  const CLI::App* cur = &app;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    if (arg.rfind("--", 0) == 0) {
      const std::string name = arg.substr(0, arg.find('='));
      if (cur->get_option_no_throw(name) != nullptr) continue;
      std::vector<std::string> names;
      for (const CLI::Option* opt : cur->get_options()) {
        for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
      }
      const std::string near = closest_word(name, names);
      return near.empty() ? std::string() : " (did you mean " + near + "?)";
    }
    if (arg.rfind('-', 0) == 0) continue;
    const auto subs = cur->get_subcommands([](const CLI::App*) { return true; });
    const auto named = std::find_if(subs.begin(), subs.end(),
                                    [&arg](const CLI::App* sub) { return sub->get_name() == arg; });
    if (named != subs.end()) {
      cur = *named;
      continue;
    }
    if (subs.empty()) continue;  // an option's value or a positional
    std::vector<std::string> names;
    names.reserve(subs.size());
    for (const CLI::App* sub : subs) names.push_back(sub->get_name());
    const std::string near = closest_word(arg, names);
    if (!near.empty()) return " (did you mean " + near + "?)";
  }
  return {};
}

// Runs the subcommand the command line named.
int dispatch(const Cli& cli) {
  for (const auto& [cmd, run] : cli.actions) {
    if (cmd->parsed()) return run();
  }
  return kExitFailed;
}

// The whole program but for a last guard: everything it throws ends here
// as one line and an exit code.
int run_pftls(int argc, char** argv) {
  CLI::App app{
      "pftls: finds TLS downgrade incidents in Postfix logs: a sender whose STARTTLS "
      "handshake failed and that then delivered the mail in plaintext."};
  try {
    app.footer(kExitCodes);
    app.require_subcommand(1);
    app.set_version_flag("--version", "pftls " PFTLS_VERSION);
    Cli cli;
    add_ingest(app, cli);
    add_queries(app, cli);
    add_exports(app, cli);
    add_copy(app, cli);
    add_prune(app, cli);
    app.parse(argc, argv);
    // Validate the built-in patterns before anything else: a broken set is a build defect.
    (void)PatternSet::builtin();
    return dispatch(cli);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "pftls: " << strip_controls(e.what())
              << strip_controls(did_you_mean(app, argc, argv)) << " (see pftls --help)\n";
    return kExitFailed;
  } catch (const PatternError& e) {
    std::cerr << "pftls: " << e.what() << "\n";
    return kExitFailed;
  } catch (const UsageError& e) {
    std::cerr << "pftls: " << e.what() << "\n";
    return kExitFailed;
  } catch (const StoreError& e) {
    std::cerr << "pftls: " << strip_controls(e.what()) << "\n";
    return e.kind() == StoreError::Kind::kBusy ? kExitBusy : kExitFailed;
  } catch (const JournalTimeoutError& e) {
    std::cerr << "pftls: " << strip_controls(e.what()) << "\n";
    return kExitBusy;  // a stuck journal: the next run tries again
  } catch (const std::exception& e) {
    std::cerr << "pftls: " << strip_controls(e.what()) << "\n";
    return kExitFailed;
  } catch (...) {
    std::cerr << "pftls: unexpected error\n";
    return kExitFailed;
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Blocks of 256 KiB and more (the tallies' hash tables: 4-14 MiB, freed
  // and made again at every hand-over) come from mmap and go back to the
  // system when freed. glibc's own threshold grows after the first such
  // free, the next tables then come from the heap, which fragments: a
  // year's ingest peaked at 69 MiB RSS that way, over the 64 MiB bound.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  try {
    const int rc = run_pftls(argc, argv);
    // What went to standard output outside a report (--help, --version)
    // reached it too, or the run says so: no exit 0 on a full disk.
    std::cout.flush();
    if (rc == 0 && (!std::cout || std::fflush(stdout) != 0 || std::ferror(stdout))) {
      std::fputs("pftls: cannot write to standard output\n", stderr);
      return kExitFailed;
    }
    return rc;
  } catch (...) {
    // Not even the error could be written (out of memory, say).
    std::fputs("pftls: unexpected error\n", stderr);
    return kExitFailed;
  }
}
