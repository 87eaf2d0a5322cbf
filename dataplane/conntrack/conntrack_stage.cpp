// Conntrack, fast path: every IP packet is looked up in the worker's flow table (keys and
// bucket prefetches first, then the lookups, each entry prefetched a few packets ahead). A
// packet of a known flow advances the flow's state and skips the firewall when the flow was
// judged under the current generation; a packet of no flow is marked new and judged by the
// firewall before conntrack_commit creates its flow. ICMP errors belong to the flow of the
// packet they quote.
#include <rte_mbuf.h>

#include "dataplane/conntrack/flow_create.h"
#include "dataplane/conntrack/flow_timeouts.h"
#include "dataplane/conntrack/hairpin_lookup.h"
#include "dataplane/nat/flow_mapping.h"
#include "dataplane/nat/icmp_inner.h"
#include "dataplane/pipeline/stages.h"

namespace gauntlet {

namespace {

constexpr uint32_t kExpiryWorkPerBurst = 256;
constexpr uint32_t kExpiryRounds = 32;  // 8192 slots/nodes: two turns of the wheel
// How far the entry prefetches run ahead of the lookups (nat_bench at 1M flows: windows of
// 4 to 16 all beat the whole burst at once, 8 among the best; see README, nat_bench).
constexpr uint16_t kEntriesAhead = 8;

bool is_echo_request(const ParsedPacket& p) noexcept {
  return p.icmp_type == (p.ip_version == 4 ? 8 : 128);
}

// TCP/UDP to the public address: the mapping its destination port names, if any.
const PortMapping* public_mapping(const Worker& w, const ParsedPacket& p) noexcept {
  if (p.l4_proto != 6 && p.l4_proto != 17) return nullptr;
  return w.nat.mapping(*nat_protocol_of(p.l4_proto), p.dst_port);
}

// A TCP segment of no flow to a dsr-ipip service: its connection may have started on another
// gauntlet before an ECMP change moved it here. Maglev picks the same backend on every
// instance, so it is taken up mid-stream (the backend holds the connection, not gauntlet).
bool dsr_pickup(const Tables& t, const ParsedPacket& p) noexcept {
  const CompiledService* s = t.service_at(p.dst, p.ip_version);
  return s && s->forwarding == Forwarding::dsr_ipip && s->proto == 6 && s->serves(p.dst_port) &&
         tcp_one_sided_state(TcpState::none, p.tcp_flags) != TcpState::invalid;
}

// A packet with no flow: may it start one?
void miss(Worker& w, PacketContext& c, const uint8_t* frame, uint32_t frame_length) noexcept {
  const ParsedPacket& p = c.parsed;
  const Tables& t = *w.tables;
  // TCP flows start with a SYN: no mid-stream pickup (Linux's nf_conntrack_tcp_loose=0).
  const bool starts_flow =
      p.l4_proto == 6 ? tcp_flag_class(p.tcp_flags) == TcpFlagClass::syn || dsr_pickup(t, p)
      : is_icmp_proto(p.l4_proto) ? is_echo_request(p)
                                  : true;
  if (t.snat.enabled && p.ip_version == 4 && p.dst == t.snat.address &&
      !(is_icmp_proto(p.l4_proto) && is_echo_request(p))) {
    // Unsolicited, to the public address. From outside it may start a flow only on a live
    // mapping, and only under endpoint-independent filtering (address-and-port-dependent:
    // only the endpoints the pod sent to, whose flows were found above). From inside it is
    // hairpinned to the pod that holds the mapping (RFC 4787 REQ-9), if one does.
    const bool allowed =
        starts_flow && public_mapping(w, p) != nullptr &&
        (c.direction == Direction::egress || t.snat.endpoint_independent_filtering);
    if (!allowed) {
      c.decide(Layer::nat, Outcome::stop, Reason::nat_no_mapping);
      return;
    }
    // The public address is gauntlet's own: the local stage would take a packet of no flow
    // as addressed to gauntlet itself. Its flow is opened now, still to be judged by the
    // firewall; conntrack_commit keeps it only if nothing stops the packet.
    create_flow(w, c, frame_length, true);
    if (c.final) return;
    if (p.has(kParseFragment)) remember_fragment(w, c, frame);
    c.tracking = Tracking::new_flow;
    c.flow_judged = false;
    c.decide(Layer::conntrack, Outcome::pass, Reason::conntrack_new);
    return;
  }
  if (!starts_flow) {
    if (t.conntrack.drop_invalid) {
      c.decide(Layer::conntrack, Outcome::stop, Reason::conntrack_invalid);
    } else {
      c.tracking = Tracking::untracked;
      c.decide(Layer::conntrack, Outcome::pass, Reason::conntrack_untracked);
    }
    return;
  }
  c.tracking = Tracking::new_flow;
  c.decide(Layer::conntrack, Outcome::pass, Reason::conntrack_new);
}

void hit(Worker& w, PacketContext& c, FlowMatch m, uint32_t frame_length) noexcept {
  FlowEntry& e = *m.entry;
  const ParsedPacket& p = c.parsed;
  const Tables& t = *w.tables;
  // A NATed flow is sent on its original tuple and answered on the translated one; a reply
  // sent straight to a pod's own address (SNAT), or a client talking straight to a backend
  // (DNAT), skipped the NAT: not ours to pass.
  if (e.nat() != NatKind::none && m.via_translation != (m.direction == FlowDirection::reply)) {
    c.decide(Layer::nat, Outcome::stop, Reason::nat_bypass);
    return;
  }
  // A hairpinned flow is answered from inside only: from outside, its translated tuple
  // (public address at both ends) can only be forged.
  if (m.direction == FlowDirection::reply && c.direction != Direction::egress && is_hairpin(e)) {
    c.decide(Layer::nat, Outcome::stop, Reason::nat_bypass);
    return;
  }
  if (p.l4_proto == 6) {
    const TcpState now = static_cast<TcpState>(e.state);
    const TcpState next = e.tunnelled() && m.direction == FlowDirection::original
                              ? tcp_one_sided_state(now, p.tcp_flags)
                              : tcp_next_state(now, m.direction, p.tcp_flags);
    if (next == TcpState::invalid && t.conntrack.drop_invalid) {
      c.decide(Layer::conntrack, Outcome::stop, Reason::conntrack_invalid);
      return;
    }
    if (next != TcpState::invalid) e.state = static_cast<uint8_t>(next);
  }
  if (m.direction == FlowDirection::reply) e.seen_reply = 1;
  w.flows.set_expiry(e, c.time_ns + flow_timeout_ns(t.conntrack.timeouts, e));
  e.account(m.direction, frame_length);
  c.flow = &e;
  c.flow_dir = static_cast<uint8_t>(m.direction);
  c.tracking = Tracking::tracked;
  // A flow judged by an older generation's rules is judged again (original direction).
  c.flow_judged = e.generation == t.generation || m.direction == FlowDirection::reply;
  c.decide(Layer::conntrack, Outcome::pass,
           m.direction == FlowDirection::original ? Reason::conntrack_established
                                                  : Reason::conntrack_reply);
}

// A client's SYN on a load-balanced flow that has closed (TIME_WAIT, CLOSE) opens a new
// connection on the same 5-tuple (RFC 1122 4.2.2.13): as Linux does for any such SYN
// (nf_conntrack_tcp: "reopen"), the old flow goes and the SYN starts a new one, which the
// load balancer places afresh. Kept, it would send the connection to the backend its
// predecessor had, taken out since, perhaps, by a health check. Not while an earlier packet
// of the burst still points at the entry.
bool reopens_balanced_flow(const Burst& b, uint16_t i, const FlowMatch& m) noexcept {
  const FlowEntry& e = *m.entry;
  const ParsedPacket& p = b.ctx[i].parsed;
  if (p.l4_proto != 6 || m.direction != FlowDirection::original || e.backend == kNoFlowBackend ||
      tcp_flag_class(p.tcp_flags) != TcpFlagClass::syn)
    return false;
  const auto state = static_cast<TcpState>(e.state);
  if (state != TcpState::time_wait && state != TcpState::close) return false;
  for (uint16_t j = 0; j < i; ++j)
    if (b.ctx[j].flow == m.entry) return false;
  return true;
}

bool tracked_proto(const ParsedPacket& p) noexcept {
  return p.l4_proto == 6 || p.l4_proto == 17 ||
         (is_icmp_proto(p.l4_proto) && p.ip_version == (p.l4_proto == 1 ? 4 : 6));
}

}  // namespace

// What a flow holds beyond its entry, given back when it ends (expired, or closed and
// reopened): its NAT ports and its inspection state, if it had any.
static void end_flow(Worker& w, FlowEntry& e) noexcept {
  release_nat_ports(w.nat, e);
  w.waf.forget(w.flows.index_of(e));
  w.counters.flows_expired.add();
}

static void expire_flows(Worker& w, uint64_t now) noexcept {
  auto on_expire = [&](FlowEntry& e) { end_flow(w, e); };
  // Bounded work per burst; a clock jump (the first packet, a gap in a replay) takes a few
  // rounds of one wheel turn at most, and must be over before the burst's lookups.
  for (uint32_t round = 0; round < kExpiryRounds; ++round) {
    w.flows.expire(now, kExpiryWorkPerBurst, on_expire);
    if (w.flows.expiry_caught_up()) break;
  }
}

void conntrack_advance_clock(Worker& w, uint64_t now_ns) noexcept {
  w.clock_ns = std::max(w.clock_ns, now_ns);
  do expire_flows(w, w.clock_ns);
  while (!w.flows.expiry_caught_up());
  expire_held_fragments(w);  // fragments whose first one never came: dropped, timed out
}

void conntrack_stage(Worker& w, Burst& b) noexcept {
  PacketKey keys[kBurstSize];
  FlowHash hashes[kBurstSize];
  bool looked_up[kBurstSize] = {};
  bool related[kBurstSize] = {};
  bool fragment[kBurstSize] = {};
  for (uint16_t i = 0; i < b.count; ++i) {
    PacketContext& c = b.ctx[i];
    w.clock_ns = std::max(w.clock_ns, c.time_ns);
    const ParsedPacket& p = c.parsed;
    if (c.final || p.ip_version == 0 || c.tracking == Tracking::proxied) continue;
    if (tracked_proto(p) && p.has(kParseLaterFragment)) {
      fragment[i] = true;  // carries no ports: found through its first fragment, below
      continue;
    }
    if (!tracked_proto(p) || !p.has(kParseL4)) {
      // Other protocols (and their fragments) are not followed.
      c.tracking = Tracking::untracked;
      c.decide(Layer::conntrack, Outcome::pass, Reason::conntrack_untracked);
      continue;
    }
    if (is_icmp_proto(p.l4_proto) && is_icmp_error(p)) {
      QuotedPacket q;
      if (!parse_quoted_packet(rte_pktmbuf_mtod(b.mbufs[i], const uint8_t*), p, q)) {
        c.decide(Layer::conntrack, Outcome::stop, Reason::conntrack_malformed_icmp_error);
        continue;
      }
      keys[i] = make_packet_key(q.version, q.proto, q.src, q.src_port, q.dst, q.dst_port);
      related[i] = true;
    } else if (is_icmp_proto(p.l4_proto) && p.icmp_type != (p.ip_version == 4 ? 0 : 129) &&
               !is_echo_request(p)) {
      c.tracking = Tracking::untracked;  // informational ICMP (router advertisement, ...)
      c.decide(Layer::conntrack, Outcome::pass, Reason::conntrack_untracked);
      continue;
    } else {
      keys[i] = make_packet_key(p);
    }
    hashes[i] = flow_hash(keys[i].key);
    w.flows.prefetch(hashes[i]);
    looked_up[i] = true;
  }
  expire_flows(w, w.clock_ns);
  // Second stage: the buckets are in flight; now the entries they point to, kEntriesAhead
  // packets ahead of the lookups. A lookup at 1M flows is two dependent misses (bucket, then
  // an entry on two or three lines): a rolling window keeps a few entries in flight while the
  // packets before them are worked on, where requesting the whole burst's ~80 lines at once
  // left the first lookups waiting behind all of them (nat_bench at 1M flows: ~15% faster).
  for (uint16_t i = 0; i < std::min(b.count, kEntriesAhead); ++i)
    if (looked_up[i]) w.flows.prefetch_entry(hashes[i]);
  for (uint16_t i = 0; i < b.count; ++i) {
    if (const uint16_t ahead = i + kEntriesAhead; ahead < b.count && looked_up[ahead])
      w.flows.prefetch_entry(hashes[ahead]);
    if (fragment[i]) {
      if (!attach_fragment(w, b.ctx[i], rte_pktmbuf_mtod(b.mbufs[i], const uint8_t*),
                           rte_pktmbuf_pkt_len(b.mbufs[i])))
        defer_fragment(b.ctx[i]);
      continue;
    }
    if (!looked_up[i]) continue;
    PacketContext& c = b.ctx[i];
    FlowMatch m = w.flows.lookup(keys[i], hashes[i]);
    if (!m && c.direction == Direction::egress)
      m = related[i] ? hairpin_quote(w, rte_pktmbuf_mtod(b.mbufs[i], const uint8_t*), c.parsed)
                     : hairpin_reply(w, c.parsed);
    if (related[i]) {
      if (!m) {
        c.decide(Layer::conntrack, Outcome::stop, Reason::conntrack_orphan_icmp_error);
        continue;
      }
      // The error travels against the quoted packet's direction.
      c.flow = m.entry;
      c.flow_dir = static_cast<uint8_t>(
          m.direction == FlowDirection::original ? FlowDirection::reply : FlowDirection::original);
      c.tracking = Tracking::related;
      c.flow_judged = true;
      c.decide(Layer::conntrack, Outcome::pass, Reason::conntrack_related);
    } else if (m && reopens_balanced_flow(b, i, m)) {
      end_flow(w, *m.entry);  // counted as expired: its TIME_WAIT would have run out
      w.flows.erase(*m.entry);
      miss(w, c, rte_pktmbuf_mtod(b.mbufs[i], const uint8_t*), rte_pktmbuf_pkt_len(b.mbufs[i]));
    } else if (m) {
      hit(w, c, m, rte_pktmbuf_pkt_len(b.mbufs[i]));
      // Its later fragments may follow in this very burst.
      if (!c.final && c.parsed.has(kParseFragment))
        remember_fragment(w, c, rte_pktmbuf_mtod(b.mbufs[i], const uint8_t*));
    } else {
      miss(w, c, rte_pktmbuf_mtod(b.mbufs[i], const uint8_t*), rte_pktmbuf_pkt_len(b.mbufs[i]));
    }
  }
}

}  // namespace gauntlet
