// xorshift: a small fixed-seed pseudo-random sequence for the unit tests
// that compare a fast path with its reference on many generated inputs.
// The same seed gives the same inputs on every machine, so a failure can be
// replayed.
#pragma once

#include <cstdint>

namespace pftls::test_inputs {

class XorShift64 {
 public:
  explicit XorShift64(std::uint64_t seed) : state_(seed == 0 ? 1 : seed) {}
  std::uint64_t operator()() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }

 private:
  std::uint64_t state_;
};

}  // namespace pftls::test_inputs
