#include "dataplane/neighbour/neighbour_table.h"

#include <array>
#include <bit>

namespace gauntlet {

NeighbourTable::NeighbourTable(uint32_t capacity)
    : slots_(std::bit_ceil(capacity * 2u)), capacity_(capacity) {
  mask_ = static_cast<uint32_t>(slots_.size() - 1);
}

uint32_t NeighbourTable::slot_of(uint8_t port, const IpAddress& a, uint8_t version) const noexcept {
  // The address as two words (an IPv4 address is its first four bytes, the rest zero), mixed
  // by one multiply each: forwarding looks a next hop up for every packet whose hop differs
  // from the one before, and a byte-at-a-time hash there cost more than the rest of it.
  const auto words = std::bit_cast<std::array<uint64_t, 2>>(a.bytes);
  uint64_t h = (words[0] ^ (uint64_t{port} << 40 | uint64_t{version} << 48)) * 0x9e3779b97f4a7c15u;
  h ^= words[1] * 0xc2b2ae3d27d4eb4fu;
  return static_cast<uint32_t>(h >> 32) & mask_;
}

NeighbourTable::Entry* NeighbourTable::find_or_empty(uint8_t port, const IpAddress& a,
                                                     uint8_t version) noexcept {
  for (uint32_t i = slot_of(port, a, version), n = 0; n <= mask_; i = (i + 1) & mask_, ++n) {
    Entry& e = slots_[i];
    if (e.version == 0) return &e;
    if (e.version == version && e.port == port && e.address == a) return &e;
  }
  return nullptr;  // unreachable while size_ <= capacity_ < slots
}

bool NeighbourTable::add_static(uint8_t port, const IpAddress& a, uint8_t version,
                                const MacAddress& mac) {
  Entry* e = find_or_empty(port, a, version);
  if (!e || (e->version == 0 && size_ == capacity_)) return false;
  if (e->version == 0) ++size_;
  *e = {a, mac, port, version, true};
  return true;
}

NeighbourTable::Learn NeighbourTable::learn(uint8_t port, const IpAddress& a, uint8_t version,
                                            const MacAddress& mac) noexcept {
  Entry* e = find_or_empty(port, a, version);
  if (!e) return Learn::full;
  if (e->version != 0) {
    if (e->is_static) return Learn::static_kept;
    if (e->mac == mac) return Learn::unchanged;
    e->mac = mac;
    return Learn::updated;
  }
  if (size_ == capacity_) return Learn::full;
  *e = {a, mac, port, version, false};
  ++size_;
  return Learn::added;
}

const MacAddress* NeighbourTable::lookup(uint8_t port, const IpAddress& a,
                                         uint8_t version) const noexcept {
  for (uint32_t i = slot_of(port, a, version), n = 0; n <= mask_; i = (i + 1) & mask_, ++n) {
    const Entry& e = slots_[i];
    if (e.version == 0) return nullptr;
    if (e.version == version && e.port == port && e.address == a) return &e.mac;
  }
  return nullptr;
}

}  // namespace gauntlet
