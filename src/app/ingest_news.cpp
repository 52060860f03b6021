// ingest_news: the run's new incidents, by their id range, to stdout and
// to the --on-incident command.
#include "app/ingest_news.h"

#include <charconv>

#include "app/incident_hook.h"
#include "base/text.h"
#include "report/incident_brief.h"
#include "report/result_writer.h"
#include "store/stored_number.h"

namespace pftls {
namespace {

// Passes on the rows whose ids are at most those the run stored: a run
// that committed after ours added rows after them.
class UpTo final : public RowSink {
 public:
  UpTo(RowSink& next, const NewRows& rows) : next_(next), rows_(rows) {}
  void begin(const std::vector<std::string>& columns) override { next_.begin(columns); }
  bool row(const std::vector<Cell>& cells) override {
    if (cells.empty()) return true;
    // incident_id: N, oN for outbound, pN for a plaintext mark's
    std::string_view id = cells[0].text;
    const char kind = !id.empty() && (id[0] == 'o' || id[0] == 'p') ? id[0] : 'm';
    if (kind != 'm') id.remove_prefix(1);
    std::int64_t n = 0;
    std::from_chars(id.data(), id.data() + id.size(), n);
    const std::int64_t upto = kind == 'o'   ? rows_.outbound_upto
                              : kind == 'p' ? rows_.marks_upto
                                            : rows_.messages_upto;
    if (n > upto) return true;
    return next_.row(cells);
  }
  void end() override { next_.end(); }

 private:
  RowSink& next_;
  const NewRows& rows_;
};

void new_incidents(Store& store, const NewRows& rows, RowSink& sink) {
  const std::int64_t window = effective_window(store, std::nullopt);
  UpTo up_to(sink, rows);
  store.query_rows("incidents",
                   {{"window_us", window * kMicrosPerSecond},
                    {"after_message_id", rows.messages_after},
                    {"after_mark_id", rows.marks_after},
                    {"after_outbound_id", rows.outbound_after},
                    {"match", std::string("ip")}},
                   up_to);
}

}  // namespace

void tell_new_incidents(Store& store, const IngestSummary& summary,
                        const std::vector<std::string>& command, std::ostream& out,
                        std::ostream& diag) {
  if (summary.new_incidents == 0) return;
  out << summary.new_incidents << " new TLS downgrade incident"
      << (summary.new_incidents == 1 ? "" : "s") << " (pftls show ID for the evidence):\n";
  {
    auto brief = incident_brief(out, kBriefRows);
    new_incidents(store, summary.new_rows, *brief);
  }
  out.flush();
  if (!out) throw std::runtime_error("cannot write to standard output");
  if (command.empty()) return;
  const std::string problem = run_incident_hook(
      command,
      [&](std::ostream& in) {
        auto lines = json_lines_writer(in);
        new_incidents(store, summary.new_rows, *lines);
      },
      kHookLimit);
  if (!problem.empty()) diag << "pftls: warning: --on-incident: " << problem << "\n";
}

}  // namespace pftls
