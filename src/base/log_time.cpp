// log_time: UTC microseconds, local zones with a per-minute offset cache,
// year inference for yearless syslog lines, and argument parsing.
#include "base/log_time.h"

#include <date/tz.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "base/text.h"

namespace pftls {

std::int64_t days_from_civil(int year, unsigned month, unsigned day) {
  // Howard Hinnant's days_from_civil, the algorithm behind date::sys_days.
  const std::int64_t y = static_cast<std::int64_t>(year) - (month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t m = month;
  const std::int64_t doy =
      (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + static_cast<std::int64_t>(day) - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civil_from_days(std::int64_t z, int& year, unsigned& month, unsigned& day) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = yoe + era * 400;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  year = static_cast<int>(y + (month <= 2 ? 1 : 0));
}

namespace {
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
}  // namespace

namespace {

// The zone named `name`, or the one whose name equals it but for ASCII case
// ("europe/berlin"); throws as date::locate_zone() does.
const date::time_zone* locate_zone_any_case(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    const auto& db = date::get_tzdb();
    for (const auto& z : db.zones) {
      if (same_ignoring_case(z.name(), name)) return &z;
    }
    throw;
  }
}

// " (did you mean Europe/Berlin?)" for a near miss, else a pointer to the list.
std::string zone_hint(const std::string& name) {
  std::vector<std::string> names;
  try {
    for (const auto& z : date::get_tzdb().zones) names.emplace_back(z.name());
  } catch (const std::exception&) {
    return {};
  }
  const std::string near = closest_word(name, names);
  if (!near.empty()) return " (did you mean " + near + "?)";
  return " (an IANA name such as Europe/Berlin or UTC: see timedatectl list-timezones)";
}

}  // namespace

LocalZone::LocalZone(const std::string& name) : name_(name) {
  std::string n = name;
  if (n.empty()) {
    const char* tz = std::getenv("TZ");
    if (tz && *tz) n = (*tz == ':') ? tz + 1 : tz;
  }
  try {
    if (n.empty()) {
      zone_ = date::current_zone();
    } else if (same_ignoring_case(n, "UTC") || same_ignoring_case(n, "Etc/UTC") ||
               same_ignoring_case(n, "UTC0") || same_ignoring_case(n, "Z")) {
      if (!name_.empty()) name_ = "UTC";
    } else {
      zone_ = locate_zone_any_case(n);
      if (!name_.empty()) name_ = std::string(zone_->name());
    }
  } catch (const std::exception& e) {
    if (name.empty()) {
      zone_ = nullptr;  // no usable system zone: UTC
    } else {
      throw TimeError("unknown time zone '" + strip_controls(name) + "'" + zone_hint(name));
    }
  }
  if (zone_ && (zone_->name() == "UTC" || zone_->name() == "Etc/UTC")) zone_ = nullptr;
  if (name_.empty()) name_ = zone_ ? std::string(zone_->name()) : "UTC";
}

std::int64_t LocalZone::to_utc(std::int64_t local_seconds) {
  if (!zone_) return local_seconds;
  std::int64_t minute = floor_div(local_seconds, 60);
  if (minute != cached_minute_) {
    auto info = zone_->get_info(date::local_seconds{std::chrono::seconds{minute * 60}});
    // unique: first; ambiguous: first is the earlier (pre-change) offset;
    // nonexistent: first is the offset in force before the gap.
    cached_offset_ = info.first.offset.count();
    cached_minute_ = minute;
  }
  return local_seconds - cached_offset_;
}

std::int64_t LocalZone::to_local(std::int64_t utc_seconds) const {
  if (!zone_) return utc_seconds;
  auto info = zone_->get_info(date::sys_seconds{std::chrono::seconds{utc_seconds}});
  return utc_seconds + info.offset.count();
}

void YearTracker::begin_input(std::optional<int> forced_year,
                              std::optional<std::int64_t> mtime_local_seconds) {
  if (forced_year && !year_) {
    year_ = forced_year;
    last_month_ = 0;
  }
  if (!forced_year) {
    // Each input without --year is dated by its own mtime.
    year_.reset();
    last_month_ = 0;
  }
  mtime_local_ = mtime_local_seconds;
}

int YearTracker::year_for(unsigned month, unsigned day, std::int64_t second_of_day) {
  if (!year_) {
    std::int64_t ref = mtime_local_.value_or(0);
    int y;
    unsigned m, d;
    civil_from_days(floor_div(ref, 86400), y, m, d);
    std::int64_t candidate = days_from_civil(y, month, day) * 86400 + second_of_day;
    year_ = candidate <= ref + 86400 ? y : y - 1;  // a day of slack for clock skew
    last_month_ = month;
    return *year_;
  }
  if (last_month_ == 0) {
    last_month_ = month;
  } else if (month < last_month_) {
    if (last_month_ - month >= 2) {
      ++*year_;  // Dec -> Jan (or a longer gap across New Year)
      last_month_ = month;
    }
    // One month back is a line logged out of order across a month end.
  } else if (month > last_month_) {
    if (last_month_ == 1 && month == 12) return *year_ - 1;  // Dec 31 straggler after Jan 1
    last_month_ = month;
  }
  return *year_;
}

void append_utc(std::string& out, Micros t) {
  std::int64_t secs = floor_div(t, kMicrosPerSecond);
  std::int64_t days = floor_div(secs, 86400);
  std::int64_t sod = secs - days * 86400;
  int y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  if (y < 0 || y > 9999) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", y, m, d,
                  static_cast<int>(sod / 3600), static_cast<int>(sod / 60 % 60),
                  static_cast<int>(sod % 60));
    out += buf;
    return;
  }
  // The same text without printf's parsing of its format: a listing of a
  // million clients formats two million times.
  char buf[] = "0000-00-00T00:00:00Z";
  const auto put = [&buf](std::size_t at, unsigned v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10)
      buf[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
  };
  put(0, static_cast<unsigned>(y), 4);
  put(5, m, 2);
  put(8, d, 2);
  put(11, static_cast<unsigned>(sod / 3600), 2);
  put(14, static_cast<unsigned>(sod / 60 % 60), 2);
  put(17, static_cast<unsigned>(sod % 60), 2);
  out.append(buf, sizeof buf - 1);
}

std::string format_utc(Micros t) {
  std::string out;
  append_utc(out, t);
  return out;
}

bool parse_duration(std::string_view text, std::int64_t& seconds) {
  if (text.empty()) return false;
  std::int64_t n = 0;
  std::size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    n = n * 10 + (text[i] - '0');
    if (n > 100LL * 365 * 86400) return false;
  }
  if (i == 0) return false;
  std::int64_t unit = 1;
  if (i < text.size()) {
    if (i + 1 != text.size()) return false;
    switch (text[i]) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      case 'w':
        unit = std::int64_t{7} * 86400;
        break;
      default:
        return false;
    }
  }
  // At most 100 years whatever the unit: a window in microseconds, added to
  // a time, stays far from overflowing.
  if (n > 100LL * 365 * 86400 / unit) return false;
  seconds = n * unit;
  return true;
}

namespace {
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}
}  // namespace

bool parse_time_arg(std::string_view s, Micros& out) {
  int y, mo, d, h = 0, mi = 0, se = 0;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || mo < 1 || mo > 12 || d < 1 || d > 31) {
    return false;
  }
  std::size_t pos = 10;
  std::int64_t offset = 0;
  if (pos < s.size()) {
    if ((s[pos] != 'T' && s[pos] != ' ') || !digits(s, pos + 1, 2, h) || s.size() < pos + 6 ||
        s[pos + 3] != ':' || !digits(s, pos + 4, 2, mi)) {
      return false;
    }
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!digits(s, pos + 1, 2, se)) return false;
      pos += 3;
    }
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    }
    if (pos < s.size()) {
      if (s[pos] == 'Z' && pos + 1 == s.size()) {
        pos += 1;
      } else if ((s[pos] == '+' || s[pos] == '-') && s.size() == pos + 6 && s[pos + 3] == ':') {
        int oh, om;
        if (!digits(s, pos + 1, 2, oh) || !digits(s, pos + 4, 2, om)) return false;
        offset = std::int64_t{oh * 3600 + om * 60} * (s[pos] == '-' ? -1 : 1);
        pos = s.size();
      } else {
        return false;
      }
    }
  }
  if (h > 23 || mi > 59 || se > 60) return false;
  {
    int ry;
    unsigned rm, rd;  // reject dates like 2016-02-30 instead of rolling them over
    civil_from_days(days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)), ry, rm,
                    rd);
    if (rd != static_cast<unsigned>(d)) return false;
  }
  std::int64_t secs =
      days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
      std::int64_t{h} * 3600 + std::int64_t{mi} * 60 + se - offset;
  out = secs * kMicrosPerSecond;
  return true;
}

bool parse_time_when(std::string_view text, std::int64_t now_seconds, Micros& out) {
  const std::int64_t today = now_seconds - (((now_seconds % 86400) + 86400) % 86400);
  std::int64_t ago = 0;
  if (text == "now") {
    out = now_seconds * kMicrosPerSecond;
  } else if (text == "today") {
    out = today * kMicrosPerSecond;
  } else if (text == "yesterday") {
    out = (today - 86400) * kMicrosPerSecond;
  } else if (!text.empty() && text.back() >= 'a' && text.back() <= 'z' &&
             parse_duration(text, ago)) {
    out = (now_seconds - ago) * kMicrosPerSecond;
  } else {
    return parse_time_arg(text, out);
  }
  return true;
}

}  // namespace pftls
