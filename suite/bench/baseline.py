#!/usr/bin/python3
"""The baseline a user would otherwise write: h1xx's `continue` and `http10` origin checks as a
plain sequential script on standard library sockets, one check after the other, with the same
timeouts h1xx uses by default (3 s "at once", 10 s "eventually", 500 ms of silence).

Usage: baseline.py URL [--set NAME=VALUE]...   (reject_path, upload_path as for h1xx)
Prints one line per check and "N passed, N failed"; exits 1 when a check failed.
"""
import argparse
import socket
import sys
import time
import urllib.parse

TIMEOUT = 3.0    # an answer expected at once
LONG = 10.0      # an answer expected eventually
QUIET = 0.5      # silence that counts as silence


class Fail(Exception):
    pass


class Conn:
    """One client connection with a buffer and a response reader (Content-Length, chunked,
    or close-delimited bodies; 1xx have none)."""

    def __init__(self, host, port):
        self.s = socket.create_connection((host, port), TIMEOUT)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.eof = False

    def send(self, data):
        self.s.sendall(data)

    def fill(self, deadline):
        """Reads once more; False on timeout, sets eof on close."""
        left = deadline - time.monotonic()
        if left <= 0 or self.eof:
            return False
        self.s.settimeout(left)
        try:
            data = self.s.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def read_until(self, marker, deadline):
        while marker not in self.buf:
            if not self.fill(deadline):
                return None
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def read_n(self, n, deadline):
        while len(self.buf) < n:
            if not self.fill(deadline):
                raise Fail("connection ended inside a body")
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def response(self, wait, head_only_req=False):
        """The next response within `wait` s: (status, headers dict, body), or None on
        timeout, "close" on a clean close."""
        deadline = time.monotonic() + wait
        head = self.read_until(b"\r\n\r\n", deadline)
        if head is None:
            if self.eof and not self.buf:
                return "close"
            return None
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise Fail(f"bad status line {lines[0]!r}")
        status = int(parts[1])
        fields = {}
        for line in lines[1:]:
            if not line:
                continue
            if ":" not in line or line[0] in " \t" or line.split(":")[0] != line.split(":")[0].strip():
                raise Fail(f"bad field line {line!r}")
            k, v = line.split(":", 1)
            fields.setdefault(k.strip().lower(), []).append(v.strip())
        if status < 200:
            if "content-length" in fields or "transfer-encoding" in fields:
                raise Fail(f"{status} carries Content-Length or Transfer-Encoding")
            return status, fields, b""
        body_deadline = time.monotonic() + LONG
        if head_only_req or status in (204, 304):
            body = b""
        elif "transfer-encoding" in fields:
            body = b""
            while True:
                size_line = self.read_until(b"\r\n", body_deadline)
                if size_line is None:
                    raise Fail("chunked body cut")
                size = int(size_line.split(b";")[0], 16)
                if size == 0:
                    self.read_until(b"\r\n\r\n" if self.buf[:2] != b"\r\n" else b"\r\n",
                                    body_deadline)
                    break
                body += self.read_n(size, body_deadline)
                self.read_n(2, body_deadline)
        elif "content-length" in fields:
            body = self.read_n(int(fields["content-length"][0]), body_deadline)
        else:
            while self.fill(body_deadline):
                pass
            body, self.buf = self.buf, b""
        return status, fields, body

    def final(self, wait, allow_interim=(), judge=None):
        """Reads 1xx (each judged) until a final; returns (interims, final)."""
        interims = []
        deadline = time.monotonic() + wait
        while True:
            r = self.response(max(0.0, deadline - time.monotonic()))
            if r is None:
                raise Fail(f"expected a final response within {wait:.1f}s, got nothing")
            if r == "close":
                raise Fail("expected a final response, got a close")
            if r[0] >= 200:
                return interims, r
            if r[0] not in allow_interim:
                raise Fail(f"unexpected interim {r[0]}")
            interims.append(r)

    def silent(self, wait):
        """True when nothing (or a close) comes for `wait` s."""
        deadline = time.monotonic() + wait
        while not self.buf and not self.eof:
            if not self.fill(deadline):
                break
        return not self.buf

    def close(self):
        self.s.close()


def head(method, path, authority, version="HTTP/1.1", fields=()):
    lines = [f"{method} {path} {version}", f"Host: {authority}"] + list(fields)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# ---- the checks, as in cases/continue and cases/http10 ---------------------------------------

def exp1(t, fields, body, method="POST"):
    c = t.conn()
    try:
        c.send(head(method, t.upload, t.auth, fields=fields))
        r = c.response(TIMEOUT)
        if r is None or r == "close":
            raise Fail("EXP-1: expected interim 100 or final within 3s, got nothing")
        if r[0] >= 200:
            return "final before the content (allowed)"
        if r[0] != 100:
            raise Fail(f"EXP-1: expected 100, got {r[0]}")
        c.send(body)
        c.final(LONG)
    finally:
        c.close()


def exp1_content_length(t):
    return exp1(t, ["Expect: 100-continue", "Content-Type: text/plain", "Content-Length: 11"],
                b"hello world")


def exp1_chunked(t):
    return exp1(t, ["Expect: 100-continue", "Content-Type: text/plain",
                    "Transfer-Encoding: chunked"], b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")


def exp1_letter_case(t):
    return exp1(t, ["expect: 100-Continue", "Content-Type: text/plain", "Content-Length: 11"],
                b"hello world", "PUT")


def exp2_final_after_100(t):
    c = t.conn()
    try:
        c.send(head("POST", t.upload, t.auth, fields=["Expect: 100-continue",
                    "Content-Type: text/plain", "Content-Length: 22"]))
        r = c.response(TIMEOUT)
        if r is None or r == "close":
            raise Fail("EXP-1: expected interim 100 or final within 3s, got nothing")
        if r[0] >= 200:
            return "skip: final without 100"
        c.send(b"first half.")
        time.sleep(0.1)
        c.send(b"second half")
        c.final(LONG)
    finally:
        c.close()


def exp3_early_final_drain(t):
    if not t.reject:
        return "skip: needs reject_path"
    c = t.conn()
    try:
        c.send(head("POST", t.reject, t.auth, fields=["Expect: 100-continue",
                    "Content-Type: text/plain", "Content-Length: 51"]))
        _, r = c.final(TIMEOUT)
        c.send(b"GET /h1xx-smuggled HTTP/1.1\r\nHost: h1xx.invalid\r\n\r\n")
        c.send(head("GET", t.path, t.auth, fields=["Connection: close"]))
        r = c.response(LONG)
        if r is None:
            raise Fail("expected a final or a close, got nothing")
        if r != "close" and not c.silent(QUIET):
            raise Fail("EXP-3: a second response came: the content was parsed as a request")
    finally:
        c.close()


def exp4_content_with_head(t):
    c = t.conn()
    try:
        c.send(head("POST", t.upload, t.auth, fields=["Expect: 100-continue",
                    "Content-Type: text/plain", "Content-Length: 11"]) + b"hello world")
        c.final(LONG, allow_interim=(100,))
        if not c.silent(QUIET):
            raise Fail("GEN-4: something after the final response")
    finally:
        c.close()


def exp4_no_content(t):
    c = t.conn()
    try:
        c.send(head("POST", t.upload, t.auth, fields=["Expect: 100-continue",
                    "Content-Length: 0"]))
        c.final(LONG, allow_interim=(100,))
    finally:
        c.close()


def exp5_unknown_expectation(t):
    c = t.conn()
    try:
        c.send(head("POST", t.upload, t.auth, fields=["Expect: x-h1xx-unknown",
                    "Content-Type: text/plain", "Content-Length: 11"]) + b"hello world")
        _, r = c.final(LONG)
        return f"answered {r[0]}"
    finally:
        c.close()


def exp8_early_final_says_close(t):
    if not t.reject:
        return "skip: needs reject_path"
    c = t.conn()
    try:
        c.send(head("POST", t.reject, t.auth, fields=["Expect: 100-continue",
                    "Content-Type: text/plain", "Content-Length: 11"]))
        _, early = c.final(TIMEOUT)
        c.send(b"hello world")
        c.send(head("GET", t.path, t.auth, fields=["Connection: close"]))
        r = c.response(LONG)
        if r is None:
            raise Fail("expected a final or a close, got nothing")
        if r == "close" and "close" not in ",".join(early[1].get("connection", [])).lower():
            raise Fail("EXP-8: closed without saying Connection: close")
    finally:
        c.close()


def http10_expect_head_only(t):
    c = t.conn()
    try:
        c.send(head("POST", t.upload, t.auth, "HTTP/1.0", ["Expect: 100-continue",
                    "Content-Type: text/plain", "Content-Length: 11"]))
        r = c.response(QUIET)
        if r is None:
            c.send(b"hello world")
            r = c.response(LONG)
        if r is None or r == "close":
            raise Fail("V10-2: expected a final response, got nothing")
        if r[0] < 200:
            raise Fail(f"V10-1: {r[0]} to an HTTP/1.0 client")
        if r[0] == 417:
            raise Fail("V10-2: 417 to an HTTP/1.0 client")
    finally:
        c.close()


def http10_expect_with_content(t):
    c = t.conn()
    try:
        c.send(head("POST", t.upload, t.auth, "HTTP/1.0", ["Expect: 100-continue",
                    "Content-Type: text/plain", "Content-Length: 11"]) + b"hello world")
        r = c.response(LONG)
        if r is None or r == "close":
            raise Fail("V10-2: expected a final response, got nothing")
        if r[0] < 200 or r[0] == 417:
            raise Fail(f"V10-1/V10-2: got {r[0]}")
    finally:
        c.close()


def http10_get_no_interim(t):
    c = t.conn()
    try:
        c.send(head("GET", t.path, t.auth, "HTTP/1.0"))
        r = c.response(LONG)
        if r is None or r == "close":
            raise Fail("expected a final response, got nothing")
        if r[0] < 200:
            raise Fail(f"V10-1: {r[0]} to an HTTP/1.0 client")
    finally:
        c.close()


CHECKS = [exp1_chunked, exp1_content_length, exp1_letter_case, exp2_final_after_100,
          exp3_early_final_drain, exp4_content_with_head, exp4_no_content,
          exp5_unknown_expectation, exp8_early_final_says_close,
          http10_expect_head_only, http10_expect_with_content, http10_get_no_interim]


class Target:
    def __init__(self, url, sets):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port or 80
        self.auth = u.netloc
        self.path = u.path or "/"
        self.upload = sets.get("upload_path", self.path)
        self.reject = sets.get("reject_path")

    def conn(self):
        return Conn(self.host, self.port)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--set", action="append", default=[])
    a = ap.parse_args()
    t = Target(a.url, dict(s.split("=", 1) for s in a.set))
    passed = failed = 0
    for check in CHECKS:
        try:
            note = check(t)
            passed += 1
            print(f"PASS {check.__name__}" + (f" ({note})" if note else ""))
        except (Fail, OSError, ValueError) as e:
            failed += 1
            print(f"FAIL {check.__name__}: {e}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
