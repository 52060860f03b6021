// queue_id_internal: the byte-at-a-time form of split_queue_id().
//
// Contract: split_queue_id_bytewise() gives exactly the answers of
// split_queue_id() (queue_id.h). split_queue_id() uses it where it cannot
// decide 16 bytes at once; the unit tests use it as the reference of the
// 16-byte path.
#pragma once

#include <string_view>

namespace pftls {

bool split_queue_id_bytewise(std::string_view message, std::string_view& queue_id,
                             std::string_view& body);

}  // namespace pftls
