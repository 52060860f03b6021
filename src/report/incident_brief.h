// incident_brief: new incidents as a short table, for a cron mail.
//
// Contract: incident_brief() is a RowSink for rows of incidents.sql that
// writes, after the first row, a table of five columns: incident_id, kind
// (inbound or outbound), confidence, plaintext_at and client ("NAME[IP]",
// or the IP alone), cut so that no line is wider than 100 columns (the
// client keeps its end: the IP and the end of its name). Cells pass
// strip_controls() (the table writer). At most `max_rows` rows are shown;
// then one line says how many more there are. No rows, no output.
#pragma once

#include <cstddef>
#include <memory>
#include <ostream>

#include "report/result_set.h"

namespace pftls {

inline constexpr std::size_t kBriefWidth = 100;

std::unique_ptr<RowSink> incident_brief(std::ostream& out, std::size_t max_rows);

}  // namespace pftls
