#!/usr/bin/python3
"""Timing accuracy of h1xx's 102 measurements against the reference fixture's own log.

The fixture sends 102 Processing on an absolute schedule and logs, for each, when it was due
and when its write returned (time.monotonic(), i.e. CLOCK_MONOTONIC), with the client's port
on that connection. h1xx timestamps every read on the same clock and reports in its JSON when
each message's head arrived, relative to the run start it also reports, and its transcript's
"open" entry names its own local port ("127.0.0.1:8080 from 127.0.0.1:54321"). So each
stream of h1xx is paired with the fixture's log lines of the same connection, and both sides
are compared exactly:

  arrival error = h1xx's arrival time - fixture's write time   (latency h1xx adds or misses)
  gap error     = h1xx's measured gap - the fixture's sent gap (what h1xx adds to a gap)
  ... "window": the fixture logs the clock before (t_write) and after (t_sent) each write, so
      the bytes left inside [t_write, t_sent]: "outside" is how far h1xx's time lies outside
      it (a consistency check: 0 when h1xx's clock agrees), "bound" the distance to the
      farther end (the largest error h1xx's time can have; a fixture preempted around its
      write widens it)
  schedule gap error = h1xx's measured gap - the scheduled gap (what a verdict on gaps sees;
                       includes the Python fixture's own lateness)

Reverse-proxy mode: proxy_delays() runs the proxy cases that record per-message forwarding
delays (origin write -> client read, both in h1xx) through fixtures/proxy.py or another proxy,
and reads the samples and h1xx's own per-code figures from results.json.

Usage: timing.py ./h1xx [--streams N] [--jobs J] [--count C] [--interval MS] [--proxy]
                        [--admit-all] [--json OUT]
Prints a table; with --json writes the figures. suite/bench/bench.py imports this module.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "fixtures"))
import harness  # noqa: E402

PROXY_CASES = ["interim/pxy1-every-1xx-forwarded", "processing/pxy-prc4-forwarded-promptly"]


def pct(xs, p):
    """The p-th percentile (nearest rank on the sorted values); nan for no values."""
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, max(0, int(round(p / 100.0 * (len(xs) - 1)))))
    return xs[k]


def dist(xs):
    """median, p99 and max of a list (ms), and how many values."""
    return {"n": len(xs), "median": pct(xs, 50), "p99": pct(xs, 99),
            "max": max(xs) if xs else float("nan")}


GNU_TIME = "/usr/bin/time"


_WRAPPER_CPU = []


def wrapper_cpu():
    """CPU seconds GNU time itself costs around a program that does nothing (median of 5)."""
    if not _WRAPPER_CPU:
        runs = []
        for _ in range(5):
            p = subprocess.Popen([GNU_TIME, "-q", "-f", "%M", "-o", os.devnull, "/bin/true"])
            _, _, ru = os.wait4(p.pid, 0)
            p.returncode = 0
            runs.append(ru.ru_utime + ru.ru_stime)
        _WRAPPER_CPU.append(sorted(runs)[2])
    return _WRAPPER_CPU[0]


def run_measured(cmd, timeout=300):
    """Runs cmd; returns (exit status, wall s, cpu s (user+sys), peak RSS KiB, stdout, stderr)
    of that process alone, not the fixtures'. Through GNU time when there is one: Linux carries
    the peak RSS across exec, so a child forked from this Python process would report Python's
    own size as a floor; GNU time forks from a small process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as tf:
        if os.access(GNU_TIME, os.X_OK):
            cmd = [GNU_TIME, "-q", "-f", "%U %S %M", "-o", tf.name] + list(cmd)
        t = time.monotonic()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        deadline = t + timeout
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                p.kill()
                pid, status, ru = os.wait4(p.pid, 0)
                break
            time.sleep(0.005)
        wall = time.monotonic() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        # wait4's CPU includes the child's reaped children, to the microsecond (GNU time
        # prints centiseconds); its own cost is measured once and taken off.
        cpu, rss = ru.ru_utime + ru.ru_stime, ru.ru_maxrss
        if cmd[0] == GNU_TIME:
            fields = tf.read().split()
            if len(fields) >= 3:
                rss = int(fields[-1])
            cpu = max(0.0, cpu - wrapper_cpu())
        return (p.returncode, wall, cpu, rss,
                out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))


def local_port(case):
    """h1xx's local port on the case's first connection, from its transcript 'open' entry."""
    for e in case.get("transcript", []):
        if e["kind"] == "open":
            m = re.search(r" from \[?[0-9a-fA-F.:]+\]?:(\d+)$", e.get("data", ""))
            return int(m.group(1)) if m else None
    return None


def pair_streams(run, sent):
    """[(h1xx arrival series, fixture send series)] paired by connection (h1xx's local port =
    the fixture's peer_port); streams without a port fall back to order of first send."""
    t0 = run["monotonic_start_s"]
    by_port = {}
    for s in sent:
        by_port.setdefault(s.get("peer_port") or ("conn", s.get("conn", 0)), []).append(s)
    pairs, unpaired = [], []
    for c in run["cases"]:
        series = [t0 + m["t_head_s"] for m in c["messages"] if m["status"] == 102]
        port = local_port(c)
        if port in by_port:
            pairs.append((series, sorted(by_port.pop(port), key=lambda s: s["seq"])))
        elif series:
            unpaired.append(series)
    rest = sorted((sorted(v, key=lambda s: s["seq"]) for v in by_port.values()),
                  key=lambda v: v[0]["t_sent"])
    unpaired.sort(key=lambda v: v[0])
    return pairs + list(zip(unpaired, rest)), len(pairs)


def outside(x, lo, hi):
    """How far x lies outside [lo, hi] (negative below, 0 inside)."""
    return x - hi if x > hi else x - lo if x < lo else 0.0


def errors(pairs, interval_ms):
    """In ms: arrival errors against the fixture's write (t_sent, after it returned) and against
    its write window [t_write, t_sent] (the bytes left inside it; a fixture preempted around its
    write widens it); gap errors against the sent gaps, the same way, and the schedule's."""
    e = {k: [] for k in ("arr", "arr_out", "arr_bound", "gap_sent", "gap_out", "gap_bound",
                         "gap_sched", "win")}
    for a, fs in pairs:
        for t_arr, s in zip(a, fs):
            lo, hi = s.get("t_write", s["t_sent"]), s["t_sent"]
            e["arr"].append((t_arr - hi) * 1000.0)
            e["arr_out"].append(abs(outside(t_arr, lo, hi)) * 1000.0)
            e["arr_bound"].append(max(abs(t_arr - lo), abs(t_arr - hi)) * 1000.0)
            e["win"].append((hi - lo) * 1000.0)
        for i in range(1, min(len(a), len(fs))):
            measured = a[i] - a[i - 1]
            p, q = fs[i - 1], fs[i]
            e["gap_sent"].append(abs(measured - (q["t_sent"] - p["t_sent"])) * 1000.0)
            lo = q.get("t_write", q["t_sent"]) - p["t_sent"]
            hi = q["t_sent"] - p.get("t_write", p["t_sent"])
            e["gap_out"].append(abs(outside(measured, lo, hi)) * 1000.0)
            e["gap_bound"].append(max(abs(measured - lo), abs(measured - hi)) * 1000.0)
            e["gap_sched"].append(abs(measured - interval_ms / 1000.0) * 1000.0)
    return e


def peak_overlap(spans):
    """The most [start, end] spans that hold at one moment."""
    edges = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
    most = now = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


def overlaps(run):
    """How many cases h1xx had in flight at once (start to verdict), and how many streams were
    being served at once (first 102 to the last message), at the peak."""
    cases, served = [], []
    for c in run["cases"]:
        cases.append((c["start_s"], c["start_s"] + c["duration_s"]))
        t = [m["t_head_s"] for m in c["messages"]]
        if any(m["status"] == 102 for m in c["messages"]):
            first = min(m["t_head_s"] for m in c["messages"] if m["status"] == 102)
            served.append((first, max(t)))
    return peak_overlap(cases), peak_overlap(served)


def measure(h1xx, streams, count, interval_ms, workdir, jobs=None, admit_all=False):
    """Runs processing/prc2-final-follows `streams` times concurrently against the reference
    origin's /slow?count=C&interval=MS and compares every 102 with the fixture's log.
    Returns a dict of figures (ms) with h1xx's wall, CPU and peak RSS, and how many streams
    overlapped. The fixture starts connections a slice at a time while its loop is busy (so
    the streams it serves keep their schedule: fixtures/pacing.py); admit_all starts them all
    at once, so that every stream is served together, late or not (the memory figure)."""
    log = os.path.join(workdir, f"schedule-{streams}.jsonl")
    out = os.path.join(workdir, f"timing-{streams}.json")
    if os.path.exists(log):
        os.unlink(log)
    path = f"/slow?count={count}&interval={interval_ms}"
    fx_args = ["--schedule-log", log] + (["--admit-all"] if admit_all else [])
    with harness.start("origin.py", fx_args) as fx:
        cmd = [h1xx, "--no-reports", "--json", out, "-k", "processing/prc2-final-follows",
               "--set", f"slow_path={path}", "--long-timeout", "30s",
               "-j", str(jobs or max(16, streams)), fx.url]
        if streams > 1:
            cmd[1:1] = ["--repeat", str(streams)]
        rc, wall, cpu, rss, stdout, stderr = run_measured(cmd)
    with open(out) as f:
        run = json.load(f)
    with open(log) as f:
        sent = [json.loads(line) for line in f]
    pairs, by_port = pair_streams(run, sent)
    e = errors(pairs, interval_ms)
    passed = sum(1 for c in run["cases"] if c["verdict"] == "pass")
    in_flight, served = overlaps(run)
    return {
        "streams": streams, "count": count, "interval_ms": interval_ms, "exit": rc,
        "passed": passed, "paired_by_port": by_port, "admit_all": admit_all,
        "peak_cases_in_flight": in_flight, "peak_streams_served": served,
        "wall_s": wall, "h1xx_duration_s": run["duration_s"], "cpu_s": cpu,
        "peak_rss_mib": rss / 1024.0,
        "arrival_error_ms": dist(e["arr"]),
        "arrival_error_abs_ms": dist([abs(x) for x in e["arr"]]),
        "arrival_outside_write_window_ms": dist(e["arr_out"]),
        "arrival_error_bound_ms": dist(e["arr_bound"]),
        "fixture_write_window_ms": dist(e["win"]),
        "gap_error_vs_sent_abs_ms": dist(e["gap_sent"]),
        "gap_outside_write_windows_ms": dist(e["gap_out"]),
        "gap_error_bound_ms": dist(e["gap_bound"]),
        "gap_error_vs_schedule_abs_ms": dist(e["gap_sched"]),
    }


def reference_proxy(origin_port):
    """fixtures/proxy.py as a reverse proxy to origin_port (a context manager with .port)."""
    return harness.start("proxy.py", ["--mode", "reverse", "--upstream",
                                      f"127.0.0.1:{origin_port}"])


def proxy_delays(h1xx, workdir, repeat=20, jobs=None, start=reference_proxy, name="proxy"):
    """Runs PROXY_CASES `repeat` times each in reverse-proxy mode through a proxy that
    start(origin_port) brings up (a context manager with .port; default fixtures/proxy.py),
    with `jobs` cases at once (default 2 x repeat). Returns the forwarding delay of every
    interim response (ms), from the cases' samples in results.json, h1xx's own figures per
    interim code (its "forwarding" section: nearest-rank p50, p99, max, dropped), the pass
    count, and h1xx's CPU and peak RSS."""
    origin = harness.free_port()
    out = os.path.join(workdir, name + ".json")
    with start(origin) as px:
        cmd = [h1xx, "-m", "reverse-proxy", "--origin-listen", f"127.0.0.1:{origin}",
               "--no-reports", "--json", out, "--repeat", str(repeat),
               "-j", str(jobs or 2 * repeat)]
        for c in PROXY_CASES:
            cmd += ["-k", c]
        rc, wall, cpu, rss, stdout, stderr = run_measured(cmd + [f"http://127.0.0.1:{px.port}/"])
    with open(out) as f:
        run = json.load(f)
    delays, fwd_max = [], []
    for c in run["cases"]:
        delays += [s["delay_ns"] / 1e6 for s in c.get("forwarding", [])
                   if s["delay_ns"] is not None]
        if "fwd-max" in c.get("metrics", {}):
            fwd_max.append(c["metrics"]["fwd-max"] * 1000.0)
    passed = sum(1 for c in run["cases"] if c["verdict"] == "pass")
    verdicts = {}
    for c in run["cases"]:
        verdicts[c["verdict"]] = verdicts.get(c["verdict"], 0) + 1
    fwd = run.get("forwarding") or {}
    return {"cases": len(run["cases"]), "passed": passed, "verdicts": verdicts, "exit": rc,
            "repeat": repeat, "jobs": jobs or 2 * repeat, "wall_s": wall,
            "h1xx_duration_s": run["duration_s"], "cpu_s": cpu, "peak_rss_mib": rss / 1024.0,
            "forwarding_delay_ms": dist(delays), "case_fwd_max_ms": dist(fwd_max),
            "by_code": fwd.get("run", []), "last_line": stdout.strip().splitlines()[-1:]}


def fmt(d):
    return "median %.3f  p99 %.3f  max %.3f  (n=%d)" % (d["median"], d["p99"], d["max"], d["n"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("h1xx")
    ap.add_argument("--streams", type=int, default=1)
    ap.add_argument("--jobs", type=int)
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--interval", type=int, default=50)
    ap.add_argument("--proxy", action="store_true", help="also the reverse-proxy delays")
    ap.add_argument("--admit-all", action="store_true",
                    help="the fixture starts every connection at once (all streams together)")
    ap.add_argument("--json")
    a = ap.parse_args()
    h1xx = os.path.abspath(a.h1xx)
    with tempfile.TemporaryDirectory() as d:
        fig = measure(h1xx, a.streams, a.count, a.interval, d, a.jobs, a.admit_all)
        if a.proxy:
            fig["proxy"] = proxy_delays(h1xx, d)
    print(f"102 timing: {a.streams} stream(s) x {a.count} x {a.interval} ms; "
          f"{fig['passed']} passed; h1xx CPU {fig['cpu_s']:.3f} s, "
          f"peak RSS {fig['peak_rss_mib']:.1f} MiB")
    print(f"  at the peak: {fig['peak_cases_in_flight']} cases in flight in h1xx, "
          f"{fig['peak_streams_served']} streams being served (first 102 to final)")
    print("  arrival error (h1xx arrival - fixture write), ms:  " + fmt(fig["arrival_error_ms"]))
    print("  arrival outside the fixture's write window, ms:    " +
          fmt(fig["arrival_outside_write_window_ms"]))
    print("  arrival error bound (farther window end), ms:      " +
          fmt(fig["arrival_error_bound_ms"]))
    print("  the fixture's write window (before..after), ms:    " +
          fmt(fig["fixture_write_window_ms"]))
    print("  |gap error| vs the fixture's sent gap, ms:         " +
          fmt(fig["gap_error_vs_sent_abs_ms"]))
    print("  gap outside the fixture's write windows, ms:       " +
          fmt(fig["gap_outside_write_windows_ms"]))
    print("  gap error bound (farther window ends), ms:         " +
          fmt(fig["gap_error_bound_ms"]))
    print("  |gap error| vs the scheduled gap, ms:              " +
          fmt(fig["gap_error_vs_schedule_abs_ms"]))
    if a.proxy:
        print("  reverse proxy forwarding delay, ms:                " +
              fmt(fig["proxy"]["forwarding_delay_ms"]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(fig, f, indent=2)


if __name__ == "__main__":
    main()
