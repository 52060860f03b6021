// prune_command: the cut-off from --before or --keep, the time kept before
// it, one run of Store::prune, then VACUUM when asked.
#include "app/prune_command.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <iostream>

#include "app/options.h"
#include "base/log_time.h"
#include "base/text.h"
#include "correlate/correlator.h"
#include "report/output_file.h"
#include "store/open_store.h"

namespace pftls {

int run_prune_command(const std::string& db, const PruneArgs& args) {
  if (args.before.empty() == args.keep.empty()) {
    throw UsageError("prune: give --before TIME or --keep DURATION (e.g. --keep 400d)");
  }
  const Micros now = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  Micros keep_from = 0;
  if (!args.before.empty() && !parse_time_arg(args.before, keep_from)) {
    throw UsageError("--before: '" + strip_controls(args.before) +
                     "' is not a time (RFC 3339, or YYYY-MM-DD[THH:MM[:SS]] in UTC)");
  }
  if (!args.keep.empty()) {
    std::int64_t seconds = 0;
    if (!parse_duration(args.keep, seconds) || seconds <= 0) {
      throw UsageError("--keep: '" + strip_controls(args.keep) +
                       "' is not a duration (e.g. 90d, 400d, 52w)");
    }
    keep_from = now - seconds * kMicrosPerSecond;
  }
  std::optional<std::int64_t> window;
  if (!args.window.empty()) {
    std::int64_t seconds = 0;
    if (!parse_duration(args.window, seconds) || seconds <= 0) {
      throw UsageError("--window: '" + strip_controls(args.window) +
                       "' is not a duration (e.g. 90s, 30m, 24h, 5d)");
    }
    window = seconds;
  }
  struct stat st {};
  if (!is_database_url(db) && ::stat(db.c_str(), &st) != 0) {
    throw StoreError(StoreError::Kind::kFailed,
                     "no database at " + db + " (run 'pftls ingest' first)");
  }
  auto store = open_store(db, Store::Mode::kReadWrite, static_cast<int>(args.lock_wait * 1000));
  // Kept before the cut-off: the failures and TLS sessions a query from it
  // on may look back to (the window), and the failed clients the next runs
  // still watch (CorrelatorLimits).
  const Micros back =
      effective_window(*store, window) * kMicrosPerSecond + CorrelatorLimits{}.watch_ip_for;
  const Micros before = std::min(keep_from, now) - back;
  store->begin_run();
  const PruneCounts removed = store->prune(before);
  store->commit_run();
  if (args.vacuum) store->vacuum();
  write_output("", [&](std::ostream& out) {
    out << "pftls: prune: cut-off " << format_utc(keep_from) << ", less the window and the watch: "
        << "removed from before " << format_utc(before) << " " << removed.messages << " messages, "
        << removed.outbound << " outbound fallbacks, " << removed.sessions << " sessions with "
        << removed.evidence << " evidence lines" << (args.vacuum ? "; vacuumed" : "") << "\n";
  });
  return 0;
}

}  // namespace pftls
