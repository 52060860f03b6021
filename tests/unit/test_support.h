// test_support: small helpers shared by unit tests in more than one file.
//
// Contract: test-only code; nothing in src/ includes it. Each helper is
// total (any enum value, any input) so that a failing assertion can always
// print what it got.
#pragma once

#include "parse/envelope.h"

namespace pftls::test_support {

// The enumerator's name, for assertion messages.
inline const char* status_name(EnvelopeStatus s) {
  switch (s) {
    case EnvelopeStatus::kPostfix:
      return "kPostfix";
    case EnvelopeStatus::kOtherProgram:
      return "kOtherProgram";
    case EnvelopeStatus::kMalformed:
      return "kMalformed";
  }
  return "?";
}

}  // namespace pftls::test_support
