// ingest: reads inputs through every stage into the store, as one transaction.
#include "ingest.h"

#include <chrono>

#include "correlator.h"
#include "line_source.h"
#include "pattern_set.h"
#include "result_writer.h"
#include "syslog_envelope.h"

namespace pftls {
namespace {

Micros now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint64_t count_incidents(SqliteStore& store, std::int64_t window_seconds) {
  ResultSet rs = store.query("incidents", {{"window_us", window_seconds * kMicrosPerSecond}});
  return rs.rows.size();
}

}  // namespace

std::int64_t effective_window(SqliteStore& store, std::optional<std::int64_t> override_seconds) {
  if (override_seconds) return *override_seconds;
  if (auto stored = store.setting("window_seconds")) {
    try {
      return std::stoll(*stored);
    } catch (const std::exception&) {
    }
  }
  return kDefaultWindowSeconds;
}

IngestSummary run_ingest(SqliteStore& store, const IngestOptions& options, std::ostream& diag) {
  IngestSummary sum;
  const PatternSet& patterns = PatternSet::builtin();
  LocalZone zone(options.zone);
  EnvelopeParser envelope(zone, options.year);
  Micros started = now_micros();

  store.begin_run();
  try {
    if (options.window_seconds) store.set_setting("window_seconds", std::to_string(*options.window_seconds));
    std::int64_t window = effective_window(store, std::nullopt);
    std::uint64_t before = count_incidents(store, window);
    std::uint64_t ord = 0;
    if (auto next = store.setting("next_ord")) ord = std::stoull(*next);

    Correlator correlator(store);
    correlator.restore(store.load_state());

    std::size_t reported_malformed = 0, reported_unrecognised = 0, reported_truncated = 0;
    std::string inputs;
    for (const auto& path : options.paths) {
      auto source = LineSource::open(path);
      if (!inputs.empty()) inputs += ' ';
      inputs += path;
      std::optional<std::int64_t> mtime;
      if (source->mtime()) {
        mtime = std::chrono::duration_cast<std::chrono::seconds>(
                    source->mtime()->time_since_epoch()).count();
      } else {
        mtime = now_micros() / kMicrosPerSecond;
      }
      envelope.begin_input(mtime);
      const std::string shown = strip_controls(source->name());
      Line line;
      Envelope env;
      Event ev;
      while (source->next(line)) {
        ++sum.lines;
        if (line.truncated && reported_truncated++ < options.max_reported) {
          diag << "pftls: warning: " << shown << ":" << line.number
               << ": line longer than 65536 bytes, truncated\n";
        }
        EnvelopeStatus st = envelope.parse(line.text, env);
        if (st == EnvelopeStatus::kOtherProgram) {
          ++sum.other_lines;
          continue;
        }
        if (st == EnvelopeStatus::kMalformed) {
          ++sum.malformed;
          if (reported_malformed++ < options.max_reported) {
            diag << "pftls: warning: " << shown << ":" << line.number
                 << ": not a syslog line, skipped\n";
          }
          continue;
        }
        ++sum.postfix_lines;
        ev.clear();
        if (!patterns.match(env.service, env.message, ev)) {
          ++sum.unrecognised;
          ++sum.unrecognised_by_service[strip_controls(env.service).substr(0, 64)];
          if (reported_unrecognised++ < options.max_reported) {
            diag << "pftls: warning: " << shown << ":" << line.number << ": unrecognised "
                 << strip_controls(env.syslog_name).substr(0, 64) << "/"
                 << strip_controls(env.service).substr(0, 64) << " line\n";
          }
          continue;
        }
        correlator.on_event(env, ev, ord++);
      }
      sum.truncated += source->truncated_lines();
    }
    if (reported_malformed > options.max_reported || reported_unrecognised > options.max_reported ||
        reported_truncated > options.max_reported) {
      diag << "pftls: warning: further bad lines not listed (see the counts below)\n";
    }

    CorrelatorState state = correlator.finish();
    store.save_state(state);
    store.set_setting("next_ord", std::to_string(ord));
    sum.sessions = correlator.counts().sessions;
    sum.failures = correlator.counts().failures;
    sum.messages = correlator.counts().messages;
    std::uint64_t after = count_incidents(store, window);
    sum.new_incidents = after >= before ? after - before : 0;

    RunRecord run;
    run.started_at = started;
    run.finished_at = now_micros();
    run.inputs = inputs;
    run.lines = sum.lines;
    run.postfix_lines = sum.postfix_lines;
    run.unrecognised = sum.unrecognised;
    run.malformed = sum.malformed;
    run.truncated = sum.truncated;
    run.sessions = sum.sessions;
    run.failures = sum.failures;
    run.messages = sum.messages;
    run.new_incidents = sum.new_incidents;
    store.record_run(run);
    store.commit_run();
  } catch (...) {
    store.rollback_run();
    throw;
  }
  return sum;
}

}  // namespace pftls
