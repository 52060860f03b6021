// drop_report: the drop counts as warnings and as the summary's tail.
#include "app/drop_report.h"

#include <array>
#include <cstdint>
#include <string_view>

namespace pftls {
namespace {

std::string seconds(Micros us) { return std::to_string(us / kMicrosPerSecond) + " s"; }

// One bound: what it dropped, its word in the summary line, and its
// warning: "N <warning> <bound>".
struct DropLine {
  std::uint64_t count;
  std::string_view summary;
  std::string_view warning;
  std::string bound;
};

std::array<DropLine, 8> drop_lines(const DropCounts& d, const CorrelatorLimits& c,
                                   const OutboundLimits& o) {
  using std::to_string;
  return {{
      {d.evicted_sessions, "sessions", "sessions closed by the bound of",
       to_string(c.max_open_sessions) + " open sessions"},
      {d.evicted_messages, "messages", "followed messages forgotten by the bound of",
       to_string(c.max_tracked_messages) + " followed messages"},
      {d.evidence_dropped, "evidence lines", "evidence lines not kept by the bound of",
       to_string(c.evidence_total_bytes) + " bytes of evidence in open sessions"},
      {d.watch_full, "watches", "clients not watched by the bound of",
       to_string(c.max_watched) + " watched clients"},
      {d.clients_flushed, "client counts", "client counts written early by the bound of",
       to_string(c.max_client_stats) + " clients counted in memory"},
      {d.outbound_evicted_failures, "outbound failures",
       "outbound handshake failures forgotten by the bounds of",
       to_string(o.max_failures) + " waiting processes and " + seconds(o.failure_age)},
      {d.outbound_evicted_messages, "outbound messages",
       "outbound messages forgotten by the bounds of",
       to_string(o.max_messages) + " messages and " + seconds(o.message_age)},
      {d.outbound_dropped, "outbound events", "outbound events not tracked by the bounds of",
       to_string(o.max_relays_per_message) + " relays per message and " + to_string(o.max_names) +
           " names"},
  }};
}

}  // namespace

DropCounts drops_of(const Correlator& correlator, const OutboundTracker& outbound) {
  DropCounts d;
  correlator.add_drops(d);
  outbound.add_drops(d);
  return d;
}

void warn_drops(std::ostream& diag, const DropCounts& drops, const CorrelatorLimits& correlator,
                const OutboundLimits& outbound) {
  for (const auto& line : drop_lines(drops, correlator, outbound)) {
    if (line.count == 0) continue;
    diag << "pftls: warning: " << line.count << " " << line.warning << " " << line.bound << "\n";
  }
}

std::string drop_summary(const DropCounts& drops) {
  std::string out;
  if (drops.total() == 0) return out;
  for (const auto& line : drop_lines(drops, CorrelatorLimits{}, OutboundLimits{})) {
    if (line.count == 0) continue;
    out += out.empty() ? "; dropped by bounds: " : ", ";
    out += std::to_string(line.count);
    out += ' ';
    out += line.summary;
  }
  return out;
}

}  // namespace pftls
