// Unit tests for log_time: civil-date arithmetic, local zones at DST changes,
// year inference for yearless syslog lines, UTC formatting and the duration
// and time arguments of the command line.
//
// Expected epoch values were checked independently with GNU date, e.g.
// `date -u -d 2016-12-23T15:01:05Z +%s` = 1482505265, and the Berlin DST
// changes of 2016 with `zdump -v -c 2016,2017 Europe/Berlin`.
#include "base/log_time.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace pftls {
namespace {

// Seconds since the epoch of a civil date and time, in whatever frame
// (UTC or local) the caller means.
std::int64_t secs(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

// ---------------------------------------------------------------------------
// days_from_civil / civil_from_days

struct CivilCase {
  int year;
  unsigned month;
  unsigned day;
  std::int64_t days;  // since 1970-01-01
};

void PrintTo(const CivilCase& c, std::ostream* os) {
  *os << c.year << '-' << c.month << '-' << c.day;
}

class CivilTest : public ::testing::TestWithParam<CivilCase> {};

TEST_P(CivilTest, KnownDaysAndRoundTrip) {
  const CivilCase& c = GetParam();
  EXPECT_EQ(days_from_civil(c.year, c.month, c.day), c.days);
  int y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(c.days, y, m, d);
  EXPECT_EQ(y, c.year);
  EXPECT_EQ(m, c.month);
  EXPECT_EQ(d, c.day);
}

INSTANTIATE_TEST_SUITE_P(
    KnownDates, CivilTest,
    ::testing::Values(CivilCase{1970, 1, 1, 0},       // the epoch
                      CivilCase{1969, 12, 31, -1},    // the day before
                      CivilCase{1970, 3, 1, 59},      // 1970 is not a leap year
                      CivilCase{1972, 2, 29, 789},    // first leap day after the epoch
                      CivilCase{2000, 2, 29, 11016},  // 2000 is a leap year (div by 400)
                      CivilCase{2000, 3, 1, 11017}, CivilCase{2016, 12, 23, 17158},  // the AMEX day
                      CivilCase{2016, 2, 29, 16860},
                      CivilCase{2100, 2, 28, 47540},  // 2100 is not a leap year
                      CivilCase{2100, 3, 1, 47541},
                      CivilCase{1900, 3, 1, -25508}));  // 1900 is not a leap year either

TEST(Civil, EveryDayOverFourCenturiesRoundTripsAndIsConsecutive) {
  // From 1800-01-01 to 2200-12-31: each day maps back to itself, and the
  // civil date of day n+1 is the day after that of day n.
  const std::int64_t first = days_from_civil(1800, 1, 1);
  const std::int64_t last = days_from_civil(2200, 12, 31);
  int py = 0;
  unsigned pm = 0, pd = 0;
  civil_from_days(first, py, pm, pd);
  ASSERT_EQ(py, 1800);
  ASSERT_EQ(pm, 1u);
  ASSERT_EQ(pd, 1u);
  for (std::int64_t n = first + 1; n <= last; ++n) {
    int y = 0;
    unsigned m = 0, d = 0;
    civil_from_days(n, y, m, d);
    ASSERT_EQ(days_from_civil(y, m, d), n) << y << "-" << m << "-" << d;
    const bool leap = (py % 4 == 0 && py % 100 != 0) || py % 400 == 0;
    const unsigned month_len[] = {31, leap ? 29u : 28u, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (pd < month_len[pm - 1]) {
      ASSERT_TRUE(y == py && m == pm && d == pd + 1) << n;
    } else if (pm < 12) {
      ASSERT_TRUE(y == py && m == pm + 1 && d == 1) << n;
    } else {
      ASSERT_TRUE(y == py + 1 && m == 1 && d == 1) << n;
    }
    py = y;
    pm = m;
    pd = d;
  }
}

// ---------------------------------------------------------------------------
// LocalZone

TEST(LocalZone, UtcIsIdentity) {
  LocalZone utc("UTC");
  EXPECT_EQ(utc.name(), "UTC");
  const std::int64_t t = secs(2016, 12, 23, 16, 1, 5);
  EXPECT_EQ(utc.to_utc(t), t);
  EXPECT_EQ(utc.to_local(t), t);
  EXPECT_EQ(utc.to_utc(secs(2016, 7, 1, 12)), secs(2016, 7, 1, 12));
}

struct ZoneCase {
  const char* what;
  std::int64_t local;
  std::int64_t utc;
};

void PrintTo(const ZoneCase& c, std::ostream* os) { *os << c.what; }

class BerlinToUtcTest : public ::testing::TestWithParam<ZoneCase> {};

TEST_P(BerlinToUtcTest, ConvertsLocalToUtc) {
  LocalZone berlin("Europe/Berlin");
  EXPECT_EQ(berlin.to_utc(GetParam().local), GetParam().utc) << GetParam().what;
}

INSTANTIATE_TEST_SUITE_P(
    Berlin2016, BerlinToUtcTest,
    ::testing::Values(
        ZoneCase{"winter, CET +1", secs(2016, 12, 23, 16, 1, 5), 1482505265},
        ZoneCase{"summer, CEST +2", secs(2016, 7, 1, 12, 0, 0), 1467367200},
        // DST end: 02:00-02:59 happens twice; the earlier offset (+2) wins.
        ZoneCase{"ambiguous 02:30 at DST end", secs(2016, 10, 30, 2, 30, 0), 1477787400},
        ZoneCase{"ambiguous 02:00:00 at DST end", secs(2016, 10, 30, 2, 0, 0),
                 secs(2016, 10, 30, 0, 0, 0)},
        ZoneCase{"last CEST minute before the repeat", secs(2016, 10, 30, 1, 59, 59),
                 secs(2016, 10, 29, 23, 59, 59)},
        ZoneCase{"first unique CET second after the repeat", secs(2016, 10, 30, 3, 0, 0),
                 secs(2016, 10, 30, 2, 0, 0)},
        // DST start: 02:00-02:59 does not exist; read with the offset before (+1).
        ZoneCase{"skipped 02:30 at DST start", secs(2016, 3, 27, 2, 30, 0), 1459042200},
        ZoneCase{"last CET second before the gap", secs(2016, 3, 27, 1, 59, 59),
                 secs(2016, 3, 27, 0, 59, 59)},
        ZoneCase{"first CEST second after the gap", secs(2016, 3, 27, 3, 0, 0),
                 secs(2016, 3, 27, 1, 0, 0)}));

TEST(LocalZone, BerlinCacheDoesNotLeakOffsetsBetweenCalls) {
  // The zone caches the offset per local minute; alternating seasons and
  // seconds within one minute must still give the right answers.
  LocalZone berlin("Europe/Berlin");
  EXPECT_EQ(berlin.to_utc(secs(2016, 12, 23, 16, 1, 5)), secs(2016, 12, 23, 15, 1, 5));
  EXPECT_EQ(berlin.to_utc(secs(2016, 12, 23, 16, 1, 59)), secs(2016, 12, 23, 15, 1, 59));
  EXPECT_EQ(berlin.to_utc(secs(2016, 7, 1, 12, 0, 0)), secs(2016, 7, 1, 10, 0, 0));
  EXPECT_EQ(berlin.to_utc(secs(2016, 12, 23, 16, 1, 6)), secs(2016, 12, 23, 15, 1, 6));
  EXPECT_EQ(berlin.to_utc(secs(2016, 10, 30, 2, 30, 0)), secs(2016, 10, 30, 0, 30, 0));
  EXPECT_EQ(berlin.to_utc(secs(2016, 10, 30, 3, 30, 0)), secs(2016, 10, 30, 2, 30, 0));
}

TEST(LocalZone, BerlinToLocal) {
  LocalZone berlin("Europe/Berlin");
  EXPECT_EQ(berlin.name(), "Europe/Berlin");
  EXPECT_EQ(berlin.to_local(1482505265), secs(2016, 12, 23, 16, 1, 5));
  EXPECT_EQ(berlin.to_local(1467367200), secs(2016, 7, 1, 12, 0, 0));
  // Both UTC instants of the repeated hour show the same local time.
  EXPECT_EQ(berlin.to_local(secs(2016, 10, 30, 0, 30, 0)), secs(2016, 10, 30, 2, 30, 0));
  EXPECT_EQ(berlin.to_local(secs(2016, 10, 30, 1, 30, 0)), secs(2016, 10, 30, 2, 30, 0));
}

TEST(LocalZone, UnknownZoneThrowsTimeError) {
  EXPECT_THROW(LocalZone("Mars/Olympus_Mons"), TimeError);
  EXPECT_THROW(LocalZone("Europe/Berlinn"), TimeError);
}

// ---------------------------------------------------------------------------
// YearTracker

struct Day {
  unsigned month;
  unsigned day;
  int want_year;
};

void expect_years(YearTracker& yt, const std::vector<Day>& days) {
  for (std::size_t i = 0; i < days.size(); ++i) {
    EXPECT_EQ(yt.year_for(days[i].month, days[i].day, 12 * 3600), days[i].want_year)
        << "line " << i << ": " << days[i].month << "/" << days[i].day;
  }
}

TEST(YearTracker, ForcedYearAppliesToFirstLine) {
  YearTracker yt;
  yt.begin_input(2016, std::nullopt);
  expect_years(yt, {{12, 23, 2016}, {12, 23, 2016}, {12, 24, 2016}});
  EXPECT_EQ(yt.current_year(), 2016);
}

TEST(YearTracker, ForcedYearWinsOverMtime) {
  YearTracker yt;
  yt.begin_input(2010, secs(2020, 6, 1));
  expect_years(yt, {{3, 1, 2010}});
}

TEST(YearTracker, DecemberToJanuaryAdvancesTheYear) {
  YearTracker yt;
  yt.begin_input(2016, std::nullopt);
  expect_years(yt, {{12, 30, 2016}, {12, 31, 2016}, {1, 1, 2017}, {1, 2, 2017}, {2, 1, 2017}});
}

TEST(YearTracker, LongerGapAcrossNewYearAdvances) {
  YearTracker yt;
  yt.begin_input(2016, std::nullopt);
  expect_years(yt, {{11, 30, 2016}, {2, 1, 2017}});
}

TEST(YearTracker, OneMonthBackJitterDoesNotAdvance) {
  // A line logged out of order across a month end.
  YearTracker yt;
  yt.begin_input(2016, std::nullopt);
  expect_years(
      yt, {{3, 1, 2016}, {2, 29, 2016}, {3, 1, 2016}, {4, 1, 2016}, {3, 31, 2016}, {4, 1, 2016}});
}

TEST(YearTracker, DecemberStragglerAfterNewYearStaysInOldYear) {
  YearTracker yt;
  yt.begin_input(2016, std::nullopt);
  expect_years(yt, {{12, 31, 2016},
                    {1, 1, 2017},
                    {12, 31, 2016},  // straggler
                    {1, 1, 2017},
                    {1, 2, 2017},
                    {2, 1, 2017}});
}

TEST(YearTracker, MtimeInference) {
  struct Case {
    const char* what;
    std::int64_t mtime_local;
    unsigned month, day;
    int want;
  };
  const Case cases[] = {
      {"line before mtime in the same year", secs(2016, 12, 24, 10), 12, 23, 2016},
      {"first line after mtime's month/day: previous year", secs(2017, 1, 2, 10), 12, 23, 2016},
      {"January line, January mtime", secs(2017, 1, 2, 10), 1, 1, 2017},
      {"December line, mid-year mtime", secs(2016, 6, 1, 0), 12, 23, 2015},
      {"same day as mtime", secs(2016, 12, 23, 23), 12, 23, 2016},
  };
  for (const auto& c : cases) {
    YearTracker yt;
    yt.begin_input(std::nullopt, c.mtime_local);
    EXPECT_EQ(yt.year_for(c.month, c.day, 12 * 3600), c.want) << c.what;
  }
}

TEST(YearTracker, MtimeInferredYearThenAdvancesAcrossNewYear) {
  // A file spanning New Year, modified on Jan 2 2017.
  YearTracker yt;
  yt.begin_input(std::nullopt, secs(2017, 1, 2, 10));
  expect_years(yt, {{12, 30, 2016}, {12, 31, 2016}, {1, 1, 2017}, {1, 2, 2017}});
}

TEST(YearTracker, ForcedYearCarriesAcrossInputs) {
  // pftls ingest --year 2024 mail.log.1 mail.log, across New Year.
  YearTracker yt;
  yt.begin_input(2024, secs(2025, 1, 1, 0, 0, 5));
  expect_years(yt, {{12, 31, 2024}});
  yt.begin_input(2024, secs(2025, 1, 1, 12));
  expect_years(yt, {{1, 1, 2025}, {1, 2, 2025}});
  // A third input still carries on, without resetting to the forced year.
  yt.begin_input(2024, secs(2025, 2, 1));
  expect_years(yt, {{1, 3, 2025}});
  EXPECT_EQ(yt.current_year(), 2025);
}

// ---------------------------------------------------------------------------
// format_utc

TEST(FormatUtc, WholeSecondsTruncated) {
  struct Case {
    Micros t;
    const char* want;
  };
  const Case cases[] = {
      {0, "1970-01-01T00:00:00Z"},
      {999'999, "1970-01-01T00:00:00Z"},
      {1482505265 * kMicrosPerSecond, "2016-12-23T15:01:05Z"},
      {1482505265 * kMicrosPerSecond + 999'999, "2016-12-23T15:01:05Z"},  // not rounded up
      {1482505265 * kMicrosPerSecond + 500'000, "2016-12-23T15:01:05Z"},
      {(secs(2000, 2, 29, 23, 59, 59)) * kMicrosPerSecond + 900'000, "2000-02-29T23:59:59Z"},
      {secs(2100, 3, 1) * kMicrosPerSecond, "2100-03-01T00:00:00Z"},
  };
  for (const auto& c : cases) EXPECT_EQ(format_utc(c.t), c.want) << c.t;
}

// The digits are put by hand for years 0 to 9999: the same text as printf
// of gmtime's fields, for times spread over that whole span (and around
// its ends, where printf takes over).
TEST(FormatUtc, SameAsGmtimeFromYear0To9999) {
  const auto reference = [](std::int64_t s) {
    const auto t = static_cast<std::time_t>(s);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return std::string(buf);
  };
  constexpr std::int64_t kYear0 = -62167219200;      // 0000-01-01T00:00:00Z
  constexpr std::int64_t kYear10000 = 253402300800;  // 10000-01-01T00:00:00Z
  int checked = 0;
  for (std::int64_t s = kYear0; s < kYear10000; s += 999'983) {
    ASSERT_EQ(format_utc(s * kMicrosPerSecond), reference(s)) << s;
    ++checked;
  }
  EXPECT_GT(checked, 300000);
  for (std::int64_t s : {kYear0, kYear0 + 86399, kYear10000 - 1, std::int64_t{-1}, std::int64_t{0}})
    EXPECT_EQ(format_utc(s * kMicrosPerSecond), reference(s)) << s;
  EXPECT_EQ(format_utc(kYear10000 * kMicrosPerSecond), "10000-01-01T00:00:00Z");
  EXPECT_EQ(format_utc((kYear0 - 1) * kMicrosPerSecond), "-001-12-31T23:59:59Z");
}

// ---------------------------------------------------------------------------
// parse_duration

TEST(ParseDuration, Accepts) {
  struct Case {
    const char* text;
    std::int64_t seconds;
  };
  const Case cases[] = {
      {"90s", 90},     {"30m", 1800},  {"24h", 86400}, {"5d", 432000},
      {"2w", 1209600}, {"3600", 3600}, {"1s", 1},      {"0", 0},
  };
  for (const auto& c : cases) {
    std::int64_t s = -1;
    EXPECT_TRUE(parse_duration(c.text, s)) << c.text;
    EXPECT_EQ(s, c.seconds) << c.text;
  }
}

TEST(ParseDuration, Rejects) {
  const char* bad[] = {"", "h", "5x", "-5m", "1h30m", "+5m", "5 m", " 5m", "5m ", "5mm", "m5",
                       "1.5h", "99999999999999999999",
                       // Over 100 years: in microseconds, added to a time, it
                       // would overflow (3153600000w * 604800 s * 10^6).
                       "3153600000w", "5215w", "36501d", "876001h"};
  for (const char* text : bad) {
    std::int64_t s = 42;
    EXPECT_FALSE(parse_duration(text, s)) << "'" << text << "'";
  }
}

TEST(ParseDuration, AHundredYearsIsTheMost) {
  std::int64_t s = 0;
  EXPECT_TRUE(parse_duration("36500d", s));
  EXPECT_EQ(s, 36500LL * 86400);
  EXPECT_TRUE(parse_duration("5214w", s));
  EXPECT_TRUE(parse_duration("3153600000", s));
}

TEST(DaysInMonth, LeapYearsAndMonths) {
  EXPECT_EQ(days_in_month(2016, 2), 29u);
  EXPECT_EQ(days_in_month(2015, 2), 28u);
  EXPECT_EQ(days_in_month(2000, 2), 29u);
  EXPECT_EQ(days_in_month(2100, 2), 28u);
  EXPECT_EQ(days_in_month(2026, 4), 30u);
  EXPECT_EQ(days_in_month(2026, 12), 31u);
  EXPECT_EQ(days_in_month(2026, 0), 0u);
  EXPECT_EQ(days_in_month(2026, 13), 0u);
  // Agrees with the calendar: the day after the last is the 1st of the next month.
  for (int y : {1970, 2015, 2016, 2100, 9999}) {
    for (unsigned m = 1; m <= 12; ++m) {
      int ny;
      unsigned nm, nd;
      civil_from_days(days_from_civil(y, m, days_in_month(y, m)) + 1, ny, nm, nd);
      EXPECT_EQ(nd, 1u) << y << "-" << m;
    }
  }
}

// ---------------------------------------------------------------------------
// parse_time_arg

TEST(ParseTimeArg, Accepts) {
  struct Case {
    const char* text;
    std::int64_t utc_seconds;
  };
  const Case cases[] = {
      {"2016-12-23T15:01:05Z", 1482505265},
      {"2016-12-23T16:01:05+01:00", 1482505265},
      {"2016-12-23T10:01:05-05:00", 1482505265},
      {"2016-12-23T15:01:05+00:00", 1482505265},
      {"2016-12-24T00:31:05+09:30", 1482505265},
      {"2016-12-23", 1482451200},
      {"2016-12-23T15:01", 1482451200 + 15 * 3600 + 60},
      {"2016-12-23T15:01:05", 1482505265},
      {"2000-02-29T00:00:00Z", 951782400},
  };
  for (const auto& c : cases) {
    Micros t = -1;
    EXPECT_TRUE(parse_time_arg(c.text, t)) << c.text;
    EXPECT_EQ(t, c.utc_seconds * kMicrosPerSecond) << c.text;
  }
}

TEST(ParseTimeArg, RejectsGarbage) {
  const char* bad[] = {"",
                       "yesterday",
                       "2016",
                       "2016-12",
                       "16-12-23",
                       "2016/12/23",
                       "2016-13-01",
                       "2016-00-10",
                       "2016-12-32",
                       "2016-12-00",
                       "2016-12-23T",
                       "2016-12-23T15",
                       "2016-12-23T25:00",
                       "2016-12-23T15:60",
                       "2016-12-23Tab:cd",
                       "2016-12-23T15:01:05+0100",
                       "2016-12-23T15:01:05+01",
                       "2016-12-23T15:01:05Zjunk",
                       "2016-12-23T15:01:05 Z",
                       "2016-12-23junk"};
  for (const char* text : bad) {
    Micros t = 0;
    EXPECT_FALSE(parse_time_arg(text, t)) << "'" << text << "'";
  }
}

// ---------------------------------------------------------------------------
// parse_time_when

TEST(ParseTimeWhen, RelativeToNow) {
  const std::int64_t now = 1482505265;  // 2016-12-23T15:01:05Z
  const std::int64_t midnight = 1482451200;
  struct Case {
    const char* text;
    std::int64_t utc_seconds;
  };
  const Case cases[] = {
      {"now", now},
      {"today", midnight},
      {"yesterday", midnight - 86400},
      {"24h", now - 86400},
      {"7d", now - 7 * 86400},
      {"90s", now - 90},
      {"30m", now - 1800},
      {"2w", now - 14 * 86400},
      {"2016-12-23T16:01:05+01:00", 1482505265},
      {"2016-12-22", midnight - 86400},
  };
  for (const auto& c : cases) {
    Micros t = -1;
    EXPECT_TRUE(parse_time_when(c.text, now, t)) << c.text;
    EXPECT_EQ(t, c.utc_seconds * kMicrosPerSecond) << c.text;
  }
}

TEST(ParseTimeWhen, RejectsGarbage) {
  // A bare number is neither a duration ago nor a date.
  for (const char* text : {"", "24", "Today", "tomorrow", "7x", "-7d", "7d ago", "2016"}) {
    Micros t = 0;
    EXPECT_FALSE(parse_time_when(text, 1482505265, t)) << "'" << text << "'";
  }
}

}  // namespace
}  // namespace pftls
