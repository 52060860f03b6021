// pseudonym_key: one random key per database, created by an ingest, only
// read by queries.
#include "app/pseudonym_key.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "report/evidence_report.h"
#include "store/sqlite_store.h"

namespace pftls {
namespace {

namespace fs = std::filesystem;

class PseudonymKey : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           (std::string("pftls_pseudonym_key_") +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
            std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string db(const char* name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(PseudonymKey, CreatedOnceAndKept) {
  SqliteStore store(db("a.db"), SqliteStore::Mode::kReadWrite);
  EXPECT_EQ(load_pseudonym_key(store), std::nullopt);
  ensure_pseudonym_key(store);
  const auto key = load_pseudonym_key(store);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->size(), kPseudonymKeyBytes);
  EXPECT_NE(*key, std::string(kPseudonymKeyBytes, '\0'));
  ensure_pseudonym_key(store);
  EXPECT_EQ(load_pseudonym_key(store), key);
}

TEST_F(PseudonymKey, EachDatabaseGetsItsOwn) {
  SqliteStore a(db("a.db"), SqliteStore::Mode::kReadWrite);
  SqliteStore b(db("b.db"), SqliteStore::Mode::kReadWrite);
  ensure_pseudonym_key(a);
  ensure_pseudonym_key(b);
  EXPECT_NE(load_pseudonym_key(a), load_pseudonym_key(b));
  EXPECT_NE(pseudonym(*load_pseudonym_key(a), "user", "alice"),
            pseudonym(*load_pseudonym_key(b), "user", "alice"));
}

TEST_F(PseudonymKey, ADamagedKeyIsAStoreError) {
  SqliteStore store(db("a.db"), SqliteStore::Mode::kReadWrite);
  for (const char* bad : {"", "00", "zz", "not a key"}) {
    store.set_setting(kPseudonymKeySetting, bad);
    EXPECT_THROW(load_pseudonym_key(store), StoreError) << bad;
  }
  store.set_setting(kPseudonymKeySetting, std::string(2 * kPseudonymKeyBytes, 'g'));
  EXPECT_THROW(load_pseudonym_key(store), StoreError);
}

}  // namespace
}  // namespace pftls
