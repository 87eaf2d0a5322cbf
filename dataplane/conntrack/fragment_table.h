// Shallow (virtual) reassembly, as VPP's NAT does it: fragments are never joined. The first
// fragment of a datagram carries the ports; it is looked up and translated like any packet,
// and its flow is remembered here under (source, destination, protocol, IP id). Later
// fragments carry no ports: they find their flow here and get the same verdict and the
// same IP-header translation. A later fragment that arrives before its first one, or
// whose first one was stopped, finds nothing and is dropped by the caller
// (conntrack:fragment-without-first); none is held back.
//
// Bounded: a fixed array of slots set at construction; a lookup or insert probes at most
// kProbe slots; a record lives `timeout` on the dataplane clock and is reused after that.
// One instance per worker (inside its FlowTable), touched only by that worker: no locks,
// no allocation after the constructor (control core). Addresses network order; the id is
// the IPv4 identification (16 bits) or the IPv6 fragment header's identification (32 bits),
// host order.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/conntrack/flow_key.h"

namespace gauntlet {

struct FragmentKey {
  IpAddress src{}, dst{};
  uint32_t id = 0;
  uint8_t proto = 0;    // the upper-layer protocol
  uint8_t version = 0;  // 4 or 6
  friend bool operator==(const FragmentKey&, const FragmentKey&) = default;
};

// Where a datagram's first fragment went: its flow (by flow-table index, checked against
// the flow's key hash so that a reused entry is never mistaken for it) and its direction.
struct FragmentRecord {
  FragmentKey key;
  uint64_t expiry_ns = 0;  // 0: empty slot
  uint32_t flow_index = 0;
  uint32_t flow_key_hash = 0;
  uint8_t flow_dir = 0;
};

// FragmentRecord::flow_index of a datagram whose first fragment was stopped before it had a
// flow: its later fragments are dropped at once (conntrack:fragment-without-first) instead of
// waiting for a first fragment that has come and gone (fragment_hold.h).
inline constexpr uint32_t kFirstFragmentStopped = ~0u;

class FragmentTable {
 public:
  static constexpr uint32_t kProbe = 4;

  // Control core: `slots` rounded up to a power of two (at least kProbe).
  explicit FragmentTable(uint32_t slots);

  // Remembers a first fragment's flow until now_ns + timeout_ns. False when kProbe slots
  // from its home are all held by other live datagrams (the caller drops the fragment).
  bool remember(const FragmentKey& k, uint32_t flow_index, uint32_t flow_key_hash, uint8_t flow_dir,
                uint64_t now_ns, uint64_t timeout_ns) noexcept;
  // The live record of `k`, or nullptr.
  const FragmentRecord* find(const FragmentKey& k, uint64_t now_ns) const noexcept;

  uint32_t slots() const noexcept { return static_cast<uint32_t>(slots_.size()); }
  // Records still live at `now_ns` (a scan of every slot: control core, workers stopped).
  uint32_t live(uint64_t now_ns) const noexcept;
  size_t memory_bytes() const noexcept { return slots_.size() * sizeof(FragmentRecord); }

 private:
  uint32_t home(const FragmentKey& k) const noexcept;
  std::vector<FragmentRecord> slots_;
};

// The fragment key of a parsed IPv4/IPv6 fragment in `frame` (kParseFragment set): the IPv4
// identification, or the identification of the IPv6 fragment header (the parser has checked
// the extension-header chain). False when `p` is not a fragment.
bool fragment_key_of(const uint8_t* frame, const ParsedPacket& p, FragmentKey& out) noexcept;

}  // namespace gauntlet
