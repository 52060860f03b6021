// output_file: a report is written whole through a rename, or not at all.
#include "report/output_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace pftls {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class OutputFile : public ::testing::Test {
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
  fs::path dir_;
};

TEST_F(OutputFile, WritesTheFileAndLeavesNoTemporary) {
  const fs::path path = dir_ / "report.csv";
  write_output(path.string(), [](std::ostream& out) { out << "a,b\r\n"; });
  EXPECT_EQ(read_all(path), "a,b\r\n");
  EXPECT_FALSE(fs::exists(dir_ / "report.csv.tmp"));
}

TEST_F(OutputFile, AFailedWriteLeavesTheOldFileAndNoTemporary) {
  const fs::path path = dir_ / "report.csv";
  write_output(path.string(), [](std::ostream& out) { out << "old"; });
  EXPECT_THROW(write_output(path.string(),
                            [](std::ostream& out) {
                              out << "half";
                              throw std::runtime_error("writer failed");
                            }),
               std::runtime_error);
  EXPECT_EQ(read_all(path), "old");
  EXPECT_FALSE(fs::exists(dir_ / "report.csv.tmp"));
}

TEST_F(OutputFile, AnUnwritableDirectoryIsAnErrorNamingThePath) {
  const std::string path = (dir_ / "missing" / "report.csv").string();
  try {
    write_output(path, [](std::ostream& out) { out << "x"; });
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot write " + path);
  }
}

}  // namespace
}  // namespace pftls
