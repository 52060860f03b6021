// records: what the correlator and the outbound tracker hand to storage,
// and nothing about how it is stored. The SQLite store implements EventSink; tests implement it
// in memory.
//
// Contract: save_session()/save_message() insert a record the first time
// (and set its id) and update it afterwards. Only sessions that matter are
// saved: failed ones, and those of clients that have failed before
// ("watched" clients), with their messages. Everything else is counted in
// ClientStats and HostFacts, which add up across calls.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/log_time.h"

namespace pftls {

struct SessionRecord {
  std::int64_t id = 0;  // 0: not stored yet
  std::string mx_host;
  std::string syslog_name;
  std::uint32_t pid = 0;
  std::string client_ip;
  std::string client_name;
  std::string client_subnet;  // see client_identity.h; set when stored
  std::string org_domain;
  Micros connect_at = 0;  // 0: the connect line was not seen
  Micros end_at = 0;      // 0: still open
  std::uint64_t first_ord = 0;
  bool failed = false;
  Micros failure_at = 0;
  std::uint64_t failure_ord = 0;
  std::string failure_reason;
  std::string openssl_code;
  bool tls = false;
  Micros tls_at = 0;
  std::uint64_t tls_ord = 0;
  bool counters_present = false;
  int starttls_attempts = -1;  // -1: unknown (no counters)
  int starttls_ok = -1;
  int messages = 0;
};

// One raw log line kept as evidence for a stored session.
struct EvidenceLine {
  std::string input;  // file name as given
  std::uint64_t line = 0;
  std::string raw;
};

struct MessageRecord {
  std::int64_t id = 0;
  std::int64_t session_id = 0;
  std::string mx_host;
  std::string queue_id;
  std::string client_ip;
  std::string client_name;
  std::string client_subnet;
  std::string org_domain;
  Micros accepted_at = 0;
  std::uint64_t accepted_ord = 0;
  std::string message_id;
  std::string sender;
  std::vector<std::string> recipients;
};

// Per client IP, over all hosts: how it talks to us.
struct ClientStats {
  std::string client_name;  // the last name other than "unknown"
  std::string org_domain;   // registrable domain of that name
  std::int64_t sessions = 0;
  std::int64_t tls_sessions = 0;
  std::int64_t plaintext_sessions = 0;  // sessions that got a queue id without TLS
  std::int64_t failed_sessions = 0;
  std::int64_t starttls_sessions = 0;  // sessions that tried STARTTLS (counters or TLS lines)
  std::int64_t messages = 0;
  std::int64_t plaintext_messages = 0;
  Micros first_seen = 0;
  Micros last_seen = 0;
};

// Per mx host (the syslog host field).
struct HostFacts {
  Micros newest_at = 0;
  bool logs_tls_established = false;  // smtpd writes "TLS connection established from"
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

using ClientStatsList = std::vector<std::pair<std::string, ClientStats>>;

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void save_session(SessionRecord& s) = 0;
  virtual void save_message(MessageRecord& m) = 0;
  // Appends raw lines to a stored session's evidence.
  virtual void save_evidence(std::int64_t session_id, const EvidenceLine* lines, std::size_t n) = 0;
  // Adds `stats` to the stored counts (first_seen/last_seen widen).
  virtual void add_client_stats(const ClientStatsList& stats) = 0;
  virtual void merge_host_facts(const StringMap<HostFacts>& hosts) = 0;
};

// What the bounds dropped in one run (every bound that drops data counts
// here; nothing is dropped silently). Filled by the correlator and the
// outbound tracker, shown in the run's summary line and stored per run.
struct DropCounts {
  std::uint64_t evicted_sessions = 0;   // open sessions closed by the bound, not by a disconnect
  std::uint64_t evicted_messages = 0;   // followed messages forgotten by the bound
  std::uint64_t evidence_dropped = 0;   // raw lines not kept: the evidence budget was spent
  std::uint64_t watch_full = 0;         // clients not watched: the watch list was full
  std::uint64_t clients_flushed = 0;    // client counts written early: the tally was full
  std::uint64_t outbound_evicted_failures = 0;
  std::uint64_t outbound_evicted_messages = 0;
  std::uint64_t outbound_dropped = 0;   // not tracked: a bound on relays or names
  std::uint64_t total() const {
    return evicted_sessions + evicted_messages + evidence_dropped + watch_full + clients_flushed +
           outbound_evicted_failures + outbound_evicted_messages + outbound_dropped;
  }
};

}  // namespace pftls
