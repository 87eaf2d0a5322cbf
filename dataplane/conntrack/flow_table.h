// A worker's connection table: flows keyed by canonical FlowKey, both directions of a flow
// finding one entry, plus a second "translated" key per NATed flow so that replies to the
// translated address find it too. One instance per worker, touched only by that worker (no
// locks, no atomics); constructed on the control core, which allocates all of its memory
// there: nothing allocates, locks, logs or throws after the constructor.
//
// Layout (why it fits 128 bytes per flow):
// - entries: a fixed array of `capacity` FlowEntry (112 bytes), free ones on a free list.
// - memory: huge pages where the kernel gives them (HugePageArray), fewer TLB misses.
// - index: 64-byte buckets of 12 slots (an 8-bit hash tag + a 32-bit entry reference each),
//   one bucket per 4 flows of capacity: 16 bytes per flow. A flow uses one slot, two once it
//   has a translation, so the index is at most 2/3 full; a lookup reads one bucket (one cache
//   line) unless that bucket overflowed into the next (a miss stops after one turn at most).
// - expiry: a TimerWheel whose nodes live in the entries (16 KiB of slot heads, fixed).
// Total: 112 + 16 = 128 bytes per flow of capacity, plus 16 KiB.
//
// Fast path: prefetch(hash of packet i+1), lookup(packet i) -> entry + direction, update state,
// counters and expiry in place. Slow path: insert (first packet), bind_translation (NAT),
// erase; expire() from the poll loop with a work budget.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/conntrack/flow_key.h"
#include "dataplane/conntrack/fragment_table.h"
#include "dataplane/conntrack/huge_page_array.h"
#include "dataplane/conntrack/timer_wheel.h"

namespace gauntlet {

inline constexpr uint32_t kNoFlowRule = 0xffffffffu;
inline constexpr uint32_t kNoFlowBackend = 0xffffffffu;

// Which end of the original tuple a translation replaced.
// - source: SNAT, a pod's flow out through the public address.
// - destination: DNAT, a client's flow to a load-balanced VIP, sent on to a backend.
// - inbound: an unsolicited flow to the public address:port of a pod's SNAT mapping, let in by
//   endpoint-independent filtering and sent on to the pod; it holds a share of that mapping.
// Both destination kinds index and answer the same way (translates_destination).
enum class NatKind : uint8_t { none, source, destination, inbound };
constexpr bool translates_destination(NatKind k) noexcept {
  return k == NatKind::destination || k == NatKind::inbound;
}

// Fields marked (table) are written only by FlowTable; the owning worker writes the others.
struct FlowEntry {
  FlowKey key;                   // (table) canonical key of the original tuple; version 0: free
  IpAddress nat_addr{};          // (table) translated address, network order (bind_translation)
  TimerNode timer;               // (table) expiry_ns and wheel links; change through set_expiry
  uint64_t bytes[2] = {0, 0};    // per FlowDirection
  uint32_t packets[2] = {0, 0};  // per FlowDirection; wraps at 2^32 (read deltas, as VPP)
  uint32_t generation = 0;       // the rules generation that judged the flow
  uint32_t rule = kNoFlowRule;   // the rule that judged it (firewall / allow-list)
  uint32_t backend = kNoFlowBackend;    // LB backend id, for DNAT flows
  uint16_t nat_port = 0;                // (table) translated port or ICMP id, host order
  uint8_t state = 0;                    // TcpState for TCP; the owner's to define for others
  uint8_t original_is_lo : 1 = 0;       // (table) the creating packet came from key.lo
  uint8_t nat_kind : 2 = 0;             // (table) NatKind
  uint8_t reply_key_indexed : 1 = 0;    // (table) the translated key is in the index
  uint8_t reply_key_nat_is_lo : 1 = 0;  // (table) the translated end sorts low in that key
  uint8_t seen_reply : 1 = 0;           // Linux IPS_SEEN_REPLY
  uint8_t assured : 1 = 0;              // Linux IPS_ASSURED
  uint8_t waf_blocked : 1 = 0;          // the WAF reset this flow: its packets are dropped

  NatKind nat() const noexcept { return static_cast<NatKind>(nat_kind); }
  // A load-balanced flow sent on to its backend inside a tunnel (forwarding: dsr-ipip): it has
  // a backend but no translation; nat_addr/nat_port hold the backend (bind_translation with
  // NatKind::none), and its replies go around gauntlet.
  bool tunnelled() const noexcept { return nat() == NatKind::none && backend != kNoFlowBackend; }
  bool in_use() const noexcept { return key.version != 0; }
  // The original tuple's ends, as the creating packet saw them.
  FlowEndpoint original_source() const noexcept { return original_is_lo ? key.lo() : key.hi(); }
  FlowEndpoint original_destination() const noexcept {
    return original_is_lo ? key.hi() : key.lo();
  }
  void account(FlowDirection d, uint32_t frame_bytes) noexcept {
    ++packets[static_cast<size_t>(d)];
    bytes[static_cast<size_t>(d)] += frame_bytes;
  }
};
static_assert(sizeof(FlowEntry) == 112, "FlowEntry layout changed: recheck bytes per flow");

struct FlowMatch {
  FlowEntry* entry = nullptr;
  FlowDirection direction = FlowDirection::original;
  bool via_translation = false;  // matched the NAT-translated key, not the original one
  explicit operator bool() const noexcept { return entry != nullptr; }
};

enum class BindResult : uint8_t {
  bound,     // the translated key now finds the flow
  conflict,  // another flow already owns the translated key; nothing changed
};

class FlowTable {
 public:
  static constexpr uint32_t kSlotsPerBucket = 12;
  static constexpr uint32_t kFlowsPerBucket = 4;
  static constexpr uint32_t kMaxCapacity = 1u << 28;
  static constexpr size_t kBytesPerFlow = sizeof(FlowEntry) + 64 / kFlowsPerBucket;
  static_assert(kBytesPerFlow <= 128, "table memory per flow must stay within 128 bytes");

  // Control core. Throws std::invalid_argument when capacity is 0 or over kMaxCapacity, or the
  // wheel config is invalid. All memory is allocated and touched here.
  explicit FlowTable(uint32_t capacity, const TimerWheelConfig& wheel = {});
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // Fast path: start loading the bucket `hash` will read (call for packet i+1 before i).
  void prefetch(FlowHash hash) const noexcept { __builtin_prefetch(&buckets_[bucket_of(hash)]); }
  // Fast path, second stage: once the bucket is in cache, start loading the entry the
  // hash's tag points at (call for packet i+1 after prefetch(i+2), or burst-wide).
  void prefetch_entry(FlowHash hash) const noexcept;
  // Fast path: the flow of a packet, and whether the packet goes in its original or reply
  // direction. `hash` is flow_hash(packet.key). No entry: {nullptr, original}.
  FlowMatch lookup(const PacketKey& packet, FlowHash hash) noexcept;

  // Slow path, after a lookup miss for this key: a fresh entry (counters zero, rule and
  // backend unset) whose original direction is the packet's, expiring at expiry_ns.
  // nullptr when the table is full (the caller drops with conntrack:table-full).
  FlowEntry* insert(const PacketKey& packet, FlowHash hash, uint64_t expiry_ns) noexcept;

  // Slow path: records a NAT translation of the flow's original source (SNAT) or destination
  // (DNAT/LB) to addr:port, and indexes the translated tuple so that replies sent to it
  // (SNAT) or from it (DNAT) find the flow, as reply. ICMP echo: `port` is the new id, which
  // replaces the id on both ends. A flow holds one translation; binding again replaces it.
  BindResult bind_translation(FlowEntry& e, NatKind kind, const IpAddress& addr,
                              uint16_t port) noexcept;

  // The translated tuple's key (what bind_translation indexed); e.key when untranslated.
  static PacketKey translated_key(const FlowEntry& e) noexcept;

  // Hot path: sets the expiry; a later one is a store, an earlier one re-links the timer.
  void set_expiry(FlowEntry& e, uint64_t expiry_ns) noexcept {
    wheel_.set_expiry(index_of(e), expiry_ns);
  }

  // Removes a flow now (its keys, its timer); the entry is reused by a later insert.
  void erase(FlowEntry& e) noexcept;

  // Poll loop: expires flows whose expiry is <= now_ns, visiting at most max_work wheel
  // slots and entries. on_expire(FlowEntry&) sees each one before it is erased (release its
  // NAT port there); it must not erase or insert. Returns how many expired.
  template <class F>
  uint32_t expire(uint64_t now_ns, uint32_t max_work, F&& on_expire) noexcept {
    return wheel_.advance(now_ns, max_work, [&](uint32_t i) {
      FlowEntry& e = entries_[i];
      on_expire(e);
      release(e, i);
    });
  }
  bool expiry_caught_up() const noexcept { return wheel_.caught_up(); }

  uint32_t size() const noexcept { return size_; }
  uint32_t capacity() const noexcept { return capacity_; }
  uint32_t index_of(const FlowEntry& e) const noexcept {
    return static_cast<uint32_t>(&e - entries_.data());
  }
  FlowEntry& at(uint32_t index) noexcept { return entries_[index]; }
  // Which flow the fragments of a datagram belong to (shallow reassembly); sized from the
  // capacity: one slot per 16 flows, 64 to 4096.
  FragmentTable& fragments() noexcept { return fragments_; }
  const FragmentTable& fragments() const noexcept { return fragments_; }
  // Everything allocated at construction (entries, index, wheel).
  size_t memory_bytes() const noexcept;

 private:
  struct alignas(64) Bucket {
    uint8_t tags[kSlotsPerBucket];  // 0: empty slot; else an 8-bit hash tag (never 0)
    uint16_t overflow;              // keys stored past this bucket whose search passes through it
    uint16_t spare;
    uint32_t refs[kSlotsPerBucket];  // entry index << 1, | 1 for a translated key
  };
  static_assert(sizeof(Bucket) == 64);

  uint32_t bucket_of(FlowHash h) const noexcept {
    return static_cast<uint32_t>((uint64_t{h} * bucket_count_) >> 32);
  }
  static uint8_t tag_of(FlowHash h) noexcept {
    const auto t = static_cast<uint8_t>(h);
    return t != 0 ? t : 1;
  }
  uint32_t next_bucket(uint32_t b) const noexcept { return b + 1 == bucket_count_ ? 0 : b + 1; }
  static uint32_t tag_matches(const Bucket& b, uint8_t tag) noexcept;
  static bool translated_key_matches(const FlowEntry& e, const FlowKey& k) noexcept;
  void add_ref(FlowHash h, uint32_t ref) noexcept;
  void remove_ref(FlowHash h, uint32_t ref) noexcept;
  void release(FlowEntry& e, uint32_t index) noexcept;

  uint32_t capacity_;
  uint32_t bucket_count_;
  uint32_t size_ = 0;
  uint32_t free_head_ = kNoTimerNode;  // free entries chain through timer.next
  HugePageArray<FlowEntry> entries_;
  HugePageArray<Bucket> buckets_;
  TimerWheel wheel_;
  FragmentTable fragments_;
};

}  // namespace gauntlet
