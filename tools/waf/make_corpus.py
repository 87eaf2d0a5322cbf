#!/usr/bin/python3
"""Build the WAF measurement corpus: one HTTP/1.1 request per JSON line.

    /usr/bin/python3 tools/waf/make_corpus.py --out FILE [--summary]

Each line is {"id", "set", "family", "attack", "request"} (plus "kind" for the benign
sets), where "request" is the base64 of the raw request bytes exactly as a client sends
them. Sets:

  crs              the request-phase tests of ../shared/corpora/crs_tests.jsonl (OWASP CRS
                   regression tests); family = the test's CRS family, attack = expect_trigger.
                   Requests are put on the wire the way the CRS test runner (go-ftw) does,
                   so figures compare with anyone else's: headers in name order, a
                   Content-Type for bodies without one, form bodies URL-encoded when they
                   are not yet, LF -> CRLF in multipart bodies, Connection and
                   Content-Length added; raw requests sent byte for byte. Tests that set
                   autocomplete_headers: false are sent without any of the additions.
  libinjection-fp  libinjection's false-positive samples (benign look-alikes of SQLi),
                   each as a query parameter value and as a form body value.
  benign           ordinary traffic generated from tools/waf/benign/ (browsing, search,
                   REST/JSON APIs, form posts, downloads, tracking links).

Standard library only; the output is byte-identical from run to run.
"""

import argparse
import base64
import collections
import json
import os
import re
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CORPORA = os.path.join(os.path.dirname(REPO), "shared", "corpora")

sys.path.insert(0, os.path.join(HERE, "benign"))
import benign  # noqa: E402  (tools/waf/benign/benign.py)

# go-ftw's test for "this method may carry a body" (ftwhttp/request.go), quirks included:
# the alternation is not grouped, so any method containing PUT or PATCH matches as well.
METHODS_WITH_BODY = re.compile(r"^POST|PUT|PATCH|DELETE$")


def _has_header(headers, name):
    return any(k.lower() == name.lower() for k, _ in headers)


def _header_values(headers, name):
    return [v for k, v in headers if k.lower() == name.lower()]


def _query_unescape_changes(data):
    """Whether Go's url.QueryUnescape would change `data` or fail on it: go-ftw leaves
    such bodies alone ("already encoded")."""
    return "%" in data or "+" in data


def _go_query_escape(text):
    # url.QueryEscape: everything but ALPHA / DIGIT / - _ . ~ is %XX (UTF-8), space is +.
    return urllib.parse.quote_plus(text, safe="")


def _encode_form(data):
    """go-ftw's encodeDataParameters for an application/x-www-form-urlencoded body."""
    if _query_unescape_changes(data):
        return data
    out = []
    remaining = data
    while remaining:
        amp = remaining.find("&")
        if amp < 0:
            token, remaining = remaining, ""
        else:
            token, remaining = remaining[:amp], remaining[amp + 1:]
        eq = token.find("=")
        if eq < 0:
            out.append(_go_query_escape(token))
        else:
            out.append(_go_query_escape(token[:eq]) + "=" + _go_query_escape(token[eq + 1:]))
    return "&".join(out)


def crs_request_bytes(test):
    """The bytes go-ftw sends for one CRS test stage."""
    if test.get("raw_request") is not None:
        # Characters U+0000-U+00FF stand for single bytes (the upstream YAML escapes them).
        return bytes(
            b for ch in test["raw_request"]
            for b in ((ord(ch),) if ord(ch) < 256 else ch.encode("utf-8")))
    autocomplete = test.get("autocomplete_headers", True)
    # A header map is written in name order (go-ftw's NewHeaderFromMap sorts the keys).
    headers = sorted((test.get("headers") or {}).items())
    data = test.get("body") or ""
    if data and autocomplete:
        if not _has_header(headers, "Content-Type"):
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        if any(v.lower() == "application/x-www-form-urlencoded"
               for v in _header_values(headers, "Content-Type")):
            data = _encode_form(data)
    body = data.encode("utf-8")
    if any("multipart/form-data;" in v.lower() for v in _header_values(headers, "Content-Type")):
        body = body.replace(b"\n", b"\r\n")  # also turns an existing CRLF into CR CR LF
    if autocomplete:
        if not _has_header(headers, "Connection"):
            headers.append(("Connection", "close"))
        if not _has_header(headers, "Content-Length") and (
                body or METHODS_WITH_BODY.search(test["method"])):
            headers.append(("Content-Length", str(len(body))))
    head = "%s %s %s\r\n" % (test["method"], test["uri"], test["version"])
    head += "".join("%s: %s\r\n" % (k, v) for k, v in headers) + "\r\n"
    return head.encode("utf-8") + body


def crs_records(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            test = json.loads(line)
            if test.get("phase") != "request":
                continue
            yield {"id": test["id"], "set": "crs", "family": int(test["family"]),
                   "attack": bool(test["expect_trigger"]), "request": crs_request_bytes(test)}


def libinjection_samples(path):
    """The payload lines (URL-encoded, as libinjection's own reader takes them)."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line and not line.startswith("#"):
                yield urllib.parse.unquote_plus(line)


def libinjection_records(path):
    samples = list(libinjection_samples(path))
    for kind in ("query", "form"):
        for n, value in enumerate(samples, 1):
            encoded = urllib.parse.quote_plus(value, safe="")
            if kind == "query":
                request = benign.browser_get("/search?q=" + encoded + "&lang=en", n)
            else:
                request = benign.form_post("/search", "q=" + encoded + "&lang=en", n)
            yield {"id": "libinjection-fp-%s-%03d" % (kind, n), "set": "libinjection-fp",
                   "family": 0, "attack": False, "kind": kind, "request": request}


def all_records(crs_path, libinjection_path):
    yield from crs_records(crs_path)
    yield from libinjection_records(libinjection_path)
    for rec in benign.records():
        yield dict(rec, set="benign", family=0, attack=False)


def to_line(rec):
    out = collections.OrderedDict()
    for key in ("id", "set", "family", "attack", "kind"):
        if key in rec:
            out[key] = rec[key]
    out["request"] = base64.b64encode(rec["request"]).decode("ascii")
    return json.dumps(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", help="JSON-lines output file (default: standard output)")
    ap.add_argument("--crs", default=os.path.join(CORPORA, "crs_tests.jsonl"))
    ap.add_argument("--libinjection",
                    default=os.path.join(CORPORA, "libinjection_false_positives.txt"))
    ap.add_argument("--summary", action="store_true",
                    help="print request counts per set and family (to stderr with --out "
                         "absent, else to stdout)")
    args = ap.parse_args()

    counts = collections.Counter()
    ids = set()
    out = open(args.out, "w", encoding="ascii", newline="\n") if args.out else sys.stdout
    try:
        for rec in all_records(args.crs, args.libinjection):
            if rec["id"] in ids:
                sys.exit("make_corpus: duplicate id %s" % rec["id"])
            ids.add(rec["id"])
            out.write(to_line(rec) + "\n")
            key = (rec["set"], rec["family"] if rec["set"] == "crs" else rec.get("kind", ""))
            counts[key, rec["attack"]] += 1
    finally:
        if args.out:
            out.close()
    if args.summary:
        report = sys.stdout if args.out else sys.stderr
        print("%-16s %-8s %8s %8s" % ("set", "family", "attack", "benign"), file=report)
        for s, f in sorted({k for k, _ in counts}, key=lambda k: (k[0], str(k[1]))):
            print("%-16s %-8s %8d %8d" % (s, f, counts[(s, f), True], counts[(s, f), False]),
                  file=report)
        print("%-16s %-8s %8d %8d" % ("total", "", sum(v for (k, a), v in counts.items() if a),
                                      sum(v for (k, a), v in counts.items() if not a)),
              file=report)


if __name__ == "__main__":
    main()
