// incident_hook: posix_spawnp with a pipe on stdin, written with a deadline.
#include "app/incident_hook.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "base/text.h"
#include "report/fd_stream_buf.h"

extern char** environ;

namespace pftls {
namespace {

using Clock = std::chrono::steady_clock;

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
    // Each write waits for room until the deadline; after EPIPE (the
    // command no longer reads) or the deadline the stream goes bad, which
    // ends the feeding.
    FdStreamBuf buf(in_w.fd, deadline);
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
    timed_out = buf.error() == ETIMEDOUT;
    in_w.reset();  // end of input for the command
  }
  return reap(pid, deadline, name, limit, timed_out);
}

}  // namespace pftls
