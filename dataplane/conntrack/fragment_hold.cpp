// Fragments held for their first fragment (fragment_hold.h).
#include "dataplane/conntrack/fragment_hold.h"

#include <algorithm>

#include <rte_mbuf.h>

#include "dataplane/pipeline/stages.h"

namespace gauntlet {

FragmentHold::FragmentHold(const FragmentHoldLimits& limits)
    : limits_(limits),
      entries_(std::max<uint32_t>(limits.fragments, 1)),
      datagrams_(std::max<uint32_t>(limits.datagrams, 1)),
      queue_(entries_.size()) {
  for (uint32_t i = static_cast<uint32_t>(entries_.size()); i-- > 0;) {
    entries_[i].next = free_;
    free_ = i;
  }
}

size_t FragmentHold::memory_bytes() const noexcept {
  return entries_.size() * (sizeof(Entry) + sizeof(uint32_t)) +
         datagrams_.size() * sizeof(Datagram);
}

// A linear scan: the datagram slots are few (tens), and the store is looked at only for
// fragments that came ahead of their first one and for first fragments while it holds any.
FragmentHold::Datagram* FragmentHold::find(const FragmentKey& k) noexcept {
  for (Datagram& d : datagrams_)
    if (d.count != 0 && d.key == k) return &d;
  return nullptr;
}

bool FragmentHold::hold(const FragmentKey& k, rte_mbuf* m, const PacketContext& c,
                        uint64_t now_ns) noexcept {
  expire(now_ns);  // datagrams past their time give their slots up first (queued to come back)
  if (free_ == kNone) return false;
  Datagram* d = find(k);
  if (d && d->count >= limits_.per_datagram) return false;
  if (!d) {
    for (Datagram& slot : datagrams_)
      if (slot.count == 0) {
        d = &slot;
        break;
      }
    if (!d) return false;
    d->key = k;
    d->expiry_ns = now_ns + limits_.timeout_ns;
    d->head = d->tail = kNone;
    if (datagrams_held_++ == 0 || d->expiry_ns < next_expiry_ns_) next_expiry_ns_ = d->expiry_ns;
  }
  const uint32_t i = free_;
  Entry& e = entries_[i];
  free_ = e.next;
  e.mbuf = m;
  e.next = kNone;
  e.timed_out = false;
  e.ctx = c;
  if (d->tail == kNone)
    d->head = i;
  else
    entries_[d->tail].next = i;
  d->tail = i;
  ++d->count;
  ++held_;
  return true;
}

void FragmentHold::queue(Datagram& d, bool timed_out) noexcept {
  for (uint32_t i = d.head; i != kNone; i = entries_[i].next) {
    entries_[i].timed_out = timed_out;
    // Never full: every entry is in at most one place, and the ring has one slot per entry.
    queue_[(queue_head_ + queued_++) % queue_.size()] = i;
  }
  d.count = 0;
  d.head = d.tail = kNone;
  --datagrams_held_;
}

void FragmentHold::release(const FragmentKey& k) noexcept {
  if (datagrams_held_ == 0) return;
  if (Datagram* d = find(k)) queue(*d, false);
}

void FragmentHold::expire(uint64_t now_ns) noexcept {
  if (datagrams_held_ == 0 || now_ns < next_expiry_ns_) return;
  uint64_t next = ~uint64_t{0};
  for (Datagram& d : datagrams_) {
    if (d.count == 0) continue;
    if (d.expiry_ns <= now_ns)
      queue(d, true);
    else
      next = std::min(next, d.expiry_ns);
  }
  next_expiry_ns_ = next;
}

bool FragmentHold::take(rte_mbuf*& m, PacketContext& c, bool& timed_out) noexcept {
  if (queued_ == 0) return false;
  const uint32_t i = queue_[queue_head_];
  queue_head_ = static_cast<uint32_t>((queue_head_ + 1) % queue_.size());
  --queued_;
  Entry& e = entries_[i];
  m = e.mbuf;
  c = e.ctx;
  timed_out = e.timed_out;
  e.mbuf = nullptr;
  e.next = free_;
  free_ = i;
  --held_;
  return true;
}

bool FragmentHold::take_held(const FragmentKey& k, rte_mbuf*& m, PacketContext& c) noexcept {
  Datagram* d = datagrams_held_ != 0 ? find(k) : nullptr;
  if (d == nullptr) return false;
  const uint32_t i = d->head;
  Entry& e = entries_[i];
  m = e.mbuf;
  c = e.ctx;
  d->head = e.next;
  if (--d->count == 0) {
    d->head = d->tail = kNone;
    --datagrams_held_;
  }
  e.mbuf = nullptr;
  e.next = free_;
  free_ = i;
  --held_;
  return true;
}

void resume_held_fragments(Worker& w) noexcept {
  FragmentHold& hold = w.held_fragments;
  hold.expire(w.clock_ns);
  Burst b;  // not a member of Worker: this runs right after the burst that released them
  hold.returning = true;
  while (true) {
    // The stages stage a burst's packets for TX without a bound check (they fit a burst);
    // fragments that would not fit wait for the next burst.
    const uint16_t staged = std::max(w.tx_count[0], w.tx_count[1]);
    const uint16_t room = staged < kTxStage - kBurstSize ? kBurstSize : kTxStage - staged;
    b.count = 0;
    bool timed_out = false;
    while (b.count < room && hold.take(b.mbufs[b.count], b.ctx[b.count], timed_out)) {
      PacketContext& c = b.ctx[b.count++];
      c.time_ns = std::max(c.time_ns, w.clock_ns);  // they leave now, after their first fragment
      if (timed_out)
        c.decide(Layer::conntrack, Outcome::stop, Reason::conntrack_fragment_hold_timeout);
    }
    if (b.count == 0) break;
    run_returning(w, b);
  }
  hold.returning = false;
}

void expire_held_fragments(Worker& w) noexcept {
  if (w.held_fragments.due(w.clock_ns)) resume_held_fragments(w);
}

void expire_held_fragments_at(Worker& w, uint64_t now_ns) noexcept {
  if (!w.held_fragments.due(now_ns)) return;
  w.clock_ns = std::max(w.clock_ns, now_ns);
  resume_held_fragments(w);
}

}  // namespace gauntlet
