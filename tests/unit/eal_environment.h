// Starts EAL once for a test binary whose code needs DPDK memory (rte_acl, rte_lpm,
// mempools). rte_eal_init runs once per process, so it lives in a GoogleTest global
// environment; no hugepages, no PCI, no shared config so test binaries run in parallel.
#pragma once

#include <gtest/gtest.h>

#include <rte_eal.h>

namespace gauntlet::testing {

class EalEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const char* args[] = {
        "unit-test", "-l",       "0",           "--no-huge",      "-m",
        "512",       "--no-pci", "--no-shconf", "--no-telemetry", "--log-level=*:warning"};
    ASSERT_GE(rte_eal_init(static_cast<int>(std::size(args)), const_cast<char**>(args)), 0);
  }
  void TearDown() override { rte_eal_cleanup(); }
};

}  // namespace gauntlet::testing
