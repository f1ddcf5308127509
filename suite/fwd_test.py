#!/usr/bin/python3
"""fwd_test: the forwarding-delay distribution (p50, p99, max per interim code) in every report.

usage: fwd_test.py ./h1xx [-k SUBSTRING]
The last line is "fwd: N passed, N failed"; exit 1 when a check failed.

Runs the two cases that measure forwarding (processing/pxy-prc4-forwarded-promptly and
interim/pxy1-every-1xx-forwarded) in reverse-proxy mode with --repeat, through
fixtures/proxy.py as it is (the reference) and with its slow-1xx switch (each 1xx forwarded
SLOW_DELAY late), and checks:
1. results.json: each case's samples (status, delay_ns or null) are there; the run-wide and
   per-case-id figures equal those this script computes from the samples (nearest rank, its own
   code); the reference's p50 is far under SLOW_DELAY, slow-1xx's p50 at least SLOW_DELAY for
   every code it forwarded.
2. The console shows the same figures in a block before the summary, and the last line is still
   "N passed, N failed, N skipped", agreeing with the exit status.
3. JUnit: valid (suite/check_reports.py: the schemas, the default report and one with
   --junit-file-line, and an independent reader), with the figures
   as <properties> of each suite (run-wide) and of the suite of the case's area (per id).
4. The HTML report has the table with the same figures; `h1xx merge` keeps the samples;
   `h1xx matrix` shows p50 / p99 / max per code for each run, in Markdown and HTML.
5. A case that stops before its bound (slow-1xx with the default fwd_max) still has samples;
   --repeat 1 still shows the block; an origin-mode run shows none of it.
Loopback only; every fixture is started here and stopped by its own pid.
"""
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "fixtures"))
import harness  # noqa: E402
import proxy  # noqa: E402  (only for SLOW_DELAY: the delay slow-1xx adds)
from testlib import free_port, record, run_h1xx, run_groups  # noqa: E402

CASES = ["-k", "processing/pxy-prc4-forwarded-promptly", "-k", "interim/pxy1-every-1xx-forwarded"]
SLOW_NS = int(proxy.SLOW_DELAY * 1e9)
FAR_LESS_NS = SLOW_NS // 6  # the reference forwards at once: 50 ms is already generous
LAST = re.compile(r"^(\d+) passed, (\d+) failed, (\d+) skipped$")


class Run:
    """One h1xx run through fixtures/proxy.py; its exit, console and report paths."""

    def __init__(self, workdir, name, violations=(), repeat=3, extra=(), file_line=False):
        self.name = name
        base = os.path.join(workdir, name)
        self.json, self.junit, self.html = base + ".json", base + ".xml", base + ".html"
        origin = free_port()
        args = ["--mode", "reverse", "--upstream", f"127.0.0.1:{origin}", "--idle-timeout", "5"]
        for v in violations:
            args += ["--violate", v]
        with harness.start("proxy.py", args) as px:
            self.rc, self.out, self.err = run_h1xx(
                ["-m", "reverse-proxy", "--origin-listen", f"127.0.0.1:{origin}", "--repeat",
                 str(repeat), "-j", str(2 * repeat), "--label", name, "--json", self.json,
                 "--junit", self.junit, "--html", self.html] + CASES + list(extra) +
                (["--junit-file-line"] if file_line else []) + [px.url])
        with open(self.json) as f:
            self.data = json.load(f)


# ---- figures computed here, independently of h1xx ------------------------------------------

def group_of(status):
    return str(status) if 100 <= status <= 103 else "other-1xx"


def nearest_rank(values, p):
    """The k-th smallest, k = ceil(p/100 * n) (integers only, so no rounding surprise)."""
    k = max(1, -(-p * len(values) // 100))
    return sorted(values)[k - 1]


def groups_of(cases):
    """{code: {"n","p50_ns","p99_ns","max_ns","dropped"}} from the cases' samples."""
    delays, dropped = {}, {}
    for c in cases:
        for s in c.get("forwarding", []):
            g = group_of(s["status"])
            delays.setdefault(g, [])
            dropped.setdefault(g, 0)
            if s["delay_ns"] is None:
                dropped[g] += 1
            else:
                delays[g].append(s["delay_ns"])
    out = {}
    for g, d in delays.items():
        out[g] = {"n": len(d), "dropped": dropped[g],
                  "p50_ns": nearest_rank(d, 50) if d else 0,
                  "p99_ns": nearest_rank(d, 99) if d else 0,
                  "max_ns": max(d) if d else 0}
    return out


def as_dict(groups):
    return {g["code"]: {k: g[k] for k in ("n", "p50_ns", "p99_ns", "max_ns", "dropped")}
            for g in groups}


def ms(ns):
    """h1xx's way of writing ns as ms: three decimals, truncated to the microsecond."""
    return f"{ns // 1000000}.{ns // 1000 % 1000:03d}"


def text(g):
    if not g["n"]:  # nothing arrived to measure: '-', never a figure that looks like one
        return f"n=0 p50=- p99=- max=- dropped={g['dropped']}"
    return (f"n={g['n']} p50={ms(g['p50_ns'])}ms p99={ms(g['p99_ns'])}ms "
            f"max={ms(g['max_ns'])}ms dropped={g['dropped']}")


def ids_of(data):
    out = {}
    for c in data["cases"]:
        out.setdefault(c["id"], []).append(c)
    return out


# ---- checks ---------------------------------------------------------------------------------

def check_json(run, repeat):
    data, fwd = run.data, run.data.get("forwarding")
    record(f"{run.name}: results.json has the forwarding figures", isinstance(fwd, dict) and
           fwd.get("percentiles") == "nearest-rank", fwd)
    if not isinstance(fwd, dict):
        return None
    want = groups_of(data["cases"])
    record(f"{run.name}: run-wide figures equal the nearest-rank figures of the samples",
           as_dict(fwd["run"]) == want and want, f"{as_dict(fwd['run'])} != {want}")
    by_id = ids_of(data)
    got = {c["id"]: (c["copies"], as_dict(c["groups"])) for c in fwd["cases"]}
    want_ids = {i: (len(cs), groups_of(cs)) for i, cs in by_id.items()}
    record(f"{run.name}: per-case-id figures (the {repeat} copies together) equal the samples'",
           got == want_ids and all(n == repeat for n, _ in got.values()), f"{got}\n{want_ids}")
    return want


def check_console(run, want):
    lines = run.out.strip().splitlines()
    m = LAST.match(lines[-1]) if lines else None
    failed = int(m.group(2)) if m else -1
    record(f"{run.name}: the last line is the summary and agrees with the exit status",
           m is not None and (failed > 0) == (run.rc == 1) and run.rc in (0, 1),
           f"exit {run.rc}, last line {lines[-1:]}")
    try:
        head = lines.index(next(x for x in lines if x.startswith("forwarding delay per interim")))
        summary = next(i for i, x in enumerate(lines) if x.startswith("pass "))
    except StopIteration:
        record(f"{run.name}: the console has the forwarding block", False, run.out[-2000:])
        return
    block = lines[head:summary]
    ok = block[1].strip() == "all cases:"
    for code, g in want.items():
        ok = ok and any(x.split() == [code] + text(g).split() for x in block[2:2 + len(want)])
    record(f"{run.name}: the console's block, before the summary, shows the run's figures",
           ok and head < summary, "\n".join(block))


def properties(junit):
    """{suite name: {property name: value}}"""
    out = {}
    for s in ET.parse(junit).getroot().iter("testsuite"):
        props = s.find("properties")
        out[s.get("name")] = {p.get("name"): p.get("value")
                              for p in (props if props is not None else [])}
    return out


def check_junit(run, want):
    p = subprocess.run([sys.executable, os.path.join(ROOT, "suite", "check_reports.py"),
                        run.junit, run.json], capture_output=True, text=True)
    record(f"{run.name}: JUnit valid against the schema, its counts agree with the JSON",
           p.returncode == 0, p.stdout + p.stderr)
    props = properties(run.junit)
    by_id = ids_of(run.data)
    ok, why = bool(props), []
    for suite, pr in props.items():
        for code, g in want.items():
            if pr.get(f"h1xx.fwd.run.{code}") != text(g):
                ok = False
                why.append(f"{suite}: h1xx.fwd.run.{code} = {pr.get(f'h1xx.fwd.run.{code}')}")
        for cid, cases in by_id.items():
            mine = cid.split("/")[0] == suite
            for code, g in groups_of(cases).items():
                value = pr.get(f"h1xx.fwd.{cid}.{code}")
                if value != (text(g) if mine else None):
                    ok = False
                    why.append(f"{suite}: h1xx.fwd.{cid}.{code} = {value}")
    record(f"{run.name}: JUnit suite properties hold the run's and each case id's figures", ok,
           "; ".join(why))


def check_html(run, want):
    with open(run.html, encoding="utf-8") as f:
        doc = f.read()
    m = re.search(r'<table class="areas" id="fwd">(.*?)</table>', doc, re.S)
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td class=\"num\">(\d+)</td>"
                      r"<td class=\"num\">([\d.]+|-)</td><td class=\"num\">([\d.]+|-)</td>"
                      r"<td class=\"num\">([\d.]+|-)</td><td class=\"num\">(\d+)</td></tr>",
                      m.group(1) if m else "")
    got = {(scope, code): (int(n), p50, p99, mx, int(d)) for scope, code, n, p50, p99, mx, d
           in rows}
    def cells(g):  # '-' where nothing arrived to measure
        fig = [ms(g[k]) if g["n"] else "-" for k in ("p50_ns", "p99_ns", "max_ns")]
        return (g["n"], *fig, g["dropped"])

    expect = {("all cases", code): cells(g) for code, g in want.items()}
    for cid, cases in ids_of(run.data).items():
        for code, g in groups_of(cases).items():
            expect[(f"{cid} &times;{len(cases)}", code)] = cells(g)
    record(f"{run.name}: the HTML report's table shows the same figures", got == expect,
           f"{got}\n{expect}")


def check_merge(run, workdir):
    out = os.path.join(workdir, run.name + "-merged.json")
    rc, _, err = run_h1xx(["merge", out, run.json])
    try:
        with open(out) as f:
            merged = json.load(f)
    except (OSError, ValueError) as e:
        merged = {"error": f"{e} {err}"}
    record(f"{run.name}: h1xx merge reads the samples back and keeps the figures",
           rc in (0, 1) and merged.get("forwarding") == run.data["forwarding"] and
           [c["forwarding"] for c in merged["cases"]] ==
           [c["forwarding"] for c in run.data["cases"]], f"exit {rc}: {merged.get('error')}")


def check_matrix(ref, slow, workdir, want_ref, want_slow):
    md, html = os.path.join(workdir, "matrix.md"), os.path.join(workdir, "matrix.html")
    rc, out, err = run_h1xx(["matrix", "--md", md, "--html", html, ref.json, slow.json])
    try:
        with open(md) as f:
            text_md = f.read()
        with open(html) as f:
            text_html = f.read()
    except OSError as e:
        record("matrix: written", False, f"{e} {err}")
        return

    def cell(g):
        if not g:
            return "-"
        if not g["n"]:
            return f"none forwarded (n=0, {g['dropped']} dropped)"
        d = f", {g['dropped']} dropped" if g["dropped"] else ""
        return f"{ms(g['p50_ns'])} / {ms(g['p99_ns'])} / {ms(g['max_ns'])} (n={g['n']}{d})"

    missing = []
    for code in sorted(set(want_ref) | set(want_slow)):
        row = f"| all cases | {code} | {cell(want_ref.get(code))} | {cell(want_slow.get(code))} |"
        if row not in text_md:
            missing.append(row)
    for cid, cases in ids_of(ref.data).items():
        for code, g in groups_of(cases).items():
            other = groups_of(ids_of(slow.data).get(cid, [])).get(code)
            row = f"| {cid.replace('/', '/')} | {code} | {cell(g)} | {cell(other)} |"
            if row not in text_md:
                missing.append(row)
    record("matrix: Markdown has p50 / p99 / max per code for each run, run-wide and per case",
           rc == 0 and "## Forwarding delay" in text_md and not missing,
           f"exit {rc} {err}; missing {missing}\n{text_md[:3000]}")
    g = want_slow.get("102")
    record("matrix: HTML has the forwarding table with the same cells",
           '<table id="fwd">' in text_html and g is not None and
           f'<td class="n">{cell(g)}</td>' in text_html, text_html[:2000])


def reference_and_slow(workdir):
    ref = Run(workdir, "reference")
    want_ref = check_json(ref, 3)
    if want_ref is None:
        return
    record("reference: every case passes", ref.rc == 0, ref.out[-1500:])
    record("reference: 100, 102, 103 and other 1xx each measured, 102 twelve times",
           set(want_ref) == {"100", "102", "103", "other-1xx"} and want_ref["102"]["n"] == 12,
           want_ref)
    record(f"reference: p50 of every code far under {SLOW_NS // 1000000} ms",
           all(g["p50_ns"] < FAR_LESS_NS for g in want_ref.values()), want_ref)
    check_console(ref, want_ref)
    check_junit(ref, want_ref)
    check_html(ref, want_ref)
    check_merge(ref, workdir)
    # fwd_max wide enough that the cases play to their bound: every 1xx is then measured
    slow = Run(workdir, "slow-1xx", ["slow-1xx"], repeat=2, extra=["--set", "fwd_max=3s"],
               file_line=True)
    want_slow = check_json(slow, 2)
    if want_slow is None:
        return
    record(f"slow-1xx: p50 of every code at least the proxy's delay ({SLOW_NS // 1000000} ms)",
           want_slow and all(g["n"] and g["p50_ns"] >= SLOW_NS for g in want_slow.values()),
           want_slow)
    record("slow-1xx: the same codes measured as through the reference",
           set(want_slow) == set(want_ref), f"{set(want_slow)} vs {set(want_ref)}")
    check_console(slow, want_slow)
    check_junit(slow, want_slow)
    check_html(slow, want_slow)
    check_matrix(ref, slow, workdir, want_ref, want_slow)


def stopped_early(workdir):
    """slow-1xx with the default fwd_max: each case warns at its first expect, before its bound
    step, and still has its samples (recorded at the case's end)."""
    run = Run(workdir, "slow-default", ["slow-1xx"], repeat=1)
    cases = run.data["cases"]
    record("slow-1xx, default fwd_max: the cases warn (PRC-4 / PXY-1 for a gateway)",
           cases and all(c["verdict"] == "warn" for c in cases),
           [(c["id"], c["verdict"]) for c in cases])
    record("slow-1xx, default fwd_max: each case still has samples",
           cases and all(c["forwarding"] for c in cases),
           [(c["id"], c["forwarding"]) for c in cases])
    want = check_json(run, 1)
    if want:
        check_console(run, want)


def repeat_one(workdir):
    run = Run(workdir, "repeat-1", repeat=1)
    want = check_json(run, 1)
    if want:
        check_console(run, want)
        record("--repeat 1: the block names each case id with its one run",
               "  interim/pxy1-every-1xx-forwarded (1 run):" in run.out.splitlines() and
               want["100"]["n"] == 1, run.out[-1500:])


def origin_mode(workdir):
    """No proxy, no samples: no block, "forwarding": null, no properties, no table."""
    jp, xp, hp = (os.path.join(workdir, "origin." + e) for e in ("json", "xml", "html"))
    with harness.start("origin.py", []) as fx:
        rc, out, err = run_h1xx(["-k", "processing/prc1*", "--json", jp, "--junit", xp,
                                 "--html", hp, "--vars",
                                 os.path.join(ROOT, "fixtures", "reference.vars"), fx.url])
    with open(jp) as f:
        data = json.load(f)
    with open(xp) as f:
        xml = f.read()
    with open(hp) as f:
        html = f.read()
    record("origin mode: no forwarding block, figures, properties or table",
           data["cases"] and data.get("forwarding", "absent") is None and
           "forwarding delay" not in out and "h1xx.fwd." not in xml and 'id="fwd"' not in html
           and all(c["forwarding"] == [] for c in data["cases"]), f"exit {rc}: {out[-800:]}")


def main():
    run_groups("fwd", (("reference-and-slow", reference_and_slow),
                       ("stopped-early", stopped_early),
                       ("repeat-one", repeat_one),
                       ("origin-mode", origin_mode)), (ET.ParseError,))


if __name__ == "__main__":
    main()
