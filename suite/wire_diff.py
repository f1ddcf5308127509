#!/usr/bin/python3
"""wire_diff: the runner's wire reader checked against a second, independent HTTP/1.1 parser.

Every stream of the fuzz corpus (suite/fuzz/corpus/wire, suite/fuzz/regressions/wire: the
bytes after the two control bytes) and every fixed answer of the hostile catalogue
(fixtures/hostile.py) is read by the runner's reader (build/wire-dump) and by h11 (Debian's
python3-h11, a client-side HTTP/1.1 parser), as a client that sent GET requests offering an
upgrade, with EOF after the last byte.

- Where both split the stream into the same messages (the same statuses, in order, with the
  same body lengths), they must agree on every message's status and fields (names and values,
  in order): a disagreement there is a failure, whatever its cause.
- Where they split it differently (one stops with an error, reads a body another way, or
  reads on after a close), the difference must fall into one of the categories triaged in
  docs/wire-differential.md (which parser follows RFC 9112, and why h1xx keeps its reading);
  an untriaged difference is a failure that names the stream.

Usage: wire_diff.py [BUILD_DIR] [-v]. Skips with one line when h11 is not installed. The last
line is "wire-diff: N passed, N failed"."""
import glob
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "fixtures"))
sys.path.insert(0, os.path.join(ROOT, "suite"))
import hostile  # noqa: E402
import skips  # noqa: E402

try:
    import h11
except ImportError:
    h11 = None

NREQ = 8
# the wire reader's findings on a status line (GEN-3 in cases/FORMAT.md)
STATUS_FINDINGS = {"bad-status-line", "no-sp-after-code", "bad-version", "status-code"}
MAX_HEAD = 65536  # the wire reader's default head limit (wire_limits_default)


# ---- the two readings ------------------------------------------------------------------------

def runner_read(dump, stream):
    p = subprocess.run([dump, "--requests", str(NREQ)], input=stream, capture_output=True,
                       timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"wire-dump exit {p.returncode}: {p.stderr.decode()[:200]}")
    out = json.loads(p.stdout.decode("utf-8"))
    msgs = [{"status": m["status"], "body_len": m["body_len"],
             "fields": [(n.encode("latin-1"), v.encode("latin-1")) for n, v in m["fields"]]}
            for m in out["messages"]]
    return msgs, out["end"], [f[0] for f in out["findings"]]


def h11_read(stream):
    """h11 as a client: a GET offering an upgrade, the stream, EOF; then a next GET on the
    same connection each time a response ends with the connection reusable."""
    conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)
    sent = [0]

    def request():
        conn.send(h11.Request(method="GET", target="/", headers=[
            ("Host", "h1xx.test"), ("Upgrade", "h1xx-test"), ("Connection", "upgrade")]))
        conn.send(h11.EndOfMessage())
        sent[0] += 1

    request()
    conn.receive_data(stream)
    conn.receive_data(b"")
    msgs, cur = [], None
    while True:
        try:
            ev = conn.next_event()
        except h11.RemoteProtocolError as e:
            return msgs, "error", str(e)
        if ev is h11.NEED_DATA:
            return msgs, "need-more", ""
        if ev is h11.PAUSED:
            if conn.their_state is h11.SWITCHED_PROTOCOL:
                return msgs, "raw", ""
            if conn.our_state is h11.DONE and conn.their_state is h11.DONE and sent[0] < NREQ:
                try:
                    conn.start_next_cycle()
                    request()
                    continue
                except h11.LocalProtocolError as e:
                    return msgs, "closed", str(e)
            return msgs, "closed" if conn.their_state is h11.MUST_CLOSE else "paused", ""
        if isinstance(ev, (h11.InformationalResponse, h11.Response)):
            cur = {"status": ev.status_code, "body_len": 0,
                   "fields": [(n, v) for n, v in ev.headers.raw_items()]}
            msgs.append(cur)
        elif isinstance(ev, h11.Data):
            cur["body_len"] += len(ev.data)
        elif isinstance(ev, h11.ConnectionClosed):
            return msgs, "done", ""


# ---- comparing -------------------------------------------------------------------------------

def same_split(a, b):
    return a["status"] == b["status"] and a["body_len"] == b["body_len"]


FOLD = re.compile(rb"\r?\n[ \t]+")


def norm_fields(fields):
    """Names in lower case; an obs-fold in a value as the single SP RFC 9112 §5.2 asks a user
    agent to put in its place (the wire reader keeps the folded bytes, as evidence: category
    obs-fold-value in docs/wire-differential.md)."""
    return [(n.lower(), FOLD.sub(b" ", v)) for n, v in fields]


def short(x, n=240):
    s = repr(x)
    return s if len(s) <= n else s[:n] + f"... ({len(s)} characters)"


def compare(name, stream, r, h, counts):
    """Problems where the splits agree (always failures), and the index of the first message
    where the splits differ (None when they do not). Field differences that are triaged
    (obs-fold-value, field-cap) are counted in counts."""
    rmsgs, rend, findings = r
    hmsgs, hend, herr = h
    problems = []
    i = 0
    while i < min(len(rmsgs), len(hmsgs)) and same_split(rmsgs[i], hmsgs[i]):
        rf, hf = norm_fields(rmsgs[i]["fields"]), norm_fields(hmsgs[i]["fields"])
        capped = "too-many-fields" in findings and len(rf) < len(hf)  # category field-cap
        if rf == hf and rmsgs[i]["fields"] != hmsgs[i]["fields"] and any(
                FOLD.search(v) for _, v in rmsgs[i]["fields"]):
            counts["obs-fold-value"] = counts.get("obs-fold-value", 0) + 1
        if rf != hf and capped and all(f in hf for f in rf):
            counts["field-cap"] = counts.get("field-cap", 0) + 1
        elif rf != hf:
            problems.append(f"{name}: message {i + 1} ({rmsgs[i]['status']}): the fields differ: "
                            f"wire reader {short(rmsgs[i]['fields'])}, h11 "
                            f"{short(hmsgs[i]['fields'])}")
        i += 1
    if i == len(rmsgs) == len(hmsgs):
        return problems, None
    return problems, i


def describe(msgs, i):
    if i >= len(msgs):
        return "no message"
    m = msgs[i]
    return f"{m['status']} with {m['body_len']} body bytes"


# Each category: (id, test(stream, runner reading, h11 reading, index)). The first that matches
# triages a split difference; docs/wire-differential.md explains each one by the same id.
def _herr(h, *words):
    return h[1] == "error" and (not words or any(w in h[2] for w in words))


def _finding(r, *codes):
    return any(c in r[2] for c in codes)


CATEGORIES = [
    ("lenient-syntax", lambda s, r, h, i: _herr(h) and _finding(
        r, "bare-lf", "obs-fold", "ws-before-colon", "no-sp-after-code", "bad-field",
        "ctl-in-field", "bare-cr", "bad-version", "status-code")),
    ("te-not-chunked", lambda s, r, h, i: _herr(h, "Only Transfer-Encoding: chunked")),
    ("content-in-1xx", lambda s, r, h, i: _finding(r, "content-after-1xx", "cl-in-1xx",
                                                   "te-in-1xx")),
    ("framing-error", lambda s, r, h, i: _finding(r, "bad-content-length", "bad-chunk",
                                                  "cl-and-te")),
    ("truncated", lambda s, r, h, i: _finding(r, "truncated") or h[1] == "need-more"
     or _herr(h, "peer unexpectedly closed", "incomplete")),
    ("limits", lambda s, r, h, i: _finding(r, "head-too-large", "too-many-fields",
                                           "too-many-interim") or _herr(h, "too long",
                                                                        "too large")),
    ("after-close", lambda s, r, h, i: h[1] in ("closed", "done") and i == len(h[0])
     and i > 0 and len(r[0]) > i),
    ("after-101", lambda s, r, h, i: r[1] == "raw" or h[1] == "raw"),
    ("not-http", lambda s, r, h, i: i == 0 and _herr(h) and _finding(r, "bad-status-line")),
    ("both-error", lambda s, r, h, i: r[1] == "error" and h[1] == "error"),
]


def gen3_triage(r, h):
    """Whether the two agree on the status lines (GEN-3): None when they do; else (category,
    what) with category None when the difference is not triaged. The wire reader flags a status
    line (a finding of STATUS_FINDINGS) while h11 reads the stream's messages without error, or
    h11 rejects a status line the wire reader took without such a finding."""
    flags = STATUS_FINDINGS & set(r[2])
    h_accepts = h[1] != "error" and len(h[0]) > 0
    if flags and h_accepts:
        cat = ("status-range" if flags == {"status-code"} else
               "version-minor" if flags == {"bad-version"} else
               "status-no-sp" if flags == {"no-sp-after-code"} else None)
        return cat, (f"the wire reader flags a status line ({', '.join(sorted(flags))}), h11 "
                     f"reads {len(h[0])} message(s) without error")
    if not flags and "status" in h[2]:
        cat = ("content-in-1xx" if {"content-after-1xx", "te-in-1xx", "cl-in-1xx"} & set(r[2])
               else "ctl-in-reason" if "ctl-in-field" in r[2] else None)
        return cat, f"h11 rejects a status line ({h[2][:120]}), the wire reader has no finding on it"
    return None


def triage(stream, r, h, i):
    for cid, test in CATEGORIES:
        try:
            if test(stream, r, h, i):
                return cid
        except (IndexError, KeyError):
            continue
    return None


# ---- the inputs ------------------------------------------------------------------------------

def streams():
    out = []
    for d in ("corpus", "regressions"):
        for path in sorted(glob.glob(os.path.join(ROOT, "suite", "fuzz", d, "wire", "*"))):
            with open(path, "rb") as f:
                data = f.read()
            if len(data) >= 2 and (data[1] >> 4) & 7 == 0:  # no HEAD request in the seed
                out.append((f"{d}/{os.path.basename(path)}", data[2:]))
    for name, b in sorted(hostile.BEHAVIOURS.items()):
        if b.wire:
            out.append((f"hostile/{name}", b.wire))
    return out


def main():
    args = [a for a in sys.argv[1:] if a != "-v"]
    verbose = "-v" in sys.argv
    build = args[0] if args else os.path.join(ROOT, "build")
    dump = os.path.join(build, "wire-dump")
    if h11 is None:
        skips.note("wire_diff", "h11 is not installed (apt-get install python3-h11)")
        print("wire-diff: skipped: h11 is not installed for /usr/bin/python3 "
              "(apt-get install python3-h11)")
        print("wire-diff: 0 passed, 0 failed")
        return 0
    passed = failed = 0
    # the comparison can fail: one field value changed in the wire reader's reading is caught
    probe = (b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
             b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    r = runner_read(dump, probe)
    r[0][0]["fields"][0] = (b"Link", b"</b>")
    ok = bool(compare("probe", probe, r, h11_read(probe), {})[0])
    print(("ok   - " if ok else "FAIL - ") + "a field that differs between the two readings is "
          "caught (a planted difference)")
    passed += ok
    failed += not ok
    counts, agreed, untriaged, same, gen3 = {}, 0, [], {}, []
    for name, stream in streams():
        r = runner_read(dump, stream)
        h = h11_read(stream)
        problems, i = compare(name, stream, r, h, same)
        g = gen3_triage(r, h)
        if g and g[0]:
            same[g[0]] = same.get(g[0], 0) + 1
        elif g:
            gen3.append(f"{name}: {g[1]}")
        for p in problems:
            print("FAIL -", p)
            failed += 1
        if i is None:
            agreed += 1
            continue
        cid = triage(stream, r, h, i)
        counts[cid] = counts.get(cid, 0) + 1
        line = (f"{name}: message {i + 1}: wire reader {describe(r[0], i)} (ends {r[1]}; "
                f"findings {', '.join(r[2]) or 'none'}), h11 {describe(h[0], i)} (ends {h[1]}"
                f"{': ' + h[2][:160] if h[2] else ''})")
        if cid is None:
            untriaged.append(line)
        elif verbose:
            print(f"  [{cid}] {line}")
    total = agreed + sum(counts.values())
    print(f"wire-diff: {total} streams; {agreed} split the same by both parsers; split "
          "differences by category: " + (", ".join(f"{k} {v}" for k, v in sorted(
              counts.items(), key=lambda kv: str(kv[0])) if k) or "none") + "; other triaged "
          "differences: " + (", ".join(
              f"{k} {v}" for k, v in sorted(same.items())) or "none"))
    ok = not gen3
    print(("ok   - " if ok else "FAIL - ") + "GEN-3: both parsers find the same status lines "
          "broken, but for triaged differences" + ("" if ok else ":\n    " +
                                                    "\n    ".join(gen3)))
    passed += ok
    failed += not ok
    ok = not failed
    print(("ok   - " if ok else "FAIL - ") + "where both split a stream the same, they agree "
          "on every status and field")
    passed += ok
    failed += 0 if ok else 1
    doc = open(os.path.join(ROOT, "docs", "wire-differential.md")).read()
    missing = [c for c in list(counts) + list(same) if c and f"`{c}`" not in doc]
    ok = not untriaged and not missing
    print(("ok   - " if ok else "FAIL - ") + "every split difference falls in a category "
          "triaged in docs/wire-differential.md" +
          ("" if ok else ":\n    " + "\n    ".join(untriaged + [f"category {c} not in the doc"
                                                                 for c in missing])))
    passed += ok
    failed += not ok
    print(f"wire-diff: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
