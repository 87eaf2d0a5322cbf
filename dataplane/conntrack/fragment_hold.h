// Fragments held for their first fragment (RFC 4787 REQ-14, out-of-order fragments). A later
// fragment carries no ports: it can only follow the flow its first fragment found
// (fragment_table.h). When it arrives first, conntrack_commit hands it here instead of
// dropping it; the store keeps the mbuf and the packet's context as the stages before
// conntrack_commit left them. When the datagram's first fragment reaches conntrack_commit,
// whatever became of it, its held fragments are released: after the burst that carried it
// they finish the pipeline from conntrack_commit on (run_returning), in the order they
// arrived, and follow its verdict and translation like fragments that came in order (or are
// conntrack:fragment-without-first when it was stopped). A datagram whose first fragment does
// not come within the time limit has its fragments come back as
// conntrack:fragment-hold-timeout; a fragment that finds the store full (fragments in all,
// per datagram, datagrams) is conntrack:fragment-hold-full at once.
//
// Bounded and preallocated: every array is sized in the constructor (control core); one
// instance per worker (Worker::held_fragments), touched only by that worker: no locks, no
// allocation. The store owns the mbufs it holds until take() hands them back; it does not
// free them when destroyed (the pool may be gone by then): what it holds when the process
// ends goes with the pool, and replay --settle brings every one of them back first.
// A first fragment stopped before it had a flow leaves a kFirstFragmentStopped record
// (fragment_table.h), so that its later fragments are dropped at once rather than held.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/conntrack/fragment_table.h"
#include "dataplane/pipeline/context.h"

struct rte_mbuf;

namespace gauntlet {

struct Worker;

struct FragmentHoldLimits {
  uint32_t fragments = 256;             // mbufs held at once, all datagrams together
  uint32_t per_datagram = 16;           // mbufs held for one datagram
  uint32_t datagrams = 64;              // datagrams with fragments held at once
  uint64_t timeout_ns = 2'000'000'000;  // from a datagram's first held fragment, dataplane clock
};

class FragmentHold {
 public:
  explicit FragmentHold(const FragmentHoldLimits& limits = {});
  FragmentHold(const FragmentHold&) = delete;
  FragmentHold& operator=(const FragmentHold&) = delete;

  // Keeps `m` (and `c`, as it is now) for the datagram `k`. True: the store owns `m`. False:
  // a limit is reached (the caller still owns `m`; conntrack:fragment-hold-full). Datagrams
  // past their time at `now_ns` are queued to come back first, freeing their slots.
  bool hold(const FragmentKey& k, rte_mbuf* m, const PacketContext& c, uint64_t now_ns) noexcept;
  // The first fragment of `k` was decided: its held fragments queue to come back, in order.
  void release(const FragmentKey& k) noexcept;
  // Datagrams held past their time limit at `now_ns` queue to come back, timed out.
  void expire(uint64_t now_ns) noexcept;

  // Anything to do at `now_ns`: fragments queued to come back, or a time limit passed.
  bool due(uint64_t now_ns) const noexcept {
    return queued_ != 0 || (datagrams_held_ != 0 && now_ns >= next_expiry_ns_);
  }
  bool empty() const noexcept { return held_ == 0; }
  // The next fragment queued to come back: its mbuf (the caller owns it from now on), its
  // context and whether it timed out. False when none is queued.
  bool take(rte_mbuf*& m, PacketContext& c, bool& timed_out) noexcept;

  // Several workers (pipeline/handoff.h): the datagrams held here, not queued to come back,
  // and their fragments taken out one at a time, oldest first, to move to another worker.
  template <typename F>
  void for_each_held(F&& f) const {
    for (const Datagram& d : datagrams_)
      if (d.count != 0) f(d.key);
  }
  // The oldest fragment still held for `k` (the caller owns the mbuf from now on); false
  // when none is.
  bool take_held(const FragmentKey& k, rte_mbuf*& m, PacketContext& c) noexcept;

  // Set while the fragments taken come back through the pipeline: they are not held again.
  bool returning = false;

  uint32_t held() const noexcept { return held_; }  // mbufs owned: held or queued
  uint32_t capacity() const noexcept { return static_cast<uint32_t>(entries_.size()); }
  const FragmentHoldLimits& limits() const noexcept { return limits_; }
  size_t memory_bytes() const noexcept;

 private:
  static constexpr uint32_t kNone = ~0u;
  struct Entry {
    rte_mbuf* mbuf = nullptr;
    uint32_t next = kNone;  // the datagram's next fragment, or the free list
    bool timed_out = false;
    PacketContext ctx;
  };
  struct Datagram {
    FragmentKey key;
    uint64_t expiry_ns = 0;
    uint32_t head = kNone, tail = kNone, count = 0;  // 0: slot unused
  };
  Datagram* find(const FragmentKey& k) noexcept;
  void queue(Datagram& d, bool timed_out) noexcept;  // its fragments to the back of the queue

  FragmentHoldLimits limits_;
  std::vector<Entry> entries_;
  std::vector<Datagram> datagrams_;
  std::vector<uint32_t> queue_;  // ring of entry indexes coming back, capacity = entries
  uint32_t free_ = kNone;        // free entries, linked through `next`
  uint32_t held_ = 0, datagrams_held_ = 0;
  uint32_t queue_head_ = 0, queued_ = 0;
  uint64_t next_expiry_ns_ = 0;  // no datagram expires before it (a lower bound)
};

// Pipeline hook, after a burst's dispose: the fragments due to come back (released by a
// first fragment of that burst, or timed out at the worker's clock) finish the pipeline, a
// burst at a time, while the TX staging has room for them. Worker core.
void resume_held_fragments(Worker& w) noexcept;

// Replay --settle: the clock ran on to w.clock_ns; datagrams past their limit come back timed
// out and are dropped.
void expire_held_fragments(Worker& w) noexcept;
// Live, between bursts: the dataplane clock moves on to now_ns, and datagrams past their
// time are dropped although no packet came (staged to be sent, freed or counted as above).
void expire_held_fragments_at(Worker& w, uint64_t now_ns) noexcept;

}  // namespace gauntlet
