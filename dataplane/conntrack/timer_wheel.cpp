#include "dataplane/conntrack/timer_wheel.h"

#include <bit>
#include <stdexcept>

namespace gauntlet {

namespace {
// A node whose `prev` has this bit is the first of list (prev & ~kListHead). Node indexes
// stay below it; kNoTimerNode has it too, and is tested first.
constexpr uint32_t kListHead = 0x80000000u;
constexpr uint32_t kMaxSlots = 1u << 24;
}  // namespace

TimerWheel::TimerWheel(const TimerWheelConfig& config, Nodes nodes)
    : first_(nodes.first),
      stride_(nodes.stride),
      tick_ns_(config.tick_ns),
      mask_(config.slots - 1),
      pending_(config.slots) {
  if (config.slots < 2 || config.slots > kMaxSlots || !std::has_single_bit(config.slots))
    throw std::invalid_argument("timer wheel slots must be a power of two in [2, 2^24]");
  if (config.tick_ns == 0) throw std::invalid_argument("timer wheel tick must be > 0 ns");
  if (nodes.count >= kListHead) throw std::invalid_argument("timer wheel: too many nodes");
  heads_.assign(size_t{config.slots} + 1, kNoTimerNode);
}

void TimerWheel::link(uint32_t i, uint32_t list) noexcept {
  TimerNode& n = node(i);
  n.next = heads_[list];
  n.prev = kListHead | list;
  if (n.next != kNoTimerNode) node(n.next).prev = i;
  heads_[list] = i;
  ++scheduled_;
}

void TimerWheel::unlink(uint32_t i) noexcept {
  TimerNode& n = node(i);
  if (n.prev == kNoTimerNode) return;
  if (n.prev & kListHead)
    heads_[n.prev & ~kListHead] = n.next;
  else
    node(n.prev).next = n.next;
  if (n.next != kNoTimerNode) node(n.next).prev = n.prev;
  n.next = n.prev = kNoTimerNode;
  --scheduled_;
}

void TimerWheel::schedule(uint32_t i) noexcept {
  // Round the expiry up to a tick so that nothing expires early; a tick already taken from
  // the wheel is too late to join, so the node goes to the next one still in it.
  const uint64_t expiry = node(i).expiry_ns;
  uint64_t tick = expiry / tick_ns_ + (expiry % tick_ns_ != 0);
  if (tick < cursor_) tick = cursor_;
  link(i, static_cast<uint32_t>(tick & mask_));
}

void TimerWheel::cancel(uint32_t i) noexcept { unlink(i); }

void TimerWheel::begin(uint64_t now_ns, uint32_t max_work) noexcept {
  now_ns_ = now_ns;
  budget_ = max_work;
  target_tick_ = now_ns / tick_ns_;
  // More than one turn behind: every slot is due once, so visit each slot once (one turn
  // ending at the target) instead of every tick of the gap. Each node is checked against
  // now_ns, not against the tick of its slot, so nothing due is missed.
  const uint64_t turn = uint64_t{mask_} + 1;
  if (target_tick_ >= cursor_ + turn) cursor_ = target_tick_ - turn + 1;
}

uint32_t TimerWheel::next_expired() noexcept {
  for (;;) {
    const uint32_t i = heads_[pending_];
    if (i != kNoTimerNode) {
      if (budget_ == 0) return kNoTimerNode;
      --budget_;
      unlink(i);
      if (node(i).expiry_ns <= now_ns_) return i;
      // Extended since it was scheduled (or due in a later turn): to its slot now. Its tick
      // is after target_tick_, so this advance() does not meet it again in a new slot.
      schedule(i);
      continue;
    }
    if (cursor_ > target_tick_ || budget_ == 0) return kNoTimerNode;
    --budget_;
    // Take the whole slot: nodes scheduled into it from now on wait for its next turn, and
    // those taken are seen exactly once.
    const uint32_t slot = static_cast<uint32_t>(cursor_ & mask_);
    ++cursor_;
    const uint32_t head = heads_[slot];
    if (head == kNoTimerNode) continue;
    heads_[slot] = kNoTimerNode;
    heads_[pending_] = head;
    node(head).prev = kListHead | pending_;
  }
}

}  // namespace gauntlet
