// evidence_buffer: the raw log lines kept for sessions that may be stored.
//
// Contract: keep() appends a line to a session's SessionEvidence, cut to
// bytes_per_line; a session keeps at most lines_per_session lines (later
// ones are skipped), and all open sessions together at most total_bytes
// (a line beyond that is not kept and is counted in dropped()). release()
// gives a closed session's bytes back. unsaved() hands out the lines not
// yet stored, with the names of their inputs; input_id() numbers those
// names (RawLogLine::input). line() and copy() hand out one kept line or
// a line as read, cut as keep() cuts it, outside the budget (for a
// ClientMark's evidence; the caller bounds how many it holds).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "correlate/records.h"

namespace pftls {

// A log line as read, for evidence.
struct RawLogLine {
  std::string_view text;
  std::uint32_t input = 0;  // EvidenceBuffer::input_id() of the input's name
  std::uint64_t number = 0;
};

// One session's lines, back to back in one buffer; lines [0, stored) are
// in the store.
struct SessionEvidence {
  struct LineRef {
    std::uint32_t offset;
    std::uint32_t size;
    std::uint32_t input;
    std::uint64_t line;
  };
  std::string text;
  std::vector<LineRef> lines;
  std::size_t stored = 0;

  void clear() {
    text.clear();
    lines.clear();
    stored = 0;
  }
};

class EvidenceBuffer {
 public:
  EvidenceBuffer(std::size_t lines_per_session, std::size_t bytes_per_line, std::size_t total_bytes)
      : lines_per_session_(lines_per_session),
        bytes_per_line_(bytes_per_line),
        total_bytes_(total_bytes) {}

  std::uint32_t input_id(std::string_view name);
  void keep(SessionEvidence& e, const RawLogLine& raw);
  void release(const SessionEvidence& e) { used_ -= std::min(used_, e.text.size()); }
  std::vector<EvidenceLine> unsaved(const SessionEvidence& e) const;
  EvidenceLine line(const SessionEvidence& e, std::size_t i) const;
  EvidenceLine copy(const RawLogLine& raw) const;
  std::uint64_t dropped() const { return dropped_; }

 private:
  std::size_t lines_per_session_;
  std::size_t bytes_per_line_;
  std::size_t total_bytes_;
  std::size_t used_ = 0;  // text bytes of open sessions
  std::uint64_t dropped_ = 0;
  std::vector<std::string> inputs_;
};

}  // namespace pftls
