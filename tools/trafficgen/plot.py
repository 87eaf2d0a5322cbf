#!/usr/bin/python3
"""Plots a gauntlet-trafficgen search (its --json output): loss (%) and latency (p50, p99,
max, in microseconds) of every trial against the rate it offered (Mpps), with the NDR and
PDR marked.  gauntlet-trafficgen --plot FILE runs it; by hand:

    /usr/bin/python3 tools/trafficgen/plot.py search.json search.png

Needs matplotlib (Debian: python3-matplotlib)."""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: plot.py SEARCH.json OUT.png")
    with open(sys.argv[1]) as fh:
        r = json.load(fh)
    if "trials" not in r:
        sys.exit("plot.py: %s has no search (trials)" % sys.argv[1])
    # The unthrottled trial has offered_pps 0: plot it at the rate it reached.
    trials = sorted(({**t, "rate": (t["offered_pps"] or t.get("tx_pps", 0)) / 1e6}
                     for t in r["trials"]), key=lambda t: t["rate"])
    rates = [t["rate"] for t in trials]
    fig, (loss_ax, lat_ax) = plt.subplots(2, 1, sharex=True, figsize=(8, 6.5))
    loss_ax.plot(rates, [100 * t["loss_ratio"] for t in trials], "o-", color="tab:red")
    loss_ax.set_ylabel("loss (%)")
    loss_ax.grid(alpha=0.3)
    for key, style in (("p50", "o-"), ("p99", "s--"), ("max", "^:")):
        pts = [(t["rate"], t["latency_ns"][key] / 1e3) for t in trials
               if t.get("latency_ns", {}).get(key)]
        if pts:
            lat_ax.plot(*zip(*pts), style, label=key)
    lat_ax.set_ylabel("latency (us)")
    lat_ax.set_xlabel("offered rate (Mpps)")
    lat_ax.grid(alpha=0.3)
    for name, color in (("ndr", "tab:green"), ("pdr", "tab:orange")):
        rate = r.get(name, {}).get("offered_pps", 0) / 1e6
        if rate > 0:
            for ax in (loss_ax, lat_ax):
                ax.axvline(rate, color=color, linestyle="--", linewidth=1)
            loss_ax.annotate(f"{name.upper()} {rate:.3f}", (rate, 0), color=color,
                             textcoords="offset points", xytext=(3, 5), fontsize=8)
    if lat_ax.get_legend_handles_labels()[0]:
        lat_ax.legend(fontsize=8)
    loss_ax.set_title("gauntlet-trafficgen search: %d trials, %.0f-byte frames"
                      % (len(trials), r.get("avg_frame_bytes", 0)))
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
