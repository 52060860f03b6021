// failure_reason: OpenSSL reason codes and texts to a short reason word.
#include "parse/failure_reason.h"

#include <algorithm>
#include <cctype>

namespace pftls {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string hyphenate(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (!out.empty() && out.back() != '-') {
      out.push_back('-');
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

}  // namespace

std::string reason_from_openssl(std::string_view code_hex, std::string_view reason_text) {
  std::string text = lower(reason_text);
  // Alerts: "sslv3 alert handshake failure", "tlsv1 alert protocol version",
  // OpenSSL 3.2+ "ssl/tls alert handshake failure".
  auto alert = text.find("alert ");
  if (alert != std::string::npos && text.find("alert number") == std::string::npos) {
    std::string name = hyphenate(std::string_view(text).substr(alert + 6));
    if (!name.empty()) return "alert-" + name;
  }
  if (text.find("no shared cipher") != std::string::npos) return "no-shared-cipher";
  if (text.find("unsupported protocol") != std::string::npos) return "unsupported-protocol";
  if (text.find("wrong version number") != std::string::npos) return "wrong-version-number";
  if (text.find("unexpected eof") != std::string::npos) return "unexpected-eof";
  if (text.find("version too low") != std::string::npos) return "unsupported-protocol";

  // Reason codes (the low 12 bits) for when the text is missing or worded
  // otherwise. 0x0C1 = SSL_R_NO_SHARED_CIPHER, 0x102 = UNSUPPORTED_PROTOCOL,
  // 0x10B = WRONG_VERSION_NUMBER, 0x126 = UNEXPECTED_EOF_WHILE_READING,
  // 0x18C = VERSION_TOO_LOW, 0x3E8 + n = alert number n.
  if (code_hex.size() >= 3) {
    unsigned value = 0;
    for (char c : code_hex.substr(code_hex.size() - 3)) {
      value <<= 4;
      if (c >= '0' && c <= '9')
        value |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f')
        value |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        value |= static_cast<unsigned>(c - 'A' + 10);
      else
        return {};
    }
    switch (value) {
      case 0x0C1:
        return "no-shared-cipher";
      case 0x102:
      case 0x18C:
        return "unsupported-protocol";
      case 0x10B:
        return "wrong-version-number";
      case 0x126:
        return "unexpected-eof";
      case 0x3E8 + 40:
        return "alert-handshake-failure";
      case 0x3E8 + 70:
        return "alert-protocol-version";
      case 0x3E8 + 71:
        return "alert-insufficient-security";
      case 0x3E8 + 80:
        return "alert-internal-error";
      case 0x3E8 + 48:
        return "alert-unknown-ca";
      case 0x3E8 + 42:
        return "alert-bad-certificate";
      case 0x3E8 + 46:
        return "alert-certificate-unknown";
      case 0x3E8 + 10:
        return "alert-unexpected-message";
      case 0x3E8 + 50:
        return "alert-decode-error";
      case 0x3E8 + 51:
        return "alert-decrypt-error";
      default:
        break;
    }
  }
  return {};
}

std::string reason_from_accept_detail(std::string_view detail) {
  std::string text = lower(detail);
  if (text.find("lost connection") != std::string::npos ||
      text.find("connection reset") != std::string::npos ||
      text.find("broken pipe") != std::string::npos) {
    return "lost-connection";
  }
  if (text.find("timed out") != std::string::npos || text.find("timeout") != std::string::npos) {
    return "timeout";
  }
  return "other";
}

int reason_rank(std::string_view reason) {
  if (reason.empty()) return 0;
  if (reason == "other") return 1;
  if (reason == "lost-connection" || reason == "timeout") return 2;
  return 3;
}

}  // namespace pftls
