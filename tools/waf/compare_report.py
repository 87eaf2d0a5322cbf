#!/usr/bin/python3
"""Print two WAF evaluation reports (tools/waf/eval_report.h JSON) side by side.

    /usr/bin/python3 tools/waf/compare_report.py MODSEC_JSON [GAUNTLET_JSON]

Per CRS family group: blocked / attacks and detection of each engine and the difference;
per benign set: false positives and their rate (with the rules behind the ModSecurity
false positives); requests/s per core of each engine and their ratio.
"""

import collections
import json
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def pct(part, whole):
    return 100.0 * part / whole if whole else 0.0


def cell(report, group, section):
    if report is None:
        return "%16s" % "-"
    g = report[section].get(group)
    if g is None:
        return "%16s" % "-"
    if section == "families":
        return "%7d/%-4d%4.0f%%" % (g["blocked"], g["attacks"], pct(g["blocked"], g["attacks"]))
    return "%6d/%-4d%5.2f%%" % (g["blocked"], g["requests"], pct(g["blocked"], g["requests"]))


def top_rules(fp_set, limit=4):
    counts = collections.Counter()
    for b in fp_set["blocked_ids"]:
        for rule in sorted(set(b["rules"])):
            if rule not in ("949110", "980130"):  # CRS's anomaly evaluation, not a finding
                counts[rule] += 1
    return ", ".join("%s x%d" % kv for kv in counts.most_common(limit))


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.strip().split("\n\n")[1])
    modsec = load(sys.argv[1])
    ours = load(sys.argv[2]) if len(sys.argv) == 3 else None
    print("%-12s %16s %16s %8s" % ("detection", "gauntlet", "ModSecurity+CRS", "diff"))
    totals = [0, 0, 0]
    for group, m in modsec["families"].items():
        diff = ""
        if ours and group in ours["families"]:
            o = ours["families"][group]
            d = pct(o["blocked"], o["attacks"]) - pct(m["blocked"], m["attacks"])
            diff = "%+7.1f%s" % (d, " <" if d < 0 else "")
            totals[0] += o["blocked"]
        totals[1] += m["blocked"]
        totals[2] += m["attacks"]
        print("%-12s %s %s %s" % (group, cell(ours, group, "families"),
                                  cell(modsec, group, "families"), diff))
    print("%-12s %16s %7d/%-4d%4.0f%%" % (
        "all", ("%7d/%-4d%4.0f%%" % (totals[0], totals[2], pct(totals[0], totals[2])))
        if ours else "-", totals[1], totals[2], pct(totals[1], totals[2])))
    print("\n%-16s %16s %16s   %s" % ("false positives", "gauntlet", "ModSecurity+CRS",
                                      "rules behind ModSecurity's"))
    for name, m in modsec["false_positives"].items():
        print("%-16s %s %s   %s" % (name, cell(ours, name, "false_positives"),
                                    cell(modsec, name, "false_positives"), top_rules(m)))
        for kind in m["kinds"]:
            o = ours["false_positives"].get(name, {}).get("kinds", {}).get(kind) if ours else None
            mk = m["kinds"][kind]
            print("  %-14s %16s %6d/%-4d%5.2f%%" % (
                kind, ("%6d/%-4d%5.2f%%" % (o["blocked"], o["requests"],
                                            pct(o["blocked"], o["requests"]))) if o else "-",
                mk["blocked"], mk["requests"], pct(mk["blocked"], mk["requests"])))
    mt = modsec["throughput"]
    print("\n%-24s %14s %16s %8s" % ("per core (CPU time)", "gauntlet", "ModSecurity+CRS", "ratio"))
    if ours and ours["throughput"]["requests"]:
        ot = ours["throughput"]
        ratio = ot["requests_per_second_per_core"] / mt["requests_per_second_per_core"] \
            if mt["requests_per_second_per_core"] else 0
        print("%-24s %14.0f %16.0f %7.1fx" % ("requests/s", ot["requests_per_second_per_core"],
                                               mt["requests_per_second_per_core"], ratio))
        print("%-24s %14.1f %16.2f" % ("Mbit/s of requests", ot["mbit_per_second_per_core"],
                                       mt["mbit_per_second_per_core"]))
    else:
        print("%-24s %14s %16.0f" % ("requests/s", "-", mt["requests_per_second_per_core"]))
        print("%-24s %14s %16.2f" % ("Mbit/s of requests", "-", mt["mbit_per_second_per_core"]))


if __name__ == "__main__":
    main()
