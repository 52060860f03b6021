// ingest: one run over the inputs, from bytes to stored facts.
//
// Contract: reads each input in order (line source -> syslog envelope ->
// pattern dispatch -> correlator -> store) inside one store transaction,
// together with the correlation state carried over from the previous run.
// Bad lines are counted and the first few reported as FILE:LINE on `diag`,
// never fatal. What the correlator's and the tracker's bounds dropped is
// counted (IngestSummary::drops) and each bound that dropped anything is
// one warning on `diag` naming the bound. A compressed file that does not
// decode to its end (DamagedInputError) is damaged: checked before any of
// its lines is read, it is skipped whole, reported as one line on `diag`,
// counted (IngestSummary::damaged_inputs) and recorded in the settings
// (damaged_input:PATH, the reason; damaged_file:DEVICE INODE, its size and
// mtime); later runs skip it unread until it changes, and the other
// inputs are read as usual. An input that cannot be read, or a store error, aborts
// the run: the transaction is rolled back and the error propagates (InputError, StoreError,
// TimeError).
//
// The systemd journal (options.journal) is read after the files, through
// journalctl (journal_reader), resuming after the __CURSOR stored for that
// source (units and files or directory) by the previous run; the new cursor
// is stored in the same transaction as the events. Its lines are numbered
// from the first entry ever read from that source. A journalctl that fails
// aborts the run like an unreadable file (InputError); one still running
// after options.journal_timeout is killed and aborts it (JournalTimeoutError).
//
// The zone: options.zone ("" : none given) is stored with the database
// (setting "tz") and used; without one, the stored zone is used, with a
// warning (once a day with news_only); a zone that differs from the stored
// one replaces it, with a warning.
//
// Stdin ("-") is known by its first decoded bytes, as a file (an input
// record with path "-"): the bytes that record says were read are skipped,
// so the same stream fed again adds nothing, and a grown one is read on.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "input/input_format.h"
#include "input/journal_reader.h"
#include "store/store.h"

namespace pftls {

struct IngestOptions {
  std::vector<std::string> paths;           // "-" is stdin
  std::optional<JournalSelection> journal;  // read the journal after the paths
  // journalctl killed after this long (JournalTimeoutError; the run is rolled back)
  std::chrono::milliseconds journal_timeout = kDefaultJournalTimeout;
  std::optional<int> year;
  std::string zone;                            // "" = system zone
  std::optional<std::int64_t> window_seconds;  // stored as the default window
  std::size_t max_reported = 10;               // bad lines reported one by one, per kind
  std::ostream* unrecognised_out = nullptr;    // every unrecognised Postfix line, as read
  InputFormat format =
      InputFormat::kAuto;  // --format (paths only); kAuto: each by its first non-empty line
  // News only (a cron run): a bad-line warning of a kind already given in
  // the last day is left out (warning_memory.h).
  bool news_only = false;
  std::function<void()> before_commit;  // last step of the run; may throw to abort it
};

// The rows a run stored: ids after `*_after` up to `*_upto` (incidents.sql's
// :after_message_id / :after_outbound_id, and the ids of its rows).
struct NewRows {
  std::int64_t messages_after = 0;
  std::int64_t messages_upto = 0;
  std::int64_t outbound_after = 0;
  std::int64_t outbound_upto = 0;
  std::int64_t marks_after = 0;  // plain_marks (:after_mark_id; incident ids "p<N>")
  std::int64_t marks_upto = 0;
};

struct IngestSummary {
  std::uint64_t lines = 0;
  std::uint64_t postfix_lines = 0;
  std::uint64_t other_lines = 0;
  std::uint64_t malformed = 0;
  std::uint64_t unrecognised = 0;
  std::uint64_t truncated = 0;
  std::map<std::string, std::uint64_t> unrecognised_by_service;  // bounded: 64 names
  std::uint64_t sessions = 0;
  std::uint64_t failures = 0;
  std::uint64_t messages = 0;
  std::uint64_t new_incidents = 0;
  NewRows new_rows;  // where the new incidents are
  DropCounts drops;  // what the bounds dropped; each bound hit is also a warning on `diag`
  std::uint64_t damaged_inputs =
      0;  // damaged compressed files skipped whole (a line each on `diag`)
};

IngestSummary run_ingest(Store& store, const IngestOptions& options, std::ostream& diag);

}  // namespace pftls
