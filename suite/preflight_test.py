#!/usr/bin/python3
"""h1xx's pre-flight and gone-server checks, end to end.

Before the cases, h1xx sends one plain request. Against something that is not an HTTP/1.x
server (an SSH banner, TLS on a plain port) or a proxy that does not forward to the embedded
origin, the run stops with one line on stderr, exit 3 and no report file; against the
reference origin and proxies it goes on. A server that stops accepting connections mid-run is
named once, and the cases after it end as errors with that reason. The libcurl case never
passes without an HTTP response (checked with --no-preflight, so that it meets the banner).

Usage: preflight_test.py ./h1xx      The last line is "preflight: N passed, N failed".
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "fixtures"))
import demo  # noqa: E402
import harness  # noqa: E402
from testlib import H1XX, free_port, record, summary  # noqa: E402

FAST = ["--timeout", "1s", "--long-timeout", "2s", "--quiet-time", "300ms", "--linger",
        "50ms", "--color", "never"]


def run(args, cwd, limit=60):
    """h1xx from cwd with its reports in cwd/reports: (exit status, stdout, stderr lines)."""
    try:
        p = subprocess.run([H1XX, "--report-dir", "reports"] + FAST + args, cwd=cwd,
                           capture_output=True, text=True, errors="replace", timeout=limit)
    except subprocess.TimeoutExpired:
        return -1, "", ["(killed after %ds)" % limit]
    return p.returncode, p.stdout, [l for l in p.stderr.splitlines() if l.strip()]


def no_reports(cwd):
    d = os.path.join(cwd, "reports")
    return not os.path.isdir(d) or not os.listdir(d)


def results(cwd):
    with open(os.path.join(cwd, "reports", "results.json")) as f:
        return json.load(f)


def stop_line(label, args, cwd, words, proxy=False):
    """Exit 3, one line naming `words` (after the embedded origin's line in proxy modes), no
    case on the console, no report."""
    rc, out, err = run(args, cwd)
    lines = [l for l in err if not (proxy and "embedded origin listening" in l)]
    problems = []
    if rc != 3:
        problems.append("exit %d, expected 3" % rc)
    if len(lines) != 1:
        problems.append("%d lines on stderr, expected 1: %r" % (len(lines), err))
    for w in words:
        if not any(w in l for l in lines):
            problems.append("no %r in %r" % (w, err))
    if out.strip():
        problems.append("cases ran: %r" % out[:200])
    if not no_reports(cwd):
        problems.append("report files written: %s" % os.listdir(os.path.join(cwd, "reports")))
    record(label, not problems, "; ".join(problems))


def hostile(behaviour, *extra):
    return harness.start("hostile.py", ["--behaviour", behaviour] + list(extra))


def origin_checks(tmp):
    with hostile("ssh-banner") as fx:
        stop_line("SSH banner: exit 3, one line quoting it, no 13 failures",
                  [fx.url], mkd(tmp), ["not an HTTP/1.x server: first bytes `SSH-2.0-OpenSSH"])
        d = mkd(tmp)
        rc, out, err = run(["--no-preflight", "-k", "libcurl/*", fx.url], d)
        c = results(d)["cases"][0] if rc in (0, 1) else {}
        record("SSH banner, --no-preflight: the libcurl case does not pass",
               rc == 1 and c.get("verdict") in ("error", "skip", "fail"),
               "exit %d: %s %s" % (rc, c.get("verdict"), c.get("message")))
    with hostile("reset-after-100") as fx:
        d = mkd(tmp)
        rc, out, err = run(["-k", "libcurl/*", fx.url], d)
        c = results(d)["cases"][0] if rc in (0, 1) else {}
        record("100 then a reset: the libcurl case does not pass",
               c.get("verdict") in ("error", "skip", "fail"),
               "exit %d: %s %s" % (rc, c.get("verdict"), c.get("message")))
    for b in ("tls-on-plain", "tls-alert"):
        with hostile(b) as fx:
            stop_line("TLS on the port (%s) reached with http://: exit 3, 'use https://'" % b,
                      [fx.url], mkd(tmp), ["this port speaks TLS: use https://"])
    with hostile("tls-on-plain") as fx:
        d = mkd(tmp)
        rc, out, err = run(["--no-preflight", "-k", "libcurl/*", fx.url], d)
        c = results(d)["cases"][0] if rc in (0, 1) else {}
        record("TLS port, --no-preflight: the libcurl case does not pass",
               rc == 1 and c.get("verdict") in ("error", "skip", "fail"),
               "exit %d: %s %s" % (rc, c.get("verdict"), c.get("message")))
    with hostile("silent") as fx:
        d = mkd(tmp)
        rc, out, err = run(["-k", "continue/exp1-chunked", fx.url], d)
        record("silent server: no stop (a slow origin proves nothing), a note, the cases run",
               rc == 1 and any("pre-flight: no answer" in l for l in err) and
               len(results(d)["cases"]) == 1, "exit %d; %r" % (rc, err))
    with harness.start("origin.py", []) as fx:
        d = mkd(tmp)
        rc, out, err = run(demo.reference_sets() + ["-k", "continue/*", fx.url], d)
        record("reference origin: the pre-flight passes silently and the cases pass",
               rc == 0 and not err and results(d)["summary"]["pass"] > 0,
               "exit %d; %r" % (rc, err))
        d = mkd(tmp)
        rc, out, err = run(["-k", "continue/exp1-chunked", fx.url.rstrip("/") + "/missing"], d)
        record("a path that answers 404 passes the pre-flight", rc in (0, 1) and not err,
               "exit %d; %r" % (rc, err))


def proxy_checks(tmp):
    for mode, fmode in (("reverse-proxy", "reverse"), ("forward-proxy", "forward")):
        with hostile("proxy-502") as fx:
            stop_line("%s answering 502 itself: exit 3, naming 502 and the origin" % mode,
                      ["-m", mode, "--origin-listen", "127.0.0.1:0", fx.url], mkd(tmp),
                      ["the proxy answered 502 itself", "never reached the embedded origin",
                       "forward proxy?" if fmode == "forward" else "configured to forward"],
                      proxy=True)
        with hostile("close-before-any-byte") as fx:
            stop_line("%s closing at once: exit 3, 'the proxy closed the connection'" % mode,
                      ["-m", mode, "--origin-listen", "127.0.0.1:0", fx.url], mkd(tmp),
                      ["the proxy closed the connection"], proxy=True)
        with hostile("silent") as fx:
            stop_line("%s that never forwards nor answers: exit 3, 'got nothing in 1s'" % mode,
                      ["-m", mode, "--origin-listen", "127.0.0.1:0", fx.url], mkd(tmp),
                      ["got nothing in 1s"], proxy=True)
        # The reference proxies (as selftest.py starts them): the pre-flight reaches the origin.
        d = mkd(tmp)
        port = free_port()
        args = ["--mode", fmode, "--idle-timeout", "1"]
        if fmode == "reverse":
            args += ["--upstream", "127.0.0.1:%d" % port]
        with harness.start("proxy.py", args) as px:
            rc, out, err = run(["-m", mode, "--origin-listen", "127.0.0.1:%d" % port,
                                "-k", "hints/*", px.url], d)
        extra = [l for l in err if "embedded origin listening" not in l]
        record("reference %s: the pre-flight passes and the cases run" % mode,
               rc == 0 and not extra and results(d)["summary"]["pass"] > 0,
               "exit %d; %r" % (rc, err))
    # A reverse proxy taken for a forward one: its own answer is named, with the hint.
    port = free_port()
    with harness.start("proxy.py", ["--mode", "reverse", "--upstream", "127.0.0.1:1"]) as px:
        stop_line("reverse proxy run as forward-proxy: exit 3 with the forward-proxy hint",
                  ["-m", "forward-proxy", "--origin-listen", "127.0.0.1:%d" % port, px.url],
                  mkd(tmp), ["itself", "is this a forward proxy?"], proxy=True)


def gone_checks(tmp):
    # probe + pre-flight + 4 cases connect; then the listener closes
    with hostile("crash-after", "--after", "6") as fx:
        d = mkd(tmp)
        rc, out, err = run(["-j", "1", fx.url], d)
        data = results(d) if rc in (0, 1) else {"cases": []}
        said = [l for l in err if "stopped accepting connections" in l]
        gone = [c for c in data["cases"] if "not run against a live server" in
                (c.get("message") or "")]
        wrong = [c["id"] for c in gone if c["verdict"] != "error"]
        couldnt = [c["id"] for c in data["cases"] if "Couldn't connect" in
                   (c.get("message") or "")]
        record("server gone mid-run: one line naming the last case, later cases error with "
               "the reason", rc == 1 and len(said) == 1 and " at +" in said[0] and
               len(gone) >= 5 and not wrong and not couldnt,
               "exit %d; said %r; %d gone, not error: %s; Couldn't connect: %s"
               % (rc, said, len(gone), wrong, couldnt))
        last = said[0].split(" after ")[1].split(" at ")[0] if said else ""
        ids = [c["id"] for c in data["cases"]]
        record("the case named is one that ran before the refusals",
               last in ids and all(ids.index(c["id"]) > ids.index(last) for c in gone),
               "named %r" % last)


COUNTER = [0]


def mkd(tmp):
    COUNTER[0] += 1
    d = os.path.join(tmp, "run%d" % COUNTER[0])
    os.makedirs(d)
    return d


def main():
    if not os.access(H1XX, os.X_OK):
        raise SystemExit("preflight: no h1xx binary at %s" % H1XX)
    with tempfile.TemporaryDirectory(prefix="h1xx-preflight-") as tmp:
        origin_checks(tmp)
        proxy_checks(tmp)
        gone_checks(tmp)
    sys.exit(summary("preflight"))


if __name__ == "__main__":
    main()
