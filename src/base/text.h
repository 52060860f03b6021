// text: hostile log text made safe to show.
//
// Contract: strip_controls() (the project's printable()) returns `text`
// without C0 controls (including TAB, CR and LF), DEL, the C1 controls
// U+0080..U+009F written as UTF-8 (C2 80..C2 9F), and the bidirectional
// embeddings, overrides and isolates U+202A..U+202E and U+2066..U+2069;
// each byte that is not part of valid UTF-8 (a raw 0x9B, the 8-bit CSI,
// among them) becomes U+FFFD. Everything else is kept as it is, so the
// result is valid UTF-8 and nothing from a log reaches a terminal or a
// report as a control sequence or reorders the text around it. Used on
// input names and fields at ingest and on every cell a report shows.
//
// escape_bytes() is for raw log lines shown as evidence: nothing is
// dropped, every byte that strip_controls() would remove or replace is
// written as \xNN (two lower-case hex digits), and so is the backslash
// itself (\x5c), so that every "\x" in the result is an escape and the
// original bytes can be read back from it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pftls {

std::string strip_controls(std::string_view text);
// True when every byte of `text` is printable ASCII (0x20..0x7e): text that
// strip_controls() returns unchanged, told in one cheap pass.
bool printable_ascii(std::string_view text);
// The candidate nearest to `word` by edit distance (ASCII case ignored), if
// it is near enough to be a typing slip (at most 1 edit for words of up to 4
// characters, else at most a third of the word); "" when none is. For
// "did you mean" hints; the words are short (bounded at 64 characters).
std::string closest_word(std::string_view word, const std::vector<std::string>& candidates);
// ASCII case-insensitive equality.
bool same_ignoring_case(std::string_view a, std::string_view b);
std::string escape_bytes(std::string_view text);

// Length (2..4) of the valid UTF-8 sequence of a code point >= U+0080 at
// text[i], or 0 when the bytes there are not one (overlong forms,
// surrogates and values above U+10FFFF are not).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);

// A code point that must not reach a terminal: C1 control or bidi control.
// `seq` is a valid sequence (utf8_sequence_length() > 0).
bool is_hidden_code_point(std::string_view seq);

}  // namespace pftls
