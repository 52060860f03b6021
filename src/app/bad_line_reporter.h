// bad_line_reporter: warnings about bad input lines, rate-limited per kind
// (Postfix's msg_warn with a limit).
//
// Contract: warn() writes "pftls: warning: FILE:LINE: " and hands back the
// stream for the rest of the message, for the first `limit` lines of each
// kind; after that it returns nullptr and the line is only counted by the
// caller. finish() writes one line saying that more were left out, when any
// kind went over its limit. File names are shown as given: the caller
// passes them through strip_controls().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string_view>

namespace pftls {

class BadLineReporter {
 public:
  enum Kind : std::size_t { kTruncated, kMalformed, kUnrecognised, kKindCount };

  BadLineReporter(std::ostream& diag, std::size_t limit) : diag_(diag), limit_(limit) {}

  std::ostream* warn(Kind kind, std::string_view file, std::uint64_t line) {
    if (seen_[kind]++ >= limit_) return nullptr;
    return &(diag_ << "pftls: warning: " << file << ":" << line << ": ");
  }

  void finish() const {
    for (std::uint64_t n : seen_) {
      if (n > limit_) {
        diag_ << "pftls: warning: further bad lines not listed (see the counts below)\n";
        return;
      }
    }
  }

 private:
  std::ostream& diag_;
  std::size_t limit_;
  std::array<std::uint64_t, kKindCount> seen_{};
};

}  // namespace pftls
