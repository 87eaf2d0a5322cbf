#include "dataplane/control/flow_query.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace gauntlet {

namespace {

bool matches(const FlowQuery& q, const FlowEntry& e) noexcept {
  if (!q.filter) return true;
  if (e.key.version != q.version) return false;
  return e.key.lo_addr == q.address || e.key.hi_addr == q.address ||
         ((e.nat() != NatKind::none || e.tunnelled()) && e.nat_addr == q.address);
}

// Keeps `top` the q.limit largest by bytes, largest first (insertion into a short array).
void offer(FlowQuery& q, const FlowSample& s) noexcept {
  if (q.limit == 0) return;
  if (q.count == q.limit && q.top[q.count - 1].bytes >= s.bytes) return;
  uint32_t i = q.count < q.limit ? q.count++ : q.count - 1;
  while (i > 0 && q.top[i - 1].bytes < s.bytes) {
    q.top[i] = q.top[i - 1];
    --i;
  }
  q.top[i] = s;
}

bool same_backend(const BackendFlows& a, const BackendFlows& b) noexcept {
  return a.service == b.service && a.port == b.port && a.address == b.address;
}

void count_backend(FlowQuery& q, const FlowEntry& e) noexcept {
  const BackendFlows key{static_cast<uint16_t>(e.backend >> 16), e.nat_port, e.nat_addr, 1};
  for (uint32_t i = 0; i < q.backend_count; ++i)
    if (same_backend(q.backends[i], key)) {
      ++q.backends[i].flows;
      return;
    }
  if (q.backend_count < kBackendSlots) q.backends[q.backend_count++] = key;
}

}  // namespace

void serve_flow_query(FlowQuery& q, FlowTable& flows, uint8_t worker) noexcept {
  const uint32_t asked = q.asked.load(std::memory_order_acquire);
  if (asked == q.answered.load(std::memory_order_relaxed)) return;
  if (q.scanning != asked) {  // a new question: start a pass
    q.scanning = asked;
    q.cursor = 0;
    q.count = 0;
    q.matched = 0;
    q.backend_count = 0;
  }
  const uint32_t end = std::min(flows.capacity(), q.cursor + kScanPerLoop);
  for (uint32_t i = q.cursor; i < end; ++i) {
    const FlowEntry& e = flows.at(i);
    if (!e.in_use() || !matches(q, e)) continue;
    ++q.matched;
    if (e.nat() == NatKind::destination || e.tunnelled()) count_backend(q, e);
    FlowSample s;
    s.key = e.key;
    s.original_is_lo = e.original_is_lo;
    s.state = e.state;
    s.nat = e.nat();
    s.nat_addr = e.nat_addr;
    s.nat_port = e.nat_port;
    s.backend = e.backend;
    s.bytes = e.bytes[0] + e.bytes[1];
    s.packets = uint64_t{e.packets[0]} + e.packets[1];
    s.worker = worker;
    offer(q, s);
  }
  q.cursor = end;
  if (end == flows.capacity()) q.answered.store(asked, std::memory_order_release);
}

FlowAnswer FlowQueries::ask(const IpAddress* address, uint8_t version, uint32_t limit,
                            unsigned timeout_ms) {
  std::lock_guard lock(ask_lock_);
  FlowAnswer answer;
  // A worker still busy with an earlier question it never finished (it was stopped) must
  // not be handed a new one while it may write: skip it and say the answer is incomplete.
  std::vector<FlowQuery*> asked;
  if (++next_ == 0) ++next_;
  for (FlowQuery& q : queries_) {
    if (q.answered.load(std::memory_order_acquire) != q.asked.load(std::memory_order_relaxed))
      continue;
    q.filter = address != nullptr;
    if (address) q.address = *address;
    q.version = version;
    q.limit = std::min(limit, kFlowTopMax);
    q.asked.store(next_, std::memory_order_release);
    asked.push_back(&q);
  }
  answer.complete = asked.size() == queries_.size();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (FlowQuery* q : asked) {
    while (q->answered.load(std::memory_order_acquire) != next_ &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    if (q->answered.load(std::memory_order_acquire) != next_) {
      answer.complete = false;
      continue;
    }
    answer.matched += q->matched;
    answer.top.insert(answer.top.end(), q->top, q->top + q->count);
    for (uint32_t i = 0; i < q->backend_count; ++i) {
      auto it =
          std::find_if(answer.backends.begin(), answer.backends.end(),
                       [&](const BackendFlows& b) { return same_backend(b, q->backends[i]); });
      if (it == answer.backends.end())
        answer.backends.push_back(q->backends[i]);
      else
        it->flows += q->backends[i].flows;
    }
  }
  std::stable_sort(answer.top.begin(), answer.top.end(),
                   [](const FlowSample& a, const FlowSample& b) { return a.bytes > b.bytes; });
  if (answer.top.size() > limit) answer.top.resize(limit);
  return answer;
}

uint64_t flows_to_backend(const std::vector<BackendFlows>& counts, size_t service,
                          const BackendConfig& backend) noexcept {
  for (const BackendFlows& f : counts)
    if (f.service == service && f.port == backend.port && f.address == backend.address)
      return f.flows;
  return 0;
}

}  // namespace gauntlet
