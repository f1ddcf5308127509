#!/usr/bin/python3
"""fates_test: proxy verdicts from the fate of every message the embedded origin writes (issue 18,
docs/fates.md).

usage: fates_test.py ./h1xx [-k SUBSTRING]
The last line is "fates: N passed, N failed"; exit 1 when a check failed.

Through fixtures/proxy.py, in reverse-proxy and forward-proxy mode:
1. A pooled proxy that takes a 102 as the final and puts the upstream connection back in its
   pool (pooled-102-final) hands the origin's next messages to the next case's client: that case
   fails FWD-3 naming the case they were written for; the writer fails too, and its fates name
   the reader (to-other-case).
2. A proxy that makes the first 1xx the final (first-1xx-final, 1xx-as-200) loses the origin's
   final: a MUST failure (FWD-2) in both modes, a gateway included.
3. A proxy that forwards every 1xx 300 ms late (slow-1xx) or holds it until the final
   (buffer-1xx) gets a practice warning (FWD-1) with the measured delay, never a MUST failure.
4. results.json has "fates" for each proxy case: each origin message with its kind, times and
   delay; `h1xx merge` keeps them; the console and JUnit say them in one line.
5. The carrier: every 1xx and final the origin writes carries H1xx-Trace TOKEN.SEQ, except in a
   case that opts out ("default trace off"); a proxy that strips the field (strip-trace) gets
   the reference verdicts, messages paired by order.
6. Premises from what the origin saw: a proxy that sends its own 100 and forwards the head at
   once is not said to hold the request (continue/pxy-exp3-early-final-chunked is judged).
7. One transcript per case, in time order on one clock.
8. A proxy's own 502 that follows the origin closing a connection (reuse-closed-upstream) is
   attributed to the proxy reusing that closed connection, not to its configuration.
Loopback only; every fixture is started here and stopped by its own pid.
"""
import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "fixtures"))
import harness  # noqa: E402
from testlib import free_port, record, run_h1xx, run_groups  # noqa: E402

FAST = ["--timeout", "1500ms", "--long-timeout", "4s", "--quiet-time", "400ms"]
PXY1, PRC4 = "interim/pxy1-every-1xx-forwarded", "processing/pxy-prc4-forwarded-promptly"
KINDS = {"forwarded", "late", "held", "dropped", "made-final", "altered", "to-other-case",
         "from-other-case", "unwritten"}
LAST = re.compile(r"^(\d+) passed, (\d+) failed, (\d+) skipped$")


def through(workdir, name, mode, violations=(), cases=(), extra=()):
    """One h1xx run through fixtures/proxy.py; (exit, console, {id: case}, json path, xml path)."""
    origin = free_port()
    args = ["--mode", mode, "--idle-timeout", "5"]
    if mode == "reverse":
        args += ["--upstream", f"127.0.0.1:{origin}"]
    for v in violations:
        args += ["--violate", v]
    js, xml = os.path.join(workdir, name + ".json"), os.path.join(workdir, name + ".xml")
    filters = [a for c in cases for a in ("-k", c)]
    with harness.start("proxy.py", args) as px:
        rc, out, err = run_h1xx(["-m", mode + "-proxy", "--origin-listen", f"127.0.0.1:{origin}",
                                 "--json", js, "--junit", xml] + FAST + filters + list(extra) +
                                ([] if "--cases" in extra else ["--set", "prc5_interval=500ms"]) +
                                [f"http://127.0.0.1:{px.port}/"])
    if not os.path.exists(js):
        raise ValueError(f"{name}: h1xx wrote no results.json (exit {rc}): {err[-400:]}")
    with open(js) as f:
        data = json.load(f)
    return rc, out + err, {c["id"]: c for c in data["cases"]}, js, xml


def brief(c):
    return f"{c['verdict']} {c.get('failed_require')}: {c.get('message')}" if c else "no result"


def cross_talk(workdir):
    for mode in ("reverse", "forward"):
        rc, out, got, js, xml = through(workdir, "pooled-" + mode, mode, ["pooled-102-final"],
                                        [PXY1, PRC4], ["--jobs", "1"])
        writer, reader = got.get(PXY1), got.get(PRC4)
        record(f"{mode}: the client that got another case's 1xx fails naming that case (FWD-3)",
               reader and reader["verdict"] == "fail" and reader["failed_require"] == "FWD-3"
               and f"wrote for {PXY1}" in reader["message"], brief(reader))
        others = [f for f in (reader or {}).get("fates", []) if f["kind"] == "from-other-case"]
        record(f"{mode}: the reader's fates list each message written for the other case",
               others and all(f["other"] == PXY1 and f["seq"] > 0 for f in others),
               json.dumps(others)[:600])
        to = [f for f in (writer or {}).get("fates", []) if f["kind"] == "to-other-case"]
        record(f"{mode}: the writer fails (its 102 made the final) and its fates name the reader",
               writer and writer["verdict"] == "fail" and to and all(f["other"] == PRC4 for f in to)
               and any(PRC4 in n for n in writer["notes"]), brief(writer))
        record(f"{mode}: exit 1 for the failures", rc == 1, f"exit {rc}")


def lost_final(workdir):
    for mode in ("reverse", "forward"):
        for v, got_text in (("first-1xx-final", "then the connection closed"),
                            ("1xx-as-200", "a final 200")):
            rc, out, got, js, xml = through(workdir, f"{v}-{mode}", mode, [v], [PXY1, PRC4])
            for cid in (PXY1, PRC4):
                c = got.get(cid)
                kinds = [f["kind"] for f in (c or {}).get("fates", [])]
                record(f"{mode} {v}: {cid} fails FWD-2 (the final lost after a 1xx), MUST in "
                       "this role too", c and c["verdict"] == "fail" and
                       c["failed_require"] == "FWD-2" and got_text in c["message"] and
                       "§15.2" in c["message"] and "made-final" in kinds, brief(c))


def late(workdir):
    for mode in ("reverse", "forward"):
        for v, word in (("slow-1xx", "later"), ("buffer-1xx", "held until the origin's final")):
            rc, out, got, js, xml = through(workdir, f"{v}-{mode}", mode, [v], [PXY1, PRC4])
            for cid in (PXY1, PRC4):
                c = got.get(cid)
                delays = [f["delay_ns"] for f in (c or {}).get("fates", [])
                          if f["kind"] in ("late", "held")]
                record(f"{mode} {v}: {cid} warns FWD-1 (practice) with the delay, no MUST",
                       c and c["verdict"] == "warn" and c["failed_require"] == "FWD-1" and
                       word in c["message"] and delays and min(delays) > 250_000_000,
                       brief(c) + f" delays {delays}")
            record(f"{mode} {v}: exit 0 (a warning fails only under --strict)", rc == 0,
                   f"exit {rc}")


def reports(workdir):
    rc, out, got, js, xml = through(workdir, "ref-reverse", "reverse")
    proxy_ids = [c for c in got if "/pxy" in c]
    wrote = [c for c in proxy_ids if any(t["kind"] == "sent" and t["conn"] > 100
                                         for t in got[c]["transcript"])]
    missing = [c for c in wrote if not got[c].get("fates")]
    record("reference: results.json has fates for each proxy case", proxy_ids and not missing,
           f"without fates: {missing}")
    bad = [(c, f) for c in proxy_ids for f in got[c]["fates"] if f["kind"] not in KINDS or
           (f["seq"] and f["t_write_s"] is None)]
    record("reference: each fate has a known kind, and a write time for an origin message",
           not bad, repr(bad[:3]))
    plain = [c for c in proxy_ids if got[c]["verdict"] == "pass" and  # (an HTTP/1.0 client's
             any(f["kind"] in ("dropped", "made-final", "to-other-case", "from-other-case")
                 and "HTTP/1.0" not in (f["detail"] or "")  # 1xx are dropped, rightly)
                 and not (f["kind"] == "dropped" and f["status"] == 101)  # an unasked 101 too
                 for f in got[c]["fates"])]
    record("reference: no passing case has a message dropped or misdelivered", not plain, plain)
    order = [c for c in proxy_ids if [t["t_s"] for t in got[c]["transcript"]] !=
             sorted(t["t_s"] for t in got[c]["transcript"])]
    record("one transcript per case: both sides in time order on one clock", not order, order)
    merged = os.path.join(workdir, "merged.json")
    mrc, mout, merr = run_h1xx(["merge", merged, js])
    with open(merged) as f:
        back = {c["id"]: c for c in json.load(f)["cases"]}
    same = all(len(back[c]["fates"]) == len(got[c]["fates"]) and
               [f["kind"] for f in back[c]["fates"]] == [f["kind"] for f in got[c]["fates"]]
               for c in proxy_ids)
    record("h1xx merge keeps the fates", mrc == 0 and same, merr[-300:])
    rc, out, got, js, xml = through(workdir, "fates-line", "reverse", ["first-1xx-final"], [PXY1])
    line = [ln for ln in out.splitlines() if ln.strip().startswith("fates: ")]
    record("console: the fates in one line", len(line) == 1 and "made-final" in line[0] and
           "dropped" in line[0], "\n".join(line) or out[-600:])
    with open(xml) as f:
        text = f.read()
    record("JUnit: the same line in the failure text", "fates: 100 made-final" in text and
           "200 dropped" in text, text[:300])


def carrier(workdir):
    rc, out, got, js, xml = through(workdir, "trace", "reverse", cases=[PXY1])
    c = got.get(PXY1, {})
    sent = [t["data"] for t in c.get("transcript", []) if t["kind"] == "sent" and t["conn"] > 100]
    # each head's trace field (the connection policy may put Connection: close before it)
    blocks = [h for d in sent for h in re.findall(r"HTTP/1\.1 \d\d\d[^\r]*\r\n(.*?)\r\n\r\n", d,
                                                  re.S)]
    heads = [next((f for f in b.split("\r\n") if f.startswith("H1xx-Trace:")), b) for b in blocks]
    record("every 1xx and final the origin writes carries H1xx-Trace TOKEN.SEQ",
           heads and all(re.match(r"H1xx-Trace: c\d+-\w+\.\d+$", h) for h in heads), heads)
    seqs = [int(h.rsplit(".", 1)[1]) for h in heads]
    record("the sequence numbers count the case's messages", seqs == list(range(1, 7)), seqs)
    # a case may opt out (one that counts fields, or compares bytes)
    cases = os.path.join(workdir, "cases")
    os.makedirs(os.path.join(cases, "interim"), exist_ok=True)
    shutil.copy(os.path.join(ROOT, "cases", "requirements.tsv"), cases)
    with open(os.path.join(ROOT, "cases", "interim", "pxy1-every-1xx-forwarded.case")) as f:
        text = f.read()
    with open(os.path.join(cases, "interim", "pxy1-every-1xx-forwarded.case"), "w") as f:
        f.write(text.replace("default  fwd_max 250ms", "default  fwd_max 250ms\ndefault  trace off"))
    rc, out, got, js, xml = through(workdir, "trace-off", "reverse", cases=[PXY1],
                                    extra=["--cases", cases])
    c = got.get(PXY1, {})
    sent = "".join(t["data"] for t in c.get("transcript", []) if t["conn"] > 100)
    record("'default trace off': the origin writes its messages as the case says",
           c.get("verdict") == "pass" and "HTTP/1.1 200" in sent and "H1xx-Trace" not in sent,
           brief(c))
    for mode in ("reverse", "forward"):
        rc, out, got, js, xml = through(workdir, "strip-" + mode, mode, ["strip-trace"])
        bad = [f"{i}: {brief(c)}" for i, c in got.items() if c["verdict"] not in ("pass", "skip")]
        record(f"{mode}: a proxy that strips the trace gets the reference verdicts (by order)",
               got and not bad, "\n    ".join(bad))


def premises(workdir):
    cid = "continue/pxy-exp3-early-final-chunked"
    for mode in ("reverse", "forward"):
        rc, out, got, js, xml = through(workdir, "own100-" + mode, mode,
                                        ["own-100-drop-origin-100"], [cid])
        c = got.get(cid)
        record(f"{mode}: a proxy that sends its own 100 and forwards the head is not said to "
               "hold the request", c and c["verdict"] != "skip" and
               "holds the request" not in c["message"], brief(c))


def closed_reuse(workdir):
    for mode in ("reverse", "forward"):
        rc, out, got, js, xml = through(workdir, "closed-" + mode, mode, ["reuse-closed-upstream"],
                                        [PXY1], ["--jobs", "1"])
        c = got.get(PXY1)
        record(f"{mode}: the proxy's own 502 after the origin closed a connection is said to be "
               "the proxy reusing it, not its configuration", c and c["verdict"] == "skip" and
               "closed upstream connection" in c["message"] and "not configured" not in
               c["message"], brief(c))


if __name__ == "__main__":
    run_groups("fates", [("cross-talk", cross_talk), ("lost final", lost_final), ("late", late),
                         ("reports", reports), ("carrier", carrier), ("premises", premises),
                         ("closed connection", closed_reuse)],
               errors=(subprocess.SubprocessError,))
