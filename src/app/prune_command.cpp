// prune_command: the time kept before the cut-off (validate_prune gives
// it), one run of Store::prune, then VACUUM when asked.
#include "app/prune_command.h"

#include <algorithm>
#include <chrono>
#include <iostream>

#include "app/commands.h"
#include "base/log_time.h"
#include "correlate/correlator.h"
#include "report/output_file.h"

namespace pftls {

int run_prune_command(const PruneOptions& options) {
  const Micros now = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  auto store = open_database(options.db, DbUse::kChange, options.lock_wait_ms);
  // Kept before the cut-off: the failures and TLS sessions a query from it
  // on may look back to (the window), and the failed clients the next runs
  // still watch (CorrelatorLimits).
  const Micros back =
      effective_window(*store, options.window) * kMicrosPerSecond + CorrelatorLimits{}.watch_ip_for;
  const Micros before = std::min(options.keep_from, now) - back;
  store->begin_run();
  const PruneCounts removed = store->prune(before);
  store->commit_run();
  if (options.vacuum) store->vacuum();
  write_output("", [&](std::ostream& out) {
    out << "pftls: prune: cut-off " << format_utc(options.keep_from)
        << ", less the window and the watch: "
        << "removed from before " << format_utc(before) << " " << removed.messages << " messages, "
        << removed.outbound << " outbound fallbacks, " << removed.outbound_failures
        << " outbound failures, " << removed.sessions << " sessions with " << removed.evidence
        << " evidence lines" << (options.vacuum ? "; vacuumed" : "") << "\n";
  });
  return 0;
}

}  // namespace pftls
