// Fuzzes the config loader (gauntlet::load_config, dataplane/control/config.h): the input is
// written to this process's scratch config file and loaded. A refused config must say why.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/control/config.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = gauntlet::fuzz::scratch_file("config.yaml", data, size);
  std::vector<gauntlet::ConfigError> errors;
  const auto cfg = gauntlet::load_config(path, errors);
  gauntlet::fuzz::check(cfg.has_value() || !errors.empty(), "config refused without an error");
  for (const gauntlet::ConfigError& e : errors) (void)e.to_string();
  return 0;
}
