// drop_report: what the bounds dropped in a run, told to the operator.
//
// Contract: drops_of() collects the counts of the correlator and the
// outbound tracker into one DropCounts. warn_drops() writes one
// "pftls: warning: N WHAT by the bound of VALUE ..." line per bound that
// dropped anything, naming the bound and its value; drop_summary() is the
// tail of the run's summary line ("; dropped by bounds: N sessions, ..."),
// empty when nothing was dropped, so the summary of an ordinary run is
// unchanged.
#pragma once

#include <ostream>
#include <string>

#include "correlate/correlator.h"
#include "correlate/outbound_tracker.h"
#include "correlate/records.h"

namespace pftls {

DropCounts drops_of(const Correlator& correlator, const OutboundTracker& outbound);

void warn_drops(std::ostream& diag, const DropCounts& drops, const CorrelatorLimits& correlator,
                const OutboundLimits& outbound);

std::string drop_summary(const DropCounts& drops);

}  // namespace pftls
