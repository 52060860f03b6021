// pftls_gen: deterministic synthetic Postfix syslog traffic with planted TLS
// downgrade incidents and decoys, for pftls's planted-incident test
// (check_planted.sh) and its benchmark (run_bench.sh). See README.md here.
//
// The output is RFC 3164 syslog ("Mon DD HH:MM:SS host prog[pid]: msg"), the
// times written as the UTC wall clock given by --start, so pftls must be run
// with --tz UTC --year <year of --start>. Same options and seed, same bytes.
//
// How it works: a discrete-event simulation. Background sessions arrive as a
// Poisson process (rate steered so that --lines lines span about --span);
// scenario sessions (the planted downgrades and the decoys, each scenario on
// its own documentation-range client IP) are planned up front. A session is
// turned into its log lines when it starts; lines wait in a heap ordered by
// (time, creation order) and are written in that order until --lines lines
// are out. The --expected CSV is computed from the lines actually written, by
// a small independent model of issue 2 item 7 (failure = first evidence line
// of a failed session; TLS = a TLS-established line; a plaintext client=
// line after a failure at most --window earlier with no TLS session between
// is an incident), and cross-checked against the incidents planned: any
// difference is a generator bug and exits 3.
#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <queue>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace {

using i64 = std::int64_t;
using u64 = std::uint64_t;
using u32 = std::uint32_t;

constexpr i64 kSec = 1000;  // times are milliseconds since the Unix epoch (UTC)
constexpr i64 kMin = 60 * kSec;
constexpr i64 kHour = 60 * kMin;
constexpr i64 kDay = 24 * kHour;

// ---------------------------------------------------------------- randomness
// xoshiro256** seeded by splitmix64, with our own distributions, so that the
// output depends on nothing but the options.
class Rng {
 public:
  explicit Rng(u64 seed) {
    for (auto& w : s_) {
      w = splitmix(seed);
    }
  }
  u64 next() {
    const u64 result = rotl(s_[1] * 5, 7) * 9;
    const u64 t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  u64 below(u64 n) { return n == 0 ? 0 : next() % n; }
  // Uniform in [lo, hi].
  i64 range(i64 lo, i64 hi) {
    if (hi <= lo) {
      return lo;
    }
    return lo + static_cast<i64>(below(static_cast<u64>(hi - lo) + 1));
  }
  int irange(int lo, int hi) { return static_cast<int>(range(lo, hi)); }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return unit() < p; }
  double exponential(double mean) { return -mean * std::log(1.0 - unit()); }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(below(v.size()))];
  }
  // Index drawn with the given weights.
  std::size_t weighted(std::initializer_list<double> w) {
    double total = 0;
    for (double x : w) {
      total += x;
    }
    double r = unit() * total;
    std::size_t i = 0;
    for (double x : w) {
      if (r < x) {
        return i;
      }
      r -= x;
      ++i;
    }
    return w.size() - 1;
  }
  // Log-uniform integer in [lo, hi].
  i64 log_range(i64 lo, i64 hi) {
    const double l = std::log(static_cast<double>(lo));
    const double h = std::log(static_cast<double>(hi));
    return static_cast<i64>(std::exp(l + unit() * (h - l)));
  }

 private:
  static u64 splitmix(u64& x) {
    u64 z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  static u64 rotl(u64 x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<u64, 4> s_{};
};

// --------------------------------------------------------------------- time
struct Civil {
  int year;
  unsigned month, day, hour, minute, second;
};

Civil civil(i64 sec) {
  using namespace std::chrono;
  const sys_seconds tp{seconds{sec}};
  const sys_days dp = floor<days>(tp);
  const year_month_day ymd{dp};
  const hh_mm_ss<seconds> hms{tp - dp};
  return Civil{static_cast<int>(ymd.year()),
               static_cast<unsigned>(ymd.month()),
               static_cast<unsigned>(ymd.day()),
               static_cast<unsigned>(hms.hours().count()),
               static_cast<unsigned>(hms.minutes().count()),
               static_cast<unsigned>(hms.seconds().count())};
}

i64 floor_div(i64 a, i64 b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }

constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// "Dec 31 23:59:59" (RFC 3164, day space-padded).
std::string syslog_stamp(i64 sec) {
  const Civil c = civil(sec);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s %2u %02u:%02u:%02u", kMonths[c.month - 1], c.day, c.hour,
                c.minute, c.second);
  return buf;
}

// "2024-01-01T00:05:00Z"
std::string rfc3339(i64 sec) {
  const Civil c = civil(sec);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02u:%02u:%02uZ", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  return buf;
}

// "YYYY-MM-DDTHH:MM:SS" (a trailing Z is allowed) -> seconds since the epoch.
bool parse_start(const std::string& s, i64& out) {
  int y = 0;
  unsigned mo = 0, d = 0, h = 0, mi = 0, se = 0;
  char tail = 0;
  const int n =
      std::sscanf(s.c_str(), "%4d-%2u-%2uT%2u:%2u:%2u%c", &y, &mo, &d, &h, &mi, &se, &tail);
  if (n < 6 || (n == 7 && tail != 'Z') || s.size() < 19) {
    return false;
  }
  using namespace std::chrono;
  const year_month_day ymd{year{y}, month{mo}, day{d}};
  if (!ymd.ok() || h > 23 || mi > 59 || se > 59) {
    return false;
  }
  out = sys_days{ymd}.time_since_epoch().count() * 86400 + static_cast<i64>(h) * 3600 +
        static_cast<i64>(mi) * 60 + static_cast<i64>(se);
  return true;
}

// "90s", "30m", "36h", "5d", or plain seconds -> milliseconds.
bool parse_duration(const std::string& s, i64& out_ms) {
  if (s.empty()) {
    return false;
  }
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (end == s.c_str() || v < 0) {
    return false;
  }
  const std::string unit(end);
  i64 mult = 0;
  if (unit.empty() || unit == "s") {
    mult = kSec;
  } else if (unit == "m") {
    mult = kMin;
  } else if (unit == "h") {
    mult = kHour;
  } else if (unit == "d") {
    mult = kDay;
  } else {
    return false;
  }
  out_ms = static_cast<i64>(v) * mult;
  return true;
}

// -------------------------------------------------------------- vocabulary
const std::vector<std::string> kUsers = {
    "alice",  "bob",      "carol",   "dave",   "erin",       "frank",  "grace",   "heidi", "ivan",
    "judy",   "mallory",  "niaj",    "olivia", "peggy",      "rupert", "sybil",   "trent", "victor",
    "walter", "accounts", "billing", "info",   "postmaster", "sales",  "support", "hr"};
const std::vector<std::string> kOurDomains = {"example.com", "example.org"};
const std::vector<std::string> kOrgs = {
    "acme",     "globex",    "initech",   "umbrella",        "hooli",    "vandelay",
    "soylent",  "stark",     "wayne",     "wonka",           "tyrell",   "cyberdyne",
    "aperture", "blackmesa", "oscorp",    "monarch",         "nakatomi", "weyland",
    "contoso",  "fabrikam",  "northwind", "adventure-works", "tailspin", "wingtip",
    "litware",  "proseware", "lucerne",   "fourthcoffee",    "duff",     "gringotts"};
const std::vector<std::string> kSectors = {"bank",     "card",      "insurer",   "airline",
                                           "bookings", "payroll",   "courier",   "telecom",
                                           "utility",  "taxoffice", "brokerage", "pension"};
// Top-level domains of other organisations' names (RFC 2606). Each sender
// organisation gets a registrable domain of its own ("weyland132.example"),
// as on the Internet: names under example.com/.org/.net would all share the
// registrable domain example.com/.org/.net, one giant "organisation" that
// --match org would treat as a single sender.
const std::vector<std::string> kTlds = {"example", "test"};
const std::vector<std::string> kLocalparts = {
    "noreply", "no-reply", "notifications", "alerts",        "news",
    "billing", "invoice",  "support",       "mailer-daemon", "bounce",
    "info",    "service",  "updates",       "security",      "donotreply"};
const std::vector<std::string> kHelloWords = {"ENG-ALERTS", "NOTIFY", "OTP", "STATEMENT",
                                              "INVOICE"};

std::string hex(u64 v, int digits, bool upper) {
  static const char* lo = "0123456789abcdef";
  static const char* hi = "0123456789ABCDEF";
  std::string s(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i) {
    s[static_cast<std::size_t>(i)] = (upper ? hi : lo)[v & 15];
    v >>= 4;
  }
  return s;
}

std::string hex_nz(u64 v) {  // lower-case hex without leading zeros
  char buf[24];
  std::snprintf(buf, sizeof buf, "%" PRIx64, v);
  return buf;
}

std::string b64ish(Rng& r, int n) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string s;
  s.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    s.push_back(a[r.below(64)]);
  }
  return s;
}

// Postfix-style delay figure: 0.15, 3.6, 11, 0.
std::string delay_fmt(i64 ms) {
  if (ms < 0) {
    ms = 0;
  }
  char buf[32];
  const double v = static_cast<double>(ms) / 1000.0;
  if (v >= 10) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(ms / 1000));
  } else if (v >= 1) {
    std::snprintf(buf, sizeof buf, "%.1f", v);
  } else if (ms < 10) {
    return "0";
  } else {
    std::snprintf(buf, sizeof buf, "%.2f", v);
  }
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') {
      s.pop_back();
    }
    if (s.back() == '.') {
      s.pop_back();
    }
  }
  return s;
}

// ---------------------------------------------------------------- the model
struct Client {
  std::string name;    // DNS name or "unknown"
  std::string ip;      // as Postfix logs it
  std::string domain;  // sender domain
  std::string helo;
  bool tls = true;    // background: uses STARTTLS
  bool bdat = false;  // background: uses BDAT (CHUNKING)
  bool scenario = false;
};

// Failure variants of a failed STARTTLS session.
enum class FailVar : std::uint8_t {
  kOssl3NoSharedCipher,   // SSL_accept error -1 + 0A0000C1, starttls=0/1
  kOssl10NoSharedCipher,  // SSL_accept error -1 + 1408A0C1 (AMEX style), some without counters
  kOssl11NoSharedCipher,  // 1417A0C1
  kLostAfterStarttls,     // lost connection after STARTTLS, starttls=0/1
  kNoqueueLost,           // Postfix 3.10+: NOQUEUE: lost connection after STARTTLS
  kTimeout,               // timeout after STARTTLS, 300 s after connect
  kUnsupportedProtocol,   // 0A000102
  kAlertFirst,            // the TLS library warning comes before SSL_accept error
  kWrongVersion,          // 0A00010B
  kUnexpectedEof,         // 0A000126 before the handshake completed
  kCountersOnly,          // only evidence: starttls=0/1 in the disconnect counters
  kCount
};

const char* fail_var_name(FailVar v) {
  switch (v) {
    case FailVar::kOssl3NoSharedCipher:
      return "ossl3-no-shared-cipher";
    case FailVar::kOssl10NoSharedCipher:
      return "ossl10-no-shared-cipher";
    case FailVar::kOssl11NoSharedCipher:
      return "ossl11-no-shared-cipher";
    case FailVar::kLostAfterStarttls:
      return "lost-after-starttls";
    case FailVar::kNoqueueLost:
      return "noqueue-lost-after-starttls";
    case FailVar::kTimeout:
      return "timeout-after-starttls";
    case FailVar::kUnsupportedProtocol:
      return "unsupported-protocol";
    case FailVar::kAlertFirst:
      return "alert-handshake-failure";
    case FailVar::kWrongVersion:
      return "wrong-version-number";
    case FailVar::kUnexpectedEof:
      return "unexpected-eof";
    case FailVar::kCountersOnly:
      return "counters-only";
    case FailVar::kCount:
      break;
  }
  return "?";
}

enum class SK : std::uint8_t { kMsg, kFailed };

// One planned scenario session.
struct Spec {
  i64 t = 0;  // start (connect) time
  SK kind = SK::kMsg;
  std::uint8_t host = 0;
  u32 client = 0;
  std::string name_override;  // client name logged in this session, if not the client's
  bool tls = false;           // kMsg: STARTTLS succeeded
  bool late_warning = false;  // kMsg/TLS: TLS library warning after the handshake
  int nmsg = 1;               // kMsg: messages in the session
  bool planned = false;       // kMsg/plaintext: its messages are planned incidents
  FailVar fvar = FailVar::kOssl3NoSharedCipher;
  i64 ev_off = 0;        // kFailed: first evidence line, after t
  i64 end_off = 0;       // kFailed: disconnect, after t
  i64 c_off = -1;        // kMsg: first client= line after t (-1: random)
  int reserve_key = -1;  // kFailed: keep this smtpd process for the session using the key
  int use_key = -1;      // take the smtpd process kept under this key
};

// Semantic tags on lines, for the expected-incident model.
enum class Tag : std::uint8_t { kNone, kFailFirst, kTlsUp, kPlainClient };

struct Line {
  i64 t;
  u64 seq;
  std::string body;  // "host prog[pid]: message"
  Tag tag;
  std::uint8_t host;
  bool planned;
  u32 client;
  std::string qid;
};
struct LineLater {
  bool operator()(const Line& a, const Line& b) const {
    return a.t != b.t ? a.t > b.t : a.seq > b.seq;
  }
};

enum class EvType : std::uint8_t { kArrival, kScenario, kCron, kAnvil, kNoise, kImapLogout };
struct Event {
  i64 t;
  u64 seq;
  EvType type;
  u32 idx;
};
struct EventLater {
  bool operator()(const Event& a, const Event& b) const {
    return a.t != b.t ? a.t > b.t : a.seq > b.seq;
  }
};

// An OS pid space (one per host): pids increase, wrap at 32768 and skip live ones.
class PidSpace {
 public:
  explicit PidSpace(u32 first) : next_(first) {}
  u32 spawn(Rng& r) {
    for (;;) {
      next_ += 1 + static_cast<u32>(r.below(24));  // other processes come and go
      if (next_ >= 32768) {
        next_ = 300 + static_cast<u32>(r.below(200));
      }
      if (live_.insert(next_).second) {
        return next_;
      }
    }
  }
  void release(u32 pid) { live_.erase(pid); }

 private:
  u32 next_;
  std::unordered_set<u32> live_;
};

// A Postfix service whose processes serve one session at a time
// (smtpd): max_use 100, max_idle 100 s, reuse of idle processes.
struct Proc {
  u32 pid;
  i64 busy_until;
  int uses;
  bool reserved;
};
class SessionPool {
 public:
  u32 acquire(Rng& r, PidSpace& ps, i64 t, i64 until, int use_key,
              std::unordered_map<int, u32>& keys) {
    if (use_key >= 0) {
      auto k = keys.find(use_key);
      if (k != keys.end()) {
        for (Proc& p : procs_) {
          if (p.pid == k->second && p.reserved && p.busy_until <= t) {
            p.reserved = false;
            p.busy_until = until;
            ++p.uses;
            keys.erase(k);
            return p.pid;
          }
        }
      }
      // Fall through: the reservation could not be honoured (it is only a flavour).
    }
    // Processes idle too long or used up exit.
    for (std::size_t i = 0; i < procs_.size();) {
      Proc& p = procs_[i];
      const bool idle = p.busy_until <= t;
      if (idle && !p.reserved && (t - p.busy_until > 100 * kSec || p.uses >= 100)) {
        ps.release(p.pid);
        procs_[i] = procs_.back();
        procs_.pop_back();
      } else {
        ++i;
      }
    }
    cand_.clear();
    for (std::size_t i = 0; i < procs_.size(); ++i) {
      if (!procs_[i].reserved && procs_[i].busy_until <= t) {
        cand_.push_back(i);
      }
    }
    if (!cand_.empty()) {
      Proc& p = procs_[cand_[static_cast<std::size_t>(r.below(cand_.size()))]];
      p.busy_until = until;
      ++p.uses;
      return p.pid;
    }
    procs_.push_back(Proc{ps.spawn(r), until, 1, false});
    return procs_.back().pid;
  }
  void reserve(u32 pid, int key, std::unordered_map<int, u32>& keys) {
    for (Proc& p : procs_) {
      if (p.pid == pid) {
        p.reserved = true;
        keys[key] = pid;
        return;
      }
    }
  }

 private:
  std::vector<Proc> procs_;
  std::vector<std::size_t> cand_;
};

// Services used per message (cleanup, lmtp, ...): a few processes, each
// replaced after 100 uses.
class WorkerPool {
 public:
  explicit WorkerPool(std::size_t n) : n_(n) {}
  u32 get(Rng& r, PidSpace& ps) {
    if (pids_.empty()) {
      for (std::size_t i = 0; i < n_; ++i) {
        pids_.push_back(ps.spawn(r));
        uses_.push_back(static_cast<int>(r.below(80)));
      }
    }
    const auto i = static_cast<std::size_t>(r.below(pids_.size()));
    if (++uses_[i] > 100) {
      ps.release(pids_[i]);
      pids_[i] = ps.spawn(r);
      uses_[i] = 1;
    }
    return pids_[i];
  }

 private:
  std::size_t n_;
  std::vector<u32> pids_;
  std::vector<int> uses_;
};

struct Host {
  std::string name;  // syslog host field
  std::string inst;  // syslog_name: "postfix" or "postfix-in"
  std::string our_ip;
  bool postscreen = false;
  bool submission = false;
  PidSpace pids;
  SessionPool smtpd, sub;
  WorkerPool cleanup{3}, lmtp{4}, local{2}, smtp{3}, bounce{1};
  u32 qmgr = 0, postscreen_pid = 0, anvil = 0, opendkim = 0;
  i64 uptime_base = 0;
  std::string p_smtpd, p_sub, p_cleanup, p_qmgr, p_lmtp, p_local, p_smtp, p_bounce, p_anvil,
      p_postscreen;
  explicit Host(u32 first_pid) : pids(first_pid) {}
};

enum class Kind : std::uint8_t {
  kDowngrade,
  kLateDowngrade,
  kTlsRetry,
  kTlsBetween,
  kFailOnly,
  kStale,
  kLateWarning,
  kPlainOnly,
  kCrossHost,
  kNewYear,
  kCount
};

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kDowngrade:
      return "downgrade";
    case Kind::kLateDowngrade:
      return "downgrade-late";
    case Kind::kTlsRetry:
      return "decoy-tls-retry";
    case Kind::kTlsBetween:
      return "decoy-tls-between";
    case Kind::kFailOnly:
      return "decoy-failure-only";
    case Kind::kStale:
      return "decoy-stale-failure";
    case Kind::kLateWarning:
      return "decoy-tls-late-warning";
    case Kind::kPlainOnly:
      return "decoy-plaintext-only";
    case Kind::kCrossHost:
      return "downgrade-other-host";
    case Kind::kNewYear:
      return "new-year";
    case Kind::kCount:
      break;
  }
  return "?";
}

struct ManifestRow {
  std::string kind, host, ip, name, notes;
  i64 start_ms;
  int planned;
};

struct Incident {
  std::string ip;
  i64 fail_sec, plain_sec;
  std::string qid;
};

struct Options {
  u64 seed = 1;
  i64 lines = 100000;
  i64 start = 0;  // seconds
  bool start_set = false;
  i64 span = 36 * kHour;
  int hosts = 1;
  double fail_permille = 3.0;
  i64 clients = 0;  // background sending clients; 0: lines / 400, at least 300
  i64 window = 24 * kHour;
  std::string out = "-", expected, scenarios;
};

class Gen {
 public:
  explicit Gen(const Options& o) : o_(o), r_(o.seed), rs_(o.seed ^ 0x5CE7A210ULL) {}
  int run();

 private:
  // setup
  void make_hosts();
  void make_background_clients();
  u32 new_scenario_client(const std::string& sector_hint);
  void plan_scenarios();
  bool plan_one(Kind k, bool allow_long, std::vector<Spec>& v, std::vector<ManifestRow>& rows);
  void plan_failures(std::vector<Spec>& v, i64& t, u32 client, std::uint8_t host, int k,
                     bool last_interleave, std::string& notes);
  Spec failed_spec(i64 t, u32 client, std::uint8_t host, FailVar fv, bool interleave);
  Spec msg_spec(i64 t, u32 client, std::uint8_t host, bool tls, int nmsg, bool planned);
  i64 bound(const Spec& s) const;
  void add_partner(std::vector<Spec>& v, Spec& failed, std::vector<ManifestRow>& rows,
                   std::string& notes);
  // simulation
  void schedule(i64 t, EvType type, u32 idx);
  void push(i64 t, const Host& h, const std::string& prog, u32 pid, const std::string& msg,
            Tag tag = Tag::kNone, u32 client = 0, bool planned = false,
            const std::string& qid = {});
  void push_raw(i64 t, const Host& h, const std::string& prog_pid, const std::string& msg);
  void on_event(const Event& e);
  void arrival(i64 t);
  void session_msg(const Spec& s, bool submission, bool reject);
  void session_failed(const Spec& s);
  void session_lost(i64 t, std::uint8_t host, u32 client);
  void bot(i64 t, std::uint8_t host);
  i64 message(Host& h, i64 tc, u32 smtpd_pid, const std::string& smtpd_prog, const Client& c,
              const std::string& cname, Tag tag, bool planned, bool submission, u32 client_id);
  void cron(i64 t, std::uint8_t host);
  void anvil(i64 t, std::uint8_t host);
  void noise(i64 t);
  void emit(Line& l);
  std::string new_qid();
  std::string message_id(i64 t, const std::string& domain, const std::string& qid);
  std::string recipient();
  std::string random_bg_ip();
  const std::string& cname_for(const Spec& s) const {
    return s.name_override.empty() ? clients_[s.client].name : s.name_override;
  }

  Options o_;
  Rng r_;   // simulation
  Rng rs_;  // scenario planning
  std::vector<Host> hosts_;
  std::vector<Client> clients_;
  u32 n_background_ = 0;
  u32 first_user_ = 0, n_users_ = 0;
  std::vector<std::string> v4_pool_;
  u64 v6_next_ = 1;
  std::vector<Spec> specs_;
  std::vector<ManifestRow> manifest_;
  std::priority_queue<Event, std::vector<Event>, EventLater> events_;
  std::priority_queue<Line, std::vector<Line>, LineLater> lines_;
  std::unordered_map<int, u32> reservations_;
  int next_key_ = 0;
  u64 ev_seq_ = 0, line_seq_ = 0, qid_counter_ = 0;
  i64 end_ms_ = 0;
  // arrival-rate steering
  i64 materialised_ = 0, arrivals_ = 0;
  double rate_per_ms_ = 0;
  // output
  std::FILE* out_ = nullptr;
  std::string buf_;
  i64 emitted_ = 0, bytes_ = 0, non_postfix_ = 0;
  i64 stamp_sec_ = INT64_MIN;
  std::string stamp_;
  // stats
  i64 sessions_ = 0, failed_sessions_ = 0;
  // expected-incident model
  struct IpState {
    bool failed = false;
    bool tls_since = false;
    i64 fail_sec = 0;
  };
  std::unordered_map<u64, IpState> ipstate_;
  std::vector<Incident> incidents_;
  i64 planned_emitted_ = 0, mismatches_ = 0;
  int last_nrcpt_ = 1;  // recipients of the last message()
  // imap sessions waiting for their logout line
  std::vector<std::pair<std::uint8_t, std::string>> imap_;
};

// ------------------------------------------------------------------- setup
void Gen::make_hosts() {
  for (int i = 0; i < o_.hosts; ++i) {
    // Both hosts start from nearby pids, so the same pid is live on both.
    Host h(static_cast<u32>(2000 + r_.below(3000)));
    h.name = "mx" + std::to_string(i + 1);
    h.inst = i == 1 ? "postfix-in" : "postfix";
    h.our_ip = "10.0.0." + std::to_string(11 + i);
    h.postscreen = i == 0;
    h.submission = i == 0;
    h.p_smtpd = h.inst + "/smtpd";
    h.p_sub = h.inst + "/submission/smtpd";
    h.p_cleanup = h.inst + "/cleanup";
    h.p_qmgr = h.inst + "/qmgr";
    h.p_lmtp = h.inst + "/lmtp";
    h.p_local = h.inst + "/local";
    h.p_smtp = h.inst + "/smtp";
    h.p_bounce = h.inst + "/bounce";
    h.p_anvil = h.inst + "/anvil";
    h.p_postscreen = h.inst + "/postscreen";
    h.qmgr = h.pids.spawn(r_);
    h.postscreen_pid = h.pids.spawn(r_);
    h.anvil = h.pids.spawn(r_);
    h.opendkim = h.pids.spawn(r_);
    h.uptime_base = r_.range(100000, 9000000);
    hosts_.push_back(std::move(h));
  }
}

void Gen::make_background_clients() {
  const i64 want = o_.clients > 0 ? o_.clients : std::max<i64>(300, o_.lines / 400);
  // More than the benchmarking range holds: IPv4 clients from 10.0.0.0/8
  // (a bijection of k over 8,000,000 addresses; the default keeps its bytes).
  const bool wide = o_.clients > 0;
  u64 k = 0;
  for (i64 n = 0; n < want; ++n) {
    Client c;
    const std::string org = r_.pick(kOrgs) + (r_.chance(0.6) ? std::to_string(r_.below(500)) : "");
    const std::string tld = r_.pick(kTlds);
    c.domain = org + "." + tld;
    switch (r_.weighted({30, 20, 15, 15, 10, 10})) {
      case 0:
        c.name = "mail-out-" + std::to_string(r_.below(40)) + "." + c.domain;
        break;
      case 1:
        c.name = "mx" + std::to_string(r_.below(9)) + ".smtp." + c.domain;
        break;
      case 2:
        c.name = "a" + std::to_string(r_.below(99)) + "-" + std::to_string(r_.below(250)) +
                 ".smtp-out.eu-west-" + std::to_string(1 + r_.below(3)) + ".mailer-cloud." + tld;
        break;
      case 3:
        c.name = "mail-" + std::string(r_.chance(0.5) ? "db" : "am") + std::to_string(r_.below(9)) +
                 "eur0" + std::to_string(r_.below(9)) + "on2" +
                 std::to_string(100 + r_.below(800)) + ".outbound.protection." + tld;
        break;
      case 4:
        c.name = "smtp" + std::to_string(r_.below(20)) + "." + c.domain;
        break;
      default:
        c.name = "unknown";
        break;
    }
    c.helo = c.name == "unknown" ? "mail." + c.domain : c.name;
    c.tls = r_.chance(0.72);
    c.bdat = c.tls && r_.chance(0.25);
    if (r_.chance(0.12)) {
      c.ip = "2001:db8:b6:" + hex_nz(1 + static_cast<u64>(n) / 4000) +
             "::" + hex_nz(1 + static_cast<u64>(n) % 4000);
    } else {
      // 198.18.0.0 - 198.19.127.255 (RFC 2544 benchmarking range; the upper half
      // of 198.19/16 is for users, bots and scanners), a bijection of k, no .0/.255
      for (;;) {
        const u64 idx = wide ? 1 + (k++ * 7919) % 8000000 : 1 + (k++ * 7919) % 98000;
        const u64 a = wide ? (10ULL << 24) + idx : (198ULL << 24) + (18ULL << 16) + idx;
        if ((a & 255) == 0 || (a & 255) == 255) {
          continue;
        }
        c.ip = std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
               std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
        break;
      }
    }
    clients_.push_back(std::move(c));
  }
  n_background_ = static_cast<u32>(clients_.size());
  // Submission users (port 587, SASL), on dial-up style addresses.
  for (u32 n = 0; n < 200; ++n) {
    Client c;
    const u32 a = 1 + n * 37;
    c.ip = "198.19." + std::to_string(128 + a / 254) + "." + std::to_string(1 + a % 254);
    std::string dashed = c.ip;
    std::replace(dashed.begin(), dashed.end(), '.', '-');
    c.name = r_.chance(0.3) ? "unknown"
                            : "host-" + dashed + ".dsl.isp" + std::to_string(n % 7) + ".example";
    c.domain = kOurDomains[0];
    c.helo = "[127.0.0.1]";
    clients_.push_back(std::move(c));
  }
  first_user_ = n_background_;
  n_users_ = 200;
  // Documentation ranges for scenario clients, shuffled.
  for (const char* net : {"192.0.2.", "198.51.100.", "203.0.113."}) {
    for (int i = 1; i <= 254; ++i) {
      v4_pool_.push_back(net + std::to_string(i));
    }
  }
  for (std::size_t i = v4_pool_.size(); i > 1; --i) {
    std::swap(v4_pool_[i - 1], v4_pool_[static_cast<std::size_t>(rs_.below(i))]);
  }
}

u32 Gen::new_scenario_client(const std::string& sector) {
  Client c;
  const std::string org = sector + "-" + std::to_string(rs_.below(1000));
  const std::string tld = rs_.pick(kTlds);
  c.domain = org + "." + tld;
  switch (rs_.below(4)) {
    case 0:
      c.name = "extmta" + std::to_string(1 + rs_.below(4)) + "-new." + c.domain;
      break;
    case 1:
      c.name = "mx-out" + std::to_string(1 + rs_.below(9)) + "." + c.domain;
      break;
    case 2:
      c.name = "mta" + std::to_string(rs_.below(30)) + ".mail." + c.domain;
      break;
    default:
      c.name = "relay" + std::to_string(rs_.below(5)) + "." + c.domain;
      break;
  }
  if (rs_.chance(0.06)) {
    c.name = "unknown";
  }
  c.helo = c.name == "unknown" ? "mail." + c.domain : c.name;
  c.scenario = true;
  if (v4_pool_.empty() || rs_.chance(0.2)) {
    c.ip = "2001:db8:d0:" + hex_nz(1 + v6_next_ / 60000) + "::" + hex_nz(1 + v6_next_ % 60000);
    ++v6_next_;
  } else {
    c.ip = v4_pool_.back();
    v4_pool_.pop_back();
  }
  clients_.push_back(std::move(c));
  return static_cast<u32>(clients_.size() - 1);
}

Spec Gen::failed_spec(i64 t, u32 client, std::uint8_t host, FailVar fv, bool interleave) {
  Spec s;
  s.t = t;
  s.kind = SK::kFailed;
  s.host = host;
  s.client = client;
  s.fvar = fv;
  if (rs_.chance(0.1)) {
    s.name_override = "unknown";  // DNS failed that time
  }
  if (fv == FailVar::kTimeout) {
    s.ev_off = 300 * kSec + rs_.range(150, 900);
    s.end_off = s.ev_off + rs_.range(0, 40);
  } else if (fv == FailVar::kCountersOnly) {
    s.ev_off = rs_.range(300, 1500);
    s.end_off = s.ev_off;
  } else {
    s.ev_off = rs_.range(250, 1500);
    s.end_off = s.ev_off + (interleave ? rs_.range(2500, 4000) : rs_.range(0, 300));
  }
  return s;
}

Spec Gen::msg_spec(i64 t, u32 client, std::uint8_t host, bool tls, int nmsg, bool planned) {
  Spec s;
  s.t = t;
  s.kind = SK::kMsg;
  s.host = host;
  s.client = client;
  s.tls = tls;
  s.nmsg = nmsg;
  s.planned = planned;
  return s;
}

i64 Gen::bound(const Spec& s) const {
  return s.t + (s.kind == SK::kFailed ? s.end_off + kSec : 30 * kSec);
}

FailVar random_failvar(Rng& r) {
  switch (r.weighted({30, 14, 6, 12, 4, 5, 8, 6, 5, 5, 5})) {
    case 0:
      return FailVar::kOssl3NoSharedCipher;
    case 1:
      return FailVar::kOssl10NoSharedCipher;
    case 2:
      return FailVar::kOssl11NoSharedCipher;
    case 3:
      return FailVar::kLostAfterStarttls;
    case 4:
      return FailVar::kNoqueueLost;
    case 5:
      return FailVar::kTimeout;
    case 6:
      return FailVar::kUnsupportedProtocol;
    case 7:
      return FailVar::kAlertFirst;
    case 8:
      return FailVar::kWrongVersion;
    case 9:
      return FailVar::kUnexpectedEof;
    default:
      return FailVar::kCountersOnly;
  }
}

// k failed sessions from t on, a few minutes apart; t ends at the last one's start.
void Gen::plan_failures(std::vector<Spec>& v, i64& t, u32 client, std::uint8_t host, int k,
                        bool last_interleave, std::string& notes) {
  notes += "failures=" + std::to_string(k);
  for (int i = 0; i < k; ++i) {
    const bool il = last_interleave && i == k - 1;
    const FailVar fv =
        il ? (rs_.chance(0.5) ? FailVar::kOssl3NoSharedCipher : FailVar::kOssl10NoSharedCipher)
           : random_failvar(rs_);
    v.push_back(failed_spec(t, client, host, fv, il));
    notes += std::string(i == 0 ? " (" : ",") + fail_var_name(fv);
    if (i + 1 < k) {
      t += v.back().end_off + rs_.range(2 * kMin, 15 * kMin);
    }
  }
  notes += ")";
}

// An unrelated plaintext sender takes over the failed session's smtpd process.
void Gen::add_partner(std::vector<Spec>& v, Spec& failed, std::vector<ManifestRow>& rows,
                      std::string& notes) {
  const int key = next_key_++;
  failed.reserve_key = key;
  // Copy what is needed: pushing onto v may move `failed`.
  const i64 failed_end = failed.t + failed.end_off;
  const std::uint8_t host = failed.host;
  const std::string failed_ip = clients_[failed.client].ip;
  const u32 y = new_scenario_client(rs_.pick(kSectors));
  Spec a = msg_spec(failed_end + rs_.range(300, 5000), y, host, false, 1, false);
  a.use_key = key;
  Spec b = msg_spec(a.t + rs_.range(5 * kMin, 60 * kMin), y, host, false, 1, false);
  v.push_back(a);
  v.push_back(b);
  rows.push_back(ManifestRow{
      "decoy-pid-reuse-partner", hosts_[host].name, clients_[y].ip, clients_[y].name,
      "plaintext sender reusing the pid of " + failed_ip + "'s failed session, then again later",
      a.t, 0});
  notes += " pid-reused-by=" + clients_[y].ip;
}

// Plans one scenario of kind k with times relative to 0. False if not possible.
bool Gen::plan_one(Kind k, bool allow_long, std::vector<Spec>& v, std::vector<ManifestRow>& rows) {
  const std::uint8_t host =
      o_.hosts > 1 && k != Kind::kCrossHost && rs_.chance(0.25) ? std::uint8_t{1} : std::uint8_t{0};
  const u32 c = new_scenario_client(rs_.pick(kSectors));
  std::string notes;
  int planned = 0;
  i64 t = 0;
  const auto nfail = [&] { return static_cast<int>(1 + rs_.weighted({60, 30, 10})); };
  switch (k) {
    case Kind::kDowngrade:
    case Kind::kLateDowngrade: {
      if (allow_long && rs_.chance(0.15)) {
        v.push_back(msg_spec(t, c, host, true, 1, false));
        t += rs_.range(1 * kHour, 3 * kHour);
        notes += "earlier-tls-session ";
      }
      const bool late = k == Kind::kLateDowngrade;
      const bool il = !late && rs_.chance(0.12);
      const int nf = late ? 1 : nfail();
      plan_failures(v, t, c, host, nf, il, notes);
      const std::size_t fi = v.size() - 1;
      // 0: nothing special; 1: an unrelated sender reuses the failed session's pid;
      // 2: the plaintext retry runs on the failed session's pid.
      const std::size_t reuse =
          il ? (rs_.chance(0.35) ? 1 : 0) : rs_.weighted({45, 35, late ? 0.0 : 20.0});
      Spec p = msg_spec(0, c, host, false, rs_.chance(0.2) ? 2 : 1, true);
      if (il) {
        p.t = v[fi].t + v[fi].ev_off + rs_.range(0, 1200);
        p.c_off = rs_.range(300, 900);
        notes += " interleaved(client= before the failed session's disconnect)";
      } else if (late) {
        p.t = v[fi].t + v[fi].ev_off + rs_.range(20 * kHour, 23 * kHour + 30 * kMin);
        notes += " gap=20h..23h30m";
      } else {
        p.t = v[fi].t + v[fi].end_off + rs_.range(1 * kMin, 60 * kMin);
      }
      if (reuse == 2) {
        const int key = next_key_++;
        v[fi].reserve_key = key;
        p.use_key = key;
        notes += " retry-on-same-pid";
      }
      planned += p.nmsg;
      notes += " messages=" + std::to_string(p.nmsg);
      v.push_back(p);
      if (!late && allow_long && rs_.chance(0.1)) {
        Spec p2 = msg_spec(p.t + rs_.range(1 * kHour, 6 * kHour), c, host, false, 1, true);
        v.push_back(p2);
        planned += 1;
        notes += " +plaintext-again-1..6h-later";
      }
      if (reuse == 1) {
        add_partner(v, v[fi], rows, notes);
      }
      break;
    }
    case Kind::kTlsRetry:
    case Kind::kTlsBetween: {
      const bool il = k == Kind::kTlsRetry && rs_.chance(0.15);
      plan_failures(v, t, c, host, nfail(), il, notes);
      const std::size_t fi = v.size() - 1;
      Spec s = msg_spec(0, c, host, true, 1, false);
      if (il) {
        s.t = v[fi].t + v[fi].ev_off + rs_.range(0, 800);
        s.c_off = rs_.range(600, 1000);
        notes += " interleaved";
      } else {
        s.t = v[fi].t + v[fi].end_off + rs_.range(1 * kMin, 60 * kMin);
      }
      v.push_back(s);
      notes += " then-tls-session";
      if (k == Kind::kTlsBetween) {
        v.push_back(msg_spec(s.t + rs_.range(10 * kMin, 120 * kMin), c, host, false, 1, false));
        notes += " then-plaintext";
      }
      if (!il && rs_.chance(0.3)) {
        add_partner(v, v[fi], rows, notes);
      }
      break;
    }
    case Kind::kFailOnly: {
      plan_failures(v, t, c, host, nfail(), false, notes);
      if (rs_.chance(0.4)) {
        add_partner(v, v.back(), rows, notes);
      }
      break;
    }
    case Kind::kStale: {
      plan_failures(v, t, c, host, nfail(), false, notes);
      const Spec& f = v.back();
      v.push_back(msg_spec(f.t + f.ev_off + 24 * kHour + rs_.range(10 * kMin, 90 * kMin), c, host,
                           false, 1, false));
      notes += " plaintext 24h10m..25h30m after the last failure";
      break;
    }
    case Kind::kLateWarning: {
      Spec s = msg_spec(0, c, host, true, 1, false);
      s.late_warning = true;
      v.push_back(s);
      v.push_back(msg_spec(rs_.range(5 * kMin, 60 * kMin), c, host, false, 1, false));
      notes += "tls session with a TLS library warning after the handshake, then plaintext";
      break;
    }
    case Kind::kPlainOnly: {
      const int n = rs_.irange(2, 4);
      for (int i = 0; i < n; ++i) {
        v.push_back(msg_spec(t, c, host, false, rs_.chance(0.2) ? 2 : 1, false));
        t += rs_.range(5 * kMin, allow_long ? 3 * kHour : 20 * kMin);
      }
      notes += "plaintext sessions=" + std::to_string(n);
      break;
    }
    case Kind::kCrossHost: {
      const std::uint8_t fh = rs_.chance(0.5) ? 1 : 0;
      plan_failures(v, t, c, fh, 1, false, notes);
      const Spec& f = v.back();
      v.push_back(msg_spec(f.t + f.end_off + rs_.range(5 * kMin, 60 * kMin), c,
                           static_cast<std::uint8_t>(1 - fh), false, 1, true));
      notes += " on " + hosts_[fh].name + ", plaintext on " + hosts_[1 - fh].name;
      break;
    }
    case Kind::kNewYear:
    case Kind::kCount:
      return false;
  }
  rows.push_back(ManifestRow{kind_name(k), hosts_[host].name, clients_[c].ip, clients_[c].name,
                             notes, 0, planned});
  return true;
}

void Gen::plan_scenarios() {
  const i64 start_ms = o_.start * kSec;
  const i64 span = o_.span;
  const double est_sessions = static_cast<double>(o_.lines) / 10.0;
  const double est_fail = est_sessions * o_.fail_permille / 1000.0;
  std::vector<Kind> kinds = {Kind::kDowngrade, Kind::kTlsRetry, Kind::kTlsBetween, Kind::kFailOnly};
  std::vector<double> weights = {45, 17, 8, 18};
  if (span >= 26 * kHour) {
    kinds.push_back(Kind::kStale);
    weights.push_back(5);
  }
  if (span >= 24 * kHour) {
    kinds.push_back(Kind::kLateDowngrade);
    weights.push_back(3);
  }
  if (o_.hosts > 1) {
    kinds.push_back(Kind::kCrossHost);
    weights.push_back(4);
  }
  const auto nfail_scen =
      std::max<i64>(static_cast<i64>(kinds.size()), std::llround(est_fail / 1.45));
  const i64 nplain = std::max<i64>(2, nfail_scen / 5);
  std::vector<Kind> todo = kinds;
  double wsum = 0;
  for (double w : weights) {
    wsum += w;
  }
  while (static_cast<i64>(todo.size()) < nfail_scen) {
    double x = rs_.unit() * wsum;
    std::size_t i = 0;
    while (i + 1 < kinds.size() && x >= weights[i]) {
      x -= weights[i++];
    }
    todo.push_back(kinds[i]);
  }
  for (i64 i = 0; i < nplain; ++i) {
    todo.push_back(i % 2 == 0 ? Kind::kPlainOnly : Kind::kLateWarning);
  }

  for (const Kind k : todo) {
    for (const bool allow_long : {true, false}) {
      std::vector<Spec> v;
      std::vector<ManifestRow> rows;
      const std::size_t mark = clients_.size();
      const u64 v6mark = v6_next_;
      if (!plan_one(k, allow_long, v, rows)) {
        break;
      }
      i64 dur = 0;
      for (const Spec& s : v) {
        dur = std::max(dur, bound(s));
      }
      const i64 room = span - dur - 2 * kMin;
      if (room < 0) {
        // Give the addresses back and try without the long options.
        while (clients_.size() > mark) {
          if (clients_.back().ip.find(':') == std::string::npos) {
            v4_pool_.push_back(clients_.back().ip);
          }
          clients_.pop_back();
        }
        v6_next_ = v6mark;
        continue;
      }
      const i64 base = start_ms + kMin + rs_.range(0, room);
      for (Spec& s : v) {
        s.t += base;
        specs_.push_back(std::move(s));
      }
      for (ManifestRow& m : rows) {
        m.start_ms += base;
        manifest_.push_back(std::move(m));
      }
      break;
    }
  }

  // New Year: incidents and a decoy across midnight, when the span holds one.
  const Civil c0 = civil(o_.start);
  using namespace std::chrono;
  const i64 ny =
      sys_days{year{c0.year + 1} / January / 1}.time_since_epoch().count() * 86400 * kSec;
  if (ny - 25 * kMin >= start_ms && ny + 40 * kMin <= start_ms + span) {
    const auto add = [&](std::vector<Spec> v, u32 c, const std::string& notes, int planned) {
      manifest_.push_back(ManifestRow{kind_name(Kind::kNewYear), hosts_[v.front().host].name,
                                      clients_[c].ip, clients_[c].name, notes, v.front().t,
                                      planned});
      for (Spec& s : v) {
        specs_.push_back(std::move(s));
      }
    };
    {  // failure some minutes before midnight, plaintext some minutes after
      const u32 c = new_scenario_client("newyear");
      Spec f = failed_spec(ny - rs_.range(3 * kMin, 20 * kMin), c, 0, FailVar::kOssl3NoSharedCipher,
                           false);
      Spec p = msg_spec(ny + rs_.range(1 * kMin, 25 * kMin), c, 0, false, 1, true);
      add({f, p}, c, "downgrade across midnight, minutes", 1);
    }
    {  // failure in the last seconds of the year, plaintext in the first seconds
      const u32 c = new_scenario_client("newyear");
      Spec f = failed_spec(ny - 2 * kSec - rs_.range(400, 700), c, 0,
                           FailVar::kOssl10NoSharedCipher, false);
      f.ev_off = 1200;  // evidence at 23:59:58/59
      f.end_off = f.ev_off + 150;
      Spec p = msg_spec(ny + rs_.range(1 * kSec, 3 * kSec), c, 0, false, 2, true);
      add({f, p}, c, "downgrade across midnight, seconds", 2);
    }
    {  // interleaved across midnight: client= at 00:00:0x before the failed disconnect
      const u32 c = new_scenario_client("newyear");
      Spec f = failed_spec(ny - 1500, c, 0, FailVar::kOssl3NoSharedCipher, true);
      f.ev_off = 700;  // 23:59:59.2
      f.end_off = 4000;
      Spec p = msg_spec(ny - 700, c, 0, false, 1, true);
      p.c_off = 1200;  // 00:00:00.5
      add({f, p}, c, "interleaved downgrade across midnight", 1);
    }
    {  // decoy: TLS retry across midnight
      const u32 c = new_scenario_client("newyear");
      Spec f = failed_spec(ny - rs_.range(2 * kMin, 15 * kMin), c, 0, FailVar::kLostAfterStarttls,
                           false);
      Spec s = msg_spec(ny + rs_.range(1 * kMin, 15 * kMin), c, 0, true, 1, false);
      add({f, s}, c, "decoy: tls retry across midnight", 0);
    }
  }
  for (u32 i = 0; i < specs_.size(); ++i) {
    schedule(specs_[i].t, EvType::kScenario, i);
  }
}

// -------------------------------------------------------------- simulation
void Gen::schedule(i64 t, EvType type, u32 idx) { events_.push(Event{t, ev_seq_++, type, idx}); }

void Gen::push(i64 t, const Host& h, const std::string& prog, u32 pid, const std::string& msg,
               Tag tag, u32 client, bool planned, const std::string& qid) {
  std::string body;
  body.reserve(h.name.size() + prog.size() + msg.size() + 12);
  body += h.name;
  body += ' ';
  body += prog;
  body += '[';
  body += std::to_string(pid);
  body += "]: ";
  body += msg;
  const auto host = static_cast<std::uint8_t>(&h - hosts_.data());
  lines_.push(Line{t, line_seq_++, std::move(body), tag, host, planned, client, qid});
  ++materialised_;
}

void Gen::push_raw(i64 t, const Host& h, const std::string& prog_pid, const std::string& msg) {
  std::string body;
  body.reserve(h.name.size() + prog_pid.size() + msg.size() + 4);
  body += h.name;
  body += ' ';
  body += prog_pid;
  body += ": ";
  body += msg;
  const auto host = static_cast<std::uint8_t>(&h - hosts_.data());
  lines_.push(Line{t, line_seq_++, std::move(body), Tag::kNone, host, false, 0, {}});
  ++materialised_;
}

std::string Gen::new_qid() {
  // A bijection of a counter on 40 bits: unique, scrambled, 10 upper-case hex digits.
  const u64 mask = (1ULL << 40) - 1;
  u64 x = (++qid_counter_ * 0x9E3779B97F4A7C15ULL + 0x12345ULL) & mask;
  x ^= x >> 17;
  x = (x * 0xD6E8FEB86659FD93ULL) & mask;
  x ^= x >> 19;
  x = (x * 0x2545F4914F6CDD1DULL) & mask;
  x ^= x >> 13;
  return hex(x, 10, true);
}

std::string Gen::message_id(i64 t, const std::string& domain, const std::string& qid) {
  const Civil c = civil(floor_div(t, kSec));
  char ts[32];
  std::snprintf(ts, sizeof ts, "%04d%02u%02u%02u%02u%02u", c.year, c.month, c.day, c.hour, c.minute,
                c.second);
  switch (r_.weighted({30, 25, 20, 15, 10})) {
    case 0:
      return std::string(ts) + "." + qid + "@" + (r_.chance(0.5) ? "mail." : "") + domain;
    case 1:
      return hex(r_.next(), 8, false) + "-" + hex(r_.next(), 4, false) + "-" +
             hex(r_.next(), 4, false) + "-" + hex(r_.next(), 4, false) + "-" +
             hex(r_.next(), 12, false) + "@" + domain;
    case 2:
      return "0102" + hex(r_.next(), 12, false) + "-" + hex(r_.next(), 8, false) + "-" +
             hex(r_.next(), 4, false) + "-" + hex(r_.next(), 4, false) + "-" +
             hex(r_.next(), 12, false) + "-000000@eu-west-1.mailer-cloud.example";
    case 3:
      return "CA+" + b64ish(r_, 44) + "@mail." + domain;
    default:
      return "UMS" + std::to_string(r_.range(100000000, 999999999)) + ts + "." +
             kHelloWords[r_.below(kHelloWords.size())] + "@welcome." + domain;
  }
}

std::string Gen::recipient() { return r_.pick(kUsers) + "@" + r_.pick(kOurDomains); }

std::string Gen::random_bg_ip() {
  return "198.19." + std::to_string(160 + r_.below(96)) + "." + std::to_string(1 + r_.below(254));
}

// One accepted message: client=, cleanup, qmgr, deliveries, removed.
// Returns the time the message was queued (qmgr "queue active").
i64 Gen::message(Host& h, i64 tc, u32 smtpd_pid, const std::string& smtpd_prog, const Client& c,
                 const std::string& cname, Tag tag, bool planned, bool submission, u32 client_id) {
  const std::string qid = new_qid();
  std::string m = qid + ": client=" + cname + "[" + c.ip + "]";
  std::string user;
  if (submission) {
    user = r_.pick(kUsers) + "@" + kOurDomains[0];
    m += ", sasl_method=" + std::string(r_.chance(0.7) ? "PLAIN" : "LOGIN") +
         ", sasl_username=" + user;
  }
  push(tc, h, smtpd_prog, smtpd_pid, m, tag, client_id, planned, qid);
  const i64 size = r_.log_range(1200, 400000);
  const i64 tcl = tc + r_.range(20, 60 + size / 800);
  const std::string from_domain = submission ? kOurDomains[0] : c.domain;
  const std::string sender =
      submission ? user
                 : r_.pick(kLocalparts) + (r_.chance(0.3) ? "+" + hex(r_.next(), 6, false) : "") +
                       "@" + from_domain;
  const std::string msgid = message_id(tc, from_domain, qid);
  push(tcl, h, h.p_cleanup, h.cleanup.get(r_, h.pids), qid + ": message-id=<" + msgid + ">");
  if (!submission && r_.chance(0.25)) {
    push_raw(tcl + r_.range(5, 40), h, "opendkim[" + std::to_string(h.opendkim) + "]",
             qid + ": DKIM verification successful");
    ++non_postfix_;
  }
  const i64 tq = tcl + r_.range(150, 1200);
  const int nrcpt = r_.chance(0.12) ? 2 : 1;
  last_nrcpt_ = nrcpt;
  push(tq, h, h.p_qmgr, h.qmgr,
       qid + ": from=<" + sender + ">, size=" + std::to_string(size) +
           ", nrcpt=" + std::to_string(nrcpt) + " (queue active)");
  i64 tlast = tq;
  for (int i = 0; i < nrcpt; ++i) {
    const i64 td = tq + r_.range(30, 2500);
    tlast = std::max(tlast, td);
    const std::string delays = "delay=" + delay_fmt(td - tc) + ", delays=" + delay_fmt(tq - tc) +
                               "/" + delay_fmt(r_.range(0, 40)) + "/" + delay_fmt(r_.range(0, 60)) +
                               "/" + delay_fmt(td - tq);
    if (submission) {
      const std::string rdom = r_.pick(kOrgs) + "." + r_.pick(kTlds);
      const std::string rip =
          "198.18." + std::to_string(200 + r_.below(50)) + "." + std::to_string(1 + r_.below(254));
      const std::string mx = "mx" + std::to_string(r_.below(4)) + "." + rdom;
      const u32 spid = h.smtp.get(r_, h.pids);
      push(td - r_.range(5, 25), h, h.p_smtp, spid,
           "Untrusted TLS connection established to " + mx + "[" + rip +
               "]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) "
               "key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256");
      push(td, h, h.p_smtp, spid,
           qid + ": to=<" + r_.pick(kLocalparts) + "@" + rdom + ">, relay=" + mx + "[" + rip +
               "]:25, " + delays + ", dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as " +
               hex(r_.next(), 11, true) + ")");
      continue;
    }
    const std::string rcpt = recipient();
    switch (r_.weighted({62, 23, 13, 2})) {
      case 0: {
        const std::string sid = b64ish(r_, 22);
        push_raw(td - r_.range(3, 20), h, "dovecot",
                 "lmtp(" + rcpt + ")<" + std::to_string(r_.range(10000, 99999)) + "><" + sid +
                     ">: msgid=<" + msgid + ">: saved mail to INBOX");
        ++non_postfix_;
        push(td, h, h.p_lmtp, h.lmtp.get(r_, h.pids),
             qid + ": to=<" + rcpt + ">, relay=" + h.name + ".example.com[private/dovecot-lmtp], " +
                 delays + ", dsn=2.0.0, status=sent (250 2.0.0 <" + rcpt + "> " + sid + " Saved)");
        break;
      }
      case 1:
        push(td, h, h.p_local, h.local.get(r_, h.pids),
             qid + ": to=<" + rcpt + ">, relay=local, " + delays +
                 ", dsn=2.0.0, status=sent (delivered to mailbox)");
        break;
      case 2: {
        const u32 spid = h.smtp.get(r_, h.pids);
        push(td, h, h.p_smtp, spid,
             qid + ": to=<" + rcpt + ">, orig_to=<" + r_.pick(kUsers) + "@" + kOurDomains[1] +
                 ">, relay=ds214.example.com[10.0.0.25]:25, " + delays +
                 ", dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as " + hex(r_.next(), 7, true) +
                 ")");
        break;
      }
      default: {
        // Mailbox full: bounced, and a non-delivery notification leaves through smtp.
        push(td, h, h.p_lmtp, h.lmtp.get(r_, h.pids),
             qid + ": to=<" + rcpt + ">, relay=" + h.name + ".example.com[private/dovecot-lmtp], " +
                 delays + ", dsn=5.2.2, status=bounced (host " + h.name +
                 ".example.com[private/dovecot-lmtp] said: 552 5.2.2 <" + rcpt +
                 "> Quota exceeded (mailbox for user is full) (in reply to end of DATA command))");
        const std::string nq = new_qid();
        const i64 tb = td + r_.range(5, 60);
        push(tb, h, h.p_bounce, h.bounce.get(r_, h.pids),
             qid + ": sender non-delivery notification: " + nq);
        push(tb + 2, h, h.p_cleanup, h.cleanup.get(r_, h.pids),
             nq + ": message-id=<" + message_id(tb, h.name + ".example.com", nq) + ">");
        push(
            tb + 10, h, h.p_qmgr, h.qmgr,
            nq + ": from=<>, size=" + std::to_string(size / 3 + 2400) + ", nrcpt=1 (queue active)");
        const i64 to = tb + r_.range(200, 3000);
        push(to, h, h.p_smtp, h.smtp.get(r_, h.pids),
             nq + ": to=<" + sender +
                 ">, relay=" + (c.name == "unknown" ? "mail." + c.domain : c.name) + "[" + c.ip +
                 "]:25, delay=" + delay_fmt(to - tb) + ", delays=0.01/0/" +
                 delay_fmt((to - tb) / 2) + "/" + delay_fmt((to - tb) / 2) +
                 ", dsn=2.0.0, status=sent (250 2.0.0 Ok)");
        push(to + 3, h, h.p_qmgr, h.qmgr, nq + ": removed");
        break;
      }
    }
  }
  push(tlast + r_.range(2, 40), h, h.p_qmgr, h.qmgr, qid + ": removed");
  return tq;
}

std::string counters(bool tls, int nmsg, int nrcpt, int nrcpt_fail, bool quit, bool bdat, bool helo,
                     bool auth) {
  std::string s;
  int n = 0, tried = 0;
  const auto add = [&](const char* name, int ok, int total) {
    if (total == 0) {
      return;
    }
    s += ' ';
    s += name;
    s += '=';
    s += std::to_string(ok);
    if (ok != total) {
      s += "/" + std::to_string(total);
    }
    n += ok;
    tried += total;
  };
  add(helo ? "helo" : "ehlo", tls ? 2 : 1, tls ? 2 : 1);
  if (tls) {
    add("starttls", 1, 1);
  }
  if (auth) {
    add("auth", 1, 1);
  }
  add("mail", std::max(nmsg, nrcpt_fail > 0 ? 1 : 0), std::max(nmsg, nrcpt_fail > 0 ? 1 : 0));
  add("rcpt", nrcpt, nrcpt + nrcpt_fail);
  add(bdat ? "bdat" : "data", nmsg, nmsg);
  if (quit) {
    add("quit", 1, 1);
  }
  s += " commands=" + std::to_string(n);
  if (n != tried) {
    s += "/" + std::to_string(tried);
  }
  return s;
}

const std::string& tls_line_tail(Rng& r) {
  static const std::vector<std::string> v = {
      ": TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 "
      "server-signature RSA-PSS (2048 bits) server-digest SHA256",
      ": TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits) key-exchange X25519 "
      "server-signature RSA-PSS (2048 bits) server-digest SHA256",
      ": TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)",
      ": TLSv1.3 with cipher TLS_CHACHA20_POLY1305_SHA256 (256/256 bits) key-exchange X25519 "
      "server-signature RSA-PSS (2048 bits) server-digest SHA256"};
  return v[static_cast<std::size_t>(r.weighted({55, 20, 20, 5}))];
}

// An smtpd session with messages (or a RCPT reject), TLS or plaintext.
void Gen::session_msg(const Spec& s, bool submission, bool reject) {
  Host& h = hosts_[s.host];
  const Client& c = clients_[s.client];
  const std::string& cname = cname_for(s);
  const std::string& prog = submission ? h.p_sub : h.p_smtpd;
  ++sessions_;
  const i64 t = s.t;
  i64 conn = t;
  std::string ps_peer;
  const bool ps = h.postscreen && !submission;
  if (ps) {
    ps_peer = "[" + c.ip + "]:" + std::to_string(r_.range(1024, 65535));
    conn = t + r_.range(60, 120);
  }
  const bool dnswarn = !s.tls && c.name == "unknown" && !c.scenario && r_.chance(0.3);
  const i64 tls_at = conn + r_.range(100, 400);
  i64 tc = s.c_off >= 0 ? t + s.c_off : (s.tls ? tls_at : conn) + r_.range(300, 1500);
  // Precompute the message times so the session end (and the process) is known.
  std::vector<i64> starts;
  i64 end = tc;
  if (!reject) {
    for (int i = 0; i < s.nmsg; ++i) {
      starts.push_back(tc);
      tc += r_.range(900, 3000);
    }
    end = tc + r_.range(0, 1200);
  } else {
    end = tc + r_.range(200, 900);
  }
  const u32 pid =
      (submission ? h.sub : h.smtpd).acquire(r_, h.pids, t, end, s.use_key, reservations_);
  if (ps) {
    push(t, h, h.p_postscreen, h.postscreen_pid,
         "CONNECT from " + ps_peer + " to [" + h.our_ip + "]:25");
    push(t + r_.range(5, 50), h, h.p_postscreen, h.postscreen_pid,
         std::string(r_.chance(0.9) ? "PASS OLD " : "PASS NEW ") + ps_peer);
  }
  if (dnswarn) {
    push(conn, h, prog, pid,
         "warning: hostname " + c.helo + " does not resolve to address " + c.ip +
             ": Name or service not known");
  }
  push(conn, h, prog, pid, "connect from " + cname + "[" + c.ip + "]");
  if (s.tls) {
    push(tls_at, h, prog, pid,
         std::string(r_.chance(0.85) ? "Anonymous" : "Untrusted") +
             " TLS connection established from " + cname + "[" + c.ip + "]" + tls_line_tail(r_),
         Tag::kTlsUp, s.client);
  }
  if (reject) {
    const std::string rc =
        r_.chance(0.2) ? "nobody" + std::to_string(r_.below(100)) + "@example.com" : recipient();
    std::string why;
    switch (r_.below(3)) {
      case 0:
        why = "550 5.1.1 <" + rc +
              ">: Recipient address rejected: User unknown in virtual mailbox table";
        break;
      case 1:
        why = "450 4.2.0 <" + rc +
              ">: Recipient address rejected: Greylisted, see "
              "https://postgrey.schweikert.ch/help/example.com.html";
        break;
      default:
        why = "554 5.7.1 <" + rc + ">: Recipient address rejected: Access denied";
        break;
    }
    push(tc, h, prog, pid,
         "NOQUEUE: reject: RCPT from " + cname + "[" + c.ip + "]: " + why + "; from=<" +
             r_.pick(kLocalparts) + "@" + c.domain + "> to=<" + rc + "> proto=ESMTP helo=<" +
             c.helo + ">");
    push(end, h, prog, pid,
         "disconnect from " + cname + "[" + c.ip + "]" +
             counters(s.tls, 0, 0, 1, true, false, false, false));
    return;
  }
  const Tag tag = s.tls || submission ? Tag::kNone : Tag::kPlainClient;
  int nrcpt = 0;
  for (const i64 st : starts) {
    message(h, st, pid, prog, c, cname, tag, s.planned, submission, s.client);
    nrcpt += last_nrcpt_;
  }
  if (s.late_warning || (s.tls && !c.scenario && r_.chance(0.01))) {
    const i64 tw = end - r_.range(1, 30);
    push(tw, h, prog, pid,
         "warning: TLS library problem: error:0A000126:SSL routines::unexpected eof while "
         "reading:../ssl/record/rec_layer_s3.c:322:");
    push(tw, h, prog, pid, "lost connection after END-OF-MESSAGE from " + cname + "[" + c.ip + "]");
    push(end, h, prog, pid,
         "disconnect from " + cname + "[" + c.ip + "]" +
             counters(s.tls, s.nmsg, nrcpt, 0, false, c.bdat && !c.scenario, false, false));
    return;
  }
  const bool helo = !s.tls && !submission && r_.chance(0.1);
  push(end, h, prog, pid,
       "disconnect from " + cname + "[" + c.ip + "]" +
           counters(s.tls || submission, s.nmsg, nrcpt, 0, true, c.bdat && !c.scenario, helo,
                    submission));
}

void Gen::session_failed(const Spec& s) {
  Host& h = hosts_[s.host];
  const Client& c = clients_[s.client];
  const std::string& cname = cname_for(s);
  const std::string peer = cname + "[" + c.ip + "]";
  ++sessions_;
  ++failed_sessions_;
  const i64 t = s.t;
  const i64 ev = t + s.ev_off;
  const i64 end = t + s.end_off;
  const u32 pid = h.smtpd.acquire(r_, h.pids, t, end, s.use_key, reservations_);
  i64 conn = t;
  if (h.postscreen) {
    const std::string ps_peer = "[" + c.ip + "]:" + std::to_string(r_.range(1024, 65535));
    push(t, h, h.p_postscreen, h.postscreen_pid,
         "CONNECT from " + ps_peer + " to [" + h.our_ip + "]:25");
    push(t + r_.range(5, 50), h, h.p_postscreen, h.postscreen_pid, "PASS OLD " + ps_peer);
    conn = t + r_.range(60, 120);
  }
  push(conn, h, h.p_smtpd, pid, "connect from " + peer);
  const auto first = [&](i64 when, const std::string& msg) {
    push(when, h, h.p_smtpd, pid, msg, Tag::kFailFirst, s.client);
  };
  const auto more = [&](i64 when, const std::string& msg) { push(when, h, h.p_smtpd, pid, msg); };
  const std::string lib = "warning: TLS library problem: ";
  std::string cnt = " ehlo=1 starttls=0/1 commands=1/2";
  switch (s.fvar) {
    case FailVar::kOssl3NoSharedCipher:
      first(ev, "SSL_accept error from " + peer + ": -1");
      more(ev,
           lib + "error:0A0000C1:SSL routines::no shared cipher:../ssl/statem/statem_srvr.c:2220:");
      break;
    case FailVar::kOssl10NoSharedCipher:
      first(ev, "SSL_accept error from " + peer + ": -1");
      more(
          ev,
          lib +
              "error:1408A0C1:SSL routines:SSL3_GET_CLIENT_HELLO:no shared cipher:s3_srvr.c:1440:");
      if (r_.chance(0.5)) {
        cnt.clear();  // Postfix before 3.0 logged no counters
      }
      break;
    case FailVar::kOssl11NoSharedCipher:
      first(ev, "SSL_accept error from " + peer + ": -1");
      more(ev, lib +
                   "error:1417A0C1:SSL routines:tls_post_process_client_hello:no shared "
                   "cipher:../ssl/statem/statem_srvr.c:2283:");
      break;
    case FailVar::kLostAfterStarttls:
      if (r_.chance(0.5)) {
        first(ev, "SSL_accept error from " + peer + ": lost connection");
        more(ev, "lost connection after STARTTLS from " + peer);
      } else {
        first(ev, "lost connection after STARTTLS from " + peer);
      }
      break;  // counters starttls=0/1: with starttls=1 the client left after a good handshake
    case FailVar::kNoqueueLost:
      first(ev, "NOQUEUE: lost connection after STARTTLS from " + peer);
      break;
    case FailVar::kTimeout:
      first(ev, "timeout after STARTTLS from " + peer);
      break;
    case FailVar::kUnsupportedProtocol:
      first(ev, "SSL_accept error from " + peer + ": -1");
      more(ev, lib +
                   "error:0A000102:SSL routines::unsupported "
                   "protocol:../ssl/statem/statem_srvr.c:1657:");
      break;
    case FailVar::kAlertFirst:
      first(ev, lib +
                    "error:0A000410:SSL routines::sslv3 alert handshake "
                    "failure:../ssl/record/rec_layer_s3.c:1584:SSL alert number 40:");
      more(ev, "SSL_accept error from " + peer + ": -1");
      break;
    case FailVar::kWrongVersion:
      first(ev, "SSL_accept error from " + peer + ": -1");
      more(
          ev,
          lib +
              "error:0A00010B:SSL routines::wrong version number:../ssl/record/ssl3_record.c:354:");
      break;
    case FailVar::kUnexpectedEof:
      first(ev, "SSL_accept error from " + peer + ": -1");
      more(ev, lib +
                   "error:0A000126:SSL routines::unexpected eof while "
                   "reading:../ssl/record/rec_layer_s3.c:308:");
      break;
    case FailVar::kCountersOnly:  // the disconnect line below is the evidence
    case FailVar::kCount:
      break;
  }
  if (s.fvar == FailVar::kCountersOnly) {
    first(end, "disconnect from " + peer + cnt);
  } else {
    more(end, "disconnect from " + peer + cnt);
  }
  if (s.reserve_key >= 0) {
    h.smtpd.reserve(pid, s.reserve_key, reservations_);
  }
}

// Sessions that end without a queue id and without STARTTLS trouble.
void Gen::session_lost(i64 t, std::uint8_t host, u32 client) {
  Host& h = hosts_[host];
  const Client& c = clients_[client];
  ++sessions_;
  const std::string peer = c.name + "[" + c.ip + "]";
  const std::size_t kind = r_.weighted({35, 25, 20, 10, 10});
  const i64 end = t + (kind == 2 ? 300 * kSec : r_.range(300, 5000));
  const u32 pid = h.smtpd.acquire(r_, h.pids, t, end, -1, reservations_);
  i64 conn = t;
  if (h.postscreen) {
    const std::string ps_peer = "[" + c.ip + "]:" + std::to_string(r_.range(1024, 65535));
    push(t, h, h.p_postscreen, h.postscreen_pid,
         "CONNECT from " + ps_peer + " to [" + h.our_ip + "]:25");
    push(t + r_.range(5, 50), h, h.p_postscreen, h.postscreen_pid, "PASS OLD " + ps_peer);
    conn = t + r_.range(60, 120);
  }
  push(conn, h, h.p_smtpd, pid, "connect from " + peer);
  switch (kind) {
    case 0:
      push(end, h, h.p_smtpd, pid, "lost connection after EHLO from " + peer);
      push(end, h, h.p_smtpd, pid, "disconnect from " + peer + " ehlo=1 commands=1");
      break;
    case 1:
      push(end, h, h.p_smtpd, pid, "lost connection after AUTH from " + peer);
      push(end, h, h.p_smtpd, pid, "disconnect from " + peer + " ehlo=1 auth=0/1 commands=1/2");
      break;
    case 2:
      push(end, h, h.p_smtpd, pid, "timeout after CONNECT from " + peer);
      push(end, h, h.p_smtpd, pid, "disconnect from " + peer + " commands=0/0");
      break;
    case 3:
      push(conn + r_.range(50, 150), h, h.p_smtpd, pid,
           "warning: non-SMTP command from " + peer + ": GET / HTTP/1.1");
      push(end, h, h.p_smtpd, pid, "disconnect from " + peer + " unknown=0/1 commands=0/1");
      break;
    default:
      push(end, h, h.p_smtpd, pid, "lost connection after CONNECT from " + peer);
      push(end, h, h.p_smtpd, pid, "disconnect from " + peer + " commands=0/0");
      break;
  }
}

// Postscreen-only traffic: bots that never reach smtpd.
void Gen::bot(i64 t, std::uint8_t host) {
  Host& h = hosts_[host];
  if (!h.postscreen) {
    return;
  }
  const std::string ip = random_bg_ip();
  const std::string peer = "[" + ip + "]:" + std::to_string(r_.range(1024, 65535));
  const u32 p = h.postscreen_pid;
  push(t, h, h.p_postscreen, p, "CONNECT from " + peer + " to [" + h.our_ip + "]:25");
  i64 u = t + r_.range(50, 3000);
  switch (r_.below(4)) {
    case 0:
      push(u, h, h.p_postscreen, p,
           "PREGREET 11 after 0." + std::to_string(r_.range(10, 99)) + " from " + peer +
               ": EHLO User\\r\\n");
      push(u + 300, h, h.p_postscreen, p,
           "HANGUP after 0.8 from " + peer + " in tests after SMTP handshake");
      break;
    case 1:
      push(u, h, h.p_postscreen, p,
           "DNSBL rank " + std::to_string(r_.range(2, 6)) + " for " + peer);
      push(u + r_.range(100, 2000), h, h.p_postscreen, p,
           "NOQUEUE: reject: RCPT from " + peer + ": 550 5.7.1 Service unavailable; client [" + ip +
               "] blocked using zen.spamhaus.org; from=<" + r_.pick(kLocalparts) + "@" +
               r_.pick(kOrgs) + ".test>, to=<" + recipient() + ">, proto=ESMTP, helo=<" +
               r_.pick(kOrgs) + ".test>");
      break;
    case 2:
      push(
          u, h, h.p_postscreen, p,
          "HANGUP after " + delay_fmt(u - t) + " from " + peer + " in tests before SMTP handshake");
      break;
    default:
      push(u, h, h.p_postscreen, p, "COMMAND TIME LIMIT from " + peer + " after CONNECT");
      break;
  }
  push(u + r_.range(300, 1500), h, h.p_postscreen, p, "DISCONNECT " + peer);
}

void Gen::cron(i64 t, std::uint8_t host) {
  Host& h = hosts_[host];
  const u32 pid = h.pids.spawn(r_);
  const std::string prog = "CRON[" + std::to_string(pid) + "]";
  const Civil c = civil(floor_div(t, kSec));
  const std::string cmd =
      c.minute == 17       ? "(root) CMD (cd / && run-parts --report /etc/cron.hourly)"
      : c.minute % 10 == 5 ? "(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)"
                           : "(root) CMD ([ -x /usr/lib/php/sessionclean ] && if [ ! -d "
                             "/run/systemd/system ]; then /usr/lib/php/sessionclean; fi)";
  push_raw(t, h, prog, "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)");
  push_raw(t + 3, h, prog, cmd);
  push_raw(t + r_.range(20, 900), h, prog, "pam_unix(cron:session): session closed for user root");
  non_postfix_ += 3;
  h.pids.release(pid);
}

void Gen::anvil(i64 t, std::uint8_t host) {
  Host& h = hosts_[host];
  const auto at = [&](i64 back) { return syslog_stamp(floor_div(t - back, kSec)); };
  const Client& c = clients_[r_.below(n_background_)];
  push(t, h, h.p_anvil, h.anvil,
       "statistics: max connection rate " + std::to_string(r_.range(1, 9)) +
           "/60s for (smtp:" + c.ip + ") at " + at(r_.range(0, 600 * kSec)));
  push(t, h, h.p_anvil, h.anvil,
       "statistics: max connection count " + std::to_string(r_.range(1, 4)) + " for (smtp:" + c.ip +
           ") at " + at(r_.range(0, 600 * kSec)));
  push(t, h, h.p_anvil, h.anvil,
       "statistics: max cache size " + std::to_string(r_.range(2, 40)) + " at " +
           at(r_.range(0, 600 * kSec)));
}

void Gen::noise(i64 t) {
  Host& h = hosts_[static_cast<std::size_t>(r_.below(hosts_.size()))];
  switch (r_.weighted({40, 30, 30})) {
    case 0: {  // IMAP login now, logout later
      const std::string user = r_.pick(kUsers) + "@" + r_.pick(kOurDomains);
      const std::string sess = b64ish(r_, 16);
      const std::string mpid = std::to_string(r_.range(1000, 32000));
      push_raw(t, h, "dovecot",
               "imap-login: Login: user=<" + user + ">, method=PLAIN, rip=" + random_bg_ip() +
                   ", lip=" + h.our_ip + ", mpid=" + mpid + ", TLS, session=<" + sess + ">");
      ++non_postfix_;
      imap_.emplace_back(
          static_cast<std::uint8_t>(&h - hosts_.data()),
          "imap(" + user + ")<" + mpid + "><" + sess +
              ">: Logged out in=" + std::to_string(r_.range(100, 9000)) +
              " out=" + std::to_string(r_.range(500, 900000)) +
              " deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0");
      schedule(t + r_.range(5 * kSec, 10 * kMin), EvType::kImapLogout,
               static_cast<u32>(imap_.size() - 1));
      break;
    }
    case 1: {
      const i64 up = h.uptime_base + t / kSec - o_.start;
      char buf[48];
      std::snprintf(buf, sizeof buf, "[%lld.%06lld]", static_cast<long long>(up),
                    static_cast<long long>(r_.range(0, 999999)));
      static const std::array<int, 6> ports = {22, 23, 3389, 445, 8080, 5900};
      push_raw(t, h, "kernel",
               std::string(buf) +
                   " [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=" +
                   random_bg_ip() + " DST=" + h.our_ip + " LEN=44 TOS=0x00 PREC=0x00 TTL=" +
                   std::to_string(r_.range(40, 250)) + " ID=" + std::to_string(r_.range(1, 65535)) +
                   " PROTO=TCP SPT=" + std::to_string(r_.range(1024, 65535)) +
                   " DPT=" + std::to_string(ports[r_.below(ports.size())]) +
                   " WINDOW=1024 RES=0x00 SYN URGP=0");
      ++non_postfix_;
      break;
    }
    default: {
      const u32 pid = h.pids.spawn(r_);
      const std::string prog = "sshd[" + std::to_string(pid) + "]";
      const std::string ip = random_bg_ip();
      const std::string port = std::to_string(r_.range(1024, 65535));
      static const std::vector<std::string> who = {"admin",  "test", "oracle",
                                                   "ubuntu", "git",  "user"};
      const std::string& u = r_.pick(who);
      push_raw(t, h, prog, "Invalid user " + u + " from " + ip + " port " + port);
      push_raw(
          t + r_.range(100, 2000), h, prog,
          "Connection closed by invalid user " + u + " " + ip + " port " + port + " [preauth]");
      non_postfix_ += 2;
      h.pids.release(pid);
      break;
    }
  }
}

void Gen::arrival(i64 t) {
  ++arrivals_;
  // Steer the rate so that the wanted lines span about --span.
  const i64 remaining_lines = o_.lines - materialised_;
  const i64 remaining_ms = end_ms_ - t;
  const double per_arrival =
      arrivals_ > 200 ? static_cast<double>(materialised_) / static_cast<double>(arrivals_) : 9.0;
  if (remaining_ms > 10 * kMin && remaining_lines > 0) {
    rate_per_ms_ =
        static_cast<double>(remaining_lines) / per_arrival / static_cast<double>(remaining_ms);
  }
  if (rate_per_ms_ <= 0) {
    rate_per_ms_ = 1e-3;
  }
  schedule(t + 1 + static_cast<i64>(r_.exponential(1.0 / rate_per_ms_)), EvType::kArrival, 0);

  const std::uint8_t host = hosts_.size() > 1 && r_.chance(0.3) ? std::uint8_t{1} : std::uint8_t{0};
  // Busy senders send much more than the long tail.
  const double u = r_.unit();
  const u32 ci = static_cast<u32>(static_cast<double>(n_background_) * u * u * u);
  const Client& c = clients_[std::min(ci, n_background_ - 1)];
  Spec s;
  s.t = t;
  s.host = host;
  s.client = std::min(ci, n_background_ - 1);
  s.tls = c.tls;
  s.nmsg = r_.chance(0.08) ? 2 : 1;
  switch (r_.weighted({66, 11, 6, 7, 10})) {
    case 0:
      session_msg(s, false, false);
      break;
    case 1:
      session_msg(s, false, true);
      break;
    case 2:
      session_lost(t, host, s.client);
      break;
    case 3:
      if (hosts_[host].submission) {
        s.client = first_user_ + static_cast<u32>(r_.below(n_users_));
        s.tls = true;
        s.nmsg = 1;
        session_msg(s, true, false);
      } else {
        session_msg(s, false, false);
      }
      break;
    default:
      bot(t, host);
      break;
  }
  if (r_.chance(0.07)) {
    noise(t + r_.range(0, 999));
  }
}

void Gen::on_event(const Event& e) {
  switch (e.type) {
    case EvType::kArrival:
      arrival(e.t);
      break;
    case EvType::kScenario: {
      const Spec& s = specs_[e.idx];
      if (s.kind == SK::kFailed) {
        session_failed(s);
      } else {
        session_msg(s, false, false);
      }
      break;
    }
    case EvType::kCron:
      cron(e.t, static_cast<std::uint8_t>(e.idx));
      schedule(e.t + 5 * kMin, EvType::kCron, e.idx);
      break;
    case EvType::kAnvil:
      anvil(e.t, static_cast<std::uint8_t>(e.idx));
      schedule(e.t + 10 * kMin, EvType::kAnvil, e.idx);
      break;
    case EvType::kNoise:
      noise(e.t);
      break;
    case EvType::kImapLogout: {
      auto& [host, msg] = imap_[e.idx];
      push_raw(e.t, hosts_[host], "dovecot", msg);
      ++non_postfix_;
      break;
    }
  }
}

void Gen::emit(Line& l) {
  const i64 sec = floor_div(l.t, kSec);
  if (sec != stamp_sec_) {
    stamp_sec_ = sec;
    stamp_ = syslog_stamp(sec);
  }
  buf_ += stamp_;
  buf_ += ' ';
  buf_ += l.body;
  buf_ += '\n';
  bytes_ += static_cast<i64>(stamp_.size() + l.body.size() + 2);
  ++emitted_;
  if (buf_.size() >= (1U << 20)) {
    std::fwrite(buf_.data(), 1, buf_.size(), out_);
    buf_.clear();
  }
  if (l.tag == Tag::kNone) {
    return;
  }
  // The hosts are one MX set: a failure on one host and a plaintext retry
  // on another are an incident, a TLS session on any host is "in between".
  const u64 key = l.client;
  IpState& st = ipstate_[key];
  switch (l.tag) {
    case Tag::kFailFirst:
      st.failed = true;
      st.tls_since = false;
      st.fail_sec = sec;
      break;
    case Tag::kTlsUp:
      st.tls_since = true;
      break;
    case Tag::kPlainClient: {
      const bool incident = st.failed && !st.tls_since && (sec - st.fail_sec) * kSec <= o_.window;
      if (incident) {
        incidents_.push_back(Incident{clients_[l.client].ip, st.fail_sec, sec, l.qid});
      }
      if (l.planned) {
        ++planned_emitted_;
      }
      if (incident != l.planned && o_.window == 24 * kHour) {
        ++mismatches_;
        std::fprintf(stderr, "pftls_gen: internal error: %s incident for %s %s at %s\n",
                     l.planned ? "planned but no" : "unplanned", clients_[l.client].ip.c_str(),
                     l.qid.c_str(), rfc3339(sec).c_str());
      }
      break;
    }
    case Tag::kNone:
      break;
  }
}

int Gen::run() {
  const i64 start_ms = o_.start * kSec;
  end_ms_ = start_ms + o_.span;
  make_hosts();
  make_background_clients();
  plan_scenarios();
  for (u32 i = 0; i < hosts_.size(); ++i) {
    schedule(start_ms + r_.range(kSec, 5 * kMin), EvType::kCron, i);
    schedule(start_ms + r_.range(kSec, 10 * kMin), EvType::kAnvil, i);
  }
  schedule(start_ms, EvType::kArrival, 0);

  if (o_.out == "-") {
    out_ = stdout;
  } else {
    out_ = std::fopen(o_.out.c_str(), "wb");
    if (out_ == nullptr) {
      std::fprintf(stderr, "pftls_gen: cannot write %s: %s\n", o_.out.c_str(),
                   std::strerror(errno));
      return 2;
    }
  }
  buf_.reserve((1U << 20) + 4096);
  while (emitted_ < o_.lines) {
    if (!events_.empty() && (lines_.empty() || events_.top().t <= lines_.top().t)) {
      const Event e = events_.top();
      events_.pop();
      on_event(e);
    } else {
      Line l = std::move(const_cast<Line&>(lines_.top()));
      lines_.pop();
      emit(l);
    }
  }
  std::fwrite(buf_.data(), 1, buf_.size(), out_);
  if (std::fflush(out_) != 0 || std::ferror(out_) || (out_ != stdout && std::fclose(out_) != 0)) {
    std::fprintf(stderr, "pftls_gen: write error on %s\n", o_.out.c_str());
    return 2;
  }

  std::sort(incidents_.begin(), incidents_.end(), [](const Incident& a, const Incident& b) {
    return a.plain_sec != b.plain_sec ? a.plain_sec < b.plain_sec : a.qid < b.qid;
  });
  if (!o_.expected.empty()) {
    std::FILE* f = std::fopen(o_.expected.c_str(), "wb");
    if (f == nullptr) {
      std::fprintf(stderr, "pftls_gen: cannot write %s: %s\n", o_.expected.c_str(),
                   std::strerror(errno));
      return 2;
    }
    std::fputs("client_ip,failure_at,plaintext_at,queue_id\n", f);
    for (const Incident& i : incidents_) {
      std::fprintf(f, "%s,%s,%s,%s\n", i.ip.c_str(), rfc3339(i.fail_sec).c_str(),
                   rfc3339(i.plain_sec).c_str(), i.qid.c_str());
    }
    if (std::fclose(f) != 0) {
      return 2;
    }
  }
  if (!o_.scenarios.empty()) {
    std::FILE* f = std::fopen(o_.scenarios.c_str(), "wb");
    if (f == nullptr) {
      std::fprintf(stderr, "pftls_gen: cannot write %s: %s\n", o_.scenarios.c_str(),
                   std::strerror(errno));
      return 2;
    }
    std::sort(manifest_.begin(), manifest_.end(),
              [](const ManifestRow& a, const ManifestRow& b) { return a.start_ms < b.start_ms; });
    std::fputs("kind,host,client_ip,client_name,start,planned_incidents,notes\n", f);
    for (const ManifestRow& m : manifest_) {
      std::fprintf(f, "%s,%s,%s,%s,%s,%d,\"%s\"\n", m.kind.c_str(), m.host.c_str(), m.ip.c_str(),
                   m.name.c_str(), rfc3339(floor_div(m.start_ms, kSec)).c_str(), m.planned,
                   m.notes.c_str());
    }
    if (std::fclose(f) != 0) {
      return 2;
    }
  }
  std::fprintf(stderr,
               "pftls_gen: %lld lines (%.1f bytes/line, %.1f%% not Postfix), %s .. %s, "
               "%lld smtpd sessions, %lld failed, %zu scenarios, %zu incidents\n",
               static_cast<long long>(emitted_),
               static_cast<double>(bytes_) / static_cast<double>(std::max<i64>(1, emitted_)),
               100.0 * static_cast<double>(non_postfix_) /
                   static_cast<double>(std::max<i64>(1, materialised_)),
               rfc3339(o_.start).c_str(), rfc3339(stamp_sec_).c_str(),
               static_cast<long long>(sessions_), static_cast<long long>(failed_sessions_),
               manifest_.size(), incidents_.size());
  if (mismatches_ != 0) {
    std::fprintf(stderr, "pftls_gen: %lld planned/computed mismatches (generator bug)\n",
                 static_cast<long long>(mismatches_));
    return 3;
  }
  return 0;
}

void usage(std::FILE* f) {
  std::fputs(
      "usage: pftls_gen [options]\n"
      "Writes synthetic Postfix syslog traffic with planted TLS downgrades and decoys.\n"
      "  --seed N            random seed (default 1); same options, same bytes\n"
      "  --lines N           exactly N lines (default 100000)\n"
      "  --start TIME        first line's time, YYYY-MM-DDTHH:MM:SS, UTC written as local\n"
      "                      time (default 2024-03-10T06:00:00); run pftls with --tz UTC\n"
      "                      --year <its year>\n"
      "  --span DUR          about how long the log covers (default 36h; 90s, 30m, 36h, 5d);\n"
      "                      decoys needing more than a day appear only when it is >= 26h\n"
      "  --hosts 1|2         syslog hosts (default 1); host 2 is a postfix-in instance\n"
      "  --fail-permille X   failed STARTTLS sessions per 1000 smtpd sessions (default 3)\n"
      "  --clients N         background sending clients (default lines/400, at least 300);\n"
      "                      when given, their IPv4 addresses come from 10.0.0.0/8\n"
      "  --window DUR        incident window for --expected (default 24h)\n"
      "  --out FILE          the log (default -, stdout)\n"
      "  --expected FILE     CSV client_ip,failure_at,plaintext_at,queue_id of the incidents\n"
      "  --scenarios FILE    CSV of the planted scenarios and decoys, for debugging\n"
      "Exit: 0 ok, 2 usage or I/O error, 3 internal inconsistency.\n",
      f);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  parse_start("2024-03-10T06:00:00", o.start);
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "-h" || a == "--help") {
        usage(stdout);
        return 0;
      }
      static const std::unordered_set<std::string> known = {
          "--seed",   "--lines", "--start",    "--span",      "--hosts",  "--fail-permille",
          "--window", "--out",   "--expected", "--scenarios", "--clients"};
      if (known.count(a) == 0) {
        throw std::invalid_argument("unknown option " + a);
      }
      if (i + 1 >= argc) {
        throw std::invalid_argument("missing value for " + a);
      }
      const std::string v = argv[++i];
      if (a == "--seed") {
        o.seed = std::stoull(v);
      } else if (a == "--lines") {
        o.lines = std::stoll(v);
        if (o.lines < 1) {
          throw std::invalid_argument("--lines must be >= 1");
        }
      } else if (a == "--start") {
        if (!parse_start(v, o.start)) {
          throw std::invalid_argument("bad --start " + v);
        }
      } else if (a == "--span") {
        if (!parse_duration(v, o.span) || o.span < 10 * kMin || o.span > 400 * kDay) {
          throw std::invalid_argument("bad --span " + v + " (10m .. 400d)");
        }
      } else if (a == "--hosts") {
        o.hosts = std::stoi(v);
        if (o.hosts < 1 || o.hosts > 2) {
          throw std::invalid_argument("--hosts must be 1 or 2");
        }
      } else if (a == "--fail-permille") {
        o.fail_permille = std::stod(v);
        if (!(o.fail_permille >= 0 && o.fail_permille <= 200)) {
          throw std::invalid_argument("bad --fail-permille " + v);
        }
      } else if (a == "--clients") {
        o.clients = std::stoll(v);
        if (o.clients < 1 || o.clients > 4000000) {
          throw std::invalid_argument("--clients must be 1 .. 4000000");
        }
      } else if (a == "--window") {
        if (!parse_duration(v, o.window) || o.window <= 0) {
          throw std::invalid_argument("bad --window " + v);
        }
      } else if (a == "--out") {
        o.out = v;
      } else if (a == "--expected") {
        o.expected = v;
      } else if (a == "--scenarios") {
        o.scenarios = v;
      } else {
        throw std::invalid_argument("unknown option " + a);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pftls_gen: %s\n", e.what());
    usage(stderr);
    return 2;
  }
  Gen g(o);
  return g.run();
}
