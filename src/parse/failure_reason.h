// failure_reason: one word for why a STARTTLS handshake failed.
//
// Contract: classify the OpenSSL error (its reason code, the last three hex
// digits of "1408A0C1" / "0A0000C1", and its reason text) or, lacking one,
// how the session ended. Function names and source paths in the error
// string are never looked at: they differ between OpenSSL versions.
// Results: no-shared-cipher, unsupported-protocol, wrong-version-number,
// alert-<name> (alert-handshake-failure, alert-protocol-version, ...),
// unexpected-eof, lost-connection, timeout, other.
#pragma once

#include <string>
#include <string_view>

namespace pftls {

// From an OpenSSL error ("0A0000C1", "no shared cipher"). Empty string when
// neither code nor text is known to pftls.
std::string reason_from_openssl(std::string_view code_hex, std::string_view reason_text);
// From the way the session ended: the text after "SSL_accept error from
// NAME[IP]: " ("lost connection", "Connection timed out", "-1", ...).
std::string reason_from_accept_detail(std::string_view detail);

// Rank for choosing between evidence of one failed session: an OpenSSL
// reason beats a session-end reason, which beats "other".
int reason_rank(std::string_view reason);

}  // namespace pftls
