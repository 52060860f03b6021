// store_error: the one error type every storage backend throws.
//
// Contract: a StoreError's message is one line naming the database and what
// failed; kind() tells a caller what to do about it: kBusy (another pftls
// run holds the database: try later), kVersion (written by a newer pftls:
// left untouched), kFailed (anything else: missing, damaged, not ours).
#pragma once

#include <stdexcept>
#include <string>

namespace pftls {

class StoreError : public std::runtime_error {
 public:
  enum class Kind { kBusy, kVersion, kFailed };
  StoreError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

}  // namespace pftls
