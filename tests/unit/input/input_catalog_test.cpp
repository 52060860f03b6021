// Unit tests for input_catalog: rotation names, the order of a plan, the
// rotated rest of a log named alone, and which files are skipped unread.
// Every test works in its own temporary directory.
#include "input/input_catalog.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "input/line_source.h"
#include "temp_dir.h"

namespace pftls {
namespace {

namespace fs = std::filesystem;

struct RotationCase {
  std::string path;
  std::string base;
  int number;
};

TEST(SplitRotation, Table) {
  const RotationCase cases[] = {
      {"mail.log", "mail.log", 0},           {"mail.log.1", "mail.log", 1},
      {"mail.log.2.gz", "mail.log", 2},      {"/var/log/mail.log.30.zst", "/var/log/mail.log", 30},
      {"mail.log.7.bz2", "mail.log", 7},     {"mail.log.3.xz", "mail.log", 3},
      {"mail.log.gz", "mail.log.gz", 0},                       // compressed, but no number
      {"mail.log.1234", "mail.log.1234", 0},                   // too many digits for a rotation
      {"mail.log.1a", "mail.log.1a", 0},     {".1", ".1", 0},  // nothing before the number
      {"mail.log.", "mail.log.", 0},
  };
  for (const auto& c : cases) {
    std::string base = "unset";
    int number = -1;
    split_rotation(c.path, base, number);
    EXPECT_EQ(base, c.base) << c.path;
    EXPECT_EQ(number, c.number) << c.path;
  }
}

class InputCatalogTest : public TempDirTest {
 protected:
  std::string write_gz(const std::string& name, const std::string& content) {
    const std::string plain = write(name + ".plain", content);
    const std::string cmd = "gzip -c -q < '" + plain + "' > '" + path(name) + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    fs::remove(plain);
    return path(name);
  }

  // A record as the store would give it back after a run that read
  // `offset` bytes of a file starting with `content`.
  static InputRecord record(std::int64_t id, const std::string& at, const std::string& content,
                            std::uint64_t offset, Micros read_at) {
    InputRecord r;
    r.id = id;
    r.path = at;
    r.fingerprint = content.substr(0, kFingerprintBytes);
    r.offset = offset;
    r.last_read_at = read_at;
    return r;
  }

  static std::vector<std::string> paths_of(const std::vector<PlannedInput>& plan) {
    std::vector<std::string> out;
    for (const auto& in : plan) out.push_back(in.path);
    return out;
  }
};

TEST_F(InputCatalogTest, RotationsOldestFirstWhateverTheOrderNamed) {
  const std::string live = write("mail.log", "live 1\nlive 2\n");
  const std::string one = write("mail.log.1", "one 1\n");
  const std::string two = write_gz("mail.log.2.gz", "two 1\n");
  const std::string other = write("other.log", "other 1\n");
  InputCatalog catalog({});
  std::vector<std::string> warnings;
  const auto plan = catalog.plan({live, other, two, one, live}, warnings);
  EXPECT_EQ(paths_of(plan), (std::vector<std::string>{two, one, live, other}));
  EXPECT_TRUE(warnings.empty());
  ASSERT_EQ(plan.size(), 4u);
  EXPECT_TRUE(plan[0].rotated);
  EXPECT_TRUE(plan[1].rotated);
  EXPECT_FALSE(plan[2].rotated);
  EXPECT_EQ(plan[0].prefix, "two 1\n");  // decoded, not the gzip bytes
  EXPECT_EQ(plan[2].prefix, "live 1\nlive 2\n");
  for (const auto& in : plan) {
    ASSERT_NE(in.record, nullptr) << in.path;
    EXPECT_EQ(in.record->id, 0) << in.path;  // new: not stored yet
    EXPECT_EQ(in.record->path, in.path);
  }
}

TEST_F(InputCatalogTest, EveryStdinIsReadInItsPlace) {
  const std::string live = write("mail.log", "live\n");
  InputCatalog catalog({});
  std::vector<std::string> warnings;
  const auto plan = catalog.plan({"-", live, "-"}, warnings);
  EXPECT_EQ(paths_of(plan), (std::vector<std::string>{"-", live, "-"}));
  EXPECT_EQ(plan[0].record, nullptr);
  EXPECT_EQ(plan[2].record, nullptr);
}

TEST_F(InputCatalogTest, EmptyFileHasNoRecord) {
  const std::string empty = write("empty.log", "");
  InputCatalog catalog({});
  std::vector<std::string> warnings;
  const auto plan = catalog.plan({empty}, warnings);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].record, nullptr);
}

TEST_F(InputCatalogTest, MissingFileIsAnInputError) {
  InputCatalog catalog({});
  std::vector<std::string> warnings;
  EXPECT_THROW(catalog.plan({path("absent.log")}, warnings), InputError);
}

TEST_F(InputCatalogTest, GrownFileMatchesItsRecordAndResumes) {
  const std::string old_text = "a 1\na 2\n";
  const std::string live = write("mail.log", old_text + "a 3\n");
  InputCatalog catalog({record(5, live, old_text, old_text.size(), 100)});
  std::vector<std::string> warnings;
  const auto plan = catalog.plan({live}, warnings);
  ASSERT_EQ(plan.size(), 1u);
  ASSERT_NE(plan[0].record, nullptr);
  EXPECT_EQ(plan[0].record->id, 5);
  EXPECT_EQ(plan[0].record->offset, old_text.size());
  EXPECT_TRUE(warnings.empty());
}

TEST_F(InputCatalogTest, RotatedSinceLastRunReadsTheRestFirst) {
  // Last run read 8 bytes of a file that is now mail.log.2.gz; mail.log.1
  // came after it, and mail.log is new.
  const std::string old_text = "a 1\na 2\nlater\n";
  const std::string two = write_gz("mail.log.2.gz", old_text);
  const std::string one = write("mail.log.1", "b 1\n");
  const std::string three = write("mail.log.3", "older than the record\n");
  const std::string live = write("mail.log", "c 1\n");
  InputCatalog catalog({record(9, live, "a 1\na 2\n", 8, 100)});
  std::vector<std::string> warnings;
  const auto plan = catalog.plan({live}, warnings);
  EXPECT_EQ(paths_of(plan), (std::vector<std::string>{two, one, live}));
  EXPECT_TRUE(warnings.empty());
  ASSERT_EQ(plan.size(), 3u);
  ASSERT_NE(plan[0].record, nullptr);
  EXPECT_EQ(plan[0].record->id, 9);  // the old file keeps its record and offset
  EXPECT_EQ(plan[0].record->offset, 8u);
  EXPECT_TRUE(plan[0].rotated);
  ASSERT_NE(plan[1].record, nullptr);
  EXPECT_EQ(plan[1].record->id, 0);
  ASSERT_NE(plan[2].record, nullptr);
  EXPECT_EQ(plan[2].record->id, 0);
  EXPECT_FALSE(plan[2].rotated);
}

TEST_F(InputCatalogTest, TheNewestRecordOfAPathDecides) {
  const std::string live = write("mail.log", "c 1\n");
  const std::string one = write("mail.log.1", "b 1\nb 2\n");
  write("mail.log.2", "a 1\n");
  InputCatalog catalog({record(1, live, "a 1\n", 4, 100), record(2, live, "b 1\n", 4, 200)});
  std::vector<std::string> warnings;
  const auto plan = catalog.plan({live}, warnings);
  EXPECT_EQ(paths_of(plan), (std::vector<std::string>{one, live}));
  ASSERT_NE(plan[0].record, nullptr);
  EXPECT_EQ(plan[0].record->id, 2);
}

TEST_F(InputCatalogTest, RotatedRestNotFoundIsAWarning) {
  const std::string live = write("mail.log", "new\n");
  write("mail.log.1", "unrelated\n");
  InputCatalog catalog({record(3, live, "gone\n", 5, 100)});
  std::vector<std::string> warnings;
  const auto plan = catalog.plan({live}, warnings);
  EXPECT_EQ(paths_of(plan), (std::vector<std::string>{live}));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], live +
                             " was rotated since the last run and the rest of the old file "
                             "(from byte 5) was not found among its rotations");
}

TEST_F(InputCatalogTest, CompleteRecordIsNotLookedFor) {
  // A finished record of the path does not ask for its rest.
  const std::string live = write("mail.log", "new\n");
  InputRecord done = record(3, live, "gone\n", 5, 100);
  done.complete = true;
  InputCatalog catalog({done});
  std::vector<std::string> warnings;
  EXPECT_EQ(paths_of(catalog.plan({live}, warnings)), (std::vector<std::string>{live}));
  EXPECT_TRUE(warnings.empty());
}

TEST(InputCatalogUnchanged, Table) {
  InputRecord stored;
  stored.id = 4;
  stored.size = 100;
  stored.mtime = 50;
  InputRecord complete = stored;
  complete.complete = true;
  InputRecord torn = stored;
  torn.pending_bytes = 3;
  InputRecord unsaved = stored;
  unsaved.id = 0;
  struct Case {
    const char* what;
    InputRecord* record;
    std::optional<std::uint64_t> size;
    std::int64_t mtime;
    bool unchanged;
  };
  const Case cases[] = {
      {"same size and mtime", &stored, 100, 50, true},
      {"grown", &stored, 120, 50, false},
      {"touched", &stored, 100, 51, false},
      {"no size (a pipe)", &stored, std::nullopt, 50, false},
      {"complete", &complete, 999, 0, true},
      {"torn line held back", &torn, 100, 50, false},
      {"not stored yet", &unsaved, 100, 50, false},
      {"no record", nullptr, 100, 50, false},
  };
  for (const auto& c : cases) {
    PlannedInput in;
    in.path = "x";
    in.record = c.record;
    EXPECT_EQ(InputCatalog::unchanged(in, c.size, c.mtime), c.unchanged) << c.what;
  }
}

}  // namespace
}  // namespace pftls
