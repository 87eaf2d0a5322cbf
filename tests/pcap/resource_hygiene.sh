#!/usr/bin/env bash
# Resource hygiene: long replays mixing every kind of traffic the golden cases hold (the demo,
# SNAT, load balancing, WAF streams, fragments, floods, malformed frames), put on one clock by
# tools/mix_pcaps.py, each settled past the longest timeout (--settle): every flow, SNAT port,
# WAF slot and reorder window, fragment record and held fragment is given back, and every mbuf
# is back in the pool. The same replays unsettled (--settle 0) must still show state held, so the gauges
# are live and the checks can fail. Learned neighbours do not age: their count must not grow
# with the length of the replay. Prints the peak RSS of the longest replay.
#   usage: resource_hygiene.sh GAUNTLET SOURCE_ROOT [REPEAT]
set -euo pipefail
bin=$1 root=$2 repeat=${3:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The stateful cases last: their flows, mappings, windows and fragment records are what the
# unsettled replay must still show.
cases=(arp-reply nd-reply malformed truncated-headers ipv6-extension-chains icmp-garbage-quotes
  forward-ttl ttl-expired unresolved fw-deny-source fw-port-range fw-ipv6 fw-first-match
  fw-egress-default-deny conntrack-invalid conntrack-timeout conntrack-table-full
  flood-udp-unmapped lb-spread lb-port-not-configured lb-dnat lb-drain lb-health-fall-rise
  snat-udp-dns snat-icmp-echo snat-icmp-errors snat-eim snat-quota nat-pool-exhausted
  nat-req-4787-req-8-eif nat-req-4787-req-9-hairpin waf-sqli-query waf-xss-split-body
  waf-overlap waf-keepalive waf-sni-deny waf-detect-only demo nat-fragments snat-tcp
  waf-out-of-order nat-fragments-out-of-order)

# The longest timeout of these configs is tcp_established, 432000 s (Linux's).
settle=432001
mix() {  # mix NAME REPEAT GAP CASE...: the cases' inputs on one clock into $work/NAME
  local name=$1 n=$2 gap=$3
  shift 3
  /usr/bin/python3 "$root/tools/mix_pcaps.py" --pcaps "$root/pcaps" --out "$work/$name" \
    --repeat "$n" --gap "$gap" "$@"
}
replay() {  # replay NAME CONFIG SETTLE: $work/NAME replayed into $work/NAME-SETTLE
  /usr/bin/time -f '%M' -o "$work/$1-$3.rss" "$bin" --config "$2" --replay "$work/$1" \
    --out "$work/$1-$3" --settle "$3" >"$work/$1-$3.stdout"
}
# Everything, REPEAT times, 600 s apart: flows of one pass expire during the next ones.
mix all "$repeat" 600 "${cases[@]}"
mix once 1 600 "${cases[@]}"
replay all "$root/rules/gauntlet.yaml" "$settle"
replay once "$root/rules/gauntlet.yaml" "$settle"
# The stateful cases back to back (0.5 s apart), the replay ending while they are in flight.
mix tail 1 0.5 demo nat-fragments-out-of-order nat-fragments snat-tcp
replay tail "$root/rules/gauntlet.yaml" 0
replay tail "$root/rules/gauntlet.yaml" "$settle"
# The WAF cases through their own config (the shop VIP of rules/gauntlet.yaml sees only the
# demo's requests): REPEAT times, 600 s apart; the last one's flow is still open at its end.
waf_cases=(waf-sqli-query waf-xss-split-body waf-out-of-order waf-overlap waf-keepalive
  waf-sni-deny waf-detect-only)
mix waf "$repeat" 600 "${waf_cases[@]}"
replay waf "$root/pcaps/waf-overlap/config.yaml" 0
replay waf "$root/pcaps/waf-overlap/config.yaml" "$settle"
echo "resource-hygiene: peak RSS of the $repeat-times replay: $(cat "$work/all-$settle.rss") KiB"
grep '^resources:' "$work/all-$settle.stdout"

/usr/bin/python3 - "$work" "$repeat" <<'EOF'
import json, sys
work, repeat = sys.argv[1], int(sys.argv[2])
settle = 432001
load = lambda name: json.load(open(f"{work}/{name}/summary.json"))  # noqa: E731
settled, once = load(f"all-{settle}"), load(f"once-{settle}")
tail_held, tail = load("tail-0"), load(f"tail-{settle}")
waf_held, waf = load("waf-0"), load(f"waf-{settle}")
failures = []

def check(what, ok):
    print(f"resource-hygiene: {'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        failures.append(what)

def reason(summary, name):
    return sum(layer.get("reasons", {}).get(name, 0) for layer in summary["layers"])

def zero(label, s):
    r = s["resources"]
    check(f"{label}: no flow active ({s['flows']['active']}), every flow created "
          f"({s['flows']['created']}) expired",
          s["flows"]["active"] == 0 and s["flows"]["created"] == s["flows"]["expired"] > 0)
    check(f"{label}: no snat port in use ({s['snat_ports_in_use']})",
          sum(s["snat_ports_in_use"].values()) == 0)
    if "waf" in s:
        check(f"{label}: no waf slot or reorder window in use ({s['waf']['slots_in_use']}, "
              f"{s['waf']['reorder_windows_in_use']})",
              s["waf"]["slots_in_use"] == 0 and s["waf"]["reorder_windows_in_use"] == 0)
    check(f"{label}: no fragment record live ({r['fragments_live']} of {r['fragment_slots']})",
          r["fragments_live"] == 0 and r["fragment_slots"] > 0)
    check(f"{label}: no fragment held ({r['fragments_held']} of {r['fragment_hold_slots']})",
          r["fragments_held"] == 0 and r["fragment_hold_slots"] > 0)
    check(f"{label}: every mbuf back in the pool ({r['mbufs_in_use']} of {r['mbufs']} in use)",
          r["mbufs_in_use"] == 0 and r["mbufs"] > 0)
    check(f"{label}: no allocation failed ({r['alloc_failures']})",
          all(v == 0 for v in r["alloc_failures"].values()))

# The long mix did the work whose state must go away.
rx = settled["rx"]["outside"] + settled["rx"]["inside"]
check(f"{rx} packets replayed", rx == repeat * (once["rx"]["outside"] + once["rx"]["inside"]))
check(f"flows created ({settled['flows']['created']}) in every pass",
      settled["flows"]["created"] >= (repeat - 1) * once["flows"]["created"] > 0)
check("SNAT mapped, the LB chose backends, the WAF inspected and blocked",
      reason(settled, "nat:mapped") > 0 and reason(settled, "lb:backend-chosen") > 0
      and settled["waf"]["flows_inspected"] > 0 and reason(settled, "waf:blocked") > 0)
zero("all settled", settled)
check(f"neighbours learned do not grow with the replay ({once['resources']['neighbours']} after "
      f"one pass, {settled['resources']['neighbours']} after {repeat})",
      settled["resources"]["neighbours"] == once["resources"]["neighbours"] > 0)

# Unsettled, the gauges show what the last cases still hold; settled, nothing.
check(f"tail unsettled: flows active ({tail_held['flows']['active']}), snat ports in use "
      f"({tail_held['snat_ports_in_use']}), fragment records live "
      f"({tail_held['resources']['fragments_live']}), fragments held "
      f"({tail_held['resources']['fragments_held']}, mbufs in use "
      f"{tail_held['resources']['mbufs_in_use']})",
      tail_held["flows"]["active"] > 0 and sum(tail_held["snat_ports_in_use"].values()) > 0
      and tail_held["resources"]["fragments_live"] > 0
      and tail_held["resources"]["mbufs_in_use"] >= tail_held["resources"]["fragments_held"] > 0)
check("the fragments held were released, timed out and refused in the long mix",
      reason(settled, "conntrack:fragment-held") > 0
      and reason(settled, "conntrack:fragment-hold-timeout") > 0
      and reason(settled, "conntrack:fragment-hold-full") > 0)
zero("tail settled", tail)
check(f"waf unsettled: slots in use ({waf_held['waf']['slots_in_use']}) after "
      f"{waf_held['waf']['flows_inspected']} inspected flows",
      waf_held["waf"]["slots_in_use"] > 0 and waf_held["waf"]["flows_inspected"] >= 2 * repeat)
zero("waf settled", waf)
sys.exit(1 if failures else 0)
EOF
