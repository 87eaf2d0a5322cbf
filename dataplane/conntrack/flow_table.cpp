#include "dataplane/conntrack/flow_table.h"

#include <algorithm>
#include <bit>
#include <stdexcept>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gauntlet {

namespace {
constexpr uint16_t kStickyOverflow = 0xffff;  // too many to count: never decremented again
constexpr uint32_t kSlotMask = (1u << FlowTable::kSlotsPerBucket) - 1;
}  // namespace

namespace {
uint32_t checked_capacity(uint32_t capacity) {
  if (capacity == 0 || capacity > FlowTable::kMaxCapacity)
    throw std::invalid_argument("flow table capacity must be in [1, 2^28]");
  return capacity;
}
}  // namespace

FlowTable::FlowTable(uint32_t capacity, const TimerWheelConfig& wheel)
    : capacity_(checked_capacity(capacity)),
      bucket_count_((capacity + kFlowsPerBucket - 1) / kFlowsPerBucket),
      entries_(capacity),
      buckets_(bucket_count_),
      wheel_(wheel, TimerWheel::nodes_of(entries_.data(), capacity, &FlowEntry::timer)),
      fragments_(std::clamp<uint32_t>(capacity / 16, 64, 4096)) {
  // Free list in index order, so that a young table fills its entries front to back.
  for (uint32_t i = capacity; i-- > 0;) {
    entries_[i].timer.next = free_head_;
    free_head_ = i;
  }
}

size_t FlowTable::memory_bytes() const noexcept {
  return entries_.allocated_bytes() + buckets_.allocated_bytes() + wheel_.memory_bytes() +
         fragments_.memory_bytes();
}

uint32_t FlowTable::tag_matches(const Bucket& b, uint8_t tag) noexcept {
#if defined(__SSE2__)
  // One 16-byte compare covers the 12 tags (the 4 bytes after them are masked off).
  const __m128i tags = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.tags));
  const __m128i want = _mm_set1_epi8(static_cast<char>(tag));
  return static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(tags, want))) & kSlotMask;
#else
  uint32_t m = 0;
  for (uint32_t i = 0; i < kSlotsPerBucket; ++i) m |= uint32_t{b.tags[i] == tag} << i;
  return m;
#endif
}

// The translated tuple, compared end by end against the entry instead of being rebuilt:
// {N, X} where N is the translation and X the end it left alone (with the new id, for ICMP).
bool FlowTable::translated_key_matches(const FlowEntry& e, const FlowKey& k) noexcept {
  if (k.proto != e.key.proto || k.version != e.key.version) return false;
  const bool source = e.nat() == NatKind::source;
  const bool x_is_lo = source != static_cast<bool>(e.original_is_lo);  // X = other end of N
  const IpAddress& x_addr = x_is_lo ? e.key.lo_addr : e.key.hi_addr;
  uint16_t x_port = x_is_lo ? e.key.lo_port : e.key.hi_port;
  if (is_icmp_proto(k.proto)) x_port = e.nat_port;
  if (e.reply_key_nat_is_lo)
    return k.lo_port == e.nat_port && k.hi_port == x_port && k.lo_addr == e.nat_addr &&
           k.hi_addr == x_addr;
  return k.hi_port == e.nat_port && k.lo_port == x_port && k.hi_addr == e.nat_addr &&
         k.lo_addr == x_addr;
}

void FlowTable::prefetch_entry(FlowHash hash) const noexcept {
  const Bucket& bucket = buckets_[bucket_of(hash)];
  const uint32_t m = tag_matches(bucket, tag_of(hash));
  if (m == 0) return;
  // An entry spans two or three cache lines (112 bytes at any 16-byte offset): all of them.
  const auto* p = reinterpret_cast<const char*>(&entries_[bucket.refs[std::countr_zero(m)] >> 1]);
  __builtin_prefetch(p);
  __builtin_prefetch(p + 64);
  __builtin_prefetch(p + sizeof(FlowEntry) - 1);
}

FlowMatch FlowTable::lookup(const PacketKey& packet, FlowHash hash) noexcept {
  const uint8_t tag = tag_of(hash);
  // Every bucket may have overflowed at once (a small table), so stop after one full turn.
  uint32_t b = bucket_of(hash);
  for (uint32_t visited = 0; visited < bucket_count_; ++visited, b = next_bucket(b)) {
    const Bucket& bucket = buckets_[b];
    for (uint32_t m = tag_matches(bucket, tag); m != 0; m &= m - 1) {
      const uint32_t ref = bucket.refs[std::countr_zero(m)];
      FlowEntry& e = entries_[ref >> 1];
      if ((ref & 1) == 0) {
        if (e.key == packet.key) {
          const bool original = packet.src_is_lo == static_cast<bool>(e.original_is_lo);
          return {&e, original ? FlowDirection::original : FlowDirection::reply, false};
        }
      } else if (translated_key_matches(e, packet.key)) {
        // Replies come to the translated source (SNAT) or from the translated destination.
        const bool from_nat_end = packet.src_is_lo == static_cast<bool>(e.reply_key_nat_is_lo);
        const bool reply = from_nat_end == translates_destination(e.nat());
        return {&e, reply ? FlowDirection::reply : FlowDirection::original, true};
      }
    }
    if (bucket.overflow == 0) return {};
  }
  return {};
}

void FlowTable::add_ref(FlowHash h, uint32_t ref) noexcept {
  // Always ends: at most 2 keys per flow, at least 3 slots per flow of capacity.
  for (uint32_t b = bucket_of(h);; b = next_bucket(b)) {
    Bucket& bucket = buckets_[b];
    const uint32_t empty = tag_matches(bucket, 0);
    if (empty != 0) {
      const int slot = std::countr_zero(empty);
      bucket.tags[slot] = tag_of(h);
      bucket.refs[slot] = ref;
      return;
    }
    if (bucket.overflow != kStickyOverflow) ++bucket.overflow;
  }
}

void FlowTable::remove_ref(FlowHash h, uint32_t ref) noexcept {
  const uint8_t tag = tag_of(h);
  for (uint32_t b = bucket_of(h);; b = next_bucket(b)) {
    Bucket& bucket = buckets_[b];
    for (uint32_t m = tag_matches(bucket, tag); m != 0; m &= m - 1) {
      const int slot = std::countr_zero(m);
      if (bucket.refs[slot] == ref) {
        bucket.tags[slot] = 0;
        return;
      }
    }
    if (bucket.overflow != kStickyOverflow) --bucket.overflow;
  }
}

FlowEntry* FlowTable::insert(const PacketKey& packet, FlowHash hash, uint64_t expiry_ns) noexcept {
  if (free_head_ == kNoTimerNode) return nullptr;
  const uint32_t index = free_head_;
  FlowEntry& e = entries_[index];
  free_head_ = e.timer.next;
  e = FlowEntry{};
  e.key = packet.key;
  e.original_is_lo = packet.src_is_lo;
  e.timer.expiry_ns = expiry_ns;
  add_ref(hash, index << 1);
  wheel_.schedule(index);
  ++size_;
  return &e;
}

PacketKey FlowTable::translated_key(const FlowEntry& e) noexcept {
  if (e.nat() == NatKind::none) return {e.key, static_cast<bool>(e.original_is_lo)};
  FlowEndpoint nat{e.nat_addr, e.nat_port};
  FlowEndpoint other = e.nat() == NatKind::source ? e.original_destination() : e.original_source();
  if (is_icmp_proto(e.key.proto)) other.port = e.nat_port;
  // Oriented so that src_is_lo tells where the translated end sorts.
  return make_packet_key(e.key.version, e.key.proto, nat, other);
}

BindResult FlowTable::bind_translation(FlowEntry& e, NatKind kind, const IpAddress& addr,
                                       uint16_t port) noexcept {
  const uint32_t index = index_of(e);
  const FlowEntry before = e;
  if (e.reply_key_indexed) remove_ref(flow_hash(translated_key(e).key), index << 1 | 1);
  e.nat_kind = static_cast<uint8_t>(kind);
  e.nat_addr = addr;
  e.nat_port = port;
  e.reply_key_indexed = 0;
  if (kind == NatKind::none) return BindResult::bound;
  const PacketKey translated = translated_key(e);
  e.reply_key_nat_is_lo = translated.src_is_lo;
  if (translated.key == e.key) return BindResult::bound;  // identity: the key finds it already
  const FlowHash h = flow_hash(translated.key);
  if (lookup(translated, h)) {
    e = before;  // put the old translation (and its index slot) back
    if (e.reply_key_indexed) add_ref(flow_hash(translated_key(e).key), index << 1 | 1);
    return BindResult::conflict;
  }
  add_ref(h, index << 1 | 1);
  e.reply_key_indexed = 1;
  return BindResult::bound;
}

void FlowTable::release(FlowEntry& e, uint32_t index) noexcept {
  remove_ref(flow_hash(e.key), index << 1);
  if (e.reply_key_indexed) remove_ref(flow_hash(translated_key(e).key), index << 1 | 1);
  e.key.version = 0;
  e.reply_key_indexed = 0;
  e.timer.next = free_head_;
  free_head_ = index;
  --size_;
}

void FlowTable::erase(FlowEntry& e) noexcept {
  const uint32_t index = index_of(e);
  wheel_.cancel(index);
  release(e, index);
}

}  // namespace gauntlet
