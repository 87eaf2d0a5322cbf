#!/usr/bin/python3
"""Tests of tools/waf/make_corpus.py: requests on the wire as go-ftw sends them, the whole
corpus well-formed and deterministic.

    /usr/bin/python3 tools/waf/make_corpus_test.py
"""

import base64
import json
import os
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_corpus  # noqa: E402

UA = {"User-Agent": "OWASP CRS test agent", "Host": "localhost"}


def test_record(**kw):
    rec = {"method": "GET", "uri": "/", "version": "HTTP/1.1", "headers": dict(UA), "body": None}
    rec.update(kw)
    return rec


class GoFtwWire(unittest.TestCase):
    def test_form_body_is_encoded_and_completed(self):
        got = make_corpus.crs_request_bytes(test_record(method="POST", body="var=1234 OR 1=1"))
        self.assertEqual(got, b"POST / HTTP/1.1\r\nHost: localhost\r\n"
                              b"User-Agent: OWASP CRS test agent\r\n"
                              b"Content-Type: application/x-www-form-urlencoded\r\n"
                              b"Connection: close\r\nContent-Length: 17\r\n\r\n"
                              b"var=1234+OR+1%3D1")

    def test_encoded_body_is_left_alone(self):
        got = make_corpus.crs_request_bytes(test_record(method="POST", body="a=%27or+1&b"))
        self.assertTrue(got.endswith(b"Content-Length: 11\r\n\r\na=%27or+1&b"), got)

    def test_only_form_bodies_are_encoded(self):
        headers = dict(UA, **{"content-type": "application/json"})
        got = make_corpus.crs_request_bytes(test_record(method="POST", headers=headers,
                                                        body='{"a": "b c"}'))
        self.assertNotIn(b"x-www-form-urlencoded", got)
        self.assertTrue(got.endswith(b'\r\n\r\n{"a": "b c"}'), got)

    def test_multipart_lf_becomes_crlf_and_length_counts_it(self):
        headers = dict(UA, **{"Content-Type": "multipart/form-data; boundary=x"})
        got = make_corpus.crs_request_bytes(test_record(method="POST", headers=headers,
                                                        body="--x\nA: b\n\nv\n--x--\n"))
        want = b"Content-Length: 23\r\n\r\n--x\r\nA: b\r\n\r\nv\r\n--x--\r\n"
        self.assertTrue(got.endswith(want), got)

    def test_without_autocomplete_nothing_is_added(self):
        got = make_corpus.crs_request_bytes(test_record(method="POST", body="hi=test",
                                                        autocomplete_headers=False))
        self.assertEqual(got, b"POST / HTTP/1.1\r\nHost: localhost\r\n"
                              b"User-Agent: OWASP CRS test agent\r\n\r\nhi=test")

    def test_body_methods_get_a_zero_length(self):
        got = make_corpus.crs_request_bytes(test_record(method="PUT"))
        self.assertIn(b"\r\nContent-Length: 0\r\n", got)
        self.assertNotIn(b"Content-Length", make_corpus.crs_request_bytes(test_record()))

    def test_odd_request_lines_are_kept(self):
        got = make_corpus.crs_request_bytes(test_record(method="\tGET", version="JUNK/1.0"))
        self.assertTrue(got.startswith(b"\tGET / JUNK/1.0\r\n"), got)

    def test_raw_requests_are_single_bytes(self):
        raw = "POST / HTTP/1.0\r\n\r\na=\u00ac\u00ed\u0000"
        got = make_corpus.crs_request_bytes(test_record(raw_request=raw))
        self.assertEqual(got, b"POST / HTTP/1.0\r\n\r\na=\xac\xed\x00")


class WholeCorpus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        out = subprocess.run([sys.executable, os.path.join(HERE, "make_corpus.py")],
                             check=True, capture_output=True).stdout
        cls.text = out
        cls.records = [json.loads(line) for line in out.decode("ascii").splitlines()]

    def test_output_is_deterministic(self):
        again = subprocess.run([sys.executable, os.path.join(HERE, "make_corpus.py")],
                               check=True, capture_output=True).stdout
        self.assertEqual(self.text, again)

    def test_every_request_phase_test_is_there_once(self):
        with open(os.path.join(make_corpus.CORPORA, "crs_tests.jsonl"), encoding="utf-8") as f:
            want = [json.loads(line)["id"] for line in f if '"phase": "request"' in line]
        got = [r["id"] for r in self.records if r["set"] == "crs"]
        self.assertEqual(got, want)
        self.assertEqual(len({r["id"] for r in self.records}), len(self.records))

    def test_benign_sets_are_well_formed_http(self):
        counts = {}
        for r in self.records:
            if r["set"] == "crs":
                continue
            counts[r["set"]] = counts.get(r["set"], 0) + 1
            self.assertFalse(r["attack"])
            raw = base64.b64decode(r["request"])
            head, _, body = raw.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            self.assertRegex(lines[0], rb"^[A-Z]+ /\S* HTTP/1\.1$", r["id"])
            names = [line.split(b":", 1)[0].lower() for line in lines[1:]]
            self.assertIn(b"host", names, r["id"])
            length = re.search(rb"\r\ncontent-length: (\d+)", head, re.I)
            self.assertEqual(int(length.group(1)) if length else 0, len(body), r["id"])
        self.assertEqual(counts["libinjection-fp"], 2 * 421)
        self.assertGreaterEqual(counts["benign"], 500)


if __name__ == "__main__":
    unittest.main()
