// queue_id: the Postfix queue id that opens most messages ("1FBCDAE88B: ...").
//
// Contract: split_queue_id() splits "QUEUEID: rest" when the token before
// ": " has the shape of a Postfix queue id (short: upper-case hex, 5-24
// chars; long: 10-24 chars of [0-9A-Za-z] without vowels); "NOQUEUE",
// "warning" and the like are not. On success both views point into the
// message; on failure neither is touched. Reads only the message's bytes.
#pragma once

#include <string_view>

namespace pftls {

bool split_queue_id(std::string_view message, std::string_view& queue_id, std::string_view& body);

}  // namespace pftls
