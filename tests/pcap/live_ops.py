"""Operations on a live run (net_pcap infinite_rx -> net_null, forwarding throughout):
  - DPDK telemetry through Debian's own client (dpdk-telemetry.py): /gauntlet/stats, layers,
    services, flows (top N, by address), nat, reload, with their JSON checked; then garbage
    (bad parameters, random bytes on the socket): errors, never a crash, forwarding goes on;
  - Prometheus /metrics scraped with curl during traffic and during a reload: HELP and TYPE
    for every family, the values the run implies;
  - the event log: reopened on SIGHUP after a rotation; /dev/full and an unopenable path are
    reported on stderr and counted while forwarding continues.
usage: live_ops.py GAUNTLET TMPDIR"""
import json, os, random, re, shutil, signal, socket, subprocess, sys, threading, time

gauntlet, tmp = sys.argv[1], sys.argv[2]
from scapy.all import Ether, IP, UDP, Raw, wrpcap  # noqa: E402

packets = []
for i in range(40):
    src = f"203.0.113.{1 + i % 8}"
    for dst, dport, size in (("198.51.100.10", 53, 40 + i), ("10.0.0.10", 9999, 18)):
        packets.append(Ether(src="02:00:00:00:01:fe", dst="02:00:00:00:00:01") /
                       IP(src=src, dst=dst) / UDP(sport=20000 + i, dport=dport) / Raw(b"x" * size))
wrpcap(f"{tmp}/traffic.pcap", packets)
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
config = f"""ports:
  outside:
    device: net_pcap0,rx_pcap={tmp}/traffic.pcap,infinite_rx=1
    mac: 02:00:00:00:00:01
    addresses: [198.51.100.1/24]
  inside:
    device: net_null0,no-rx=1
    mac: 02:00:00:00:00:02
    addresses: [10.0.0.1/24]
neighbours:
  - {{ address: 198.51.100.254, port: outside, mac: 02:00:00:00:01:fe }}
  - {{ address: 10.0.0.10, port: inside, mac: 02:00:00:00:02:0a }}
  - {{ address: 10.0.0.11, port: inside, mac: 02:00:00:00:02:0b }}
metrics: {{ listen: 127.0.0.1:{port} }}
firewall:
  default: deny
  rules:
    - {{ id: dns-vip, action: allow, proto: udp, dst: 198.51.100.10/32, dst_port: 53 }}
snat: {{ address: 198.51.100.2, from: [10.0.0.0/24], ports: 1024-65535 }}
services:
  - name: dns
    vip: 198.51.100.10
    ports: [53]
    protocol: udp
    table_size: 251
    backends:
      - {{ address: 10.0.0.10, port: 53, weight: 1 }}
      - {{ address: 10.0.0.11, port: 53, weight: 3 }}
"""
with open(f"{tmp}/ops.yaml", "w") as f:
    f.write(config)
failures = []


def check(ok, message):
    if not ok:
        failures.append(message)
        print("FAIL:", message)


def start(prefix, events):
    err = open(f"{tmp}/{prefix}.err", "w")
    p = subprocess.Popen(
        [gauntlet, "-l", "0,1", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
         "--file-prefix", prefix, "--log-level=*:warning", "--", "--config", f"{tmp}/ops.yaml",
         "--events", events], stdout=open(f"{tmp}/{prefix}.out", "w"), stderr=err)
    for _ in range(200):
        if os.path.exists(f"/var/run/dpdk/{prefix}/dpdk_telemetry.v2") or p.poll() is not None:
            break
        time.sleep(0.05)
    time.sleep(1.0)
    return p


def stop(p, prefix):
    p.send_signal(signal.SIGINT)
    rc = p.wait(timeout=30)
    return rc, open(f"{tmp}/{prefix}.out").read(), open(f"{tmp}/{prefix}.err").read()


def telemetry(prefix, *commands):
    """Debian's client, as an operator runs it; one JSON reply per command."""
    out = subprocess.run(["/usr/bin/python3", "/usr/bin/dpdk-telemetry.py", "-f", prefix],
                         input="\n".join(commands) + "\n", capture_output=True, text=True,
                         timeout=30).stdout
    replies = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    check(len(replies) == len(commands), f"telemetry: {len(replies)} replies to {commands}: {out}")
    return [next(iter(r.values())) for r in replies]


def scrape():
    return subprocess.run(["curl", "-sS", "--max-time", "10", f"http://127.0.0.1:{port}/metrics"],
                          capture_output=True, text=True).stdout


def metric(text, name, labels=""):
    m = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


prefix = f"gauntlet-ops-{os.getpid()}"
events = f"{tmp}/events.jsonl"
p = start(prefix, events)

# Telemetry, through the real client.
stats, layers, services, svc, flows, by_addr, nat = telemetry(
    prefix, "/gauntlet/stats", "/gauntlet/layers", "/gauntlet/services", "/gauntlet/services,dns",
    "/gauntlet/flows,5", "/gauntlet/flows,3,203.0.113.5", "/gauntlet/nat")
check(stats["rx_outside"] > 0 and stats["tx_inside"] > 0 and stats["generation"] == 1,
      f"stats: {stats}")
fw = layers.get("ingress/firewall", {})
check(fw.get("stop", 0) > 0 and fw.get("firewall/default_deny", 0) > 0 and fw.get("pass", 0) > 0,
      f"layers: ingress/firewall {fw}")
check(services.get("dns", {}).get("vip") == "198.51.100.10" and services["dns"]["backends"] == 2,
      f"services: {services}")
b10, b11 = svc.get("backend0", {}), svc.get("backend1", {})
check(b10.get("address") == "10.0.0.10:53" and b11.get("address") == "10.0.0.11:53" and
      b10.get("weight") == 1 and b11.get("weight") == 3 and b10.get("flows", 0) + b11.get("flows", 0) == 40,
      f"services,dns: 40 flows over the two backends: {svc}")
top = [flows[k] for k in sorted((k for k in flows if k.isdigit()), key=int)]
check(len(top) == 5 and all(a["bytes"] >= b["bytes"] for a, b in zip(top, top[1:])) and
      flows["matched"] == 40 and all(f["dst"] == "198.51.100.10" and f["backend"].startswith("dns ")
                                     for f in top),
      f"flows,5: the five largest of 40 flows, by bytes: {flows}")
mine = [by_addr[k] for k in by_addr if k.isdigit()]
check(by_addr["matched"] == 5 and len(mine) == 3 and all(f["src"] == "203.0.113.5" for f in mine),
      f"flows,3,203.0.113.5: {by_addr}")
check(nat.get("enabled") == 1 and nat.get("address") == "198.51.100.2" and
      nat.get("udp_capacity") == 64512, f"nat: {nat}")

# Garbage: bad parameters answer null; random bytes and over-long commands break nothing.
bad = telemetry(prefix, "/gauntlet/flows,abc", "/gauntlet/flows,0", "/gauntlet/flows,99999999999",
                "/gauntlet/flows,5,not-an-address", "/gauntlet/stats,x", "/gauntlet/services,nosuch",
                "/gauntlet/nat," + "A" * 200)
check(all(r is None for r in bad), f"garbage parameters answer null: {bad}")
rng = random.Random(7)
for n in (1, 100, 4000):
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.connect(f"/var/run/dpdk/{prefix}/dpdk_telemetry.v2")
        s.recv(1024)
        try:
            s.send(bytes(rng.randrange(256) for _ in range(n)))
            s.recv(65536)
        except OSError:
            pass  # the library may drop a connection that sends nonsense
(after,) = telemetry(prefix, "/gauntlet/stats")
check(after["rx_outside"] > stats["rx_outside"] and after["tx_inside"] > stats["tx_inside"],
      "forwarding goes on after telemetry garbage")

# Prometheus, during traffic.
text = scrape()
names = set(re.findall(r"^([a-z_]+)(?:\{| )", text, re.M))
typed = set(re.findall(r"^# TYPE ([a-z_]+) ", text, re.M))
helped = set(re.findall(r"^# HELP ([a-z_]+) ", text, re.M))
check(names and names <= typed and names <= helped, f"every family has HELP and TYPE: {names - typed}")
check((metric(text, "gauntlet_port_packets_total", '{port="outside",direction="rx"}') or 0) > 0,
      "metrics: rx on outside")
check((metric(text, "gauntlet_layer_packets_total",
              '{direction="ingress",layer="firewall",outcome="stop"}') or 0) > 0, "metrics: firewall stops")
check((metric(text, "gauntlet_rule_hits_total", '{list="firewall",rule="dns-vip",generation="1"}') or 0) > 0,
      "metrics: rule hits of dns-vip")
f10 = metric(text, "gauntlet_backend_flows", '{service="dns",backend="10.0.0.10:53"}') or 0
f11 = metric(text, "gauntlet_backend_flows", '{service="dns",backend="10.0.0.11:53"}') or 0
check(f10 + f11 == 40 and f11 > f10, f"metrics: backend flows {f10} + {f11}")
check(metric(text, "gauntlet_conntrack_flows") == 40, "metrics: 40 flows in conntrack")
check(metric(text, "gauntlet_generation") == 1, "metrics: generation 1")

# A scrape during a reload: scrapes in a loop while reloads run.
results, go = [], [True]


def scrape_loop():
    while go[0]:
        results.append(scrape())


t = threading.Thread(target=scrape_loop)
t.start()
# The reloads list the dns backends the other way round: each count must stay with its
# backend's address:port, not with a position in the list.
listed = "      - { address: 10.0.0.10, port: 53, weight: 1 }\n      - { address: 10.0.0.11, port: 53, weight: 3 }"
assert listed in config
with open(f"{tmp}/ops.yaml", "w") as f:
    f.write(config.replace(listed, "\n".join(reversed(listed.split("\n")))))
os.rename(events, events + ".1")  # log rotation: the SIGHUP reopens the path
p.send_signal(signal.SIGHUP)
for _ in range(100):
    (now,) = telemetry(prefix, "/gauntlet/stats")
    if now["generation"] == 2:
        break
(reload,) = telemetry(prefix, "/gauntlet/reload")
time.sleep(0.3)
go[0] = False
t.join()
check(reload["result"] == "ok" and reload["generation"] == 3, f"reload (SIGHUP then telemetry): {reload}")
check(results and all("# TYPE gauntlet_generation gauge" in r for r in results),
      f"{len(results)} scrapes during the reload, each whole")
text = scrape()
check(metric(text, "gauntlet_generation") == 3 and
      metric(text, "gauntlet_reloads_total", '{result="ok"}') == 2, "metrics after two reloads")
r10 = metric(text, "gauntlet_backend_flows", '{service="dns",backend="10.0.0.10:53"}') or 0
r11 = metric(text, "gauntlet_backend_flows", '{service="dns",backend="10.0.0.11:53"}') or 0
check((r10, r11) == (f10, f11), f"backend flows after the reordering reloads: {r10} + {r11}, "
      f"before {f10} + {f11}")
rc, out, err = stop(p, prefix)
check(rc == 0 and "gauntlet summary (generation 3)" in out, f"exit {rc}: {out[:200]}")
rotated = [json.loads(l)["event"] for l in open(events + ".1")]
fresh = [json.loads(l) for l in open(events)]
check("stop" in rotated and any(e["event"] == "reload" and e["generation"] == 3 for e in fresh),
      "SIGHUP reopened the event log: the reloads are in the new file")
check(all(set(e) >= {"event", "time"} for e in fresh), "every record has event and time")

# Unwritable event logs: reported, counted, forwarding goes on.
for name, path, said in (("full", "/dev/full", "cannot write: No space left on device"),
                         ("nodir", f"{tmp}/no/such/dir/events.jsonl", "cannot open: No such file")):
    pre = f"{prefix}-{name}"
    p = start(pre, path)
    time.sleep(1.0)
    text = scrape()
    (stats,) = telemetry(pre, "/gauntlet/stats")
    rc, out, err = stop(p, pre)
    check(rc == 0 and stats["tx_inside"] > 0 and stats["events_lost"] > 0, f"{path}: {stats}")
    check(f"event log {path}: {said}" in err and err.count(f"event log {path}:") == 1,
          f"{path}: said once on stderr: {err}")
    check((metric(text, "gauntlet_events_total", '{outcome="lost"}') or 0) > 0, f"{path}: metrics count lost lines")

for pre in (prefix, f"{prefix}-full", f"{prefix}-nodir"):  # EAL leaves its runtime folder
    shutil.rmtree(f"/var/run/dpdk/{pre}", ignore_errors=True)
print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
