// evidence_report: incidents with their raw log lines, as a plain-text
// report to attach to a disclosure (pftls show, pftls export evidence).
//
// Contract: takes the rows of the incidents query and of the evidence
// query (queries/evidence.sql) and writes one block per incident: what
// happened, then the failed session(s) and the plaintext session line by
// line with FILE:LINE. An outbound incident names our host as the sender
// and the remote MX as the receiver, then its failed attempt(s) and its
// plaintext delivery. The raw lines pass escape_bytes() (base/text.h:
// every control, bidi control, backslash or byte that is not UTF-8 written
// visibly as \xNN); every other field from a log passes strip_controls(). With
// `redact`, recipient local parts (wherever "local@" occurs) and our own
// host names (the syslog host field of each line, and the header) are
// replaced by pseudonyms ("user-1a2b3c4d", "host-5e6f7a8b"): the first four
// bytes of a keyed BLAKE2b (libsodium's crypto_generichash) of the name,
// under the database's random key. The same name gives the same pseudonym
// in every report from one database; without the key a pseudonym cannot be
// undone by hashing guessed names.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "report/result_set.h"

namespace pftls {

inline constexpr std::size_t kPseudonymKeyBytes = 32;

struct ReportOptions {
  bool redact = false;
  std::string pseudonym_key;  // with redact: kPseudonymKeyBytes bytes
  std::string heading;        // e.g. "window 24h, match ip"
  // With redact: every host of the store (a failed session may have been
  // logged by another host than the incident's own); the incidents' own
  // mx_host and failure_host are added to these.
  std::vector<std::string> own_hosts;
};

// Returns the number of incidents written.
std::size_t write_evidence_report(const ResultSet& incidents, const ResultSet& evidence,
                                  const ReportOptions& options, std::ostream& out);

// The pseudonym of `value` with `prefix` ("user", "host") under `key`
// (kPseudonymKeyBytes bytes).
std::string pseudonym(std::string_view key, const std::string& prefix, std::string_view value);

}  // namespace pftls
