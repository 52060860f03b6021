// pg_conn: libpq through RAII (see pg_conn.h).
#include "store/pg_conn.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <memory>

namespace pftls {
namespace {

constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;
constexpr Oid kByteaOid = 17;

std::string first_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  const auto nl = text.find('\n');
  return std::string(nl == std::string_view::npos ? text : text.substr(0, nl));
}

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const char a = text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] + 32) : text[i];
    if (a != prefix[i]) return false;
  }
  return true;
}

// The length of the valid UTF-8 sequence at text[i], 0 when it is not one
// (or is a NUL byte, which no PostgreSQL text holds).
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto b = static_cast<unsigned char>(text[i]);
  if (b == 0) return 0;
  if (b < 0x80) return 1;
  std::size_t n;
  unsigned min;
  if ((b & 0xe0) == 0xc0) {
    n = 2, min = 0x80;
  } else if ((b & 0xf0) == 0xe0) {
    n = 3, min = 0x800;
  } else if ((b & 0xf8) == 0xf0) {
    n = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  unsigned cp = b & (0x7fu >> n);
  for (std::size_t k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(text[i + k]);
    if ((c & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3fu);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

// `text` as valid UTF-8 without NUL: each bad byte becomes U+FFFD.
std::string utf8_only(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_length(text, i);
    if (n == 0) {
      out += "\xef\xbf\xbd";
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

bool needs_cleaning(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b != 0 && b < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = utf8_length(text, i);
    if (n == 0) return true;
    i += n;
  }
  return false;
}

// Server gone or not there: worth trying again later.
bool transient_state(const char* sqlstate) {
  if (sqlstate == nullptr) return false;
  const std::string_view s(sqlstate);
  return s.substr(0, 2) == "08" || s == "57P01" || s == "57P02" || s == "57P03" || s == "55P03" ||
         s == "40001" || s == "40P01";
}

}  // namespace

std::string pg_clean_text(std::string_view text) {
  return needs_cleaning(text) ? utf8_only(text) : std::string(text);
}

bool is_postgres_location(std::string_view location) {
  return starts_with_ci(location, "postgresql://") || starts_with_ci(location, "postgres://");
}

std::string pg_location_label(std::string_view location) {
  std::string out(location);
  const auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    const std::size_t start = scheme + 3;
    std::size_t end = out.find_first_of("/?", start);
    if (end == std::string::npos) end = out.size();
    const auto at = out.rfind('@', end);
    if (at != std::string::npos && at >= start) {
      const auto colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // password=... in the query part (or a keyword=value string).
  for (std::size_t pos = 0; (pos = out.find("password=", pos)) != std::string::npos;) {
    pos += 9;
    std::size_t end = out.find_first_of("& ", pos);
    if (end == std::string::npos) end = out.size();
    out.replace(pos, end - pos, "***");
    pos += 3;
  }
  return out;
}

void PgParams::add(std::int64_t v) {
  values_.emplace_back(std::to_string(v));
  types_.push_back(kInt8Oid);
  formats_.push_back(0);
}

void PgParams::add_text(std::string_view v) {
  if (needs_cleaning(v)) {
    values_.emplace_back(utf8_only(v));
  } else {
    values_.emplace_back(std::string(v));
  }
  types_.push_back(kTextOid);
  formats_.push_back(0);
}

void PgParams::add_blob(std::string_view v) {
  values_.emplace_back(std::string(v));
  types_.push_back(kByteaOid);
  formats_.push_back(1);
}

void PgParams::add_null() {
  values_.emplace_back(std::nullopt);
  types_.push_back(0);
  formats_.push_back(0);
}

void PgParams::clear() {
  values_.clear();
  types_.clear();
  formats_.clear();
}

PgResult::~PgResult() {
  if (r_ != nullptr) PQclear(r_);
}

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    if (r_ != nullptr) PQclear(r_);
    r_ = other.r_;
    other.r_ = nullptr;
  }
  return *this;
}

int PgResult::rows() const { return r_ ? PQntuples(r_) : 0; }
int PgResult::columns() const { return r_ ? PQnfields(r_) : 0; }
std::string PgResult::column_name(int c) const { return PQfname(r_, c); }
unsigned PgResult::column_type(int c) const { return PQftype(r_, c); }
bool PgResult::is_null(int r, int c) const { return PQgetisnull(r_, r, c) != 0; }

std::string_view PgResult::text(int r, int c) const {
  return {PQgetvalue(r_, r, c), static_cast<std::size_t>(PQgetlength(r_, r, c))};
}

std::int64_t PgResult::int64(int r, int c) const {
  const std::string_view t = text(r, c);
  std::int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

std::int64_t PgResult::affected() const {
  return r_ == nullptr ? 0 : std::strtoll(PQcmdTuples(r_), nullptr, 10);
}

std::string PgResult::blob(int r, int c) const {
  std::size_t n = 0;
  unsigned char* raw =
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r_, r, c)), &n);
  if (raw == nullptr) return {};
  std::string out(reinterpret_cast<const char*>(raw), n);
  PQfreemem(raw);
  return out;
}

PgConn::PgConn(const std::string& location) : label_(pg_location_label(location)) {
  PQconninfoOption* opts = PQconninfoParse(location.c_str(), nullptr);
  if (opts == nullptr) {
    throw StoreError(StoreError::Kind::kFailed, "not a PostgreSQL URL: " + label_);
  }
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (std::string_view(o->keyword) == "password" && o->val != nullptr && *o->val != '\0')
      secrets_.emplace_back(o->val);
  }
  PQconninfoFree(opts);
  if (const char* env = std::getenv("PGPASSWORD"); env != nullptr && *env != '\0')
    secrets_.emplace_back(env);
  // Values before dbname are defaults the URL overrides.
  const bool env_timeout = std::getenv("PGCONNECT_TIMEOUT") != nullptr;
  const char* keys[] = {"fallback_application_name", env_timeout ? "dbname" : "connect_timeout",
                        "dbname", nullptr};
  const char* values[] = {"pftls", env_timeout ? location.c_str() : "10", location.c_str(),
                          nullptr};
  conn_ = PQconnectdbParams(keys, values, 1);
  if (conn_ == nullptr) throw StoreError(StoreError::Kind::kFailed, "out of memory");
  if (PQstatus(conn_) != CONNECTION_OK) {
    const std::string why = mask(first_line(PQerrorMessage(conn_)));
    PQfinish(conn_);
    conn_ = nullptr;
    // Refused credentials or a missing database will not mend by waiting.
    const bool lasting = why.find("authentication failed") != std::string::npos ||
                         why.find("does not exist") != std::string::npos ||
                         why.find("no password supplied") != std::string::npos;
    throw StoreError(lasting ? StoreError::Kind::kFailed : StoreError::Kind::kBusy,
                     "cannot connect to PostgreSQL server " + label_ + ": " + why);
  }
  PQsetClientEncoding(conn_, "UTF8");
  // Notices ("table does not exist, skipping") are not the user's business.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  // No JIT compilation: our queries are short, but their correlated
  // look-ups give them plan costs far above jit_above_cost, and compiling
  // them took up to 40 times as long as running them (a run's closing
  // incidents query: 1.76 s of LLVM for 0.04 s of work). A server that does
  // not know the setting just keeps its own.
  PQclear(PQexec(conn_, "SET jit = off"));
}

bool PgConn::in_transaction() const { return PQtransactionStatus(conn_) != PQTRANS_IDLE; }

PgConn::~PgConn() {
  if (conn_ != nullptr) PQfinish(conn_);
}

std::string PgConn::mask(std::string text) const {
  for (const auto& s : secrets_) {
    for (std::size_t pos; (pos = text.find(s)) != std::string::npos;)
      text.replace(pos, s.size(), "***");
  }
  return text;
}

void PgConn::fail(std::string_view what, const pg_result* r) const {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string why = r ? PQresultErrorMessage(r) : "";
  if (why.empty()) why = PQerrorMessage(conn_);
  const bool gone = PQstatus(conn_) != CONNECTION_OK || transient_state(state);
  throw StoreError(
      gone ? StoreError::Kind::kBusy : StoreError::Kind::kFailed,
      mask("PostgreSQL " + label_ + ": " + std::string(what) + ": " + first_line(why)));
}

PgResult PgConn::check(pg_result* raw, std::string_view what) const {
  PgResult r(raw);
  const ExecStatusType st = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_COPY_IN) fail(what, raw);
  return r;
}

void PgConn::exec_script(const std::string& sql, std::string_view what) {
  check(PQexec(conn_, sql.c_str()), what);
}

namespace {
struct RawParams {
  std::vector<const char*> values;
  std::vector<int> lengths;
};
RawParams raw_params(const std::vector<std::optional<std::string>>& values) {
  RawParams raw;
  for (const auto& v : values) {
    raw.values.push_back(v ? v->data() : nullptr);
    raw.lengths.push_back(v ? static_cast<int>(v->size()) : 0);
  }
  return raw;
}
}  // namespace

PgResult PgConn::exec(const std::string& sql, PgParams& p, std::string_view what) {
  const RawParams raw = raw_params(p.values_);
  return check(PQexecParams(conn_, sql.c_str(), static_cast<int>(p.size()), p.types_.data(),
                            raw.values.data(), raw.lengths.data(), p.formats_.data(), 0),
               what);
}

PgResult PgConn::exec_prepared(const std::string& name, const std::string& sql, PgParams& p,
                               std::string_view what) {
  if (prepared_.count(name) == 0) {
    check(PQprepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(p.size()), p.types_.data()),
          what);
    prepared_.insert(name);
  }
  const RawParams raw = raw_params(p.values_);
  return check(PQexecPrepared(conn_, name.c_str(), static_cast<int>(p.size()), raw.values.data(),
                              raw.lengths.data(), p.formats_.data(), 0),
               what);
}

void PgConn::copy_in(const std::string& copy_sql, const std::string& lines, std::string_view what) {
  check(PQexec(conn_, copy_sql.c_str()), what);
  if (PQputCopyData(conn_, lines.data(), static_cast<int>(lines.size())) != 1 ||
      PQputCopyEnd(conn_, nullptr) != 1) {
    fail(what, nullptr);
  }
  check(PQgetResult(conn_), what);
  while (pg_result* extra = PQgetResult(conn_)) PQclear(extra);
}

void append_copy_text(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out.push_back(c);
    }
  }
}

}  // namespace pftls
