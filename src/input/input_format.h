// input_format: which envelope reads an input's lines.
//
// Contract: an input is syslog text (RFC 3164, RFC 3339, journalctl -o
// short*, container images' own forms: EnvelopeParser), journalctl -o json
// (JournalJsonParser), or one of those lines inside a container runtime's
// frame (parse/container_frame.h): `docker compose logs` (kCompose),
// `docker logs --timestamps` / `kubectl logs --timestamps` (kTimestamped),
// Kubernetes/CRI log files (kCri), Docker's json-file driver (kDockerJson).
// With --format auto (the default) each input is told by its first
// non-empty line, never line by line:
//   '{' (after blanks) and then "log": Docker json-file; other '{': journal
//   "STAMP stdout|stderr F|P ..."            CRI
//   "SERVICE   | ..." (colours allowed)      docker compose logs
//   "2024-01-01T00:00:00.123456789Z ..."     --timestamps (see
//                                            container_prefix.h)
//   anything else                            syslog
#pragma once

#include <string_view>

#include "base/container_prefix.h"

namespace pftls {

enum class InputFormat { kAuto, kSyslog, kJournalJson, kCompose, kTimestamped, kCri, kDockerJson };

inline bool is_cri_line(std::string_view line) {
  const std::size_t n = container_prefix::rfc3339_stamp_length(line);
  if (n == 0 || n >= line.size()) return false;
  const std::string_view rest = line.substr(n + 1);
  if (rest.size() < 9 || (rest.substr(0, 7) != "stdout " && rest.substr(0, 7) != "stderr ")) {
    return false;
  }
  return (rest[7] == 'F' || rest[7] == 'P') && (rest.size() == 8 || rest[8] == ' ');
}

inline InputFormat detect_format(std::string_view first_nonempty_line) {
  std::string_view s = first_nonempty_line;
  while (!s.empty() && (s[0] == ' ' || s[0] == '\t')) s.remove_prefix(1);
  if (!s.empty() && s[0] == '{') {
    s.remove_prefix(1);
    while (!s.empty() && (s[0] == ' ' || s[0] == '\t')) s.remove_prefix(1);
    return s.substr(0, 6) == "\"log\":" ? InputFormat::kDockerJson : InputFormat::kJournalJson;
  }
  const std::string_view line = first_nonempty_line;
  if (is_cri_line(line)) return InputFormat::kCri;
  std::string_view service;
  std::size_t rest = 0;
  if (container_prefix::compose_prefix(line, service, rest)) return InputFormat::kCompose;
  if (container_prefix::timestamps_prefix(line, rest)) return InputFormat::kTimestamped;
  return InputFormat::kSyslog;
}

// "auto", "syslog", "journal" (also "json"), "compose", "timestamps",
// "cri", "docker-json". False for anything else.
inline bool input_format_from_name(std::string_view name, InputFormat& out) {
  struct Name {
    std::string_view name;
    InputFormat format;
  };
  static constexpr Name kNames[] = {{"auto", InputFormat::kAuto},
                                    {"syslog", InputFormat::kSyslog},
                                    {"journal", InputFormat::kJournalJson},
                                    {"json", InputFormat::kJournalJson},
                                    {"compose", InputFormat::kCompose},
                                    {"timestamps", InputFormat::kTimestamped},
                                    {"cri", InputFormat::kCri},
                                    {"docker-json", InputFormat::kDockerJson}};
  for (const Name& n : kNames) {
    if (n.name == name) {
      out = n.format;
      return true;
    }
  }
  return false;
}

}  // namespace pftls
