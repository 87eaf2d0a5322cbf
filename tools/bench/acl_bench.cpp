// acl_bench: cost per packet of the firewall stage (and of the rte_acl classifier alone) on a
// ClassBench rule set and its trace, checked packet by packet against the linear reference
// matcher. Prints figures only, no thresholds; tools/bench/acl_bench.sh runs it next to
// dpdk-test-acl on the same rules and trace.
//
//   acl_bench [EAL options] -- --rules FILE --trace FILE [--iterations N]
//
// Timing: rte_rdtsc_precise around a whole pass over the trace's contexts (bursts of 32), N
// passes; resetting the contexts (step_count, final, log) is done before each pass, outside
// the timed region. The contexts of the whole trace are visited (160 B each: 1.2 MiB for
// 7.7K packets, more than L2; the live pipeline reuses one hot Burst). Classifier alone:
// classify4 over prebuilt keys, 32 at a time. One untimed pass first warms the caches; every
// verdict is checked against gauntlet::reference_classify.
#include <algorithm>
#include <arpa/inet.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <rte_acl.h>
#include <rte_cycles.h>
#include <rte_eal.h>

#include "dataplane/control/config.h"
#include "dataplane/control/tables.h"
#include "dataplane/pipeline/stages.h"

namespace {

using namespace gauntlet;

// The ports: section of rules/gauntlet.yaml, copied literally (the firewall needs none of
// it, but a config without ports is not a config).
constexpr const char* kPorts = R"(ports:
  outside:                 # faces the internet
    device: net_af_packet0,iface=gl-out   # live mode only; replay ignores it
    mac: 02:00:00:00:00:01
    addresses: [198.51.100.1/24, 2001:db8:100::1/64]
  inside:                  # faces the pods
    device: net_af_packet1,iface=gl-in
    mac: 02:00:00:00:00:02
    addresses: [10.0.0.1/24, fd00::1/64]
)";

struct Options {
  std::string rules, trace;
  uint32_t iterations = 10;
};

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "acl_bench: %s\n", message.c_str());
  rte_eal_cleanup();
  std::exit(1);
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) die("usage: acl_bench [EAL] -- --rules FILE --trace FILE [--iterations N]");
    if (a == "--rules")
      o.rules = argv[++i];
    else if (a == "--trace")
      o.trace = argv[++i];
    else if (a == "--iterations")
      o.iterations = static_cast<uint32_t>(std::strtoul(argv[++i], nullptr, 10));
    else
      die("unknown option " + a);
  }
  if (o.rules.empty() || o.trace.empty() || o.iterations == 0)
    die("usage: acl_bench [EAL] -- --rules FILE --trace FILE [--iterations N]");
  return o;
}

// A temporary config: the default ports and a firewall made of the ClassBench file.
Config load_classbench_config(const std::string& rules) {
  char path[] = "/tmp/acl_bench_XXXXXX.yaml";
  const int fd = mkstemps(path, 5);
  if (fd < 0) die("cannot create a temporary config");
  const std::string text = std::string(kPorts) + "max_rules: 100000\nfirewall:\n  default: deny\n" +
                           "  classbench: \"" + std::filesystem::absolute(rules).string() + "\"\n";
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  std::vector<ConfigError> errors;
  auto cfg = written ? load_config(path, errors) : std::nullopt;
  unlink(path);
  for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
  if (!cfg) die("cannot load the rules");
  return std::move(*cfg);
}

// ClassBench trace lines: src dst sport dport proto ..., decimal, host order.
std::vector<ParsedPacket> load_trace(const std::string& path) {
  std::ifstream f(path);
  if (!f) die("cannot open " + path);
  std::vector<ParsedPacket> packets;
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream s(line);
    uint64_t src = 0, dst = 0, sport = 0, dport = 0, proto = 0;
    if (!(s >> src >> dst >> sport >> dport >> proto)) continue;
    ParsedPacket p;
    p.ip_version = 4;
    p.l4_proto = static_cast<uint8_t>(proto);
    const uint32_t s_be = htonl(static_cast<uint32_t>(src)),
                   d_be = htonl(static_cast<uint32_t>(dst));
    p.src = IpAddress::v4(&s_be);
    p.dst = IpAddress::v4(&d_be);
    p.src_port = static_cast<uint16_t>(sport);
    p.dst_port = static_cast<uint16_t>(dport);
    if (proto == 6 || proto == 17) p.flags |= kParseL4;
    packets.push_back(p);
  }
  if (packets.empty()) die("no packets in " + path);
  return packets;
}

void reset(std::vector<Burst>& bursts) {
  for (Burst& b : bursts)
    for (uint16_t i = 0; i < b.count; ++i) {
      b.ctx[i].step_count = 0;
      b.ctx[i].final = false;
      b.ctx[i].log = false;
    }
}

double cycles_per_packet(uint64_t cycles, uint64_t packets) {
  return static_cast<double>(cycles) / static_cast<double>(packets);
}
double mpps(double cpp) { return static_cast<double>(rte_get_tsc_hz()) / cpp / 1e6; }

}  // namespace

int main(int argc, char** argv) {
  const int eal = rte_eal_init(argc, argv);
  if (eal < 0) {
    std::fprintf(stderr, "acl_bench: cannot initialise EAL\n");
    return 1;
  }
  const Options o = parse_options(argc - eal, argv + eal);

  Config cfg = load_classbench_config(o.rules);
  const std::vector<AclRule>& rules = cfg.firewall.rules;
  std::string error;
  const uint64_t build_start = rte_rdtsc_precise();
  std::unique_ptr<Tables> tables = build_tables(cfg, 1, nullptr, error);
  const double tables_ms =
      static_cast<double>(rte_rdtsc_precise() - build_start) * 1e3 / rte_get_tsc_hz();
  if (!tables) die(error);
  const AclClassifier& classifier = *tables->acl[0].classifier;
  if (rte_acl_ctx* ctx = rte_acl_find_existing("firewall_g1_v4")) rte_acl_dump(ctx);

  const std::vector<ParsedPacket> packets = load_trace(o.trace);
  const size_t n = packets.size();
  std::vector<Burst> bursts((n + kBurstSize - 1) / kBurstSize);
  std::vector<AclKey4> keys(n);
  std::vector<const uint8_t*> key_ptrs(n);
  std::vector<uint32_t> results(n);
  for (size_t i = 0; i < n; ++i) {
    Burst& b = bursts[i / kBurstSize];
    PacketContext& c = b.ctx[b.count++];
    c.parsed = packets[i];
    c.direction = Direction::ingress;
    c.in_port = 0;
    c.sequence = i + 1;
    make_key(tuple_of(packets[i]), keys[i]);
    key_ptrs[i] = reinterpret_cast<const uint8_t*>(&keys[i]);
  }
  cfg.neighbour_capacity = 16;
  cfg.conntrack.capacity = 16;  // the firewall stage alone: no flows
  auto worker = std::make_unique<Worker>(0, cfg, 1);
  worker->tables = tables.get();

  // Warm-up pass, also the verdicts and classifier results that are verified below.
  reset(bursts);
  for (Burst& b : bursts) firewall_stage(*worker, b);
  for (size_t i = 0; i < n; i += kBurstSize)
    classifier.classify4(key_ptrs.data() + i, results.data() + i,
                         static_cast<uint32_t>(std::min<size_t>(kBurstSize, n - i)));

  uint64_t stage_cycles = 0, classify_cycles = 0;
  for (uint32_t it = 0; it < o.iterations; ++it) {
    reset(bursts);  // outside the timed region
    const uint64_t start = rte_rdtsc_precise();
    for (Burst& b : bursts) firewall_stage(*worker, b);
    stage_cycles += rte_rdtsc_precise() - start;
  }
  std::vector<uint32_t> timed(n);
  for (uint32_t it = 0; it < o.iterations; ++it) {
    const uint64_t start = rte_rdtsc_precise();
    for (size_t i = 0; i < n; i += kBurstSize)
      classifier.classify4(key_ptrs.data() + i, timed.data() + i,
                           static_cast<uint32_t>(std::min<size_t>(kBurstSize, n - i)));
    classify_cycles += rte_rdtsc_precise() - start;
  }

  // Every packet against the linear reference: the stage's deciding rule (the last pass's
  // verdicts) and the classifier's result (warm-up and last timed pass).
  size_t stage_bad = 0, classify_bad = 0, matched = 0;
  for (size_t i = 0; i < n; ++i) {
    const int32_t want = reference_classify(rules, tuple_of(packets[i]));
    const uint32_t want_result = want < 0 ? kAclNoMatch : static_cast<uint32_t>(want) + 1;
    const uint32_t want_rule = want < 0 ? kDefaultRule : static_cast<uint32_t>(want);
    const PacketContext& c = bursts[i / kBurstSize].ctx[i % kBurstSize];
    matched += want >= 0;
    stage_bad +=
        c.step_count != 1 || c.steps[0].layer != Layer::firewall || c.steps[0].rule != want_rule;
    classify_bad += results[i] != want_result || timed[i] != want_result;
  }

  const uint64_t total = static_cast<uint64_t>(n) * o.iterations;
  const double stage_cpp = cycles_per_packet(stage_cycles, total);
  const double classify_cpp = cycles_per_packet(classify_cycles, total);
  std::printf("acl_bench: %zu rules, %zu packets (%zu match a rule, %zu the default), ",
              rules.size(), n, matched, n - matched);
  std::printf("%u iterations, burst %u, TSC %.0f MHz, contexts %zu KiB (%zu B each)\n",
              o.iterations, kBurstSize, rte_get_tsc_hz() / 1e6,
              bursts.size() * sizeof(Burst) / 1024, sizeof(PacketContext));
  std::printf("rte_acl build (AclClassifier::build): %.1f ms; build_tables: %.1f ms\n",
              classifier.build_seconds() * 1e3, tables_ms);
  std::printf("firewall_stage:       %8.1f cycles/pkt  %6.2f Mpps\n", stage_cpp, mpps(stage_cpp));
  std::printf("classify4 only:       %8.1f cycles/pkt  %6.2f Mpps\n", classify_cpp,
              mpps(classify_cpp));
  std::printf("stage overhead:       %8.1f cycles/pkt (keys, batching, verdicts, counters)\n",
              stage_cpp - classify_cpp);
  std::printf("reference mismatches: stage %zu, classifier %zu\n", stage_bad, classify_bad);
  std::printf("RESULT tsc_mhz=%.1f rules=%zu packets=%zu iterations=%u build_ms=%.1f ",
              rte_get_tsc_hz() / 1e6, rules.size(), n, o.iterations,
              classifier.build_seconds() * 1e3);
  std::printf("stage_cpp=%.1f classify_cpp=%.1f mismatches=%zu\n", stage_cpp, classify_cpp,
              stage_bad + classify_bad);
  worker.reset();
  tables.reset();
  rte_eal_cleanup();
  return 0;
}
