// commands: the subcommands, from validated options to output.
#include "app/commands.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>

#include "app/drop_report.h"
#include "app/ingest_news.h"
#include "app/metrics.h"
#include "app/pseudonym_key.h"
#include "app/warning_memory.h"
#include "base/text.h"
#include "report/append_file.h"
#include "report/evidence_report.h"
#include "report/output_file.h"
#include "report/result_writer.h"
#include "report/row_relay.h"
#include "store/open_store.h"
#include "store/pg_conn.h"
#include "store/store_copy.h"
#include "store/store_error.h"

namespace pftls {
namespace {

using Params = std::vector<std::pair<std::string, QueryParam>>;

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

void remove_database_files(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
}

// The database a query reads: there, and this user may reach it (a
// directory it may not search says so, not "no database").
void check_database_file(const std::string& db) {
  struct stat st;
  if (::stat(db.c_str(), &st) == 0) return;
  if (errno == ENOENT) {
    throw StoreError(StoreError::Kind::kFailed,
                     "no database at " + db + " (run 'pftls ingest' first)");
  }
  throw StoreError(StoreError::Kind::kFailed,
                   "cannot read database " + db + ": " + std::strerror(errno));
}

}  // namespace

// The one place a store is opened. Only ingest creates a database: for
// every other command a missing one is an error that says so.
std::unique_ptr<Store> open_database(const std::string& db, DbUse use, int busy_timeout_ms) {
  if (use != DbUse::kIngest && !is_database_url(db)) check_database_file(db);
  return open_store(db, use == DbUse::kQuery ? Store::Mode::kReadOnly : Store::Mode::kReadWrite,
                    busy_timeout_ms);
}

namespace {

QueryParam param(const std::optional<Micros>& t) { return t ? QueryParam{*t} : QueryParam{}; }

QueryParam param(const std::string& text) { return text.empty() ? QueryParam{} : QueryParam{text}; }

// The database's pseudonym key. A query does not write: a database no
// ingest has given a key yet gets none here.
std::string redaction_key(Store& store) {
  if (auto key = load_pseudonym_key(store)) return *key;
  throw std::runtime_error(
      "--redact: this database has no pseudonym key yet; any 'pftls ingest' run creates it "
      "(with no new input: pftls ingest --db DB </dev/null)");
}

void write_summary(const IngestSummary& sum, std::ostream& diag) {
  diag << "pftls: ingest: " << sum.lines << " lines read, " << sum.postfix_lines
       << " Postfix lines, " << sum.unrecognised << " unrecognised, " << sum.malformed
       << " malformed, " << sum.truncated << " truncated; " << sum.sessions << " sessions, "
       << sum.failures << " failures, " << sum.messages << " messages, " << sum.new_incidents
       << " new incidents" << drop_summary(sum.drops) << "\n";
  if (!sum.unrecognised_by_service.empty()) {
    diag << "pftls: unrecognised lines by program:";
    for (const auto& [service, n] : sum.unrecognised_by_service) {
      diag << " " << service << "=" << n;
    }
    diag << "\n";
  }
}

// The warnings the last runs gave (WarningMemory's setting), newest first:
// columns given_at, warning. A damaged line is left out.
ResultSet recent_warnings(Store& store) {
  ResultSet rs;
  rs.columns = {"given_at", "warning"};
  std::vector<std::pair<std::int64_t, std::string>> given;
  const std::string text = store.setting(WarningMemory::kSetting).value_or("");
  std::string_view rest = text;
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    const std::size_t sp = line.find(' ');
    std::int64_t when = 0;
    if (sp == std::string_view::npos ||
        std::from_chars(line.data(), line.data() + sp, when).ptr != line.data() + sp)
      continue;
    given.emplace_back(when, std::string(line.substr(sp + 1)));
  }
  std::stable_sort(given.begin(), given.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& [when, kind] : given) {
    rs.rows.push_back({Cell{Cell::Type::kText, format_utc(when * kMicrosPerSecond)},
                       Cell{Cell::Type::kText, kind}});
  }
  return rs;
}

Micros now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Standard output's width when it is a terminal (its window, else
// $COLUMNS), else 0: no bound.
std::size_t terminal_width(const QueryOptions& q) {
  if (!q.output.empty() || ::isatty(STDOUT_FILENO) != 1) return 0;
  struct winsize ws {};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  const char* env = std::getenv("COLUMNS");
  const long n = env ? std::strtol(env, nullptr, 10) : 0;
  return n > 0 && n < 10000 ? static_cast<std::size_t>(n) : 0;
}

// A listing's writer: --columns in any format; a table gets the command's
// default columns and is fitted to the terminal, unless --wide.
std::vector<std::string> comma_list(std::string_view list) {
  std::vector<std::string> names;
  while (!list.empty()) {
    const std::size_t comma = std::min(list.find(','), list.size());
    names.emplace_back(list.substr(0, comma));
    list.remove_prefix(std::min(comma + 1, list.size()));
  }
  return names;
}

std::unique_ptr<RowSink> listing_writer(const QuerySpec& spec, const QueryOptions& q,
                                        std::ostream& out) {
  std::unique_ptr<RowSink> writer = q.format == OutputFormat::kTable
                                        ? table_writer(out, q.wide ? 0 : terminal_width(q))
                                        : result_writer(q.format, out);
  // After the columns are picked: only those shown are formatted.
  if (spec.utc_time_columns != nullptr)
    writer = utc_time_columns(comma_list(spec.utc_time_columns), std::move(writer));
  if (!q.columns.empty()) return column_picker(q.columns, true, std::move(writer));
  if (q.format != OutputFormat::kTable || q.wide || spec.table_columns == nullptr) return writer;
  return column_picker(comma_list(spec.table_columns), false, std::move(writer));
}

}  // namespace

int run_ingest_command(const IngestCommandOptions& options) {
  IngestOptions opt = options.ingest;
  // Appended to as the run reads; a write error aborts the run before its
  // commit (exit 2).
  std::optional<AppendFile> unrecognised;
  if (!options.unrecognised_path.empty()) {
    unrecognised.emplace(options.unrecognised_path);
    opt.unrecognised_out = &unrecognised->stream();
    opt.before_commit = [&unrecognised] { unrecognised->finish(); };
  }
  // Without a terminal (cron), news only: see README "Running from cron".
  const bool verbose = options.verbose.value_or(::isatty(STDERR_FILENO) == 1);
  opt.news_only = !verbose;
  const bool existed = is_database_url(options.db) || file_exists(options.db);
  std::unique_ptr<Store> store;
  IngestSummary sum;
  try {
    store = open_database(options.db, DbUse::kIngest, options.lock_wait_ms);
    sum = run_ingest(*store, opt, std::cerr);
  } catch (...) {
    if (!existed) remove_database_files(options.db);
    throw;
  }
  // Committed: what follows never undoes the run.
  if (verbose) write_summary(sum, std::cerr);
  tell_new_incidents(*store, sum, options.on_incident, std::cout, std::cerr);
  if (!options.metrics_path.empty()) {
    // The run is stored whatever happens here: a failure is one warning
    // line, and the exit code stays the run's.
    try {
      write_metrics(*store, options.metrics_path);
    } catch (const std::exception& e) {
      std::cerr << "pftls: warning: --metrics: " << strip_controls(e.what()) << "\n";
    }
  }
  return sum.damaged_inputs ? kExitDamagedInput : 0;
}

// A RowSink that puts a first column "direction" with `value` in front of
// each row; several results into one: the first begin() and the last end()
// only (finish() sends that end).
class DirectionColumn final : public RowSink {
 public:
  explicit DirectionColumn(RowSink& inner) : inner_(inner) {}
  void set(const char* value) { value_.text = value; }
  void begin(const std::vector<std::string>& columns) override {
    if (begun_) return;
    begun_ = true;
    std::vector<std::string> all{"direction"};
    all.insert(all.end(), columns.begin(), columns.end());
    inner_.begin(all);
  }
  bool row(const std::vector<Cell>& cells) override {
    if (stopped_) return false;
    cells_.assign(1, value_);
    cells_.insert(cells_.end(), cells.begin(), cells.end());
    stopped_ = !inner_.row(cells_);
    return !stopped_;
  }
  void end() override {}
  void finish() { inner_.end(); }

 private:
  RowSink& inner_;
  Cell value_{Cell::Type::kText, {}};
  std::vector<Cell> cells_;
  bool begun_ = false;
  bool stopped_ = false;
};

constexpr const char* kBothFailureColumns =
    "direction,failure_id,client_ip,client_name,failure_at,failure_reason,outcome";

int run_query_command(const QuerySpec& spec, const QueryOptions& q) {
  // failures: inbound (the default), outbound (failures_outbound.sql) or
  // both, inbound rows first; each list is in failure time order.
  if (std::string_view(spec.name) == "failures" && q.direction == "out") {
    QuerySpec out = spec;
    out.name = "failures_outbound";
    QueryOptions rest = q;
    rest.direction.clear();
    return run_query_command(out, rest);
  }
  const bool both = std::string_view(spec.name) == "failures" && q.direction == "both";
  auto store = open_database(q.db, DbUse::kQuery);
  Params params = {{"since_us", param(q.since)}, {"until_us", param(q.until)}};
  if (spec.needs_window || spec.on_incidents) {
    params.emplace_back("window_us", effective_window(*store, q.window) * kMicrosPerSecond);
  }
  params.emplace_back("match", q.match);
  params.emplace_back("per_host", std::int64_t{q.per_host ? 1 : 0});
  params.emplace_back("skew_us", q.skew_seconds * kMicrosPerSecond);
  params.emplace_back("outcome",
                      spec.outcome ? QueryParam{std::string(spec.outcome)} : QueryParam{});
  params.emplace_back("client_ip", param(q.client));
  const bool tls = std::string_view(spec.name) == "tls";
  params.emplace_back("direction",
                      tls && q.direction != "both" ? param(q.direction) : QueryParam{});
  // Streamed: each row is written as the query reaches it.
  write_output(q.output, [&](std::ostream& out) {
    if (!both) {
      auto writer = row_relay(listing_writer(spec, q, out));
      store->query_rows(spec.name, params, *writer);
      return;
    }
    QuerySpec tagged = spec;
    tagged.table_columns = kBothFailureColumns;
    auto writer = listing_writer(tagged, q, out);
    DirectionColumn rows(*writer);
    rows.set("in");
    store->query_rows("failures", params, rows);
    rows.set("out");
    store->query_rows("failures_outbound", params, rows);
    rows.finish();
  });
  return 0;
}

int run_whatif_command(const QueryOptions& q, const WhatifPolicy& policy) {
  auto store = open_database(q.db, DbUse::kQuery);
  const Params params = {
      {"since_us", param(q.since)}, {"until_us", param(q.until)}, {"client_ip", param(q.client)}};
  WhatifTally tally(policy);
  store->query_rows("whatif", params, *row_relay(tally, kRelayBatchesForBursts));
  write_output(q.output, [&](std::ostream& out) {
    auto writer = row_relay(
        listing_writer(QuerySpec{"whatif", false, false, nullptr, WhatifTally::kTableColumns,
                                 WhatifTally::kUtcTimeColumns},
                       q, out));
    tally.emit(*writer);
  });
  return 0;
}

int run_evidence_command(const QueryOptions& q, const EvidenceOptions& e) {
  auto store = open_database(q.db, DbUse::kQuery);
  // Before any query: a redaction without its key is refused at once.
  const std::string key = e.redact ? redaction_key(*store) : std::string();
  const std::int64_t window = effective_window(*store, q.window);
  Params params = {{"window_us", window * kMicrosPerSecond},
                   {"match", q.match},
                   {"per_host", std::int64_t{q.per_host ? 1 : 0}},
                   {"skew_us", q.skew_seconds * kMicrosPerSecond},
                   {"since_us", QueryParam{}},
                   {"until_us", QueryParam{}},
                   {"client_ip", QueryParam{}}};
  params.pop_back();
  // An inbound id is a number in the incidents' rows, an outbound one text.
  QueryParam id;
  if (!e.incident_id.empty()) {
    id = e.incident_id[0] == 'o' || e.incident_id[0] == 'p'
             ? QueryParam{e.incident_id}
             : QueryParam{std::int64_t{std::stoll(e.incident_id)}};
  }
  params.emplace_back("incident_id", id);
  params.emplace_back("client_ip", param(e.client));
  params.emplace_back("org", param(e.org));
  ResultSet incidents = store->query("incidents_selected", params);
  if (!e.incident_id.empty() && incidents.rows.empty()) {
    throw UsageError("no incident " + e.incident_id + " (with window " + std::to_string(window) +
                     "s, match " + q.match + ")");
  }
  ResultSet evidence = store->query("evidence", params);
  ReportOptions opt;
  opt.redact = e.redact;
  opt.pseudonym_key = key;
  if (e.redact) {
    // Every host of the store: a failed session may come from any of them.
    const ResultSet hosts = store->query("status_hosts", {{"now_us", std::int64_t{0}}});
    for (const auto& row : hosts.rows) opt.own_hosts.push_back(row[0].text);
  }
  opt.heading =
      "window " + std::to_string(window) + "s, match " + q.match + (e.redact ? ", redacted" : "");
  write_output(q.output,
               [&](std::ostream& out) { write_evidence_report(incidents, evidence, opt, out); });
  return 0;
}

int run_status_command(const std::string& db, int runs, OutputFormat format, bool check) {
  auto store = open_database(db, DbUse::kQuery);
  // Every page read (seconds on a year's database): only when asked; ingest
  // checks daily on its own.
  if (check) store->check_integrity();
  const Micros now = now_micros();
  const ResultSet hosts = store->query("status_hosts", {{"now_us", std::int64_t{now}}});
  const ResultSet inputs = store->query("status_inputs", {});
  const ResultSet damaged = store->query("status_damaged", {});
  const ResultSet recent = store->query("status_runs", {{"limit", std::int64_t{runs}}});
  const ResultSet warnings = recent_warnings(*store);
  const std::optional<std::string> tz = store->setting("tz");
  if (format == OutputFormat::kJson) {
    write_output("", [&](std::ostream& out) {
      out << "{\"now\": ";
      write_json_string(format_utc(now), out);
      const std::pair<const char*, const ResultSet*> parts[] = {{"hosts", &hosts},
                                                                {"inputs", &inputs},
                                                                {"damaged", &damaged},
                                                                {"runs", &recent},
                                                                {"warnings", &warnings}};
      for (const auto& [name, rs] : parts) {
        out << ",\n\"" << name << "\": ";
        write_result(*rs, OutputFormat::kJson, out);
      }
      out << ",\n\"zone\": ";
      if (tz)
        write_json_string(*tz, out);
      else
        out << "null";
      out << "}\n";
    });
    return 0;
  }
  if (format != OutputFormat::kTable) throw UsageError("status --format: table or json");
  write_output("", [&](std::ostream& out) {
    out << "Hosts (newest log line, lag behind now in seconds)\n";
    write_result(hosts, OutputFormat::kTable, out);
    out << "\nInputs\n";
    write_result(inputs, OutputFormat::kTable, out);
    if (!damaged.rows.empty()) {
      out << "\nDamaged inputs (skipped, none of their lines read, until they change)\n";
      write_result(damaged, OutputFormat::kTable, out);
    }
    out << "\nRuns (most recent first; dropped: what the bounds dropped)\n";
    write_result(recent, OutputFormat::kTable, out);
    if (!warnings.rows.empty()) {
      out << "\nWarnings given in the last day (each repeated at most daily)\n";
      write_result(warnings, OutputFormat::kTable, out);
    }
    if (tz) out << "\nZone (ingest --tz): " << strip_controls(*tz) << "\n";
  });
  return 0;
}

int run_metrics_command(const std::string& db, const std::string& path) {
  auto store = open_database(db, DbUse::kQuery);
  write_metrics(*store, path);
  return 0;
}

int run_report_command(const std::string& db, const TlsReportOptions& options) {
  auto store = open_database(db, DbUse::kQuery);
  write_output(std::string(), [&](std::ostream& out) { write_tls_report(*store, options, out); });
  return 0;
}

int run_copy_command(const std::string& from, const std::string& to) {
  if (is_database_url(from) || !file_exists(from))
    throw UsageError("copy --from: no SQLite file at " + strip_controls(from));
  if (!is_database_url(to))
    throw UsageError("copy --to: a postgresql:// URL, not " +
                     strip_controls(pg_location_label(to)));
  const std::uint64_t rows = copy_store(from, to);
  std::cerr << "pftls: copy: " << rows << " rows\n";
  return 0;
}

}  // namespace pftls
