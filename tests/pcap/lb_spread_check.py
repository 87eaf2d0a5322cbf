"""The lb-spread golden trace: 1000 new flows to one VIP over backends weighted 1:2:3:4.

Each backend's share of the flows must be within 3 percentage points of its weight's share
(with 1000 flows, one standard deviation is at most 1.6 points), and every flow must have
been balanced. Usage: lb_spread_check.py TRACE.jsonl
"""
import collections
import json
import sys

WEIGHTS = {"10.0.0.10:80": 1, "10.0.0.11:80": 2, "10.0.0.12:80": 3, "10.0.0.13:80": 4}


def main(path):
    counts = collections.Counter()
    flows = 0
    with open(path) as f:
        for line in f:
            record = json.loads(line)
            flows += 1
            counts[record.get("lb", {}).get("backend")] += 1
    total_weight = sum(WEIGHTS.values())
    ok = flows == 1000 and sum(counts[b] for b in WEIGHTS) == flows
    for backend, weight in WEIGHTS.items():
        share, want = counts[backend] / flows, weight / total_weight
        good = abs(share - want) <= 0.03
        ok = ok and good
        print(f"{backend}: {counts[backend]} flows, {share:.1%} (weight share {want:.0%})"
              f"{'' if good else '  <-- off by more than 3 points'}")
    print("spread as weighted" if ok else "NOT spread as weighted")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
