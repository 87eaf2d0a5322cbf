"""Replay with several workers gives what one worker gives.

For each case: replays it with 1, 2 and 4 workers (--workers) and asserts, against the
one-worker run:
  - the same set of packets leaves each port (bytes, sorted; order may differ);
  - every input packet has the same verdict and decision chain (trace records keyed by the
    input packet number);
  - the same per-layer counts in the summary;
and that the handoff counters make sense: every packet handed over was received by its
owner, the workers' packets add up to the packets received, with several workers some
packets were handed over, and no ring refused one.
Usage: multiworker.py GAUNTLET SOURCE_ROOT CASE...
"""
import json
import os
import struct
import subprocess
import sys
import tempfile


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    out, at = [], 24
    while at + 16 <= len(data):
        caplen = struct.unpack("<I", data[at + 8:at + 12])[0]
        out.append(data[at + 16:at + 16 + caplen])
        at += 16 + caplen
    return sorted(out)


def trace(path):
    records = {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            records.setdefault(r["seq"], []).append(r)
    return records


def replay(binary, root, case, workers, out):
    folder = os.path.join(root, "pcaps", case)
    config = os.path.join(folder, "config.yaml")
    if not os.path.exists(config):
        config = os.path.join(root, "rules", "gauntlet.yaml")
    subprocess.run([binary, "--config", config, "--replay", folder, "--out", out, "--trace",
                    os.path.join(out, "trace.jsonl"), "--workers", str(workers)],
                   check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    return {
        "ports": {p: packets(os.path.join(out, p + ".pcap")) for p in ("outside", "inside")},
        "trace": trace(os.path.join(out, "trace.jsonl")),
        "summary": summary,
    }


def check(binary, root, case):
    failures = []
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (1, 2, 4):
            runs[n] = replay(binary, root, case, n, os.path.join(tmp, str(n)))
    one = runs[1]
    handed_total = 0
    for n in (2, 4):
        run = runs[n]
        for port in ("outside", "inside"):
            if run["ports"][port] != one["ports"][port]:
                failures.append(f"{case}: {n} workers: the packets leaving {port} differ "
                                f"({len(run['ports'][port])} vs {len(one['ports'][port])})")
        if set(run["trace"]) != set(one["trace"]):
            failures.append(f"{case}: {n} workers: traced packet numbers differ")
        for seq, records in one["trace"].items():
            if run["trace"].get(seq) != records:
                failures.append(f"{case}: {n} workers: packet {seq}: {run['trace'].get(seq)} "
                                f"vs one worker's {records}")
                break
        if run["summary"]["layers"] != one["summary"]["layers"]:
            failures.append(f"{case}: {n} workers: per-layer counts differ")
        workers = run["summary"].get("workers", [])
        if len(workers) != n:
            failures.append(f"{case}: {n} workers: summary lists {len(workers)} workers")
            continue
        sent = sum(w["handoff_sent"] for w in workers)
        received = sum(w["handoff_received"] for w in workers)
        processed = sum(w["packets"] for w in workers)
        rx = sum(run["summary"]["rx"].values())
        if sent != received:
            failures.append(f"{case}: {n} workers: {sent} packets handed over, {received} taken")
        if processed != rx:
            failures.append(f"{case}: {n} workers: workers ran {processed} packets of {rx}")
        if any(layer["layer"] == "handoff" for layer in run["summary"]["layers"]):
            failures.append(f"{case}: {n} workers: a handoff ring refused packets")
        handed_total += sent
        print(f"{case}: {n} workers: {rx} packets, {sent} handed over; per worker "
              + ", ".join(f"{w['packets']}" for w in workers))
    return failures, handed_total


def main(binary, root, cases):
    failures = []
    handed = 0
    for case in cases:
        case_failures, case_handed = check(binary, root, case)
        failures += case_failures
        handed += case_handed
    # A case may happen to keep every flow on the worker that receives it; over all cases
    # the handoff must have run.
    if handed == 0:
        failures.append("no packet was ever handed over in any case (the handoff went untested)")
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
