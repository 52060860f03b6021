// options: raw command-line text to validated options, or a UsageError.
#include "app/options.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>

#include "base/text.h"
#include "input/input_format.h"

namespace pftls {
namespace {

std::optional<std::int64_t> window_arg(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::int64_t seconds;
  if (!parse_duration(text, seconds) || seconds <= 0) {
    throw UsageError("--window: '" + strip_controls(text) +
                     "' is not a duration (e.g. 90s, 30m, 24h, 5d)");
  }
  return seconds;
}

std::optional<Micros> time_arg(const char* name, const std::string& text) {
  if (text.empty()) return std::nullopt;
  Micros t;
  if (!parse_time_when(text, static_cast<std::int64_t>(std::time(nullptr)), t)) {
    throw UsageError(std::string(name) + ": '" + strip_controls(text) +
                     "' is not a time (RFC 3339, YYYY-MM-DD[THH:MM[:SS]] in UTC, a duration ago "
                     "such as 90s, 30m, 24h, 7d, 2w, or now, today, yesterday)");
  }
  return t;
}

// With --journal, stdin only when named ("-"): the files first, then the journal.
std::optional<JournalSelection> journal_arg(const IngestArgs& args) {
  const JournalSelection& sel = args.journal_selection;
  if (!args.journal && sel.units.empty() && sel.files.empty() && sel.directory.empty()) {
    return std::nullopt;
  }
  for (const auto& u : sel.units) {
    if (u.empty()) throw UsageError("--unit: a unit name, not ''");
  }
  for (const auto& f : sel.files) {
    if (f.empty()) throw UsageError("--journal-file: a file name, not ''");
  }
  return sel;
}

// --on-incident CMD: split at spaces and tabs, nothing else (no shell: no
// quotes, no variables, no globs).
std::vector<std::string> command_arg(const std::string& text) {
  std::vector<std::string> argv;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = text.find_first_not_of(" \t", i);
    if (start == std::string::npos) break;
    const std::size_t end = std::min(text.find_first_of(" \t", start), text.size());
    argv.push_back(text.substr(start, end - start));
    i = end;
  }
  if (!text.empty() && argv.empty()) throw UsageError("--on-incident: a command, not blanks");
  if (argv.size() > 64) throw UsageError("--on-incident: at most 64 words");
  return argv;
}

// "a,b,c" -> {a, b, c}; "" -> {}.
std::vector<std::string> columns_arg(const std::string& text) {
  std::vector<std::string> names;
  if (text.empty()) return names;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string name = text.substr(start, comma - start);
    if (name.empty())
      throw UsageError("--columns: column names separated by commas, not '" + strip_controls(text) +
                       "'");
    names.push_back(name);
    if (comma == text.size()) break;
    start = comma + 1;
  }
  if (names.size() > 64) throw UsageError("--columns: at most 64 names");
  return names;
}

}  // namespace

std::string default_db() {
  const char* env = std::getenv("PFTLS_DB");
  return env && *env ? env : "pftls.db";
}

IngestCommandOptions validate_ingest(const std::string& db, const IngestArgs& args) {
  IngestCommandOptions out;
  out.db = db;
  // CLI11's range check lets NaN through (every comparison with it is false).
  if (!std::isfinite(args.lock_wait) || args.lock_wait < 0 || args.lock_wait > 3600) {
    throw UsageError("--lock-wait: seconds from 0 to 3600");
  }
  out.lock_wait_ms = static_cast<int>(args.lock_wait * 1000);
  if (!std::isfinite(args.journal_timeout) || args.journal_timeout < 0.1 ||
      args.journal_timeout > 86400) {
    throw UsageError("--journal-timeout: seconds from 0.1 to 86400");
  }
  out.ingest.journal_timeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(args.journal_timeout * 1000));
  out.unrecognised_path = args.unrecognised;
  if (args.metrics == "-") throw UsageError("--metrics: a file (pftls metrics writes to stdout)");
  out.metrics_path = args.metrics;
  if (args.quiet && args.verbose) throw UsageError("--quiet and --verbose exclude each other");
  if (args.quiet || args.verbose) out.verbose = args.verbose;
  out.on_incident = command_arg(args.on_incident);
  IngestOptions& opt = out.ingest;
  if (!input_format_from_name(args.format, opt.format)) {
    throw UsageError("--format: auto, syslog, journal, compose, timestamps, cri or docker-json");
  }
  opt.journal = journal_arg(args);
  opt.paths = args.paths.empty() && !opt.journal ? std::vector<std::string>{"-"} : args.paths;
  if (args.year != 0) {
    if (args.year < 1970 || args.year > 9999) throw UsageError("--year: out of range");
    opt.year = args.year;
  }
  opt.window_seconds = window_arg(args.window);
  // An unknown zone is a usage error before anything is opened; a known one
  // in another case ("utc", "europe/berlin") is taken by its proper name.
  const LocalZone check(args.tz);
  opt.zone = args.tz.empty() ? args.tz : check.name();
  return out;
}

PruneOptions validate_prune(const std::string& db, const PruneArgs& args) {
  if (args.before.empty() == args.keep.empty()) {
    throw UsageError("prune: give --before TIME or --keep DURATION (e.g. --keep 400d)");
  }
  PruneOptions out;
  out.db = db;
  if (auto t = time_arg("--before", args.before)) out.keep_from = *t;
  if (!args.keep.empty()) {
    std::int64_t seconds = 0;
    if (!parse_duration(args.keep, seconds) || seconds <= 0) {
      throw UsageError("--keep: '" + strip_controls(args.keep) +
                       "' is not a duration (e.g. 90d, 400d, 52w)");
    }
    out.keep_from = (static_cast<std::int64_t>(std::time(nullptr)) - seconds) * kMicrosPerSecond;
  }
  out.window = window_arg(args.window);
  out.vacuum = args.vacuum;
  out.lock_wait_ms = static_cast<int>(args.lock_wait * 1000);
  return out;
}

QueryOptions validate_query(const std::string& db, const QueryArgs& args,
                            std::optional<OutputFormat> fixed) {
  QueryOptions out;
  out.db = db;
  if (fixed) {
    out.format = *fixed;
  } else if (!output_format_from_name(args.format, out.format)) {
    throw UsageError("--format: '" + strip_controls(args.format) +
                     "' is not one of table, csv, json, ndjson");
  }
  out.window = window_arg(args.window);
  out.since = time_arg("--since", args.since);
  out.until = time_arg("--until", args.until);
  out.client = args.client;
  out.match = args.match;
  out.per_host = args.per_host;
  std::int64_t skew = 0;
  if (!parse_duration(args.skew, skew) || skew < 0 || skew > 300) {
    throw UsageError("--skew: '" + strip_controls(args.skew) +
                     "' is not a duration from 0s to 300s (e.g. 5s, 2m)");
  }
  out.skew_seconds = skew;
  out.output = args.output;
  out.columns = columns_arg(args.columns);
  out.wide = args.wide;
  if (out.wide && !out.columns.empty()) throw UsageError("--wide and --columns exclude each other");
  if (!args.direction.empty() && args.direction != "in" && args.direction != "out" &&
      args.direction != "both") {
    throw UsageError("--direction: '" + strip_controls(args.direction) +
                     "' is not one of in, out, both");
  }
  out.direction = args.direction;
  return out;
}

EvidenceOptions validate_evidence(const EvidenceArgs& args, bool exporting) {
  if (exporting && args.client.empty() && args.org.empty()) {
    throw UsageError("export evidence: give --client IP or --org DOMAIN");
  }
  // N (an inbound incident), pN (an inbound one whose plaintext message is a
  // cross-host mark) or oN (an outbound one), N a positive integer.
  const std::string& id = args.incident_id;
  const bool prefixed =
      !id.empty() && (id[0] == 'o' || id[0] == 'O' || id[0] == 'p' || id[0] == 'P');
  const std::size_t digits = prefixed ? 1 : 0;
  if (!id.empty()) {
    const bool ok = id.size() > digits && id.size() - digits <= 18 && id[digits] != '0' &&
                    std::all_of(id.begin() + static_cast<std::ptrdiff_t>(digits), id.end(),
                                [](char c) { return c >= '0' && c <= '9'; });
    if (!ok) {
      throw UsageError("incident id " + strip_controls(id) +
                       ": N, pN or oN (outbound), N a positive number, as 'pftls incidents' "
                       "lists");
    }
  }
  std::string normal = id;
  if (digits) normal[0] = static_cast<char>(id[0] == 'O' ? 'o' : id[0] == 'P' ? 'p' : id[0]);
  return EvidenceOptions{normal, args.client, args.org, args.redact};
}

TlsReportOptions validate_report(const ReportArgs& args, std::int64_t now) {
  TlsReportOptions out;
  const auto when = [now](const char* name, const std::string& text) {
    Micros t;
    if (!parse_time_when(text, now, t)) {
      throw UsageError(std::string(name) + ": '" + strip_controls(text) +
                       "' is not a time (RFC 3339, YYYY-MM-DD[THH:MM[:SS]] in UTC, a duration "
                       "ago such as 24h, 7d, 2w, or now, today, yesterday)");
    }
    return t;
  };
  out.until = args.until.empty() ? now * kMicrosPerSecond : when("--until", args.until);
  out.since = when("--since", args.since);
  if (out.since >= out.until) throw UsageError("report: --since must be before --until");
  if (args.format != "text" && args.format != "json")
    throw UsageError("report --format: text or json");
  out.json = args.format == "json";
  // An unknown zone fails here (TimeError names it), before the database opens.
  if (!args.tz.empty()) out.tz = LocalZone(args.tz).name();
  return out;
}

}  // namespace pftls
