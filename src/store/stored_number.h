// stored_number: a number kept as text in the store's settings.
//
// Contract: returns nullopt when nothing is stored under `key`, the number
// when the whole text is one (decimal, in range of T), and throws
// StoreError naming the key and the text otherwise: a setting pftls wrote
// that no longer reads as a number means a damaged database, and guessing a
// default would silently change results (an ord reused, a window changed).
#pragma once

#include <charconv>
#include <optional>
#include <string>
#include <string_view>

#include "base/text.h"
#include "store/store.h"
#include "store/store_error.h"

namespace pftls {

template <typename T>
std::optional<T> parse_stored_number(std::string_view key, const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  T value{};
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec != std::errc() || ptr != end) {
    throw StoreError(StoreError::Kind::kFailed, "damaged database: setting " + std::string(key) +
                                                    " is not a number: '" +
                                                    strip_controls(text->substr(0, 64)) + "'");
  }
  return value;
}

template <typename T>
std::optional<T> stored_number(Store& store, std::string_view key) {
  return parse_stored_number<T>(key, store.setting(key));
}

}  // namespace pftls
