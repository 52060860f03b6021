// metrics: named queries to metric families, written atomically.
#include "app/metrics.h"

#include <charconv>
#include <map>
#include <utility>

#include "report/output_file.h"

namespace pftls {
namespace {

std::int64_t number(const Cell& c) {
  std::int64_t v = 0;
  std::from_chars(c.text.data(), c.text.data() + c.text.size(), v);
  return v;
}

// Counts rows by the values of some columns (found by name), holding one
// row at a time.
class GroupCounter final : public RowSink {
 public:
  explicit GroupCounter(std::vector<std::string> by) : by_(std::move(by)) {}
  void begin(const std::vector<std::string>& columns) override {
    index_.assign(by_.size(), columns.size());
    for (std::size_t i = 0; i < by_.size(); ++i) {
      for (std::size_t c = 0; c < columns.size(); ++c) {
        if (columns[c] == by_[i]) index_[i] = c;
      }
    }
  }
  bool row(const std::vector<Cell>& cells) override {
    std::vector<std::string> key;
    key.reserve(index_.size());
    for (std::size_t i : index_) key.push_back(i < cells.size() ? cells[i].text : std::string());
    ++counts_[std::move(key)];
    return true;
  }
  void end() override {}
  std::vector<MetricSample> samples() const {
    std::vector<MetricSample> out;
    for (const auto& [key, n] : counts_) out.push_back({key, n});
    return out;
  }

 private:
  std::vector<std::string> by_;
  std::vector<std::size_t> index_;
  std::map<std::vector<std::string>, std::int64_t> counts_;
};

MetricFamily family(const char* name, const char* help, bool counter,
                    std::vector<std::string> labels) {
  MetricFamily f;
  f.name = name;
  f.help = help;
  f.counter = counter;
  f.label_names = std::move(labels);
  return f;
}

}  // namespace

std::vector<MetricFamily> gather_metrics(Store& store) {
  std::vector<MetricFamily> out;
  // One family per metric of metrics.sql, in this order; each row goes to
  // the family its metric column names.
  struct Spec {
    const char* metric;
    const char* name;
    const char* help;
    bool counter;
    std::vector<std::string> labels;  // from (host, label), in that order
    bool host, label;
  };
  const Spec specs[] = {
      {"sessions",
       "pftls_sessions_total",
       "Inbound smtpd sessions by TLS state",
       true,
       {"state"},
       false,
       true},
      {"failures",
       "pftls_failures_total",
       "Failed inbound STARTTLS handshakes by host and reason",
       true,
       {"host", "reason"},
       true,
       true},
      {"outbound_fallbacks",
       "pftls_outbound_fallbacks_total",
       "Messages our smtp client sent in plaintext after a failed handshake, by host and reason",
       true,
       {"host", "reason"},
       true,
       true},
      {"last_log_time",
       "pftls_last_log_time_seconds",
       "Time of the newest log line read per host (unix seconds)",
       false,
       {"host"},
       true,
       false},
      {"runs", "pftls_runs_total", "Ingest runs stored", true, {}, false, false},
      {"last_run_time",
       "pftls_last_run_time_seconds",
       "When the last stored ingest run finished (unix seconds; 0 for none)",
       false,
       {},
       false,
       false},
      {"lines_read", "pftls_lines_read_total", "Log lines read", true, {}, false, false},
      {"postfix_lines",
       "pftls_postfix_lines_total",
       "Postfix log lines read",
       true,
       {},
       false,
       false},
      {"unrecognised_lines",
       "pftls_unrecognised_lines_total",
       "Postfix lines no pattern recognised",
       true,
       {},
       false,
       false},
      {"malformed_lines",
       "pftls_malformed_lines_total",
       "Malformed log lines",
       true,
       {},
       false,
       false},
      {"truncated_lines",
       "pftls_truncated_lines_total",
       "Over-long log lines cut",
       true,
       {},
       false,
       false},
      {"bounds_hit",
       "pftls_bounds_hit_total",
       "What a bound of the correlator or tracker dropped",
       true,
       {"bound"},
       false,
       true},
  };
  std::map<std::string, std::size_t> slot;
  for (const Spec& s : specs) {
    slot[s.metric] = out.size();
    out.push_back(family(s.name, s.help, s.counter, s.labels));
  }
  const ResultSet rows = store.query("metrics", {});
  for (const auto& row : rows.rows) {
    if (row.size() < 4) continue;
    auto it = slot.find(row[0].text);
    if (it == slot.end()) continue;
    const Spec& s = specs[it->second];
    MetricSample sample;
    if (s.host) sample.labels.push_back(row[1].text);
    if (s.label) sample.labels.push_back(row[2].text);
    sample.value = number(row[3]);
    out[it->second].samples.push_back(std::move(sample));
  }
  const std::int64_t window_us = effective_window(store, std::nullopt) * kMicrosPerSecond;
  {
    GroupCounter incidents({"mx_host", "kind"});
    store.query_rows("incidents",
                     {{"window_us", window_us},
                      {"match", std::string("ip")},
                      {"since_us", QueryParam{}},
                      {"until_us", QueryParam{}},
                      {"client_ip", QueryParam{}}},
                     incidents);
    MetricFamily f = family("pftls_incidents_total",
                            "TLS downgrade incidents by host and kind (--match ip, the stored "
                            "window): the rows of export incidents",
                            true, {"host", "kind"});
    f.samples = incidents.samples();
    out.push_back(std::move(f));
  }
  {
    GroupCounter lost({"mx_host"});
    store.query_rows("failures",
                     {{"window_us", window_us},
                      {"outcome", std::string("no-delivery")},
                      {"client_ip", QueryParam{}}},
                     lost);
    MetricFamily f = family("pftls_lost_mail_total",
                            "Failed handshakes never followed by a delivery within the window "
                            "(outcome no-delivery), by host",
                            true, {"host"});
    f.samples = lost.samples();
    out.push_back(std::move(f));
  }
  return out;
}

void write_metrics(Store& store, const std::string& path) {
  const std::vector<MetricFamily> families = gather_metrics(store);
  write_output(path == "-" ? std::string() : path,
               [&](std::ostream& out) { write_prometheus(families, out); });
}

}  // namespace pftls
