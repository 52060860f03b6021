// pseudonym_key: the random key behind a database's redaction pseudonyms.
//
// Contract: the key is kPseudonymKeyBytes random bytes (libsodium's
// randombytes_buf), kept hex-encoded in the store's settings. Every ingest
// run creates it, inside its transaction, when the database has none; read-
// only commands only read it, and load_pseudonym_key() returns nullopt for
// a database no ingest has given a key yet (a redacting command then
// refuses rather than write). A stored key that is not 64 hex digits is a
// damaged database (StoreError).
#pragma once

#include <optional>
#include <string>

#include "store/store.h"
#include "store/store_error.h"

namespace pftls {

inline constexpr const char* kPseudonymKeySetting = "pseudonym_key";

void ensure_pseudonym_key(Store& store);
std::optional<std::string> load_pseudonym_key(Store& store);

}  // namespace pftls
