// tls_report: named queries to the sections of `pftls report`.
#include "app/tls_report.h"

#include <charconv>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "base/text.h"
#include "report/result_writer.h"

namespace pftls {
namespace {

Cell text_cell(std::string s) { return Cell{Cell::Type::kText, std::move(s)}; }
Cell int_cell(std::int64_t n) { return Cell{Cell::Type::kInteger, std::to_string(n)}; }

std::int64_t number(const Cell& c) {
  std::int64_t v = 0;
  std::from_chars(c.text.data(), c.text.data() + c.text.size(), v);
  return v;
}

// The index of column `name` in `rs` (columns.size(): none).
std::size_t column(const ResultSet& rs, std::string_view name) {
  for (std::size_t i = 0; i < rs.columns.size(); ++i) {
    if (rs.columns[i] == name) return i;
  }
  return rs.columns.size();
}

const std::string& at(const ResultSet& rs, const std::vector<Cell>& row, std::string_view name) {
  static const std::string kEmpty;
  const std::size_t i = column(rs, name);
  return i < row.size() ? row[i].text : kEmpty;
}

// now - before: "+3", "-2", "0" in text; a number in JSON.
Cell signed_change(std::int64_t now, std::int64_t before, bool json) {
  const std::int64_t d = now - before;
  if (json) return int_cell(d);
  return text_cell(d > 0 ? "+" + std::to_string(d) : std::to_string(d));
}

// part of total in percent, one decimal: "28.6%" in text, 28.6 in JSON;
// "-" (null) when the total is 0.
Cell share(std::int64_t part, std::int64_t total, bool json) {
  if (total <= 0) return json ? Cell{} : text_cell("-");
  char buf[32];
  std::snprintf(buf, sizeof buf, json ? "%.1f" : "%.1f%%",
                100.0 * static_cast<double>(part) / static_cast<double>(total));
  return Cell{json ? Cell::Type::kReal : Cell::Type::kText, buf};
}

// A section: a title, its rows, and what the text shows after them.
struct Section {
  Section(std::string k, std::string t, ResultSet r = {}, std::size_t n = 0, std::string nt = {})
      : key(std::move(k)),
        title(std::move(t)),
        rows(std::move(r)),
        text_rows(n),
        note(std::move(nt)) {}
  std::string key;    // the JSON member
  std::string title;  // the text heading
  ResultSet rows;
  std::size_t text_rows = 0;  // 0: all
  std::string note;           // a line after the table in text; "" none
};

class Report {
 public:
  Report(Store& store, const TlsReportOptions& o)
      : store_(store),
        o_(o),
        prev_since_(o.since - (o.until - o.since)),
        zone_(o.tz.empty() ? std::string("UTC") : o.tz) {}

  void write(std::ostream& out) {
    build();
    if (o_.json)
      write_json(out);
    else
      write_text(out);
  }

 private:
  QueryParams period(Micros since, Micros until) const {
    return {{"since_us", since}, {"until_us", until}, {"prev_since_us", prev_since_}};
  }

  // A time as the text shows it: in the --tz zone, to the second.
  std::string local(Micros t) const {
    const std::int64_t s = zone_.to_local(t / kMicrosPerSecond);
    std::string u = format_utc(s * kMicrosPerSecond);  // YYYY-MM-DDTHH:MM:SSZ
    if (u.size() == 20) {
      u[10] = ' ';
      u.pop_back();
    }
    return u;
  }
  // An RFC 3339 cell of a query, for the text: in the zone.
  std::string local_text(const std::string& rfc3339) const {
    Micros t = 0;
    if (rfc3339.empty() || !parse_time_when(rfc3339, 0, t)) return rfc3339;
    return local(t);
  }

  void build() {
    const ResultSet counts = store_.query("report_counts", period(o_.since, o_.until));
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> states;
    ResultSet reasons, fallbacks, protocols, ciphers;
    reasons.columns = {"reason", "failures", "previous", "change"};
    fallbacks.columns = {"reason", "fallbacks", "previous", "change"};
    protocols.columns = {"direction", "protocol", "sessions", "share"};
    ciphers.columns = {"direction", "cipher", "sessions", "share"};
    std::map<std::string, std::int64_t> mix_total;  // "protocol in" -> sessions
    for (const auto& r : counts.rows) {
      if (at(counts, r, "section") == "protocol" || at(counts, r, "section") == "cipher")
        mix_total[at(counts, r, "section") + " " + at(counts, r, "direction")] +=
            number(r[column(counts, "period_count")]);
    }
    for (const auto& r : counts.rows) {
      const std::string& section = at(counts, r, "section");
      const std::string& dir = at(counts, r, "direction");
      std::string label = at(counts, r, "label");
      const std::int64_t now = number(r[column(counts, "period_count")]);
      const std::int64_t before = number(r[column(counts, "previous_count")]);
      if (section == "sessions") {
        states[label] = {now, before};
      } else if (section == "failures" || section == "fallbacks") {
        if (label.empty()) label = "unknown";
        ResultSet& t = section == "failures" ? reasons : fallbacks;
        t.rows.push_back({text_cell(label), int_cell(now), int_cell(before),
                          signed_change(now, before, o_.json)});
        (section == "failures" ? failures_ : fallbacks_) += now;
        (section == "failures" ? prev_failures_ : prev_fallbacks_) += before;
      } else if (section == "protocol" || section == "cipher") {
        if (label.empty()) label = "(not logged)";
        ResultSet& t = section == "protocol" ? protocols : ciphers;
        t.rows.push_back({text_cell(dir), text_cell(label), int_cell(now),
                          share(now, mix_total[section + " " + dir], o_.json)});
      }
    }
    add_sessions(states);
    add(Section{"failures_by_reason", "Failed inbound STARTTLS sessions by reason",
                std::move(reasons)});
    add_failing_senders();
    add_incidents();
    add_lost_mail();
    add(Section{"outbound_fallbacks", "Outbound fallbacks to plaintext by reason",
                std::move(fallbacks)});
    add(Section{"protocol_mix", "Protocol mix (every stored TLS session, not per period)",
                std::move(protocols)});
    add(Section{"cipher_mix", "Cipher mix (every stored TLS session, not per period)",
                std::move(ciphers), kTopSenders});
    add_changes();
    add_regressions();
  }

  void add(Section s) { sections_.push_back(std::move(s)); }

  void add_sessions(const std::map<std::string, std::pair<std::int64_t, std::int64_t>>& states) {
    ResultSet t;
    t.columns = {"state", "sessions", "share", "previous", "change"};
    std::int64_t total = 0, prev_total = 0;
    for (const auto& [state, n] : states) {
      total += n.first;
      prev_total += n.second;
    }
    for (const char* state : {"tls", "plaintext", "failed", "other"}) {
      const auto it = states.find(state);
      const auto n = it == states.end() ? std::pair<std::int64_t, std::int64_t>{} : it->second;
      t.rows.push_back({text_cell(state), int_cell(n.first), share(n.first, total, o_.json),
                        int_cell(n.second), signed_change(n.first, n.second, o_.json)});
      changes_.push_back({std::string("sessions ") + state, n.first, n.second});
    }
    t.rows.push_back({text_cell("total"), int_cell(total), share(total, total, o_.json),
                      int_cell(prev_total), signed_change(total, prev_total, o_.json)});
    changes_.insert(changes_.begin(), {"sessions", total, prev_total});
    add(Section{"sessions", "Inbound sessions by TLS state", std::move(t), 0,
                "Sessions are counted per UTC day: a day counts in the period that holds its "
                "noon. other: no TLS and no message."});
  }

  ResultSet failing(Micros since, Micros until) {
    return store_.query("failing_senders", {{"since_us", since}, {"until_us", until}});
  }

  void add_failing_senders() {
    const ResultSet now = failing(o_.since, o_.until);
    const ResultSet before = failing(prev_since_, o_.since);
    std::set<std::string> before_ips;
    for (const auto& r : before.rows) before_ips.insert(at(before, r, "client_ip"));
    ResultSet top, fresh;
    top.columns = {"client_ip", "client_name", "failures", "last_reason", "new"};
    fresh.columns = {"client_ip", "client_name", "failures", "last_reason"};
    for (const auto& r : now.rows) {
      const std::string& ip = at(now, r, "client_ip");
      const bool is_new = before_ips.count(ip) == 0;
      std::vector<Cell> row = {text_cell(ip), text_cell(at(now, r, "client_name")),
                               int_cell(number(r[column(now, "failed_sessions")])),
                               text_cell(at(now, r, "last_reason"))};
      if (is_new) fresh.rows.push_back(row);
      if (top.rows.size() < kTopSenders) {
        row.push_back(text_cell(is_new ? "yes" : "no"));
        top.rows.push_back(std::move(row));
      }
    }
    changes_.push_back({"failures", failures_, prev_failures_});
    changes_.push_back({"failing senders", static_cast<std::int64_t>(now.rows.size()),
                        static_cast<std::int64_t>(before.rows.size())});
    add(Section{"top_failing_senders",
                "Top failing senders (top " + std::to_string(kTopSenders) + ")", std::move(top)});
    new_failing_ = std::move(fresh);
  }

  ResultSet incidents(Micros since, Micros until) {
    const std::int64_t window_us = effective_window(store_, std::nullopt) * kMicrosPerSecond;
    return store_.query("incidents", {{"window_us", window_us},
                                      {"match", std::string("ip")},
                                      {"since_us", since},
                                      {"until_us", until},
                                      {"client_ip", QueryParam{}}});
  }

  void add_incidents() {
    const ResultSet now = incidents(o_.since, o_.until);
    const ResultSet before = incidents(prev_since_, o_.since);
    const auto count = [](const ResultSet& rs, std::string_view kind) {
      std::int64_t n = 0;
      for (const auto& r : rs.rows) n += at(rs, r, "kind") == kind ? 1 : 0;
      return n;
    };
    changes_.push_back(
        {"incidents inbound", count(now, "inbound-downgrade"), count(before, "inbound-downgrade")});
    changes_.push_back({"incidents outbound", count(now, "outbound-downgrade"),
                        count(before, "outbound-downgrade")});
    Section s{"incidents", "Downgrade incidents in the period (inbound and outbound)"};
    if (o_.json) {
      s.rows = now;
    } else {
      s.rows.columns = {"id", "dir", "client_ip", "client_name", "plaintext_at", "reason"};
      for (const auto& r : now.rows) {
        s.rows.rows.push_back({text_cell(at(now, r, "incident_id")),
                               text_cell(at(now, r, "kind") == "outbound-downgrade" ? "out" : "in"),
                               text_cell(at(now, r, "client_ip")),
                               text_cell(at(now, r, "client_name")),
                               text_cell(local_text(at(now, r, "plaintext_at"))),
                               text_cell(at(now, r, "failure_reason"))});
      }
      s.text_rows = kListRows;
    }
    add(std::move(s));
  }

  ResultSet lost(Micros since, Micros until) {
    const std::int64_t window_us = effective_window(store_, std::nullopt) * kMicrosPerSecond;
    return store_.query("failures", {{"window_us", window_us},
                                     {"outcome", std::string("no-delivery")},
                                     {"client_ip", QueryParam{}},
                                     {"since_us", since},
                                     {"until_us", until}});
  }

  void add_lost_mail() {
    const ResultSet now = lost(o_.since, o_.until);
    const ResultSet before = lost(prev_since_, o_.since);
    changes_.push_back({"lost mail", static_cast<std::int64_t>(now.rows.size()),
                        static_cast<std::int64_t>(before.rows.size())});
    Section s{"lost_mail", "Lost mail: failures never followed by a delivery"};
    if (o_.json) {
      s.rows = now;
    } else {
      s.rows.columns = {"failure_id", "client_ip", "client_name", "failure_at", "reason"};
      for (const auto& r : now.rows) {
        s.rows.rows.push_back(
            {text_cell(at(now, r, "failure_id")), text_cell(at(now, r, "client_ip")),
             text_cell(at(now, r, "client_name")), text_cell(local_text(at(now, r, "failure_at"))),
             text_cell(at(now, r, "failure_reason"))});
      }
      s.text_rows = kListRows;
    }
    add(std::move(s));
  }

  void add_changes() {
    changes_.push_back({"outbound fallbacks", fallbacks_, prev_fallbacks_});
    ResultSet t;
    t.columns = {"what", "period", "previous", "change"};
    for (const auto& c : changes_) {
      t.rows.push_back({text_cell(c.what), int_cell(c.now), int_cell(c.before),
                        signed_change(c.now, c.before, o_.json)});
    }
    add(Section{"changes", "Changes against the previous period", std::move(t)});
  }

  void add_regressions() {
    const ResultSet rs = store_.query("report_regressions", period(o_.since, o_.until));
    Section s{"tls_regressions", "Senders that used TLS in the previous period and not since"};
    if (o_.json) {
      s.rows = rs;
    } else {
      s.rows.columns = {"client_ip", "client_name", "last_tls_at", "last_seen"};
      for (const auto& r : rs.rows) {
        s.rows.rows.push_back({text_cell(at(rs, r, "client_ip")),
                               text_cell(at(rs, r, "client_name")),
                               text_cell(local_text(at(rs, r, "last_tls_at"))),
                               text_cell(local_text(at(rs, r, "last_seen")))});
      }
      s.text_rows = kListRows;
    }
    add(std::move(s));
    add(Section{"new_failing_senders", "New failing senders (none failed in the previous period)",
                std::move(new_failing_), kListRows});
  }

  void write_text(std::ostream& out) const {
    const std::string zone = o_.tz.empty() ? "UTC" : zone_.name();
    out << "pftls TLS report\n";
    out << "Period:   " << local(o_.since) << " to " << local(o_.until) << " ("
        << strip_controls(zone).substr(0, 40) << ")\n";
    out << "Previous: " << local(prev_since_) << " to " << local(o_.since) << "\n";
    for (const Section& s : sections_) {
      out << "\n" << s.title << "\n";
      if (s.rows.rows.empty()) {
        out << "  (none)\n";
        continue;
      }
      std::unique_ptr<RowSink> w = table_writer(out, kReportWidth);
      w->begin(s.rows.columns);
      std::size_t shown = 0;
      for (const auto& r : s.rows.rows) {
        if (s.text_rows != 0 && shown == s.text_rows) break;
        w->row(r);
        ++shown;
      }
      w->end();
      if (shown < s.rows.rows.size())
        out << "  ... and " << (s.rows.rows.size() - shown) << " more (--format json: all)\n";
      if (!s.note.empty()) wrap(s.note, out);
    }
  }

  // `text` in lines of at most kReportWidth characters, broken at spaces.
  static void wrap(const std::string& text, std::ostream& out) {
    std::string line;
    std::size_t pos = 0;
    while (pos < text.size()) {
      std::size_t sp = text.find(' ', pos);
      if (sp == std::string::npos) sp = text.size();
      const std::string word = text.substr(pos, sp - pos);
      if (!line.empty() && line.size() + 1 + word.size() > kReportWidth) {
        out << line << "\n";
        line.clear();
      }
      line += (line.empty() ? "" : " ") + word;
      pos = sp + 1;
    }
    if (!line.empty()) out << line << "\n";
  }

  void write_json(std::ostream& out) const {
    out << "{\"period\": {\"since\": ";
    write_json_string(format_utc(o_.since), out);
    out << ", \"until\": ";
    write_json_string(format_utc(o_.until), out);
    out << ", \"previous_since\": ";
    write_json_string(format_utc(prev_since_), out);
    out << "},\n\"notes\": [";
    write_json_string(
        "sessions are counted per UTC day: a day counts in the period that holds its noon", out);
    out << ", ";
    write_json_string("protocol_mix and cipher_mix cover every stored TLS session", out);
    out << "]";
    for (const Section& s : sections_) {
      out << ",\n";
      write_json_string(s.key, out);
      out << ": ";
      std::unique_ptr<RowSink> w = result_writer(OutputFormat::kJson, out);
      w->begin(s.rows.columns);
      for (const auto& r : s.rows.rows) w->row(r);
      w->end();
    }
    out << "}\n";
  }

  struct Change {
    std::string what;
    std::int64_t now;
    std::int64_t before;
  };

  Store& store_;
  TlsReportOptions o_;
  Micros prev_since_;
  LocalZone zone_;
  std::vector<Section> sections_;
  std::vector<Change> changes_;
  ResultSet new_failing_;
  std::int64_t failures_ = 0, prev_failures_ = 0, fallbacks_ = 0, prev_fallbacks_ = 0;
};

}  // namespace

void write_tls_report(Store& store, const TlsReportOptions& options, std::ostream& out) {
  Report(store, options).write(out);
}

}  // namespace pftls
