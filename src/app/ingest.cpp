// ingest: reads inputs through every stage into the store, as one transaction.
//
// IngestRun holds one run: read_file() and read_journal() feed each line to
// process() (envelope -> patterns -> outbound tracker and correlator), and
// finish() stores the correlation state and the run record. The correlator
// is set up only when there is something to read, so a run with nothing new
// stays cheap.
#include "app/ingest.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <memory>
#include <string>

#include "app/bad_line_reporter.h"
#include "app/drop_report.h"
#include "app/pseudonym_key.h"
#include "app/warning_memory.h"
#include "base/text.h"
#include "correlate/correlator.h"
#include "correlate/outbound_tracker.h"
#include "input/input_catalog.h"
#include "input/journal_reader.h"
#include "input/line_source.h"
#include "parse/container_frame.h"
#include "parse/journal_json.h"
#include "parse/pattern_set.h"
#include "parse/postfix_program.h"
#include "parse/syslog_envelope.h"
#include "store/stored_number.h"

namespace pftls {
namespace {

Micros now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The largest message and outbound ids stored so far: the rows after them
// are those this run stores.
struct LatestIds {
  std::int64_t messages = 0;
  std::int64_t outbound = 0;
  std::int64_t marks = 0;
};

LatestIds latest_ids(Store& store) {
  ResultSet rs = store.query("latest_ids", {});
  LatestIds ids;
  if (!rs.rows.empty() && rs.rows[0].size() == 3) {
    ids.messages = std::stoll("0" + rs.rows[0][0].text);
    ids.outbound = std::stoll("0" + rs.rows[0][1].text);
    ids.marks = std::stoll("0" + rs.rows[0][2].text);
  }
  return ids;
}

// The incidents whose plaintext message (or outbound fallback) this run
// stored: a rowid range, so the cost follows the run's own rows, not the
// database's size.
std::uint64_t count_new_incidents(Store& store, std::int64_t window_seconds,
                                  const LatestIds& before) {
  RowCounter counter;  // counted as they stream: a flood of new incidents holds no rows
  store.query_rows("incidents",
                   {{"window_us", window_seconds * kMicrosPerSecond},
                    {"after_message_id", before.messages},
                    {"after_mark_id", before.marks},
                    {"after_outbound_id", before.outbound}},
                   counter);
  return counter.rows();
}

// Captures only for lines the correlator or the outbound tracker reads
// (pattern_set.h, CaptureGate); asked for the line in `env`. It lives with
// the two it asks (Engines), so it never sees them missing.
class FieldGate final : public CaptureGate {
 public:
  FieldGate(Correlator& correlator, OutboundTracker& outbound, const Envelope& env)
      : CaptureGate(bit(EventKind::kIgnored) | bit(EventKind::kMessageId) |
                    bit(EventKind::kSender) | bit(EventKind::kRecipient) |
                    bit(EventKind::kRemoved)),
        correlator_(correlator),
        outbound_(outbound),
        env_(env) {}
  bool wants(EventKind kind, std::string_view queue_id, std::string_view text) const override {
    return outbound_.wants_fields(env_, kind, text) ||
           correlator_.wants_fields(env_, kind, queue_id);
  }

 private:
  static constexpr std::uint32_t bit(EventKind k) { return 1u << static_cast<unsigned>(k); }
  Correlator& correlator_;
  OutboundTracker& outbound_;
  const Envelope& env_;
};

// The correlator, the outbound tracker and the gate that asks them, set up
// together with the state the previous run left, and their bounds.
struct Engines {
  Engines(Store& store, const CorrelatorLimits& correlator_limits, const Envelope& env)
      : limits(correlator_limits),
        correlator(store, limits),
        outbound(store, outbound_limits),
        gate(correlator, outbound, env) {
    correlator.restore(
        store.load_state(correlator_limits.watch_ip_for, correlator_limits.max_watched));
    outbound.restore(store.load_outbound_state());
  }
  const CorrelatorLimits limits;
  const OutboundLimits outbound_limits;
  Correlator correlator;
  OutboundTracker outbound;
  FieldGate gate;
};

// A damaged input in the settings: "damaged_input:PATH", what was wrong
// (shown by `status`, PATH where it was found); and "damaged_file:DEVICE
// INODE", "SIZE MTIME_NS PATH": while a file of that device and inode has
// that size and mtime (also renamed by a rotation), runs skip it unread.
struct FileStat {
  std::string key;   // "damaged_file:DEVICE INODE"; "" when stat failed
  std::string seen;  // "SIZE MTIME_NS"
};

FileStat file_stat(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  const auto mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
                        static_cast<std::int64_t>(st.st_mtim.tv_nsec);
  return {"damaged_file:" + std::to_string(st.st_dev) + " " + std::to_string(st.st_ino),
          std::to_string(st.st_size) + " " + std::to_string(mtime_ns)};
}

std::string damage_key(std::string_view path) { return "damaged_input:" + std::string(path); }

// Why a compressed file does not decode to its end, or "" when it does:
// decoded once and dropped before any of its lines is read, so a damaged
// file adds nothing to the run (a gzip member's checksum is only checked at
// its end: the lines before a damage may be garbage).
std::string damage_of(const std::string& path) {
  try {
    auto check = LineSource::open(path);
    if (check->compression() == Compression::kNone) return {};
    check->skip(std::numeric_limits<std::uint64_t>::max());
  } catch (const DamagedInputError& e) {
    return e.what();
  }
  return {};
}

// Where a line came from, for FILE:LINE and evidence.
struct InputRef {
  const std::string& shown;  // the name, control characters stripped
  std::uint32_t id;          // Correlator::input_id(shown)
  std::uint64_t line_base;   // lines of this input read by earlier runs
  JournalJsonParser* json;   // the parser of a journal JSON input; null for syslog
  ContainerFrame* frame;     // the frame around a container log's lines; null for none
};

// The frame of a container log form; none for syslog and journal JSON.
std::unique_ptr<ContainerFrame> frame_for(InputFormat format) {
  switch (format) {
    case InputFormat::kCompose:
      return std::make_unique<ContainerFrame>(FrameKind::kCompose);
    case InputFormat::kTimestamped:
      return std::make_unique<ContainerFrame>(FrameKind::kTimestamped);
    case InputFormat::kCri:
      return std::make_unique<ContainerFrame>(FrameKind::kCri);
    case InputFormat::kDockerJson:
      return std::make_unique<ContainerFrame>(FrameKind::kDockerJson);
    default:
      return nullptr;
  }
}

class IngestRun {
 public:
  IngestRun(Store& store, const IngestOptions& options, std::ostream& diag, WarningMemory& memory);

  std::vector<PlannedInput>& planned() { return planned_; }
  // Reads one planned input on from where the previous run stopped, and
  // records how far it got. A damaged compressed file is skipped, whole,
  // and recorded (see damage_of()); skipped unread while it is unchanged.
  void read_file(PlannedInput& in);
  void read_stdin();
  // Reads the journal on from the cursor the previous run stored.
  void read_journal(const JournalSelection& selection);
  // Stores the correlation state and the run record; the summary.
  IngestSummary finish();

 private:
  // False when the input was found damaged (reported and recorded).
  bool read_input(PlannedInput& in, const FileStat& st = {});
  void note_damage(const std::string& path, const std::string& why, const FileStat& st);
  void start_correlating();
  void note_input(std::string_view name);
  // Inlined into both read loops: a call per line costs more than its body's
  // share (paired runs, tests/bench/RESULTS.md).
  [[gnu::always_inline]] inline void process(const Line& line, const InputRef& input);
  // The envelope of a syslog line inside its container frame (input.frame);
  // false for a part of a split line.
  bool frame_and_parse(const Line& line, const InputRef& input, std::string_view& text,
                       EnvelopeStatus& st);
  // Sets the parsers up for the input's form.
  void use_format(InputFormat format, InputRef& input);
  void unrecognised(std::string_view text, const InputRef& input, std::uint64_t number);
  // The stream for a bad-line warning, or null: over the limit of its kind,
  // or (news only) a kind already warned in the last day.
  std::ostream* warn(BadLineReporter::Kind kind, std::string_view memory_kind,
                     const InputRef& input, std::uint64_t number);
  void remember(InputRecord& rec, const PlannedInput& in, const LineSource& source,
                std::uint64_t lines, std::uint64_t held_back, std::uint64_t before_line);

  Store& store_;
  const IngestOptions& options_;
  std::ostream& diag_;
  WarningMemory& memory_;
  const PatternSet& patterns_ = PatternSet::builtin();
  const Micros started_ = now_micros();
  const std::int64_t now_seconds_ = started_ / kMicrosPerSecond;
  LocalZone zone_;
  EnvelopeParser envelope_;
  JournalJsonParser journal_json_;         // for files in the journal's JSON form
  std::unique_ptr<ContainerFrame> frame_;  // the current input's, if it has one
  std::int64_t window_ = 0;
  InputCatalog catalog_;
  std::vector<PlannedInput> planned_;
  BadLineReporter bad_;
  IngestSummary sum_;
  std::string inputs_;  // the names read, for the run record

  Envelope env_;
  Event ev_;
  std::optional<Engines> engines_;
  LatestIds ids_before_;
  std::uint64_t ord_ = 0;
};

IngestRun::IngestRun(Store& store, const IngestOptions& options, std::ostream& diag,
                     WarningMemory& memory)
    : store_(store),
      options_(options),
      diag_(diag),
      memory_(memory),
      zone_(options.zone),
      envelope_(zone_, options.year),
      catalog_(store.load_inputs()),
      bad_(diag, options.max_reported) {
  if (options_.window_seconds) {
    store_.set_setting("window_seconds", std::to_string(*options_.window_seconds));
  }
  ensure_pseudonym_key(store_);
  window_ = effective_window(store_, std::nullopt);
  std::vector<std::string> warnings;
  planned_ = catalog_.plan(options_.paths, warnings);
  for (const auto& w : warnings) diag_ << "pftls: warning: " << strip_controls(w) << "\n";
}

void IngestRun::start_correlating() {
  if (engines_) return;
  ids_before_ = latest_ids(store_);
  ord_ = stored_number<std::uint64_t>(store_, "next_ord").value_or(0);
  CorrelatorLimits limits;
  limits.watch_group_for = window_ * kMicrosPerSecond;
  engines_.emplace(store_, limits, env_);
}

void IngestRun::note_input(std::string_view name) {
  if (!inputs_.empty()) inputs_ += ' ';
  inputs_ += name;
}

// One line through envelope, patterns, outbound tracker and correlator.
inline void IngestRun::process(const Line& line, const InputRef& input) {
  ++sum_.lines;
  const std::uint64_t number = input.line_base + line.number;
  if (line.truncated) {
    if (auto* out = warn(BadLineReporter::kTruncated, "truncated lines", input, number)) {
      *out << "line longer than " << kMaxLineBytes << " bytes, truncated\n";
    }
  }
  std::string_view text = line.text;
  EnvelopeStatus st = EnvelopeStatus::kOtherProgram;
  if (input.json) {
    st = input.json->parse(line.text, env_);
  } else if (!input.frame) {
    st = envelope_.parse(line.text, env_);  // plain syslog: the common case, kept inline
  } else if (!frame_and_parse(line, input, text, st)) {
    return;  // a part of a longer line: read with its last part
  }
  if (st == EnvelopeStatus::kOtherProgram) {
    ++sum_.other_lines;
  } else if (st == EnvelopeStatus::kMalformed) {
    ++sum_.malformed;
    if (auto* out = warn(BadLineReporter::kMalformed, "malformed lines", input, number)) {
      if (input.json) {
        *out << "not a journal JSON entry, skipped\n";
      } else if (text.data() == nullptr) {
        *out << "not a Docker json-file entry, skipped\n";
      } else if (names_postfix_program(text)) {
        *out << "a Postfix line in a form pftls cannot take apart, skipped\n";
      } else {
        *out << "not a syslog line, skipped\n";
      }
    }
  } else {
    ++sum_.postfix_lines;
    ev_.clear();
    Engines& e = *engines_;
    if (patterns_.match(env_.service, env_.message, ev_, &e.gate)) {
      if (ev_.captured && !settle_client_address(ev_)) {
        ++sum_.malformed;
        if (auto* out = warn(BadLineReporter::kMalformed, "malformed lines", input, number)) {
          *out << "client address not an IP address, skipped\n";
        }
        return;
      }
      e.outbound.on_event(env_, ev_, ord_, OutboundTracker::RawLine{text, input.shown, number});
      e.correlator.on_event(env_, ev_, ord_++, Correlator::RawLine{text, input.id, number});
    } else {
      unrecognised(text, input, number);
    }
  }
}

bool IngestRun::frame_and_parse(const Line& line, const InputRef& input, std::string_view& text,
                                EnvelopeStatus& st) {
  FramedLine framed;
  switch (input.frame->unwrap(line.text, framed)) {
    case ContainerFrame::kPartial:
      return false;
    case ContainerFrame::kBad:
      text = std::string_view();  // no line inside
      st = EnvelopeStatus::kMalformed;
      return true;
    case ContainerFrame::kNotFramed:
      envelope_.set_frame(std::nullopt, {});
      break;
    case ContainerFrame::kLine:
      text = framed.text;
      envelope_.set_frame(framed.time, framed.service);
      break;
  }
  st = envelope_.parse(text, env_);
  // A container's output holds other programs' own lines (entry scripts,
  // supervisors): not syslog, not damage, unless they name Postfix.
  if (st == EnvelopeStatus::kMalformed && !names_postfix_program(text)) {
    st = EnvelopeStatus::kOtherProgram;
  }
  return true;
}

void IngestRun::use_format(InputFormat format, InputRef& input) {
  input.json = format == InputFormat::kJournalJson ? &journal_json_ : nullptr;
  frame_ = frame_for(format);
  input.frame = frame_.get();
  envelope_.set_frame(std::nullopt, {});
}

void IngestRun::unrecognised(std::string_view text, const InputRef& input, std::uint64_t number) {
  ++sum_.unrecognised;
  std::string service = strip_controls(env_.service).substr(0, 64);
  auto& by_service = sum_.unrecognised_by_service;
  if (by_service.size() < 64 || by_service.count(service)) ++by_service[service];
  if (options_.unrecognised_out) *options_.unrecognised_out << text << '\n';
  const std::string kind =
      "unrecognised " + strip_controls(env_.syslog_name).substr(0, 64) + "/" + service + " line";
  if (auto* out = warn(BadLineReporter::kUnrecognised, kind, input, number)) *out << kind << "\n";
}

std::ostream* IngestRun::warn(BadLineReporter::Kind kind, std::string_view memory_kind,
                              const InputRef& input, std::uint64_t number) {
  if (options_.news_only && !memory_.fresh(memory_kind)) return nullptr;
  return bad_.warn(kind, input.shown, number);
}

void IngestRun::read_file(PlannedInput& in) {
  if (in.path == "-") {
    read_stdin();
    return;
  }
  const FileStat now = file_stat(in.path);
  const std::string known = now.key.empty() ? "" : store_.setting(now.key).value_or("");
  // Damaged, and unchanged since: "SIZE MTIME_NS PATH".
  if (!known.empty() && known.compare(0, now.seen.size() + 1, now.seen + " ") == 0) return;
  if (!in.damage.empty()) {
    note_damage(in.path, in.damage, now);
    return;
  }
  if (!read_input(in, now)) return;
  if (!known.empty()) {  // it changed and is whole now
    store_.set_setting(now.key, "");
    const auto space = known.find(' ', known.find(' ') + 1);
    if (space != std::string::npos) store_.set_setting(damage_key(known.substr(space + 1)), "");
  }
}

void IngestRun::note_damage(const std::string& path, const std::string& why, const FileStat& st) {
  diag_ << "pftls: " << strip_controls(why)
        << ": damaged input skipped, none of its lines read (read again once it changes)\n";
  store_.set_setting(damage_key(path), why);
  if (!st.key.empty()) store_.set_setting(st.key, st.seen + " " + path);
  ++sum_.damaged_inputs;
}

bool IngestRun::read_input(PlannedInput& in, const FileStat& st) {
  InputRecord* rec = in.record;
  if (in.path != "-" && !rec) return true;  // an empty file
  if (rec && rec->complete) return true;    // read to its end, and it no longer grows
  auto source = LineSource::open(in.path);
  const auto& id = source->identity();
  if (rec && id && InputCatalog::unchanged(in, id->size, id->mtime_seconds)) return true;
  if (in.path != "-" && source->compression() != Compression::kNone) {
    const std::string damage = damage_of(in.path);
    if (!damage.empty()) {
      note_damage(in.path, damage, st);
      return false;
    }
  }
  start_correlating();
  note_input(in.path);

  const bool final_file =
      in.path == "-" || in.rotated || source->compression() != Compression::kNone;
  envelope_.begin_input(id ? id->mtime_seconds : now_seconds_);
  std::uint64_t line_base = 0;
  if (rec && rec->id != 0) {
    if (rec->year) envelope_.years().resume(*rec->year, rec->last_month);
    source->skip(rec->offset);
    line_base = rec->lines;
  }
  // A live file's unterminated last line may still be being written.
  const bool may_hold_back =
      !final_file && id && now_seconds_ - id->mtime_seconds < kTornLineQuietSeconds;

  const std::string shown = strip_controls(source->name());
  InputFormat format = options_.format;  // kAuto: told by the first non-empty line
  InputRef input{shown, engines_->correlator.input_id(shown), line_base, nullptr, nullptr};
  use_format(format == InputFormat::kAuto ? InputFormat::kSyslog : format, input);
  const std::uint64_t postfix_before = sum_.postfix_lines;
  Line line;
  std::uint64_t lines_here = 0;
  std::uint64_t held_back = 0;
  std::uint64_t before_line = source->offset();
  std::uint64_t join_offset = 0, join_lines = 0;  // where a split line began
  while (source->next(line)) {
    if (!line.terminated && may_hold_back) {
      held_back = line.text.size();
      break;
    }
    ++lines_here;
    if (format == InputFormat::kAuto && !line.text.empty()) {
      format = detect_format(line.text);
      use_format(format, input);
    }
    const bool was_joining = frame_ && frame_->joining();
    process(line, input);
    if (frame_ && frame_->joining() && !was_joining) {
      join_offset = before_line;
      join_lines = lines_here - 1;
    }
    before_line = source->offset();
  }
  // The parts of a split line whose last part is not written yet are read
  // again by the next run, with it (as a torn last line is).
  if (frame_ && frame_->joining() && !final_file) {
    held_back = std::max<std::uint64_t>(held_back, 1);
    before_line = join_offset;
    lines_here = join_lines;
  }
  sum_.truncated += source->truncated_lines();
  // Said once, on the read that starts at the input's first line.
  if (line_base == 0 && lines_here > 0 && sum_.postfix_lines == postfix_before) {
    diag_ << "pftls: warning: no Postfix lines in " << shown
          << ": not a mail log, or a form pftls does not know\n";
  }
  if (!rec) return true;  // stdin: nothing to remember
  rec->complete = final_file && !held_back;
  remember(*rec, in, *source, line_base + lines_here, held_back, before_line);
  return true;
}

// Stdin is known by its first decoded bytes, as a file: the lines up to
// kFingerprintBytes are held (at most that and one line) until its record
// is found; the bytes that record says were read before are skipped, the
// rest is read, and the record keeps how far the stream went.
void IngestRun::read_stdin() {
  auto source = LineSource::open("-");
  start_correlating();
  note_input("-");
  struct Held {
    std::string text;
    Line line;
    std::uint64_t end;  // source offset after it
  };
  std::vector<Held> held;
  std::string prefix;
  Line line;
  bool ended = false;
  while (prefix.size() < kFingerprintBytes) {
    if (!source->next(line)) {
      ended = true;
      break;
    }
    held.push_back({std::string(line.text), line, source->offset()});
    prefix.append(line.text.substr(0, kFingerprintBytes - prefix.size()));
    if (line.terminated && prefix.size() < kFingerprintBytes) prefix += '\n';
  }
  if (held.empty()) return;  // nothing on stdin
  InputRecord& rec = *catalog_.stdin_record(prefix, ended);
  const std::uint64_t done = rec.offset;  // read by earlier runs
  envelope_.begin_input(now_seconds_);
  if (done > 0 && rec.year) envelope_.years().resume(*rec.year, rec.last_month);

  const std::string shown = strip_controls(source->name());
  InputFormat format = options_.format;
  InputRef input{shown, engines_->correlator.input_id(shown), 0, nullptr, nullptr};
  use_format(format == InputFormat::kAuto ? InputFormat::kSyslog : format, input);
  const std::uint64_t postfix_before = sum_.postfix_lines;
  std::uint64_t lines = 0;
  auto feed = [&](const Line& l, std::uint64_t end) {
    ++lines;
    if (format == InputFormat::kAuto && !l.text.empty()) {
      format = detect_format(l.text);
      use_format(format, input);
    }
    if (end > done) process(l, input);  // its line number is the stream's own
  };
  for (Held& h : held) {
    h.line.text = h.text;
    feed(h.line, h.end);
  }
  held.clear();
  if (!ended) {
    while (source->next(line)) feed(line, source->offset());
  }
  sum_.truncated += source->truncated_lines();
  if (done == 0 && sum_.postfix_lines == postfix_before) {
    diag_ << "pftls: warning: no Postfix lines in " << shown
          << ": not a mail log, or a form pftls does not know\n";
  }
  if (source->offset() <= done) return;  // nothing new: the record stays as it was
  rec.offset = source->offset();
  rec.lines = lines;
  if (prefix.size() > rec.fingerprint.size()) rec.fingerprint = prefix;
  rec.year = envelope_.current_year();
  rec.last_month = envelope_.years().last_month();
  rec.last_read_at = now_micros();
  store_.save_input(rec);
}

// How far a file was read, for the next run to go on from there.
void IngestRun::remember(InputRecord& rec, const PlannedInput& in, const LineSource& source,
                         std::uint64_t lines, std::uint64_t held_back, std::uint64_t before_line) {
  rec.offset = held_back ? before_line : source.offset();
  rec.lines = lines;
  rec.pending_bytes = held_back;
  rec.path = in.path;
  if (in.prefix.size() > rec.fingerprint.size()) rec.fingerprint = in.prefix;
  if (const auto& id = source.identity()) {
    rec.device = id->device;
    rec.inode = id->inode;
    rec.size = id->size;
    rec.mtime = id->mtime_seconds;
  }
  rec.year = envelope_.current_year();
  rec.last_month = envelope_.years().last_month();
  rec.last_read_at = now_micros();
  store_.save_input(rec);
}

// The journal, after the files: entries after the cursor this source
// reached last time, numbered on from the entries read before.
void IngestRun::read_journal(const JournalSelection& selection) {
  const JournalSelection sel = canonical_selection(selection);
  const std::string cursor_key = journal_cursor_key(sel);
  const std::string lines_key = journal_lines_key(sel);
  const std::string cursor = store_.setting(cursor_key).value_or("");
  const std::uint64_t line_base = stored_number<std::uint64_t>(store_, lines_key).value_or(0);
  const std::string name = journal_input_name(sel);
  note_input(name);
  const std::string shown = strip_controls(name);
  JournalJsonParser journal_json;  // its own: last_cursor() is this source's
  JournalReader reader(sel, cursor, name, options_.journal_timeout);
  LineSource& source = reader.lines();
  InputRef input{shown, 0, line_base, &journal_json, nullptr};
  Line line;
  std::uint64_t lines_here = 0;
  while (source.next(line)) {
    if (!line.terminated && reader.timed_out()) break;  // cut by the kill: finish() says so
    if (lines_here == 0) {
      start_correlating();
      input.id = engines_->correlator.input_id(shown);
    }
    ++lines_here;
    process(line, input);
  }
  sum_.truncated += source.truncated_lines();
  std::string warning = reader.finish();  // throws when journalctl failed
  if (!warning.empty()) diag_ << "pftls: warning: journalctl: " << warning << "\n";
  const std::string_view last = journal_json.last_cursor();
  if (!last.empty() && last != cursor) {
    store_.set_setting(cursor_key, last);
    store_.set_setting(lines_key, std::to_string(line_base + lines_here));
  }
}

IngestSummary IngestRun::finish() {
  bad_.finish();
  if (engines_) {
    Correlator& correlator = engines_->correlator;
    store_.save_state(correlator.finish());
    store_.settle_marks(window_ * kMicrosPerSecond, correlator.hosts());
    store_.save_outbound_state(engines_->outbound.export_state());
    store_.set_setting("next_ord", std::to_string(ord_));
    sum_.sessions = correlator.counts().sessions;
    sum_.failures = correlator.counts().failures;
    sum_.messages = correlator.counts().messages;
    sum_.drops = drops_of(correlator, engines_->outbound);
    warn_drops(diag_, sum_.drops, engines_->limits, engines_->outbound_limits);
    sum_.new_incidents = count_new_incidents(store_, window_, ids_before_);
    const LatestIds after = latest_ids(store_);
    sum_.new_rows = {ids_before_.messages, after.messages,    ids_before_.outbound,
                     after.outbound,       ids_before_.marks, after.marks};
  }
  RunRecord run;
  run.started_at = started_;
  run.finished_at = now_micros();
  run.inputs = inputs_;
  run.lines = sum_.lines;
  run.postfix_lines = sum_.postfix_lines;
  run.unrecognised = sum_.unrecognised;
  run.malformed = sum_.malformed;
  run.truncated = sum_.truncated;
  run.sessions = sum_.sessions;
  run.failures = sum_.failures;
  run.messages = sum_.messages;
  run.new_incidents = sum_.new_incidents;
  run.drops = sum_.drops;
  store_.record_run(run);
  return sum_;
}

}  // namespace

namespace {

// The zone of this run: the one given, stored for later runs; else the
// stored one; else "" (the system zone).
std::string run_zone(Store& store, const std::string& given, WarningMemory& memory,
                     const IngestOptions& options, std::ostream& diag) {
  const std::optional<std::string> stored = store.setting("tz");
  if (!given.empty()) {
    if (stored && !stored->empty() && *stored != given) {
      diag << "pftls: warning: --tz " << strip_controls(given)
           << " replaces the zone stored with the database (" << strip_controls(*stored) << ")\n";
    }
    if (stored != given) store.set_setting("tz", given);
    return given;
  }
  if (!stored || stored->empty()) return "";
  if (!options.news_only || memory.fresh("zone")) {
    diag << "pftls: warning: no --tz: using the zone stored with the database, "
         << strip_controls(*stored) << "\n";
  }
  return *stored;
}

}  // namespace

IngestSummary run_ingest(Store& store, const IngestOptions& options, std::ostream& diag) {
  store.begin_run();
  try {
    WarningMemory memory(store, now_micros() / kMicrosPerSecond);
    IngestOptions opt = options;
    opt.zone = run_zone(store, options.zone, memory, options, diag);
    IngestRun run(store, opt, diag, memory);
    for (auto& in : run.planned()) run.read_file(in);
    if (opt.journal) run.read_journal(*opt.journal);
    IngestSummary sum = run.finish();
    memory.save(store);
    if (opt.before_commit) opt.before_commit();
    store.commit_run();
    return sum;
  } catch (...) {
    store.rollback_run();
    throw;
  }
}

}  // namespace pftls
