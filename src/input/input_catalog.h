// input_catalog: which log files were read how far, and what to read next.
//
// Contract: a file is identified by a fingerprint, its first decoded bytes
// (up to kFingerprintBytes; shorter while the file is shorter, extended as it
// grows), with device/inode as a tie-breaker. A file matches a record when
// one fingerprint is a prefix of the other and the file is not shorter than
// the record's fingerprint; so a rotated file (renamed, later compressed) is
// still known, and a truncated or new file is not. plan() turns the paths of
// a run into the files to read, oldest first:
//   - numbered rotations of one log (mail.log.2.gz, mail.log.1, mail.log) are
//     ordered by their suffix, never by mtime;
//   - when a log named alone was rotated since its record was made, the rest
//     of the old file is found among its rotations (by fingerprint) and read
//     first, with any rotation newer than it, then the new file;
//   - files read to their end and no longer growing (compressed or rotated)
//     are skipped without being opened;
//   - a compressed file whose first bytes do not decode is planned with its
//     damage and no record (the run decides what to do with it).
// Nothing here knows SQLite: records are loaded and saved by the store.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/log_time.h"

namespace pftls {

inline constexpr std::size_t kFingerprintBytes = 1024;
// The unterminated last line of a live file is held back until it ends or
// the file has not changed for this long.
inline constexpr std::int64_t kTornLineQuietSeconds = 60;

struct InputRecord {
  std::int64_t id = 0;  // 0: not stored yet
  std::string path;     // where it was last read
  std::string fingerprint;
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t offset = 0;  // decoded bytes read (whole lines)
  std::uint64_t lines = 0;   // lines read
  std::optional<int> year;   // the year state at offset (yearless logs)
  unsigned last_month = 0;
  bool complete = false;            // read to the end of a file that no longer grows
  std::uint64_t pending_bytes = 0;  // a torn last line held back
  std::uint64_t size = 0;           // on-disk size when last read
  std::int64_t mtime = 0;           // mtime (seconds) when last read
  Micros last_read_at = 0;
};

struct PlannedInput {
  std::string path;               // "-" is stdin
  InputRecord* record = nullptr;  // nullptr for stdin
  bool rotated = false;           // a rotation or compressed file: it no longer grows
  std::string prefix;             // first decoded bytes, for the fingerprint
  std::string damage;             // not empty: its first bytes do not decode (why; no record)
};

class InputCatalog {
 public:
  explicit InputCatalog(std::vector<InputRecord> records) : records_(std::move(records)) {}

  // The files to read for the given paths, in order. Warnings (a rotated
  // file whose rest is gone) go to `warnings`. Throws InputError for a path
  // that cannot be opened.
  std::vector<PlannedInput> plan(const std::vector<std::string>& paths,
                                 std::vector<std::string>& warnings);

  // The record of a stream on stdin whose first decoded bytes are `prefix`
  // (up to kFingerprintBytes; `ended`: the whole stream): one whose
  // fingerprint the stream starts with, or, for a stream that ended, one
  // whose fingerprint starts with the whole stream; else a new record.
  // Stdin records (path "-") and files never match each other.
  InputRecord* stdin_record(const std::string& prefix, bool ended);

  // True when the (plain, live) file can be skipped: it matched its record
  // and has not changed size since (nothing new, no torn line to recheck).
  static bool unchanged(const PlannedInput& in, const std::optional<std::uint64_t>& size,
                        std::int64_t mtime);

 private:
  InputRecord* match(const std::string& prefix, std::uint64_t device, std::uint64_t inode,
                     const std::string& path);
  InputRecord* record_for(const std::string& path, const std::string& prefix);
  // One file of the plan: its prefix and its record (none for an empty file).
  PlannedInput planned(const std::string& path, int number);

  std::vector<InputRecord> records_;
  std::vector<std::unique_ptr<InputRecord>> added_;
};

// Splits "mail.log.2.gz" into base "mail.log" and number 2; a path without a
// rotation number has number 0.
void split_rotation(const std::string& path, std::string& base, int& number);

}  // namespace pftls
