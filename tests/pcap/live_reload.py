"""Reload under traffic: gauntlet live on net_pcap (infinite_rx) -> net_null forwards at full
speed while the config is reloaded 100 times between two configs that differ in one firewall
rule (SIGHUP and the /gauntlet/reload telemetry command, alternately), then a storm of 100
SIGHUPs and one broken config. Checks:
  - every packet is accounted for: rx = forwarded + answered + consumed + stopped, and the
    ports took every forwarded packet (tx = forwarded, none refused);
  - every traced packet was judged by exactly one generation's rule set: its verdict is the one
    the config of its generation gives (traced + trace records lost = rx);
  - a broken config leaves the running generation, with file:line:col on stderr and a
    reload_failed event; /metrics answers throughout.
usage: live_reload.py GAUNTLET TMPDIR"""
import json, os, shutil, signal, socket, subprocess, sys, threading, time, urllib.request

gauntlet, tmp = sys.argv[1], sys.argv[2]
RELOADS = 100

from scapy.all import Ether, IP, UDP, Raw, wrpcap  # noqa: E402

packets = []
for i in range(64):
    for dport in (53, 7000, 9999):
        packets.append(Ether(src="02:00:00:00:01:fe", dst="02:00:00:00:00:01") /
                       IP(src=f"203.0.113.{1 + i % 50}", dst="10.0.0.10") /
                       UDP(sport=10000 + i, dport=dport) / Raw(b"x" * 18))
wrpcap(f"{tmp}/traffic.pcap", packets)

with socket.socket() as s:  # a free port for /metrics
    s.bind(("127.0.0.1", 0))
    metrics_port = s.getsockname()[1]
base = f"""workers: 1
ports:
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
metrics: {{ listen: 127.0.0.1:{metrics_port} }}
events: {{ per_second: 50 }}
firewall:
  default: deny
  rules:
    - {{ id: dns, action: allow, proto: udp, dst: 10.0.0.0/24, dst_port: 53 }}
    - {{ id: flip, action: ACTION, proto: udp, dst: 10.0.0.10/32, dst_port: 7000 }}
"""
configs = {"A": base.replace("ACTION", "allow"), "B": base.replace("ACTION", "deny")}
live = f"{tmp}/live.yaml"


def install(text):
    with open(live + ".tmp", "w") as f:
        f.write(text)
    os.rename(live + ".tmp", live)  # the reload reads one whole file, never half of one


def expected(config, dport):
    if dport == 53 or (dport == 7000 and config == "A"):
        return ("forward", "forward")
    return ("firewall", "stop")


install(configs["A"])
fifo = f"{tmp}/trace.fifo"
os.mkfifo(fifo)
traced = 0
verdicts = {}  # (generation, dport, layer, verdict) -> packets; judged once all is known
generation_config = {1: "A"}
lock = threading.Lock()


def read_trace():
    global traced
    with open(fifo) as f:
        for line in f:
            r = json.loads(line)
            key = (r["generation"], r["dport"], r["layer"], r["verdict"])
            verdicts[key] = verdicts.get(key, 0) + 1
            traced += 1


reader = threading.Thread(target=read_trace)
reader.start()
prefix = f"gauntlet-reload-{os.getpid()}"
err = open(f"{tmp}/stderr.txt", "w")
proc = subprocess.Popen(
    [gauntlet, "-l", "0,1", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
     "--file-prefix", prefix, "--log-level=*:warning", "--", "--config", live, "--trace", fifo,
     "--events", f"{tmp}/events.jsonl", "--summary-json", f"{tmp}/summary.json"],
    stdout=subprocess.DEVNULL, stderr=err)

sock_path = f"/var/run/dpdk/{prefix}/dpdk_telemetry.v2"
for _ in range(200):
    if os.path.exists(sock_path) or proc.poll() is not None:
        break
    time.sleep(0.05)
tel = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
tel.connect(sock_path)
tel.recv(1024)  # the greeting


def command(text):
    tel.send(text.encode())
    return json.loads(tel.recv(65536).decode())[text.split(",")[0]]


scrapes, scrape_errors, scraping = [0], [], [True]


def scrape():
    for _ in range(200):  # the endpoint comes up after the telemetry socket
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10)
            break
        except OSError:
            time.sleep(0.05)
    while scraping[0]:
        try:
            body = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).read()
            if b"# TYPE gauntlet_generation gauge" not in body:
                scrape_errors.append("a scrape without gauntlet_generation")
            scrapes[0] += 1
        except Exception as e:  # noqa: BLE001 - every failure is a finding
            scrape_errors.append(repr(e))
        time.sleep(0.05)


scraper = threading.Thread(target=scrape)
scraper.start()
time.sleep(0.5)  # traffic flowing
start = time.monotonic()
failures = []
for i in range(RELOADS):
    config = "B" if i % 2 == 0 else "A"
    install(configs[config])
    before = command("/gauntlet/stats")
    if i % 2 == 0:  # SIGHUP ...
        proc.send_signal(signal.SIGHUP)
        while command("/gauntlet/stats")["reloads"] == before["reloads"]:
            time.sleep(0.002)
        generation = command("/gauntlet/stats")["generation"]
    else:  # ... or the telemetry command
        reply = command("/gauntlet/reload")
        if reply["result"] != "ok":
            failures.append(f"reload {i}: {reply}")
        generation = reply["generation"]
    if generation != before["generation"] + 1:
        failures.append(f"reload {i}: generation {before['generation']} -> {generation}")
    with lock:
        generation_config[generation] = config
reload_seconds = time.monotonic() - start

# A storm: 100 SIGHUPs in about a second; they fold into fewer reloads of the same file.
with lock:
    for g in range(generation + 1, generation + 101):
        generation_config[g] = config
for _ in range(100):
    proc.send_signal(signal.SIGHUP)
    time.sleep(0.01)
time.sleep(0.5)
last = command("/gauntlet/stats")
while True:
    time.sleep(0.3)
    now = command("/gauntlet/stats")
    if now["reloads"] == last["reloads"]:
        break
    last = now
storm_reloads = now["reloads"] - RELOADS

# A broken config: the running generation stays.
with open(live + ".tmp", "w") as f:
    f.write("ports:\n  outside: [\n")
os.rename(live + ".tmp", live)
reply = command("/gauntlet/reload")
if reply["result"] != "failed" or reply["generation"] != now["generation"]:
    failures.append(f"broken config: {reply} (running generation {now['generation']})")
install(configs[config])

tel.close()
scraping[0] = False
scraper.join()
time.sleep(0.3)
proc.send_signal(signal.SIGINT)
rc = proc.wait(timeout=30)
reader.join(timeout=30)
err.close()

shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)  # EAL leaves its runtime folder
summary = json.load(open(f"{tmp}/summary.json"))
rx = summary["rx"]["outside"] + summary["rx"]["inside"]
final = {o: sum(l[o] for l in summary["layers"]) for o in ("forward", "answer", "consume", "stop")}
tx = summary["tx"]["outside"] + summary["tx"]["inside"]
wrong, seen = [], {}
for (generation, dport, layer, verdict), n in verdicts.items():
    config = generation_config.get(generation)
    if config is None or (layer, verdict) != expected(config, dport):
        wrong.append(f"{n} packets of generation {generation} (config {config}) to port {dport}: "
                     f"{layer} {verdict}")
    else:
        seen[(config, dport)] = seen.get((config, dport), 0) + n
events = [json.loads(l) for l in open(f"{tmp}/events.jsonl")]
kinds = {}
for e in events:
    kinds[e["event"]] = kinds.get(e["event"], 0) + 1
stderr = open(f"{tmp}/stderr.txt").read()
drained_events = kinds.get("stop", 0) + sum(e["count"] for e in events if e["event"] == "suppressed")

print(f"rx {rx}, forwarded {final['forward']}, stopped {final['stop']}, tx {tx}, "
      f"refused {summary['tx_refused']}; traced {traced} + records lost {summary['records_lost']}")
print(f"{RELOADS} reloads in {reload_seconds:.1f} s; storm of 100 SIGHUPs -> {storm_reloads} reloads; "
      f"{scrapes[0]} scrapes; events: {kinds}")
print(f"packets traced per (config, dport): {dict(sorted(seen.items()))}")
print(f"records: traced {traced} + events drained {drained_events} + lost {summary['records_lost']} "
      f"(made: rx {rx} + stopped {final['stop']})")
checks = [
    (rc == 0, f"exit code {rc}"),
    (not failures, f"reloads: {failures[:3]}"),
    (rx > 0 and rx == sum(final.values()), "rx != forwarded + answered + consumed + stopped"),
    (summary["tx_refused"] == 0 and tx == final["forward"], "tx != forwarded"),
    # Each packet makes a trace record, each stopped one an event record too: every record
    # is traced, drained into the event log (written or suppressed), or counted lost.
    (traced + drained_events + summary["records_lost"] == rx + final["stop"],
     "trace and event records: traced + events + lost != rx + stopped"),
    (not wrong, f"packets judged otherwise than their generation's config says: {wrong[:3]}"),
    (seen.get(("A", 7000), 0) > 0 and seen.get(("B", 7000), 0) > 0,
     "port 7000 traced under both configs"),
    (len({g for g in generation_config}) >= RELOADS, "generations"),
    (summary["generation"] == now["generation"], "final generation"),
    (kinds.get("reload", 0) == now["reloads"], "one reload event per reload"),
    (kinds.get("reload_failed", 0) == 1 and f"{live}:3:1: error" in stderr,
     "a broken config: one reload_failed event and file:line:col on stderr"),
    (kinds.get("suppressed", 0) > 0, "rate-limited stop events leave suppressed records"),
    (scrapes[0] > 0 and not scrape_errors, f"scrapes: {scrape_errors[:3]}"),
]
bad = [m for ok, m in checks if not ok]
for m in bad:
    print("FAIL:", m)
sys.exit(1 if bad else 0)
