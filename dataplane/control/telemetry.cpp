#include "dataplane/control/telemetry.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <fmt/format.h>
#include <shared_mutex>
#include <thread>

#include <rte_telemetry.h>

#include "dataplane/control/report.h"

namespace gauntlet {

namespace {

// Commands cannot be unregistered: they find the live run here, or nothing.
std::shared_mutex g_lock;
Operations* g_ops = nullptr;

// rte_telemetry copies strings as they are into its JSON: keep them to characters that need
// no escaping, and within its length limit.
std::string plain(std::string_view s) {
  std::string out(s.substr(0, RTE_TEL_MAX_STRING_LEN - 1));
  for (char& c : out)
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = '\'';
  return out;
}

// Dict names may hold only letters, digits, '_' and '/': "firewall:default-deny" is sent as
// "firewall/default_deny".
std::string name(std::string_view s) {
  std::string out(s.substr(0, RTE_TEL_MAX_STRING_LEN - 1));
  for (char& c : out)
    if (c == ':')
      c = '/';
    else if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/')
      c = '_';
  return out;
}

// Hands `row` to `d`; a dict that is full (256 entries) does not take it, so it is freed here.
void add_container(rte_tel_data* d, const std::string& key, rte_tel_data* row) {
  if (rte_tel_data_add_dict_container(d, key.c_str(), row, 0) != 0) rte_tel_data_free(row);
}

void add_string(rte_tel_data* d, const char* key, std::string_view value) {
  rte_tel_data_add_dict_string(d, key, plain(value).c_str());
}

int stats(const char*, const char* params, rte_tel_data* d, const Operations& ops) {
  if (params && *params) return -EINVAL;
  const Totals t = ops.generations->totals(true);
  rte_tel_data_start_dict(d);
  rte_tel_data_add_dict_u64(d, "generation", t.generation);
  add_string(d, "config_hash", hash_hex(ops.generations->view()->config_hash));
  rte_tel_data_add_dict_u64(d, "reloads", ops.reloader->succeeded());
  rte_tel_data_add_dict_u64(d, "reload_failures", ops.reloader->failed());
  rte_tel_data_add_dict_u64(d, "workers", ops.workers.size());
  rte_tel_data_add_dict_u64(d, "uptime_s", (realtime_ns() - ops.started_ns) / 1000000000u);
  for (uint8_t p = 0; p < kPortCount; ++p) {
    const std::string name = port_role_name(p);
    rte_tel_data_add_dict_u64(d, ("rx_" + name).c_str(), t.rx[p]);
    rte_tel_data_add_dict_u64(d, ("tx_" + name).c_str(), t.tx[p]);
  }
  rte_tel_data_add_dict_u64(d, "tx_refused", t.tx_dropped[0] + t.tx_dropped[1]);
  uint64_t stopped = 0;
  for (size_t dir = 0; dir < kDirections; ++dir)
    for (size_t l = 0; l < kLayers; ++l)
      stopped += t.outcomes[dir][l][static_cast<size_t>(Outcome::stop)];
  rte_tel_data_add_dict_u64(d, "stopped", stopped);
  rte_tel_data_add_dict_u64(d, "records_lost", t.records_lost);
  rte_tel_data_add_dict_u64(d, "flows_active", t.flows_active);
  rte_tel_data_add_dict_u64(d, "flows_capacity", t.flow_capacity);
  rte_tel_data_add_dict_u64(d, "flows_created", t.flows_created);
  rte_tel_data_add_dict_u64(d, "flows_expired", t.flows_expired);
  rte_tel_data_add_dict_u64(d, "events_written", ops.events->written());
  rte_tel_data_add_dict_u64(d, "events_suppressed", ops.events->suppressed());
  rte_tel_data_add_dict_u64(d, "events_lost", ops.events->lost());
  return 0;
}

// One entry per direction/layer pair the layer acts in: its outcomes, then its reasons.
int layers(const char*, const char* params, rte_tel_data* d, const Operations& ops) {
  if (params && *params) return -EINVAL;
  const Totals t = ops.generations->totals(true);
  rte_tel_data_start_dict(d);
  rte_tel_data_add_dict_u64(d, "generation", t.generation);
  for (size_t dir = 0; dir < kDirections; ++dir) {
    for (size_t l = 0; l < kLayers; ++l) {
      if (!(kLayerDirections[l] & (1u << dir))) continue;
      rte_tel_data* row = rte_tel_data_alloc();
      if (!row) return -ENOMEM;
      rte_tel_data_start_dict(row);
      uint64_t seen = 0;
      for (size_t o = 0; o < kOutcomes; ++o) seen += t.outcomes[dir][l][o];
      rte_tel_data_add_dict_u64(row, "seen", seen);
      for (size_t o = 0; o < kOutcomes; ++o)
        rte_tel_data_add_dict_u64(row, name(kOutcomeNames[o]).c_str(), t.outcomes[dir][l][o]);
      for (size_t r = 1; r < kReasons; ++r)
        if (kReasonLayers[r] == static_cast<Layer>(l) && t.reasons[dir][r] > 0)
          rte_tel_data_add_dict_u64(row, name(kReasonNames[r]).c_str(), t.reasons[dir][r]);
      const std::string key = fmt::format("{}/{}", kDirectionNames[dir], kLayerNames[l]);
      add_container(d, key, row);
    }
  }
  return 0;
}

// No parameter: one entry per service. A service's name: that service, a row per backend.
int services(const char*, const char* params, rte_tel_data* d, const Operations& ops) {
  const std::string want = params ? params : "";
  const FlowAnswer flows = ops.flows->ask(nullptr, 0, 0, 1000);
  const auto view = ops.generations->view();
  const GenerationView& t = *view;
  {
    rte_tel_data_start_dict(d);
    if (want.empty()) {
      for (const ServiceView& s : t.services) {
        rte_tel_data* row = rte_tel_data_alloc();
        if (!row) return -ENOMEM;
        rte_tel_data_start_dict(row);
        add_string(row, "vip", format_ip(s.vip, s.version));
        add_string(row, "protocol", s.proto == 6 ? "tcp" : "udp");
        add_string(row, "ports", fmt::format("{}", fmt::join(s.ports, ",")));
        rte_tel_data_add_dict_u64(row, "backends", s.backends.size());
        add_string(row, "forwarding", forwarding_name(s.forwarding));
        add_string(row, "maglev_hash", hash_hex(s.maglev_hash));
        add_container(d, name(s.name), row);
      }
      return 0;
    }
    for (size_t i = 0; i < t.services.size(); ++i) {
      const ServiceView& s = t.services[i];
      if (s.name != want) continue;
      add_string(d, "name", s.name);
      add_string(d, "vip", format_ip(s.vip, s.version));
      rte_tel_data_add_dict_u64(d, "generation", t.generation);
      add_string(d, "config_hash", hash_hex(t.config_hash));
      add_string(d, "forwarding", forwarding_name(s.forwarding));
      add_string(d, "maglev_hash", hash_hex(s.maglev_hash));
      rte_tel_data_add_dict_int(d, "flows_complete", flows.complete ? 1 : 0);
      for (size_t b = 0; b < s.backends.size(); ++b) {
        rte_tel_data* row = rte_tel_data_alloc();
        if (!row) return -ENOMEM;
        rte_tel_data_start_dict(row);
        add_string(row, "address", backend_name(s.backends[b]));
        rte_tel_data_add_dict_u64(row, "weight", s.backends[b].weight);
        rte_tel_data_add_dict_u64(row, "flows", flows_to_backend(flows.backends, i, s.backends[b]));
        if (b < s.down.size()) add_string(row, "health", s.down[b] ? "down" : "up");
        add_container(d, fmt::format("backend{}", b), row);
      }
      return 0;
    }
    return -EINVAL;  // no such service
  }
}

// Parameters: "[N][,ADDRESS]" or "ADDRESS": the N (default 10) largest flows by bytes,
// optionally only those with ADDRESS at one end.
int flows(const char*, const char* params, rte_tel_data* d, const Operations& ops) {
  std::string_view p = params ? params : "";
  uint32_t limit = 10;
  IpAddress address{};
  uint8_t version = 0;
  const size_t comma = p.find(',');
  std::string_view first = p.substr(0, comma);
  std::string_view rest = comma == std::string_view::npos ? "" : p.substr(comma + 1);
  if (!first.empty()) {
    auto [end, ec] = std::from_chars(first.data(), first.data() + first.size(), limit);
    if (ec != std::errc{} || end != first.data() + first.size()) {
      if (comma != std::string_view::npos) return -EINVAL;
      rest = first;  // just an address
      limit = 10;
    }
  }
  if (limit == 0 || limit > kFlowTopMax) return -EINVAL;
  if (!rest.empty()) {
    version = parse_ip(std::string(rest), address);
    if (version == 0) return -EINVAL;
  }
  const FlowAnswer a = ops.flows->ask(version ? &address : nullptr, version, limit, 1000);
  const auto view = ops.generations->view();
  {
    rte_tel_data_start_dict(d);
    rte_tel_data_add_dict_u64(d, "matched", a.matched);
    rte_tel_data_add_dict_int(d, "complete", a.complete ? 1 : 0);
    for (size_t i = 0; i < a.top.size(); ++i) {
      const FlowSample& f = a.top[i];
      const FlowEndpoint src = f.original_is_lo ? FlowEndpoint{f.key.lo_addr, f.key.lo_port}
                                                : FlowEndpoint{f.key.hi_addr, f.key.hi_port};
      const FlowEndpoint dst = f.original_is_lo ? FlowEndpoint{f.key.hi_addr, f.key.hi_port}
                                                : FlowEndpoint{f.key.lo_addr, f.key.lo_port};
      rte_tel_data* row = rte_tel_data_alloc();
      if (!row) return -ENOMEM;
      rte_tel_data_start_dict(row);
      rte_tel_data_add_dict_int(row, "proto", f.key.proto);
      add_string(row, "src", format_ip(src.addr, f.key.version));
      rte_tel_data_add_dict_int(row, "sport", src.port);
      add_string(row, "dst", format_ip(dst.addr, f.key.version));
      rte_tel_data_add_dict_int(row, "dport", dst.port);
      rte_tel_data_add_dict_u64(row, "bytes", f.bytes);
      rte_tel_data_add_dict_u64(row, "packets", f.packets);
      rte_tel_data_add_dict_int(row, "worker", f.worker);
      if (f.key.proto == 6)
        add_string(row, "state", tcp_state_name(static_cast<TcpState>(f.state)));
      if (f.nat == NatKind::source)
        add_string(row, "snat", fmt::format("{}:{}", format_ip(f.nat_addr, 4), f.nat_port));
      std::string service;
      if (f.nat == NatKind::destination)
        if (const BackendConfig* b = backend_of(*view, f.backend, &service))
          add_string(row, "backend", fmt::format("{} {}", service, backend_name(*b)));
      add_container(d, std::to_string(i + 1), row);
    }
    return 0;
  }
}

int nat(const char*, const char* params, rte_tel_data* d, const Operations& ops) {
  if (params && *params) return -EINVAL;
  const Totals totals = ops.generations->totals(true);
  const auto view = ops.generations->view();
  const GenerationView& t = *view;
  {
    rte_tel_data_start_dict(d);
    rte_tel_data_add_dict_int(d, "enabled", t.snat.enabled ? 1 : 0);
    add_string(d, "address", t.snat.enabled ? format_ip(t.snat.address, 4) : "");
    rte_tel_data_add_dict_u64(d, "port_lo", t.snat.port_lo);
    rte_tel_data_add_dict_u64(d, "port_hi", t.snat.port_hi);
    rte_tel_data_add_dict_u64(d, "max_ports_per_host", t.snat.max_ports_per_host);
    // Each protocol has the whole range, split between the workers.
    const uint64_t capacity = uint64_t{t.snat.port_hi} - t.snat.port_lo + 1;
    static constexpr const char* kNames[kNatProtocols] = {"tcp", "udp", "icmp"};
    for (size_t p = 0; p < kNatProtocols; ++p) {
      rte_tel_data_add_dict_u64(d, fmt::format("{}_in_use", kNames[p]).c_str(),
                                totals.nat_ports_in_use[p]);
      rte_tel_data_add_dict_u64(d, fmt::format("{}_capacity", kNames[p]).c_str(), capacity);
    }
    return 0;
  }
}

// Asks the control loop for a reload and waits (up to 5 s) for its outcome.
int reload(const char*, const char* params, rte_tel_data* d, const Operations& ops) {
  if (params && *params) return -EINVAL;
  const uint64_t ok = ops.reloader->succeeded(), failed = ops.reloader->failed();
  ops.reloader->request();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (ops.reloader->succeeded() == ok && ops.reloader->failed() == failed &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  rte_tel_data_start_dict(d);
  const char* result = ops.reloader->succeeded() != ok    ? "ok"
                       : ops.reloader->failed() != failed ? "failed"
                                                          : "pending";
  rte_tel_data_add_dict_string(d, "result", result);
  rte_tel_data_add_dict_u64(d, "generation", ops.generations->generation());
  rte_tel_data_add_dict_u64(d, "reload_failures", ops.reloader->failed());
  return 0;
}

using Handler = int (*)(const char*, const char*, rte_tel_data*, const Operations&);

template <Handler H>
int guarded(const char* cmd, const char* params, rte_tel_data* d) {
  std::shared_lock lock(g_lock);
  if (!g_ops) return -ENODEV;
  try {
    return H(cmd, params, d, *g_ops);
  } catch (const std::exception&) {
    return -ENOMEM;  // an allocation failed; the command answers with an error
  }
}

}  // namespace

void attach_telemetry(Operations* ops) {
  static const bool registered = [] {
    rte_telemetry_register_cmd("/gauntlet/stats", guarded<stats>,
                               "Packets in and out, flows, reloads, event log. No parameters");
    rte_telemetry_register_cmd("/gauntlet/layers", guarded<layers>,
                               "Per direction and layer: outcomes and reasons. No parameters");
    rte_telemetry_register_cmd(
        "/gauntlet/services", guarded<services>,
        "Services (forwarding, Maglev table hash); with a service name: its backends, weights "
        "and flows. Parameter: [name]");
    rte_telemetry_register_cmd(
        "/gauntlet/flows", guarded<flows>,
        "Largest flows by bytes. Parameters: [N][,address] (N up to 32, default 10)");
    rte_telemetry_register_cmd("/gauntlet/nat", guarded<nat>,
                               "SNAT address and port pool usage. No parameters");
    rte_telemetry_register_cmd("/gauntlet/reload", guarded<reload>,
                               "Reload the config file; answers ok, failed or pending");
    return true;
  }();
  (void)registered;
  std::unique_lock lock(g_lock);
  g_ops = ops;
}

void detach_telemetry() {
  std::unique_lock lock(g_lock);
  g_ops = nullptr;
}

}  // namespace gauntlet
