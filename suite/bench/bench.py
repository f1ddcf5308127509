#!/usr/bin/python3
"""make bench: h1xx's speed, timing accuracy and cost against the reference fixtures on
loopback, each figure a ratio or a distribution taken in this one run (absolute times on a
shared machine drift). Writes reports/bench.md and reports/bench.json and prints the table.

  1. parallel efficiency: the default origin suite's wall time / its slowest case's; -j 1 speed-up
  2. timing accuracy: every 102 arrival and gap against the fixture's logged sends; the
     forwarding delay through fixtures/proxy.py in reverse-proxy mode
  3. runner cost: CPU (user+sys) per case and peak RSS of a full run; instructions per case
     (valgrind --tool=callgrind)
  4. load: 1,000 concurrent 102 streams (--repeat 1000 -j 1000): timing error, CPU, peak RSS;
     and 10,000 (--repeat 10000 -j 10000): all pass, peak RSS
  5. baseline: the continue and http10 checks as a plain sequential Python script
     (suite/bench/baseline.py) against h1xx's, side by side
  6. load through proxies: the two cases that measure forwarding, --repeat 1000 -j 1000 in
     reverse-proxy mode through fixtures/proxy.py, nginx and HAProxy (suite/real/ configs with
     their connection limits raised for 1,000 streams; a proxy whose binary is missing is
     skipped with the reason): passes, p50/p99/max forwarding delay per interim code (h1xx's
     own figures), h1xx's peak RSS

Usage: bench.py ./h1xx [--out DIR] [--streams N] [--big-streams N] [--proxy-load-only]
  --proxy-load-only: section 6 alone, written to DIR/bench-proxies.md and .json
"""
import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "fixtures"))
sys.path.insert(0, os.path.join(ROOT, "suite"))
sys.path.insert(0, HERE)
import demo     # noqa: E402  (the reference variables)
import harness  # noqa: E402
import interop  # noqa: E402  (Server: a real proxy started in the foreground, stopped by pid)
import timing   # noqa: E402

GOALS = {"efficiency": 1.25, "timing_p99_ms": 1.0, "cpu_ms_per_case": 0.65, "rss_mib": 16.0,
         "load_p99_ms": 5.0, "load_rss_mib": 24.0, "big_load_rss_mib": 64.0}


def log(msg):
    print("bench: " + msg, flush=True)


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "nproc": os.cpu_count(), "cpu": model, "loadavg": os.getloadavg()[0], "kernel": platform.release(),
            "python": platform.python_version()}


# ---- 1 and 3: the default suite ------------------------------------------------------------

def suite_run(h1xx, fx, workdir, jobs=None, name="suite"):
    d = os.path.join(workdir, name)
    cmd = [h1xx, "--report-dir", d] + demo.reference_sets() + \
          (["-j", str(jobs)] if jobs else []) + [fx.url]
    rc, wall, cpu, rss, out, err = timing.run_measured(cmd)
    with open(os.path.join(d, "results.json")) as f:
        run = json.load(f)
    cases = run["cases"]
    slow = max(cases, key=lambda c: c["duration_s"])
    return {"exit": rc, "cases": len(cases),
            "passed": sum(1 for c in cases if c["verdict"] == "pass"),
            "wall_s": wall, "h1xx_duration_s": run["duration_s"],
            "slowest_case": slow["id"], "slowest_case_s": slow["duration_s"],
            "sum_case_s": sum(c["duration_s"] for c in cases),
            "cpu_s": cpu, "peak_rss_mib": rss / 1024.0}


def parallel(h1xx, workdir):
    with harness.start("origin.py") as fx:
        full = suite_run(h1xx, fx, workdir)
        serial = suite_run(h1xx, fx, workdir, jobs=1, name="serial")
        # The fixed cost: one short case (process, libraries, libcurl and TLS library set-up,
        # case files, reports), and the libraries alone (--help).
        _, _, one_cpu, one_rss, _, _ = timing.run_measured(
            [h1xx, "--report-dir", os.path.join(workdir, "one"), "-k", "http10/get-no-interim",
             fx.url])
        _, _, _, help_rss, _, _ = timing.run_measured([h1xx, "--help"])
    full["one_case_cpu_ms"] = one_cpu * 1000.0
    full["one_case_peak_rss_mib"] = one_rss / 1024.0
    full["help_peak_rss_mib"] = help_rss / 1024.0
    full["marginal_cpu_ms_per_case"] = (full["cpu_s"] - one_cpu) * 1000.0 / (full["cases"] - 1)
    full["efficiency"] = full["h1xx_duration_s"] / full["slowest_case_s"]
    full["efficiency_wall"] = full["wall_s"] / full["slowest_case_s"]
    full["j1_duration_s"] = serial["h1xx_duration_s"]
    full["speedup_over_j1"] = serial["h1xx_duration_s"] / full["h1xx_duration_s"]
    full["j1_passed"] = serial["passed"]
    full["cpu_ms_per_case"] = full["cpu_s"] * 1000.0 / full["cases"]
    full["j1_cpu_ms_per_case"] = serial["cpu_s"] * 1000.0 / serial["cases"]
    full["j1_peak_rss_mib"] = serial["peak_rss_mib"]
    return full


# ---- the machine's own noise -----------------------------------------------------------------

def steal_ticks():
    """The 'steal' column of /proc/stat (time the hypervisor ran someone else), in ticks."""
    try:
        with open("/proc/stat") as f:
            return int(f.readline().split()[8])
    except (OSError, IndexError, ValueError):
        return 0


def hiccups(seconds=2.0):
    """A busy loop on an otherwise idle machine: every stall of the loop is time this process
    was not running (hypervisor steal, interrupts). The floor under any timing figure here."""
    stalls = []
    steal0 = steal_ticks()
    end = time.monotonic() + seconds
    prev = time.monotonic()
    while prev < end:
        t = time.monotonic()
        if t - prev > 0.0002:
            stalls.append((t - prev) * 1000.0)
        prev = t
    return {"seconds": seconds, "stalls_over_0.5ms": sum(1 for x in stalls if x > 0.5),
            "stalls_over_1ms": sum(1 for x in stalls if x > 1.0),
            "stalls_over_5ms": sum(1 for x in stalls if x > 5.0),
            "max_stall_ms": max(stalls or [0.0]),
            "steal_ticks": steal_ticks() - steal0, "tick_hz": os.sysconf("SC_CLK_TCK")}


def with_steal(fn, *args, **kw):
    s0 = steal_ticks()
    r = fn(*args, **kw)
    r["steal_ms"] = (steal_ticks() - s0) * 1000.0 / os.sysconf("SC_CLK_TCK")
    return r


# ---- 3: instructions (callgrind) -----------------------------------------------------------

CG_PARTS = {"cases (sched worker)": "runner/case_run.c:case_run",
            "reports (HTML)": "runner/report_html.c:report_html_write",
            "reports (JUnit)": "runner/report_junit.c:report_junit_write",
            "reports (JSON)": "runner/report_json.c:report_json_write",
            "case files": "runner/case_load.c:case_load_dir",
            "dynamic linking": "rtld.c:_dl_start"}


def callgrind(h1xx, workdir):
    if not shutil.which("valgrind"):
        return {"skipped": "valgrind is not installed (apt-get install valgrind)"}
    out = os.path.join(workdir, "callgrind.out")
    with harness.start("origin.py") as fx:
        cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, h1xx,
               "--report-dir", os.path.join(workdir, "cg")] + demo.reference_sets() + [fx.url]
        rc, wall, _, _, _, _ = timing.run_measured(cmd)
    with open(os.path.join(workdir, "cg", "results.json")) as f:
        run = json.load(f)
    total = 0
    with open(out) as f:
        for line in f:
            if line.startswith("totals:") or line.startswith("summary:"):
                total = int(line.split()[1])
    parts = {}
    if shutil.which("callgrind_annotate"):
        ann = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", out],
                             capture_output=True, text=True).stdout
        for name, fn in CG_PARTS.items():
            for line in ann.splitlines():
                if fn in line:
                    parts[name] = int(line.split()[0].replace(",", ""))
                    break
    n = len(run["cases"])
    res = {"cases": n, "passed": sum(1 for c in run["cases"] if c["verdict"] == "pass"),
           "instructions": total, "instructions_per_case": total / n if n else 0,
           "parts": parts, "wall_s": wall}
    if "cases (sched worker)" in parts:
        res["case_instructions_per_case"] = parts["cases (sched worker)"] / n
    return res


# ---- 5: the baseline -----------------------------------------------------------------------

def baseline(h1xx, workdir):
    sets = ["--set", "reject_path=/reject"]
    with harness.start("origin.py") as fx:
        rc_b, wall_b, cpu_b, _, out_b, _ = timing.run_measured(
            [sys.executable, os.path.join(HERE, "baseline.py"), fx.url] + sets)
        rc_h, wall_h, cpu_h, _, out_h, _ = timing.run_measured(
            [h1xx, "--no-reports", "--json", os.path.join(workdir, "base.json"),
             "-k", "continue/*", "-k", "http10/*"] + sets + [fx.url])
    with open(os.path.join(workdir, "base.json")) as f:
        run = json.load(f)
    return {"baseline_wall_s": wall_b, "baseline_cpu_s": cpu_b, "baseline_exit": rc_b,
            "baseline_checks": len(re.findall(r"^(PASS|FAIL) ", out_b, re.M)),
            "h1xx_wall_s": wall_h, "h1xx_cpu_s": cpu_h, "h1xx_exit": rc_h,
            "h1xx_cases": len(run["cases"]), "h1xx_duration_s": run["duration_s"],
            "ratio": wall_h / wall_b}


# ---- 6: load through proxies ---------------------------------------------------------------

# Connections each real proxy may hold: 1,000 streams need 2,000 (client and upstream sides).
PROXY_CONNS = 4096


def nginx_limits(text):
    """nginx's worker_connections (512 in suite/real/nginx.conf.in) raised, and the worker's
    descriptor limit with it."""
    want = "worker_connections 512;"
    if want not in text:
        raise RuntimeError("suite/real/nginx.conf.in no longer says " + want)
    text = text.replace(want, f"worker_connections {PROXY_CONNS};")
    return text.replace("worker_processes 1;",
                        f"worker_processes 1;\nworker_rlimit_nofile {2 * PROXY_CONNS + 64};")


def haproxy_limits(text):
    """HAProxy's global maxconn (512 in suite/real/haproxy.cfg.in) raised."""
    want = "maxconn 512"
    if want not in text:
        raise RuntimeError("suite/real/haproxy.cfg.in no longer says " + want)
    return text.replace(want, f"maxconn {PROXY_CONNS}")


# name: (binary, suite/ template, argv builder, limits)
REAL_PROXIES = {"nginx": ("nginx", "real/nginx.conf.in", interop.argv_nginx, nginx_limits),
                "haproxy": ("haproxy", "real/haproxy.cfg.in", interop.argv_haproxy,
                            haproxy_limits)}


def real_proxy(name, workdir):
    """A start(origin_port) for timing.proxy_delays: NAME from its suite/real/ template with the
    limits raised, as interop.Server (loopback, foreground, stopped by its own pid)."""
    _, template, argv_of, limits = REAL_PROXIES[name]

    def start(origin_port):
        srv = interop.Server(argv_of, None, origin_port, workdir, "bench-" + name)
        with open(os.path.join(ROOT, "suite", template)) as f:
            text = limits(f.read())
        for k, v in (("PREFIX", srv.dir), ("PORT", srv.port),
                     ("ORIGIN", f"127.0.0.1:{origin_port}")):
            text = text.replace(f"@{k}@", str(v))
        with open(os.path.join(srv.dir, "conf"), "w") as f:
            f.write(text)
        return srv
    return start


def proxy_load(h1xx, workdir, streams):
    """Section 6: {proxy: figures or {"skipped": reason}}."""
    out = {}
    for name in ("reference", "nginx", "haproxy"):
        if name == "reference":
            start, version = timing.reference_proxy, "fixtures/proxy.py"
        elif not shutil.which(REAL_PROXIES[name][0]):
            out[name] = {"skipped": f"{REAL_PROXIES[name][0]} is not installed (Debian package "
                                    f"{name}; `make interop` as root installs it)"}
            log(f"6: {name} skipped: {out[name]['skipped']}")
            continue
        else:
            start = real_proxy(name, workdir)
            version = f"{name} {interop.first_version([REAL_PROXIES[name][0], '-v'])}"
        log(f"6: {streams} x {len(timing.PROXY_CASES)} cases through {version}, -j {streams}")
        try:
            out[name] = timing.proxy_delays(h1xx, workdir, repeat=streams, jobs=streams,
                                            start=start, name="load-" + name)
        except (RuntimeError, OSError, ValueError, harness.FixtureError) as e:
            out[name] = {"skipped": f"could not run: {e}"}
            log(f"6: {name}: {out[name]['skipped']}")
            continue
        out[name]["proxy"] = version
    return out


def code_figures(by_code):
    """'100: 0.412 / 1.203 / 3.100 ms (n=1000); 102: ...', dropped ones named."""
    parts = []
    for g in by_code:
        d = f", {g['dropped']} dropped" if g["dropped"] else ""
        if g["n"]:
            parts.append(f"{g['code']}: {g['p50_ns'] / 1e6:.3f} / {g['p99_ns'] / 1e6:.3f} / "
                         f"{g['max_ns'] / 1e6:.3f} ms (n={g['n']}{d})")
        else:
            parts.append(f"{g['code']}: none forwarded (n=0{d})")
    return "; ".join(parts) or "no samples"


def proxy_rows(pl):
    rows = []
    for name, r in pl.items():
        if "skipped" in r:
            rows.append(("6", f"load through {name}", f"skipped: {r['skipped']}", ""))
            continue
        verdicts = ", ".join(f"{v} {n}" for v, n in sorted(r["verdicts"].items()))
        rows.append(("6", f"load through {r['proxy']}: {len(timing.PROXY_CASES)} cases x "
                          f"{r['repeat']}, -j {r['jobs']}, reverse-proxy",
                     f"**{r['passed']} of {r['cases']} pass** ({verdicts}); forwarding delay "
                     f"p50 / p99 / max per code: {code_figures(r['by_code'])}; h1xx peak RSS "
                     f"**{r['peak_rss_mib']:.1f} MiB**, CPU {r['cpu_s']:.2f} s, wall "
                     f"{r['h1xx_duration_s']:.2f} s", ""))
    return rows


def proxy_table(pl):
    lines = ["| # | measure | figure | goal |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {m} | {f} | {g} |" for a, m, f, g in proxy_rows(pl)]
    return "\n".join(lines)


# ---- the report ----------------------------------------------------------------------------

def ok(flag):
    return "met" if flag else "**not met**"


def coarse(t):
    """Why a missed timing goal may be the reference's: every h1xx time inside the fixture's
    write windows, and those windows themselves wide (the fixture preempted around a write)."""
    win = t["fixture_write_window_ms"]["p99"]
    if t["arrival_outside_write_window_ms"]["max"] > 0.001 or win < GOALS["timing_p99_ms"] / 2:
        return ""
    return (f" (every h1xx time lies inside the fixture's write window, whose own width is "
            f"p99 {win:.3f} ms on this run: the reference is the coarser clock)")


def table(r):
    p, t, ld, px, cg, b = (r["parallel"], r["timing"], r["load"], r["proxy"], r["callgrind"],
                           r["baseline"])
    big, bal = r["big_load"], r["big_load_all"]
    big_rss = max(big["peak_rss_mib"], bal["peak_rss_mib"])
    big_ok = (big["passed"] == big["streams"] and bal["passed"] == bal["streams"] and
              big_rss < GOALS["big_load_rss_mib"] and
              big["gap_error_bound_ms"]["p99"] < GOALS["timing_p99_ms"])
    ta, tg = t["arrival_error_bound_ms"], t["gap_error_bound_ms"]
    la, lg = ld["arrival_error_bound_ms"], ld["gap_error_bound_ms"]
    fd = px["forwarding_delay_ms"]
    timing_p99 = max(ta["p99"], tg["p99"])
    load_p99 = max(la["p99"], lg["p99"])
    hc = r["hiccups"]
    ldsteal = ld.get("steal_ms", 0.0)
    rows = [
        ("0", "the machine: stalls of a busy loop, idle machine, "
              f"{hc['seconds']:g} s (hypervisor steal {hc['steal_ticks']} ticks)",
         f"{hc['stalls_over_0.5ms']} over 0.5 ms, {hc['stalls_over_1ms']} over 1 ms, "
         f"{hc['stalls_over_5ms']} over 5 ms; longest {hc['max_stall_ms']:.2f} ms", ""),
        ("1", "parallel efficiency: suite / slowest case (h1xx's own times)",
         f"{p['h1xx_duration_s']:.3f} s / {p['slowest_case_s']:.3f} s = "
         f"**{p['efficiency']:.3f}** ({p['cases']} cases, {p['passed']} pass; with process "
         f"start {p['efficiency_wall']:.3f})",
         f"<= {GOALS['efficiency']}: {ok(p['efficiency'] <= GOALS['efficiency'])}"),
        ("1", "speed-up over -j 1",
         f"{p['j1_duration_s']:.3f} s / {p['h1xx_duration_s']:.3f} s = "
         f"**{p['speedup_over_j1']:.1f}x**", ""),
        ("2", f"102 arrival error bound: h1xx's time to the farther end of the fixture's "
              f"write window [before, after] ({t['streams']} streams x {t['count']} x "
              f"{t['interval_ms']} ms)",
         f"median {ta['median']:.3f} ms, p99 **{ta['p99']:.3f} ms**, max {ta['max']:.3f} ms "
         f"(n={ta['n']}; outside the window: max "
         f"{t['arrival_outside_write_window_ms']['max']:.3f} ms; against the time after the "
         f"write alone, signed median {t['arrival_error_ms']['median']:.3f} ms, abs p99 "
         f"{t['arrival_error_abs_ms']['p99']:.3f} ms)", ""),
        ("2", "102 gap error bound: measured gap against the fixture's sent gap (write windows)",
         f"median {tg['median']:.3f} ms, p99 **{tg['p99']:.3f} ms**, max {tg['max']:.3f} ms "
         f"(n={tg['n']}; against the times after the writes alone, abs p99 "
         f"{t['gap_error_vs_sent_abs_ms']['p99']:.3f} ms; the fixture's write window p99 "
         f"{t['fixture_write_window_ms']['p99']:.3f} ms; steal {t['steal_ms']:.0f} ms)",
         f"p99 < {GOALS['timing_p99_ms']:g} ms: {ok(timing_p99 < GOALS['timing_p99_ms'])}"
         + coarse(t)),
        ("2", "102 gap error against the schedule (includes the Python fixture's lateness)",
         f"median {t['gap_error_vs_schedule_abs_ms']['median']:.3f} ms, p99 "
         f"{t['gap_error_vs_schedule_abs_ms']['p99']:.3f} ms", ""),
        ("2", f"reverse proxy (fixtures/proxy.py) forwarding delay, {px['cases']} cases",
         f"median **{fd['median']:.3f} ms**, p99 **{fd['p99']:.3f} ms**, max {fd['max']:.3f} ms "
         f"(n={fd['n']})", ""),
        ("3", "CPU (user+sys) per case, full run with reports",
         f"{p['cpu_s'] * 1000:.1f} ms / {p['cases']} = **{p['cpu_ms_per_case']:.2f} ms** "
         f"(-j 1: {p['j1_cpu_ms_per_case']:.2f} ms); a one-case run costs "
         f"{p['one_case_cpu_ms']:.1f} ms, so each further case "
         f"{p['marginal_cpu_ms_per_case']:.2f} ms",
         f"<= {GOALS['cpu_ms_per_case']:g} ms: "
         f"{ok(p['cpu_ms_per_case'] <= GOALS['cpu_ms_per_case'])}"),
        ("3", "peak RSS, full run",
         f"**{p['peak_rss_mib']:.1f} MiB** (-j 1: {p['j1_peak_rss_mib']:.1f} MiB; one case "
         f"{p['one_case_peak_rss_mib']:.1f} MiB; `--help`, the shared libraries alone, "
         f"{p['help_peak_rss_mib']:.1f} MiB)",
         f"< {GOALS['rss_mib']:g} MiB: {ok(p['peak_rss_mib'] < GOALS['rss_mib'])}"),
    ]
    if "skipped" in cg:
        rows.append(("3", "instructions per case (callgrind)", cg["skipped"], ""))
    else:
        parts = ", ".join(f"{k} {v / 1e6:.1f} M" for k, v in cg["parts"].items())
        rows.append(("3", "instructions per case (callgrind, whole process / cases)",
                     f"{cg['instructions'] / 1e6:.1f} M / {cg['cases']} = "
                     f"**{cg['instructions_per_case'] / 1e6:.2f} M**; running the cases alone "
                     f"{cg.get('case_instructions_per_case', 0) / 1e6:.2f} M per case "
                     f"({parts})", ""))
    rows += [
        ("4", f"load: {ld['streams']} concurrent 102 streams ({ld['count']} x "
              f"{ld['interval_ms']} ms), -j {ld['streams']}",
         f"{ld['passed']} pass; arrival error bound p99 **{la['p99']:.3f} ms** (median "
         f"{la['median']:.3f}, max {la['max']:.3f}); gap error bound p99 "
         f"**{lg['p99']:.3f} ms** (max {lg['max']:.3f}); n={la['n']}; outside the windows: "
         f"max {ld['arrival_outside_write_window_ms']['max']:.3f} ms; the fixture's write "
         f"window p99 {ld['fixture_write_window_ms']['p99']:.3f} ms; steal {ldsteal:.0f} ms",
         f"p99 < {GOALS['load_p99_ms']:g} ms: {ok(load_p99 < GOALS['load_p99_ms'])}"),
        ("4", "load: the Python fixture's own lateness (gap against its schedule)",
         f"median {ld['gap_error_vs_schedule_abs_ms']['median']:.3f} ms, p99 "
         f"{ld['gap_error_vs_schedule_abs_ms']['p99']:.3f} ms", ""),
        ("4", "load: h1xx CPU and peak RSS",
         f"{ld['cpu_s']:.3f} s CPU ({ld['cpu_s'] * 1000 / max(1, ld['streams']):.2f} ms per "
         f"stream), **{ld['peak_rss_mib']:.1f} MiB**, wall {ld['h1xx_duration_s']:.2f} s for a "
         f"{(ld['count'] + 1) * ld['interval_ms'] / 1000:.1f} s script",
         f"RSS < {GOALS['load_rss_mib']:g} MiB: {ok(ld['peak_rss_mib'] < GOALS['load_rss_mib'])}"),
        ("4", f"big load: {big['streams']} concurrent 102 streams ({big['count']} x "
              f"{big['interval_ms']} ms), -j {big['streams']}",
         f"{big['passed']} pass; **{big['peak_rss_mib']:.1f} MiB** peak RSS; {big['cpu_s']:.3f} s "
         f"CPU; wall {big['h1xx_duration_s']:.2f} s; gap error bound p99 "
         f"**{big['gap_error_bound_ms']['p99']:.3f} ms**; at the peak {big['peak_cases_in_flight']} "
         f"cases in flight, {big['peak_streams_served']} streams served at once (the fixture "
         f"starts connections while its loop has time); the fixture's own lateness p99 "
         f"{big['gap_error_vs_schedule_abs_ms']['p99']:.3f} ms. With the fixture starting every "
         f"connection at once: {bal['passed']} pass, **{bal['peak_rss_mib']:.1f} MiB**, "
         f"{bal['peak_streams_served']} streams served at once, gap error bound p99 "
         f"{bal['gap_error_bound_ms']['p99']:.3f} ms, the fixture's lateness p99 "
         f"{bal['gap_error_vs_schedule_abs_ms']['p99']:.3f} ms",
         f"all pass, RSS < {GOALS['big_load_rss_mib']:g} MiB, gap p99 < "
         f"{GOALS['timing_p99_ms']:g} ms: {ok(big_ok)}"),
        ("5", "baseline: continue + http10, sequential Python sockets "
              "(suite/bench/baseline.py)",
         f"h1xx {b['h1xx_wall_s']:.3f} s ({b['h1xx_cases']} cases) vs script "
         f"{b['baseline_wall_s']:.3f} s ({b['baseline_checks']} checks): ratio "
         f"**{b['ratio']:.2f}**", ""),
    ]
    rows += proxy_rows(r.get("proxy_load", {}))
    lines = ["| # | measure | figure | goal |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {m} | {f} | {g} |" for a, m, f, g in rows]
    return "\n".join(lines), {"efficiency": p["efficiency"] <= GOALS["efficiency"],
                              "timing_p99": timing_p99 < GOALS["timing_p99_ms"],
                              "cpu_per_case": p["cpu_ms_per_case"] <= GOALS["cpu_ms_per_case"],
                              "peak_rss": p["peak_rss_mib"] < GOALS["rss_mib"],
                              "load_p99": load_p99 < GOALS["load_p99_ms"],
                              "load_rss": ld["peak_rss_mib"] < GOALS["load_rss_mib"],
                              "big_load": big_ok}


def proxies_only(h1xx, a):
    r = {"machine": machine()}
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as wd:
        r["proxy_load"] = proxy_load(h1xx, wd, a.streams)
    r["bench_wall_s"] = time.monotonic() - t0
    m = r["machine"]
    md = (f"# h1xx benchmarks: load through proxies\n\n{m['date']}; {m['nproc']} CPUs, "
          f"{m['cpu']}; load average {m['loadavg']:.2f} at the start; took "
          f"{r['bench_wall_s']:.0f} s.\n\n" + proxy_table(r["proxy_load"]) + "\n")
    with open(os.path.join(a.out, "bench-proxies.md"), "w") as f:
        f.write(md)
    with open(os.path.join(a.out, "bench-proxies.json"), "w") as f:
        json.dump(r, f, indent=2)
    print("\n" + md)
    print(f"bench: wrote {os.path.join(a.out, 'bench-proxies.md')} and bench-proxies.json")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("h1xx")
    ap.add_argument("--out", default=os.path.join(ROOT, "reports"))
    ap.add_argument("--streams", type=int, default=1000, help="load: concurrent streams")
    ap.add_argument("--big-streams", type=int, default=10000,
                    help="big load: concurrent streams (each needs a descriptor on both sides)")
    ap.add_argument("--proxy-load-only", action="store_true",
                    help="only section 6 (load through proxies): DIR/bench-proxies.md, .json")
    a = ap.parse_args()
    h1xx = os.path.abspath(a.h1xx)
    os.makedirs(a.out, exist_ok=True)
    if a.proxy_load_only:
        return proxies_only(h1xx, a)
    r = {"machine": machine()}
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as wd:
        log("1, 3: the default origin suite at the default -j and at -j 1")
        r["parallel"] = parallel(h1xx, wd)
        log("0: the machine's own scheduling stalls (2 s busy loop)")
        r["hiccups"] = hiccups()
        log("2: 102 timing, 8 streams x 40 x 25 ms")
        r["timing"] = with_steal(timing.measure, h1xx, 8, 40, 25, wd)
        log("2: forwarding delay through fixtures/proxy.py (reverse-proxy mode)")
        r["proxy"] = timing.proxy_delays(h1xx, wd, repeat=20)
        log("3: instructions (valgrind --tool=callgrind)")
        r["callgrind"] = callgrind(h1xx, wd)
        log(f"4: load, {a.streams} concurrent 102 streams")
        r["load"] = with_steal(timing.measure, h1xx, a.streams, 10, 100, wd, jobs=a.streams)
        log(f"4: big load, {a.big_streams} concurrent 102 streams")
        r["big_load"] = with_steal(timing.measure, h1xx, a.big_streams, 10, 100, wd,
                                   jobs=a.big_streams)
        log(f"4: big load, {a.big_streams} streams, the fixture starting every one at once")
        r["big_load_all"] = with_steal(timing.measure, h1xx, a.big_streams, 10, 100, wd,
                                       jobs=a.big_streams, admit_all=True)
        log("5: baseline script and h1xx, continue + http10")
        r["baseline"] = baseline(h1xx, wd)
        log(f"6: load through proxies, {a.streams} streams")
        r["proxy_load"] = proxy_load(h1xx, wd, a.streams)
    r["bench_wall_s"] = time.monotonic() - t0
    md, goals = table(r)
    r["goals_met"] = goals
    m = r["machine"]
    head = (f"# h1xx benchmarks\n\n{m['date']}; {m['nproc']} CPUs, {m['cpu']}; Linux "
            f"{m['kernel']}; Python {m['python']}; load average {m['loadavg']:.2f} at the start; "
            f"`make bench` took {r['bench_wall_s']:.0f} s."
            f"\n\n")
    with open(os.path.join(a.out, "bench.md"), "w") as f:
        f.write(head + md + "\n")
    with open(os.path.join(a.out, "bench.json"), "w") as f:
        json.dump(r, f, indent=2)
    print("\n" + head + md + "\n")
    met = [k for k, v in goals.items() if v]
    print(f"goals met: {len(met)} of {len(goals)}" +
          ("" if len(met) == len(goals) else
           " (not met: " + ", ".join(k for k, v in goals.items() if not v) + ")"))
    print(f"bench: wrote {os.path.join(a.out, 'bench.md')} and bench.json")


if __name__ == "__main__":
    main()
