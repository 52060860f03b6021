// sqlite_functions: strftime's ISO form, count_list, distinct_list and
// negotiation_list (see the header for their contracts).
#include "store/sqlite_functions.h"

#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/negotiation_list.h"

namespace pftls {
namespace {

constexpr std::string_view kIsoFormat = "%Y-%m-%dT%H:%M:%SZ";
// SQLite's own range for times: Julian day 0 (-4713-11-24T12:00:00) to
// 9999-12-31T23:59:59.
constexpr std::int64_t kMinSeconds = -210866760000;
constexpr std::int64_t kMaxSeconds = 253402300799;

std::string_view text_of(sqlite3_value* v) {
  const unsigned char* p = sqlite3_value_text(v);
  if (p == nullptr) return {};
  return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_value_bytes(v))};
}

// Days since 1970-01-01 to the proleptic Gregorian year, month, day
// (H. Hinnant's civil_from_days).
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
}

void two(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

void iso_strftime(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  if (text_of(argv[0]) != kIsoFormat || text_of(argv[2]) != "unixepoch") {
    sqlite3_result_error(ctx,
                         "pftls takes strftime only as strftime('%Y-%m-%dT%H:%M:%SZ', T, "
                         "'unixepoch')",
                         -1);
    return;
  }
  std::int64_t secs = 0;
  switch (sqlite3_value_numeric_type(argv[1])) {
    case SQLITE_INTEGER:
      secs = sqlite3_value_int64(argv[1]);
      break;
    case SQLITE_FLOAT: {
      // SQLite keeps a time in whole milliseconds (rounded) and prints
      // whole seconds.
      const double r = sqlite3_value_double(argv[1]);
      if (!(r >= static_cast<double>(kMinSeconds) && r < static_cast<double>(kMaxSeconds) + 1)) {
        sqlite3_result_null(ctx);
        return;
      }
      const auto ms = static_cast<std::int64_t>(std::floor(r * 1000.0 + 0.5));
      secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
      break;
    }
    default:
      sqlite3_result_null(ctx);
      return;
  }
  if (secs < kMinSeconds || secs > kMaxSeconds) {
    sqlite3_result_null(ctx);
    return;
  }
  const std::int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  const auto tod = static_cast<unsigned>(secs - days * 86400);
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  // The year as SQLite's "%04d": "0042", and before year 0 "-001", "-4713".
  char buf[24];
  std::size_t n = 0;
  if (y >= 0) {
    const auto yy = static_cast<unsigned>(y);  // at most 9999 by the range above
    two(buf, yy / 100);
    two(buf + 2, yy % 100);
    n = 4;
  } else {
    const auto yy = static_cast<unsigned>(-y);  // at most 4713
    buf[n++] = '-';
    if (yy >= 1000) buf[n++] = static_cast<char>('0' + yy / 1000);
    if (yy >= 100 || n == 1) buf[n++] = static_cast<char>('0' + yy / 100 % 10);
    two(buf + n, yy % 100);
    n += 2;
  }
  char* p = buf + n;
  p[0] = '-';
  two(p + 1, m);
  p[3] = '-';
  two(p + 4, d);
  p[6] = 'T';
  two(p + 7, tod / 3600);
  p[9] = ':';
  two(p + 10, tod / 60 % 60);
  p[12] = ':';
  two(p + 13, tod % 60);
  p[15] = 'Z';
  sqlite3_result_text(ctx, buf, static_cast<int>(n + 16), SQLITE_TRANSIENT);
}

// One group's values; SQLite's aggregate context holds a pointer to it.
using Tally = std::map<std::string, std::int64_t, std::less<>>;

Tally* tally_of(sqlite3_context* ctx, bool make) {
  auto** slot = static_cast<Tally**>(sqlite3_aggregate_context(ctx, make ? sizeof(Tally*) : 0));
  if (slot == nullptr) return nullptr;
  if (*slot == nullptr && make) *slot = new (std::nothrow) Tally();
  return *slot;
}

void count_list_step(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return;
  const std::string_view v = text_of(argv[0]);
  if (v.empty()) return;
  Tally* t = tally_of(ctx, true);
  if (t == nullptr) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  const std::int64_t n = sqlite3_value_int64(argv[1]);
  const auto it = t->find(v);
  if (it == t->end())
    t->emplace(std::string(v), n);
  else
    it->second += n;
}

void distinct_list_step(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return;
  Tally* t = tally_of(ctx, true);
  if (t == nullptr) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  const std::string_view v = text_of(argv[0]);
  if (t->find(v) == t->end()) t->emplace(std::string(v), 0);
}

// Keyed by the negotiation's form before its count (base/negotiation_list.h).
void negotiation_list_step(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  Tally* t = tally_of(ctx, true);
  if (t == nullptr) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  thread_local std::string key;
  key.clear();
  append_negotiation_key(key, text_of(argv[0]), text_of(argv[1]));
  const std::int64_t n = sqlite3_value_int64(argv[2]);
  const auto it = t->find(key);
  if (it == t->end())
    t->emplace(key, n);
  else
    it->second += n;
}

void result_string(sqlite3_context* ctx, const std::string& s) {
  sqlite3_result_text64(ctx, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void count_list_final(sqlite3_context* ctx) {
  Tally* t = tally_of(ctx, false);
  if (t == nullptr || t->empty()) {
    sqlite3_result_null(ctx);
  } else {
    std::vector<std::pair<std::string_view, std::int64_t>> order(t->begin(), t->end());
    // The map is in value order already: a stable sort by count keeps it.
    std::stable_sort(order.begin(), order.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::string out;
    char num[24];
    for (const auto& [v, n] : order) {
      if (!out.empty()) out.push_back(' ');
      out.append(v);
      out.push_back('=');
      const auto r = std::to_chars(num, num + sizeof num, n);
      out.append(num, r.ptr);
    }
    result_string(ctx, out);
  }
  delete t;
}

void distinct_list_final(sqlite3_context* ctx) {
  Tally* t = tally_of(ctx, false);
  if (t == nullptr || t->empty()) {
    sqlite3_result_null(ctx);
  } else {
    std::string out;
    bool first = true;
    for (const auto& kv : *t) {
      if (!first) out.push_back(' ');
      first = false;
      out.append(kv.first);
    }
    result_string(ctx, out);
  }
  delete t;
}

void negotiation_list_final(sqlite3_context* ctx) {
  Tally* t = tally_of(ctx, false);
  if (t == nullptr || t->empty()) {
    sqlite3_result_null(ctx);
  } else {
    std::string out;
    char num[24];
    for (const auto& [key, n] : *t) {
      out.append(key);
      const auto r = std::to_chars(num, num + sizeof num, n);
      out.append(num, r.ptr);
      out.push_back(';');
    }
    result_string(ctx, out);
  }
  delete t;
}

}  // namespace

bool register_sqlite_functions(sqlite3* db) {
  constexpr int kFlags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
  return sqlite3_create_function_v2(db, "strftime", 3, kFlags, nullptr, iso_strftime, nullptr,
                                    nullptr, nullptr) == SQLITE_OK &&
         sqlite3_create_function_v2(db, "count_list", 2, kFlags, nullptr, nullptr, count_list_step,
                                    count_list_final, nullptr) == SQLITE_OK &&
         sqlite3_create_function_v2(db, "distinct_list", 1, kFlags, nullptr, nullptr,
                                    distinct_list_step, distinct_list_final,
                                    nullptr) == SQLITE_OK &&
         sqlite3_create_function_v2(db, "negotiation_list", 3, kFlags, nullptr, nullptr,
                                    negotiation_list_step, negotiation_list_final,
                                    nullptr) == SQLITE_OK;
}

}  // namespace pftls
