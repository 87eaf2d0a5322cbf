// gauntlet-trafficgen: a DPDK traffic generator for benchmarking a device under test (DUT)
// between two ports: transmit on one, receive on the other, count loss, reordering and
// latency; optionally search the zero-loss throughput (RFC 2544 section 26.1: NDR) and the
// partial-drop rate (PDR, loss within a tolerance, as FD.io CSIT's MLRsearch reports).
//
//   gauntlet-trafficgen [EAL options --] --tx-port 0 --rx-port 1 [traffic] [rate] [search]
//
// See README.md, "Line-rate benchmarking".
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "tools/trafficgen/report.h"
#include "tools/trafficgen/search.h"
#include "tools/trafficgen/traffic.h"
#include "tools/trafficgen/trial.h"

namespace {

using namespace trafficgen;

struct Options {
  TrialConfig trial;
  SynthSpec synth;
  std::string pcap;
  std::string rate = "0";  // pps, or "N%" of line rate; 0: unthrottled
  SearchConfig search;
  bool do_search = false;
  std::string json;
  std::string hold;        // keep the ports up after the run until this file exists
  std::string write_pcap;  // write the templates to this pcap and exit
  std::string plot;        // PNG of loss and latency against the offered rate (search only)
  bool flows_set = false, dst_set = false;
  double link_timeout_s = 60;   // a port without link by then: nothing to measure
  double learn_timeout_s = 30;  // nothing forwarded by then: nothing to measure (0: no learning)
};

void usage() {
  std::fputs(
      "usage: gauntlet-trafficgen [EAL options --] [options]\n"
      "  --tx-port N --rx-port M   ethdev ports to send on and receive from (default 0, 1)\n"
      "traffic (synthesised IPv4 unless --pcap):\n"
      "  --sizes 64|imix|64,570,1518   frame sizes with FCS (default 64)\n"
      "  --flows N                 distinct 5-tuples (default 1024)\n"
      "  --proto udp|tcp           (default udp)\n"
      "  --dst-mac MAC --src-mac MAC   (default 02:00:00:00:00:01 / 02:00:00:00:01:fe)\n"
      "  --dst-ip A --dst-port P   (default 10.0.0.10:53); sources 203.0.113.1-250\n"
      "  --pcap FILE               send the frames of FILE, looped, as captured; with --flows N,\n"
      "                            once per flow, source address and port rewritten per flow\n"
      "  --http                    TCP connections with HTTP requests (a GET/POST mix, every\n"
      "                            eighth an attack) to --dst-ip:--dst-port (default the shop\n"
      "                            VIP 198.51.100.12:80); the generator sends each connection's\n"
      "                            SYN-ACK as the backend from the receive port first\n"
      "  --backend A:P             HTTP: the service's one backend (default 10.0.0.10:80)\n"
      "  --rx-dst-mac MAC --rx-src-mac MAC   HTTP: the backend side's frames (default\n"
      "                            02:00:00:00:00:02 / 02:00:00:00:02:0a)\n"
      "rate and time:\n"
      "  --rate PPS|N%             offered rate (default: unthrottled)\n"
      "  --duration S              transmit time of a trial (default 1)\n"
      "search (RFC 2544 throughput):\n"
      "  --search                  binary search for NDR and PDR\n"
      "  --loss-tolerance F        PDR loss ratio (default 0.005)\n"
      "  --precision F             stop when the interval is below F of the max (default 0.01)\n"
      "  --max-rate PPS            search below this rate (default: the unthrottled rate)\n"
      "  --json FILE               results as JSON\n"
      "  --plot FILE               search: PNG of loss and latency against the offered rate\n"
      "                            (tools/trafficgen/plot.py, python3-matplotlib)\n"
      "  --link-timeout S          wait this long for both ports' link (default 60)\n"
      "  --learn-timeout S         send learning frames until one comes back, this long at\n"
      "                            most (default 30; 0: none, the trials start at once)\n"
      "  --write-pcap FILE         write one pass of the traffic (unstamped) as a pcap, exit\n"
      "  --hold-until FILE         after the run, keep the ports up until FILE exists (at most\n"
      "                            60 s): a virtual-link peer can stop first, cleanly\n",
      stderr);
}

bool parse_mac(const char* s, uint8_t* mac) {
  unsigned v[6];
  if (std::sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
    return false;
  for (int i = 0; i < 6; ++i) {
    if (v[i] > 255) return false;
    mac[i] = static_cast<uint8_t>(v[i]);
  }
  return true;
}

bool parse_ipv4(const char* s, uint32_t& out) {
  unsigned a, b, c, d;
  char extra;
  if (std::sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &extra) != 4 || a > 255 || b > 255 ||
      c > 255 || d > 255)
    return false;
  out = a << 24 | b << 16 | c << 8 | d;
  return true;
}

bool parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    const char* v = has_value ? argv[i + 1] : "";
    auto number = [&](double& out) {
      char* end = nullptr;
      out = std::strtod(v, &end);
      return has_value && *v && *end == '\0' && out >= 0;
    };
    double d = 0;
    std::string error;
    bool ok = true;
    if (a == "--tx-port" && number(d))
      o.trial.tx_port = static_cast<uint16_t>(d);
    else if (a == "--rx-port" && number(d))
      o.trial.rx_port = static_cast<uint16_t>(d);
    else if (a == "--sizes" && has_value)
      ok = parse_sizes(v, o.synth.sizes, error);
    else if (a == "--flows" && number(d) && d >= 1 && d <= 1e6)
      o.synth.flows = static_cast<uint32_t>(d), o.flows_set = true;
    else if (a == "--proto" && has_value) {
      ok = !std::strcmp(v, "udp") || !std::strcmp(v, "tcp");
      o.synth.tcp = !std::strcmp(v, "tcp");
    } else if (a == "--dst-mac" && has_value)
      ok = parse_mac(v, o.synth.dst_mac);
    else if (a == "--src-mac" && has_value)
      ok = parse_mac(v, o.synth.src_mac);
    else if (a == "--dst-ip" && has_value)
      ok = parse_ipv4(v, o.synth.dst_ip), o.dst_set = true;
    else if (a == "--dst-port" && number(d) && d <= 65535)
      o.synth.dst_port = static_cast<uint16_t>(d), o.dst_set = true;
    else if (a == "--http") {
      o.synth.http = true;
      continue;
    } else if (a == "--backend" && has_value) {
      const char* colon = std::strrchr(v, ':');
      char* end = nullptr;
      const unsigned long port = colon ? std::strtoul(colon + 1, &end, 10) : 0;
      ok = colon && end && *end == '\0' && port >= 1 && port <= 65535 &&
           parse_ipv4(std::string(v, colon).c_str(), o.synth.backend_ip);
      o.synth.backend_port = static_cast<uint16_t>(port);
    } else if (a == "--rx-dst-mac" && has_value)
      ok = parse_mac(v, o.synth.rx_dst_mac);
    else if (a == "--rx-src-mac" && has_value)
      ok = parse_mac(v, o.synth.rx_src_mac);
    else if (a == "--plot" && has_value)
      o.plot = v;
    else if (a == "--pcap" && has_value)
      o.pcap = v;
    else if (a == "--rate" && has_value)
      o.rate = v;
    else if (a == "--duration" && number(d) && d > 0)
      o.trial.duration_s = o.search.trial_s = d;
    else if (a == "--search") {
      o.do_search = true;
      continue;
    } else if (a == "--loss-tolerance" && number(d) && d < 1)
      o.search.loss_tolerance = d;
    else if (a == "--precision" && number(d) && d > 0 && d < 1)
      o.search.precision = d;
    else if (a == "--max-rate" && number(d) && d > 0)
      o.search.max_rate_pps = d;
    else if (a == "--link-timeout" && number(d) && d > 0)
      o.link_timeout_s = d;
    else if (a == "--learn-timeout" && number(d))
      o.learn_timeout_s = d;
    else if (a == "--write-pcap" && has_value)
      o.write_pcap = v;
    else if (a == "--hold-until" && has_value)
      o.hold = v;
    else if (a == "--json" && has_value)
      o.json = v;
    else {
      std::fprintf(stderr, "gauntlet-trafficgen: bad option or value: %s %s\n", a.c_str(), v);
      return false;
    }
    if (!ok) {
      std::fprintf(stderr, "gauntlet-trafficgen: %s: %s\n", a.c_str(),
                   error.empty() ? "invalid value" : error.c_str());
      return false;
    }
    ++i;
  }
  return true;
}

// Starts `port` able to carry frames of `largest` bytes (without FCS): a port whose MTU
// cannot be raised that far is refused with a message, before anything is sent.
bool start_port(uint16_t port, rte_mempool* pool, size_t largest) {
  rte_eth_conf conf{};
  if (rte_eth_dev_configure(port, 1, 1, &conf) < 0 ||
      rte_eth_rx_queue_setup(port, 0, 1024, rte_eth_dev_socket_id(port), nullptr, pool) < 0 ||
      rte_eth_tx_queue_setup(port, 0, 1024, rte_eth_dev_socket_id(port), nullptr) < 0) {
    std::fprintf(stderr, "gauntlet-trafficgen: port %u does not start\n", port);
    return false;
  }
  const auto needed_mtu =
      static_cast<uint32_t>(largest > RTE_ETHER_HDR_LEN ? largest - RTE_ETHER_HDR_LEN : 0);
  uint16_t mtu = RTE_ETHER_MTU;
  rte_eth_dev_get_mtu(port, &mtu);
  if (needed_mtu > mtu) {
    rte_eth_dev_info info{};
    rte_eth_dev_info_get(port, &info);
    // A driver without an MTU setting (-ENOTSUP) sends what it is given, up to its maximum.
    const int rc = needed_mtu <= info.max_mtu
                       ? rte_eth_dev_set_mtu(port, static_cast<uint16_t>(needed_mtu))
                       : -EINVAL;
    if (rc != 0 && rc != -ENOTSUP) {
      std::fprintf(stderr,
                   "gauntlet-trafficgen: port %u (%s) cannot send the traffic's %zu-byte frames "
                   "(jumbo frames): its MTU cannot be raised to %u (it takes frames of %u "
                   "bytes at most)\n",
                   port, info.driver_name ? info.driver_name : "?", largest, needed_mtu,
                   std::min<uint32_t>(info.max_rx_pktlen,
                                      info.max_mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN));
      return false;
    }
  }
  if (rte_eth_dev_start(port) < 0) {
    std::fprintf(stderr, "gauntlet-trafficgen: port %u does not start\n", port);
    return false;
  }
  rte_eth_promiscuous_enable(port);
  return true;
}

// Waits up to `timeout_s` for the link (a vhost/memif peer may attach late, after compiling
// its tables); returns its speed in Mbps, 0 when unknown, -1 when it never came up.
int64_t wait_link(uint16_t port, double timeout_s) {
  rte_eth_link link{};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  for (;;) {
    rte_eth_link_get_nowait(port, &link);
    if (link.link_status || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!link.link_status) return -1;
  return link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : link.link_speed;
}

}  // namespace

int main(int argc, char** argv) {
  const int eal = rte_eal_init(argc, argv);
  if (eal < 0) {
    std::fputs("gauntlet-trafficgen: EAL did not start\n", stderr);
    return 2;
  }
  Options o;
  if (!parse_args(argc - eal, argv + eal, o)) {
    usage();
    return 2;
  }
  Templates t;
  std::string error;
  if (o.synth.http && !o.pcap.empty()) {
    std::fputs("gauntlet-trafficgen: --http and --pcap exclude each other\n", stderr);
    return 2;
  }
  if (o.synth.http && o.trial.tx_port == o.trial.rx_port) {
    std::fputs(
        "gauntlet-trafficgen: --http needs two ports (the backend answers SYNs on --rx-port)\n",
        stderr);
    return 2;
  }
  if (!o.plot.empty() && !o.do_search) {
    std::fputs("gauntlet-trafficgen: --plot draws a search: give --search\n", stderr);
    return 2;
  }
  if (!o.pcap.empty()) {
    if (!load_pcap(o.pcap, o.flows_set ? o.synth.flows : 1, t, error)) {
      std::fprintf(stderr, "gauntlet-trafficgen: %s\n", error.c_str());
      return 2;
    }
  } else if (o.synth.http) {
    if (!o.dst_set) o.synth.dst_ip = 0xc633640c, o.synth.dst_port = 80;  // 198.51.100.12
    t = synthesise_http(o.synth);
  } else {
    t = synthesise(o.synth);
  }
  if (!o.write_pcap.empty()) {
    if (!save_pcap(t, o.write_pcap, error)) {
      std::fprintf(stderr, "gauntlet-trafficgen: %s\n", error.c_str());
      return 1;
    }
    std::printf("%zu frames written to %s\n", t.frames.size(), o.write_pcap.c_str());
    return 0;
  }
  const uint16_t ports = rte_eth_dev_count_avail();
  if (o.trial.tx_port >= ports || o.trial.rx_port >= ports) {
    std::fprintf(stderr, "gauntlet-trafficgen: %u port(s) available; give --vdev/-a devices\n",
                 ports);
    return 2;
  }
  size_t largest = 0;
  for (const auto& f : t.frames) largest = std::max(largest, f.size());
  rte_mempool* pool = rte_pktmbuf_pool_create("trafficgen", 16383, 256, 0,
                                              static_cast<uint16_t>(largest + RTE_PKTMBUF_HEADROOM),
                                              rte_socket_id());
  if (!pool) {
    std::fputs("gauntlet-trafficgen: cannot set up the packet pool\n", stderr);
    return 2;
  }
  if (!start_port(o.trial.tx_port, pool, largest) ||
      (o.trial.rx_port != o.trial.tx_port && !start_port(o.trial.rx_port, pool, largest)))
    return 2;
  // Every exit from here on: a memif/vhost peer still polling when this side's ports go
  // away can fault inside its PMD, so the harness stops the peer first (--hold-until), then
  // lets this process go.
  const auto finish = [&o](int rc) {
    std::fflush(stdout);
    for (int i = 0; i < 600 && !o.hold.empty() && !std::filesystem::exists(o.hold); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    rte_eth_dev_stop(o.trial.tx_port);
    if (o.trial.rx_port != o.trial.tx_port) rte_eth_dev_stop(o.trial.rx_port);
    rte_eal_cleanup();
    return rc;
  };
  const int64_t speed_mbps = wait_link(o.trial.tx_port, o.link_timeout_s);
  const int64_t rx_speed = speed_mbps < 0 ? 0 : wait_link(o.trial.rx_port, o.link_timeout_s);
  if (speed_mbps < 0 || rx_speed < 0) {
    std::fprintf(stderr,
                 "gauntlet-trafficgen: port %u has no link after %g s; nothing to measure\n",
                 speed_mbps < 0 ? o.trial.tx_port : o.trial.rx_port, o.link_timeout_s);
    return finish(1);
  }
  const double avg_frame = static_cast<double>(t.bytes) / static_cast<double>(t.frames.size());
  // Line rate in frames/s: each frame also takes FCS 4 + preamble 8 + gap 12 bytes on the wire.
  const double line_pps = speed_mbps ? speed_mbps * 1e6 / ((avg_frame + 24) * 8) : 0;
  if (!o.rate.empty() && o.rate.back() == '%') {
    const double pct = std::strtod(o.rate.c_str(), nullptr);
    if (!line_pps || pct <= 0) {
      std::fputs("gauntlet-trafficgen: a % rate needs a port that reports its link speed\n",
                 stderr);
      return finish(2);
    }
    if (pct > 100) {
      std::fputs("gauntlet-trafficgen: a rate above 100% of line rate cannot be offered\n", stderr);
      return finish(2);
    }
    o.trial.rate_pps = line_pps * pct / 100;
  } else {
    o.trial.rate_pps = std::strtod(o.rate.c_str(), nullptr);
    if (line_pps > 0 && o.trial.rate_pps > line_pps) {
      std::fprintf(stderr, "gauntlet-trafficgen: %.0f pps is above the line rate (%.0f pps)\n",
                   o.trial.rate_pps, line_pps);
      return finish(2);
    }
  }
  // HTTP: each connection's handshake, once, in order (see http.cpp): the clients' SYNs, the
  // backend's SYN-ACKs, the clients' ACKs. Trials then go on from where the last one stopped.
  SendCursor cursor;
  if (o.synth.http) {
    o.trial.cursor = &cursor;
    const uint16_t tx = o.trial.tx_port, rx = o.trial.rx_port;
    // The DUT may still be starting (compiling its WAF rules) with the link already up: a
    // connection's SYN goes again every 100 ms until the DUT forwards it (RFC 2544's
    // learning frames; a repeated SYN leaves the flow in syn-sent).
    bool alive = false;
    for (int i = 0; i < 300 && !alive; ++i)
      alive = send_once({t.syn.front()}, tx, tx, rx, pool, 0.1).received_b > 0;
    if (!alive) {
      std::fputs("gauntlet-trafficgen: no SYN came through in 30 s; nothing to measure\n", stderr);
      return finish(1);
    }
    const uint64_t syns = send_once(t.syn, tx, tx, rx, pool, 0.1).sent;
    const uint64_t syn_acks = send_once(t.syn_ack, rx, tx, rx, pool, 0.1).sent;
    const uint64_t acks = send_once(t.ack, tx, tx, rx, pool, 0.1).sent;
    std::printf("handshakes: %llu SYN, %llu SYN-ACK, %llu ACK sent for %zu connections\n",
                static_cast<unsigned long long>(syns), static_cast<unsigned long long>(syn_acks),
                static_cast<unsigned long long>(acks), t.syn.size());
  }
  // Learning frames (RFC 2544 section 23): a trickle until the DUT forwards one, so that a
  // device still starting up (or resolving its neighbours) does not count as loss.
  // --learn-timeout 0 skips them: the trials then show what comes back.
  bool learned = o.learn_timeout_s <= 0;
  const auto learn_until =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(o.learn_timeout_s);
  while (!learned && std::chrono::steady_clock::now() < learn_until) {
    TrialConfig probe = o.trial;
    probe.rate_pps = 1000;
    probe.duration_s = 0.05;
    probe.drain_s = 0.05;
    learned = run_trial(t, pool, probe).received > 0;
  }
  if (!learned) {
    std::fprintf(stderr,
                 "gauntlet-trafficgen: port %u received nothing during %g s of learning frames "
                 "sent on port %u; nothing to measure (is the device under test forwarding?)\n",
                 o.trial.rx_port, o.learn_timeout_s, o.trial.tx_port);
    return finish(1);
  }
  RunReport report;
  report.avg_frame_bytes = avg_frame;
  report.avg_payload_bytes =
      static_cast<double>(t.payload_bytes) / static_cast<double>(t.frames.size());
  report.line_pps = line_pps;
  report.templates = t.frames.size();
  if (o.do_search) {
    o.search.trial = o.trial;
    report.search = search_throughput(t, pool, o.search);
    report.has_search = true;
  } else {
    report.single = run_trial(t, pool, o.trial);
  }
  print_report(report, stdout);
  if (o.json.empty() && !o.plot.empty()) o.json = o.plot + ".json";
  if (!o.json.empty() && !write_json(report, o.json)) {
    std::fprintf(stderr, "gauntlet-trafficgen: cannot write %s\n", o.json.c_str());
    return finish(1);
  }
  int rc = 0;
  if (!o.plot.empty()) {
    // The plot script sits beside the sources (meson passes its path); matplotlib draws it.
    const std::string cmd = std::string("/usr/bin/python3 ") + GAUNTLET_TRAFFICGEN_PLOT + " '" +
                            o.json + "' '" + o.plot + "'";
    if (std::system(cmd.c_str()) != 0) {
      std::fprintf(stderr, "gauntlet-trafficgen: the plot failed: %s\n", cmd.c_str());
      rc = 1;
    }
  }
  return finish(rc);
}
