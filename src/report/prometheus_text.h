// prometheus_text: metric families in the Prometheus text exposition format
// (version 0.0.4), as node_exporter's textfile collector reads them.
//
// Contract: each family is written once, as "# HELP", "# TYPE" and its
// samples, in the order given; samples sorted by their label values. Label
// values are hostile log text (host names, reasons): each passes
// strip_controls() (valid UTF-8, no controls), is cut to kMaxLabelBytes
// bytes (at a UTF-8 boundary), becomes "unknown" when empty, and is then
// escaped as the format asks (backslash, double quote, newline). Values
// that become equal after this are one series (counters summed, gauges the
// largest). Bounds: per label of a family at most `max_values` distinct
// values are kept, those with the largest totals (for a gauge: the
// smallest values, the oldest times; ties by name); the rest are folded
// into the value "other" (summed, or the largest for a gauge),
// and how many were folded is written as the gauge
// pftls_metrics_folded_label_values{metric="NAME",label="LABEL"}, one
// series per family label that folded any. Names and label names are the
// caller's constants, never log text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace pftls {

inline constexpr std::size_t kMaxLabelBytes = 128;
inline constexpr std::size_t kMaxLabelValues = 50;

struct MetricSample {
  std::vector<std::string> labels;  // raw values, one per MetricFamily::label_names
  std::int64_t value = 0;
};

struct MetricFamily {
  std::string name;  // [a-z_]+, counters end in _total
  std::string help;
  bool counter = true;  // false: gauge
  std::vector<std::string> label_names;
  std::vector<MetricSample> samples;
};

// A label value as it is written between the quotes (see the contract).
std::string prometheus_label_value(std::string_view raw);

void write_prometheus(const std::vector<MetricFamily>& families, std::ostream& out,
                      std::size_t max_values = kMaxLabelValues);

}  // namespace pftls
