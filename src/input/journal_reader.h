// journal_reader: the systemd journal, read through `journalctl -o json`.
//
// Contract: JournalReader runs `journalctl` from PATH (posix_spawnp with an
// argv vector, never a shell) with the arguments journalctl_argv() builds:
// JSON output, no pager, one --unit per unit (globs allowed; default
// postfix.service and postfix@*.service), --file per journal file or
// --directory, and --after-cursor when resuming. Its standard output is
// handed out by lines() (a LineSource, lines over kMaxLineBytes cut); its
// standard error is drained by a thread and its first kJournalStderrBytes
// kept. Its standard input is /dev/null: pftls never writes to it, so no
// SIGPIPE can reach pftls, and journalctl gets SIGPIPE's default back.
//   - journalctl cannot be started: the constructor throws InputError
//     ("cannot run journalctl: REASON").
//   - finish(), after the last line: waits for journalctl; one that exited
//     non-zero or was killed raises InputError naming journalctl and the
//     first line of its standard error. On success it returns that first
//     line (a warning), or "".
//   - The destructor, on every path (also after an exception, before the
//     end of the output), closes the pipes, stops a journalctl still running
//     (SIGTERM) and reaps it.
//   - A time limit: journalctl runs in a process group of its own, and a
//     watchdog thread kills that group (SIGKILL) when journalctl has not
//     exited `timeout` after it started; its output then ends, and finish()
//     raises JournalTimeoutError once it is reaped. The watchdog stops
//     before journalctl is reaped, so it never signals a reused pid.
// The free functions are pure: they build the argv, the source description
// that keys the stored cursor, and the name shown in FILE:LINE evidence.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "input/line_source.h"

namespace pftls {

inline constexpr std::size_t kJournalStderrBytes = 4096;
// How long journalctl may run by default (--journal-timeout).
inline constexpr std::chrono::milliseconds kDefaultJournalTimeout{300'000};

// journalctl ran longer than its time limit and was killed.
class JournalTimeoutError : public InputError {
 public:
  using InputError::InputError;
};

// The units read when none are named: Debian's postfix.service (a dummy
// that starts instances) and its instances (postfix@-.service, ...).
std::vector<std::string> default_journal_units();

// What to read. files and directory are exclusive (journalctl allows one).
struct JournalSelection {
  std::vector<std::string> units;  // empty: default_journal_units()
  std::vector<std::string> files;  // journalctl --file (e.g. systemd-journal-remote output)
  std::string directory;           // journalctl --directory
};

// Paths made absolute (symlinks resolved where they exist), units and files
// sorted and without duplicates, default units filled in: two selections of
// the same entries compare equal.
JournalSelection canonical_selection(const JournalSelection& s);

// The journalctl arguments (argv[0] "journalctl" included), for a selection
// as given; after_cursor "" reads from the start.
std::vector<std::string> journalctl_argv(const JournalSelection& s, std::string_view after_cursor);

// A canonical, one-line description of a canonical selection: "system" or
// "file=PATH,PATH" or "directory=PATH", then " unit=UNIT,UNIT" (',' and '\'
// in names escaped with '\').
std::string journal_source(const JournalSelection& canonical);
// Settings keys: the last __CURSOR read, and the entries read so far (the
// numbers shown in evidence), per source.
std::string journal_cursor_key(const JournalSelection& canonical);
std::string journal_lines_key(const JournalSelection& canonical);
// The input name in FILE:LINE evidence and the run record: "journal",
// "journal:PATH[,PATH...]" or "journal:DIR".
std::string journal_input_name(const JournalSelection& canonical);

class JournalReader {
 public:
  JournalReader(const JournalSelection& selection, std::string_view after_cursor, std::string name,
                std::chrono::milliseconds timeout = kDefaultJournalTimeout);
  ~JournalReader();
  JournalReader(const JournalReader&) = delete;
  JournalReader& operator=(const JournalReader&) = delete;

  LineSource& lines() { return *lines_; }
  // The watchdog killed journalctl (its last line may be cut).
  bool timed_out();
  // After lines() ended: see the contract above.
  std::string finish();

 private:
  void stop() noexcept;       // closes, terminates and reaps; idempotent
  int wait_child() noexcept;  // waitpid's status
  void watch(std::chrono::steady_clock::time_point deadline) noexcept;  // the watchdog
  void stop_watch() noexcept;  // before the reaping: journalctl is still a zombie

  pid_t pid_ = -1;
  bool reaped_ = false;
  std::chrono::milliseconds timeout_;
  std::thread watch_thread_;
  std::mutex watch_mutex_;
  std::condition_variable watch_cv_;
  bool watch_done_ = false;  // under watch_mutex_
  bool timed_out_ = false;   // under watch_mutex_ until watch_thread_ is joined
  int err_fd_ = -1;
  std::unique_ptr<LineSource> lines_;
  std::thread err_thread_;
  std::string err_text_;  // written by err_thread_ until it is joined
};

}  // namespace pftls
