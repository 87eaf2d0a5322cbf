// The operations pieces that need no EAL: the event log's rate limit, suppressed records,
// rotation and write failures; the metrics:/events: config keys; reload's restart-only check.
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>
#include <vector>

#include "dataplane/control/config.h"
#include "dataplane/control/event_log.h"
#include "dataplane/control/reload.h"
#include "dataplane/waf/waf_flows.h"

namespace gauntlet {
namespace {

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() /
          (std::string("gauntlet-ops-") + std::to_string(getpid()) + "-" + name))
      .string();
}

TEST(EventLog, RateLimitHoldsBackAndSaysHowMany) {
  const std::string path = temp_path("limit.jsonl");
  std::filesystem::remove(path);
  {
    EventLog log(path, EventsConfig{10, 5});
    const uint64_t t = monotonic_ns();
    for (int i = 0; i < 20; ++i) log.packet_event(R"({"event":"stop","n":1})", t);
    log.control_event(R"({"event":"reload","generation":2})");  // never held back
    EXPECT_EQ(log.suppressed(), 15u);
    log.close();
    EXPECT_EQ(log.written(), 5u + 1u + 1u);
  }
  const auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[5], R"({"event":"reload","generation":2})");
  EXPECT_NE(lines[6].find(R"("event":"suppressed")"), std::string::npos);
  EXPECT_NE(lines[6].find(R"("count":15)"), std::string::npos);
  std::filesystem::remove(path);
}

TEST(EventLog, TokensComeBackWithTime) {
  const std::string path = temp_path("refill.jsonl");
  std::filesystem::remove(path);
  EventLog log(path, EventsConfig{1000, 1});
  const uint64_t t = monotonic_ns();
  log.packet_event(R"({"event":"stop"})", t);
  log.packet_event(R"({"event":"stop"})", t);             // no token left
  log.packet_event(R"({"event":"stop"})", t + 2000000u);  // 2 ms later: one token back
  EXPECT_EQ(log.suppressed(), 1u);
  log.close();
  std::filesystem::remove(path);
}

TEST(EventLog, StreamLinesAreClassified) {
  const std::string path = temp_path("stream.jsonl");
  std::filesystem::remove(path);
  EventLog log(path, EventsConfig{1, 1});
  // Written in pieces, as stdio hands them over: only whole lines count.
  fputs(R"({"event":"stop","a":1})"
        "\n"
        R"({"event":"log",)",
        log.stream());
  fputs(R"("b":2})"
        "\n"
        R"({"event":"health","c":3})"
        "\n",
        log.stream());
  log.flush();
  EXPECT_EQ(log.suppressed(), 1u);  // the second packet event; health is a control record
  log.close();
  const auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], R"({"event":"stop","a":1})");
  EXPECT_EQ(lines[1], R"({"event":"health","c":3})");
  std::filesystem::remove(path);
}

TEST(EventLog, ReopenFollowsRotation) {
  const std::string path = temp_path("rotate.jsonl");
  std::filesystem::remove(path);
  EventLog log(path, EventsConfig{});
  log.control_event(R"({"event":"one"})");
  log.flush();
  std::filesystem::rename(path, path + ".1");
  ASSERT_TRUE(log.reopen());
  log.control_event(R"({"event":"two"})");
  log.close();
  EXPECT_EQ(lines_of(path + ".1"), std::vector<std::string>{R"({"event":"one"})"});
  EXPECT_EQ(lines_of(path), std::vector<std::string>{R"({"event":"two"})"});
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".1");
}

TEST(EventLog, UnwritableLogsCountLostLines) {
  EventLog full("/dev/full", EventsConfig{});
  full.control_event(R"({"event":"x"})");
  full.control_event(R"({"event":"y"})");
  full.flush();
  EXPECT_EQ(full.lost(), 2u);
  EXPECT_EQ(full.written(), 0u);
  EXPECT_GE(full.write_errors(), 1u);

  EventLog missing("/nonexistent-gauntlet-dir/events.jsonl", EventsConfig{});
  missing.control_event(R"({"event":"x"})");
  missing.flush();
  EXPECT_EQ(missing.lost(), 1u);
  EXPECT_FALSE(missing.reopen());
}

Config load(const std::string& extra, std::vector<ConfigError>& errors) {
  const std::string path = temp_path("ops.yaml");
  std::ofstream(path) << "ports:\n"
                         "  outside: { mac: 02:00:00:00:00:01, addresses: [198.51.100.1/24] }\n"
                         "  inside: { mac: 02:00:00:00:00:02, addresses: [10.0.0.1/24] }\n"
                      << extra;
  auto cfg = load_config(path, errors);
  std::filesystem::remove(path);
  return cfg.value_or(Config{});
}

TEST(OpsConfig, MetricsAndEventsKeys) {
  std::vector<ConfigError> errors;
  Config off = load("", errors);
  EXPECT_FALSE(off.metrics.enabled);
  Config on = load("metrics: {}\nevents: { per_second: 50 }\n", errors);
  EXPECT_TRUE(on.metrics.enabled);
  EXPECT_EQ(on.metrics.host, "127.0.0.1");
  EXPECT_EQ(on.metrics.port, 9090);
  EXPECT_EQ(on.events.per_second, 50u);
  EXPECT_EQ(on.events.burst, 50u);
  Config v6 = load("metrics: { listen: \"[::1]:9191\" }\n", errors);
  EXPECT_EQ(v6.metrics.host, "::1");
  EXPECT_EQ(v6.metrics.port, 9191);
  EXPECT_TRUE(errors.empty());
}

TEST(OpsConfig, BadListenNamesTheSpot) {
  std::vector<ConfigError> errors;
  load("metrics: { listen: localhost:90x }\n", errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 4);
  EXPECT_EQ(errors[0].column, 20);
  EXPECT_NE(errors[0].message.find("is not ADDRESS:PORT"), std::string::npos);
}

TEST(Reload, RestartOnlySettingsAreRefused) {
  std::vector<ConfigError> errors;
  Config a = load("", errors);
  Config b = load("workers: 2\nconntrack: { capacity: 1024 }\n", errors);
  Config c = load("firewall: { default: allow }\n", errors);
  ASSERT_TRUE(errors.empty());
  const auto changed = restart_only_changes(a, b);
  ASSERT_EQ(changed.size(), 2u);
  EXPECT_NE(changed[0].message.find("workers changed"), std::string::npos);
  EXPECT_NE(changed[1].message.find("conntrack.capacity changed"), std::string::npos);
  EXPECT_TRUE(restart_only_changes(a, c).empty());  // rules reload
}

// A reload changes a service's WAF settings (each generation compiles its own); turning the
// WAF on in a process that started without it needs a restart (no pool of inspected flows).
TEST(Reload, WafSettingsReloadButTurningTheWafOnNeedsARestart) {
  const std::string rules = temp_path("waf-rules.yaml");
  std::ofstream(rules) << "rules:\n  - { id: \"1\", message: m, family: sqli, fields: [args], "
                          "patterns: ['union\\s+select'] }\n";
  auto with_service = [&](const std::string& waf) {
    return "waf: { rules: [" + rules + "] }\nservices:\n  - name: web\n    vip: 198.51.100.10\n" +
           "    ports: [80]\n" + waf + "    backends:\n      - { address: 10.0.0.10, port: 80 }\n";
  };
  std::vector<ConfigError> errors;
  Config block = load(with_service("    waf: true\n"), errors);
  Config detect = load(with_service("    waf: { mode: detect, threshold: 10 }\n"), errors);
  Config off = load(with_service(""), errors);
  std::filesystem::remove(rules);
  ASSERT_TRUE(errors.empty()) << errors[0].message;
  EXPECT_TRUE(restart_only_changes(block, detect).empty());
  const auto a = compile_waf_policies(block), b = compile_waf_policies(detect);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_FALSE(a[0].detect_only);
  EXPECT_EQ(a[0].threshold, 5u);
  EXPECT_TRUE(b[0].detect_only);
  EXPECT_EQ(b[0].threshold, 10u);
  EXPECT_TRUE(compile_waf_policies(off).empty());
  const auto changed = restart_only_changes(off, block);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_NE(changed[0].message.find("WAF on or off"), std::string::npos);
}

// Backends come and go by reload, health checks or not (the health monitor follows them by
// address:port); health-check settings reload too.
TEST(Reload, BackendListsAndHealthChecksReload) {
  auto service = [](const std::string& health, int first, int backends) {
    std::string s = "services:\n  - name: web\n    vip: 198.51.100.10\n    ports: [80]\n" + health +
                    "    backends:\n";
    for (int i = first; i < first + backends; ++i)
      s += "      - { address: 10.0.0." + std::to_string(10 + i) + ", port: 80 }\n";
    return s;
  };
  std::vector<ConfigError> errors;
  Config one = load(service("", 0, 1), errors), two = load(service("", 0, 2), errors);
  Config checked_one = load(service("    health: { type: tcp }\n", 0, 1), errors);
  Config checked_two = load(service("    health: { type: tcp }\n", 0, 2), errors);
  Config checked_other = load(service("    health: { type: tcp, fall: 5 }\n", 1, 2), errors);
  ASSERT_TRUE(errors.empty()) << errors[0].message;
  EXPECT_TRUE(restart_only_changes(one, two).empty());
  EXPECT_TRUE(restart_only_changes(checked_one, checked_two).empty());
  EXPECT_TRUE(restart_only_changes(checked_two, checked_other).empty());
  EXPECT_TRUE(restart_only_changes(one, checked_one).empty());
  EXPECT_TRUE(restart_only_changes(checked_two, one).empty());
  // What still needs a restart is refused alongside.
  Config checked_workers = checked_other;
  checked_workers.workers = checked_two.workers + 1;
  const auto changed = restart_only_changes(checked_two, checked_workers);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_NE(changed[0].message.find("workers changed"), std::string::npos);
}

}  // namespace
}  // namespace gauntlet
