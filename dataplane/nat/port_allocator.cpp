#include "dataplane/nat/port_allocator.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>

namespace gauntlet {

namespace {

uint32_t endpoint_hash(const IpAddress& a, uint16_t port, uint8_t version) noexcept {
  uint64_t x[2];
  std::memcpy(x, a.bytes.data(), sizeof x);
  uint64_t h = x[0] * 0x9e3779b97f4a7c15ull ^ x[1] * 0xc2b2ae3d27d4eb4full ^
               (uint64_t{port} << 8 | version) * 0x165667b19e3779f9ull;
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ull;
  h ^= h >> 32;
  return static_cast<uint32_t>(h);
}

// Linear probing deletion without tombstones (Knuth 6.4, algorithm R): pull later members of
// the cluster back over the hole when their home slot allows it.
template <class T, class IsEmpty, class HomeOf>
void erase_linear(std::vector<T>& t, uint32_t hole, IsEmpty is_empty, HomeOf home_of) {
  const uint32_t mask = static_cast<uint32_t>(t.size() - 1);
  for (uint32_t j = (hole + 1) & mask; !is_empty(t[j]); j = (j + 1) & mask) {
    const uint32_t home = home_of(t[j]);
    // Movable when its home is not cyclically in (hole, j].
    const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (stays) continue;
    t[hole] = t[j];
    hole = j;
  }
  t[hole] = T{};
}

NatPortRange checked(NatPortRange r) {
  if (r.lo == 0 || r.lo > r.hi)
    throw std::invalid_argument("SNAT port range must be non-empty and exclude port 0");
  return r;
}

}  // namespace

NatPortRange worker_port_slice(NatPortRange all, uint32_t worker, uint32_t workers) noexcept {
  const uint32_t base = all.size() / workers, extra = all.size() % workers;
  const uint32_t first = all.lo + worker * base + std::min(worker, extra);
  const uint32_t size = base + (worker < extra ? 1 : 0);
  return {static_cast<uint16_t>(first), static_cast<uint16_t>(first + size - 1)};
}

uint32_t port_owner(NatPortRange all, uint32_t workers, uint16_t port) noexcept {
  if (!all.contains(port)) return workers;
  const uint32_t base = all.size() / workers, extra = all.size() % workers;
  const uint32_t offset = port - all.lo, long_part = extra * (base + 1);
  return offset < long_part ? offset / (base + 1) : extra + (offset - long_part) / base;
}

PortSpace::PortSpace(NatPortRange range, uint32_t quota)
    : range_(checked(range)),
      quota_(quota),
      ports_(range.size()),
      free_bits_((range.size() + 63) / 64, ~uint64_t{0}),
      by_internal_(std::bit_ceil(2 * range.size())),
      hosts_(std::bit_ceil(2 * range.size())) {
  if (range.size() % 64 != 0) free_bits_.back() = (uint64_t{1} << (range.size() % 64)) - 1;
}

uint32_t PortSpace::find_mapping_slot(const IpAddress& a, uint16_t port,
                                      uint8_t version) const noexcept {
  const uint32_t mask = static_cast<uint32_t>(by_internal_.size() - 1);
  for (uint32_t i = endpoint_hash(a, port, version) & mask;; i = (i + 1) & mask) {
    const uint32_t v = by_internal_[i];
    if (v == 0) return kNone;
    const PortMapping& m = ports_[v - 1];
    if (m.internal_port == port && m.version == version && m.internal_addr == a) return i;
  }
}

uint32_t PortSpace::find_host_slot(const IpAddress& a, uint8_t version) const noexcept {
  const uint32_t mask = static_cast<uint32_t>(hosts_.size() - 1);
  for (uint32_t i = endpoint_hash(a, 0, version) & mask;; i = (i + 1) & mask) {
    if (hosts_[i].version == 0) return i;  // where it would go
    if (hosts_[i].version == version && hosts_[i].addr == a) return i;
  }
}

uint32_t PortSpace::host_ports(const IpAddress& addr, uint8_t version) const noexcept {
  return hosts_[find_host_slot(addr, version)].ports;
}

const PortMapping* PortSpace::mapping(uint16_t external_port) const noexcept {
  if (!range_.contains(external_port)) return nullptr;
  const PortMapping& m = ports_[external_port - range_.lo];
  return m.flows != 0 ? &m : nullptr;
}

uint16_t PortSpace::external_port_of(const FlowEndpoint& internal, uint8_t version) const noexcept {
  const uint32_t slot = find_mapping_slot(internal.addr, internal.port, version);
  return slot == kNone ? 0 : static_cast<uint16_t>(range_.lo + by_internal_[slot] - 1);
}

// First free offset in [from, to] (inclusive) whose port has `parity` (0, 1; -1: any).
uint32_t PortSpace::scan(uint32_t from, uint32_t to, int parity) const noexcept {
  if (from > to) return kNone;
  // Offsets have the port's parity when lo is even; bit i of a word is offset 64w + i.
  uint64_t parity_mask = ~uint64_t{0};
  if (parity >= 0)
    parity_mask = ((parity ^ (range_.lo & 1)) == 0) ? 0x5555555555555555ull : 0xaaaaaaaaaaaaaaaaull;
  for (uint32_t w = from / 64; w <= to / 64; ++w) {
    uint64_t bits = free_bits_[w] & parity_mask;
    if (w == from / 64) bits &= ~uint64_t{0} << (from % 64);
    if (w == to / 64 && to % 64 != 63) bits &= (uint64_t{1} << (to % 64 + 1)) - 1;
    if (bits != 0) return w * 64 + static_cast<uint32_t>(std::countr_zero(bits));
  }
  return kNone;
}

// Next-fit inside [first, last]: from the cursor to the end, then from the start.
uint32_t PortSpace::find_free(uint32_t first, uint32_t last, int parity) const noexcept {
  if (first > last) return kNone;
  const uint32_t start = std::clamp(cursor_, first, last);
  const uint32_t found = scan(start, last, parity);
  return found != kNone ? found : (start > first ? scan(first, start - 1, parity) : kNone);
}

uint32_t PortSpace::choose(uint16_t internal_port, PortChoice& how) const noexcept {
  if (range_.contains(internal_port)) {
    const uint32_t off = internal_port - range_.lo;
    if (free_bits_[off / 64] >> (off % 64) & 1) {
      how = PortChoice::preserved;
      return off;
    }
  }
  // The part of the slice in the internal port's class, as offsets (may be empty).
  const bool low_class = internal_port < 1024;
  const uint32_t class_lo = low_class ? range_.lo : std::max<uint32_t>(range_.lo, 1024);
  const uint32_t class_hi = low_class ? std::min<uint32_t>(range_.hi, 1023) : range_.hi;
  const uint32_t first = class_lo - range_.lo;
  const uint32_t last = class_hi >= class_lo ? class_hi - range_.lo : 0;
  const bool class_empty = class_hi < class_lo;
  if (!class_empty) {
    uint32_t off = find_free(first, last, internal_port & 1);
    if (off != kNone) {
      how = PortChoice::same_class_parity;
      return off;
    }
    off = find_free(first, last, -1);
    if (off != kNone) {
      how = PortChoice::same_class;
      return off;
    }
  }
  how = PortChoice::other_class;
  return find_free(0, range_.size() - 1, -1);
}

PortLease PortSpace::acquire(const FlowEndpoint& internal, uint8_t version) noexcept {
  if (const uint32_t slot = find_mapping_slot(internal.addr, internal.port, version);
      slot != kNone) {
    PortMapping& m = ports_[by_internal_[slot] - 1];
    ++m.flows;
    return {PortResult::ok, static_cast<uint16_t>(range_.lo + by_internal_[slot] - 1),
            PortChoice::existing};
  }
  HostUse& host = hosts_[find_host_slot(internal.addr, version)];
  if (quota_ != 0 && host.ports >= quota_) return {PortResult::quota_exceeded};
  PortChoice how = PortChoice::none;
  const uint32_t off = choose(internal.port, how);
  if (off == kNone) return {PortResult::port_exhausted};

  ports_[off] = {internal.addr, internal.port, version, 1};
  free_bits_[off / 64] &= ~(uint64_t{1} << (off % 64));
  const uint32_t mask = static_cast<uint32_t>(by_internal_.size() - 1);
  uint32_t i = endpoint_hash(internal.addr, internal.port, version) & mask;
  while (by_internal_[i] != 0) i = (i + 1) & mask;
  by_internal_[i] = off + 1;
  if (host.version == 0) {
    host.addr = internal.addr;
    host.version = version;
  }
  ++host.ports;
  ++in_use_;
  cursor_ = off + 1;
  return {PortResult::ok, static_cast<uint16_t>(range_.lo + off), how};
}

void PortSpace::erase_mapping_slot(uint32_t slot) noexcept {
  const uint32_t mask = static_cast<uint32_t>(by_internal_.size() - 1);
  erase_linear(
      by_internal_, slot, [](uint32_t v) { return v == 0; },
      [&](uint32_t v) {
        const PortMapping& m = ports_[v - 1];
        return endpoint_hash(m.internal_addr, m.internal_port, m.version) & mask;
      });
}

void PortSpace::erase_host_slot(uint32_t slot) noexcept {
  const uint32_t mask = static_cast<uint32_t>(hosts_.size() - 1);
  erase_linear(
      hosts_, slot, [](const HostUse& h) { return h.version == 0; },
      [&](const HostUse& h) { return endpoint_hash(h.addr, 0, h.version) & mask; });
}

bool PortSpace::release(uint16_t external_port) noexcept {
  if (!range_.contains(external_port)) return false;
  const uint32_t off = external_port - range_.lo;
  PortMapping& m = ports_[off];
  if (m.flows == 0) return false;
  if (--m.flows != 0) return true;
  // Last flow gone: the mapping, the host's share and the port go back.
  erase_mapping_slot(find_mapping_slot(m.internal_addr, m.internal_port, m.version));
  const uint32_t host_slot = find_host_slot(m.internal_addr, m.version);
  if (--hosts_[host_slot].ports == 0) erase_host_slot(host_slot);
  m = PortMapping{};
  free_bits_[off / 64] |= uint64_t{1} << (off % 64);
  --in_use_;
  return true;
}

PortAllocator::PortAllocator(const PortAllocatorConfig& config)
    : range_(checked(config.range)),
      spaces_{PortSpace(config.range, config.max_ports_per_host),
              PortSpace(config.range, config.max_ports_per_host),
              PortSpace(config.range, config.max_ports_per_host)} {}

}  // namespace gauntlet
