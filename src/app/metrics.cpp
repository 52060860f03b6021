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

// One family per metric of metrics.sql, in this order: its host column
// becomes label `host_label`, its label column `label` (nullptr: unused).
struct Spec {
  const char* metric;
  const char* name;
  const char* help;
  bool counter;
  const char* host_label;
  const char* label;
};

constexpr Spec kSpecs[] = {
    {"sessions", "pftls_sessions_total", "Inbound smtpd sessions by host and TLS state", true,
     "host", "state"},
    {"failures", "pftls_failures_total", "Failed inbound STARTTLS handshakes by host and reason",
     true, "host", "reason"},
    {"outbound_fallbacks", "pftls_outbound_fallbacks_total",
     "Messages our smtp client sent in plaintext after a failed handshake, by host and reason",
     true, "host", "reason"},
    {"last_log_time", "pftls_last_log_time_seconds",
     "Time of the newest log line read per host (unix seconds)", false, "host", nullptr},
    {"runs", "pftls_runs_total", "Ingest runs stored", true, nullptr, nullptr},
    {"last_run_time", "pftls_last_run_time_seconds",
     "When the last stored ingest run finished (unix seconds; 0 for none)", false, nullptr,
     nullptr},
    {"lines_read", "pftls_lines_read_total", "Log lines read", true, nullptr, nullptr},
    {"postfix_lines", "pftls_postfix_lines_total", "Postfix log lines read", true, nullptr,
     nullptr},
    {"unrecognised_lines", "pftls_unrecognised_lines_total", "Postfix lines no pattern recognised",
     true, nullptr, nullptr},
    {"malformed_lines", "pftls_malformed_lines_total", "Malformed log lines", true, nullptr,
     nullptr},
    {"truncated_lines", "pftls_truncated_lines_total", "Over-long log lines cut", true, nullptr,
     nullptr},
    {"bounds_hit", "pftls_bounds_hit_total", "What a bound of the correlator or tracker dropped",
     true, nullptr, "bound"},
};

// The families of metrics.sql, appended to `out`.
void add_store_totals(Store& store, std::vector<MetricFamily>& out) {
  const std::size_t first = out.size();
  std::map<std::string, std::size_t> slot;
  for (const Spec& s : kSpecs) {
    std::vector<std::string> labels;
    if (s.host_label) labels.emplace_back(s.host_label);
    if (s.label) labels.emplace_back(s.label);
    slot[s.metric] = out.size() - first;
    out.push_back(family(s.name, s.help, s.counter, std::move(labels)));
  }
  const ResultSet rows = store.query("metrics", {});
  for (const auto& row : rows.rows) {
    if (row.size() < 4) continue;
    auto it = slot.find(row[0].text);
    if (it == slot.end()) continue;
    const Spec& s = kSpecs[it->second];
    MetricSample sample;
    if (s.host_label) sample.labels.push_back(row[1].text);
    if (s.label) sample.labels.push_back(row[2].text);
    sample.value = number(row[3]);
    out[first + it->second].samples.push_back(std::move(sample));
  }
}

// A family of `query`'s rows counted by the columns `by`.
MetricFamily counted(Store& store, const char* query, const QueryParams& params,
                     std::vector<std::string> by, MetricFamily f) {
  GroupCounter counter(std::move(by));
  store.query_rows(query, params, counter);
  f.samples = counter.samples();
  return f;
}

}  // namespace

std::vector<MetricFamily> gather_metrics(Store& store) {
  std::vector<MetricFamily> out;
  add_store_totals(store, out);
  const std::int64_t window_us = effective_window(store, std::nullopt) * kMicrosPerSecond;
  out.push_back(counted(store, "incidents",
                        {{"window_us", window_us},
                         {"match", std::string("ip")},
                         {"since_us", QueryParam{}},
                         {"until_us", QueryParam{}},
                         {"client_ip", QueryParam{}}},
                        {"mx_host", "kind"},
                        family("pftls_incidents_total",
                               "TLS downgrade incidents by host and kind (--match ip, the stored "
                               "window): the rows of export incidents",
                               true, {"host", "kind"})));
  out.push_back(counted(store, "failures",
                        {{"window_us", window_us},
                         {"outcome", std::string("no-delivery")},
                         {"client_ip", QueryParam{}}},
                        {"mx_host"},
                        family("pftls_lost_mail_total",
                               "Failed handshakes never followed by a delivery within the window "
                               "(outcome no-delivery), by host",
                               true, {"host"})));
  return out;
}

void write_metrics(Store& store, const std::string& path) {
  const std::vector<MetricFamily> families = gather_metrics(store);
  write_output(path == "-" ? std::string() : path,
               [&](std::ostream& out) { write_prometheus(families, out); });
}

}  // namespace pftls
