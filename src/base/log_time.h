// log_time: timestamps as pftls stores them (UTC microseconds), the
// conversion of yearless local syslog times, and the duration/time
// arguments of the command line.
//
// Contract: LocalZone turns a local wall-clock time into UTC; an ambiguous
// time (the repeated hour when DST ends) takes the earlier offset, a time
// in the skipped hour is read with the offset before the change. YearTracker
// gives yearless lines a year: from --year for the first line, else from the
// input's modification time (the first line is taken to be no later than
// the mtime), and advances it when the month goes backwards (Dec -> Jan).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace pftls {

using Micros = std::int64_t;  // microseconds since 1970-01-01T00:00:00Z
inline constexpr Micros kMicrosPerSecond = 1'000'000;

class TimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The times a log line may carry: 1970-01-01T00:00:00Z up to the end of
// 9999 (UTC). A line dated outside is malformed: a time before 1970 would be
// stored but never listed, one after 9999 printed as an empty cell, and one
// near INT64_MAX overflow the correlator's `time + window`.
inline constexpr Micros kEarliestLogTime = 0;
inline constexpr Micros kLatestLogTime = 253'402'300'800 * kMicrosPerSecond - 1;
inline bool log_time_in_range(Micros t) { return t >= kEarliestLogTime && t <= kLatestLogTime; }
// 28..31; 0 for a month outside 1..12.
inline unsigned days_in_month(int year, unsigned month) {
  constexpr unsigned char kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return 0;
  if (month != 2) return kDays[month - 1];
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28;
}

// Days since 1970-01-01 of a proleptic Gregorian date (no range checks).
std::int64_t days_from_civil(int year, unsigned month, unsigned day);
void civil_from_days(std::int64_t days, int& year, unsigned& month, unsigned& day);

class LocalZone {
 public:
  // An IANA name ("Europe/Berlin"), "UTC", or "" for the system zone
  // (TZ, then /etc/localtime, else UTC). Throws TimeError for an unknown name.
  explicit LocalZone(const std::string& name);
  const std::string& name() const { return name_; }
  // UTC seconds for local seconds (seconds since 1970-01-01 in local time).
  std::int64_t to_utc(std::int64_t local_seconds);
  // Local seconds for UTC seconds.
  std::int64_t to_local(std::int64_t utc_seconds) const;

 private:
  std::string name_;
  const date::time_zone* zone_ = nullptr;  // nullptr: UTC
  std::int64_t cached_minute_ = INT64_MIN;
  std::int64_t cached_offset_ = 0;
};

class YearTracker {
 public:
  // Starts a new input. `forced_year` (from --year) applies to the first
  // yearless line of the first input only; later inputs carry the year on.
  // Without it, `mtime_local_seconds` (the input's mtime as local seconds)
  // decides the first line's year.
  void begin_input(std::optional<int> forced_year, std::optional<std::int64_t> mtime_local_seconds);
  // The year of a yearless line at month/day and seconds into that day.
  int year_for(unsigned month, unsigned day, std::int64_t second_of_day);
  std::optional<int> current_year() const { return year_; }
  unsigned last_month() const { return last_month_; }
  // Continues a file read in an earlier run: its year state at the offset.
  void resume(int year, unsigned last_month) {
    year_ = year;
    last_month_ = last_month;
  }

 private:
  std::optional<int> year_;
  unsigned last_month_ = 0;
  std::optional<std::int64_t> mtime_local_;
};

// "2016-12-23T15:01:05Z" (seconds truncated toward the past); append_utc()
// adds it to `out`.
std::string format_utc(Micros t);
void append_utc(std::string& out, Micros t);
// "90s", "30m", "24h", "5d", "2w" or plain seconds, at most 100 years.
// False for anything else.
bool parse_duration(std::string_view text, std::int64_t& seconds);
// RFC 3339 with an offset or Z, or "YYYY-MM-DD[THH:MM[:SS]]" taken as UTC.
bool parse_time_arg(std::string_view text, Micros& out);
// A time as --since/--until take it: what parse_time_arg() takes, or
// relative to `now_seconds` (UTC): a duration ago as parse_duration() reads
// it ("24h", "7d"), "now", "today" or "yesterday" (00:00 UTC of that day).
// False for anything else.
bool parse_time_when(std::string_view text, std::int64_t now_seconds, Micros& out);

}  // namespace pftls
