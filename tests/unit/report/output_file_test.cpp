// output_file: a report is written whole through a rename, or not at all;
// planted names are not followed; nodes that are no regular file are
// written in place; write errors are errors.
#include "report/output_file.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace pftls {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class OutputFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("pftls_output_file_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The names in the directory, sorted.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  fs::path dir_;
};

TEST_F(OutputFileTest, WritesTheFileAndLeavesNoTemporary) {
  const fs::path path = dir_ / "report.csv";
  write_output(path.string(), [](std::ostream& out) { out << "a,b\r\n"; });
  EXPECT_EQ(read_all(path), "a,b\r\n");
  EXPECT_EQ(names(), std::vector<std::string>{"report.csv"});
}

TEST_F(OutputFileTest, AFailedWriteLeavesTheOldFileAndNoTemporary) {
  const fs::path path = dir_ / "report.csv";
  write_output(path.string(), [](std::ostream& out) { out << "old"; });
  EXPECT_THROW(write_output(path.string(),
                            [](std::ostream& out) {
                              out << "half";
                              throw std::runtime_error("writer failed");
                            }),
               std::runtime_error);
  EXPECT_EQ(read_all(path), "old");
  EXPECT_EQ(names(), std::vector<std::string>{"report.csv"});
}

TEST_F(OutputFileTest, AnUnwritableDirectoryIsAnErrorNamingThePath) {
  const std::string path = (dir_ / "missing" / "report.csv").string();
  try {
    write_output(path, [](std::ostream& out) { out << "x"; });
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot write " + path + ": No such file or directory");
  }
}

// Whoever can write the directory may plant the old temporary name as a
// symlink to a file of root's: it is neither followed nor truncated.
TEST_F(OutputFileTest, APlantedTemporaryNameIsNotFollowed) {
  const fs::path victim = dir_ / "victim";
  { std::ofstream(victim) << "precious"; }
  const fs::path path = dir_ / "report.csv";
  for (const char* suffix : {".tmp", ".XXXXXX"}) {
    fs::create_symlink(victim, path.string() + suffix);
  }
  write_output(path.string(), [](std::ostream& out) { out << "report"; });
  EXPECT_EQ(read_all(victim), "precious");
  EXPECT_EQ(read_all(path), "report");
  EXPECT_FALSE(fs::is_symlink(path));
  EXPECT_EQ(names().size(), 4u) << "victim, report.csv and the two planted links";
}

TEST_F(OutputFileTest, ANewFileGetsTheUmaskModeAReplacedOneKeepsItsMode) {
  const mode_t old_mask = ::umask(022);
  const fs::path path = dir_ / "report.csv";
  write_output(path.string(), [](std::ostream& out) { out << "a"; });
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  write_output(path.string(), [](std::ostream& out) { out << "b"; });
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  ::umask(old_mask);
}

// -o /dev/null must not replace the device node by a regular file (as root
// the rename would succeed), nor -o LINK the link.
// As root the test makes its own null device, so that a regression cannot
// replace the machine's /dev/null; others cannot replace it anyway.
TEST_F(OutputFileTest, ADeviceIsWrittenInPlace) {
  fs::path null = "/dev/null";
  if (::geteuid() == 0) {
    null = dir_ / "null";
    ASSERT_EQ(::mknod(null.c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  }
  write_output(null.string(), [](std::ostream& out) { out << "discarded"; });
  struct stat st;
  ASSERT_EQ(::lstat(null.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  if (::geteuid() == 0) {
    EXPECT_EQ(names(), std::vector<std::string>{"null"});
  }
}

TEST_F(OutputFileTest, ASymlinkIsWrittenThroughNotReplaced) {
  const fs::path target = dir_ / "target";
  { std::ofstream(target) << "old old old"; }
  const fs::path link = dir_ / "link";
  fs::create_symlink(target, link);
  write_output(link.string(), [](std::ostream& out) { out << "new"; });
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(read_all(target), "new");
  EXPECT_EQ(names().size(), 2u);
}

TEST_F(OutputFileTest, AFifoIsWrittenInPlace) {
  const fs::path fifo = dir_ / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string got;
  std::thread reader([&] { got = read_all(fifo); });
  write_output(fifo.string(), [](std::ostream& out) { out << "through the pipe"; });
  reader.join();
  EXPECT_EQ(got, "through the pipe");
  struct stat st;
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST_F(OutputFileTest, AFullDeviceIsAnError) {
  fs::path full = "/dev/full";  // as root: our own, as for /dev/null above
  if (::geteuid() == 0) {
    full = dir_ / "full";
    ASSERT_EQ(::mknod(full.c_str(), S_IFCHR | 0666, makedev(1, 7)), 0);
  }
  try {
    write_output(full.string(), [](std::ostream& out) { out << "x"; });
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot write " + full.string() + ": No space left on device");
  }
  struct stat st;
  ASSERT_EQ(::lstat(full.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST_F(OutputFileTest, AnUncommittedFileLeavesNothingBehind) {
  const fs::path path = dir_ / "unrecognised.txt";
  { std::ofstream(path) << "old"; }
  {
    OutputFile file(path.string());
    file.stream() << std::string(200000, 'x');  // more than one buffer
  }
  EXPECT_EQ(read_all(path), "old");
  EXPECT_EQ(names(), std::vector<std::string>{"unrecognised.txt"});
}

}  // namespace
}  // namespace pftls
