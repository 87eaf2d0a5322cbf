// Expiry for per-worker tables: a hashed timer wheel over intrusive, index-based nodes.
// One wheel per worker, used only by that worker (no locks); the control core only builds it.
// It owns `slots` list heads (4 bytes each), allocated at construction; the nodes live inside
// the caller's elements (a TimerNode member), so scheduling never allocates.
//
// Time is the dataplane clock in nanoseconds (pcap time in replay, TSC-derived live), passed
// in; the wheel never reads a clock. A node is expired no earlier than its expiry and, when
// advance() is called at least once per tick with enough budget, at most one tick later.
//
// - Lazy extension: a later expiry is just written (set_expiry), which is what the hot path
//   does per packet; the node stays where it is and is moved when its old slot comes due.
//   An earlier expiry moves it at once, so a flow that closes is not held for its old timeout.
// - Bounded work: advance() visits at most `max_work` slots and nodes, and resumes where it
//   stopped on the next call.
// - Clock jumps (replay gaps): a jump of more than one turn visits each slot once, never each
//   tick of the gap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gauntlet {

inline constexpr uint32_t kNoTimerNode = 0xffffffffu;

struct TimerNode {
  uint64_t expiry_ns = 0;
  uint32_t next = kNoTimerNode;
  uint32_t prev = kNoTimerNode;  // kNoTimerNode: not scheduled; else a node or a list head
};
static_assert(sizeof(TimerNode) == 16);

struct TimerWheelConfig {
  uint64_t tick_ns = 1'000'000'000;  // 1 s: conntrack timeouts are whole seconds
  uint32_t slots = 4096;             // power of two; one turn = slots * tick (68 min)
};

class TimerWheel {
 public:
  // Where the nodes are: element i's TimerNode is at `first + i * stride`.
  struct Nodes {
    std::byte* first = nullptr;
    uint32_t count = 0;
    uint32_t stride = sizeof(TimerNode);
  };
  template <class T>
  static Nodes nodes_of(T* items, uint32_t count, TimerNode T::*member) noexcept {
    return {count ? reinterpret_cast<std::byte*>(&(items->*member)) : nullptr, count,
            static_cast<uint32_t>(sizeof(T))};
  }

  // Control core. Throws std::invalid_argument when slots is not a power of two in
  // [2, 2^24], tick_ns is 0, or there are 2^31 nodes or more.
  TimerWheel(const TimerWheelConfig& config, Nodes nodes);

  TimerNode& node(uint32_t i) noexcept {
    return *reinterpret_cast<TimerNode*>(first_ + size_t{i} * stride_);
  }
  const TimerNode& node(uint32_t i) const noexcept {
    return *reinterpret_cast<const TimerNode*>(first_ + size_t{i} * stride_);
  }

  // Schedules an unscheduled node at node(i).expiry_ns.
  void schedule(uint32_t i) noexcept;
  // Unschedules a node; nothing happens when it is not scheduled.
  void cancel(uint32_t i) noexcept;
  // Hot path: a later expiry is one store; an earlier one re-links the node (O(1)).
  void set_expiry(uint32_t i, uint64_t expiry_ns) noexcept {
    TimerNode& n = node(i);
    const bool earlier = expiry_ns < n.expiry_ns;
    n.expiry_ns = expiry_ns;
    if (earlier && n.prev != kNoTimerNode) {
      unlink(i);
      schedule(i);
    }
  }
  bool scheduled(uint32_t i) const noexcept { return node(i).prev != kNoTimerNode; }

  // Expires the nodes due at `now_ns`: each is unscheduled, then handed to on_expire(index)
  // (which may schedule or cancel any node, this one included). Returns how many expired.
  template <class F>
  uint32_t advance(uint64_t now_ns, uint32_t max_work, F&& on_expire) noexcept {
    begin(now_ns, max_work);
    uint32_t expired = 0;
    for (uint32_t i; (i = next_expired()) != kNoTimerNode; ++expired) on_expire(i);
    return expired;
  }

  // True when the last advance() visited everything due; false when it ran out of budget.
  bool caught_up() const noexcept {
    return heads_[pending_] == kNoTimerNode && cursor_ > target_tick_;
  }
  uint32_t scheduled_count() const noexcept { return scheduled_; }
  uint64_t tick_ns() const noexcept { return tick_ns_; }
  uint32_t slots() const noexcept { return mask_ + 1; }
  size_t memory_bytes() const noexcept { return heads_.size() * sizeof(uint32_t); }

 private:
  void begin(uint64_t now_ns, uint32_t max_work) noexcept;
  uint32_t next_expired() noexcept;
  void link(uint32_t i, uint32_t list) noexcept;
  void unlink(uint32_t i) noexcept;

  std::byte* first_;
  uint32_t stride_;
  uint64_t tick_ns_;
  uint32_t mask_;
  uint32_t pending_;             // heads_[pending_]: nodes taken from due slots, not yet seen
  std::vector<uint32_t> heads_;  // one list per slot, then the pending list
  uint64_t cursor_ = 0;          // the next tick whose slot has not been taken
  uint64_t target_tick_ = 0;     // the tick of the current advance()
  uint64_t now_ns_ = 0;          // the time of the current advance()
  uint32_t budget_ = 0;          // work left in the current advance()
  uint32_t scheduled_ = 0;
};

}  // namespace gauntlet
