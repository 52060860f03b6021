// prune_command: `pftls prune`, retention for a store that grows with every
// run.
//
// Contract: deletes, in one run (one transaction: all or nothing; another
// run waits or gets exit 75 as for ingest), what no query about times from
// the cut-off on needs (Store::prune), and prints one line of what it
// removed. Kept before the cut-off: failed and TLS sessions for the window
// and the time a failed client stays watched (7 days), so that incidents,
// outcomes and the next runs' watches from the cut-off on stay exactly as
// they were; the per-client counts (clients, never-tls, failing), the
// inputs read and the runs are never pruned. --vacuum then gives the space
// back.
#pragma once

#include "app/options.h"

namespace pftls {

int run_prune_command(const PruneOptions& options);

}  // namespace pftls
