// IP -> MAC per port, owned by one worker. Fixed capacity chosen at start (no allocation
// after construction); open addressing with linear probing. Static entries (from config)
// are never overwritten by what is learned on the wire.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/packet/headers.h"

namespace gauntlet {

class NeighbourTable {
 public:
  enum class Learn : uint8_t { added, updated, unchanged, static_kept, full };

  explicit NeighbourTable(uint32_t capacity);

  // Control core or owning worker before start: entries from config.
  bool add_static(uint8_t port, const IpAddress& a, uint8_t version, const MacAddress& mac);
  // Hot path: learned from ARP/ND on `port`.
  Learn learn(uint8_t port, const IpAddress& a, uint8_t version, const MacAddress& mac) noexcept;
  const MacAddress* lookup(uint8_t port, const IpAddress& a, uint8_t version) const noexcept;
  uint32_t size() const noexcept { return size_; }
  uint32_t capacity() const noexcept { return capacity_; }

 private:
  struct Entry {
    IpAddress address{};
    MacAddress mac{};
    uint8_t port = 0;
    uint8_t version = 0;  // 0: empty slot
    bool is_static = false;
  };
  uint32_t slot_of(uint8_t port, const IpAddress& a, uint8_t version) const noexcept;
  Entry* find_or_empty(uint8_t port, const IpAddress& a, uint8_t version) noexcept;

  std::vector<Entry> slots_;  // power-of-two size, at least twice the capacity
  uint32_t mask_ = 0;
  uint32_t capacity_ = 0;
  uint32_t size_ = 0;
};

}  // namespace gauntlet
