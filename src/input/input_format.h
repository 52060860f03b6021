// input_format: which envelope reads an input's lines.
//
// Contract: an input is either syslog text (RFC 3164, RFC 3339, journalctl
// -o short*: EnvelopeParser) or journalctl -o json (JournalJsonParser).
// With --format auto (the default) each input is told by its first
// non-empty line: one that starts with '{' (after blanks) is journal JSON.
#pragma once

#include <string_view>

namespace pftls {

enum class InputFormat { kAuto, kSyslog, kJournalJson };

// kJournalJson for a line whose first non-blank byte is '{', else kSyslog.
inline InputFormat detect_format(std::string_view first_nonempty_line) {
  for (char c : first_nonempty_line) {
    if (c == ' ' || c == '\t') continue;
    return c == '{' ? InputFormat::kJournalJson : InputFormat::kSyslog;
  }
  return InputFormat::kSyslog;
}

// "auto", "syslog", "journal" (also "json"). False for anything else.
inline bool input_format_from_name(std::string_view name, InputFormat& out) {
  if (name == "auto") {
    out = InputFormat::kAuto;
  } else if (name == "syslog") {
    out = InputFormat::kSyslog;
  } else if (name == "journal" || name == "json") {
    out = InputFormat::kJournalJson;
  } else {
    return false;
  }
  return true;
}

}  // namespace pftls
