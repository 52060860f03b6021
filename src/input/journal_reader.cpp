// journal_reader: see journal_reader.h for the contract.
//
// Layout: two close-on-exec pipes (moved above fd 2 so the child's dup2
// onto 1 and 2 never meets itself), posix_spawnp with /dev/null as stdin
// and SIGPIPE/SIGTERM back at their defaults, stdout read by a LineSource
// made from the pipe, stderr drained by a thread into a string reserved up
// front (the first kJournalStderrBytes; the rest is read and dropped, so
// journalctl never blocks on a full stderr pipe while pftls waits on stdout).
#include "input/journal_reader.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>
#include <utility>

extern char** environ;

namespace pftls {
namespace {

constexpr std::size_t kShownStderrBytes = 300;  // of the first line, in a message

// The fields JournalJsonParser reads; journalctl always adds __CURSOR,
// __REALTIME_TIMESTAMP, __MONOTONIC_TIMESTAMP and _BOOT_ID.
constexpr const char* kOutputFields = "MESSAGE,SYSLOG_IDENTIFIER,SYSLOG_PID,_PID,_HOSTNAME";

std::string errno_text(int err) { return std::generic_category().message(err); }

// "300 s", "0.5 s": a time limit as the user gave it.
std::string seconds_text(std::chrono::milliseconds ms) {
  std::string out = std::to_string(ms.count() / 1000);
  if (const auto frac = ms.count() % 1000) {
    std::string digits = std::to_string(1000 + frac).substr(1);
    while (digits.back() == '0') digits.pop_back();
    out += "." + digits;
  }
  return out + " s";
}

InputError spawn_error(int err) { return InputError("cannot run journalctl: " + errno_text(err)); }

// One owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// A close-on-exec descriptor numbered above 2 (pftls may run with 0..2 closed).
Fd above_stdio(Fd fd) {
  if (fd.get() > 2) return fd;
  const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (moved < 0) throw spawn_error(errno);
  return Fd(moved);
}

void make_pipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw spawn_error(errno);
  Fd r(fds[0]);
  Fd w(fds[1]);
  read_end = above_stdio(std::move(r));
  write_end = above_stdio(std::move(w));
}

// A posix_spawn helper object (file actions, attributes), destroyed on
// every path.
template <typename T, int (*Init)(T*), int (*Destroy)(T*)>
struct SpawnObject {
  T a;
  SpawnObject() {
    if (int rc = Init(&a)) throw spawn_error(rc);
  }
  ~SpawnObject() { Destroy(&a); }
  SpawnObject(const SpawnObject&) = delete;
  SpawnObject& operator=(const SpawnObject&) = delete;
};
using SpawnActions = SpawnObject<posix_spawn_file_actions_t, posix_spawn_file_actions_init,
                                 posix_spawn_file_actions_destroy>;
using SpawnAttr = SpawnObject<posix_spawnattr_t, posix_spawnattr_init, posix_spawnattr_destroy>;

void check(int rc) {
  if (rc != 0) throw spawn_error(rc);
}

// Keeps the first kJournalStderrBytes of fd (capacity reserved by the
// caller: appending never allocates) and reads the rest to its end.
void drain(int fd, std::string& keep) noexcept {
  char buf[4096];
  for (;;) {
    const ssize_t got = ::read(fd, buf, sizeof buf);
    if (got < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (got == 0) return;
    const std::size_t room = kJournalStderrBytes - std::min(kJournalStderrBytes, keep.size());
    keep.append(buf, std::min(room, static_cast<std::size_t>(got)));
  }
}

// The first non-empty line, without control bytes, at most kShownStderrBytes.
std::string first_line(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    for (std::size_t i = start; i < end && out.size() < kShownStderrBytes; ++i) {
      const auto c = static_cast<unsigned char>(text[i]);
      if (c >= 0x20 && c != 0x7f) out += static_cast<char>(c);
    }
    if (!out.empty()) break;
    start = end + 1;
  }
  return out;
}

// Absolute, normal, with the symlinks of its existing part resolved.
std::string canonical_path(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path abs = std::filesystem::absolute(path, ec);
  if (ec) return path;
  std::filesystem::path p = std::filesystem::weakly_canonical(abs, ec);
  if (ec || p.empty()) p = abs.lexically_normal();
  return p.string();
}

void sort_unique(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

std::string escaped(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == ',' || c == ' ' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string joined(const std::vector<std::string>& v, bool escape) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ',';
    out += escape ? escaped(s) : s;
  }
  return out;
}

}  // namespace

std::vector<std::string> default_journal_units() {
  return {"postfix.service", "postfix@*.service"};
}

JournalSelection canonical_selection(const JournalSelection& s) {
  JournalSelection c;
  c.units = s.units.empty() ? default_journal_units() : s.units;
  sort_unique(c.units);
  for (const auto& f : s.files) c.files.push_back(canonical_path(f));
  sort_unique(c.files);
  if (!s.directory.empty()) c.directory = canonical_path(s.directory);
  return c;
}

std::vector<std::string> journalctl_argv(const JournalSelection& s, std::string_view after_cursor) {
  // Long options with '=': a value starting with '-' stays a value.
  std::vector<std::string> argv = {"journalctl", "--output=json", "--no-pager",
                                   // Fields over 4096 bytes would be null without --all.
                                   "--all", std::string("--output-fields=") + kOutputFields};
  for (const auto& f : s.files) argv.push_back("--file=" + f);
  if (!s.directory.empty()) argv.push_back("--directory=" + s.directory);
  for (const auto& u : s.units.empty() ? default_journal_units() : s.units) {
    argv.push_back("--unit=" + u);
  }
  if (!after_cursor.empty()) argv.push_back("--after-cursor=" + std::string(after_cursor));
  return argv;
}

std::string journal_source(const JournalSelection& c) {
  std::string out;
  if (!c.files.empty()) {
    out = "file=" + joined(c.files, true);
  } else if (!c.directory.empty()) {
    out = "directory=" + escaped(c.directory);
  } else {
    out = "system";
  }
  return out + " unit=" + joined(c.units.empty() ? default_journal_units() : c.units, true);
}

std::string journal_cursor_key(const JournalSelection& c) {
  return "journal_cursor:" + journal_source(c);
}

std::string journal_lines_key(const JournalSelection& c) {
  return "journal_lines:" + journal_source(c);
}

std::string journal_input_name(const JournalSelection& c) {
  if (!c.files.empty()) return "journal:" + joined(c.files, false);
  if (!c.directory.empty()) return "journal:" + c.directory;
  return "journal";
}

JournalReader::JournalReader(const JournalSelection& selection, std::string_view after_cursor,
                             std::string name, std::chrono::milliseconds timeout)
    : timeout_(timeout) {
  std::vector<std::string> args = journalctl_argv(selection, after_cursor);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  Fd out_r, out_w, err_r, err_w;
  make_pipe(out_r, out_w);
  make_pipe(err_r, err_w);
  SpawnActions actions;
  check(posix_spawn_file_actions_addopen(&actions.a, STDIN_FILENO, "/dev/null", O_RDONLY, 0));
  check(posix_spawn_file_actions_adddup2(&actions.a, out_w.get(), STDOUT_FILENO));
  check(posix_spawn_file_actions_adddup2(&actions.a, err_w.get(), STDERR_FILENO));
  SpawnAttr attr;
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  sigset_t mask;
  sigemptyset(&mask);
  check(posix_spawnattr_setsigdefault(&attr.a, &defaults));
  check(posix_spawnattr_setsigmask(&attr.a, &mask));
  // A group of its own (pgid = its pid): the watchdog's kill reaches what
  // it started too, which would otherwise hold the output pipe open.
  check(posix_spawnattr_setpgroup(&attr.a, 0));
  check(posix_spawnattr_setflags(
      &attr.a, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP));

  // An inherited SIG_IGN for SIGCHLD would reap journalctl behind our back
  // and lose its exit status.
  struct sigaction chld {};
  if (::sigaction(SIGCHLD, nullptr, &chld) == 0 && chld.sa_handler == SIG_IGN) {
    ::signal(SIGCHLD, SIG_DFL);
  }

  err_text_.reserve(kJournalStderrBytes);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, "journalctl", &actions.a, &attr.a, argv.data(), environ);
  if (rc != 0) throw spawn_error(rc);
  pid_ = pid;
  // From here on journalctl runs: every way out reaps it.
  out_w.reset();
  err_w.reset();
  try {
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    watch_thread_ = std::thread([this, deadline] { watch(deadline); });
    err_fd_ = err_r.release();
    err_thread_ = std::thread(drain, err_fd_, std::ref(err_text_));
    lines_ = LineSource::from_fd(out_r.release(), std::move(name));
  } catch (...) {
    stop();
    throw;
  }
}

JournalReader::~JournalReader() { stop(); }

bool JournalReader::timed_out() {
  std::lock_guard<std::mutex> lock(watch_mutex_);
  return timed_out_;
}

void JournalReader::watch(std::chrono::steady_clock::time_point deadline) noexcept {
  std::unique_lock<std::mutex> lock(watch_mutex_);
  if (watch_cv_.wait_until(lock, deadline, [this] { return watch_done_; })) return;
  timed_out_ = true;
  ::kill(-pid_, SIGKILL);  // not reaped yet (stop_watch() comes first): the group is ours
}

void JournalReader::stop_watch() noexcept {
  {
    std::lock_guard<std::mutex> lock(watch_mutex_);
    watch_done_ = true;
  }
  watch_cv_.notify_all();
  if (watch_thread_.joinable()) {
    try {
      watch_thread_.join();
    } catch (const std::system_error&) {
    }
  }
}

int JournalReader::wait_child() noexcept {
  // Exited, not reaped: the watchdog may still fire until it is stopped,
  // and the pid stays journalctl's until waitpid below.
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
  }
  stop_watch();
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) {
      status = -1;
      break;
    }
  }
  reaped_ = true;
  return status;
}

void JournalReader::stop() noexcept {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGTERM);
    lines_.reset();  // closes stdout: a journalctl still writing gets EPIPE
    wait_child();
  }
  lines_.reset();
  if (err_thread_.joinable()) {
    try {
      err_thread_.join();  // stderr ends with journalctl
    } catch (const std::system_error&) {
    }
  }
  if (err_fd_ >= 0) {
    ::close(err_fd_);
    err_fd_ = -1;
  }
}

std::string JournalReader::finish() {
  const int status = reaped_ ? -1 : wait_child();
  stop();
  if (timed_out_) {
    throw JournalTimeoutError("journalctl did not finish within " + seconds_text(timeout_) +
                              " (--journal-timeout): killed, nothing of this run stored");
  }
  std::string first = first_line(err_text_);
  if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) return first;
  std::string how;
  if (status == -1) {
    how = "exit status unknown";
  } else if (WIFEXITED(status)) {
    how = "exit status " + std::to_string(WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    how = "killed by signal " + std::to_string(WTERMSIG(status));
  } else {
    how = "status " + std::to_string(status);
  }
  throw InputError("journalctl failed (" + how + ")" + (first.empty() ? "" : ": " + first));
}

}  // namespace pftls
