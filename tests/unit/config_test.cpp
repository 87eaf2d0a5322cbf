// Tests for load_config: the shipped default, defaults for missing fields, and every error path
// with its exact "file:line:col: error: message". Each test writes its YAML into its own temp
// directory; no EAL is needed.
#include "dataplane/control/config.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "dataplane/packet/headers.h"

#ifndef GAUNTLET_SOURCE_ROOT
#error "GAUNTLET_SOURCE_ROOT must name the source tree (set in tests/unit/meson.build)"
#endif

namespace gauntlet {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::IsEmpty;
using ::testing::Matcher;
using ::testing::Optional;
using ::testing::ResultOf;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

namespace fs = std::filesystem;

// The message for an unknown top-level key. The list of expected keys grows with each config
// section; the sections this file is about come first, in this order.
Matcher<std::string> unknown_top_level_key(const std::string& key) {
  return AllOf(StartsWith("unknown key '" + key +
                          "' in the config (expected one of: workers, neighbour_capacity, mbufs, "
                          "ports, routes, neighbours"),
               EndsWith(")"));
}

// Lines 1-3 of most test files: two valid ports, so that a test's own lines start at line 4.
constexpr const char* kPorts =
    "ports:\n"
    "  outside: { mac: 02:00:00:00:00:01, addresses: [198.51.100.1/24, 2001:db8::1/64] }\n"
    "  inside: { mac: 02:00:00:00:00:02, addresses: [10.0.0.1/24, fd00::1/64] }\n";

IpAddress ip(const std::string& text, uint8_t expected_version) {
  IpAddress a;
  EXPECT_EQ(parse_ip(text, a), expected_version) << text;
  return a;
}

MacAddress mac(const std::string& text) {
  MacAddress m;
  EXPECT_TRUE(parse_mac(text, m)) << text;
  return m;
}

void expect_prefix(const Prefix& p, const std::string& address, uint8_t version, uint8_t length) {
  EXPECT_EQ(p.version, version) << address;
  EXPECT_EQ(p.length, length) << address;
  EXPECT_EQ(p.address, ip(address, version)) << address;
}

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("gauntlet-config-test-" + std::to_string(::getpid()) + "-" +
                                        info->test_suite_name() + "-" + info->name());
    fs::remove_all(dir_);
    ASSERT_TRUE(fs::create_directories(dir_));
    path_ = (dir_ / "gauntlet.yaml").string();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void write(const std::string& text) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << text;
    ASSERT_TRUE(out.good());
  }

  // Loads `text`, which must load cleanly.
  Config load_ok(const std::string& text) {
    write(text);
    std::vector<ConfigError> errors;
    std::optional<Config> cfg = load_config(path_, errors);
    EXPECT_THAT(errors, IsEmpty()) << (errors.empty() ? "" : errors.front().to_string());
    EXPECT_TRUE(cfg.has_value());
    return cfg.value_or(Config{});
  }

  // Loads `text`, which must be refused; returns every error as "file:line:col: error: ...".
  std::vector<std::string> load_errors(const std::string& text) {
    write(text);
    std::vector<ConfigError> errors;
    const std::optional<Config> cfg = load_config(path_, errors);
    EXPECT_FALSE(cfg.has_value());
    std::vector<std::string> out;
    for (const ConfigError& e : errors) out.push_back(e.to_string());
    return out;
  }

  std::string at(int line, int column, const std::string& message) const {
    return path_ + ":" + std::to_string(line) + ":" + std::to_string(column) +
           ": error: " + message;
  }
  // The error at line:column whose message `message` matches.
  Matcher<std::string> at_matching(int line, int column,
                                   const Matcher<std::string>& message) const {
    const std::string head =
        path_ + ":" + std::to_string(line) + ":" + std::to_string(column) + ": error: ";
    return ResultOf(
        "the error at " + std::to_string(line) + ":" + std::to_string(column),
        [head](const std::string& e) -> std::optional<std::string> {
          if (e.compare(0, head.size(), head) != 0) return std::nullopt;
          return e.substr(head.size());
        },
        Optional(message));
  }
  std::string whole_file(const std::string& message) const { return path_ + ": error: " + message; }

  fs::path dir_;
  std::string path_;
};

// ---------------------------------------------------------------------------------------------
// Loading valid files

TEST_F(ConfigTest, ShippedDefaultConfigLoadsWithEveryField) {
  const std::string path = GAUNTLET_SOURCE_ROOT "/rules/gauntlet.yaml";
  std::vector<ConfigError> errors;
  const std::optional<Config> loaded = load_config(path, errors);
  ASSERT_THAT(errors, IsEmpty()) << errors.front().to_string();
  ASSERT_TRUE(loaded.has_value());
  const Config& cfg = *loaded;

  EXPECT_EQ(cfg.path, path);
  EXPECT_EQ(cfg.workers, 1u);
  EXPECT_EQ(cfg.neighbour_capacity, 4096u);
  EXPECT_EQ(cfg.mbufs, 16383u);

  const PortConfig& out = cfg.ports[static_cast<uint8_t>(PortRole::outside)];
  EXPECT_TRUE(cfg.port_present[0]);
  EXPECT_EQ(out.device, "net_af_packet0,iface=gl-out");
  EXPECT_TRUE(out.mac_set);
  EXPECT_EQ(out.mac, mac("02:00:00:00:00:01"));
  ASSERT_EQ(out.addresses.size(), 2u);
  expect_prefix(out.addresses[0], "198.51.100.1", 4, 24);
  expect_prefix(out.addresses[1], "2001:db8:100::1", 6, 64);
  EXPECT_EQ(out.rx_descriptors, 1024);
  EXPECT_EQ(out.tx_descriptors, 1024);

  const PortConfig& in = cfg.ports[static_cast<uint8_t>(PortRole::inside)];
  EXPECT_TRUE(cfg.port_present[1]);
  EXPECT_EQ(in.device, "net_af_packet1,iface=gl-in");
  EXPECT_TRUE(in.mac_set);
  EXPECT_EQ(in.mac, mac("02:00:00:00:00:02"));
  ASSERT_EQ(in.addresses.size(), 2u);
  expect_prefix(in.addresses[0], "10.0.0.1", 4, 24);
  expect_prefix(in.addresses[1], "fd00::1", 6, 64);
  EXPECT_EQ(in.rx_descriptors, 1024);
  EXPECT_EQ(in.tx_descriptors, 1024);

  ASSERT_EQ(cfg.routes.size(), 2u);
  expect_prefix(cfg.routes[0].prefix, "0.0.0.0", 4, 0);
  EXPECT_EQ(cfg.routes[0].port, 0);
  ASSERT_TRUE(cfg.routes[0].via.has_value());
  EXPECT_EQ(*cfg.routes[0].via, ip("198.51.100.254", 4));
  expect_prefix(cfg.routes[1].prefix, "::", 6, 0);
  EXPECT_EQ(cfg.routes[1].port, 0);
  ASSERT_TRUE(cfg.routes[1].via.has_value());
  EXPECT_EQ(*cfg.routes[1].via, ip("2001:db8:100::fe", 6));

  struct Expected {
    const char* address;
    uint8_t version;
    uint8_t port;
    const char* mac;
  };
  const Expected expected[] = {
      {"198.51.100.254", 4, 0, "02:00:00:00:01:fe"},
      {"2001:db8:100::fe", 6, 0, "02:00:00:00:01:fe"},
      {"10.0.0.10", 4, 1, "02:00:00:00:02:0a"},
      {"10.0.0.11", 4, 1, "02:00:00:00:02:0b"},
      {"fd00::10", 6, 1, "02:00:00:00:02:10"},
  };
  ASSERT_EQ(cfg.neighbours.size(), std::size(expected));
  for (size_t i = 0; i < std::size(expected); ++i) {
    SCOPED_TRACE(expected[i].address);
    const NeighbourConfig& n = cfg.neighbours[i];
    EXPECT_EQ(n.version, expected[i].version);
    EXPECT_EQ(n.address, ip(expected[i].address, expected[i].version));
    EXPECT_EQ(n.port, expected[i].port);
    EXPECT_EQ(n.mac, mac(expected[i].mac));
    EXPECT_EQ(n.mark.file, path);
  }
}

TEST_F(ConfigTest, MissingFieldsTakeTheirDefaults) {
  const Config cfg = load_ok(
      "ports:\n"
      "  outside: {}\n"
      "  inside: {}\n");
  EXPECT_EQ(cfg.path, path_);
  EXPECT_EQ(cfg.workers, 1u);
  EXPECT_EQ(cfg.neighbour_capacity, 4096u);
  EXPECT_EQ(cfg.mbufs, 16383u);
  for (uint8_t p = 0; p < kPortCount; ++p) {
    SCOPED_TRACE(port_role_name(p));
    EXPECT_TRUE(cfg.port_present[p]);
    EXPECT_EQ(cfg.ports[p].device, "");
    EXPECT_FALSE(cfg.ports[p].mac_set);
    EXPECT_TRUE(cfg.ports[p].mac.is_zero());
    EXPECT_THAT(cfg.ports[p].addresses, IsEmpty());
    EXPECT_EQ(cfg.ports[p].rx_descriptors, 1024);
    EXPECT_EQ(cfg.ports[p].tx_descriptors, 1024);
  }
  EXPECT_EQ(cfg.poll.mode, PollMode::adaptive);
  EXPECT_EQ(cfg.poll.idle_sleep_us, 20u);
  EXPECT_THAT(cfg.routes, IsEmpty());
  EXPECT_THAT(cfg.neighbours, IsEmpty());
}

TEST_F(ConfigTest, PollModeAndIdleSleepAreReadFromPorts) {
  const Config busy = load_ok(
      "ports:\n"
      "  poll: busy\n"
      "  outside: {}\n"
      "  inside: {}\n");
  EXPECT_EQ(busy.poll.mode, PollMode::busy);
  const Config adaptive = load_ok(
      "ports:\n"
      "  poll: adaptive\n"
      "  idle_sleep_us: 10000\n"
      "  outside: {}\n"
      "  inside: {}\n");
  EXPECT_EQ(adaptive.poll.mode, PollMode::adaptive);
  EXPECT_EQ(adaptive.poll.idle_sleep_us, 10000u);
}

TEST_F(ConfigTest, UnknownPollModeAndOutOfRangeIdleSleepAreReported) {
  EXPECT_THAT(load_errors("ports:\n"
                          "  poll: interrupt\n"
                          "  idle_sleep_us: 0\n"
                          "  outside: {}\n"
                          "  inside: {}\n"),
              ElementsAre(at(2, 9, "poll 'interrupt' is not busy or adaptive"),
                          at(3, 18,
                             "idle_sleep_us must be a whole number from 1 to 10000, "
                             "not '0'")));
}

TEST_F(ConfigTest, NumbersAtTheEdgesOfTheirRangesAreAccepted) {
  const Config cfg = load_ok(
      "workers: 64\n"
      "neighbour_capacity: 1048576\n"
      "mbufs: 4194304\n"
      "ports:\n"
      "  outside: { rx_descriptors: 64, tx_descriptors: 16384 }\n"
      "  inside: { rx_descriptors: 16384, tx_descriptors: 64 }\n");
  EXPECT_EQ(cfg.workers, 64u);
  EXPECT_EQ(cfg.neighbour_capacity, 1048576u);
  EXPECT_EQ(cfg.mbufs, 4194304u);
  EXPECT_EQ(cfg.ports[0].rx_descriptors, 64);
  EXPECT_EQ(cfg.ports[0].tx_descriptors, 16384);
  EXPECT_EQ(cfg.ports[1].rx_descriptors, 16384);
  EXPECT_EQ(cfg.ports[1].tx_descriptors, 64);

  const Config low = load_ok(
      "workers: 1\n"
      "neighbour_capacity: 16\n"
      "mbufs: 255\n" +
      std::string(kPorts));
  EXPECT_EQ(low.workers, 1u);
  EXPECT_EQ(low.neighbour_capacity, 16u);
  EXPECT_EQ(low.mbufs, 255u);
}

TEST_F(ConfigTest, RoutesAndNeighboursKeepTheirSourcePosition) {
  const Config cfg =
      load_ok(std::string(kPorts) +
              "routes:\n"
              "  - { prefix: 192.0.2.0/24, port: inside, via: 10.0.0.254 }\n"
              "  - prefix: 10.128.0.0/9\n"
              "    port: inside\n"
              "neighbours:\n"
              "  -   { address: 'fd00::20', port: inside, mac: 02:00:00:00:02:20 }\n");
  ASSERT_EQ(cfg.routes.size(), 2u);
  expect_prefix(cfg.routes[0].prefix, "192.0.2.0", 4, 24);
  EXPECT_EQ(cfg.routes[0].port, 1);
  EXPECT_EQ(cfg.routes[0].via, ip("10.0.0.254", 4));
  EXPECT_EQ(cfg.routes[0].mark.file, path_);
  EXPECT_EQ(cfg.routes[0].mark.line, 5);
  EXPECT_EQ(cfg.routes[0].mark.column, 5);
  expect_prefix(cfg.routes[1].prefix, "10.128.0.0", 4, 9);
  EXPECT_EQ(cfg.routes[1].port, 1);
  EXPECT_FALSE(cfg.routes[1].via.has_value());
  EXPECT_EQ(cfg.routes[1].mark.line, 6);
  EXPECT_EQ(cfg.routes[1].mark.column, 5);
  ASSERT_EQ(cfg.neighbours.size(), 1u);
  EXPECT_EQ(cfg.neighbours[0].address, ip("fd00::20", 6));
  EXPECT_EQ(cfg.neighbours[0].version, 6);
  EXPECT_EQ(cfg.neighbours[0].mark.line, 9);
  EXPECT_EQ(cfg.neighbours[0].mark.column, 7);
}

TEST_F(ConfigTest, PortAddressesMayHaveHostBitsAndDefaultToAFullLengthPrefix) {
  const Config cfg = load_ok(
      "ports:\n"
      "  outside: { addresses: [198.51.100.1/24, 192.0.2.7, '2001:db8::1'] }\n"
      "  inside: { addresses: [10.0.0.1/8] }\n");
  ASSERT_EQ(cfg.ports[0].addresses.size(), 3u);
  expect_prefix(cfg.ports[0].addresses[0], "198.51.100.1", 4, 24);
  expect_prefix(cfg.ports[0].addresses[1], "192.0.2.7", 4, 32);
  expect_prefix(cfg.ports[0].addresses[2], "2001:db8::1", 6, 128);
  ASSERT_EQ(cfg.ports[1].addresses.size(), 1u);
  expect_prefix(cfg.ports[1].addresses[0], "10.0.0.1", 4, 8);
}

TEST_F(ConfigTest, LoadingSucceedsWhenTheErrorListAlreadyHoldsEarlierErrors) {
  write(kPorts);
  std::vector<ConfigError> errors{{"other.yaml", 1, 1, "an earlier problem"}};
  const std::optional<Config> cfg = load_config(path_, errors);
  EXPECT_TRUE(cfg.has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].file, "other.yaml");
}

// ---------------------------------------------------------------------------------------------
// Errors: file and YAML level

TEST_F(ConfigTest, MissingFileIsReportedWithoutLineAndColumn) {
  const std::string path = (dir_ / "absent.yaml").string();
  std::vector<ConfigError> errors;
  EXPECT_FALSE(load_config(path, errors).has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].file, path);
  EXPECT_EQ(errors[0].line, 0);
  EXPECT_EQ(errors[0].column, 0);
  EXPECT_EQ(errors[0].to_string(),
            path + ": error: cannot open the config file: No such file or directory");
}

TEST_F(ConfigTest, OnlyRegularFilesAreReadAsConfigs) {
  // A device or a FIFO would block or never end: refused before a byte is read.
  const std::string fifo = (dir_ / "config.fifo").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& path : {fifo, std::string("/dev/zero"), dir_.string()}) {
    std::vector<ConfigError> errors;
    EXPECT_FALSE(load_config(path, errors).has_value());
    ASSERT_EQ(errors.size(), 1u) << path;
    EXPECT_EQ(errors[0].to_string(),
              path + ": error: cannot open the config file: not a regular file");
  }
}

TEST_F(ConfigTest, YamlSyntaxErrorIsReportedWithLineAndColumn) {
  EXPECT_THAT(load_errors("workers: 1\n"
                          "  ports: x\n"),
              ElementsAre(at(2, 8, "illegal map value")));
  EXPECT_THAT(load_errors("workers: 1: 2\n"), ElementsAre(at(1, 11, "illegal map value")));
}

TEST_F(ConfigTest, UnclosedFlowSequenceIsReportedAtTheEndOfTheFile) {
  EXPECT_THAT(load_errors("workers: 1\n"
                          "ports: [outside, inside\n"),
              ElementsAre(at(3, 1, "end of sequence flow not found")));
}

TEST_F(ConfigTest, RootThatIsAListIsRejected) {
  EXPECT_THAT(
      load_errors("- workers: 1\n"
                  "- ports: {}\n"),
      ElementsAre(at(1, 1, "the config must be a YAML mapping (workers:, ports:, routes:, ...)")));
}

TEST_F(ConfigTest, RootThatIsAScalarIsRejected) {
  EXPECT_THAT(
      load_errors("gauntlet\n"),
      ElementsAre(at(1, 1, "the config must be a YAML mapping (workers:, ports:, routes:, ...)")));
}

TEST_F(ConfigTest, EmptyFileIsRejectedAsNotAMapping) {
  EXPECT_THAT(
      load_errors(""),
      ElementsAre(at(1, 1, "the config must be a YAML mapping (workers:, ports:, routes:, ...)")));
}

// ---------------------------------------------------------------------------------------------
// Errors: keys

TEST_F(ConfigTest, UnknownTopLevelKeyIsReportedWithLineAndColumn) {
  write(std::string(kPorts) +
        "rutes:\n"
        "  - { prefix: 0.0.0.0/0, port: outside, via: 198.51.100.254 }\n");
  std::vector<ConfigError> errors;
  EXPECT_FALSE(load_config(path_, errors).has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].file, path_);
  EXPECT_EQ(errors[0].line, 4);
  EXPECT_EQ(errors[0].column, 1);
  EXPECT_THAT(errors[0].message, unknown_top_level_key("rutes"));
  EXPECT_THAT(errors[0].to_string(), StartsWith(path_ + ":4:1: error: unknown key 'rutes' "));
}

TEST_F(ConfigTest, EveryUnknownTopLevelKeyIsReported) {
  EXPECT_THAT(load_errors("workrs: 2\n" + std::string(kPorts) +
                          "routes: []\n"
                          "neighbors: []\n"),
              ElementsAre(at_matching(1, 1, unknown_top_level_key("workrs")),
                          at_matching(6, 1, unknown_top_level_key("neighbors"))));
}

TEST_F(ConfigTest, UnknownPortKeysAreReportedInBlockAndFlowStyle) {
  const std::string expected =
      "in a port (expected one of: device, mac, addresses, rx_descriptors, tx_descriptors, mtu)";
  EXPECT_THAT(load_errors("ports:\n"
                          "  outside:\n"
                          "    mac: 02:00:00:00:00:01\n"
                          "    adresses: [198.51.100.1/24]\n"
                          "  inside: { macc: 02:00:00:00:00:02 }\n"),
              ElementsAre(at(4, 5, "unknown key 'adresses' " + expected),
                          at(5, 13, "unknown key 'macc' " + expected)));
}

TEST_F(ConfigTest, UnknownPortRoleUnderPortsIsReported) {
  EXPECT_THAT(load_errors(std::string(kPorts) + "  dmz: { mac: 02:00:00:00:00:03 }\n"),
              ElementsAre(at(4, 3,
                             "unknown key 'dmz' in ports (expected one of: outside, inside, "
                             "poll, idle_sleep_us)")));
}

TEST_F(ConfigTest, PortThatIsNotAMappingIsReported) {
  EXPECT_THAT(
      load_errors("ports:\n"
                  "  outside: eth0\n"
                  "  inside: [eth1]\n"),
      ElementsAre(at(2, 12, "a port must be a mapping"), at(3, 11, "a port must be a mapping")));
}

TEST_F(ConfigTest, MissingPortsSectionIsReported) {
  EXPECT_THAT(load_errors("workers: 2\n"),
              ElementsAre(at(1, 1, "the config needs a ports: section with outside and inside")));
}

TEST_F(ConfigTest, MissingInsidePortIsReported) {
  EXPECT_THAT(load_errors("ports:\n"
                          "  outside: { mac: 02:00:00:00:00:01 }\n"),
              ElementsAre(whole_file("ports: needs an 'inside' port")));
}

TEST_F(ConfigTest, MissingOutsidePortIsReported) {
  EXPECT_THAT(load_errors("ports:\n"
                          "  inside: { mac: 02:00:00:00:00:02 }\n"),
              ElementsAre(whole_file("ports: needs an 'outside' port")));
}

TEST_F(ConfigTest, EmptyPortsSectionReportsBothMissingPorts) {
  EXPECT_THAT(load_errors("ports: {}\n"), ElementsAre(whole_file("ports: needs an 'outside' port"),
                                                      whole_file("ports: needs an 'inside' port")));
}

// ---------------------------------------------------------------------------------------------
// Errors: values

TEST_F(ConfigTest, BadAndMulticastMacsAreReported) {
  const std::string expected = "is not a unicast MAC address like 02:00:00:00:00:01";
  EXPECT_THAT(load_errors("ports:\n"
                          "  outside: { mac: 01:00:5e:00:00:01 }\n"
                          "  inside: { mac: 02:00:00:00:0g:02 }\n"),
              ElementsAre(at(2, 19, "mac '01:00:5e:00:00:01' " + expected),
                          at(3, 18, "mac '02:00:00:00:0g:02' " + expected)));
  EXPECT_THAT(load_errors("ports:\n"
                          "  outside: { mac: 00:00:00:00:00:00 }\n"
                          "  inside:\n"
                          "    mac: 02-00-00-00-00-02\n"),
              ElementsAre(at(2, 19, "mac '00:00:00:00:00:00' " + expected),
                          at(4, 10, "mac '02-00-00-00-00-02' " + expected)));
  EXPECT_THAT(load_errors("ports:\n"
                          "  outside: { mac: ff:ff:ff:ff:ff:ff }\n"
                          "  inside: { mac: 02:00:00:00:00:2 }\n"),
              ElementsAre(at(2, 19, "mac 'ff:ff:ff:ff:ff:ff' " + expected),
                          at(3, 18, "mac '02:00:00:00:00:2' " + expected)));
}

TEST_F(ConfigTest, BadAddressesAndPrefixLengthsAreReported) {
  EXPECT_THAT(load_errors("ports:\n"
                          "  outside:\n"
                          "    addresses:\n"
                          "      - 300.1.1.1/24\n"
                          "      - 10.0.0.1/33\n"
                          "      - 'fd00::1/129'\n"
                          "      - 10.0.0.1/x\n"
                          "      - 10.0.0.1/\n"
                          "      - 10.0.0.1/-1\n"
                          "      - host.example/24\n"
                          "  inside: { addresses: 10.0.0.1/24 }\n"),
              ElementsAre(at(4, 9, "address '300.1.1.1/24' is not an IPv4 or IPv6 address"),
                          at(5, 9, "address '10.0.0.1/33' has an invalid prefix length (0..32)"),
                          at(6, 9, "address 'fd00::1/129' has an invalid prefix length (0..128)"),
                          at(7, 9, "address '10.0.0.1/x' has an invalid prefix length (0..32)"),
                          at(8, 9, "address '10.0.0.1/' has an invalid prefix length (0..32)"),
                          at(9, 9, "address '10.0.0.1/-1' has an invalid prefix length (0..32)"),
                          at(10, 9, "address 'host.example/24' is not an IPv4 or IPv6 address"),
                          at(11, 24, "addresses must be a list of address/prefix-length entries")));
}

TEST_F(ConfigTest, RoutePrefixWithHostBitsSetSuggestsTheMaskedPrefix) {
  const std::string expected = "has bits set after the prefix length (did you mean ";
  EXPECT_THAT(load_errors(std::string(kPorts) + "routes:\n"
                                                "  - { prefix: 10.1.2.3/16, port: inside }\n"
                                                "  - { prefix: 'fd00::1/64', port: inside }\n"
                                                "  - { prefix: 10.192.0.0/9, port: inside }\n"
                                                "  - { prefix: 1.0.0.0/0, port: outside }\n"
                                                "  - { prefix: 10.128.0.0/9, port: inside }\n"
                                                "  - { prefix: 10.0.0.0/7, port: inside }\n"),
              ElementsAre(at(5, 15, "prefix '10.1.2.3/16' " + expected + "10.1.0.0/16?)"),
                          at(6, 15, "prefix 'fd00::1/64' " + expected + "fd00::/64?)"),
                          at(7, 15, "prefix '10.192.0.0/9' " + expected + "10.128.0.0/9?)"),
                          at(8, 15, "prefix '1.0.0.0/0' " + expected + "0.0.0.0/0?)")));
}

TEST_F(ConfigTest, RouteWithoutPrefixOrPortIsReported) {
  EXPECT_THAT(load_errors(std::string(kPorts) + "routes:\n"
                                                "  - { port: inside }\n"
                                                "  - { prefix: 10.2.0.0/16 }\n"
                                                "  - { prefix: 10.3.0.0/16, port: dmz }\n"
                                                "  - {}\n"),
              ElementsAre(at(5, 5, "a route needs a prefix"),
                          at(6, 5, "a route needs a port (outside or inside)"),
                          at(7, 34, "unknown port role 'dmz' (expected outside or inside)"),
                          at(8, 5, "a route needs a prefix"),
                          at(8, 5, "a route needs a port (outside or inside)")));
}

TEST_F(ConfigTest, UnknownRouteKeyIsReported) {
  EXPECT_THAT(load_errors(std::string(kPorts) +
                          "routes:\n"
                          "  - { prefix: 10.2.0.0/16, port: inside, gateway: 10.0.0.254 }\n"),
              ElementsAre(at(
                  5, 42, "unknown key 'gateway' in a route (expected one of: prefix, port, via)")));
}

TEST_F(ConfigTest, RouteViaOfTheWrongIpVersionIsReported) {
  EXPECT_THAT(load_errors(std::string(kPorts) +
                          "routes:\n"
                          "  - { prefix: 0.0.0.0/0, port: outside, via: '2001:db8::fe' }\n"
                          "  - { prefix: '::/0', port: outside, via: 198.51.100.254 }\n"
                          "  - { prefix: 10.9.0.0/16, port: outside, via: nope }\n"),
              ElementsAre(at(5, 46, "via 2001:db8::fe is IPv6 but the prefix is IPv4"),
                          at(6, 43, "via 198.51.100.254 is IPv4 but the prefix is IPv6"),
                          at(7, 48, "via 'nope' is not an IP address")));
}

TEST_F(ConfigTest, GatewayNotOnLinkIsReportedAtTheRoute) {
  EXPECT_THAT(
      load_errors(std::string(kPorts) +
                  "routes:\n"
                  "  - { prefix: 0.0.0.0/0, port: outside, via: 192.0.2.1 }\n"
                  "  - { prefix: '::/0', port: inside, via: '2001:db8::fe' }\n"
                  "  - { prefix: 192.0.2.0/24, port: inside, via: 10.0.0.254 }\n"
                  "  - prefix: 203.0.113.0/24\n"
                  "    port: inside\n"
                  "    via: 198.51.100.9\n"),
      ElementsAre(
          at(5, 5, "gateway 192.0.2.1 of route 0.0.0.0/0 is not inside any prefix of port outside"),
          at(6, 5, "gateway 2001:db8::fe of route ::/0 is not inside any prefix of port inside"),
          at(8, 5,
             "gateway 198.51.100.9 of route 203.0.113.0/24 is not inside any prefix of port "
             "inside")));
}

TEST_F(ConfigTest, NeighbourNotOnLinkIsReportedAtTheNeighbour) {
  EXPECT_THAT(load_errors(std::string(kPorts) +
                          "neighbours:\n"
                          "  - { address: 10.0.0.5, port: outside, mac: 02:00:00:00:01:01 }\n"
                          "  - { address: '2001:db8::5', port: outside, mac: 02:00:00:00:01:02 }\n"
                          "  - { address: 10.0.1.5, port: inside, mac: 02:00:00:00:01:03 }\n"
                          "  - { address: 'fd00:1::5', port: inside, mac: 02:00:00:00:01:04 }\n"),
              ElementsAre(at(5, 5, "neighbour 10.0.0.5 is not inside any prefix of port outside"),
                          at(7, 5, "neighbour 10.0.1.5 is not inside any prefix of port inside"),
                          at(8, 5, "neighbour fd00:1::5 is not inside any prefix of port inside")));
}

TEST_F(ConfigTest, BadNeighbourFieldsAreReported) {
  EXPECT_THAT(
      load_errors(std::string(kPorts) +
                  "neighbours:\n"
                  "  - { address: 10.0.0.5, port: inside }\n"
                  "  - { address: bad, port: inside, mac: 02:00:00:00:01:01 }\n"
                  "  - { address: 10.0.0.6, port: dmz, mac: 01:00:00:00:01:01 }\n"
                  "  - { address: 10.0.0.7, port: inside, mac: 02:00:00:00:01:01, vlan: 3 }\n"),
      ElementsAre(
          at(5, 5, "a neighbour needs address, port and mac"),
          at(6, 16, "address is not an IP address"),
          at(7, 32, "unknown port role 'dmz' (expected outside or inside)"),
          at(7, 42, "mac is not a unicast MAC address like 02:00:00:00:00:01"),
          at(8, 64, "unknown key 'vlan' in a neighbour (expected one of: address, port, mac)")));
}

TEST_F(ConfigTest, RoutesAndNeighboursThatAreNotListsAreReported) {
  EXPECT_THAT(
      load_errors(std::string(kPorts) + "routes: { prefix: 0.0.0.0/0 }\n"
                                        "neighbours: none\n"),
      ElementsAre(at(4, 9, "routes must be a list"), at(5, 13, "neighbours must be a list")));
}

TEST_F(ConfigTest, DuplicateAddressIsReportedAtThePortThatRepeatsIt) {
  EXPECT_THAT(
      load_errors("ports:\n"
                  "  outside: { addresses: [10.0.0.1/24, 'fd00::1/64'] }\n"
                  "  inside:\n"
                  "    mac: 02:00:00:00:00:02\n"
                  "    addresses: [10.0.0.1/16, 10.9.0.1/16, 10.9.0.1/24, 'fd00::1/128']\n"),
      ElementsAre(at(4, 5, "address 10.0.0.1 is given twice"),
                  at(4, 5, "address 10.9.0.1 is given twice"),
                  at(4, 5, "address fd00::1 is given twice")));
}

TEST_F(ConfigTest, SameAddressBytesAsV4AndV6AreNotDuplicates) {
  // 10.0.0.1 and a00:1:: have the same first four bytes; they are different addresses.
  const Config cfg = load_ok(
      "ports:\n"
      "  outside: { addresses: [10.0.0.1/24] }\n"
      "  inside: { addresses: ['a00:1::/64'] }\n");
  EXPECT_EQ(cfg.ports[0].addresses.size(), 1u);
  EXPECT_EQ(cfg.ports[1].addresses.size(), 1u);
}

TEST_F(ConfigTest, WorkersOutOfRangeOrNotANumberIsReported) {
  const std::string range = "workers must be a whole number from 1 to 64, not ";
  for (const char* bad : {"0", "65", "-1", "1.5", "0x10", "four", "4294967297"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(load_errors("workers: " + std::string(bad) + "\n" + kPorts),
                ElementsAre(at(1, 10, range + "'" + bad + "'")));
  }
  EXPECT_THAT(load_errors("workers: [1]\n" + std::string(kPorts)),
              ElementsAre(at(1, 10, "workers must be a single value")));
}

TEST_F(ConfigTest, APoolSmallerThan255MbufsOrLargerThan4MIsRefused) {
  EXPECT_THAT(load_errors("mbufs: 254\n" + std::string(kPorts)),
              ElementsAre(at(1, 8, "mbufs must be a whole number from 255 to 4194304, not '254'")));
  EXPECT_THAT(
      load_errors(std::string(kPorts) + "mbufs: 4194305\n"),
      ElementsAre(at(4, 8, "mbufs must be a whole number from 255 to 4194304, not '4194305'")));
  EXPECT_THAT(load_errors("mbufs: -1\n" + std::string(kPorts)),
              ElementsAre(at(1, 8, "mbufs must be a whole number from 255 to 4194304, not '-1'")));
}

TEST_F(ConfigTest, OtherNumbersOutOfRangeAreReported) {
  EXPECT_THAT(
      load_errors("neighbour_capacity: 15\n"
                  "mbufs: lots\n"
                  "ports:\n"
                  "  outside: { rx_descriptors: 63, tx_descriptors: 16385 }\n"
                  "  inside: { rx_descriptors: 65536 }\n"),
      ElementsAre(
          at(1, 21, "neighbour_capacity must be a whole number from 16 to 1048576, not '15'"),
          at(2, 8, "mbufs must be a whole number from 255 to 4194304, not 'lots'"),
          at(4, 30, "rx_descriptors must be a whole number from 64 to 16384, not '63'"),
          at(4, 50, "tx_descriptors must be a whole number from 64 to 16384, not '16385'"),
          at(5, 29, "rx_descriptors must be a whole number from 64 to 16384, not '65536'")));
}

TEST_F(ConfigTest, AllErrorsInAFileAreReportedNotJustTheFirst) {
  EXPECT_THAT(
      load_errors("workers: 0\n"
                  "ports:\n"
                  "  outside:\n"
                  "    mac: 01:00:00:00:00:01\n"
                  "    addresses: [10.0.0.1/24, 10.0.0.256/24]\n"
                  "  inside: { mac: 02:00:00:00:00:02, speed: 10 }\n"
                  "routes:\n"
                  "  - { prefix: 10.1.0.1/16, port: inside }\n"
                  "neighbours:\n"
                  "  - { address: 10.0.0.9, port: dmz, mac: 02:00:00:00:00:09 }\n"
                  "rutes: []\n"),
      UnorderedElementsAre(
          at(1, 10, "workers must be a whole number from 1 to 64, not '0'"),
          at(4, 10, "mac '01:00:00:00:00:01' is not a unicast MAC address like 02:00:00:00:00:01"),
          at(5, 30, "address '10.0.0.256/24' is not an IPv4 or IPv6 address"),
          at(6, 37,
             "unknown key 'speed' in a port (expected one of: device, mac, addresses, "
             "rx_descriptors, tx_descriptors, mtu)"),
          at(8, 15,
             "prefix '10.1.0.1/16' has bits set after the prefix length (did you mean "
             "10.1.0.0/16?)"),
          at(10, 32, "unknown port role 'dmz' (expected outside or inside)"),
          at_matching(11, 1, unknown_top_level_key("rutes"))));
}

TEST_F(ConfigTest, AllWholeModelErrorsAreReportedTogether) {
  EXPECT_THAT(
      load_errors("ports:\n"
                  "  outside: { addresses: [198.51.100.1/24, 198.51.100.1/25] }\n"
                  "routes:\n"
                  "  - { prefix: 0.0.0.0/0, port: outside, via: 192.0.2.1 }\n"
                  "neighbours:\n"
                  "  - { address: 192.0.2.1, port: outside, mac: 02:00:00:00:01:01 }\n"),
      ElementsAre(
          whole_file("ports: needs an 'inside' port"),
          at(2, 12, "address 198.51.100.1 is given twice"),
          at(6, 5, "neighbour 192.0.2.1 is not inside any prefix of port outside"),
          at(4, 5,
             "gateway 192.0.2.1 of route 0.0.0.0/0 is not inside any prefix of port outside")));
}

TEST(ConfigErrorTest, ToStringUsesFileLineColumnOrJustFile) {
  EXPECT_EQ((ConfigError{"a.yaml", 3, 7, "bad"}).to_string(), "a.yaml:3:7: error: bad");
  EXPECT_EQ((ConfigError{"a.yaml", 0, 0, "gone"}).to_string(), "a.yaml: error: gone");
}

// ---------------------------------------------------------------------------------------------
// Prefix and port roles

Prefix prefix(const std::string& address, uint8_t version, uint8_t length) {
  return Prefix{ip(address, version), version, length};
}

TEST(PrefixTest, ContainsAddressesInsideAV4Prefix) {
  const Prefix p = prefix("198.51.100.0", 4, 24);
  EXPECT_TRUE(p.contains(ip("198.51.100.0", 4), 4));
  EXPECT_TRUE(p.contains(ip("198.51.100.1", 4), 4));
  EXPECT_TRUE(p.contains(ip("198.51.100.255", 4), 4));
  EXPECT_FALSE(p.contains(ip("198.51.101.1", 4), 4));
  EXPECT_FALSE(p.contains(ip("198.51.99.255", 4), 4));
  EXPECT_FALSE(p.contains(ip("199.51.100.1", 4), 4));
}

TEST(PrefixTest, ComparesOnlyThePrefixBitsOfAPartialByte) {
  const Prefix p = prefix("10.128.0.0", 4, 9);
  EXPECT_TRUE(p.contains(ip("10.128.0.0", 4), 4));
  EXPECT_TRUE(p.contains(ip("10.200.1.1", 4), 4));
  EXPECT_TRUE(p.contains(ip("10.255.255.255", 4), 4));
  EXPECT_FALSE(p.contains(ip("10.127.255.255", 4), 4));
  EXPECT_FALSE(p.contains(ip("11.128.0.0", 4), 4));

  // The host part of the prefix's own address is ignored.
  const Prefix host = prefix("10.0.0.1", 4, 30);
  EXPECT_TRUE(host.contains(ip("10.0.0.0", 4), 4));
  EXPECT_TRUE(host.contains(ip("10.0.0.3", 4), 4));
  EXPECT_FALSE(host.contains(ip("10.0.0.4", 4), 4));
}

TEST(PrefixTest, FullLengthPrefixContainsOnlyItsAddress) {
  const Prefix v4 = prefix("192.0.2.7", 4, 32);
  EXPECT_TRUE(v4.contains(ip("192.0.2.7", 4), 4));
  EXPECT_FALSE(v4.contains(ip("192.0.2.6", 4), 4));
  EXPECT_FALSE(v4.contains(ip("192.0.2.8", 4), 4));

  const Prefix v6 = prefix("2001:db8::7", 6, 128);
  EXPECT_TRUE(v6.contains(ip("2001:db8::7", 6), 6));
  EXPECT_FALSE(v6.contains(ip("2001:db8::6", 6), 6));
  EXPECT_FALSE(v6.contains(ip("2001:db8::8", 6), 6));
}

TEST(PrefixTest, ContainsAddressesInsideAV6Prefix) {
  const Prefix p = prefix("2001:db8:100::", 6, 64);
  EXPECT_TRUE(p.contains(ip("2001:db8:100::1", 6), 6));
  EXPECT_TRUE(p.contains(ip("2001:db8:100:0:ffff:ffff:ffff:ffff", 6), 6));
  EXPECT_FALSE(p.contains(ip("2001:db8:100:1::1", 6), 6));

  const Prefix odd = prefix("fe80::", 6, 10);
  EXPECT_TRUE(odd.contains(ip("febf::1", 6), 6));
  EXPECT_FALSE(odd.contains(ip("fec0::1", 6), 6));
}

TEST(PrefixTest, ZeroLengthPrefixContainsEveryAddressOfItsVersionOnly) {
  const Prefix any4 = prefix("0.0.0.0", 4, 0);
  EXPECT_TRUE(any4.contains(ip("0.0.0.0", 4), 4));
  EXPECT_TRUE(any4.contains(ip("255.255.255.255", 4), 4));
  EXPECT_FALSE(any4.contains(ip("::", 6), 6));

  const Prefix any6 = prefix("::", 6, 0);
  EXPECT_TRUE(any6.contains(ip("ffff::1", 6), 6));
  EXPECT_FALSE(any6.contains(ip("10.0.0.1", 4), 4));
}

TEST(PrefixTest, AddressOfTheOtherVersionIsNeverContained) {
  // Same leading bytes: 10.0.0.0/8 and a00::/8 still differ by version.
  const Prefix v4 = prefix("10.0.0.0", 4, 8);
  EXPECT_FALSE(v4.contains(ip("a00::1", 6), 6));
  const Prefix v6 = prefix("a00::", 6, 8);
  EXPECT_FALSE(v6.contains(ip("10.0.0.1", 4), 4));
}

TEST(PrefixTest, FormatsAsAddressSlashLength) {
  EXPECT_EQ(format_prefix(prefix("10.128.0.0", 4, 9)), "10.128.0.0/9");
  EXPECT_EQ(format_prefix(prefix("::", 6, 0)), "::/0");
  EXPECT_EQ(format_prefix(prefix("2001:db8::1", 6, 128)), "2001:db8::1/128");
}

TEST(PortRoleTest, NamesMapToPortNumbers) {
  EXPECT_EQ(port_role_from_name("outside"), std::optional<uint8_t>(0));
  EXPECT_EQ(port_role_from_name("inside"), std::optional<uint8_t>(1));
  EXPECT_EQ(port_role_from_name("outside"),
            std::optional<uint8_t>(static_cast<uint8_t>(PortRole::outside)));
  EXPECT_EQ(port_role_from_name("inside"),
            std::optional<uint8_t>(static_cast<uint8_t>(PortRole::inside)));
}

TEST(PortRoleTest, UnknownNamesAreRejected) {
  for (const char* name : {"", "Outside", "INSIDE", "dmz", " inside", "outside ", "none", "0"}) {
    EXPECT_EQ(port_role_from_name(name), std::nullopt) << "'" << name << "'";
  }
}

TEST(PortRoleTest, NamesRoundTripAndOtherPortsAreNone) {
  for (uint8_t p = 0; p < kPortCount; ++p)
    EXPECT_EQ(port_role_from_name(port_role_name(p)), std::optional<uint8_t>(p));
  EXPECT_STREQ(port_role_name(0), "outside");
  EXPECT_STREQ(port_role_name(1), "inside");
  EXPECT_STREQ(port_role_name(2), "none");
  EXPECT_STREQ(port_role_name(kNoPort), "none");
}

}  // namespace
}  // namespace gauntlet

namespace gauntlet {
namespace {

TEST_F(ConfigTest, KeyGivenTwiceIsAnErrorNotASilentOverride) {
  EXPECT_THAT(load_errors("workers: 1\nworkers: 2\n" + std::string(kPorts)),
              ElementsAre(at(2, 1, "'workers' is given twice in the config")));
}

TEST_F(ConfigTest, NonScalarViaAndNeighbourFieldsAreReportedOnce) {
  EXPECT_THAT(
      load_errors(std::string(kPorts) + "routes:\n"
                                        "  - { prefix: 10.1.0.0/16, port: inside, via: [1] }\n"
                                        "neighbours:\n"
                                        "  - { address: [1], port: inside, mac: {a: b} }\n"),
      ElementsAre(at(5, 47, "via must be a single value"),
                  at(7, 16, "address must be a single value"),
                  at(7, 40, "mac must be a single value")));
}

TEST_F(ConfigTest, WrongFamilyViaIsReportedEvenWhenThePortIsWrongToo) {
  EXPECT_THAT(load_errors(std::string(kPorts) +
                          "routes:\n"
                          "  - { prefix: 10.0.0.0/8, port: dmz, via: \"fd00::1\" }\n"),
              ElementsAre(at(5, 33, "unknown port role 'dmz' (expected outside or inside)"),
                          at(5, 43, "via fd00::1 is IPv6 but the prefix is IPv4")));
}

TEST_F(ConfigTest, MoreStaticNeighboursThanCapacityIsAnError) {
  std::string text = "neighbour_capacity: 16\n" + std::string(kPorts) + "neighbours:\n";
  for (int i = 0; i < 17; ++i)
    text += "  - { address: 10.0.0." + std::to_string(10 + i) +
            ", port: inside, mac: 02:00:00:00:03:01 }\n";
  EXPECT_THAT(load_errors(text),
              ElementsAre(at(22, 5, "more static neighbours (17) than neighbour_capacity (16)")));
}

// Each worker owns a slice of the SNAT ports: fewer ports than workers is refused.
TEST(ConfigSnatWorkers, FewerSnatPortsThanWorkersIsAnError) {
  const auto dir =
      fs::temp_directory_path() / ("gauntlet-config-snat-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "c.yaml").string();
  auto errors_for = [&](int workers) {
    std::ofstream(path) << "workers: " << workers << "\n"
                        << kPorts << "snat: { address: 198.51.100.2, from: [10.0.0.0/24], "
                        << "ports: 2000-2002 }\n";
    std::vector<ConfigError> errors;
    const bool loaded = load_config(path, errors).has_value();
    std::vector<std::string> out;
    for (const ConfigError& e : errors) out.push_back(e.message);
    EXPECT_EQ(loaded, out.empty());
    return out;
  };
  EXPECT_THAT(errors_for(3), IsEmpty());
  EXPECT_THAT(errors_for(4),
              ElementsAre("snat ports 2000-2002 are 3 ports, fewer than workers (4): each worker "
                          "needs a slice of its own"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace gauntlet
