#include "dataplane/waf/waf_flows.h"

#include <algorithm>
#include <bit>

namespace gauntlet {

namespace {

// Inspected flows read requests with these limits (HttpRequestParser's defaults, with a
// smaller header budget: the head storage is the biggest part of a slot). Longer lines or
// heads are terminal violations: the flow is reset.
constexpr HttpLimits kInspectedLimits{.max_request_line = 8192,
                                      .max_header_line = 8192,
                                      .max_header_bytes = 16384,
                                      .max_headers = 100,
                                      .max_chunk_extension = 4096,
                                      .max_chunk_size = uint64_t{1} << 30};
constexpr size_t kHeadBytes =
    size_t{kInspectedLimits.max_request_line} + kInspectedLimits.max_header_bytes;
static_assert(kHeadBytes >= kTlsHelloStorageBytes,
              "a TLS flow's ClientHello uses the head storage");

bool any_waf(const Config& cfg) {
  return std::any_of(cfg.services.begin(), cfg.services.end(),
                     [](const ServiceConfig& s) { return s.waf.enabled; });
}

uint32_t window_bytes(const Config& cfg) {
  return any_waf(cfg) && cfg.waf.flow_buffer_bytes ? std::bit_floor(cfg.waf.flow_buffer_bytes) : 0;
}

uint32_t window_count(const Config& cfg) {
  const uint32_t w = window_bytes(cfg);
  if (!w) return 0;
  return static_cast<uint32_t>(std::min<uint64_t>(cfg.waf.memory_bytes / 4 / w, cfg.waf.max_flows));
}

bool ends_with_label(std::string_view name, std::string_view suffix) {
  return name.size() > suffix.size() && name.ends_with(suffix) &&
         name[name.size() - suffix.size() - 1] == '.';
}

bool sni_listed(const std::vector<std::string>& list, std::string_view sni) {
  for (const std::string& p : list) {
    if (p.starts_with("*.") ? ends_with_label(sni, std::string_view(p).substr(2)) : sni == p)
      return true;
  }
  return false;
}

}  // namespace

bool ServiceWafPolicy::sni_allowed(std::string_view sni) const noexcept {
  if (!sni.empty() && sni_listed(sni_deny, sni)) return false;
  return sni_allow.empty() || (!sni.empty() && sni_listed(sni_allow, sni));
}

WafFlowSlot::WafFlowSlot(const HttpLimits& limits, std::span<char> head_,
                         std::span<HttpHeader> fields_, std::span<uint8_t> body,
                         std::span<char> stream_state) noexcept
    : parser(limits, head_, fields_),
      tls(std::span<uint8_t>(reinterpret_cast<uint8_t*>(head_.data()), head_.size())),
      head(head_),
      fields(fields_) {
  state.body_buffer = body;
  state.stream_state = stream_state;
}

std::vector<ServiceWafPolicy> compile_waf_policies(const Config& cfg) {
  std::vector<ServiceWafPolicy> policies;
  if (!any_waf(cfg)) return policies;
  for (const ServiceConfig& s : cfg.services) {
    ServiceWafPolicy p;
    p.enabled = s.waf.enabled;
    p.detect_only = s.waf.detect_only.value_or(cfg.waf.detect_only);
    p.threshold = s.waf.threshold.value_or(cfg.waf.threshold);
    p.vip = s.vip;
    p.version = s.version;
    p.sni_allow = s.waf.sni_allow;
    p.sni_deny = s.waf.sni_deny;
    policies.push_back(std::move(p));
  }
  return policies;
}

WafFlows::WafFlows(const Config& cfg)
    : limits_(kInspectedLimits), reorder_(window_bytes(cfg), window_count(cfg)) {
  if (!any_waf(cfg)) return;
  policies_ = compile_waf_policies(cfg);
  const size_t body = cfg.waf.body_inspect_bytes;
  per_flow_bytes_ = sizeof(WafFlowSlot) + kHeadBytes +
                    size_t{limits_.max_headers} * sizeof(HttpHeader) + body + kWafStreamStateBytes +
                    sizeof(uint32_t);
  const uint64_t reorder_bytes = uint64_t{reorder_.window_bytes()} * reorder_.count();
  const uint64_t left =
      cfg.waf.memory_bytes > reorder_bytes ? cfg.waf.memory_bytes - reorder_bytes : 0;
  const auto n =
      static_cast<uint32_t>(std::min<uint64_t>(cfg.waf.max_flows, left / per_flow_bytes_));
  // n may be 0 (a body buffer larger than the whole budget): every inspected flow is then
  // reset (waf:flows-exhausted), and the summary's waf line shows 0 slots.
  active_ = true;
  max_flows_ = cfg.waf.max_flows;
  refs_.assign(cfg.conntrack.capacity, WafFlowRef{});
  heads_.assign(kHeadBytes * n, 0);
  fields_.assign(size_t{limits_.max_headers} * n, HttpHeader{});
  bodies_.assign(body * n, 0);
  stream_states_.assign(kWafStreamStateBytes * n, 0);
  slots_.reserve(n);
  free_.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    slots_.emplace_back(
        limits_, std::span<char>(heads_.data() + kHeadBytes * i, kHeadBytes),
        std::span<HttpHeader>(fields_.data() + size_t{limits_.max_headers} * i,
                              limits_.max_headers),
        std::span<uint8_t>(bodies_.data() + body * i, body),
        std::span<char>(stream_states_.data() + kWafStreamStateBytes * i, kWafStreamStateBytes));
    free_[i] = n - 1 - i;
  }
}

bool WafFlows::inspects_vip(const IpAddress& dst, uint8_t version) const noexcept {
  for (const ServiceWafPolicy& p : policies_)
    if (p.enabled && p.version == version && p.vip == dst) return true;
  return false;
}

uint32_t WafFlows::acquire_slot(uint32_t next_seq) noexcept {
  const uint32_t free_count = static_cast<uint32_t>(slots_.size()) - slots_in_use();
  if (free_count == 0) return kNoWafSlot;
  const uint32_t index = free_[free_count - 1];
  in_use_.store(slots_in_use() + 1, std::memory_order_relaxed);
  WafFlowSlot& s = slots_[index];
  s.stream.start(reorder_, next_seq);
  s.kind = WafStreamKind::unknown;
  s.request_index = ~uint64_t{0};
  s.parser = HttpRequestParser(limits_, s.head, s.fields);
  s.tls.reset();
  s.state.reset();
  inspected_.add();
  return index;
}

void WafFlows::release_slot(uint32_t index) noexcept {
  if (index == kNoWafSlot) return;
  slots_[index].stream.clear(reorder_);
  const uint32_t free_count = static_cast<uint32_t>(slots_.size()) - slots_in_use();
  free_[free_count] = index;
  in_use_.store(slots_in_use() - 1, std::memory_order_relaxed);
}

WafFlowSlot* WafFlows::acquire(uint32_t entry, uint32_t next_seq) noexcept {
  const uint32_t index = acquire_slot(next_seq);
  if (index == kNoWafSlot) return nullptr;
  refs_[entry].slot = index;
  refs_[entry].phase = WafPhase::inspecting;
  return &slots_[index];
}

void WafFlows::release(uint32_t entry) noexcept {
  WafFlowRef& r = refs_[entry];
  release_slot(r.slot);
  r.slot = kNoWafSlot;
}

size_t WafFlows::memory_bytes() const noexcept {
  return reference_bytes() + reorder_.memory_bytes() + slots_.size() * per_flow_bytes_;
}

}  // namespace gauntlet
