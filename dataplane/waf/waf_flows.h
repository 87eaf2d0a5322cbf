// A worker's inspected flows: for every conntrack flow of a service with WAF, what the WAF
// knows of it (a small reference per flow-table entry), and for flows that are sending
// payload, a slot from a fixed pool with everything inspection needs: the client -> server
// reassembler, the HTTP parser and its head storage, the request's evaluation state, its
// body buffer and the compressed state of its body stream, the TLS ClientHello accumulator (which
// shares the head storage: a flow is either TLS or HTTP, decided by its first byte).
//
// Memory (all allocated by the constructor on the control core; nothing after):
// - references: 12 bytes per flow-table entry (conntrack.capacity of them);
// - reorder windows: a quarter of waf.memory_bytes, in windows of waf.flow_buffer_bytes
//   (rounded down to a power of two), lent to a flow only while it has a hole;
// - slots: the rest of waf.memory_bytes, per_flow_bytes() each, at most waf.max_flows.
// Past any of these the flow is reset (fail closed), never let through uninspected. With the
// defaults (64 MiB, 64 KiB windows, 16 KiB bodies) that is 256 windows and about 1,100 slots.
//
// Per-service settings (mode, threshold, SNI lists) are copied here from the config the
// worker was built with, indexed like Tables::services.
//
// Threads: one per worker, touched only by it (the control core reads the statistics).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/control/config.h"
#include "dataplane/waf/http_request.h"
#include "dataplane/waf/tcp_stream.h"
#include "dataplane/waf/tls_client_hello.h"
#include "dataplane/waf/waf_engine.h"

namespace gauntlet {

inline constexpr uint32_t kNoWafSlot = 0xffffffffu;

// A service's WAF settings, with the waf: section's defaults filled in.
struct ServiceWafPolicy {
  bool enabled = false;
  bool detect_only = false;
  uint32_t threshold = 5;
  IpAddress vip{};
  uint8_t version = 0;
  std::vector<std::string> sni_allow, sni_deny;  // exact names or "*.suffix", lower case

  // Hot path: may a ClientHello naming `sni` (empty: none) go on? Deny entries first; a
  // non-empty allow list then allows only what it names (a hello without SNI included).
  bool sni_allowed(std::string_view sni) const noexcept;
};

// Control core: each service's WAF settings, indexed like cfg.services (empty when no service
// has WAF on). Each generation carries its own (Tables::waf_policy), so a reload changes them.
std::vector<ServiceWafPolicy> compile_waf_policies(const Config& cfg);

// Where a flow stands with the WAF.
enum class WafPhase : uint8_t {
  none,         // nothing seen yet (the flow predates WAF on its service: picked up mid-stream)
  handshake,    // the SYN was seen: `seq` is the first byte to expect
  inspecting,   // a slot holds the stream
  passthrough,  // nothing more to inspect (TLS after its ClientHello was allowed)
  finished,     // the client ended its stream (FIN in order, or RST) at `seq`
};

struct WafFlowRef {
  uint32_t slot = kNoWafSlot;
  uint32_t seq = 0;  // handshake: ISN + 1; finished: the end of the client's bytes
  WafPhase phase = WafPhase::none;
};

enum class WafStreamKind : uint8_t { unknown, http, tls };

struct WafFlowSlot {
  WafFlowSlot(const HttpLimits& limits, std::span<char> head, std::span<HttpHeader> fields,
              std::span<uint8_t> body, std::span<char> stream_state) noexcept;

  TcpStream stream;
  WafStreamKind kind = WafStreamKind::unknown;
  uint64_t request_index = ~uint64_t{0};  // the request `state` evaluates
  HttpRequestParser parser;
  TlsHelloAccumulator tls;
  WafRequestState state;
  std::span<char> head;
  std::span<HttpHeader> fields;
};

// A counter one worker writes and the control core reads (as pipeline/worker.h's Counter).
struct WafCounter {
  std::atomic<uint64_t> value{0};
  void add() noexcept {
    value.store(value.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  uint64_t get() const noexcept { return value.load(std::memory_order_relaxed); }
};

class WafFlows {
 public:
  // Control core. Allocates nothing when no service has WAF on. When waf.memory_bytes cannot
  // hold a single inspected flow there are no slots: every inspected flow is reset.
  explicit WafFlows(const Config& cfg);
  WafFlows(const WafFlows&) = delete;
  WafFlows& operator=(const WafFlows&) = delete;

  bool active() const noexcept { return active_; }
  // The settings of service `service` (an index into Tables::services); nullptr when it has
  // no WAF.
  const ServiceWafPolicy* policy(uint32_t service) const noexcept {
    return service < policies_.size() && policies_[service].enabled ? &policies_[service] : nullptr;
  }
  // Whether `dst` is the VIP of a service with WAF (IP fragments to it are dropped).
  bool inspects_vip(const IpAddress& dst, uint8_t version) const noexcept;

  // Hot path. `entry`: FlowTable::index_of(the flow).
  WafFlowRef& ref(uint32_t entry) noexcept { return refs_[entry]; }
  WafFlowSlot& slot(uint32_t index) noexcept { return slots_[index]; }
  // A slot for the flow, its stream starting at `next_seq`; nullptr when every slot is taken.
  WafFlowSlot* acquire(uint32_t entry, uint32_t next_seq) noexcept;
  // The flow's slot goes back to the pool; its reference (phase, seq) stays.
  void release(uint32_t entry) noexcept;
  // The same for flows that are not conntrack's (proxied flows keep the slot's index
  // themselves): a slot whose stream starts at `next_seq`, or kNoWafSlot; and back.
  uint32_t acquire_slot(uint32_t next_seq) noexcept;
  void release_slot(uint32_t index) noexcept;
  // The flow-table entry is gone (expired): its slot goes back, its reference is cleared.
  void forget(uint32_t entry) noexcept {
    if (!refs_.empty()) release(entry), refs_[entry] = WafFlowRef{};
  }
  ReorderPool& reorder() noexcept { return reorder_; }
  const ReorderPool& reorder() const noexcept { return reorder_; }
  const HttpLimits& limits() const noexcept { return limits_; }

  // Statistics (control core reads).
  uint32_t slot_count() const noexcept { return static_cast<uint32_t>(slots_.size()); }
  uint32_t slots_in_use() const noexcept { return in_use_.load(std::memory_order_relaxed); }
  uint32_t max_flows() const noexcept { return max_flows_; }
  size_t per_flow_bytes() const noexcept { return per_flow_bytes_; }
  size_t reference_bytes() const noexcept { return refs_.size() * sizeof(WafFlowRef); }
  size_t memory_bytes() const noexcept;
  uint64_t flows_inspected() const noexcept { return inspected_.get(); }

 private:
  std::vector<ServiceWafPolicy> policies_;
  bool active_ = false;  // a service has WAF on
  HttpLimits limits_;
  uint32_t max_flows_ = 0;
  size_t per_flow_bytes_ = 0;
  ReorderPool reorder_;
  std::vector<WafFlowRef> refs_;
  std::vector<char> heads_;
  std::vector<HttpHeader> fields_;
  std::vector<uint8_t> bodies_;
  std::vector<char> stream_states_;  // kWafStreamStateBytes per slot
  std::vector<WafFlowSlot> slots_;
  std::vector<uint32_t> free_;
  std::atomic<uint32_t> in_use_{0};  // written by the worker only
  WafCounter inspected_;
};

}  // namespace gauntlet
