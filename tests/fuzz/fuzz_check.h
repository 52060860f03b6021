// fuzz_check: how a fuzz target reports a broken property.
//
// Contract: FUZZ_CHECK(cond, input) prints the failed condition, where it
// is and the input it concerns (bytes escaped, cut at 400), then aborts, so
// libFuzzer saves the whole test case as a crash. Test code only.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace pftls::fuzz {

[[noreturn]] inline void fail(const char* what, const char* file, int line,
                              std::string_view input) {
  std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\ninput: \"", file, line, what);
  for (std::size_t i = 0; i < input.size() && i < 400; ++i) {
    const auto c = static_cast<unsigned char>(input[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
      std::fputc(c, stderr);
    else
      std::fprintf(stderr, "\\x%02x", c);
  }
  std::fprintf(stderr, "\"%s\n", input.size() > 400 ? "..." : "");
  std::abort();
}

}  // namespace pftls::fuzz

#define FUZZ_CHECK(cond, input) \
  ((cond) ? void(0) : ::pftls::fuzz::fail(#cond, __FILE__, __LINE__, (input)))
