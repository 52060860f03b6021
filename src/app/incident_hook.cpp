// incident_hook: posix_spawnp with a pipe on stdin, written with a deadline.
#include "app/incident_hook.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <streambuf>
#include <thread>

#include "base/text.h"

extern char** environ;

namespace pftls {
namespace {

using Clock = std::chrono::steady_clock;

// An output buffer over a non-blocking pipe: each write waits for room
// until the deadline. After EPIPE (the reader is gone) or the deadline,
// writes fail and the stream goes bad, which ends the feeding.
class PipeBuf final : public std::streambuf {
 public:
  PipeBuf(int fd, Clock::time_point deadline) : fd_(fd), deadline_(deadline) {
    setp(buf_.data(), buf_.data() + buf_.size());
  }
  bool timed_out() const { return timed_out_; }

 protected:
  int_type overflow(int_type ch) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  bool drain() {
    const char* p = pbase();
    while (p < pptr()) {
      if (failed_) return false;
      const ssize_t n = ::write(fd_, p, static_cast<std::size_t>(pptr() - p));
      if (n > 0) {
        p += n;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
        if (left.count() <= 0) {
          timed_out_ = failed_ = true;
          break;
        }
        pollfd pfd{fd_, POLLOUT, 0};
        ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
        continue;
      }
      failed_ = true;  // EPIPE: the command no longer reads; anything else alike
    }
    setp(buf_.data(), buf_.data() + buf_.size());
    return !failed_;
  }

  int fd_;
  Clock::time_point deadline_;
  std::array<char, 16384> buf_{};
  bool failed_ = false;
  bool timed_out_ = false;
};

// Closes the descriptor it holds when it goes.
struct Fd {
  int fd = -1;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// SIGPIPE ignored while it lives: a command gone early is EPIPE, not death.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() {
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    ok_ = ::sigaction(SIGPIPE, &ign, &old_) == 0;
  }
  ~IgnoreSigpipe() {
    if (ok_) ::sigaction(SIGPIPE, &old_, nullptr);
  }
  IgnoreSigpipe(const IgnoreSigpipe&) = delete;
  IgnoreSigpipe& operator=(const IgnoreSigpipe&) = delete;

 private:
  struct sigaction old_ {};
  bool ok_ = false;
};

std::string how_it_ended(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status) == 0 ? "" : "exit status " + std::to_string(WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// Waits for `pid` until the deadline; then kills it. "" for exit 0.
std::string reap(pid_t pid, Clock::time_point deadline, const std::string& name,
                 std::chrono::milliseconds limit, bool timed_out) {
  int status = 0;
  if (timed_out) ::kill(pid, SIGKILL);
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, timed_out ? 0 : WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return name + ": exit status unknown";
    if (r == 0) {
      if (Clock::now() >= deadline) {
        timed_out = true;
        ::kill(pid, SIGKILL);
        continue;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  if (timed_out) {
    return name + ": still running after " + std::to_string(limit.count() / 1000) + " s, killed";
  }
  const std::string how = how_it_ended(status);
  return how.empty() ? how : name + ": " + how;
}

}  // namespace

std::string run_incident_hook(const std::vector<std::string>& args,
                              const std::function<void(std::ostream&)>& feed,
                              std::chrono::milliseconds limit) {
  const std::string name = args.empty() ? std::string() : strip_controls(args[0]);
  if (args.empty()) return "--on-incident: no command";
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return "cannot run " + name + ": " + std::strerror(errno);
  Fd in_r{p[0]}, in_w{p[1]};

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&actions, in_r.fd, STDIN_FILENO);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);  // the database's, the lock's
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGCHLD);
  sigset_t mask;
  sigemptyset(&mask);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &mask);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return "cannot run " + name + ": " + std::strerror(rc);
  in_r.reset();

  const Clock::time_point deadline = Clock::now() + limit;
  bool timed_out = false;
  {
    IgnoreSigpipe ignore;
    ::fcntl(in_w.fd, F_SETFL, ::fcntl(in_w.fd, F_GETFL) | O_NONBLOCK);
    PipeBuf buf(in_w.fd, deadline);
    std::ostream out(&buf);
    try {
      feed(out);
      out.flush();
    } catch (...) {
      in_w.reset();
      ::kill(pid, SIGKILL);
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      throw;
    }
    timed_out = buf.timed_out();
    in_w.reset();  // end of input for the command
  }
  return reap(pid, deadline, name, limit, timed_out);
}

}  // namespace pftls
