// incident_brief: five columns, no line over 100 columns, rows bounded.
#include "report/incident_brief.h"

#include <gtest/gtest.h>

#include <sstream>

namespace pftls {
namespace {

std::vector<std::string> incident_columns() {
  return {"incident_id",  "kind",        "confidence",     "client_ip",
          "client_name",  "failure_at",  "failure_reason", "failed_attempts",
          "plaintext_at", "gap_seconds", "queue_id",       "message_id",
          "sender",       "recipients",  "mx_host",        "matched_by"};
}

std::vector<Cell> incident(const std::string& id, const std::string& ip, const std::string& name) {
  std::vector<std::string> text = {id,
                                   "inbound-downgrade",
                                   "confirmed",
                                   ip,
                                   name,
                                   "2024-01-01T00:00:00Z",
                                   "lost connection",
                                   "1",
                                   "2024-01-01T00:05:00Z",
                                   "300",
                                   "ABC",
                                   "<m@x>",
                                   "s@x",
                                   "r@y",
                                   "mx1",
                                   "ip"};
  std::vector<Cell> cells;
  for (auto& t : text) cells.push_back(Cell{Cell::Type::kText, t});
  return cells;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::size_t columns(const std::string& s) {
  std::size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

TEST(IncidentBrief, FitsAHundredColumns) {
  std::ostringstream out;
  auto brief = incident_brief(out, 50);
  brief->begin(incident_columns());
  brief->row(incident("7", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
                      std::string(300, 'a') + ".example.org"));
  brief->row(incident("o12", "192.0.2.1", "mail.example.org"));
  brief->end();
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].rfind("incident_id  kind     confidence  plaintext_at", 0), 0u) << lines[0];
  for (const auto& l : lines) EXPECT_LE(columns(l), kBriefWidth) << l;
  // The client keeps its end: the address, whole.
  EXPECT_NE(lines[1].find("\u2026rg[2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]"), std::string::npos)
      << lines[1];
  EXPECT_NE(lines[2].find("mail.example.org[192.0.2.1]"), std::string::npos);
  EXPECT_NE(lines[2].find("o12"), std::string::npos);
  EXPECT_NE(lines[2].find(" inbound "), std::string::npos);
}

TEST(IncidentBrief, RowsBoundedThenCounted) {
  std::ostringstream out;
  auto brief = incident_brief(out, 2);
  brief->begin(incident_columns());
  for (int i = 1; i <= 5; ++i) brief->row(incident(std::to_string(i), "192.0.2.1", ""));
  brief->end();
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[3], "... and 3 more (pftls incidents)");
}

TEST(IncidentBrief, NoRowsNoOutput) {
  std::ostringstream out;
  auto brief = incident_brief(out, 50);
  brief->begin(incident_columns());
  brief->end();
  EXPECT_EQ(out.str(), "");
}

TEST(IncidentBrief, ControlsRemoved) {
  std::ostringstream out;
  auto brief = incident_brief(out, 50);
  brief->begin(incident_columns());
  brief->row(incident("1", "192.0.2.1", "evil\x1b[31m.example"));
  brief->end();
  EXPECT_EQ(out.str().find('\x1b'), std::string::npos);
}

}  // namespace
}  // namespace pftls
