// Instance identity and readiness for scale-out: two builds of the same balancing config give
// the same config hash and Maglev table hashes (and a changed backend, weight or health state
// a different one, while per-instance parts of the file do not count); GET /api/vips and the
// Prometheus families say which VIPs are ready to be announced.
#include <fmt/format.h>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

#include "dataplane/control/admin_health.h"
#include "dataplane/control/readiness.h"
#include "dataplane/control/tables.h"
#include "tests/unit/eal_environment.h"

namespace gauntlet {
namespace {

const auto* const kEal = ::testing::AddGlobalTestEnvironment(new gauntlet::testing::EalEnvironment);

// `instance`: the last byte of the port addresses and the MACs, which differ per machine.
std::string config_text(int instance, const std::string& web_backends) {
  return fmt::format(R"(ports:
  outside: {{ mac: 02:00:00:00:00:0{0}, addresses: [198.51.100.{0}/24] }}
  inside: {{ mac: 02:00:00:00:01:0{0}, addresses: [10.0.0.{0}/24] }}
routes:
  - {{ prefix: 0.0.0.0/0, port: outside, via: 198.51.100.254 }}
services:
  - name: web
    vip: 198.51.100.10
    ports: [80]
    forwarding: dsr-ipip
    backends:
{1}
  - name: api
    vip: 198.51.100.11
    ports: [8080]
    backends:
      - {{ address: 10.0.0.20, port: 8080, weight: 0 }}
)",
                     instance, web_backends);
}

const char* const kWeb =
    "      - { address: 10.0.0.10, port: 80 }\n"
    "      - { address: 10.0.0.11, port: 80, weight: 2 }\n"
    "      - { address: 10.0.0.12, port: 80 }";

Config load(const std::string& text) {
  const std::string path = "/tmp/lb_identity_test_" + std::to_string(getpid()) + ".yaml";
  std::ofstream(path) << text;
  std::vector<ConfigError> errors;
  auto cfg = load_config(path, errors);
  std::remove(path.c_str());
  for (const ConfigError& e : errors) ADD_FAILURE() << e.to_string();
  return cfg.value_or(Config{});
}

std::unique_ptr<Tables> build(const Config& cfg, uint64_t generation,
                              const HealthOverlay* health = nullptr) {
  std::string error;
  auto t = build_tables(cfg, generation, nullptr, error, health);
  EXPECT_TRUE(t) << error;
  return t;
}

// What identifies a build; its tables (route tables, ACL contexts in EAL memory) are freed.
struct Identity {
  uint64_t config = 0;
  std::vector<uint64_t> tables;
};
Identity identity(const Config& cfg, uint64_t generation, const HealthOverlay* health = nullptr) {
  const auto t = build(cfg, generation, health);
  Identity id;
  if (!t) return id;
  id.config = t->config_hash;
  for (const CompiledService& s : t->services) id.tables.push_back(s.table_hash);
  return id;
}

TEST(LbIdentity, TheSameConfigOnTwoInstancesGivesTheSameHashes) {
  // Instance 1 and 2 differ in their own addresses and MACs only.
  const auto a = build(load(config_text(1, kWeb)), 11);
  const auto b = build(load(config_text(2, kWeb)), 12);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->config_hash, b->config_hash);
  ASSERT_EQ(a->services.size(), 2u);
  for (size_t s = 0; s < 2; ++s) {
    EXPECT_EQ(a->services[s].table_hash, b->services[s].table_hash) << s;
    EXPECT_TRUE(std::equal(a->services[s].table.slots().begin(), a->services[s].table.slots().end(),
                           b->services[s].table.slots().begin()));
  }
  EXPECT_NE(a->services[0].table_hash, a->services[1].table_hash);
  EXPECT_EQ(hash_hex(a->config_hash).size(), 16u);
}

TEST(LbIdentity, ADifferentBackendWeightOrHealthStateGivesADifferentHash) {
  const Config base_cfg = load(config_text(1, kWeb));
  const Identity base = identity(base_cfg, 21);
  std::string weight = kWeb;
  weight.replace(weight.find("weight: 2"), 9, "weight: 3");
  const Identity reweighted = identity(load(config_text(1, weight)), 22);
  std::string other = kWeb;
  other.replace(other.find("10.0.0.12"), 9, "10.0.0.13");
  const Identity moved = identity(load(config_text(1, other)), 23);
  ASSERT_EQ(base.tables.size(), 2u);
  ASSERT_EQ(reweighted.tables.size(), 2u);
  ASSERT_EQ(moved.tables.size(), 2u);
  EXPECT_NE(base.config, reweighted.config);
  EXPECT_NE(base.tables[0], reweighted.tables[0]);
  EXPECT_NE(base.config, moved.config);
  EXPECT_NE(base.tables[0], moved.tables[0]);
  // The other service did not change, nor did its table.
  EXPECT_EQ(base.tables[1], reweighted.tables[1]);
  // A backend taken down by health checks changes the table (not the config).
  HealthOverlay down;
  down.down = {{0, 1, 0}};
  const Identity health = identity(base_cfg, 24, &down);
  ASSERT_EQ(health.tables.size(), 2u);
  EXPECT_EQ(base.config, health.config);
  EXPECT_NE(base.tables[0], health.tables[0]);
  // ...and the same on an instance whose checks agree.
  const Identity agreeing = identity(load(config_text(2, kWeb)), 25, &down);
  ASSERT_EQ(agreeing.tables.size(), 2u);
  EXPECT_EQ(health.tables[0], agreeing.tables[0]);
}

TEST(LbIdentity, VipsAreReadyWhenTheDataplaneRunsAndABackendTakesFlows) {
  const Config cfg = load(config_text(1, kWeb));
  Published published(1);
  Worker worker(0, cfg, 1);
  std::vector<Worker*> workers{&worker};
  Generations generations(published, nullptr, workers);
  std::string error;
  ASSERT_EQ(generations.publish(cfg, error), 1u) << error;
  DataplaneStatus status;
  status.tsc_hz = 1000000000;  // 1 GHz: 5 s is 5e9 cycles
  Operations ops;
  ops.workers = workers;
  ops.generations = &generations;
  const std::string hash = hash_hex(generations.view()->config_hash);
  const std::string web = hash_hex(generations.view()->services[0].maglev_hash);
  const std::string api = hash_hex(generations.view()->services[1].maglev_hash);

  // Not a live run: nothing is ready.
  EXPECT_EQ(vips_json(ops, 1), R"({"generation":1,"config_hash":")" + hash +
                                   R"(","dataplane":"stopped","vips":[)"
                                   R"({"service":"web","vip":"198.51.100.10","ports":[80],)"
                                   R"("protocol":"tcp","forwarding":"dsr-ipip","ready":false,)"
                                   R"("healthy_backends":3,"backends":3,"maglev_hash":")" +
                                   web +
                                   R"("},{"service":"api","vip":"198.51.100.11","ports":[8080],)"
                                   R"("protocol":"tcp","forwarding":"dnat","ready":false,)"
                                   R"("healthy_backends":0,"backends":1,"maglev_hash":")" +
                                   api + R"("}]})");
  ops.dataplane = &status;
  EXPECT_STREQ(dataplane_state(ops, 1), "starting");
  status.started = true;
  EXPECT_STREQ(dataplane_state(ops, 1), "link-down");
  status.link_up[0] = status.link_up[1] = true;
  EXPECT_STREQ(dataplane_state(ops, 1), "stalled");  // the worker has not polled yet
  worker.counters.heartbeat_tsc.set(1000);
  EXPECT_STREQ(dataplane_state(ops, 2000), "running");
  const std::string json = vips_json(ops, 2000);
  EXPECT_NE(json.find(R"("dataplane":"running")"), std::string::npos);
  // web has backends taking flows; api's only backend is drained (weight 0).
  EXPECT_NE(json.find(R"("forwarding":"dsr-ipip","ready":true,"healthy_backends":3)"),
            std::string::npos);
  EXPECT_NE(json.find(R"("forwarding":"dnat","ready":false,"healthy_backends":0)"),
            std::string::npos);
  const std::string metrics = readiness_metrics(ops, 2000);
  EXPECT_NE(metrics.find("gauntlet_vip_ready{service=\"web\",vip=\"198.51.100.10\"} 1\n"),
            std::string::npos);
  EXPECT_NE(metrics.find("gauntlet_vip_ready{service=\"api\",vip=\"198.51.100.11\"} 0\n"),
            std::string::npos);
  EXPECT_NE(metrics.find("gauntlet_config_generation 1\n"), std::string::npos);
  EXPECT_NE(metrics.find("gauntlet_config_info{hash=\"" + hash + "\"} 1\n"), std::string::npos);
  EXPECT_NE(metrics.find("gauntlet_maglev_table_info{service=\"web\",hash=\"" + web + "\"} 1\n"),
            std::string::npos);
  // Six seconds without a heartbeat: stalled, and no VIP is ready.
  EXPECT_STREQ(dataplane_state(ops, 1000 + 6000000000ull), "stalled");
  EXPECT_NE(readiness_metrics(ops, 1000 + 6000000000ull)
                .find("gauntlet_vip_ready{service=\"web\",vip=\"198.51.100.10\"} 0\n"),
            std::string::npos);
  // Health checks take every web backend down: web is withdrawn too.
  HealthOverlay overlay;
  overlay.down = {{1, 1, 1}, {0}};
  generations.use_health_overlay(&overlay);
  ASSERT_EQ(generations.publish(cfg, error), 2u) << error;
  EXPECT_NE(vips_json(ops, 2000).find(
                R"("forwarding":"dsr-ipip","ready":false,"healthy_backends":0,"backends":3)"),
            std::string::npos);
  EXPECT_NE(hash_hex(generations.view()->services[0].maglev_hash), web);
}

TEST(LbIdentity, AnAdminStateFromOutsideTakesABackendOutAndAutoGivesItBack) {
  const Config cfg = load(config_text(1, kWeb));
  Published published(1);
  Generations generations(published, nullptr, {});
  AdminHealth admin;
  generations.use_admin_health(&admin);
  std::string error;
  ASSERT_EQ(generations.publish(cfg, error), 1u) << error;
  const uint64_t before = generations.view()->services[0].maglev_hash;
  // The shared source of truth says 10.0.0.11:80 is down; health checks (none here) said up.
  const uint64_t ticket = admin.set("web", "10.0.0.11:80", AdminState::down);
  uint64_t taken = 0;
  const auto changes = admin.take(taken);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(taken, ticket);
  ASSERT_EQ(generations.publish(cfg, error), 2u) << error;
  admin.done(taken);
  EXPECT_EQ(admin.applied(), ticket);
  const ServiceView& web = generations.view()->services[0];
  EXPECT_NE(web.maglev_hash, before);
  EXPECT_EQ(healthy_backends(web), 2u);
  ASSERT_EQ(web.down.size(), 3u);
  EXPECT_EQ(web.down[1], 1);
  // Another instance told the same builds the same table.
  Published other_published(1);
  Generations other(other_published, nullptr, {});
  other.use_admin_health(&admin);
  ASSERT_EQ(other.publish(load(config_text(2, kWeb)), error), 1u) << error;
  EXPECT_EQ(other.view()->services[0].maglev_hash, web.maglev_hash);
  // Handed back to the checks: the table is what it was.
  admin.set("web", "10.0.0.11:80", AdminState::automatic);
  admin.take(taken);
  ASSERT_EQ(generations.publish(cfg, error), 3u) << error;
  EXPECT_EQ(generations.view()->services[0].maglev_hash, before);
  // up overrides a health check's down.
  HealthOverlay checks;
  checks.down = {{1, 0, 0}};
  generations.use_health_overlay(&checks);
  admin.set("web", "10.0.0.10:80", AdminState::up);
  ASSERT_EQ(generations.publish(cfg, error), 4u) << error;
  EXPECT_EQ(generations.view()->services[0].maglev_hash, before);
}

}  // namespace
}  // namespace gauntlet
