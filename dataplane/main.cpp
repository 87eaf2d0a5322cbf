// gauntlet [EAL options --] --config FILE [mode options]
// The only place that may exit. Everything the user can get wrong (options, config,
// input files) is checked before EAL starts, so a bad start never half-starts a dataplane.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <optional>
#include <string>
#include <vector>

#include <rte_eal.h>

#include "dataplane/control/config.h"
#include "dataplane/control/explain.h"
#include "dataplane/control/what_if.h"
#include "dataplane/ports/live.h"
#include "dataplane/ports/replay.h"

namespace {

constexpr const char* kUsage = R"(usage: gauntlet [EAL options --] --config FILE [options]

  --config FILE         the YAML config (see README.md, "Config reference")
  --check               validate the config, print every error, exit (0: valid)

replay (pcaps in, pcaps out; EAL is set up for you):
  --replay DIR          DIR/outside.pcap and/or DIR/inside.pcap arrive on those ports
  --outside-pcap FILE   packets arriving on the outside port
  --inside-pcap FILE    packets arriving on the inside port
  --out DIR             output folder (default: out): outside.pcap, inside.pcap,
                        events.jsonl, summary.txt, summary.json
  --trace FILE          one JSON line per packet with its decision chain
  --explain LIST        print packets LIST (4,7-9 or all) in plain words, one line each
  --settle SECONDS      after the last packet, run the clock on SECONDS with no traffic
                        (every timeout due by then fires) and add what is still held
                        (fragments, neighbours, mbufs) to the summary
  --what-if FILE        replay through FILE as well; list the packets whose verdicts
                        differ (each run's outputs go to OUT/a and OUT/b)
  --workers N           split the flows between N workers (1-64; default 1), as live
                        mode does: each packet is received by one worker and handed to
                        the one that owns its flow; the outputs are the same set

live (ports from the config's device strings):
  --trace FILE          as above
  --events FILE         event log, appended to (default: standard error); SIGHUP
                        reopens it (log rotation) and reloads the config
  --duration SECONDS    stop by itself after this long
  --warmup SECONDS      measure the rates from this long after the start (benchmarks)
  --stage-cycles        time each pipeline step (TSC per burst); shown in the summary
  --summary-json FILE   also write the final summary as JSON (rates, stage cycles)

drop capture (replay and live):
  --drop-capture FILE   a pcap of the stopped packets as they arrived (512 bytes of each)
  --drop-capture-layer LIST
                        only the stops of these layers (firewall,waf,...; default: all)
  --drop-capture-bytes N
                        the file never grows past N bytes (k, M, G; default: 64M)
)";

struct Options {
  std::string config;
  bool check = false;
  gauntlet::ReplayOptions replay;
  gauntlet::LiveOptions live;
  bool replay_mode = false;
  std::optional<gauntlet::PacketSelection> explain;
  std::string what_if;  // the second config
};

// Live ports can take the device's MAC; a replayed port has no device to ask.
bool replay_macs_set(const gauntlet::Config& cfg) {
  for (uint8_t p = 0; p < gauntlet::kPortCount; ++p) {
    const auto& port = cfg.ports[p];
    if (!port.mac_set) {
      fmt::print(stderr, "{}:{}:{}: error: replay needs ports.{}.mac\n", port.mark.file,
                 port.mark.line, port.mark.column, gauntlet::port_role_name(p));
      return false;
    }
  }
  return true;
}

int usage_error(const std::string& message) {
  fmt::print(stderr, "gauntlet: {}\n{}", message, kUsage);
  return 2;
}

// Returns -1 when parsed, else the exit code.
int parse_options(const std::vector<std::string>& args, Options& o) {
  o.replay.out_dir = "out";
  const char* live_only = nullptr;  // a live-mode option seen (refused with --replay)
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string& into) {
      if (i + 1 >= args.size()) return false;
      into = args[++i];
      return true;
    };
    std::string dir, duration;
    if (a == "--help" || a == "-h") {
      fmt::print("{}", kUsage);
      return 0;
    } else if (a == "--check") {
      o.check = true;
    } else if (a == "--config") {
      if (!value(o.config)) return usage_error("--config needs a file");
    } else if (a == "--replay") {
      if (!value(dir)) return usage_error("--replay needs a folder");
      for (uint8_t p = 0; p < gauntlet::kPortCount; ++p) {
        const std::string f = fmt::format("{}/{}.pcap", dir, gauntlet::port_role_name(p));
        if (std::filesystem::exists(f)) o.replay.inputs[p] = f;
      }
      if (o.replay.inputs[0].empty() && o.replay.inputs[1].empty())
        return usage_error(fmt::format("{}: holds neither outside.pcap nor inside.pcap", dir));
      o.replay_mode = true;
    } else if (a == "--outside-pcap") {
      if (!value(o.replay.inputs[0])) return usage_error("--outside-pcap needs a file");
      o.replay_mode = true;
    } else if (a == "--inside-pcap") {
      if (!value(o.replay.inputs[1])) return usage_error("--inside-pcap needs a file");
      o.replay_mode = true;
    } else if (a == "--out") {
      if (!value(o.replay.out_dir)) return usage_error("--out needs a folder");
    } else if (a == "--trace") {
      if (!value(o.replay.trace_path)) return usage_error("--trace needs a file");
      o.live.trace_path = o.replay.trace_path;
    } else if (a == "--events") {
      if (!value(o.live.events_path)) return usage_error("--events needs a file");
    } else if (a == "--duration") {
      if (!value(duration)) return usage_error("--duration needs seconds");
      try {
        o.live.duration_s = std::stod(duration);
      } catch (...) {
        return usage_error(fmt::format("--duration: '{}' is not a number of seconds", duration));
      }
    } else if (a == "--warmup") {
      if (!value(duration)) return usage_error("--warmup needs seconds");
      try {
        o.live.warmup_s = std::stod(duration);
      } catch (...) {
        return usage_error(fmt::format("--warmup: '{}' is not a number of seconds", duration));
      }
      live_only = "--warmup";
    } else if (a == "--stage-cycles") {
      o.live.stage_cycles = true;
      live_only = "--stage-cycles";
    } else if (a == "--summary-json") {
      if (!value(o.live.summary_json_path)) return usage_error("--summary-json needs a file");
      live_only = "--summary-json";
    } else if (a == "--workers") {
      std::string n;
      if (!value(n)) return usage_error("--workers needs a number");
      char* end = nullptr;
      const unsigned long v = std::strtoul(n.c_str(), &end, 10);
      if (n.empty() || *end != '\0' || v < 1 || v > 64)
        return usage_error(fmt::format("--workers: '{}' is not a number from 1 to 64", n));
      o.replay.workers = static_cast<uint32_t>(v);
    } else if (a == "--settle") {
      if (!value(duration)) return usage_error("--settle needs seconds");
      try {
        o.replay.settle_s = std::stod(duration);
      } catch (...) {
        return usage_error(fmt::format("--settle: '{}' is not a number of seconds", duration));
      }
      if (!(o.replay.settle_s >= 0 && o.replay.settle_s <= 1e9))
        return usage_error(fmt::format("--settle: '{}' is not 0 to 1e9 seconds", duration));
    } else if (a == "--explain") {
      std::string list, error;
      if (!value(list)) return usage_error("--explain needs packet numbers (4,7-9) or all");
      o.explain = gauntlet::PacketSelection::parse(list, error);
      if (!o.explain) return usage_error("--explain: " + error);
    } else if (a == "--what-if") {
      if (!value(o.what_if)) return usage_error("--what-if needs a config file");
    } else if (a == "--drop-capture") {
      if (!value(o.replay.drop_capture.path)) return usage_error("--drop-capture needs a file");
    } else if (a == "--drop-capture-layer") {
      std::string list;
      if (!value(list)) return usage_error("--drop-capture-layer needs layer names");
      if (std::string e = gauntlet::parse_drop_layers(list, o.replay.drop_capture.layers);
          !e.empty())
        return usage_error("--drop-capture-layer: " + e);
    } else if (a == "--drop-capture-bytes") {
      std::string bytes;
      if (!value(bytes)) return usage_error("--drop-capture-bytes needs a size");
      if (std::string e = gauntlet::parse_byte_count(bytes, o.replay.drop_capture.max_bytes);
          !e.empty())
        return usage_error("--drop-capture-bytes: " + e);
    } else {
      return usage_error(fmt::format("unknown option '{}'", a));
    }
  }
  if (o.config.empty()) return usage_error("--config FILE is required");
  o.live.drop_capture = o.replay.drop_capture;
  if ((o.explain || !o.what_if.empty()) && !o.replay_mode)
    return usage_error(
        fmt::format("{} needs a replay (--replay DIR)", o.explain ? "--explain" : "--what-if"));
  if (!o.what_if.empty() &&
      (o.explain || !o.replay.trace_path.empty() || !o.replay.drop_capture.path.empty()))
    return usage_error(
        "--what-if writes its own traces (OUT/a/trace.jsonl, OUT/b/trace.jsonl) and takes no "
        "--trace, --explain or --drop-capture");
  if (!o.replay_mode && o.replay.workers != 1)
    return usage_error("--workers is a replay option (live mode takes workers: from the config)");
  if (!o.replay_mode && o.replay.settle_s >= 0)
    return usage_error("--settle needs a replay (--replay DIR)");
  if (o.replay_mode && live_only)
    return usage_error(fmt::format("{} is a live-mode option", live_only));
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> eal_args{argv[0]}, args;
  bool explicit_eal = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--" && !explicit_eal) {
      explicit_eal = true;
      eal_args.insert(eal_args.end(), args.begin(), args.end());
      args.clear();
      continue;
    }
    args.emplace_back(argv[i]);
  }
  Options o;
  if (int rc = parse_options(args, o); rc >= 0) return rc;

  std::vector<gauntlet::ConfigError> errors;
  const auto load_start = std::chrono::steady_clock::now();
  auto cfg = gauntlet::load_config(o.config, errors);
  const double load_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - load_start)
          .count();
  for (const auto& e : errors) fmt::print(stderr, "{}\n", e.to_string());
  if (!cfg) return 2;
  for (const auto& w : cfg->warnings) fmt::print(stderr, "{}\n", w);
  // Large rule sets: say what loading them cost (compile times follow from build_tables).
  if (const size_t rules = cfg->firewall.rules.size() + cfg->allowlist.rules.size(); rules >= 1000)
    fmt::print(stderr, "gauntlet: {}: {} rules loaded and checked in {:.0f} ms\n", o.config, rules,
               load_ms);
  if (o.check) {
    for (const auto& n : cfg->notes) fmt::print(stderr, "{}\n", n);
    fmt::print("{}: ok\n", o.config);
    return 0;
  }
  if (o.replay_mode) {
    if (!replay_macs_set(*cfg)) return 2;
    if (const uint32_t ports = uint32_t{cfg->snat.port_hi} - cfg->snat.port_lo + 1;
        cfg->snat.enabled && ports < o.replay.workers)
      return usage_error(fmt::format(
          "--workers {}: {}: snat ports {}-{} are fewer than that (each worker needs a slice)",
          o.replay.workers, o.config, cfg->snat.port_lo, cfg->snat.port_hi));
    if (std::string e = gauntlet::check_replay_inputs(o.replay); !e.empty()) {
      fmt::print(stderr, "gauntlet: {}\n", e);
      return 2;
    }
  } else {
    for (uint8_t p = 0; p < gauntlet::kPortCount; ++p)
      if (cfg->ports[p].device.empty())
        return usage_error(fmt::format("{}: live mode needs ports.{}.device (or give --replay)",
                                       o.config, gauntlet::port_role_name(p)));
  }
  // What-if: the second config is checked as fully as the first, before EAL starts.
  std::optional<gauntlet::Config> what_if_cfg;
  if (!o.what_if.empty()) {
    std::vector<gauntlet::ConfigError> b_errors;
    auto b = gauntlet::load_config(o.what_if, b_errors);
    for (const auto& e : b_errors) fmt::print(stderr, "{}\n", e.to_string());
    if (!b) return 2;
    for (const auto& w : b->warnings) fmt::print(stderr, "{}\n", w);
    if (!replay_macs_set(*b)) return 2;
    what_if_cfg = std::move(*b);
  }
  std::optional<gauntlet::Explainer> explainer;
  if (o.explain) {
    explainer.emplace(*o.explain, stdout);
    o.replay.observe = explainer->observer();
  }
  if (!explicit_eal) {
    // Defaults that work on any machine: no hugepages, no shared config (so several runs
    // can share a machine), quiet logs. Replay holds two generations at once when health
    // checks publish a new one (each with a 64 MB IPv4 route table).
    const std::string lcores = o.replay_mode ? "0" : fmt::format("0-{}", cfg->workers);
    for (const char* a : {"-l", lcores.c_str(), "--no-huge", "-m", o.replay_mode ? "512" : "1024",
                          "--no-shconf", "--log-level=*:warning"})
      eal_args.emplace_back(a);
    bool pci = false;
    for (const auto& a : gauntlet::device_eal_args(*cfg)) pci = pci || a == "-a";
    if (o.replay_mode || !pci) eal_args.emplace_back("--no-pci");
    if (o.replay_mode) {
      eal_args.emplace_back("--no-telemetry");
    }
  }
  if (!o.replay_mode)
    for (auto& a : gauntlet::device_eal_args(*cfg)) eal_args.push_back(a);
  std::vector<char*> eal_argv;
  for (auto& a : eal_args) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    fmt::print(stderr, "gauntlet: EAL did not start (see the EAL message above)\n");
    return 1;
  }
  const int rc = !o.replay_mode ? gauntlet::run_live(*cfg, o.live)
                 : what_if_cfg  ? gauntlet::run_what_if(*cfg, *what_if_cfg, o.replay)
                                : gauntlet::run_replay(*cfg, o.replay);
  if (explainer && rc == 0 && explainer->printed() == 0)
    fmt::print(stderr, "gauntlet: --explain: no packet of the replay has those numbers\n");
  rte_eal_cleanup();
  return rc;
}
