// metrics: the database's totals in the Prometheus text format, for
// node_exporter's textfile collector (`pftls metrics`, `ingest --metrics`).
//
// Contract: read-only. The families and their meaning are listed in README
// "Monitoring": counters over the whole database (sessions by TLS state,
// failures by host and reason, incidents by host and kind, lost mail by
// host, outbound fallbacks by host and reason, lines read, unrecognised,
// malformed and truncated lines, runs, bounds hit by bound) and gauges
// (newest log time per host, last run time), from the named queries
// metrics, incidents (with the stored window, so the incidents counter is
// the row count of `export incidents`) and failures (outcome no-delivery).
// No client address or name is a label. Label values are bounded and
// escaped by write_prometheus() (report/prometheus_text.h). write_metrics()
// writes PATH whole or not at all (OutputFile: temporary in the same
// directory, then rename); "" or "-" is standard output.
#pragma once

#include <string>
#include <vector>

#include "report/prometheus_text.h"
#include "store/store.h"

namespace pftls {

std::vector<MetricFamily> gather_metrics(Store& store);
void write_metrics(Store& store, const std::string& path);

}  // namespace pftls
