#include "dataplane/control/tables.h"

#include <algorithm>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <xxhash.h>

#include <rte_errno.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>

#include "dataplane/lb/health_probe.h"

namespace gauntlet {

Tables::~Tables() {
  if (lpm4) rte_lpm_free(lpm4);
  if (lpm6) rte_lpm6_free(lpm6);
}

const NextHop* Tables::route(const IpAddress& dst, uint8_t version) const noexcept {
  uint32_t hop = 0;
  int rc;
  if (version == 4)
    rc = rte_lpm_lookup(lpm4, rte_be_to_cpu_32(dst.v4_be()), &hop);
  else
    rc = rte_lpm6_lookup(lpm6, dst.bytes.data(), &hop);
  return route_or_default(rc == 0, hop, version);
}

namespace {

// Connected prefix of an address: the address with host bits cleared.
Prefix network_of(const Prefix& p) {
  Prefix n = p;
  for (unsigned i = 0; i < 16; ++i) {
    const int bits = std::clamp(static_cast<int>(p.length) - static_cast<int>(i * 8), 0, 8);
    n.address.bytes[i] &= static_cast<uint8_t>(0xff00 >> bits);
  }
  return n;
}

bool add_route(Tables& t, const Prefix& p, const NextHop& hop, std::string& error) {
  const uint32_t index = static_cast<uint32_t>(t.next_hops.size());
  t.next_hops.push_back(hop);
  if (p.length == 0) {
    t.default_hop[p.version == 6] = static_cast<int32_t>(index);
    return true;
  }
  int rc;
  if (p.version == 4)
    rc = rte_lpm_add(t.lpm4, rte_be_to_cpu_32(p.address.v4_be()), p.length, index);
  else
    rc = rte_lpm6_add(t.lpm6, p.address.bytes.data(), p.length, index);
  if (rc < 0) error = fmt::format("cannot add route {}: {}", format_prefix(p), rte_strerror(-rc));
  return rc >= 0;
}

}  // namespace

uint64_t balancing_config_hash(const Config& cfg) {
  std::string text;
  auto out = std::back_inserter(text);
  for (const ServiceConfig& s : cfg.services) {
    fmt::format_to(out, "service {} {} {} ports {} m {} {}\n", s.name, format_ip(s.vip, s.version),
                   s.proto, fmt::join(s.ports, ","), s.table_size, forwarding_name(s.forwarding));
    for (const BackendConfig& b : s.backends) {
      fmt::format_to(out, " backend {} {} {} {}", format_ip(b.address, b.version), b.port, b.weight,
                     b.drain_deadline_ns);
      if (const auto& h = b.health)
        fmt::format_to(out, " health {} {} {} {} {} {} {} {}", static_cast<int>(h->type),
                       h->interval_ns, h->timeout_ns, h->rise, h->fall, h->path, h->expect_status,
                       h->port);
      text += '\n';
    }
  }
  return XXH64(text.data(), text.size(), 0);
}

std::string hash_hex(uint64_t hash) { return fmt::format("{:016x}", hash); }

std::unique_ptr<Tables> build_tables(const Config& cfg, uint64_t generation,
                                     const MacAddress* live_macs, std::string& error,
                                     const HealthOverlay* health) {
  auto t = std::make_unique<Tables>();
  t->generation = generation;
  t->config_hash = balancing_config_hash(cfg);
  const size_t routes = cfg.routes.size() + 2 * kMaxOwnedAddresses + 1;
  // LPM names are global in EAL: the generation keeps them apart across reloads.
  const std::string name4 = fmt::format("routes4_g{}", generation);
  const std::string name6 = fmt::format("routes6_g{}", generation);
  rte_lpm_config c4{};
  c4.max_rules = static_cast<uint32_t>(routes);
  c4.number_tbl8s = 256;
  t->lpm4 = rte_lpm_create(name4.c_str(), SOCKET_ID_ANY, &c4);
  rte_lpm6_config c6{};
  c6.max_rules = static_cast<uint32_t>(routes);
  c6.number_tbl8s = 1024;
  t->lpm6 = rte_lpm6_create(name6.c_str(), SOCKET_ID_ANY, &c6);
  if (!t->lpm4 || !t->lpm6) {
    error = fmt::format("cannot create route tables: {}", rte_strerror(rte_errno));
    return nullptr;
  }
  for (uint8_t p = 0; p < kPortCount; ++p) {
    const PortConfig& pc = cfg.ports[p];
    PortTable& pt = t->ports[p];
    pt.mac = pc.mac_set || !live_macs ? pc.mac : live_macs[p];
    pt.mtu = pc.mtu;
    for (const Prefix& a : pc.addresses) {
      if (t->owned_count == kMaxOwnedAddresses) {
        error = fmt::format("more than {} port addresses", kMaxOwnedAddresses);
        return nullptr;
      }
      t->owned[t->owned_count++] = {a.address, a.version, p};
      if (a.version == 4 && !pt.has_v4) pt.v4 = a.address, pt.has_v4 = true;
      if (a.version == 6 && !pt.has_v6) pt.v6 = a.address, pt.has_v6 = true;
      const Prefix net = network_of(a);
      pt.prefixes.push_back(net);
      if (!add_route(*t, net, {p, a.version, false, {}}, error)) return nullptr;
    }
  }
  for (const RouteConfig& r : cfg.routes) {
    NextHop hop{r.port, r.prefix.version, r.via.has_value(), r.via.value_or(IpAddress{})};
    if (!add_route(*t, r.prefix, hop, error)) return nullptr;
  }
  t->static_neighbours = cfg.neighbours;
  t->conntrack = cfg.conntrack;
  t->snat = cfg.snat;
  // The public address is gauntlet's on the outside port: ARP for it is answered.
  if (cfg.snat.enabled && t->owner_of(cfg.snat.address, 4) == kNoPort) {
    if (t->owned_count == kMaxOwnedAddresses) {
      error = fmt::format("more than {} owned addresses", kMaxOwnedAddresses);
      return nullptr;
    }
    t->owned[t->owned_count++] = {cfg.snat.address, 4, static_cast<uint8_t>(PortRole::outside)};
  }
  for (size_t s = 0; s < cfg.services.size(); ++s) {
    const ServiceConfig& svc = cfg.services[s];
    const std::vector<uint8_t> none(svc.backends.size(), 0);
    const auto flags = [&](const std::vector<std::vector<uint8_t>>* v) {
      std::vector<uint8_t> out = v && s < v->size() ? (*v)[s] : none;
      out.resize(svc.backends.size(), 0);
      return out;
    };
    std::vector<uint8_t> down = flags(health ? &health->down : nullptr);
    std::vector<MaglevBackend> keys;
    for (size_t i = 0; i < svc.backends.size(); ++i) {
      const BackendConfig& b = svc.backends[i];
      // A down backend keeps its key and place in the list (weight 0): indexes stay stable.
      keys.push_back(
          {*maglev_backend_key(format_ip(b.address, b.version), b.port), down[i] ? 0 : b.weight});
    }
    auto table = MaglevTable::build(keys, svc.table_size, error);
    if (!table) {
      error = fmt::format("service {}: {}", svc.name, error);
      return nullptr;
    }
    const uint64_t table_hash = maglev_table_hash(*table, keys);
    t->services.push_back({svc.name,
                           svc.vip,
                           svc.version,
                           svc.proto,
                           svc.ports,
                           svc.backends,
                           std::move(*table),
                           std::move(down),
                           flags(health ? &health->drain_expired : nullptr),
                           {},
                           false});
    CompiledService& compiled = t->services.back();
    compiled.forwarding = svc.forwarding;
    compiled.table_hash = table_hash;
    for (uint8_t r : compiled.reset_flows) compiled.any_reset = compiled.any_reset || r;
    for (const BackendConfig& b : svc.backends) {
      compiled.probe_requests.push_back(b.health && b.health->type == HealthConfig::Type::http
                                            ? http_probe_request(*b.health, b)
                                            : std::string());
      compiled.reports_backends = compiled.reports_backends || b.health || b.weight == 0;
    }
    if (svc.probe_port_lo) {
      t->probe_port_lo = svc.probe_port_lo;
      t->probe_port_hi = svc.probe_port_hi;
    }
    // The VIP is answered for (ARP/ND) on the outside port; a pool (proxy) has none.
    if (svc.version != 0 && t->owner_of(svc.vip, svc.version) == kNoPort) {
      if (t->owned_count == kMaxOwnedAddresses) {
        error = fmt::format("more than {} owned addresses", kMaxOwnedAddresses);
        return nullptr;
      }
      t->owned[t->owned_count++] = {svc.vip, svc.version, static_cast<uint8_t>(PortRole::outside)};
    }
  }
  t->proxy = build_proxy_tables(cfg);
  const AclList* lists[2] = {&cfg.firewall, &cfg.allowlist};
  for (int d = 0; d < 2; ++d) {
    CompiledAcl& acl = t->acl[d];
    acl.default_action = lists[d]->default_action;
    for (const AclRule& r : lists[d]->rules) {
      acl.verdicts.push_back(static_cast<uint8_t>((r.action == RuleAction::allow ? kAclAllow : 0) |
                                                  (r.log ? kAclLog : 0)));
      acl.ids.push_back(r.id);
    }
    const char* layer = d == 0 ? "firewall" : "allowlist";
    acl.classifier =
        AclClassifier::build(lists[d]->rules, fmt::format("{}_g{}", layer, generation), error);
    if (!acl.classifier) {
      error = fmt::format("{}: {}", layer, error);
      return nullptr;
    }
    if (!lists[d]->rules.empty())
      fmt::print(stderr, "gauntlet: {}: {} rules compiled in {:.1f} ms\n", layer,
                 lists[d]->rules.size(), acl.classifier->build_seconds() * 1e3);
  }
  t->waf_policies = compile_waf_policies(cfg);
  if (cfg.waf.enabled) {
    t->waf_ = build_waf_engine(cfg.waf, error);
    if (!t->waf_) return nullptr;
    for (uint32_t w = 0; w < cfg.workers; ++w) {
      t->waf_scratch_.push_back(make_waf_scratch(*t->waf_));
      if (!t->waf_scratch_.back()) {
        error = "waf: cannot allocate scratch";
        return nullptr;
      }
    }
  }
  return t;
}

}  // namespace gauntlet
