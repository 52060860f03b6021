// Unit tests for journal_reader: the journalctl argv (units, files,
// directory, cursor), the source description that keys the stored cursor,
// the evidence name, and the child process plumbing against a stand-in
// `journalctl` (a shell script first on PATH): lines, exit status, stderr
// (first line, bounded, drained while stdout is read), a missing binary, and
// a reader dropped before the end (journalctl stopped and reaped).
#include "input/journal_reader.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace pftls {
namespace {

namespace fs = std::filesystem;
using Args = std::vector<std::string>;

const Args kFixed = {"journalctl", "--output=json", "--no-pager", "--all",
                     "--output-fields=MESSAGE,SYSLOG_IDENTIFIER,SYSLOG_PID,_PID,_HOSTNAME"};

Args with_fixed(const Args& rest) {
  Args a = kFixed;
  a.insert(a.end(), rest.begin(), rest.end());
  return a;
}

TEST(JournalArgv, DefaultUnitsSystemJournalFromTheStart) {
  EXPECT_EQ(journalctl_argv({}, ""),
            with_fixed({"--unit=postfix.service", "--unit=postfix@*.service"}));
}

TEST(JournalArgv, UnitsReplaceTheDefaultOnePerUnit) {
  JournalSelection s;
  s.units = {"postfix-in@*.service", "-odd.service"};
  EXPECT_EQ(journalctl_argv(s, ""),
            with_fixed({"--unit=postfix-in@*.service", "--unit=-odd.service"}));
}

TEST(JournalArgv, FilesDirectoryAndCursor) {
  JournalSelection f;
  f.files = {"/var/log/journal/remote/remote-a.journal", "/srv/b.journal"};
  EXPECT_EQ(
      journalctl_argv(f, "s=1;i=2"),
      with_fixed({"--file=/var/log/journal/remote/remote-a.journal", "--file=/srv/b.journal",
                  "--unit=postfix.service", "--unit=postfix@*.service", "--after-cursor=s=1;i=2"}));
  JournalSelection d;
  d.directory = "/var/log/journal/remote";
  d.units = {"postfix@-.service"};
  EXPECT_EQ(journalctl_argv(d, ""),
            with_fixed({"--directory=/var/log/journal/remote", "--unit=postfix@-.service"}));
}

TEST(JournalSource, CanonicalSelection) {
  JournalSelection s;
  s.units = {"b.service", "a.service", "b.service"};
  s.files = {"rel/x.journal", "/abs/y.journal", "/abs/./y.journal"};
  JournalSelection c = canonical_selection(s);
  EXPECT_EQ(c.units, (Args{"a.service", "b.service"}));
  ASSERT_EQ(c.files.size(), 2u);
  EXPECT_EQ(c.files[0], "/abs/y.journal");
  EXPECT_EQ(c.files[1], (fs::current_path() / "rel/x.journal").string());
  EXPECT_EQ(canonical_selection({}).units, default_journal_units());
}

TEST(JournalSource, KeysTellSourcesApart) {
  JournalSelection system = canonical_selection({});
  JournalSelection file;
  file.files = {"/srv/remote.journal"};
  file = canonical_selection(file);
  JournalSelection dir;
  dir.directory = "/srv/journal";
  dir = canonical_selection(dir);
  JournalSelection ssh;
  ssh.units = {"ssh.service"};
  ssh = canonical_selection(ssh);

  EXPECT_EQ(journal_cursor_key(system),
            "journal_cursor:system unit=postfix.service,postfix@*.service");
  EXPECT_EQ(journal_cursor_key(file),
            "journal_cursor:file=/srv/remote.journal unit=postfix.service,postfix@*.service");
  EXPECT_EQ(journal_cursor_key(dir),
            "journal_cursor:directory=/srv/journal unit=postfix.service,postfix@*.service");
  EXPECT_EQ(journal_cursor_key(ssh), "journal_cursor:system unit=ssh.service");
  EXPECT_EQ(journal_lines_key(file),
            "journal_lines:file=/srv/remote.journal unit=postfix.service,postfix@*.service");

  // The same units in another order, given twice: the same source.
  JournalSelection reordered;
  reordered.units = {"postfix@*.service", "postfix.service", "postfix.service"};
  EXPECT_EQ(journal_cursor_key(canonical_selection(reordered)), journal_cursor_key(system));

  // Separators inside names are escaped: these two never share a key.
  JournalSelection one, two;
  one.files = {"/a,b.journal"};
  two.files = {"/a", "/b.journal"};
  EXPECT_NE(journal_source(canonical_selection(one)), journal_source(canonical_selection(two)));
  EXPECT_EQ(journal_source(canonical_selection(one)),
            "file=/a\\,b.journal unit=postfix.service,postfix@*.service");
}

TEST(JournalSource, InputName) {
  EXPECT_EQ(journal_input_name(canonical_selection({})), "journal");
  JournalSelection f;
  f.files = {"/srv/b.journal", "/srv/a.journal"};
  EXPECT_EQ(journal_input_name(canonical_selection(f)), "journal:/srv/a.journal,/srv/b.journal");
  JournalSelection d;
  d.directory = "/srv/journal";
  EXPECT_EQ(journal_input_name(canonical_selection(d)), "journal:/srv/journal");
}

// A directory first on PATH holding a stand-in `journalctl` script; PATH is
// restored afterwards.
class FakeJournalctl : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pftls-journal-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    const char* path = std::getenv("PATH");
    old_path_ = path ? path : "";
    ::setenv("PATH", (dir_.string() + ":/usr/bin:/bin").c_str(), 1);
  }
  void TearDown() override {
    ::setenv("PATH", old_path_.c_str(), 1);
    fs::remove_all(dir_);
  }
  void script(const std::string& body) {
    const fs::path p = dir_ / "journalctl";
    std::ofstream(p) << "#!/bin/sh\n" << body << "\n";
    ::chmod(p.c_str(), 0755);
  }
  std::vector<std::string> read_lines(JournalReader& r) {
    std::vector<std::string> out;
    Line line;
    while (r.lines().next(line)) out.emplace_back(line.text);
    return out;
  }

  fs::path dir_;
  std::string old_path_;
};

TEST_F(FakeJournalctl, LinesAndArguments) {
  script("for a in \"$@\"; do printf '%s\\n' \"$a\"; done");
  JournalSelection s;
  s.files = {"/srv/x.journal"};
  JournalReader r(s, "s=abc", "journal:/srv/x.journal");
  EXPECT_EQ(r.lines().name(), "journal:/srv/x.journal");
  Args args = journalctl_argv(s, "s=abc");
  EXPECT_EQ(read_lines(r), Args(args.begin() + 1, args.end()));
  EXPECT_EQ(r.finish(), "");
}

TEST_F(FakeJournalctl, StdinIsEmpty) {
  script("cat; echo done");
  JournalReader r({}, "", "journal");
  EXPECT_EQ(read_lines(r), Args{"done"});
  EXPECT_EQ(r.finish(), "");
}

TEST_F(FakeJournalctl, FailureNamesJournalctlAndItsFirstStderrLine) {
  script(
      "echo '{}'; printf '\\nFailed to open files: No such file or directory\\nmore\\n' >&2; exit "
      "1");
  JournalReader r({}, "", "journal");
  EXPECT_EQ(read_lines(r), Args{"{}"});
  try {
    r.finish();
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_STREQ(
        e.what(),
        "journalctl failed (exit status 1): Failed to open files: No such file or directory");
  }
}

TEST_F(FakeJournalctl, KilledBySignal) {
  script("kill -9 $$");
  JournalReader r({}, "", "journal");
  EXPECT_TRUE(read_lines(r).empty());
  EXPECT_THROW(r.finish(), InputError);
}

TEST_F(FakeJournalctl, StderrOfSuccessIsAWarning) {
  script("echo 'Journal file x.journal is truncated, ignoring file.' >&2");
  JournalReader r({}, "", "journal");
  EXPECT_TRUE(read_lines(r).empty());
  EXPECT_EQ(r.finish(), "Journal file x.journal is truncated, ignoring file.");
}

TEST_F(FakeJournalctl, StderrFloodDoesNotBlockAndIsBounded) {
  // 1 MiB on stderr before any stdout: more than a pipe holds.
  script(
      "yes 'warning: something long enough to fill a pipe quickly' | head -c 1048576 >&2; "
      "echo one; echo two; exit 3");
  JournalReader r({}, "", "journal");
  EXPECT_EQ(read_lines(r), (Args{"one", "two"}));
  try {
    r.finish();
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_STREQ(
        e.what(),
        "journalctl failed (exit status 3): warning: something long enough to fill a pipe quickly");
  }
}

TEST_F(FakeJournalctl, NeverExitingIsKilledAtItsTimeLimit) {
  // Not exec: the sleep is a child that keeps the output pipe open, so only
  // a kill of the whole group ends the output.
  script("echo '{}'; echo $$ > '" + (dir_ / "pid").string() + "'; sleep 1000; echo late");
  const auto start = std::chrono::steady_clock::now();
  JournalReader r({}, "", "journal", std::chrono::milliseconds(300));
  EXPECT_EQ(read_lines(r), Args{"{}"});
  EXPECT_TRUE(r.timed_out());
  try {
    r.finish();
    FAIL() << "no JournalTimeoutError";
  } catch (const JournalTimeoutError& e) {
    EXPECT_STREQ(e.what(),
                 "journalctl did not finish within 0.3 s (--journal-timeout): killed, nothing "
                 "of this run stored");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  pid_t pid = -1;
  std::ifstream(dir_ / "pid") >> pid;
  ASSERT_GT(pid, 0);
  errno = 0;
  EXPECT_EQ(::kill(pid, 0), -1);  // reaped
  EXPECT_EQ(errno, ESRCH);
}

TEST_F(FakeJournalctl, FinishingInTimeIsNotKilled) {
  script("echo '{}'; sleep 0.2");
  JournalReader r({}, "", "journal", std::chrono::milliseconds(5000));
  EXPECT_EQ(read_lines(r), Args{"{}"});
  EXPECT_EQ(r.finish(), "");
  EXPECT_FALSE(r.timed_out());
}

TEST_F(FakeJournalctl, MissingJournalctl) {
  ::setenv("PATH", dir_.string().c_str(), 1);  // an empty directory
  try {
    JournalReader r({}, "", "journal");
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "cannot run journalctl: No such file or directory");
  }
}

TEST_F(FakeJournalctl, DroppedEarlyStopsAndReapsJournalctl) {
  // The script writes its pid, which `exec` hands on to yes.
  script("echo $$ > '" + (dir_ / "pid").string() + "'; exec yes '{\"MESSAGE\":\"x\"}'");
  {
    JournalReader r({}, "", "journal");
    Line line;
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(r.lines().next(line));
  }  // as when an exception leaves the read loop
  pid_t pid = -1;
  std::ifstream(dir_ / "pid") >> pid;
  ASSERT_GT(pid, 0);
  errno = 0;
  EXPECT_EQ(::kill(pid, 0), -1);  // no process, not even a zombie
  EXPECT_EQ(errno, ESRCH);
}

}  // namespace
}  // namespace pftls
