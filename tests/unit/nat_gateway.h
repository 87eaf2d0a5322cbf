// A NAT gateway for tests: one worker with the real pipeline (every stage, real tables built
// from a YAML config), fed one frame at a time on the dataplane clock, and the frames it
// sends read back. Plus a small IPv4/IPv6 frame builder with correct checksums.
// Needs EAL (mbufs): the test binary registers EalEnvironment.
#pragma once

#include <algorithm>
#include <arpa/inet.h>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dataplane/control/config.h"
#include "dataplane/control/tables.h"
#include "dataplane/packet/parse.h"
#include "dataplane/pipeline/generation.h"
#include "dataplane/pipeline/stages.h"
#include "dataplane/pipeline/worker.h"

namespace gauntlet::testing {

using Frame = std::vector<uint8_t>;

inline constexpr const char* kPublic = "198.51.100.2";
inline constexpr const char* kPodA = "10.0.0.10";
inline constexpr const char* kPodB = "10.0.0.11";

// Ports, routes and neighbours as in the golden cases; both ACLs allow everything, so what is
// seen is the NAT's own behaviour. `snat_extra`: more keys of the snat: map.
inline std::string gateway_config(const std::string& snat_extra = "",
                                  const std::string& conntrack = "") {
  return "ports:\n"
         "  outside: { mac: 02:00:00:00:00:01, addresses: [198.51.100.1/24, 2001:db8:100::1/64] }\n"
         "  inside: { mac: 02:00:00:00:00:02, addresses: [10.0.0.1/24, fd00::1/64] }\n"
         "routes:\n"
         "  - { prefix: 0.0.0.0/0, port: outside, via: 198.51.100.254 }\n"
         "  - { prefix: ::/0, port: outside, via: 2001:db8:100::fe }\n"
         "neighbours:\n"
         "  - { address: 198.51.100.254, port: outside, mac: 02:00:00:00:01:fe }\n"
         "  - { address: 2001:db8:100::fe, port: outside, mac: 02:00:00:00:01:fe }\n"
         "  - { address: 10.0.0.10, port: inside, mac: 02:00:00:00:02:0a }\n"
         "  - { address: 10.0.0.11, port: inside, mac: 02:00:00:00:02:0b }\n"
         "  - { address: 10.0.0.12, port: inside, mac: 02:00:00:00:02:0c }\n"
         "  - { address: fd00::10, port: inside, mac: 02:00:00:00:02:10 }\n"
         "firewall: { default: allow }\n"
         "allowlist: { default: allow }\n"
         "conntrack: { capacity: 1024" +
         conntrack +
         " }\n"
         "snat: { address: 198.51.100.2, from: [10.0.0.0/24]" +
         snat_extra + " }\n";
}

inline IpAddress ip(const char* text) {
  IpAddress a{};
  if (inet_pton(AF_INET, text, a.bytes.data()) != 1) {
    EXPECT_EQ(inet_pton(AF_INET6, text, a.bytes.data()), 1) << text;
  }
  return a;
}

inline uint32_t sum16(const uint8_t* p, size_t n, uint32_t s = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) s += uint32_t{p[i]} << 8 | p[i + 1];
  if (n & 1) s += uint32_t{p[n - 1]} << 8;
  return s;
}
inline uint16_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}

// An L4 segment: TCP (flags), UDP or ICMP (type, id); checksum filled in by ipv4()/ipv6().
struct L4 {
  uint8_t proto = 17;
  Frame bytes;
};
inline L4 udp(uint16_t sport, uint16_t dport, const std::string& payload = "data") {
  L4 l{17, Frame(8 + payload.size())};
  std::copy(payload.begin(), payload.end(), l.bytes.begin() + 8);
  const uint16_t v[] = {sport, dport, static_cast<uint16_t>(l.bytes.size()), 0};
  for (int i = 0; i < 4; ++i) l.bytes[2 * i] = v[i] >> 8, l.bytes[2 * i + 1] = v[i] & 0xff;
  return l;
}
inline constexpr uint8_t kFin = 1, kSyn = 2, kRst = 4, kPsh = 8, kAck = 16;
inline L4 tcp(uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq = 1000,
              uint32_t ack = 0) {
  L4 l{6, Frame(20)};
  uint8_t* t = l.bytes.data();
  t[0] = sport >> 8, t[1] = sport & 0xff, t[2] = dport >> 8, t[3] = dport & 0xff;
  for (int i = 0; i < 4; ++i)
    t[4 + i] = (seq >> (24 - 8 * i)) & 0xff, t[8 + i] = (ack >> (24 - 8 * i)) & 0xff;
  t[12] = 5 << 4, t[13] = flags, t[14] = 0xfa, t[15] = 0xf0;
  return l;
}
inline L4 icmp(uint8_t type, uint8_t code, uint16_t id_or_unused, const Frame& body = {}) {
  L4 l{1, Frame(8 + body.size())};
  l.bytes[0] = type, l.bytes[1] = code, l.bytes[4] = id_or_unused >> 8,
  l.bytes[5] = id_or_unused & 0xff;
  l.bytes[7] = 1;  // sequence 1 (echo)
  std::copy(body.begin(), body.end(), l.bytes.begin() + 8);
  return l;
}

// An IPv4 packet (no Ethernet): checksums right unless the caller breaks them later.
// `frag`: the flags/fragment-offset word (0x2000: more fragments; offset in 8-byte units).
inline Frame ipv4(const char* src, const char* dst, const L4& l4, uint16_t id = 1,
                  uint16_t frag = 0, uint8_t ttl = 64) {
  Frame f(20);
  const size_t total = 20 + l4.bytes.size();
  f[0] = 0x45, f[2] = total >> 8, f[3] = total & 0xff, f[4] = id >> 8, f[5] = id & 0xff;
  f[6] = frag >> 8, f[7] = frag & 0xff, f[8] = ttl, f[9] = l4.proto;
  std::memcpy(&f[12], ip(src).bytes.data(), 4);
  std::memcpy(&f[16], ip(dst).bytes.data(), 4);
  f.insert(f.end(), l4.bytes.begin(), l4.bytes.end());
  const uint16_t h = fold(sum16(f.data(), 20));
  f[10] = h >> 8, f[11] = h & 0xff;
  uint8_t* t = f.data() + 20;
  const size_t n = l4.bytes.size();
  if (l4.proto == 1) {
    const uint16_t c = fold(sum16(t, n));
    t[2] = c >> 8, t[3] = c & 0xff;
  } else {
    const uint32_t pseudo = sum16(&f[12], 8) + l4.proto + static_cast<uint32_t>(n);
    uint16_t c = fold(sum16(t, n, pseudo));
    if (l4.proto == 17 && c == 0) c = 0xffff;
    const size_t at = l4.proto == 6 ? 16 : 6;
    t[at] = c >> 8, t[at + 1] = c & 0xff;
  }
  return f;
}

// Splits a finished IPv4 packet into fragments of `chunk` payload bytes (a multiple of 8).
inline std::vector<Frame> fragments(const Frame& packet, size_t chunk) {
  std::vector<Frame> out;
  const size_t payload = packet.size() - 20;
  for (size_t off = 0; off < payload; off += chunk) {
    const size_t n = std::min(chunk, payload - off);
    Frame f(packet.begin(), packet.begin() + 20);
    f.insert(f.end(), packet.begin() + 20 + off, packet.begin() + 20 + off + n);
    const size_t total = 20 + n;
    const uint16_t word = static_cast<uint16_t>((off / 8) | (off + n < payload ? 0x2000 : 0));
    f[2] = total >> 8, f[3] = total & 0xff, f[6] = word >> 8, f[7] = word & 0xff;
    f[10] = f[11] = 0;
    const uint16_t h = fold(sum16(f.data(), 20));
    f[10] = h >> 8, f[11] = h & 0xff;
    out.push_back(f);
  }
  return out;
}

// Does the IPv4 packet in `f` (Ethernet stripped) carry correct header and L4 checksums?
// L4: only for unfragmented packets.
inline bool checksums_ok(const Frame& f) {
  if (fold(sum16(f.data(), 20)) != 0) return false;
  if ((f[6] & 0x3f) != 0 || f[7] != 0) return true;
  const size_t n = f.size() - 20;
  if (f[9] == 1) return fold(sum16(f.data() + 20, n)) == 0;
  const uint32_t pseudo = sum16(&f[12], 8) + f[9] + static_cast<uint32_t>(n);
  return fold(sum16(f.data() + 20, n, pseudo)) == 0;
}

// What the gateway did with one frame.
struct Result {
  Step last;  // the final decision
  uint8_t out_port = kNoPort;
  Frame sent;                   // the IP packet it sent (no Ethernet), empty if none; the last one
  std::vector<Frame> all_sent;  // every IP packet it sent, in order (fragments: several)
  ParsedPacket parsed;          // `sent`, parsed
  bool stopped(Reason r) const { return last.outcome == Outcome::stop && last.reason == r; }
  bool forwarded() const { return last.outcome == Outcome::forward && !sent.empty(); }
  // Kept for its first fragment: nothing sent yet.
  bool held() const {
    return last.outcome == Outcome::consume && last.reason == Reason::conntrack_fragment_held &&
           all_sent.empty();
  }
  std::string src() const { return endpoint(parsed.src, parsed.src_port); }
  std::string dst() const { return endpoint(parsed.dst, parsed.dst_port); }
  static std::string endpoint(const IpAddress& a, uint16_t port) {
    char text[64];
    inet_ntop(AF_INET, a.bytes.data(), text, sizeof text);
    return std::string(text) + ":" + std::to_string(port);
  }
};

class Gateway {
 public:
  explicit Gateway(const std::string& yaml) {
    char path[] = "/tmp/nat-gateway-XXXXXX";
    const int fd = mkstemp(path);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(write(fd, yaml.data(), yaml.size()), static_cast<ssize_t>(yaml.size()));
    close(fd);
    std::vector<ConfigError> errors;
    auto cfg = load_config(path, errors);
    unlink(path);
    for (const ConfigError& e : errors) ADD_FAILURE() << e.to_string();
    cfg_ = std::move(*cfg);
    std::string error;
    published_.publish(build_tables(cfg_, 1, nullptr, error));
    EXPECT_EQ(error, "");
    worker_ = std::make_unique<Worker>(0, cfg_, 1);
    worker_->tables = published_.current();
    seed_neighbours(*worker_, *worker_->tables);
    static int pools = 0;
    pool_ = rte_pktmbuf_pool_create(("nat_gw" + std::to_string(pools++)).c_str(), 255, 0, 0,
                                    2048 + RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
    EXPECT_NE(pool_, nullptr);
    worker_->pool = pool_;  // what the worker's own packets (fragments) come from
  }
  ~Gateway() {
    worker_.reset();
    rte_mempool_free(pool_);
  }

  // A frame from a pod (inside port) / from the internet (outside port), `after` seconds
  // after the previous one.
  Result from_pod(const Frame& ip_packet, double after = 0.001) {
    return send(Direction::egress, ip_packet, after);
  }
  Result from_internet(const Frame& ip_packet, double after = 0.001) {
    return send(Direction::ingress, ip_packet, after);
  }

  Worker& worker() { return *worker_; }
  // How many packets of `dir` some step gave reason `r` (every step counts, passes too).
  uint64_t count(Direction dir, Reason r) const {
    return worker_->counters.reasons[static_cast<size_t>(dir)][static_cast<size_t>(r)].get();
  }
  uint32_t flows() const { return worker_->flows.size(); }
  uint32_t ports_in_use(NatProtocol p) const { return worker_->nat.ports_in_use(p); }

 private:
  Result send(Direction dir, const Frame& packet, double after) {
    now_ += static_cast<uint64_t>(after * 1e9);
    static const uint8_t kGw[] = {2, 0, 0, 0, 1, 0xfe}, kOut[] = {2, 0, 0, 0, 0, 1},
                         kIn[] = {2, 0, 0, 0, 0, 2};
    Frame frame(14);
    const bool inside = dir == Direction::egress;
    std::memcpy(&frame[0], inside ? kIn : kOut, 6);
    uint8_t pod[6] = {2, 0, 0, 0, 2, 0x0a};
    std::memcpy(&frame[6], inside ? pod : kGw, 6);
    frame[12] = (packet[0] >> 4) == 6 ? 0x86 : 0x08;
    frame[13] = (packet[0] >> 4) == 6 ? 0xdd : 0x00;
    frame.insert(frame.end(), packet.begin(), packet.end());
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size())), frame.data(),
                frame.size());
    Burst& b = burst_;
    b.count = 1;
    b.mbufs[0] = m;
    b.ctx[0].in_port = inside ? 1 : 0;
    b.ctx[0].direction = dir;
    b.ctx[0].time_ns = now_;
    b.ctx[0].sequence = ++sequence_;
    run_pipeline(*worker_, b);
    Result r;
    r.last = b.ctx[0].last();
    Worker& w = *worker_;
    for (uint8_t p = 0; p < kPortCount; ++p) {
      for (uint16_t i = 0; i < w.tx_count[p]; ++i) {
        rte_mbuf* sent = w.tx[p][i];
        const uint8_t* d = rte_pktmbuf_mtod(sent, const uint8_t*);
        r.sent.assign(d + 14, d + sent->data_len);
        r.all_sent.push_back(r.sent);
        r.out_port = p;
        EXPECT_EQ(parse_packet(d, sent->data_len, r.parsed), Reason::none);
        rte_pktmbuf_free(sent);
      }
      w.tx_count[p] = 0;
    }
    Record rec;
    while (w.to_control.pop(rec)) {
    }
    // Fragments held for their first fragment (conntrack/fragment_hold.h) are the store's.
    EXPECT_EQ(rte_mempool_avail_count(pool_), 255u - w.held_fragments.held())
        << "an mbuf was neither sent, freed nor held";
    return r;
  }

  Config cfg_;
  Published published_{1};
  std::unique_ptr<Worker> worker_;
  rte_mempool* pool_ = nullptr;
  uint64_t now_ = uint64_t{1'700'000'000} * 1'000'000'000;
  uint64_t sequence_ = 0;
  Burst burst_;
};

}  // namespace gauntlet::testing
