// text: hostile log text made safe to show.
//
// Contract: strip_controls() (the project's printable()) returns `text`
// without C0 controls (including TAB, CR and LF), DEL, and the C1 controls
// U+0080..U+009F written as UTF-8 (C2 80..C2 9F); every other byte is kept
// as it is, so valid UTF-8 stays valid and nothing from a log reaches a
// terminal or a report as a control sequence. Used on input names and
// fields at ingest and on every cell a report shows.
#pragma once

#include <string>
#include <string_view>

namespace pftls {

std::string strip_controls(std::string_view text);

}  // namespace pftls
