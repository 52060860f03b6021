// whatif: each inbound client's verdict under a proposed TLS policy
// (pftls whatif), from the rows of queries/whatif.sql.
//
// Contract: WhatifTally is the RowSink the query streams into: a row per
// client, with its counts (client_stats) and its negotiations (protocol,
// cipher, sessions, in the form of base/negotiation_list.h; protocol '' for
// TLS sessions whose parameters the log does not say; NULL for a client
// without TLS). Adjacent rows of one client add up, as do a negotiation's
// entries, whatever their order; a list not of that form is an error. Each
// client is judged when its rows end (at most kMaxListed disallowed
// negotiations named) and its listing row goes to an external sort, so the
// memory held is bounded by sort_budget, not by the clients the database
// holds (a million clients: a temporary file of about 100 MB). emit() (or
// result(), once) gives the listing, the clients the policy would hurt first:
//   at-risk   some observed negotiation is not allowed
//   plaintext (with --require-tls) no TLS session: it would be refused
//   unknown   TLS with parameters the log does not say, nothing disallowed
//   failing   failed STARTTLS handshakes and no successful TLS session
//   plaintext (without --require-tls) no TLS and no failure: unchanged
//   ok        every observed negotiation is allowed
// then by messages per day (most first) and address. A client with neither
// TLS, nor failures, nor messages (a probe) is left out. first_seen and
// last_seen are microseconds (kUtcTimeColumns: the listing shows them as
// UTC text, on the writer's thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/tls_policy.h"
#include "base/external_sort.h"
#include "report/result_set.h"

namespace pftls {

struct WhatifPolicy {
  ProtocolPolicy protocols;
  std::optional<CipherPolicy> ciphers;  // nullopt: every cipher
  bool require_tls = false;
};

class WhatifTally final : public RowSink {
 public:
  static constexpr std::size_t kMaxListed = 16;
  // The listing's columns, and a table's default ones.
  static const std::vector<std::string>& columns();
  static constexpr const char* kTableColumns =
      "client_ip,client_name,verdict,effect,disallowed,messages_per_day,last_seen";
  static constexpr const char* kUtcTimeColumns = "first_seen,last_seen";

  static constexpr std::size_t kSortBudget = std::size_t{8} << 20;

  explicit WhatifTally(const WhatifPolicy& policy, std::size_t sort_budget = kSortBudget)
      : policy_(policy), sorted_(sort_budget) {}
  // The tally keeps a reference to the policy: not to a temporary one.
  explicit WhatifTally(WhatifPolicy&& policy, std::size_t sort_budget = kSortBudget) = delete;
  void begin(const std::vector<std::string>& columns) override;
  bool row(const std::vector<Cell>& cells) override;
  void end() override;

  // The listing, sorted (see above), into `sink` one row at a time; or
  // whole. Either once: the sort is drained.
  void emit(RowSink& sink);
  ResultSet result();

 private:
  struct Negotiation {
    std::string protocol, cipher;
    std::int64_t sessions = 0;
  };
  struct Client {
    std::string ip, name;
    std::int64_t tls_sessions = 0, plaintext_sessions = 0, failed_sessions = 0, messages = 0;
    std::optional<std::int64_t> first_seen, last_seen;
    std::int64_t logged = 0;   // TLS sessions in the inventory
    std::int64_t unknown = 0;  // of those, parameters unknown
    std::int64_t disallowed_sessions = 0;
    std::vector<Negotiation> disallowed;  // disallowed_count of them, slots reused
    std::size_t disallowed_count = 0;
  };

  // Counts one negotiation of the current client (its rows summed).
  void judge(Client& c, const Negotiation& n);
  void close_client();

  const WhatifPolicy& policy_;
  // The current client's negotiations (slots reused from client to
  // client): seen_count_ of them, as they came; close_client() sums those
  // of one protocol and cipher.
  std::vector<Negotiation> seen_;
  std::size_t seen_count_ = 0;
  std::vector<std::size_t> at_;  // the query's column of each field we read
  Client client_;                // the client whose rows are being read,
  bool open_ = false;            // if any
  ExternalSorter sorted_;        // the judged clients: sort key, listing row
  std::vector<Cell> row_;        // a listing row's buffer
  std::string key_, payload_;    // a sorted record's buffers
  std::string scratch_;          // a cell's text being made
};

}  // namespace pftls
