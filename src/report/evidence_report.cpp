// evidence_report: the text of a disclosure report, optionally redacted.
#include "report/evidence_report.h"

#include <sodium.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "report/result_writer.h"

namespace pftls {
namespace {

int column(const ResultSet& rs, const std::string& name) {
  for (std::size_t i = 0; i < rs.columns.size(); ++i)
    if (rs.columns[i] == name) return static_cast<int>(i);
  return -1;
}

std::string cell(const ResultSet& rs, const std::vector<Cell>& row, const std::string& name) {
  int i = column(rs, name);
  return i < 0 ? std::string() : strip_controls(row[static_cast<std::size_t>(i)].text);
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (std::size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size()) {
    text.replace(pos, from.size(), to);
  }
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
  std::map<std::string, std::vector<const std::vector<Cell>*>> lines_of;
  for (const auto& row : evidence.rows) lines_of[cell(evidence, row, "incident_id")].push_back(&row);

  std::vector<std::pair<std::string, std::string>> replacements;  // from -> to, longest first
  for (const auto& row : incidents.rows) {
    std::string id = cell(incidents, row, "incident_id");
    std::string mx = cell(incidents, row, "mx_host");
    // Our host name is redacted where it stands as the syslog host field and
    // in this header, not wherever the same letters occur in a sender's name.
    const std::string shown_mx = options.redact && !mx.empty() ? pseudonym(options.pseudonym_key, "host", mx) : mx;
    auto host_field = [&](std::string raw) {
      if (!options.redact || mx.empty()) return raw;
      std::string token = " " + mx + " ";
      auto pos = raw.find(token);
      if (pos != std::string::npos && pos < 64) raw.replace(pos + 1, mx.size(), shown_mx);
      return raw;
    };
    text << "\n== Incident " << id << ": " << cell(incidents, row, "kind") << " ("
         << cell(incidents, row, "confidence") << ")\n";
    text << "sending MTA:        " << cell(incidents, row, "client_ip") << " ("
         << cell(incidents, row, "client_name") << ")";
    std::string matched = cell(incidents, row, "matched_by");
    if (!matched.empty() && matched != "ip") text << ", failure matched by " << matched;
    text << "\n";
    text << "handshake failed:   " << cell(incidents, row, "failure_at") << " ("
         << cell(incidents, row, "failure_reason") << "), " << cell(incidents, row, "failed_attempts")
         << " failed attempt(s)\n";
    text << "plaintext delivery: " << cell(incidents, row, "plaintext_at") << ", "
         << cell(incidents, row, "gap_seconds") << " s later, queue id "
         << cell(incidents, row, "queue_id") << "\n";
    text << "message-id:         " << cell(incidents, row, "message_id") << "\n";
    text << "sender:             " << cell(incidents, row, "sender") << "\n";
    text << "recipients:         " << cell(incidents, row, "recipients") << "\n";
    text << "received by:        " << shown_mx << "\n";
    std::string last_role;
    std::string last_session;
    auto it = lines_of.find(id);
    if (it == lines_of.end()) {
      text << "(no raw lines stored for this incident)\n";
    } else {
      for (const auto* line : it->second) {
        std::string role = cell(evidence, *line, "role");
        std::string session = cell(evidence, *line, "session_id");
        if (role != last_role || session != last_session) {
          text << "-- " << (role == "failed" ? "failed session" : "plaintext session") << "\n";
          last_role = role;
          last_session = session;
        }
        text << cell(evidence, *line, "input") << ":" << cell(evidence, *line, "line") << ": "
             << host_field(cell(evidence, *line, "raw")) << "\n";
      }
    }
    if (options.redact) {
      std::string recipients = cell(incidents, row, "recipients");
      std::size_t start = 0;
      while (start <= recipients.size()) {
        std::size_t end = recipients.find(';', start);
        std::string r = recipients.substr(start, end == std::string::npos ? std::string::npos : end - start);
        auto at = r.rfind('@');
        if (at != std::string::npos && at > 0) {
          std::string local = r.substr(0, at);
          replacements.emplace_back(local + "@", pseudonym(options.pseudonym_key, "user", local) + "@");
        }
        if (end == std::string::npos) break;
        start = end + 1;
      }
    }
  }
  std::string report = text.str();
  if (options.redact) {
    std::sort(replacements.begin(), replacements.end(),
              [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    replacements.erase(std::unique(replacements.begin(), replacements.end()), replacements.end());
    for (const auto& [from, to] : replacements) replace_all(report, from, to);
  }
  out << report;
  return incidents.rows.size();
}

}  // namespace pftls
