// message_follow: per host, a map of followed queue ids to their records.
#include "correlate/message_follow.h"

#include <algorithm>
#include <tuple>

namespace pftls {

void MessageFollow::insert(std::uint32_t host, MessageRecord m) {
  if (host >= by_host_.size()) by_host_.resize(host + 1);
  std::string qid = m.queue_id;
  if (by_host_[host].insert_or_assign(std::move(qid), std::move(m)).second) ++size_;
}

void MessageFollow::follow(std::uint32_t host, MessageRecord m, Micros now) {
  if (size_ >= max_messages_) enforce_bound(now);
  insert(host, std::move(m));
}

void MessageFollow::restore(std::uint32_t host, MessageRecord m) { insert(host, std::move(m)); }

void MessageFollow::enforce_bound(Micros now) {
  std::vector<std::tuple<Micros, std::uint32_t, std::string>> order;
  for (std::uint32_t h = 0; h < by_host_.size(); ++h)
    for (const auto& [qid, m] : by_host_[h]) order.emplace_back(m.accepted_at, h, qid);
  std::sort(order.begin(), order.end());
  const std::size_t target = max_messages_ / 2;
  std::size_t remaining = order.size();
  for (const auto& [at, h, qid] : order) {
    if (remaining <= target && at >= now - max_age_) break;
    auto it = by_host_[h].find(qid);
    sink_.save_message(it->second);
    by_host_[h].erase(it);
    --size_;
    ++evicted_;
    --remaining;
  }
}

void MessageFollow::on_queue_event(std::uint32_t host, const Event& ev) {
  if (size_ == 0 || host >= by_host_.size()) return;
  auto& by_qid = by_host_[host];
  auto it = by_qid.find(ev.get(Field::kQueueId));
  if (it == by_qid.end()) return;
  MessageRecord& m = it->second;
  switch (ev.kind) {
    case EventKind::kMessageId:
      m.message_id.assign(ev.get(Field::kMessageId));
      return;
    case EventKind::kSender:
      m.sender.assign(ev.get(Field::kSender));
      return;
    case EventKind::kRecipient: {
      const std::string_view r = ev.get(Field::kRecipient);
      if (m.recipients.size() >= kMaxRecipients ||
          std::find(m.recipients.begin(), m.recipients.end(), r) != m.recipients.end()) {
        return;
      }
      m.recipients.emplace_back(r);
      return;
    }
    case EventKind::kRemoved:
      sink_.save_message(m);
      by_qid.erase(it);
      --size_;
      return;
    default:
      return;
  }
}

void MessageFollow::finish(std::vector<MessageRecord>& carried) {
  // In log order: the ids the sink gives do not depend on the table's order.
  std::vector<MessageRecord*> all;
  all.reserve(size_);
  for (auto& by_qid : by_host_)
    for (auto& [qid, m] : by_qid) all.push_back(&m);
  std::sort(all.begin(), all.end(), [](const MessageRecord* a, const MessageRecord* b) {
    return a->accepted_ord < b->accepted_ord;
  });
  carried.reserve(carried.size() + all.size());
  for (MessageRecord* m : all) {
    sink_.save_message(*m);  // gives it an id for the next run
    carried.push_back(*m);
  }
}

}  // namespace pftls
