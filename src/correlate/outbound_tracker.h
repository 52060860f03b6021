// outbound_tracker: plaintext fallbacks of our own smtp/lmtp client
// (incident kind outbound-downgrade).
//
// Contract: on_event() takes every recognised event in log order; it keeps
// the smtp and lmtp ones (and "removed", which ends a queue id, and qmgr's
// "status=expired", which ends it with its failures bounced). A failed
// STARTTLS handshake ("SSL_connect error to NAME[IP]:PORT", refined by the
// "TLS library problem" lines after it) carries no queue id: it waits per
// (host, syslog name, pid) for the next line of that pid that has one, and
// then counts as one failed attempt of that (host, queue id, relay). Library
// lines alone are no failure (Postfix logs the SSL_connect error first; they
// also come from established sessions); "TLS connection established to"
// drops the pid's wait. A fallback is the standalone "QUEUEID: Cannot start
// TLS: ..." line after failures, followed on the same pid by that queue
// id's status=sent to the same relay; the same words inside
// "status=deferred (...)" are a deferral. A status=sent with Postfix 3.11's
// tls=LEVEL:none after failures of that queue id and relay is a fallback as
// well; a tls= field with a level and no downgrade ("may", "dane", ...)
// means TLS was used, and vetoes the fallback. So does, before 3.11, a
// "Host offered STARTTLS: [HOST]" line of the delivering pid (its
// connection did not use TLS though the remote offered it) naming that
// relay, at most kOfferAge before the status=sent: after failures of that
// queue id and relay it is a fallback as tls=LEVEL:none is; with no failure
// (smtp_tls_security_level = none) it is policy, no incident. An offer
// holds for the pid's connection: its next SSL_connect error, TLS
// connection established, offer, or a delivery to another relay ends it.
// A fatal alert of smtp_tls_loglevel >= 2 ("SSL3 alert write:fatal:...",
// "SSL3 alert read:fatal:...") comes before the SSL_connect error it
// explains: held per pid (kOfferAge), it refines that error's reason as a
// library line after it does. Each fallback is
// one OutboundRecord per (host, queue id, relay), saved through the
// OutboundSink when its first plaintext recipient is sent and saved again
// as more recipients follow; its failure fields are then frozen.
//
// Failures list (pftls failures --direction out): each failed attempt, when
// a queue id claims it as above (or, with no failure line before it, its
// "Cannot start TLS" line or "status=deferred (Cannot start TLS: ...)"
// delivery line: reason "other"), goes to the sink once as a row with
// outcome "pending". The queue id's next status=sent, bounced or expired
// line of the smtp/lmtp client (or qmgr's "status=expired, returned to
// sender"), while the queue id is followed, settles its pending rows: "downgraded" when that
// delivery was in plaintext (the fallback above, or tls=LEVEL:none, or an unused STARTTLS offer),
// "tls-retry" for any other status=sent (the presumption of TLS the
// fallback rule makes), "bounced" for bounced/expired; deferrals leave them
// pending. The rows' outcomes live in the store, not here: this adds no
// memory to what the bounds below already hold.
//
// Evidence: the raw lines of a failure (its SSL_connect error and library
// lines), of the queue id's later lines about that relay ("Cannot start
// TLS", deferrals: role "failed") and of its plaintext deliveries (role
// "plaintext") are kept with the pending entry, at most evidence_lines per
// entry (later ones skipped), each cut to evidence_bytes, all entries
// together at most evidence_total_bytes (a line beyond that is counted in
// evidence_dropped); they go to the sink with the saved fallback, and after
// it as they come. The queue id's cleanup "message-id=" and qmgr "from="
// lines are noted (at most max_notes queue ids, each value cut to
// note_bytes, for failure_age, the
// oldest dropped first and counted; "removed" forgets one) and given to
// the record of a failure of that queue id.
//
// Cost: a line of a service other than smtp/lmtp, or any line while nothing
// is pending, is rejected after a few comparisons; no line allocates unless
// it records a failure. Both tables are bounded and aged (OutboundLimits):
// the oldest entries go first and are counted as evicted. export_state()
// and restore() carry what is pending from one run to the next, so a
// failure in one cron run and the fallback in the next make one record.
#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/node_hash_map.h>
#include <absl/strings/string_view.h>

#include "base/log_time.h"
#include "base/name_interner.h"
#include "correlate/records.h"
#include "parse/envelope.h"
#include "parse/event.h"

namespace pftls {

struct OutboundLimits {
  std::size_t max_failures = 10'000;               // pids whose failure waits for its queue id
  Micros failure_age = 3600LL * kMicrosPerSecond;  // the queue id follows within seconds
  std::size_t max_messages = 100'000;              // queue ids with failures or a fallback
  Micros message_age = 10LL * 86400 * kMicrosPerSecond;  // longer than maximal_queue_lifetime
  std::size_t max_relays_per_message = 32;
  std::size_t max_recipients = 1000;  // listed per record
  std::size_t max_names = 65'536;     // distinct hosts and syslog names
  std::size_t max_notes = 20'000;   // queue ids' message-id and sender (qmgr_message_active_limit)
  std::size_t note_bytes = 256;     // of each noted message-id or sender
  std::size_t evidence_lines = 40;  // raw lines kept per failure or relay
  std::size_t evidence_bytes = 2048;                        // of each line
  std::size_t evidence_total_bytes = std::size_t{8} << 20;  // over all pending entries
};

struct OutboundCounts {
  std::uint64_t failures = 0;   // failed handshakes tied to a queue id in this run
  std::uint64_t fallbacks = 0;  // records inserted in this run
  std::uint64_t evicted_failures = 0;
  std::uint64_t evicted_messages = 0;
  std::uint64_t dropped = 0;           // not tracked: a bound on relays, names or notes
  std::uint64_t evidence_dropped = 0;  // raw lines not kept: the evidence budget was spent
};

// A log line as read, for evidence: its text, input name and line number.
struct OutboundRawLine {
  std::string_view text;
  std::string_view input;
  std::uint64_t number = 0;
};

class OutboundTracker {
 public:
  using State = OutboundState;
  using RawLine = OutboundRawLine;

  explicit OutboundTracker(OutboundSink& sink, OutboundLimits limits = {});
  ~OutboundTracker();
  OutboundTracker(const OutboundTracker&) = delete;
  OutboundTracker& operator=(const OutboundTracker&) = delete;

  // Before the first event: what export_state() returned at the end of the
  // previous run.
  void restore(State state);
  void on_event(const Envelope& env, const Event& ev, std::uint64_t ord, const RawLine& raw = {}) {
    // Most lines are neither the smtp/lmtp client's nor a queue id's
    // message-id, sender or removal: told here, inline, before any call.
    switch (ev.kind) {
      case EventKind::kRemoved:
        if (messages_.empty() && notes_.empty()) return;
        break;
      case EventKind::kExpired:
        if (messages_.empty()) return;
        break;
      case EventKind::kMessageId:
      case EventKind::kSender:
        break;
      default:
        if (!smtp_like(env.service)) return;
        break;
    }
    raw_ = &raw;
    on_client_event(env, ev, ord);
  }
  // Whether on_event() reads the fields of a queue line (CaptureGate):
  // "removed" needs its queue id alone; cleanup's message-id and qmgr's
  // sender are read (noted); an smtp/lmtp delivery line is read while
  // failures are pending, or when it tells of a failed STARTTLS.
  bool wants_fields(const Envelope& env, EventKind kind, std::string_view text) const;
  // What is still pending, oldest first (the tracker stays usable).
  State export_state() const;

  const OutboundCounts& counts() const { return counts_; }
  // Adds what the bounds dropped in this run to `d`.
  void add_drops(DropCounts& d) const {
    d.outbound_evicted_failures += counts_.evicted_failures;
    d.outbound_evicted_messages += counts_.evicted_messages;
    d.outbound_dropped += counts_.dropped;
    d.evidence_dropped += counts_.evidence_dropped;
  }

 private:
  static constexpr std::size_t kMaxQueueId = 24;

  using PidKey = ProcessKey;
  struct QidKey {
    std::uint32_t host = 0;
    std::uint8_t size = 0;
    std::array<char, kMaxQueueId> id{};
    std::string_view text() const { return {id.data(), size}; }
    bool operator==(const QidKey& o) const { return host == o.host && text() == o.text(); }
    template <typename H>
    friend H AbslHashValue(H h, const QidKey& k) {
      return H::combine(std::move(h), k.host, absl::string_view(k.id.data(), k.size));
    }
  };
  template <typename K>
  struct Aged {  // an entry of an age list: oldest first
    K key;
    Micros at;
  };
  struct Failure {
    OutboundPendingFailure f;
    std::list<Aged<PidKey>>::iterator age;
  };
  struct Message {
    std::vector<OutboundPendingMessage> relays;
    std::list<Aged<QidKey>>::iterator age;
    std::string message_id;
    std::string sender;
  };
  struct Note {
    std::string message_id;
    std::string sender;
    std::list<Aged<QidKey>>::iterator age;
  };

  bool pid_key(const Envelope& env, bool create, PidKey& out);
  bool qid_key(const Envelope& env, std::string_view qid, bool create, QidKey& out);
  static bool same_attempt(const OutboundPendingMessage& t, const Envelope& env);

  void advance(Micros t);
  void expire();
  void evict_failure();
  void evict_message();
  void erase_message(Message& m);
  void touch(Message& m, OutboundPendingMessage* t);

  Message* message_for(const Envelope& env, std::string_view qid, bool create);
  OutboundPendingMessage* relay_for(Message& m, const Envelope& env, std::string_view qid,
                                    std::string_view name, std::string_view ip,
                                    std::string_view port, bool create);
  void count_failure(OutboundPendingMessage& t, const OutboundPendingFailure& f);
  void count_failure_here(OutboundPendingMessage& t, const Envelope& env, std::uint64_t ord);

  void on_connect_error(const Envelope& env, const Event& ev, std::uint64_t ord);
  void on_library_problem(const Envelope& env, const Event& ev);
  void on_starttls_offered(const Envelope& env, const Event& ev);
  bool offered_by(const Envelope& env, std::string_view name, std::string_view ip);
  void on_cannot_start(Message& m, const Envelope& env, std::string_view qid, std::uint64_t ord,
                       OutboundPendingMessage* failed);
  void on_delivery(const Envelope& env, const Event& ev, std::string_view qid, std::uint64_t ord);
  void on_note(const Envelope& env, const Event& ev);
  void on_queue_end(const Envelope& env, const Event& ev);
  void expire_notes();
  void erase_note(absl::node_hash_map<QidKey, Note>::iterator it);
  // Evidence: keeps the current line in `lines` (bounded), hands a saved
  // record's lines to the sink, gives lines' bytes back to the budget.
  void keep(std::vector<OutboundLine>& lines, const char* role);
  void flush_evidence(OutboundPendingMessage& t);
  void forget(const std::vector<OutboundLine>& lines);
  void forget(const Message& m) {
    for (const auto& r : m.relays) forget(r.evidence);
  }
  void record_fallback(OutboundPendingMessage& t, const Envelope& env, const Event& ev,
                       std::uint64_t ord, bool standalone);
  // One failed attempt of `t` to the sink (outbound_failures), and the
  // outcome of the queue id's pending ones.
  void save_failure(const OutboundPendingMessage& t, Micros at, std::string_view reason,
                    std::string_view openssl_code);
  void resolve(const Envelope& env, std::string_view qid, std::string_view outcome);

  OutboundSink& sink_;
  OutboundLimits limits_;
  OutboundCounts counts_;
  Micros now_ = 0;

  NameInterner names_;  // hosts and syslog names, bounded by limits_.max_names
  LastName last_host_;
  LastName last_syslog_;

  // "smtp" or "lmtp", in two comparisons.
  static bool smtp_like(std::string_view s) {
    return s.size() == 4 && (s[0] == 's' || s[0] == 'l') && s[1] == 'm' && s[2] == 't' &&
           s[3] == 'p';
  }
  void on_client_event(const Envelope& env, const Event& ev, std::uint64_t ord);
  // Per pid: the remote its connection would not use STARTTLS with, and a
  // verbose alert waiting for its SSL_connect error. Rare lines: cleared
  // whole beyond kMaxPerPid (counted as dropped), stale entries ignored.
  struct PidNote {
    std::string text;  // the offering host, or the alert's reason class
    Micros at = 0;
  };
  static constexpr std::size_t kMaxPerPid = 4096;
  static constexpr Micros kOfferAge = 600 * kMicrosPerSecond;  // smtp's timeouts are minutes
  void note(absl::flat_hash_map<PidKey, PidNote>& map, const PidKey& key, std::string_view text,
            Micros at);
  absl::flat_hash_map<PidKey, PidNote> offers_;
  absl::flat_hash_map<PidKey, PidNote> alerts_;
  absl::node_hash_map<PidKey, Failure> failures_;  // node: entries stay put
  std::list<Aged<PidKey>> failure_age_;
  absl::node_hash_map<QidKey, Message> messages_;
  std::list<Aged<QidKey>> message_age_;
  absl::node_hash_map<QidKey, Note> notes_;
  std::list<Aged<QidKey>> note_age_;
  OutboundFailureRow failure_row_;  // reused: one failure's row at a time
  const RawLine* raw_ = nullptr;    // the line on_event() is given
  std::size_t evidence_used_ = 0;   // bytes of the pending entries' lines
};

}  // namespace pftls
