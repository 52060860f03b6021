// line_path_fuzz: syslog lines through the envelope, the patterns, the
// outbound tracker and the correlator (libFuzzer target).
//
// Each input is a log excerpt, cut into lines at '\n'. Every line goes
// through the envelope's fast path (parse()) and, in a second parser, its
// general path (parse_general()): both must give the same status and, for a
// Postfix line, the same fields (as tests/unit/parse does on generated
// lines). Postfix lines then go through line_path.h, which checks the
// capture gate and the sinks. Sanitizers (ASan, UBSan) catch the rest.
// Times: Europe/Berlin (DST edges), yearless lines in 2016.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/log_time.h"
#include "fuzz_check.h"
#include "line_path.h"
#include "parse/syslog_envelope.h"
#include "parse/syslog_envelope_internal.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pftls;
  LocalZone zone_fast("Europe/Berlin");
  LocalZone zone_general("Europe/Berlin");
  EnvelopeParser fast(zone_fast, 2016);
  EnvelopeParser general(zone_general, 2016);
  fast.begin_input(std::nullopt);
  general.begin_input(std::nullopt);
  fuzz::LinePath path;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz::for_each_line(text, [&](std::string_view line, std::uint64_t number) {
    Envelope a, b;
    const EnvelopeStatus got = fast.parse(line, a);
    const EnvelopeStatus want = parse_general(general, line, b);
    FUZZ_CHECK(got == want, line);
    if (got != EnvelopeStatus::kPostfix) return;
    FUZZ_CHECK(a.time == b.time, line);
    FUZZ_CHECK(a.host == b.host, line);
    FUZZ_CHECK(a.syslog_name == b.syslog_name, line);
    FUZZ_CHECK(a.service == b.service, line);
    FUZZ_CHECK(a.pid == b.pid, line);
    FUZZ_CHECK(a.message == b.message, line);
    FUZZ_CHECK(fast.current_year() == general.current_year(), line);
    path.feed(a, line, number);
  });
  path.finish();
  return 0;
}
