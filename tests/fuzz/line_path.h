// line_path: what ingest does with a framed line after the envelope, in
// memory: the built-in patterns (behind the capture gate ingest uses), the
// outbound tracker and the correlator, into checking in-memory sinks.
//
// Contract: feed() takes an Envelope of a Postfix line and the raw line;
// finish() closes the run and hands the open state to a fresh correlator
// and tracker, as the next cron run would. Checked on every line: the gate
// never changes what a line means (a line that matches without the gate
// matches with it, of the same kind and queue id; one that matches no
// pattern is recognised only if the gate declined it). Checked in the sinks: a record saved with an
// id is one the sink gave out, and evidence goes to a saved session. The bounds are small, so that
// short inputs reach the eviction paths. Test code only.
#pragma once

#include <cstdint>
#include <string_view>

#include "../unit/memory_sinks.h"
#include "correlate/correlator.h"
#include "correlate/outbound_tracker.h"
#include "fuzz_check.h"
#include "parse/pattern_set.h"

namespace pftls::fuzz {

struct CheckingEventSink : test_support::MemoryEventSink {
  std::string_view line;  // the line being fed, for failure messages
  void save_session(SessionRecord& s) override {
    FUZZ_CHECK(s.id == 0 || sessions.count(s.id) == 1, line);
    MemoryEventSink::save_session(s);
  }
  void save_message(MessageRecord& m) override {
    FUZZ_CHECK(m.id == 0 || messages.count(m.id) == 1, line);
    MemoryEventSink::save_message(m);
  }
  void save_evidence(std::int64_t id, const EvidenceLine* lines, std::size_t n) override {
    FUZZ_CHECK(sessions.count(id) == 1, line);
    MemoryEventSink::save_evidence(id, lines, n);
  }
};

struct CheckingOutboundSink : test_support::MemoryOutboundSink {
  std::string_view line;
  void save_outbound(OutboundRecord& r) override {
    FUZZ_CHECK(r.id == 0 || rows.count(r.id) == 1, line);
    MemoryOutboundSink::save_outbound(r);
  }
  void save_outbound_evidence(std::int64_t id, const std::vector<OutboundLine>& lines) override {
    FUZZ_CHECK(rows.count(id) == 1, line);
    MemoryOutboundSink::save_outbound_evidence(id, lines);
  }
};

inline CorrelatorLimits small_correlator_limits() {
  CorrelatorLimits l;
  l.evidence_lines = 6;
  l.evidence_bytes = 200;
  l.evidence_total_bytes = 2000;
  l.max_open_sessions = 8;
  l.max_tracked_messages = 8;
  l.max_watched = 8;
  l.max_client_stats = 4;
  return l;
}

inline OutboundLimits small_outbound_limits() {
  OutboundLimits l;
  l.max_failures = 4;
  l.max_messages = 6;
  l.max_relays_per_message = 3;
  l.max_recipients = 4;
  l.max_names = 8;
  return l;
}

class LinePath {
 public:
  LinePath()
      : patterns_(PatternSet::builtin()),
        correlator_(sink_, small_correlator_limits()),
        outbound_(outbound_sink_, small_outbound_limits()),
        gate_(correlator_, outbound_, env_),
        input_(correlator_.input_id("fuzz")) {}

  void feed(const Envelope& env, std::string_view raw, std::uint64_t number) {
    sink_.line = outbound_sink_.line = raw;
    env_ = env;
    ev_.clear();
    const bool matched = patterns_.match(env_.service, env_.message, ev_, &gate_);
    full_.clear();
    if (patterns_.match(env_.service, env_.message, full_)) {
      FUZZ_CHECK(matched, raw);
      FUZZ_CHECK(full_.kind == ev_.kind, raw);
      FUZZ_CHECK(full_.get(Field::kQueueId) == ev_.get(Field::kQueueId), raw);
    } else {
      // A declined line is recognised by its prefix alone (pattern_set.h),
      // also when its whole text would match no pattern.
      FUZZ_CHECK(!matched || !ev_.captured, raw);
    }
    if (!matched) return;
    outbound_.on_event(env_, ev_, ord_);
    correlator_.on_event(env_, ev_, ord_++, Correlator::RawLine{raw, input_, number});
  }

  void finish() {
    sink_.line = outbound_sink_.line = "(finish)";
    CorrelatorState state = correlator_.finish();
    OutboundState pending = outbound_.export_state();
    test_support::MemoryEventSink next_sink;
    test_support::MemoryOutboundSink next_outbound_sink;
    Correlator next(next_sink, small_correlator_limits());
    next.restore(std::move(state));
    OutboundTracker next_outbound(next_outbound_sink, small_outbound_limits());
    next_outbound.restore(std::move(pending));
    next.finish();
  }

 private:
  // As app/ingest.cpp's gate: fields only for lines one of the two reads.
  class Gate final : public CaptureGate {
   public:
    Gate(Correlator& c, OutboundTracker& o, const Envelope& env)
        : CaptureGate(bit(EventKind::kIgnored) | bit(EventKind::kMessageId) |
                      bit(EventKind::kSender) | bit(EventKind::kRecipient) |
                      bit(EventKind::kRemoved)),
          correlator_(c),
          outbound_(o),
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

  const PatternSet& patterns_;
  CheckingEventSink sink_;
  CheckingOutboundSink outbound_sink_;
  Correlator correlator_;
  OutboundTracker outbound_;
  Envelope env_;
  Event ev_;
  Event full_;
  Gate gate_;
  std::uint32_t input_;
  std::uint64_t ord_ = 0;
};

// Calls f(line, number) for each '\n'-terminated line of `data` and for a
// last line without '\n' (as LineSource cuts them; inputs are short).
template <typename F>
void for_each_line(std::string_view data, F&& f) {
  std::uint64_t number = 0;
  while (!data.empty()) {
    const std::size_t nl = data.find('\n');
    const std::string_view line = data.substr(0, nl);
    f(line, ++number);
    if (nl == std::string_view::npos) break;
    data.remove_prefix(nl + 1);
  }
}

}  // namespace pftls::fuzz
