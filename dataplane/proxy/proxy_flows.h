// A worker's proxied flows: connections to l7-route VIPs whose client proved its SYN cookie.
// A fixed pool sized at start (proxy.flows, each with l7_wait.bytes of buffer): no allocation
// after construction; a full pool refuses new flows (proxy:flow-table-full). Each flow is
// found by the 4-tuple of either leg as it arrives (client -> VIP on the outside port, backend
// -> client on the inside port). Timers run on the dataplane clock (TimerWheel).
// A flow that has ended (both FINs, or a RST) lingers (closing) for proxy.linger_ms so that
// segments still in flight (the last ACK, a late TLS close_notify, the RST answering it) are
// translated and forwarded; the lingering flows form a list, oldest first, so that a full
// pool takes the oldest one back (proxy:linger-reclaimed) instead of refusing a new flow.
// Threads: one per worker, used only by it; the constructor runs on the control core.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "dataplane/conntrack/timer_wheel.h"
#include "dataplane/packet/headers.h"
#include "dataplane/proxy/seq_translate.h"
#include "dataplane/proxy/syn_cookie.h"

namespace gauntlet {

struct Config;

inline constexpr uint32_t kNoProxyFlow = 0xffffffffu;
inline constexpr uint8_t kProxyWindowScale = 7;  // what gauntlet's SYN-ACK offers
inline constexpr uint64_t kProxyIdleNs = 300ull * 1000000000ull;
inline constexpr size_t kProxyRanges = 4;  // out-of-order pieces held while waiting

enum class ProxyState : uint8_t { free, waiting, connecting, spliced, closing };

// Where a flow stands with the WAF (proxy_waf.cpp): not yet asked (no route decided), no WAF
// on its VIP or routed service, its client's bytes read by a WAF slot, nothing more to read
// (TLS after an allowed ClientHello), or reset by the WAF (later client segments stop).
enum class ProxyWaf : uint8_t { unset, off, inspecting, passthrough, blocked };

struct ProxyFlow {
  ProxyState state = ProxyState::free;
  bool client_fin = false, backend_fin = false;
  bool bound = false;  // the backend leg's key is in the table
  uint8_t range_count = 0;
  uint8_t version = 4;  // of every address below (the VIP's family; backends match it)
  ProxyWaf waf = ProxyWaf::unset;
  uint16_t waf_service = 0;         // whose WAF settings apply (the routed service, or the VIP)
  uint32_t waf_slot = 0xffffffffu;  // the WafFlows slot while inspecting (else kNoWafSlot)
  IpAddress client{}, vip{}, backend{};
  uint16_t client_port = 0, vip_port = 0, backend_port = 0;
  MacAddress client_mac{};  // the client side's next hop (for segments gauntlet originates)
  uint16_t vip_service = 0, service = 0, route = 0;
  uint32_t backend_index = 0;
  uint32_t client_isn = 0, cookie_isn = 0, backend_isn = 0;
  uint32_t client_tsval = 0, our_tsval = 0;  // latest TSval from the client; the SYN-ACK's
  uint16_t client_window = 0;
  SynOptions options;  // what the cookie kept
  SpliceOffsets offsets;
  uint32_t wait_bytes = 0;  // this VIP's l7_wait.bytes (<= the pool's per-flow buffer)
  // Client bytes held while waiting, by offset from client_isn + 1: [begin, end) pieces.
  uint32_t range_begin[kProxyRanges] = {}, range_end[kProxyRanges] = {};
  uint32_t next[2] = {kNoProxyFlow, kNoProxyFlow};  // hash chains by leg (next[0]: free list too)
  uint32_t linger_prev = kNoProxyFlow, linger_next = kNoProxyFlow;  // the lingering list
  TimerNode timer;
  // Bytes from the start that are contiguous.
  uint32_t contiguous() const noexcept {
    for (uint8_t i = 0; i < range_count; ++i)
      if (range_begin[i] == 0) return range_end[i];
    return 0;
  }
};

struct ProxyKey {
  IpAddress src{}, dst{};
  uint16_t src_port = 0, dst_port = 0;
};

class ProxyFlows {
 public:
  // Control core: `flows` entries of `buffer_bytes` each (0 flows when no service proxies).
  ProxyFlows(uint32_t flows, uint32_t buffer_bytes);
  explicit ProxyFlows(const Config& cfg);

  // Worker: the flow a packet with this tuple belongs to, or kNoProxyFlow; `leg` says which.
  uint32_t find(const ProxyKey& k, uint8_t& leg) const noexcept;
  // A fresh flow for the client leg `k` (client -> VIP), or kNoProxyFlow when full.
  uint32_t open(const ProxyKey& k, uint64_t expiry_ns) noexcept;
  // Once the backend is chosen: the backend leg's key becomes findable.
  void bind(uint32_t i) noexcept;
  void close(uint32_t i) noexcept;  // back to the pool, both keys forgotten
  // The flow has ended: it lingers (closing) until `expiry_ns` (never later than the timer it
  // has) and joins the end of the lingering list. Nothing happens when it already lingers.
  void linger(uint32_t i, uint64_t expiry_ns) noexcept;
  // The flow that has lingered longest, or kNoProxyFlow.
  uint32_t oldest_lingering() const noexcept { return linger_head_; }
  uint32_t lingering() const noexcept { return lingering_; }
  void set_expiry(uint32_t i, uint64_t ns) noexcept { wheel_.set_expiry(i, ns); }

  // Stores `len` client bytes at `offset` (from client_isn + 1). False when they do not fit
  // within the flow's wait_bytes or need more pieces than kProxyRanges.
  bool store(uint32_t i, uint32_t offset, const uint8_t* data, uint32_t len) noexcept;
  const uint8_t* buffer(uint32_t i) const noexcept { return buffers_.get() + size_t{i} * bytes_; }

  // Frees (through `f`) flows whose timer is due at `now_ns`, visiting at most `max_work` wheel
  // slots and nodes; the first call also brings the wheel from time 0 to the clock.
  template <class F>
  uint32_t expire(uint64_t now_ns, uint32_t max_work, F&& f) noexcept {
    const uint32_t budget = started_ ? max_work : wheel_.slots() + max_work;
    started_ = true;
    return wheel_.advance(now_ns, budget, f);
  }

  ProxyFlow& operator[](uint32_t i) noexcept { return flows_[i]; }
  const ProxyFlow& operator[](uint32_t i) const noexcept { return flows_[i]; }
  uint32_t capacity() const noexcept { return static_cast<uint32_t>(flows_.size()); }
  uint32_t in_use() const noexcept { return in_use_; }
  uint32_t buffer_bytes() const noexcept { return bytes_; }
  // Scratch where a ClientHello is reassembled while its first bytes are read.
  std::span<uint8_t> hello_storage() noexcept { return {hello_.get(), hello_ ? kHelloBytes : 0}; }

 private:
  uint32_t bucket(const ProxyKey& k) const noexcept;
  void unlink(uint32_t i, uint8_t leg) noexcept;

  std::vector<ProxyFlow> flows_;
  static constexpr size_t kHelloBytes = 16384;
  std::unique_ptr<uint8_t[]> buffers_;
  std::unique_ptr<uint8_t[]> hello_;
  uint32_t bytes_ = 0;
  std::vector<uint32_t> heads_[2];  // per leg; power of two, 2x the flows
  uint32_t free_ = kNoProxyFlow;    // free list through next[0]
  uint32_t in_use_ = 0;
  uint32_t linger_head_ = kNoProxyFlow, linger_tail_ = kNoProxyFlow;
  uint32_t lingering_ = 0;
  bool started_ = false;
  TimerWheel wheel_;
};

// The key of flow `f`'s leg (0: client -> VIP, 1: backend -> client).
ProxyKey proxy_key(const ProxyFlow& f, uint8_t leg) noexcept;

}  // namespace gauntlet
