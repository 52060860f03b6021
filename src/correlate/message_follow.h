// message_follow: the queue ids of saved messages, followed until Postfix
// removes them.
//
// Contract: follow() starts following a message (host id, queue id);
// on_queue_event() fills in its message-id, sender and recipients (at most
// kMaxRecipients, each once) and, at "removed", saves it through the sink
// and forgets it. Bounded: before following more than max_messages, every
// message older than max_age and then the oldest until half the bound is
// left are saved and forgotten (counted in evicted()). finish() saves
// every followed message and hands them over for the next run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/hash.h"
#include "correlate/records.h"
#include "parse/event.h"

namespace pftls {

class MessageFollow {
 public:
  static constexpr std::size_t kMaxRecipients = 1000;

  MessageFollow(EventSink& sink, std::size_t max_messages, Micros max_age)
      : sink_(sink), max_messages_(max_messages), max_age_(max_age) {}

  bool empty() const { return size_ == 0; }
  bool follows(std::uint32_t host, std::string_view queue_id) const {
    return size_ != 0 && host < by_host_.size() && by_host_[host].contains(queue_id);
  }
  void follow(std::uint32_t host, MessageRecord m, Micros now);
  // A message carried over from the previous run (no bound is applied).
  void restore(std::uint32_t host, MessageRecord m);
  void on_queue_event(std::uint32_t host, const Event& ev);
  void finish(std::vector<MessageRecord>& carried);
  std::uint64_t evicted() const { return evicted_; }

 private:
  void insert(std::uint32_t host, MessageRecord m);
  void enforce_bound(Micros now);

  EventSink& sink_;
  std::size_t max_messages_;
  Micros max_age_;
  std::size_t size_ = 0;
  std::uint64_t evicted_ = 0;
  std::vector<TextMap<MessageRecord>> by_host_;  // by host id
};

}  // namespace pftls
