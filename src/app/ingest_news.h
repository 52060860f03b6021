// ingest_news: what an ingest run tells after its commit: the new
// incidents as a short table on stdout, and to the --on-incident command.
//
// Contract: tell_new_incidents() reads the incidents whose rows the run
// stored (summary.new_rows: the id range, so the cost follows the run's
// rows and a later run's rows are never included), streamed: as a table
// (report/incident_brief.h, at most kBriefRows rows) to `out`, then, when
// `command` is not empty, as JSON lines (the fields of `incidents --format
// json`) on the command's stdin (incident_hook.h, bounded by
// kHookLimit). Nothing happens without new incidents. The command's failure
// is one warning line on `diag`; it never changes the exit code. An output
// that cannot be written throws std::runtime_error (exit 2; the run is
// committed by then).
#pragma once

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "app/ingest.h"
#include "store/store.h"

namespace pftls {

inline constexpr std::size_t kBriefRows = 50;
inline constexpr std::chrono::milliseconds kHookLimit{60'000};

void tell_new_incidents(Store& store, const IngestSummary& summary,
                        const std::vector<std::string>& command, std::ostream& out,
                        std::ostream& diag);

}  // namespace pftls
