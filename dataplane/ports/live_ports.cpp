// Live mode's ports: the EAL arguments that attach them, their set-up, and the control
// core's watch over their links.
#include <algorithm>
#include <fmt/format.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>

#include "dataplane/control/operations.h"
#include "dataplane/control/report.h"
#include "dataplane/ports/live.h"
#include "dataplane/ports/live_shared.h"

namespace gauntlet {

std::string device_name(const std::string& device) { return device.substr(0, device.find(',')); }

std::vector<std::string> device_eal_args(const Config& cfg) {
  std::vector<std::string> args;
  for (uint8_t p = 0; p < kPortCount; ++p) {
    const std::string& d = cfg.ports[p].device;
    if (d.empty()) continue;
    const std::string name = device_name(d);
    const bool pci = name.find(':') != std::string::npos && name.find('_') == std::string::npos;
    args.push_back(pci ? "-a" : "--vdev");
    args.push_back(d);
  }
  return args;
}

rte_mempool* create_packet_pool(const char* name, uint32_t mbufs) {
  // Each lcore caches up to 1.5x this many mbufs of its own, out of the others' reach: a
  // small pool gets a small cache (DPDK refuses one over two thirds of the pool), so that
  // most of it stays where every lcore can take from it.
  const unsigned cache = std::min<uint32_t>(256, mbufs / 8);
  // Without hugepages a pool keeps each object inside one 4 KiB page, in case the pages are
  // not contiguous in IO addresses: a 2.3 KB mbuf then starts every page, so every mbuf's
  // header, and every packet's first bytes, fall into the same L1 cache set (8 ways for a
  // burst of 32 packets, and the PMD's own buffers on top): each stage that reads a packet
  // missed L1 on it. Where IO addresses are the virtual ones, virtually contiguous is
  // IO-contiguous, so the objects may be packed back to back as with hugepages.
  if (rte_eal_has_hugepages() || rte_eal_iova_mode() != RTE_IOVA_VA)
    return rte_pktmbuf_pool_create(name, mbufs, cache, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                   rte_socket_id());
  rte_mempool* pool =
      rte_mempool_create_empty(name, mbufs, sizeof(rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE, cache,
                               sizeof(rte_pktmbuf_pool_private), static_cast<int>(rte_socket_id()),
                               RTE_MEMPOOL_F_NO_IOVA_CONTIG);
  if (!pool) return nullptr;
  rte_pktmbuf_pool_private priv{};
  priv.mbuf_data_room_size = RTE_MBUF_DEFAULT_BUF_SIZE;
  if (const int rc = rte_mempool_set_ops_byname(pool, rte_mbuf_best_mempool_ops(), nullptr);
      rc != 0) {
    rte_mempool_free(pool);
    rte_errno = -rc;
    return nullptr;
  }
  rte_pktmbuf_pool_init(pool, &priv);
  if (const int rc = rte_mempool_populate_default(pool); rc < 0) {
    rte_mempool_free(pool);
    rte_errno = -rc;
    return nullptr;
  }
  rte_mempool_obj_iter(pool, rte_pktmbuf_init, nullptr);
  return pool;
}

bool start_port(uint16_t id, uint8_t role, const Config& cfg, rte_mempool* pool, uint16_t queues) {
  const PortConfig& pc = cfg.ports[role];
  rte_eth_dev_info info{};
  if (rte_eth_dev_info_get(id, &info) != 0) return false;
  if (queues > info.max_rx_queues || queues > info.max_tx_queues) {
    fmt::print(
        stderr,
        "gauntlet: port {} ({}): the device has {} rx / {} tx queues, workers: {} needs {}\n",
        port_role_name(role), pc.device, info.max_rx_queues, info.max_tx_queues, queues, queues);
    return false;
  }
  rte_eth_conf conf{};
  // A Toeplitz key of repeated 0x6d5a hashes (a, b) and (b, a) alike: both directions of
  // a flow reach the same queue, so the same worker owns its conntrack entry.
  static uint8_t symmetric_key[64];
  for (size_t i = 0; i < sizeof symmetric_key; ++i) symmetric_key[i] = i % 2 ? 0x5a : 0x6d;
  if (queues > 1) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_key = symmetric_key;
    conf.rx_adv_conf.rss_conf.rss_key_len = static_cast<uint8_t>(
        info.hash_key_size ? std::min<size_t>(info.hash_key_size, sizeof symmetric_key) : 40);
    conf.rx_adv_conf.rss_conf.rss_hf =
        (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
  }
  int rc = rte_eth_dev_configure(id, queues, queues, &conf);
  uint16_t rxd = pc.rx_descriptors, txd = pc.tx_descriptors;
  if (rc == 0) rc = rte_eth_dev_adjust_nb_rx_tx_desc(id, &rxd, &txd);
  for (uint16_t q = 0; rc == 0 && q < queues; ++q) {
    rc = rte_eth_rx_queue_setup(id, q, rxd, rte_eth_dev_socket_id(id), nullptr, pool);
    if (rc == 0) rc = rte_eth_tx_queue_setup(id, q, txd, rte_eth_dev_socket_id(id), nullptr);
  }
  if (rc == 0) rc = rte_eth_dev_start(id);
  if (rc != 0) {
    fmt::print(stderr, "gauntlet: port {} ({}): cannot start: {}\n", port_role_name(role),
               pc.device, rte_strerror(-rc));
    return false;
  }
  rte_eth_promiscuous_enable(id);  // not every PMD has it; a failure is harmless
  return true;
}

void print_link(uint16_t id, uint8_t role) {
  rte_eth_link link{};
  rte_eth_link_get_nowait(id, &link);
  char text[RTE_ETH_LINK_MAX_STR_LEN];
  rte_eth_link_to_str(text, sizeof text, &link);
  fmt::print(stderr, "gauntlet: port {}: {}\n", port_role_name(role), text);
}

// Control core, about once a second: a port whose link went down (a cable pulled, a vhost
// peer gone) or came back is reported on stderr and as an event naming the port.
void watch_links(LiveShared& s, FILE* events) {
  const uint64_t now = rte_rdtsc();
  if (now < s.next_link_check_tsc) return;
  s.next_link_check_tsc = now + s.tsc_hz;
  for (uint8_t p = 0; p < kPortCount; ++p) {
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(s.port_ids[p], &link) != 0) continue;
    const bool up = link.link_status == RTE_ETH_LINK_UP;
    if (up == s.link_up[p]) continue;
    s.link_up[p] = up;
    if (s.status) s.status->link_up[p].store(up, std::memory_order_relaxed);
    fmt::print(stderr, "gauntlet: port {}: link {}\n", port_role_name(p), up ? "up" : "down");
    if (events)
      fmt::print(events,
                 "{{\"event\":\"link\",\"time\":\"{}\",\"port\":\"{}\",\"state\":\"{}\"}}\n",
                 format_time(dataplane_now(s)), port_role_name(p), up ? "up" : "down");
  }
}

}  // namespace gauntlet
