// journal_json_fuzz: journalctl -o json lines through JournalJsonParser
// and on through the line path (libFuzzer target).
//
// Each input is cut into lines at '\n'. The parser must never throw; a
// Postfix entry's Envelope views must be readable (ASan checks the bytes
// summed here) and go through line_path.h like an ingested journal line:
// MESSAGE may hold any byte, '\n' and NUL included, which no syslog line can.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "line_path.h"
#include "parse/journal_json.h"

namespace {

unsigned sum(std::string_view s) {
  unsigned n = 0;
  for (char c : s) n += static_cast<unsigned char>(c);
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pftls;
  JournalJsonParser parser;
  fuzz::LinePath path;
  volatile unsigned sink = 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz::for_each_line(text, [&](std::string_view line, std::uint64_t number) {
    Envelope env;
    const EnvelopeStatus st = parser.parse(line, env);
    sink = sink + sum(parser.last_cursor());
    if (st != EnvelopeStatus::kPostfix) return;
    sink = sink + sum(env.host) + sum(env.syslog_name) + sum(env.service) + sum(env.message);
    FUZZ_CHECK(!env.syslog_name.empty(), line);
    path.feed(env, line, number);
  });
  path.finish();
  return 0;
}
