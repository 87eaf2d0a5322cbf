// Fuzzes the rule loaders (dataplane/control/rules_config.cpp) and the ACL builder. Each input
// is loaded twice, as the text of a `firewall: rules:` list inside a fixed config and as a
// ClassBench file that a fixed config's `classbench:` names. A config that loads is compiled
// into tables (rte_acl contexts, LPM routes), which needs EAL.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/control/config.h"
#include "dataplane/control/tables.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

constexpr std::string_view kPorts =
    "ports:\n"
    "  outside: { mac: 02:00:00:00:00:01, addresses: [198.51.100.1/24, 2001:db8:100::1/64] }\n"
    "  inside: { mac: 02:00:00:00:00:02, addresses: [10.0.0.1/24, fd00::1/64] }\n"
    "routes:\n"
    "  - { prefix: 0.0.0.0/0, port: outside, via: 198.51.100.254 }\n";

void load_and_build(const std::string& config_text) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(config_text.data());
  const std::string path = gauntlet::fuzz::scratch_file("rules.yaml", bytes, config_text.size());
  std::vector<gauntlet::ConfigError> errors;
  const auto cfg = gauntlet::load_config(path, errors);
  gauntlet::fuzz::check(cfg.has_value() || !errors.empty(), "config refused without an error");
  if (!cfg) return;
  // Route table names are global in EAL; a fresh generation keeps them apart.
  static uint64_t generation = 0;
  std::string error;
  const auto tables = gauntlet::build_tables(*cfg, ++generation, nullptr, error);
  gauntlet::fuzz::check(tables != nullptr || !error.empty(), "tables refused without an error");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  gauntlet::fuzz::start_eal();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  load_and_build(std::string(kPorts) + "firewall:\n  default: deny\n  rules:\n" +
                 std::string(text) + "\n");
  gauntlet::fuzz::scratch_file("rules.cb", data, size);
  load_and_build(std::string(kPorts) + "firewall:\n  classbench: rules.cb\n");
  return 0;
}
