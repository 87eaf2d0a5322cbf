#!/usr/bin/python3
"""modsec_eval drives ModSecurity + CRS 3.3 like a web server module: an SQLi in the query
and an XSS in a form body are blocked, ordinary requests pass, a body is cut at its
Content-Length and de-chunked.

    /usr/bin/python3 tools/waf/modsec_eval_test.py MODSEC_EVAL
"""

import base64
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
MODSEC_EVAL = None
BROWSER = ("Host: www.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) "
           "Gecko/20100101 Firefox/120.0\r\nAccept: text/html,*/*;q=0.8\r\n"
           "Accept-Language: en-US,en;q=0.5\r\n")


def post(target, body, content_type="application/x-www-form-urlencoded", length=None,
         chunked=False):
    head = "POST %s HTTP/1.1\r\n%sContent-Type: %s\r\n" % (target, BROWSER, content_type)
    if chunked:
        head += "Transfer-Encoding: chunked\r\n\r\n"
        return head + "".join("%x\r\n%s\r\n" % (len(body[i:i + 7]), body[i:i + 7])
                              for i in range(0, len(body), 7)) + "0\r\n\r\n"
    return head + "Content-Length: %d\r\n\r\n%s" % (len(body) if length is None else length, body)


REQUESTS = [
    ("sqli-query", "crs", 942, True,
     "GET /item?id=1%27%20or%20%271%27%3D%271 HTTP/1.1\r\n" + BROWSER + "\r\n"),
    ("xss-form-body", "crs", 941, True,
     post("/comment", "text=%3Cscript%3Ealert%28document.cookie%29%3C%2Fscript%3E")),
    ("xss-chunked-body", "crs", 941, True,
     post("/comment", "text=%3Cscript%3Ealert%28document.cookie%29%3C%2Fscript%3E", chunked=True)),
    ("sqli-after-content-length", "crs", 942, True,
     post("/search", "q=1%27%20union%20select%20password%20from%20users--", length=0)),
    ("browse", "benign", 0, False,
     "GET /products/wallet?color=navy HTTP/1.1\r\n" + BROWSER + "\r\n"),
    ("json-api", "benign", 0, False,
     post("/api/v1/orders", '{"items": [{"sku": "AB-1234", "qty": 2}], "note": "leave at door"}',
          "application/json")),
]


class ModsecEval(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            for rid, cset, family, attack, raw in REQUESTS:
                f.write(json.dumps({"id": rid, "set": cset, "family": family, "attack": attack,
                                    "request": base64.b64encode(raw.encode()).decode()}) + "\n")
            path = f.name
        try:
            out = subprocess.run([MODSEC_EVAL, "--config", os.path.join(HERE, "modsecurity.conf"),
                                  "--corpus", path, "--json"],
                                 check=True, capture_output=True, text=True).stdout
        finally:
            os.unlink(path)
        cls.report = json.loads(out)

    def test_attacks_in_query_and_body_are_blocked(self):
        self.assertEqual(self.report["families"]["942"]["blocked"], 1)
        self.assertEqual(self.report["families"]["941"]["blocked"], 2)
        self.assertEqual(self.report["families"]["941"]["detection"], 1.0)

    def test_bytes_past_content_length_are_not_the_body(self):
        self.assertEqual(self.report["families"]["942"]["misses"], ["sqli-after-content-length"])

    def test_ordinary_requests_pass(self):
        benign = self.report["false_positives"]["benign"]
        self.assertEqual((benign["requests"], benign["blocked"]), (2, 0))

    def test_throughput_is_measured(self):
        t = self.report["throughput"]
        self.assertEqual(t["requests"], len(REQUESTS))
        self.assertGreater(t["requests_per_second_per_core"], 0)


if __name__ == "__main__":
    MODSEC_EVAL = sys.argv.pop(1)
    unittest.main()
