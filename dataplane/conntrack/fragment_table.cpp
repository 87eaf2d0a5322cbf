#include "dataplane/conntrack/fragment_table.h"

#include <bit>
#include <cstring>

namespace gauntlet {

FragmentTable::FragmentTable(uint32_t slots)
    : slots_(std::bit_ceil(slots < kProbe ? kProbe : slots)) {}

uint32_t FragmentTable::home(const FragmentKey& k) const noexcept {
  uint64_t a[2], b[2];
  std::memcpy(a, k.src.bytes.data(), 16);
  std::memcpy(b, k.dst.bytes.data(), 16);
  uint64_t h = (a[0] ^ a[1] * 0x9e3779b97f4a7c15ull) * 0xc2b2ae3d27d4eb4full ^
               (b[0] ^ b[1] * 0x165667b19e3779f9ull) * 0x9e3779b97f4a7c15ull ^
               (uint64_t{k.id} << 16 | uint64_t{k.proto} << 8 | k.version) * 0xd6e8feb86659fd93ull;
  h ^= h >> 32;
  return static_cast<uint32_t>(h) & static_cast<uint32_t>(slots_.size() - 1);
}

bool FragmentTable::remember(const FragmentKey& k, uint32_t flow_index, uint32_t flow_key_hash,
                             uint8_t flow_dir, uint64_t now_ns, uint64_t timeout_ns) noexcept {
  const uint32_t mask = static_cast<uint32_t>(slots_.size() - 1);
  FragmentRecord* free_slot = nullptr;
  for (uint32_t i = 0, s = home(k); i < kProbe; ++i, s = (s + 1) & mask) {
    FragmentRecord& r = slots_[s];
    const bool live = r.expiry_ns > now_ns;
    if (live && r.key == k) {  // a first fragment sent again: the latest one wins
      free_slot = &r;
      break;
    }
    if (!live && !free_slot) free_slot = &r;
  }
  if (!free_slot) return false;
  *free_slot = {k, now_ns + timeout_ns, flow_index, flow_key_hash, flow_dir};
  return true;
}

const FragmentRecord* FragmentTable::find(const FragmentKey& k, uint64_t now_ns) const noexcept {
  const uint32_t mask = static_cast<uint32_t>(slots_.size() - 1);
  for (uint32_t i = 0, s = home(k); i < kProbe; ++i, s = (s + 1) & mask) {
    const FragmentRecord& r = slots_[s];
    if (r.expiry_ns > now_ns && r.key == k) return &r;
  }
  return nullptr;
}

uint32_t FragmentTable::live(uint64_t now_ns) const noexcept {
  uint32_t n = 0;
  for (const FragmentRecord& r : slots_) n += r.expiry_ns > now_ns;
  return n;
}

bool fragment_key_of(const uint8_t* frame, const ParsedPacket& p, FragmentKey& out) noexcept {
  if (!p.has(kParseFragment)) return false;
  const uint8_t* ip = frame + p.l3_offset;
  out.src = p.src;
  out.dst = p.dst;
  out.proto = p.l4_proto;
  out.version = p.ip_version;
  if (p.ip_version == 4) {
    out.id = load_be16(ip + 4);
    return true;
  }
  // IPv6: walk the (already validated) chain to the fragment header.
  uint8_t nh = ip[6];
  uint32_t off = p.l3_offset + 40u;
  for (int n = 0; n < 16 && off + 8 <= p.l3_end; ++n) {
    const uint8_t* h = frame + off;
    if (nh == 44) {
      out.id = load_be32(h + 4);
      return true;
    }
    if (nh == 0 || nh == 43 || nh == 60)
      off += (uint32_t{h[1]} + 1) * 8;
    else if (nh == 51)
      off += (uint32_t{h[1]} + 2) * 4;
    else
      return false;
    nh = h[0];
  }
  return false;
}

}  // namespace gauntlet
