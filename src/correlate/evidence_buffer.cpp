// evidence_buffer: per-session line buffers under one byte budget.
#include "correlate/evidence_buffer.h"

#include <algorithm>

namespace pftls {

std::uint32_t EvidenceBuffer::input_id(std::string_view name) {
  // Asked once an input (and for restored evidence): a scan of a few names.
  for (std::uint32_t i = 0; i < inputs_.size(); ++i)
    if (inputs_[i] == name) return i;
  inputs_.emplace_back(name);
  return static_cast<std::uint32_t>(inputs_.size() - 1);
}

void EvidenceBuffer::keep(SessionEvidence& e, const RawLogLine& raw) {
  if (raw.text.empty() || e.lines.size() >= lines_per_session_) return;
  const std::string_view text = raw.text.substr(0, bytes_per_line_);
  if (used_ + text.size() > total_bytes_) {
    ++dropped_;
    return;
  }
  used_ += text.size();
  e.lines.push_back(SessionEvidence::LineRef{static_cast<std::uint32_t>(e.text.size()),
                                             static_cast<std::uint32_t>(text.size()), raw.input,
                                             raw.number});
  e.text.append(text);
}

std::vector<EvidenceLine> EvidenceBuffer::unsaved(const SessionEvidence& e) const {
  std::vector<EvidenceLine> out;
  out.reserve(e.lines.size() - std::min(e.stored, e.lines.size()));
  for (std::size_t i = e.stored; i < e.lines.size(); ++i) {
    const SessionEvidence::LineRef& r = e.lines[i];
    out.push_back(EvidenceLine{inputs_[r.input], r.line, e.text.substr(r.offset, r.size)});
  }
  return out;
}

EvidenceLine EvidenceBuffer::line(const SessionEvidence& e, std::size_t i) const {
  if (i >= e.lines.size()) return {};
  const SessionEvidence::LineRef& r = e.lines[i];
  return EvidenceLine{inputs_[r.input], r.line, e.text.substr(r.offset, r.size)};
}

EvidenceLine EvidenceBuffer::copy(const RawLogLine& raw) const {
  if (raw.text.empty() || raw.input >= inputs_.size()) return {};
  return EvidenceLine{inputs_[raw.input], raw.number,
                      std::string(raw.text.substr(0, bytes_per_line_))};
}

}  // namespace pftls
