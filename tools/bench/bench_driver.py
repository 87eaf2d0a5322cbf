#!/usr/bin/python3
"""The benchmark driver behind tools/bench/run_bench.sh (see its header and README.md,
"Benchmarks"): for each scenario, the I/O floor (dpdk-testpmd io-forwarding the same pcap
from net_pcap infinite_rx to net_null) and gauntlet live on the same vdevs, with the same
number of workers; prints a table and writes JSON.  Never fails on a figure."""

import argparse
import json
import math
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
# Without hugepages a pool's 2.3 KB mbufs may not cross a 4 KiB page: one mbuf per page.
MBUF_BYTES = 4096

# name, what it adds, traffic (proto, flows, size, direction, to), config fragments, quick
SCENARIOS = [
    ("forward", "forward only: untracked IP (no conntrack lookup), no rules",
     ("untracked", 1000, "64", "ingress", "pods"), [], True),
    ("forward-imix", "forward only, IMIX sizes",
     ("untracked", 1000, "imix", "ingress", "pods"), [], False),
    ("fw1-1k", "+ firewall: ClassBench fw1 (1K rules) judges every packet",
     ("untracked", 1000, "64", "ingress", "pods"), ["firewall-fw1.yaml"], True),
    ("acl1-8k", "+ firewall: ClassBench acl1 (8K rules) judges every packet",
     ("untracked", 1000, "64", "ingress", "pods"), ["firewall-acl1.yaml"], True),
    ("conntrack-1k", "+ conntrack: UDP, established, 1K flows",
     ("udp", 1000, "64", "ingress", "pods"), [], False),
    ("conntrack-100k", "+ conntrack: UDP, established, 100K flows",
     ("udp", 100000, "64", "ingress", "pods"), [], True),
    ("conntrack-1m", "+ conntrack: UDP, established, 1M flows",
     ("udp", 1000000, "64", "ingress", "pods"), [], False),
    ("lb-dnat", "+ LB: Maglev + DNAT, 100K UDP flows to a VIP",
     ("udp", 100000, "64", "ingress", "vip"), ["services.yaml"], True),
    ("snat", "+ SNAT: 50K UDP flows from pods (egress)",
     ("udp", 50000, "64", "egress", "pods"), ["allowlist-open.yaml", "snat.yaml"], True),
    ("ingress-full", "ingress: fw1 1K rules + conntrack 100K + Maglev + DNAT",
     ("udp", 100000, "64", "ingress", "vip"), ["firewall-fw1.yaml", "services.yaml"], True),
    ("egress-full", "egress: allow-list fw1 1K rules + conntrack 50K + SNAT",
     ("udp", 50000, "64", "egress", "pods"), ["allowlist-fw1.yaml", "snat.yaml"], True),
    ("ingress-full-imix", "ingress-full with IMIX sizes",
     ("udp", 100000, "imix", "ingress", "vip"), ["firewall-fw1.yaml", "services.yaml"], False),
    ("egress-full-imix", "egress-full with IMIX sizes",
     ("udp", 50000, "imix", "egress", "pods"), ["allowlist-fw1.yaml", "snat.yaml"], False),
    # Live traffic, not a looped pcap: gauntlet-trafficgen --http over memif (run_waf).
    ("waf-http", "+ WAF: HTTP GET/POST mix, 1 in 8 an attack, 1K keep-alive connections",
     ("http", 1000, "http", "ingress", "vip"), ["waf.yaml"], True),
]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def traffic_name(t):
    proto, flows, size, direction, to = t
    return f"{direction}-{proto}-{flows}-{size}-{to}"


def traffic_label(t):
    proto, flows, size, direction, to = t
    n = f"{flows // 1000000}M" if flows >= 1000000 else f"{flows // 1000}K"
    return f"{proto} {n} {size}{'B' if size == '64' else ''} {'->' + to if direction == 'ingress' else 'egress'}"


def make_traffic(t, cache, shards):
    """The pcap(s) of traffic t, generated once into `cache`; returns (files, meta)."""
    proto, flows, size, direction, to = t
    base = os.path.join(cache, f"{traffic_name(t)}-s{shards}.pcap")
    meta_path = base + ".json"
    gen = os.path.join(HERE, "gen_traffic.py")
    files = [base] if shards == 1 else [f"{base}.{k}" for k in range(shards)]
    fresh = os.path.exists(meta_path) and all(
        os.path.getmtime(f) > os.path.getmtime(gen) for f in files + [meta_path])
    if not fresh:
        log(f"bench: generating {traffic_label(t)} traffic ({os.path.basename(base)})")
        subprocess.run(["/usr/bin/python3", gen, "--out", base, "--flows", str(flows),
                        "--proto", proto, "--size", size, "--direction", direction, "--to", to,
                        "--shards", str(shards)], check=True)
        packets = frames = 0
        for f in files:
            with open(f, "rb") as fh:
                fh.seek(24)
                while hdr := fh.read(16):
                    length = int.from_bytes(hdr[8:12], "little")
                    fh.seek(length, 1)
                    packets += 1
                    frames += length + 4  # with FCS
        with open(meta_path, "w") as fh:
            json.dump({"packets": packets, "mean_frame_bytes": frames / packets}, fh)
    with open(meta_path) as fh:
        return files, json.load(fh)


def eal_args(workers, mbufs):
    memory = math.ceil(mbufs * MBUF_BYTES / 2**20) + 512
    return ["-l", f"0-{workers}", "--no-huge", "-m", str(memory), "--no-pci", "--no-shconf",
            "--no-telemetry", "--log-level=*:warning"]


def pcap_vdev(name, files):
    return f"{name}," + ",".join(f"rx_pcap={f}" for f in files) + ",infinite_rx=1"


def io_floor(files, meta, args, logdir, tag):
    """dpdk-testpmd io-forwarding net_pcap (infinite_rx) -> net_null on `workers` cores."""
    w = args.workers
    mbufs = meta["packets"] + 8192 * w + 4096
    # Line-buffered, so that "Press enter to exit" (forwarding has started) shows at once.
    cmd = (["stdbuf", "-oL", args.testpmd] + eal_args(w, mbufs) +
           ["--vdev", pcap_vdev("net_pcap0", files), "--vdev", "net_null0,no-rx=1", "--",
            "--forward-mode=io", f"--nb-cores={w}", f"--rxq={w}", f"--txq={w}",
            f"--total-num-mbufs={mbufs}", "--record-core-cycles", "--no-lsc-interrupt"])
    out_path = os.path.join(logdir, f"testpmd-{tag}.log")
    with open(out_path, "w") as out:
        out.write(" ".join(cmd) + "\n")
        out.flush()
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline and p.poll() is None:
            with open(out_path) as fh:
                if "Press enter to exit" in fh.read():
                    break
            time.sleep(0.02)
        else:
            log(f"bench: testpmd did not start forwarding, see {out_path}")
        started = time.time()
        time.sleep(args.duration)
        elapsed = time.time() - started  # testpmd stops forwarding on the newline
        try:
            p.stdin.write(b"\n")
            p.stdin.close()
        except BrokenPipeError:
            pass
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGINT)
            p.wait(timeout=30)
    text = open(out_path).read()
    m = re.search(r"CPU cycles/packet=([\d.]+) \((?:busy|total) cycles=(\d+) / total \w+ "
                  r"packets=(\d+)\) "
                  r"at (\d+) MHz", text)
    if not m:
        log(f"bench: testpmd gave no cycles/packet figure, see {out_path}")
        return None
    cpp, packets, mhz = float(m.group(1)), int(m.group(3)), int(m.group(4))
    return {"cycles_per_packet": cpp, "mpps_per_core": mhz / cpp, "packets": packets,
            "tsc_mhz": mhz, "forwarding_s": round(elapsed, 3),
            "mpps_wall": packets / elapsed / 1e6 / w, "log": out_path}


def gauntlet_config(scenario, files, meta, args, workdir, stage_cycles):
    name, _, t, fragments, _ = scenario
    proto, flows, size, direction, to = t
    per_worker = math.ceil(flows / args.workers)
    mbufs = min(meta["packets"] + 8192 * args.workers + 4096, 1 << 22)
    fields = {
        "WORKERS": str(args.workers),
        "MBUFS": str(mbufs),
        "CAPACITY": str(max(65536, per_worker * 5 // 4)),
        "OUTSIDE_DEVICE": pcap_vdev("net_pcap0", files) if direction == "ingress"
        else "net_null0,no-rx=1",
        "INSIDE_DEVICE": pcap_vdev("net_pcap1", files) if direction == "egress"
        else "net_null1,no-rx=1",
        "CORPORA": args.corpora,
    }
    text = ""
    for part in ["base.yaml"] + fragments:
        with open(os.path.join(HERE, "configs", part)) as fh:
            text += fh.read() + "\n"
    for k, v in fields.items():
        text = text.replace(f"@{k}@", v)
    path = os.path.join(workdir, f"{name}{'-stages' if stage_cycles else ''}.yaml")
    with open(path, "w") as fh:
        fh.write(text)
    return path, mbufs


def run_gauntlet(scenario, files, meta, args, logdir, stage_cycles):
    name = scenario[0]
    flows = scenario[2][1]
    config, mbufs = gauntlet_config(scenario, files, meta, args, logdir, stage_cycles)
    # Leave the first pass of the pcap out: it creates the flows (the slow path).
    warmup = args.warmup if args.warmup is not None else round(
        0.5 + meta["packets"] / args.workers / 0.75e6, 2)
    tag = f"{name}{'-stages' if stage_cycles else ''}"
    summary = os.path.join(logdir, f"gauntlet-{tag}.json")
    cmd = ([args.gauntlet] + eal_args(args.workers, mbufs) +
           ["--", "--config", config, "--duration", str(warmup + args.duration),
            "--warmup", str(warmup), "--summary-json", summary,
            "--events", os.path.join(logdir, f"events-{tag}.jsonl")] +
           (["--stage-cycles"] if stage_cycles else []))
    out_path = os.path.join(logdir, f"gauntlet-{tag}.log")
    if os.path.exists(summary):
        os.remove(summary)
    with open(out_path, "w") as out:
        out.write(" ".join(cmd) + "\n")
        out.flush()
        rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT,
                            timeout=warmup + args.duration + 180).returncode
    if rc != 0 or not os.path.exists(summary):
        log(f"bench: gauntlet exited {rc} in {name}, see {out_path}")
        return None
    with open(summary) as fh:
        s = json.load(fh)
    live = s["live"]
    win = live["window"]
    secs = win["seconds"]
    rx = win["rx"]["outside"] + win["rx"]["inside"]
    tx = win["tx"]["outside"] + win["tx"]["inside"]
    mpps = rx / secs / 1e6 / live["workers"] if secs > 0 else 0
    r = {"mpps_per_worker": mpps, "gbps": mpps * live["workers"] * meta["mean_frame_bytes"] * 8 / 1e3,
         "cycles_per_packet": live["tsc_hz"] / (mpps * 1e6) if mpps else None,
         "packets": rx, "forwarded": tx, "tx_refused": win["tx_refused"],
         "new_flows_in_window": win["flows_created"], "window_s": secs,
         "warmup_s": live["warmup_s"], "tsc_hz": live["tsc_hz"], "log": out_path,
         "summary": summary, "flows_created": s["flows"]["created"]}
    if stage_cycles:
        # rx, the pipeline's steps, tx: their sum is the busy cycles per packet, counted as
        # testpmd's --record-core-cycles counts them (polls that brought packets).
        r["stages"] = [{"stage": st["stage"],
                        "cycles_per_packet": st["cycles"] / st["packets"] if st["packets"] else 0}
                       for st in win.get("stage_cycles", [])]
        r["busy_cycles_per_packet"] = sum(st["cycles_per_packet"] for st in r["stages"])
    if flows and s["flows"]["created"] == 0 and scenario[2][0] != "untracked":
        log(f"bench: {name}: no flow was created, see {out_path}")
    return r


def run_waf(scenario, args, logdir):
    """The WAF on an HTTP mix. A looped pcap cannot keep TCP connections going (each pass
    would resend bytes the stream already has), so the traffic is live: gauntlet-trafficgen
    --http serves two memif links on core 0 (it plays the clients and, for the handshakes, the
    backend; every pass sends each connection's next request) and gauntlet attaches to them
    with one worker on core 1, timing its stages. The generator's unthrottled run gives the
    wall-clock rate (what came through to the backend side); gauntlet's busy cycles give the
    cost per packet."""
    name, _, t, fragments, _ = scenario
    flows = t[1]
    gen = os.path.join(args.build, "tools", "trafficgen", "gauntlet-trafficgen")
    if not os.access(gen, os.X_OK):
        log(f"bench: {gen} not built: no {name}")
        return None
    sock = os.path.join(logdir, f"memif-{name}")
    os.makedirs(sock, exist_ok=True)
    files = {"outside": f"net_memif0,role=client,socket={sock}/outside.sock",
             "inside": f"net_memif1,role=client,socket={sock}/inside.sock"}
    text = ""
    for part in ["base.yaml"] + fragments:
        with open(os.path.join(HERE, "configs", part)) as fh:
            text += fh.read() + "\n"
    for k, v in {"WORKERS": "1", "MBUFS": "32768", "CAPACITY": "65536", "REPO": REPO,
                 "OUTSIDE_DEVICE": files["outside"], "INSIDE_DEVICE": files["inside"],
                 "CORPORA": args.corpora}.items():
        text = text.replace(f"@{k}@", v)
    config = os.path.join(logdir, f"{name}.yaml")
    with open(config, "w") as fh:
        fh.write(text)
    gen_json = os.path.join(logdir, f"trafficgen-{name}.json")
    hold = os.path.join(sock, "done")
    summary = os.path.join(logdir, f"gauntlet-{name}.json")
    eal = ["--no-huge", "-m", "1024", "--no-pci", "--single-file-segments",
           "--log-level=*:warning"]
    gcmd = ([gen, "-l", "0"] + eal + ["--file-prefix", f"tg-bench-{os.getpid()}",
            "--vdev", f"net_memif0,role=server,socket={sock}/outside.sock",
            "--vdev", f"net_memif1,role=server,socket={sock}/inside.sock", "--",
            "--tx-port", "0", "--rx-port", "1", "--http", "--flows", str(flows),
            "--duration", str(args.duration), "--json", gen_json, "--hold-until", hold])
    dcmd = ([args.gauntlet, "-l", "1"] + eal + ["--file-prefix", f"dut-bench-{os.getpid()}",
            "--", "--config", config, "--duration", "300", "--summary-json", summary,
            "--events", os.path.join(logdir, f"events-{name}.jsonl"), "--stage-cycles"])
    gen_log = open(os.path.join(logdir, f"trafficgen-{name}.log"), "w")
    dut_path = os.path.join(logdir, f"gauntlet-{name}.log")
    dut_log = open(dut_path, "w")
    gen_log.write(" ".join(gcmd) + "\n")
    dut_log.write(" ".join(dcmd) + "\n")
    gen_log.flush()
    dut_log.flush()
    g = subprocess.Popen(gcmd, stdout=gen_log, stderr=subprocess.STDOUT)
    for _ in range(100):
        if all(os.path.exists(os.path.join(sock, f"{p}.sock")) for p in files):
            break
        time.sleep(0.1)
    d = subprocess.Popen(dcmd, stdout=dut_log, stderr=subprocess.STDOUT)
    # The generator's run ends with its JSON; gauntlet stops first, then the generator (a
    # memif peer must not poll a link whose other side has gone).
    deadline = time.time() + 240
    while time.time() < deadline and g.poll() is None and not (
            os.path.exists(gen_json) and os.path.getsize(gen_json) > 0):
        time.sleep(0.1)
    d.send_signal(signal.SIGTERM)
    try:
        d.wait(timeout=60)
    except subprocess.TimeoutExpired:
        d.kill()
        d.wait()
    open(hold, "w").close()
    try:
        g.wait(timeout=60)
    except subprocess.TimeoutExpired:
        g.kill()
        g.wait()
    if not os.path.exists(gen_json) or not os.path.exists(summary):
        log(f"bench: {name}: no result, see {gen_log.name} and {dut_path}")
        return None
    with open(gen_json) as fh:
        run = json.load(fh)["run"]
    with open(summary) as fh:
        s = json.load(fh)
    live = s["live"]
    pps = run["received"] / run["elapsed_s"] if run["elapsed_s"] else 0
    tx_pps = run["sent"] / run["elapsed_s"] if run["elapsed_s"] else 0
    # Request bytes and frame bytes per frame, from what the generator offered.
    payload = run["http_payload_gbps"] * 1e9 / 8 / tx_pps if tx_pps else 0
    frame = run["gbps"] * 1e9 / 8 / tx_pps - 4 if tx_pps else 0
    win = live["window"]
    stages = [{"stage": st["stage"],
               "cycles_per_packet": st["cycles"] / st["packets"] if st["packets"] else 0}
              for st in win.get("stage_cycles", [])]
    busy = sum(st["cycles_per_packet"] for st in stages) or None
    mpps = pps / 1e6
    return {"mpps_per_worker": mpps, "gbps": mpps * (frame + 4) * 8 / 1e3,
            "cycles_per_packet": live["tsc_hz"] / pps if pps else None,
            "busy_cycles_per_packet": busy, "stages": stages,
            "http_payload_gbps_per_worker": pps * payload * 8 / 1e9,
            "http_payload_gbps_busy": live["tsc_hz"] / busy * payload * 8 / 1e9 if busy else None,
            "payload_bytes_per_packet": payload, "packets": run["received"],
            "forwarded": run["received"], "sent": run["sent"], "tx_refused": run["tx_refused"],
            "new_flows_in_window": None, "window_s": run["elapsed_s"],
            "tsc_hz": live["tsc_hz"], "waf": s.get("waf"), "log": dut_path,
            "generator_log": gen_log.name, "summary": summary,
            "flows_created": s["flows"]["created"]}


def fmt(v, spec):
    return format(v, spec) if v is not None else "-"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    ap.add_argument("--mode", choices=("quick", "full"), default="quick")
    ap.add_argument("--duration", type=float, default=None, help="measured seconds per run")
    ap.add_argument("--warmup", type=float, default=None, help="default: one pass of the pcap")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--only", default="", help="comma-separated scenario names")
    ap.add_argument("--json", default=None)
    ap.add_argument("--cache", default=None, help="where generated pcaps are kept")
    args = ap.parse_args()
    full = args.mode == "full"
    if args.duration is None:
        args.duration = 5.0 if full else 1.0
    args.gauntlet = os.path.join(args.build, "dataplane", "gauntlet")
    args.testpmd = os.environ.get("DPDK_TESTPMD", "dpdk-testpmd")
    args.corpora = os.path.abspath(os.path.join(REPO, "..", "shared", "corpora"))
    args.cache = args.cache or os.path.join(args.build, "bench-traffic")
    if not os.access(args.gauntlet, os.X_OK):
        sys.exit(f"bench: {args.gauntlet} not found (ninja -C {args.build})")
    os.makedirs(args.cache, exist_ok=True)
    logdir = subprocess.run(["mktemp", "-d", "/tmp/gauntlet_bench.XXXXXX"], check=True,
                            capture_output=True, text=True).stdout.strip()
    only = set(filter(None, args.only.split(",")))
    chosen = [s for s in SCENARIOS if (s[0] in only if only else (full or s[4]))]
    if only - {s[0] for s in SCENARIOS}:
        sys.exit(f"bench: unknown scenario(s) {', '.join(sorted(only - {s[0] for s in SCENARIOS}))}")
    load_before = open("/proc/loadavg").read().split()[:3]
    began = time.time()
    floors, results = {}, []
    for sc in chosen:
        name, adds, t, fragments, _ = sc
        if t[0] == "http":
            log(f"bench: gauntlet, {name} (gauntlet-trafficgen --http over memif, 1 worker)")
            g = run_waf(sc, args, logdir)
            results.append({"scenario": name, "adds": adds, "traffic": "http 1K conns mix",
                            "flows": t[1], "config_fragments": fragments, "floor": None,
                            "gauntlet": g, "ratio_to_floor": None, "wall_ratio_to_floor": None})
            continue
        files, meta = make_traffic(t, args.cache, args.workers)
        key = traffic_name(t)
        if key not in floors:
            log(f"bench: I/O floor, {traffic_label(t)}")
            floors[key] = io_floor(files, meta, args, logdir, key)
        log(f"bench: gauntlet, {name}")
        g = run_gauntlet(sc, files, meta, args, logdir, stage_cycles=not full)
        if full and g:
            # Timed runs without accounting; the stage split from a second run with it.
            staged = run_gauntlet(sc, files, meta, args, logdir, stage_cycles=True)
            if staged:
                for k in ("stages", "busy_cycles_per_packet"):
                    g[k] = staged[k]
                g["stage_run_mpps_per_worker"] = staged["mpps_per_worker"]
        floor = floors[key]
        # Busy cycles against busy cycles: what a packet costs while the core works on it,
        # which time slices lost to other processes on a shared machine do not inflate.
        ratio = (floor["cycles_per_packet"] / g["busy_cycles_per_packet"]
                 if g and floor and g.get("busy_cycles_per_packet") else None)
        wall_ratio = g["mpps_per_worker"] / floor["mpps_wall"] if g and floor else None
        results.append({"scenario": name, "adds": adds, "traffic": traffic_label(t),
                        "flows": t[1], "packets_in_pcap": meta["packets"],
                        "mean_frame_bytes": round(meta["mean_frame_bytes"], 1),
                        "config_fragments": fragments, "floor": floor, "gauntlet": g,
                        "ratio_to_floor": ratio, "wall_ratio_to_floor": wall_ratio})
    load_after = open("/proc/loadavg").read().split()[:3]

    print(f"gauntlet benchmark ({args.mode}): {args.workers} worker(s), {args.duration:g} s "
          f"measured per run; load average before {' '.join(load_before)}, after "
          f"{' '.join(load_after)} ({os.cpu_count()} CPUs); logs: {logdir}")
    if not full:
        print("quick mode: stage accounting is on in the timed runs (a TSC read per step per "
              "burst); --full times without it and splits the stages in a second run")
    print(f"{'scenario':<18} {'traffic':<22} {'Mpps/w':>6} {'Gbps':>6} {'cyc/pkt':>7} "
          f"{'busy':>6} {'floor':>6} {'f.busy':>6} {'ratio':>5} {'wall':>5} {'fwd%':>5} {'new':>4}")
    for r in results:
        g, f = r["gauntlet"], r["floor"]
        fwd = 100.0 * g["forwarded"] / g["packets"] if g and g["packets"] else None
        print(f"{r['scenario']:<18} {r['traffic']:<22} {fmt(g and g['mpps_per_worker'], '6.2f')} "
              f"{fmt(g and g['gbps'], '6.2f')} {fmt(g and g['cycles_per_packet'], '7.0f')} "
              f"{fmt(g and g.get('busy_cycles_per_packet'), '6.0f')} "
              f"{fmt(f and f['mpps_wall'], '6.2f')} {fmt(f and f['cycles_per_packet'], '6.0f')} "
              f"{fmt(r['ratio_to_floor'], '5.2f')} {fmt(r['wall_ratio_to_floor'], '5.2f')} "
              f"{fmt(fwd, '5.1f')} {fmt(g and g.get('new_flows_in_window'), '4d')}")
        if g and g.get("http_payload_gbps_per_worker") is not None:
            print(f"    HTTP payload: {g['http_payload_gbps_per_worker']:.3f} Gbit/s per worker "
                  f"(wall clock), {fmt(g['http_payload_gbps_busy'], '.3f')} Gbit/s at the busy "
                  f"cycles; {g['payload_bytes_per_packet']:.0f} request bytes per packet; no "
                  f"floor (live memif traffic, not the pcap replay)")
        if g and g.get("stages"):
            print("    cycles/packet: " + ", ".join(
                f"{s['stage']} {s['cycles_per_packet']:.0f}" for s in g["stages"]
                if s["cycles_per_packet"] >= 0.5))
    print("""Mpps/w  packets gauntlet took in per second per worker, after the warm-up (wall clock)
Gbps    the same in Ethernet frames with FCS (no preamble or gap)
cyc/pkt TSC cycles per packet per worker, wall clock (other load on the core included)
busy    TSC cycles per packet in polls that brought packets (rx + pipeline steps + tx)
floor   dpdk-testpmd io-forwarding the same pcap to net_null: Mpps per core, wall clock
f.busy  testpmd's busy cycles per packet (--record-core-cycles)
ratio   f.busy / busy: gauntlet's rate as a share of the floor's, in busy cycles
wall    Mpps/w / floor, both by the wall clock (noisy when the machine is shared)
fwd%    share of the packets sent on; new: flows created within the window (0: all hits)""")
    doc = {"mode": args.mode, "workers": args.workers, "duration_s": args.duration,
           "cpus": os.cpu_count(), "load_before": load_before, "load_after": load_after,
           "seconds": round(time.time() - began, 1), "logs": logdir, "scenarios": results}
    out = args.json or os.path.join(logdir, "bench.json")
    with open(out, "w") as fh:
        json.dump(doc, fh, indent=1)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
