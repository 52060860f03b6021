// incident_brief: projects incidents.sql rows onto five columns for the
// table writer.
#include "report/incident_brief.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/text.h"
#include "report/result_writer.h"

namespace pftls {
namespace {

// Column widths, at least those of the headers: incident_id 11, kind 8,
// confidence 10, plaintext_at 20, two spaces between: the client gets the
// rest of kBriefWidth (43, enough for "[" IPv6 "]").
constexpr std::size_t kIdWidth = 11;
constexpr std::size_t kClientWidth = kBriefWidth - (kIdWidth + 8 + 10 + 20 + std::size_t{4} * 2);

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

// The last `width` characters of `s`, "…" first when cut.
std::string keep_end(std::string s, std::size_t width) {
  std::size_t n = code_points(s);
  if (n <= width) return s;
  std::size_t i = 0;
  while (n > width - 1) {  // drop characters from the front
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
    --n;
  }
  return "\u2026" + s.substr(i);
}

class Brief final : public RowSink {
 public:
  Brief(std::ostream& out, std::size_t max_rows)
      : out_(out), table_(result_writer(OutputFormat::kTable, out)), max_rows_(max_rows) {}

  void begin(const std::vector<std::string>& columns) override {
    for (std::size_t i = 0; i < columns.size(); ++i) {
      for (std::size_t k = 0; k < kWanted.size(); ++k) {
        if (columns[i] == kWanted[k]) at_[k] = i;
      }
    }
  }
  bool row(const std::vector<Cell>& cells) override {
    if (shown_ >= max_rows_) {
      ++more_;
      return true;
    }
    if (shown_++ == 0) {
      table_->begin({"incident_id", "kind", "confidence", "plaintext_at", "client"});
    }
    auto cell = [&](std::size_t k) -> std::string {
      return at_[k] < cells.size() ? strip_controls(cells[at_[k]].text) : std::string();
    };
    std::string kind = cell(1);
    if (const auto dash = kind.find('-'); dash != std::string::npos) kind.resize(dash);
    const std::string name = cell(5);
    const std::string ip = cell(4);
    const std::string client = name.empty() || name == ip ? ip : name + "[" + ip + "]";
    std::vector<Cell> out(5);
    for (auto& c : out) c.type = Cell::Type::kText;
    out[0].text = keep_end(cell(0), kIdWidth);
    out[1].text = keep_end(kind, 8);
    out[2].text = keep_end(cell(2), 10);
    out[3].text = keep_end(cell(3), 20);
    out[4].text = keep_end(client, kClientWidth);
    return table_->row(out);
  }
  void end() override {
    if (shown_ == 0) return;
    table_->end();
    if (more_) out_ << "... and " << more_ << " more (pftls incidents)\n";
  }

 private:
  // incident_id, kind, confidence, plaintext_at, client_ip, client_name
  static constexpr std::array<std::string_view, 6> kWanted = {
      "incident_id", "kind", "confidence", "plaintext_at", "client_ip", "client_name"};
  std::ostream& out_;
  std::unique_ptr<RowSink> table_;
  std::size_t max_rows_;
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::array<std::size_t, 6> at_ = {kNone, kNone, kNone, kNone, kNone, kNone};
  std::size_t shown_ = 0;
  std::uint64_t more_ = 0;
};

}  // namespace

std::unique_ptr<RowSink> incident_brief(std::ostream& out, std::size_t max_rows) {
  return std::make_unique<Brief>(out, max_rows);
}

}  // namespace pftls
