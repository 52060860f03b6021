// ingest: reads inputs through every stage into the store, as one transaction.
#include "app/ingest.h"

#include <chrono>

#include "correlate/correlator.h"
#include "correlate/outbound_tracker.h"
#include "input/input_catalog.h"
#include "parse/journal_json.h"
#include "input/journal_reader.h"
#include "input/line_source.h"
#include "parse/pattern_set.h"
#include "report/result_writer.h"
#include "parse/syslog_envelope.h"

namespace pftls {
namespace {

Micros now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint64_t count_incidents(Store& store, std::int64_t window_seconds) {
  ResultSet rs = store.query("incidents", {{"window_us", window_seconds * kMicrosPerSecond}});
  return rs.rows.size();
}

// Captures only for lines the correlator or the outbound tracker reads
// (pattern_set.h, CaptureGate); set up with them, asked for the line in env.
class FieldGate final : public CaptureGate {
 public:
  FieldGate(std::optional<Correlator>& correlator, std::optional<OutboundTracker>& outbound,
            const Envelope& env)
      : CaptureGate(bit(EventKind::kIgnored) | bit(EventKind::kMessageId) | bit(EventKind::kSender) |
                    bit(EventKind::kRecipient) | bit(EventKind::kRemoved)),
        correlator_(correlator),
        outbound_(outbound),
        env_(env) {}
  bool wants(EventKind kind, std::string_view queue_id, std::string_view text) const override {
    return outbound_->wants_fields(env_, kind, text) || correlator_->wants_fields(env_, kind, queue_id);
  }

 private:
  static constexpr std::uint32_t bit(EventKind k) { return 1u << static_cast<unsigned>(k); }
  std::optional<Correlator>& correlator_;
  std::optional<OutboundTracker>& outbound_;
  const Envelope& env_;
};

}  // namespace

IngestSummary run_ingest(Store& store, const IngestOptions& options, std::ostream& diag) {
  IngestSummary sum;
  const PatternSet& patterns = PatternSet::builtin();
  LocalZone zone(options.zone);
  EnvelopeParser envelope(zone, options.year);
  JournalJsonParser journal;
  Micros started = now_micros();

  store.begin_run();
  try {
    if (options.window_seconds) store.set_setting("window_seconds", std::to_string(*options.window_seconds));
    std::int64_t window = effective_window(store, std::nullopt);
    InputCatalog catalog(store.load_inputs());
    std::vector<std::string> warnings;
    std::vector<PlannedInput> planned = catalog.plan(options.paths, warnings);
    for (const auto& w : warnings) diag << "pftls: warning: " << strip_controls(w) << "\n";

    // The correlator and the incident count are set up only when there is
    // something to read: a run with nothing new stays cheap.
    std::optional<Correlator> correlator;
    std::optional<OutboundTracker> outbound;
    std::uint64_t before = 0;
    std::uint64_t ord = 0;
    auto start_correlating = [&] {
      if (correlator) return;
      before = count_incidents(store, window);
      if (auto next = store.setting("next_ord")) ord = std::stoull(*next);
      CorrelatorLimits limits;
      limits.watch_group_for = window * kMicrosPerSecond;
      correlator.emplace(store, limits);
      correlator->restore(store.load_state(limits.watch_ip_for));
      outbound.emplace(store);
      outbound->restore(store.load_outbound_state());
    };

    std::size_t reported_malformed = 0, reported_unrecognised = 0, reported_truncated = 0;
    std::string inputs;
    Envelope env;
    FieldGate gate(correlator, outbound, env);
    Event ev;
    // One line through envelope, patterns and correlator; `number` is shown
    // in FILE:LINE messages and evidence.
    auto process = [&](const Line& line, const std::string& shown, std::uint32_t input_id,
                       std::uint64_t number, bool json,
                       JournalJsonParser& json_parser) {
      ++sum.lines;
      if (line.truncated && reported_truncated++ < options.max_reported) {
        diag << "pftls: warning: " << shown << ":" << number
             << ": line longer than 65536 bytes, truncated\n";
      }
      EnvelopeStatus st = json ? json_parser.parse(line.text, env) : envelope.parse(line.text, env);
      if (st == EnvelopeStatus::kOtherProgram) {
        ++sum.other_lines;
      } else if (st == EnvelopeStatus::kMalformed) {
        ++sum.malformed;
        if (reported_malformed++ < options.max_reported) {
          diag << "pftls: warning: " << shown << ":" << number
               << (json ? ": not a journal JSON entry, skipped\n" : ": not a syslog line, skipped\n");
        }
      } else {
        ++sum.postfix_lines;
        ev.clear();
        if (patterns.match(env.service, env.message, ev, &gate)) {
          outbound->on_event(env, ev, ord);
          correlator->on_event(env, ev, ord++, Correlator::RawLine{line.text, input_id, number});
        } else {
          ++sum.unrecognised;
          std::string service = strip_controls(env.service).substr(0, 64);
          if (sum.unrecognised_by_service.size() < 64 || sum.unrecognised_by_service.count(service)) {
            ++sum.unrecognised_by_service[service];
          }
          if (options.unrecognised_out) *options.unrecognised_out << line.text << '\n';
          if (reported_unrecognised++ < options.max_reported) {
            diag << "pftls: warning: " << shown << ":" << number << ": unrecognised "
                 << strip_controls(env.syslog_name).substr(0, 64) << "/"
                 << service << " line\n";
          }
        }
      }
    };
    const std::int64_t now_seconds = now_micros() / kMicrosPerSecond;
    for (auto& in : planned) {
      InputRecord* rec = in.record;
      if (in.path != "-" && !rec) continue;  // an empty file
      if (rec && rec->complete) continue;    // read to its end, and it no longer grows
      auto source = LineSource::open(in.path);
      const auto& id = source->identity();
      if (rec && id && InputCatalog::unchanged(in, id->size, id->mtime_seconds)) continue;
      start_correlating();
      if (!inputs.empty()) inputs += ' ';
      inputs += in.path;

      const bool final_file = in.path == "-" || in.rotated || source->compression() != Compression::kNone;
      std::optional<std::int64_t> mtime =
          id ? std::optional<std::int64_t>(id->mtime_seconds) : std::optional<std::int64_t>(now_seconds);
      envelope.begin_input(mtime);
      std::uint64_t line_base = 0;
      if (rec && rec->id != 0) {
        if (rec->year) envelope.years().resume(*rec->year, rec->last_month);
        source->skip(rec->offset);
        line_base = rec->lines;
      }
      // A live file's unterminated last line may still be being written.
      const bool may_hold_back = !final_file && id && now_seconds - id->mtime_seconds < kTornLineQuietSeconds;

      const std::string shown = strip_controls(source->name());
      const std::uint32_t input_id = correlator->input_id(shown);
      InputFormat format = options.format;  // kAuto: told by the first non-empty line
      Line line;
      std::uint64_t lines_here = 0;
      std::uint64_t held_back = 0;
      std::uint64_t before_line = source->offset();
      while (source->next(line)) {
        if (!line.terminated && may_hold_back) {
          held_back = line.text.size();
          break;
        }
        ++lines_here;
        if (format == InputFormat::kAuto && !line.text.empty()) format = detect_format(line.text);
        process(line, shown, input_id, line_base + line.number, format == InputFormat::kJournalJson,
                journal);
        before_line = source->offset();
      }
      sum.truncated += source->truncated_lines();
      if (!rec) continue;  // stdin: nothing to remember
      rec->offset = held_back ? before_line : source->offset();
      rec->lines = line_base + lines_here;
      rec->pending_bytes = held_back;
      rec->path = in.path;
      if (in.prefix.size() > rec->fingerprint.size()) rec->fingerprint = in.prefix;
      if (id) {
        rec->device = id->device;
        rec->inode = id->inode;
        rec->size = id->size;
        rec->mtime = id->mtime_seconds;
      }
      rec->complete = final_file && !held_back;
      rec->year = envelope.current_year();
      rec->last_month = envelope.years().last_month();
      rec->last_read_at = now_micros();
      store.save_input(*rec);
    }
    if (options.journal) {
      // The journal, after the files: entries after the cursor this source
      // reached last time, numbered on from the entries read before.
      const JournalSelection sel = canonical_selection(*options.journal);
      const std::string cursor_key = journal_cursor_key(sel);
      const std::string lines_key = journal_lines_key(sel);
      const std::string cursor = store.setting(cursor_key).value_or("");
      std::uint64_t line_base = 0;
      if (auto stored = store.setting(lines_key)) {
        try {
          line_base = std::stoull(*stored);
        } catch (const std::exception&) {
        }
      }
      const std::string name = journal_input_name(sel);
      if (!inputs.empty()) inputs += ' ';
      inputs += name;
      const std::string shown = strip_controls(name);
      JournalJsonParser journal_json;  // its own: last_cursor() is this source's
      JournalReader reader(sel, cursor, name);
      LineSource& source = reader.lines();
      Line line;
      std::uint64_t lines_here = 0;
      std::uint32_t input_id = UINT32_MAX;
      while (source.next(line)) {
        start_correlating();
        if (input_id == UINT32_MAX) input_id = correlator->input_id(shown);
        ++lines_here;
        process(line, shown, input_id, line_base + line.number, true, journal_json);
      }
      sum.truncated += source.truncated_lines();
      std::string warning = reader.finish();  // throws when journalctl failed
      if (!warning.empty()) diag << "pftls: warning: journalctl: " << warning << "\n";
      const std::string_view last = journal_json.last_cursor();
      if (!last.empty() && last != cursor) {
        store.set_setting(cursor_key, last);
        store.set_setting(lines_key, std::to_string(line_base + lines_here));
      }
    }
    if (reported_malformed > options.max_reported || reported_unrecognised > options.max_reported ||
        reported_truncated > options.max_reported) {
      diag << "pftls: warning: further bad lines not listed (see the counts below)\n";
    }

    if (correlator) {
      CorrelatorState state = correlator->finish();
      store.save_state(state);
      store.save_outbound_state(outbound->export_state());
      store.set_setting("next_ord", std::to_string(ord));
      sum.sessions = correlator->counts().sessions;
      sum.failures = correlator->counts().failures;
      sum.messages = correlator->counts().messages;
      std::uint64_t after = count_incidents(store, window);
      sum.new_incidents = after >= before ? after - before : 0;
    }

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
