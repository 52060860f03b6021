// evidence_report: the text of a disclosure report, optionally redacted.
#include "report/evidence_report.h"

#include <sodium.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "base/text.h"

namespace pftls {
namespace {

int column(const ResultSet& rs, const std::string& name) {
  for (std::size_t i = 0; i < rs.columns.size(); ++i)
    if (rs.columns[i] == name) return static_cast<int>(i);
  return -1;
}

// A cell as stored: for the raw lines, escaped as a whole after redaction.
std::string raw_cell(const ResultSet& rs, const std::vector<Cell>& row, const std::string& name) {
  int i = column(rs, name);
  return i < 0 ? std::string() : row[static_cast<std::size_t>(i)].text;
}

std::string cell(const ResultSet& rs, const std::vector<Cell>& row, const std::string& name) {
  return strip_controls(raw_cell(rs, row, name));
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (std::size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size()) {
    text.replace(pos, from.size(), to);
  }
}

using Row = std::vector<Cell>;
using LinesByIncident = std::map<std::string, std::vector<const Row*>>;
using Replacements = std::vector<std::pair<std::string, std::string>>;  // from -> to

// What happened, from one row of the incidents query.
void write_header(std::ostream& text, const ResultSet& incidents, const Row& row,
                  const std::string& id, const std::string& shown_mx) {
  auto f = [&](const char* name) { return cell(incidents, row, name); };
  const bool outbound = f("kind") == "outbound-downgrade";
  text << "\n== Incident " << id << ": " << f("kind") << " (" << f("confidence") << ")\n";
  if (outbound) text << "sending MTA:        " << shown_mx << " (ours)\n";
  text << (outbound ? "receiving MTA:      " : "sending MTA:        ") << f("client_ip") << " ("
       << f("client_name") << ")";
  const std::string matched = f("matched_by");
  if (!matched.empty() && matched != "ip") text << ", failure matched by " << matched;
  text << "\n";
  text << "handshake failed:   " << f("failure_at") << " (" << f("failure_reason") << "), "
       << f("failed_attempts") << " failed attempt(s)\n";
  text << "plaintext delivery: " << f("plaintext_at") << ", " << f("gap_seconds")
       << " s later, queue id " << f("queue_id") << "\n";
  text << "message-id:         " << f("message_id") << "\n";
  text << "sender:             " << f("sender") << "\n";
  text << "recipients:         " << f("recipients") << "\n";
  if (!outbound) text << "received by:        " << shown_mx << "\n";
}

// Our host names and their pseudonyms (empty when not redacting).
using HostNames = std::map<std::string, std::string>;

// The incident's raw lines as FILE:LINE, one heading per session. Redacting
// (`hosts` not empty), each of our host names is replaced where it stands as
// the syslog host field, not wherever the same letters occur in a sender's
// name.
void write_lines(std::ostream& text, const ResultSet& evidence,
                 const std::vector<const Row*>& lines, const HostNames& hosts, bool outbound) {
  std::string last_role;
  std::string last_session;
  for (const Row* line : lines) {
    std::string role = cell(evidence, *line, "role");
    std::string session = cell(evidence, *line, "session_id");
    if (role != last_role || session != last_session) {
      const char* heading = role == "failed" ? (outbound ? "failed attempt" : "failed session")
                            : outbound       ? "plaintext delivery"
                                             : "plaintext session";
      text << "-- " << heading << "\n";
      last_role = std::move(role);
      last_session = std::move(session);
    }
    std::string raw = raw_cell(evidence, *line, "raw");
    // The first of our names in the line's head is its host field.
    std::size_t at = std::string::npos;
    const HostNames::value_type* found = nullptr;
    for (const auto& name : hosts) {
      const auto pos = raw.find(" " + name.first + " ");
      if (pos < 64 && pos < at) {
        at = pos;
        found = &name;
      }
    }
    if (found) raw.replace(at + 1, found->first.size(), found->second);
    text << cell(evidence, *line, "input") << ":" << cell(evidence, *line, "line") << ": "
         << escape_bytes(raw) << "\n";
  }
}

// "local@" -> "user-XXXXXXXX@" for each recipient of a ';'-separated list.
void add_recipients(const std::string& recipients, std::string_view key, Replacements& out) {
  std::size_t start = 0;
  while (start <= recipients.size()) {
    const std::size_t end = recipients.find(';', start);
    const std::string r =
        recipients.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const auto at = r.rfind('@');
    if (at != std::string::npos && at > 0) {
      // As the header shows it (stripped) and as the raw lines do (escaped).
      const std::string local = strip_controls(r.substr(0, at));
      const std::string shown = pseudonym(key, "user", local) + "@";
      out.emplace_back(local + "@", shown);
      out.emplace_back(escape_bytes(r.substr(0, at)) + "@", shown);
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
}

// Longest first, so "xalice@" is not half-replaced by the rule for "alice@".
void replace_longest_first(std::string& report, Replacements& replacements) {
  std::sort(replacements.begin(), replacements.end(),
            [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  replacements.erase(std::unique(replacements.begin(), replacements.end()), replacements.end());
  for (const auto& [from, to] : replacements) replace_all(report, from, to);
}

}  // namespace

std::string pseudonym(std::string_view key, const std::string& prefix, std::string_view value) {
  if (key.size() != kPseudonymKeyBytes) throw std::invalid_argument("pseudonym: no key");
  unsigned char hash[crypto_generichash_BYTES_MIN];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(value.data()),
                     value.size(), reinterpret_cast<const unsigned char*>(key.data()), key.size());
  char hex[9];
  sodium_bin2hex(hex, sizeof hex, hash, 4);
  return prefix + "-" + hex;
}

std::size_t write_evidence_report(const ResultSet& incidents, const ResultSet& evidence,
                                  const ReportOptions& options, std::ostream& out) {
  std::ostringstream text;
  text << "pftls evidence report";
  if (!options.heading.empty()) text << " (" << options.heading << ")";
  text << "\n";
  LinesByIncident lines_of;
  for (const auto& row : evidence.rows)
    lines_of[cell(evidence, row, "incident_id")].push_back(&row);

  HostNames hosts;
  if (options.redact) {
    const auto add = [&](const std::string& host) {
      if (!host.empty()) hosts.emplace(host, pseudonym(options.pseudonym_key, "host", host));
    };
    for (const auto& host : options.own_hosts) add(host);
    for (const auto& row : incidents.rows) {
      add(raw_cell(incidents, row, "mx_host"));
      add(raw_cell(incidents, row, "failure_host"));
    }
  }
  Replacements replacements;
  for (const auto& row : incidents.rows) {
    const std::string id = cell(incidents, row, "incident_id");
    const std::string mx = raw_cell(incidents, row, "mx_host");
    const auto shown = hosts.find(mx);
    write_header(text, incidents, row, id,
                 shown == hosts.end() ? strip_controls(mx) : shown->second);
    auto it = lines_of.find(id);
    if (it == lines_of.end()) {
      text << "(no raw lines stored for this incident)\n";
    } else {
      write_lines(text, evidence, it->second, hosts,
                  cell(incidents, row, "kind") == "outbound-downgrade");
    }
    if (options.redact) {
      add_recipients(raw_cell(incidents, row, "recipients"), options.pseudonym_key, replacements);
    }
  }
  std::string report = text.str();
  if (options.redact) replace_longest_first(report, replacements);
  out << report;
  return incidents.rows.size();
}

}  // namespace pftls
