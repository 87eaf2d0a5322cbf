#include "dataplane/proxy/proxy_flows.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <xxhash.h>

#include "dataplane/control/config.h"

namespace gauntlet {

namespace {

uint32_t flow_count(const Config& cfg) {
  for (const ServiceConfig& s : cfg.services)
    if (s.proxy.mode == ServiceProxyConfig::Mode::l7_route) return cfg.proxy.flows;
  return 0;
}

uint32_t most_wait_bytes(const Config& cfg) {
  uint32_t most = 0;
  for (const ServiceConfig& s : cfg.services)
    if (s.proxy.mode == ServiceProxyConfig::Mode::l7_route)
      most = std::max(most, s.proxy.wait_bytes);
  return most;
}

bool same(const ProxyKey& a, const ProxyKey& b) noexcept {
  return a.src_port == b.src_port && a.dst_port == b.dst_port && a.src == b.src && a.dst == b.dst;
}

}  // namespace

ProxyKey proxy_key(const ProxyFlow& f, uint8_t leg) noexcept {
  if (leg == 0) return {f.client, f.vip, f.client_port, f.vip_port};
  return {f.backend, f.client, f.backend_port, f.client_port};
}

ProxyFlows::ProxyFlows(const Config& cfg) : ProxyFlows(flow_count(cfg), most_wait_bytes(cfg)) {}

ProxyFlows::ProxyFlows(uint32_t flows, uint32_t buffer_bytes)
    : flows_(flows),
      buffers_(new uint8_t[size_t{flows} * buffer_bytes]()),
      hello_(flows ? new uint8_t[kHelloBytes] : nullptr),
      bytes_(buffer_bytes),
      heads_{std::vector<uint32_t>(std::bit_ceil(std::max<uint32_t>(2 * flows, 2)), kNoProxyFlow),
             std::vector<uint32_t>(std::bit_ceil(std::max<uint32_t>(2 * flows, 2)), kNoProxyFlow)},
      wheel_({10'000'000, 4096}, TimerWheel::nodes_of(flows_.data(), flows, &ProxyFlow::timer)) {
  for (uint32_t i = flows; i-- > 0;) {
    flows_[i].next[0] = free_;
    free_ = i;
  }
}

uint32_t ProxyFlows::bucket(const ProxyKey& k) const noexcept {
  uint8_t raw[36];
  std::memcpy(raw, k.src.bytes.data(), 16);
  std::memcpy(raw + 16, k.dst.bytes.data(), 16);
  std::memcpy(raw + 32, &k.src_port, 2);
  std::memcpy(raw + 34, &k.dst_port, 2);
  return static_cast<uint32_t>(XXH64(raw, sizeof raw, 0x70726f7879)) &
         static_cast<uint32_t>(heads_[0].size() - 1);
}

uint32_t ProxyFlows::find(const ProxyKey& k, uint8_t& leg) const noexcept {
  if (flows_.empty()) return kNoProxyFlow;
  const uint32_t b = bucket(k);
  for (uint8_t l = 0; l < 2; ++l)
    for (uint32_t i = heads_[l][b]; i != kNoProxyFlow; i = flows_[i].next[l])
      if (same(proxy_key(flows_[i], l), k)) {
        leg = l;
        return i;
      }
  return kNoProxyFlow;
}

uint32_t ProxyFlows::open(const ProxyKey& k, uint64_t expiry_ns) noexcept {
  if (free_ == kNoProxyFlow) return kNoProxyFlow;
  const uint32_t i = free_;
  ProxyFlow& f = flows_[i];
  free_ = f.next[0];
  const TimerNode timer = f.timer;
  f = ProxyFlow{};
  f.timer = timer;
  f.state = ProxyState::waiting;
  f.client = k.src, f.vip = k.dst, f.client_port = k.src_port, f.vip_port = k.dst_port;
  const uint32_t b = bucket(k);
  f.next[0] = heads_[0][b];
  heads_[0][b] = i;
  ++in_use_;
  wheel_.node(i).expiry_ns = expiry_ns;
  wheel_.schedule(i);
  return i;
}

void ProxyFlows::bind(uint32_t i) noexcept {
  flows_[i].bound = true;
  const uint32_t b = bucket(proxy_key(flows_[i], 1));
  flows_[i].next[1] = heads_[1][b];
  heads_[1][b] = i;
}

void ProxyFlows::unlink(uint32_t i, uint8_t leg) noexcept {
  uint32_t* at = &heads_[leg][bucket(proxy_key(flows_[i], leg))];
  while (*at != kNoProxyFlow && *at != i) at = &flows_[*at].next[leg];
  if (*at == i) *at = flows_[i].next[leg];
}

void ProxyFlows::linger(uint32_t i, uint64_t expiry_ns) noexcept {
  ProxyFlow& f = flows_[i];
  if (f.state == ProxyState::free || f.state == ProxyState::closing) return;
  f.state = ProxyState::closing;
  f.linger_prev = linger_tail_;
  f.linger_next = kNoProxyFlow;
  (linger_tail_ == kNoProxyFlow ? linger_head_ : flows_[linger_tail_].linger_next) = i;
  linger_tail_ = i;
  ++lingering_;
  if (expiry_ns < wheel_.node(i).expiry_ns || !wheel_.scheduled(i)) {
    wheel_.set_expiry(i, expiry_ns);
    if (!wheel_.scheduled(i)) wheel_.schedule(i);
  }
}

void ProxyFlows::close(uint32_t i) noexcept {
  ProxyFlow& f = flows_[i];
  if (f.state == ProxyState::free) return;
  if (f.state == ProxyState::closing) {
    (f.linger_prev == kNoProxyFlow ? linger_head_ : flows_[f.linger_prev].linger_next) =
        f.linger_next;
    (f.linger_next == kNoProxyFlow ? linger_tail_ : flows_[f.linger_next].linger_prev) =
        f.linger_prev;
    --lingering_;
  }
  unlink(i, 0);
  if (f.bound) unlink(i, 1);
  wheel_.cancel(i);
  f.state = ProxyState::free;
  f.next[0] = free_;
  free_ = i;
  --in_use_;
}

bool ProxyFlows::store(uint32_t i, uint32_t offset, const uint8_t* data, uint32_t len) noexcept {
  ProxyFlow& f = flows_[i];
  if (len == 0) return true;
  if (offset > f.wait_bytes || len > f.wait_bytes - offset) return false;
  std::memcpy(buffers_.get() + size_t{i} * bytes_ + offset, data, len);
  uint32_t begin = offset, end = offset + len;
  // Merge with every piece it touches; keep the others.
  uint8_t kept = 0;
  for (uint8_t r = 0; r < f.range_count; ++r) {
    if (f.range_end[r] < begin || f.range_begin[r] > end) {
      f.range_begin[kept] = f.range_begin[r], f.range_end[kept] = f.range_end[r], ++kept;
      continue;
    }
    begin = std::min(begin, f.range_begin[r]);
    end = std::max(end, f.range_end[r]);
  }
  if (kept == kProxyRanges) return false;
  f.range_begin[kept] = begin, f.range_end[kept] = end;
  f.range_count = static_cast<uint8_t>(kept + 1);
  return true;
}

}  // namespace gauntlet
