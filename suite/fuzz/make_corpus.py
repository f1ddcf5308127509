#!/usr/bin/python3
"""Regenerates the fuzz seed corpus in suite/fuzz/corpus/ (small on purpose; committed).

wire/: what the fixtures answer. The reference origin and each of its violators are started
(fixtures/harness.py, loopback, every wait bounded) and asked a few requests (a GET, an upload
with Expect: 100-continue sent head first, an HTTP/1.0 upload, a HEAD, a pipelined pair);
the bytes that come back become seeds. The fixed answers of fixtures/hostile.py are added.
Each seed is at most 4 KiB, prefixed with the harness's two control bytes (split point,
limits/HEAD bits; see fuzz_wire.c).
case/: the case files of cases/ and the malformed ones of suite/badcases/.

Usage: make_corpus.py   (from anywhere; takes about 10 s)
"""
import os
import shutil
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "fixtures"))
import harness  # noqa: E402
import hostile  # noqa: E402
import origin  # noqa: E402

MAX_SEED = 4096
UPLOAD = (b"POST /upload HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n",
          b"hello world")
REQUESTS = {
    "get": (b"GET / HTTP/1.1\r\nHost: h\r\n\r\n",),
    "upload": UPLOAD,
    "reject": (UPLOAD[0].replace(b"/upload", b"/reject"), UPLOAD[1]),
    "http10": (b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n",
               b"hello world"),
    "head": (b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n",),
    "pipelined": (b"GET / HTTP/1.1\r\nHost: h\r\n\r\n" + UPLOAD[0] + UPLOAD[1],),
    "unknown-expect": (b"GET / HTTP/1.1\r\nHost: h\r\nExpect: x-magic\r\n\r\n",),
}


def exchange(port, parts, wait=0.3):
    """Sends the parts (pausing between them) and returns what arrived, bounded in time."""
    got = b""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        for p in parts:
            s.sendall(p)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and len(got) < MAX_SEED:
                s.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    chunk = s.recv(65536)
                except (socket.timeout, OSError):
                    break
                if not chunk:
                    break
                got += chunk
    return got[:MAX_SEED]


def seed(folder, name, stream, index, head_bits=0):
    ctl = 0x02 | (head_bits << 4)               # max_head 65536, default field/interim caps
    with open(os.path.join(folder, name), "wb") as f:
        f.write(bytes([(index * 37) % 256, ctl]) + stream[:MAX_SEED])


def wire_corpus(folder):
    n = 0
    for violator in [None] + list(origin.VIOLATIONS):
        args = [] if violator is None else ["--violate", violator]
        with harness.start("origin.py", args) as fx:
            for req, parts in REQUESTS.items():
                if violator and req in ("get", "head"):
                    continue
                data = exchange(fx.port, parts)
                if data:
                    seed(folder, "origin-%s-%s" % (violator or "reference", req), data, n,
                         1 if req == "head" else 0)
                    n += 1
    for name, b in hostile.BEHAVIOURS.items():
        if b.wire:
            seed(folder, "hostile-" + name, b.wire, n)
            n += 1
    return n


def case_corpus(folder):
    n = 0
    for src in (os.path.join(ROOT, "cases"), os.path.join(ROOT, "suite", "badcases")):
        for dirpath, _, files in os.walk(src):
            for f in sorted(files):
                if f.endswith(".case"):
                    area = os.path.basename(dirpath)
                    shutil.copy(os.path.join(dirpath, f), os.path.join(folder, area + "-" + f))
                    n += 1
    return n


def main():
    for kind, make in (("wire", wire_corpus), ("case", case_corpus)):
        folder = os.path.join(HERE, "corpus", kind)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        print("%s: %d seeds" % (folder, make(folder)))


if __name__ == "__main__":
    main()
