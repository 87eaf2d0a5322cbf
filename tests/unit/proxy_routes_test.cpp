// l7-route config (mode, routes, default, l7_wait, pool-only services, proxy:) and route
// matching: errors with file:line:col, first match wins, wildcards, case, defaults.
#include <filesystem>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "dataplane/control/config.h"
#include "dataplane/proxy/route_table.h"

namespace gauntlet {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

namespace fs = std::filesystem;

constexpr const char* kPorts =
    "ports:\n"
    "  outside: { mac: 02:00:00:00:00:01, addresses: [198.51.100.1/24] }\n"
    "  inside: { mac: 02:00:00:00:00:02, addresses: [10.0.0.1/24] }\n";

// Lines 4.. : the issue's example (site with five routes and three pools).
constexpr const char* kSite =
    "services:\n"                                                               // 4
    "  - name: site\n"                                                          // 5
    "    vip: 198.51.100.20\n"                                                  // 6
    "    ports: [80, 443]\n"                                                    // 7
    "    protocol: tcp\n"                                                       // 8
    "    mode: l7-route\n"                                                      // 9
    "    routes:\n"                                                             // 10
    "      - { sni: api.site.com, service: site-api }\n"                        // 11
    "      - { host: api.site.com, service: site-api }\n"                       // 12
    "      - { host: \"*.site.com\", path: /static/, service: site-static }\n"  // 13
    "      - { host: site.com, service: site-main }\n"                          // 14
    "      - { sni: site.com, service: site-main }\n"                           // 15
    "    default: site-main\n"                                                  // 16
    "    l7_wait: { bytes: 4096, ms: 1500 }\n"                                  // 17
    "  - name: site-api\n"                                                      // 18
    "    backends: [{ address: 10.0.0.11, port: 8080 }]\n"                      // 19
    "  - name: site-static\n"                                                   // 20
    "    backends: [{ address: 10.0.0.12, port: 8080 }]\n"                      // 21
    "  - name: site-main\n"                                                     // 22
    "    backends: [{ address: 10.0.0.10, port: 8080 }]\n";                     // 23

class ProxyConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("gauntlet-proxy-test-" + std::to_string(::getpid()) + "-" + info->name());
    fs::create_directories(dir_);
    path_ = (dir_ / "gauntlet.yaml").string();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::optional<Config> load(const std::string& text, std::vector<std::string>& errors) {
    std::ofstream(path_, std::ios::trunc) << text;
    std::vector<ConfigError> e;
    auto cfg = load_config(path_, e);
    for (const ConfigError& x : e) errors.push_back(x.to_string());
    return cfg;
  }
  std::vector<std::string> errors_of(const std::string& text) {
    std::vector<std::string> errors;
    EXPECT_FALSE(load(text, errors).has_value());
    return errors;
  }
  std::string at(int line, int column, const std::string& message) const {
    return path_ + ":" + std::to_string(line) + ":" + std::to_string(column) +
           ": error: " + message;
  }
  fs::path dir_;
  std::string path_;
};

TEST_F(ProxyConfigTest, TheIssuesExampleLoads) {
  std::vector<std::string> errors;
  auto cfg = load(std::string(kPorts) + kSite + "proxy: { flows: 64, cookie_secret: " +
                      "000102030405060708090a0b0c0d0e0f, connect_ms: 2000 }\n",
                  errors);
  ASSERT_TRUE(cfg.has_value()) << (errors.empty() ? "" : errors.front());
  ASSERT_EQ(cfg->services.size(), 4u);
  const ServiceProxyConfig& p = cfg->services[0].proxy;
  EXPECT_EQ(p.mode, ServiceProxyConfig::Mode::l7_route);
  EXPECT_EQ(p.routes.size(), 5u);
  EXPECT_EQ(p.routes[2].host, "*.site.com");
  EXPECT_EQ(p.routes[2].path, "/static/");
  EXPECT_EQ(p.default_service, "site-main");
  EXPECT_EQ(p.wait_bytes, 4096u);
  EXPECT_EQ(p.wait_ns, 1500000000ull);
  EXPECT_TRUE(cfg->services[1].proxy.pool_only);
  EXPECT_EQ(cfg->services[1].version, 0);  // no vip: never matched as one
  EXPECT_EQ(cfg->proxy.flows, 64u);
  EXPECT_TRUE(cfg->proxy.secret_set);
  EXPECT_EQ(cfg->proxy.cookie_secret[15], 0x0f);
  EXPECT_EQ(cfg->proxy.connect_ns, 2000000000ull);

  const ProxyTables t = build_proxy_tables(*cfg);
  ASSERT_NE(t.vip(0), nullptr);
  EXPECT_EQ(t.vip(1), nullptr);
  EXPECT_EQ(t.key, cfg->proxy.cookie_secret);
  const ProxyVip& v = *t.vip(0);
  auto tls = [&](std::string_view sni) { return match_route(v, {true, sni, {}, {}}); };
  auto http = [&](std::string_view host, std::string_view path) {
    return match_route(v, {false, {}, host, path});
  };
  EXPECT_EQ(tls("api.site.com").service, 1);
  EXPECT_EQ(tls("api.site.com").route, 0);
  EXPECT_EQ(tls("API.Site.COM").service, 1);  // case-insensitive
  EXPECT_EQ(tls("site.com").service, 3);
  EXPECT_EQ(tls("site.com").route, 4);
  EXPECT_EQ(tls("other.org").route, kDefaultRoute);
  EXPECT_EQ(tls("other.org").service, 3);
  EXPECT_EQ(http("api.site.com", "/static/x").route, 1);  // first match wins
  EXPECT_EQ(http("img.site.com", "/static/a.png").service, 2);
  EXPECT_EQ(http("a.b.site.com", "/static/").service, 2);  // more than one label
  EXPECT_EQ(http("img.site.com", "/other").route, kDefaultRoute);
  EXPECT_EQ(http("site.com", "/static/a.png").route, 3);  // "*.site.com" is not site.com
  EXPECT_EQ(http("site.com.", "/").route, 3);             // a trailing dot is the same name
  EXPECT_EQ(http("xsite.com", "/static/").route, kDefaultRoute);
}

TEST_F(ProxyConfigTest, WithoutDefaultNoMatchIsNoService) {
  std::vector<std::string> errors;
  std::string text = std::string(kPorts) + kSite;
  text.replace(text.find("    default: site-main\n"), 23, "");
  auto cfg = load(text, errors);
  ASSERT_TRUE(cfg.has_value()) << (errors.empty() ? "" : errors.front());
  const ProxyTables t = build_proxy_tables(*cfg);
  EXPECT_EQ(match_route(*t.vip(0), {true, "nope.example", {}, {}}).service, kNoProxyService);
  EXPECT_EQ(match_route(*t.vip(0), {false, {}, "", "/"}).service, kNoProxyService);
}

TEST_F(ProxyConfigTest, UnknownAndUnfitTargetsAreRefused) {
  std::string text = std::string(kPorts) + kSite;
  text.replace(text.find("service: site-static"), 20, "service: site-nope  ");
  text.replace(text.find("default: site-main"), 18, "default: site     ");
  EXPECT_THAT(
      errors_of(text),
      ElementsAre(
          at(13, 9, "route names unknown service 'site-nope'"),
          at(5, 5,
             "default names service 'site', an l7-route service (routes end at a service with "
             "backends)")));
}

TEST_F(ProxyConfigTest, BadNamesWildcardsAndMixedRoutesAreRefused) {
  const std::string text = std::string(kPorts) +
                           "services:\n"
                           "  - name: site\n"
                           "    vip: 198.51.100.20\n"
                           "    ports: [80]\n"
                           "    mode: l7-route\n"
                           "    routes:\n"
                           "      - { host: \"a*.site.com\", service: pool }\n"          // 10
                           "      - { sni: \"*\", service: pool }\n"                     // 11
                           "      - { host: \"*.*.com\", service: pool }\n"              // 12
                           "      - { host: site.com, path: static, service: pool }\n"   // 13
                           "      - { sni: site.com, host: site.com, service: pool }\n"  // 14
                           "      - { host: Site.com, service: pool }\n"                 // 15
                           "      - { host: site.COM, service: pool }\n"                 // 16
                           "  - name: pool\n"
                           "    backends: [{ address: 10.0.0.11, port: 8080 }]\n";
  EXPECT_THAT(
      errors_of(text),
      ElementsAre(at(10, 17, "host 'a*.site.com' is not a host name or '*.' and a host name"),
                  at(11, 16, "sni '*' is not a host name or '*.' and a host name"),
                  at(12, 17, "host '*.*.com' is not a host name or '*.' and a host name"),
                  at(13, 33, "path must start with '/', have no spaces and at most 256 characters"),
                  at(14, 9, "a route matches sni (TLS) or host/path (HTTP), not both")));
}

TEST_F(ProxyConfigTest, ARouteListedTwiceIsRefused) {
  const std::string text = std::string(kPorts) +
                           "services:\n"
                           "  - name: site\n"
                           "    vip: 198.51.100.20\n"
                           "    ports: [80]\n"
                           "    mode: l7-route\n"
                           "    routes:\n"
                           "      - { host: Site.com, service: pool }\n"            // 10
                           "      - { host: site.COM, service: pool }\n"            // 11
                           "      - { host: site.com, path: /a, service: pool }\n"  // 12
                           "      - { sni: site.com, service: pool }\n"             // 13
                           "  - name: pool\n"
                           "    backends: [{ address: 10.0.0.11, port: 8080 }]\n";
  EXPECT_THAT(errors_of(text),
              ElementsAre(at(11, 9,
                             "this route repeats an earlier one of the service (it could "
                             "never match)")));
}

TEST_F(ProxyConfigTest, ModeKeysAndShapesAreChecked) {
  const std::string text = std::string(kPorts) +
                           "services:\n"
                           "  - name: a\n"  // 5
                           "    vip: 198.51.100.20\n"
                           "    ports: [80]\n"
                           "    mode: l7\n"    // 8
                           "    routes: []\n"  // 9
                           "  - name: b\n"     // 10
                           "    vip: 198.51.100.21\n"
                           "    ports: [80]\n"
                           "    mode: l7-route\n"
                           "    backends: [{ address: 10.0.0.11, port: 80 }]\n"  // 14
                           "  - name: c\n"                                       // 15
                           "    vip: 198.51.100.22\n"
                           "    ports: [80]\n"
                           "    mode: l7-route\n"
                           "    default: pool\n"
                           "    l7_wait: { bytes: 10, ms: 0 }\n"  // 20
                           "  - name: pool\n"
                           "    mode: l7-route\n"  // 22
                           "    backends: [{ address: 10.0.0.11, port: 8080 }]\n"
                           "proxy: { flows: 0, cookie_secret: xyz }\n";  // 24
  EXPECT_THAT(
      errors_of(text),
      ElementsAre(
          at(5, 5,
             "a service needs name, vip, ports and backends (a pool reached by routes: name and "
             "backends; an l7-route service: no backends)"),
          at(14, 15, "an l7-route service has no backends of its own: its routes name services"),
          at(10, 5, "an l7-route service needs routes or a default"),
          at(20, 23, "l7_wait.bytes must be a whole number from 64 to 65536, not '10'"),
          at(20, 31, "l7_wait.ms must be a whole number from 1 to 60000, not '0'"),
          at(21, 5, "an l7-route service needs a vip and ports"),
          at(24, 17, "proxy.flows must be a whole number from 1 to 1048576, not '0'"),
          at(24, 35, "cookie_secret must be 32 hex digits (16 bytes)")));
}

TEST_F(ProxyConfigTest, AnIpv6VipRoutesToIpv6BackendsOnly) {
  const std::string text =
      "ports:\n"
      "  outside: { mac: 02:00:00:00:00:01, addresses: [2001:db8:100::1/64] }\n"
      "  inside: { mac: 02:00:00:00:00:02, addresses: [fd00::1/64, 10.0.0.1/24] }\n"
      "services:\n"
      "  - name: site\n"  // 5
      "    vip: 2001:db8:100::20\n"
      "    ports: [80]\n"
      "    mode: l7-route\n"
      "    routes:\n"
      "      - { host: v6.site.com, service: pool6 }\n"  // 10
      "      - { host: v4.site.com, service: pool4 }\n"  // 11
      "  - name: pool6\n"
      "    backends: [{ address: \"fd00::10\", port: 8080 }]\n"
      "  - name: pool4\n"
      "    backends: [{ address: 10.0.0.11, port: 8080 }]\n";
  EXPECT_THAT(errors_of(text),
              ElementsAre(at(11, 9,
                             "route names service 'pool4', whose backends are not all IPv6 like "
                             "the vip of 'site' (the backend sees the client's address)")));
  std::string only6 = text;
  const std::string v4_route = "      - { host: v4.site.com, service: pool4 }\n";
  only6.replace(only6.find(v4_route), v4_route.size(), "");
  std::vector<std::string> errors;
  auto cfg = load(only6, errors);
  ASSERT_TRUE(cfg.has_value()) << (errors.empty() ? "" : errors.front());
  const ProxyTables t = build_proxy_tables(*cfg);
  ASSERT_NE(t.vip(0), nullptr);
  EXPECT_EQ(match_route(*t.vip(0), {false, {}, "v6.site.com", "/"}).service, 1u);
}

TEST_F(ProxyConfigTest, ServicesWithoutModeStayL4) {
  std::vector<std::string> errors;
  auto cfg = load(std::string(kPorts) +
                      "services:\n"
                      "  - name: web\n"
                      "    vip: 198.51.100.30\n"
                      "    ports: [80]\n"
                      "    backends: [{ address: 10.0.0.11, port: 80 }]\n",
                  errors);
  ASSERT_TRUE(cfg.has_value());
  EXPECT_EQ(cfg->services[0].proxy.mode, ServiceProxyConfig::Mode::l4);
  EXPECT_FALSE(build_proxy_tables(*cfg).any);
  EXPECT_THAT(errors, IsEmpty());
}

}  // namespace
}  // namespace gauntlet
