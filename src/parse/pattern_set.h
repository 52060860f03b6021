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
// kind has a prefix that could match the same text; proved at load), so
// declining never changes what a line means, only what is read from it.
// The gate is the one deliberate back-channel from a later stage into
// parsing: the correlation stage says which lines it needs (app/ingest.cpp
// sets the gate up), so that the fields of the others are never read.
// Nothing else flows upstream.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
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

  // The number of patterns.
  std::size_t size() const;

  struct Impl;  // the tables: pattern_set_internal.h, for parse/ only
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace pftls
