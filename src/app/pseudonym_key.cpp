// pseudonym_key: created with libsodium's generator, stored as hex.
#include "app/pseudonym_key.h"

#include <sodium.h>

#include <stdexcept>

#include "report/evidence_report.h"

namespace pftls {

void ensure_pseudonym_key(Store& store) {
  if (store.setting(kPseudonymKeySetting)) return;
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot be initialised");
  unsigned char key[kPseudonymKeyBytes];
  randombytes_buf(key, sizeof key);
  char hex[2 * kPseudonymKeyBytes + 1];
  sodium_bin2hex(hex, sizeof hex, key, sizeof key);
  sodium_memzero(key, sizeof key);
  store.set_setting(kPseudonymKeySetting, hex);
}

std::optional<std::string> load_pseudonym_key(Store& store) {
  const std::optional<std::string> hex = store.setting(kPseudonymKeySetting);
  if (!hex) return std::nullopt;
  std::string key(kPseudonymKeyBytes, '\0');
  std::size_t length = 0;
  const char* end = nullptr;
  if (hex->size() != 2 * kPseudonymKeyBytes ||
      sodium_hex2bin(reinterpret_cast<unsigned char*>(key.data()), key.size(), hex->data(),
                     hex->size(), nullptr, &length, &end) != 0 ||
      length != kPseudonymKeyBytes) {
    throw StoreError(StoreError::Kind::kFailed, std::string("damaged database: setting ") +
                                                    kPseudonymKeySetting + " is not a key");
  }
  return key;
}

}  // namespace pftls
