// syslog_envelope_internal: the general path of EnvelopeParser::parse().
//
// Contract: parse_general() answers every line as parse() does, with the
// same effect on the parser's state (stamp cache, year tracking), reading
// a byte at a time and never 16 at once. parse() hands it every line its
// fast path does not decide; the unit tests compare the fast path with it.
#pragma once

#include <string_view>

#include "parse/envelope.h"
#include "parse/syslog_envelope.h"

namespace pftls {

EnvelopeStatus parse_general(EnvelopeParser& parser, std::string_view line, Envelope& out);

}  // namespace pftls
