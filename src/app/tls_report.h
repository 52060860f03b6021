// tls_report: `pftls report`, the daily TLS report for the postmaster's
// mailbox (in the spirit of pflogsumm, about TLS).
//
// Contract: read-only. For the period [since, until) and the previous period
// of the same length [since - (until - since), since) it shows, from named
// queries only (report_counts, report_regressions, failing_senders,
// incidents, failures): inbound sessions by TLS state, failures by reason,
// the top kTopSenders failing senders, the period's downgrade incidents
// (inbound and outbound), lost mail, outbound fallbacks by reason, the
// protocol and cipher mix, and the changes against the previous period
// (counts, senders that used TLS then and not now, new failing senders).
// Text: every line at most kReportWidth characters (tables narrowed and
// cells elided with "…" by table_writer, every log-born cell through
// strip_controls), lists cut at kListRows rows with a line saying how many
// more; times in the zone of --tz (default UTC). JSON: one object, every
// row, times UTC. Bounds of the data (session counts per UTC day, the mix
// over the whole database) are stated in the report itself.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>

#include "base/log_time.h"
#include "store/store.h"

namespace pftls {

struct TlsReportOptions {
  Micros since = 0;
  Micros until = 0;  // since < until
  bool json = false;
  std::string tz;  // IANA zone for text times; "": UTC
};

inline constexpr std::size_t kReportWidth = 80;
inline constexpr std::size_t kTopSenders = 10;
inline constexpr std::size_t kListRows = 20;

void write_tls_report(Store& store, const TlsReportOptions& options, std::ostream& out);

}  // namespace pftls
