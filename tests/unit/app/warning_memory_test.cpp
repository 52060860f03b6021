// warning_memory: a kind warns once a day, the memory lives in a setting,
// and it is bounded.
#include "app/warning_memory.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "store/sqlite_store.h"

namespace pftls {
namespace {

namespace fs = std::filesystem;

class WarningMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           (std::string("pftls_warning_memory_") +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
            std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store_.emplace((dir_ / "db").string(), SqliteStore::Mode::kReadWrite);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  fs::path dir_;
  std::optional<SqliteStore> store_;
};

constexpr std::int64_t kDay = WarningMemory::kQuietSeconds;

TEST_F(WarningMemoryTest, OnceADayPerKind) {
  {
    WarningMemory m(*store_, 1'000'000);
    EXPECT_TRUE(m.fresh("unrecognised postfix/smtpd line"));
    EXPECT_TRUE(m.fresh("unrecognised postfix/smtpd line"));  // the same run: all its lines
    m.save(*store_);
  }
  {
    WarningMemory m(*store_, 1'000'000 + kDay - 1);
    EXPECT_FALSE(m.fresh("unrecognised postfix/smtpd line"));
    EXPECT_TRUE(m.fresh("malformed lines"));
    m.save(*store_);
  }
  {
    WarningMemory m(*store_, 1'000'000 + kDay);
    EXPECT_TRUE(m.fresh("unrecognised postfix/smtpd line"));
    EXPECT_FALSE(m.fresh("malformed lines"));
  }
}

TEST_F(WarningMemoryTest, NotSavedNotRemembered) {
  {
    WarningMemory m(*store_, 5000);
    EXPECT_TRUE(m.fresh("zone"));  // a run that failed: no save()
  }
  WarningMemory m(*store_, 5001);
  EXPECT_TRUE(m.fresh("zone"));
}

TEST_F(WarningMemoryTest, ClockSetBackWarnsAgain) {
  {
    WarningMemory m(*store_, 10 * kDay);
    EXPECT_TRUE(m.fresh("zone"));
    m.save(*store_);
  }
  WarningMemory m(*store_, 5 * kDay);
  EXPECT_TRUE(m.fresh("zone"));
}

TEST_F(WarningMemoryTest, BoundedAndDamageTolerant) {
  store_->set_setting(WarningMemory::kSetting, "garbage\nx y\n12\n 7 z\n99 ok kind\n");
  {
    WarningMemory m(*store_, 100);
    EXPECT_FALSE(m.fresh("ok kind"));
    for (int i = 0; i < 200; ++i) m.fresh("kind " + std::to_string(i) + std::string(500, 'x'));
    m.save(*store_);
  }
  const std::string text = store_->setting(WarningMemory::kSetting).value_or("");
  std::size_t lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_EQ(lines, WarningMemory::kMaxKinds);
  EXPECT_LT(text.size(), WarningMemory::kMaxKinds * (WarningMemory::kMaxKindBytes + 24));
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
}

TEST_F(WarningMemoryTest, ControlsStripped) {
  {
    WarningMemory m(*store_, 100);
    EXPECT_TRUE(m.fresh("unrecognised postfix/a\nb\x1b[31m line"));
    m.save(*store_);
  }
  const std::string text = store_->setting(WarningMemory::kSetting).value_or("");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
}

}  // namespace
}  // namespace pftls
