// pattern_set: Postfix message patterns, loaded from data, matched fast.
//
// Contract: patterns come from text in the parsers/*.patterns format (see
// parsers/README.md). Each pattern names the services it applies to, the
// event it produces, one or more templates (literal text with {field}
// captures) or an RE2 regex behind a literal prefix, and sample lines that
// must match it with the stated captures. load() checks every sample against
// the whole set and refuses a set whose samples do not hold.
//
// match() dispatches on the service name, then on a queue-id prefix, then on
// literal prefixes; a template is matched with plain string searches and RE2
// runs only for the few regex patterns whose prefix already matched. Lines
// that no pattern recognises return false and are counted by the caller.
//
// Captures only where they are needed: match() may be given a CaptureGate,
// asked once a line's literal prefix has matched, before any capture is
// taken. A line the gate declines is recognised by that prefix alone: the
// event has its kind and queue id and no other field. The gate is asked only
// where the prefix decides the event's kind (no later candidate of another
// kind has a prefix that could match the same text; checked at load), so
// declining never changes what a line means, only what is read from it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "parse/event.h"

namespace pftls {

class PatternError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct PatternSource {
  std::string name;  // e.g. "parsers/smtpd.patterns", used in error messages
  std::string text;
};

// Splits "QUEUEID: rest" when the token before ": " has the shape of a
// Postfix queue id (short: upper-case hex, 5-24 chars; long: 10-24 chars of
// [0-9A-Za-z] without vowels). "NOQUEUE", "warning" and the like are not.
bool split_queue_id(std::string_view message, std::string_view& queue_id, std::string_view& body);
// The same, a byte at a time: what split_queue_id() does where it cannot
// decide 16 bytes at once, and its reference in the unit tests.
bool split_queue_id_bytewise(std::string_view message, std::string_view& queue_id,
                             std::string_view& body);

class CaptureGate {
 public:
  explicit CaptureGate(std::uint32_t asks) : asks_(asks) {}
  virtual ~CaptureGate() = default;
  // The kinds the gate is asked about, as bits (1 << kind); lines of other
  // kinds are always captured, at no cost.
  bool asks(EventKind kind) const { return (asks_ >> static_cast<unsigned>(kind)) & 1u; }
  // Whether the fields of this line are needed: its kind, its queue id (or
  // empty) and its message text after the queue id. At most once a line.
  virtual bool wants(EventKind kind, std::string_view queue_id, std::string_view text) const = 0;

 private:
  std::uint32_t asks_;
};
static_assert(static_cast<unsigned>(EventKind::kCount) <= 32);

class PatternSet {
 public:
  PatternSet();
  ~PatternSet();
  PatternSet(PatternSet&&) noexcept;
  PatternSet& operator=(PatternSet&&) noexcept;

  // Parses and checks the given sources. Throws PatternError listing every
  // problem as "NAME:LINE: message".
  static PatternSet load(const std::vector<PatternSource>& sources);
  // The set built into the binary from parsers/*.patterns.
  static const PatternSet& builtin();

  // Recognises one message of `service`. Returns false for an unknown line.
  // With a gate: see CaptureGate above.
  bool match(std::string_view service, std::string_view message, Event& out,
             const CaptureGate* gate = nullptr) const;

  std::size_t size() const;
  std::size_t sample_count() const;
  // The id ("[smtpd.connect]") of pattern `index`, for accounting.
  std::string_view pattern_id(int index) const;

  struct Impl;  // opaque: defined in pattern_set.cpp

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace pftls
