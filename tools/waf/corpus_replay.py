#!/usr/bin/python3
"""Replay the WAF corpus pcaps (tools/waf/corpus_pcap.py) through the gauntlet binary and
score what the dataplane blocked, per CRS family and benign set.

    /usr/bin/python3 tools/waf/corpus_replay.py --pcaps DIR --gauntlet BIN [--out DIR]
                                                [--json FILE]

Each case folder of DIR is replayed with DIR/config.yaml (EAL: --no-huge -m 512
--no-shconf); a request counts as blocked when an ingress event of the waf layer stops a
packet of its connection (the client address:port in requests.tsv). The JSON has the shape
of tools/waf/eval_report.h (throughput figures are zero: a replay measures decisions, not
speed), so tools/waf/compare_report.py can show it next to ModSecurity's.
"""

import argparse
import collections
import json
import os
import subprocess
import sys

GROUPS = ["930", "931", "932", "933", "934", "941", "942", "944", "protocol", "other"]


def family_group(family):
    if family in (930, 931, 932, 933, 934, 941, 942, 944):
        return str(family)
    return "protocol" if family in (920, 921) else "other"


def replay(gauntlet, pcaps, folder, out):
    os.makedirs(out, exist_ok=True)
    cmd = [gauntlet, "--no-huge", "-m", "512", "--no-shconf", "--",
           "--config", os.path.join(pcaps, "config.yaml"),
           "--replay", os.path.join(pcaps, folder), "--out", out]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit("corpus_replay: %s failed (%d):\n%s" % (" ".join(cmd), run.returncode,
                                                          run.stderr[-2000:]))
    blocked = collections.defaultdict(list)  # client "ip:port" -> rule ids
    with open(os.path.join(out, "events.jsonl"), encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            if e.get("layer") != "waf" or e.get("verdict") != "stop":
                continue
            rules = blocked["%s:%s" % (e.get("src"), e.get("sport"))]
            rules += [m["rule"] for m in e.get("waf", {}).get("matches", [])]
            if not e.get("waf", {}).get("matches") and e.get("reason") != "waf:flow-blocked":
                rules.append(e.get("reason"))
    return blocked


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pcaps", required=True, help="corpus_pcap.py's output directory")
    ap.add_argument("--gauntlet", required=True, help="the gauntlet binary")
    ap.add_argument("--out", help="replay outputs (default: PCAPS/replay)")
    ap.add_argument("--json", help="write the report here")
    args = ap.parse_args()
    out_root = args.out or os.path.join(args.pcaps, "replay")

    families = {g: {"attacks": 0, "blocked": 0, "negatives": 0, "negatives_blocked": 0,
                    "misses": []} for g in GROUPS}
    sets = collections.OrderedDict()
    total = 0
    for folder in sorted(os.listdir(args.pcaps)):
        index = os.path.join(args.pcaps, folder, "requests.tsv")
        if not os.path.exists(index):
            continue
        blocked = replay(args.gauntlet, args.pcaps, folder, os.path.join(out_root, folder))
        with open(index, encoding="ascii") as f:
            rows = [line.rstrip("\n").split("\t") for line in f][1:]
        for client, rid, attack, kind in rows:
            total += 1
            hit = client in blocked
            if folder.startswith("crs-"):
                g = families[family_group(int(folder[4:]))]
                if attack == "true":
                    g["attacks"] += 1
                    g["blocked"] += hit
                    if not hit:
                        g["misses"].append(rid)
                else:
                    g["negatives"] += 1
                    g["negatives_blocked"] += hit
                continue
            s = sets.setdefault(folder, {"requests": 0, "blocked": 0, "kinds": {},
                                         "blocked_ids": []})
            k = s["kinds"].setdefault(kind, {"requests": 0, "blocked": 0})
            s["requests"] += 1
            k["requests"] += 1
            if hit:
                s["blocked"] += 1
                k["blocked"] += 1
                s["blocked_ids"].append({"id": rid, "rules": blocked[client]})
    for g in families.values():
        g["detection"] = round(g["blocked"] / g["attacks"], 4) if g["attacks"] else 0.0
    for s in sets.values():
        s["rate"] = round(s["blocked"] / s["requests"], 4) if s["requests"] else 0.0
    report = {"engine": "gauntlet dataplane (pcap replay)", "corpus": args.pcaps,
              "requests": total, "families": families, "false_positives": sets,
              "throughput": {"requests": 0, "bytes": 0, "passes": 0, "cpu_seconds": 0,
                             "wall_seconds": 0, "requests_per_second_per_core": 0,
                             "mbit_per_second_per_core": 0}}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
    print("%-10s %8s %8s %9s" % ("family", "attacks", "blocked", "detection"))
    for name, g in families.items():
        print("%-10s %8d %8d %8.1f%%" % (name, g["attacks"], g["blocked"], 100 * g["detection"]))
    for name, s in sets.items():
        print("%-16s %d of %d blocked (%.2f%%)" % (name, s["blocked"], s["requests"],
                                                   100 * s["rate"]))


if __name__ == "__main__":
    main()
