#!/usr/bin/python3
"""Timing accuracy of h1xx's 102 measurements against the reference fixture's own log.

The fixture sends 102 Processing on an absolute schedule and logs, for each, when it was due
and when its write returned (time.monotonic(), i.e. CLOCK_MONOTONIC). h1xx timestamps every
read on the same clock and reports in its JSON when each message's head arrived, relative to
the run start it also reports. So both sides can be compared exactly:

  arrival error = h1xx's arrival time - fixture's write time   (latency h1xx adds or misses)
  gap error     = h1xx's measured gap - the scheduled gap        (what a verdict on gaps sees)

Usage: timing.py ./h1xx [--streams N] [--count C] [--interval MS] [--json OUT]
Prints a table; with --json writes the figures.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "fixtures"))
import harness  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, max(0, int(round(p / 100.0 * (len(xs) - 1)))))
    return xs[k]


def measure(h1xx, streams, count, interval_ms, workdir):
    log = os.path.join(workdir, "schedule.jsonl")
    out = os.path.join(workdir, "timing.json")
    path = f"/slow?count={count}&interval={interval_ms}"
    args = ["--schedule-log", log]
    with harness.start("origin.py", args) as fx:
        cmd = [h1xx, "--no-reports", "--json", out, "--junit", out + ".xml",
               "-k", "processing/prc2-final-follows", "--set", f"slow_path={path}",
               "--repeat", str(streams), f"http://127.0.0.1:{fx.port}/"]
        if streams <= 1:
            cmd.remove("--repeat")
            cmd.remove(str(streams))
        subprocess.run(cmd, capture_output=True, timeout=300)
    with open(out) as f:
        run = json.load(f)
    t0 = run["monotonic_start_s"]
    sent = []
    with open(log) as f:
        for line in f:
            sent.append(json.loads(line))
    # h1xx's side: every 102's head arrival, per connection, in order
    arrivals = []
    for c in run["cases"]:
        series = [t0 + m["t_head_s"] for m in c["messages"] if m["status"] == 102]
        arrivals.append(series)
    # fixture's side, grouped per connection in order of sending
    by_conn = {}
    for s in sent:
        by_conn.setdefault(s.get("conn", 0), []).append(s)
    fixture_series = [sorted(v, key=lambda s: s["seq"]) for v in by_conn.values()]
    # pair the series by their first send time (each stream's first 102 is distinct enough)
    fixture_series.sort(key=lambda v: v[0]["t_sent"])
    arrivals.sort(key=lambda v: v[0] if v else 0)
    arr_err, gap_err, sent_gap_err = [], [], []
    for a, fs in zip(arrivals, fixture_series):
        for t_arr, s in zip(a, fs):
            arr_err.append((t_arr - s["t_sent"]) * 1000.0)
        for i in range(1, min(len(a), len(fs))):
            gap_err.append(((a[i] - a[i - 1]) - interval_ms / 1000.0) * 1000.0)
            sent_gap = fs[i]["t_sent"] - fs[i - 1]["t_sent"]
            sent_gap_err.append(((a[i] - a[i - 1]) - sent_gap) * 1000.0)
    return arr_err, gap_err, sent_gap_err


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("h1xx")
    ap.add_argument("--streams", type=int, default=1)
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--interval", type=int, default=50)
    ap.add_argument("--json")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        arr, gaps, sgaps = measure(os.path.abspath(a.h1xx), a.streams, a.count, a.interval, d)
    fig = {
        "streams": a.streams, "count": a.count, "interval_ms": a.interval,
        "arrivals": len(arr), "gaps": len(gaps),
        "arrival_error_ms": {"median": pct(arr, 50), "p99": pct(arr, 99), "max": max(arr or [0])},
        "gap_error_abs_ms": {"median": pct([abs(g) for g in gaps], 50),
                             "p99": pct([abs(g) for g in gaps], 99),
                             "max": max([abs(g) for g in gaps] or [0])},
        "gap_vs_sent_abs_ms": {"median": pct([abs(g) for g in sgaps], 50),
                               "p99": pct([abs(g) for g in sgaps], 99),
                               "max": max([abs(g) for g in sgaps] or [0])},
    }
    print(f"102 timing: {a.streams} stream(s) x {a.count} x {a.interval} ms; "
          f"{len(arr)} arrivals, {len(gaps)} gaps")
    print("  arrival error (h1xx arrival - fixture write), ms: median %.3f  p99 %.3f  max %.3f"
          % (fig["arrival_error_ms"]["median"], fig["arrival_error_ms"]["p99"],
             fig["arrival_error_ms"]["max"]))
    print("  |gap error| (measured gap - scheduled gap), ms:   median %.3f  p99 %.3f  max %.3f"
          % (fig["gap_error_abs_ms"]["median"], fig["gap_error_abs_ms"]["p99"],
             fig["gap_error_abs_ms"]["max"]))
    print("  |gap error| (measured gap - fixture's sent gap), ms: median %.3f  p99 %.3f  max %.3f"
          % (fig["gap_vs_sent_abs_ms"]["median"], fig["gap_vs_sent_abs_ms"]["p99"],
             fig["gap_vs_sent_abs_ms"]["max"]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(fig, f, indent=2)


if __name__ == "__main__":
    main()
