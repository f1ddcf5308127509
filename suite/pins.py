#!/usr/bin/python3
"""h1xx pinned verdicts: the behaviours of issue 11, each against the fixture that shows it.

1. suite/pins.tsv: one row per pinned verdict (its header says the columns). Rows are grouped
   by (fixture, mode, switches); for each group the fixture is started (fixtures/origin.py, or
   fixtures/proxy.py in the mode, pointed at h1xx's embedded origin), h1xx runs just the
   group's cases with --json, and each row's verdict, cited requirement and message words are
   compared. Four groups run at a time.
2. No case passes against a server that never sends an HTTP response: every origin case runs
   against an SSH server's banner (fixtures/not_http.py), a TLS port reached with http://
   (hostile.py tls-alert) and silence (hostile.py silent); no verdict may be pass.
3. The proxy pre-flight: a proxy that forwards nothing (answer-502) stops the run with exit 3
   and one line naming the 502.

Usage: pins.py ./h1xx [-k SUBSTRING]   (-k: only the rows or checks whose text contains it)
The last line is "pins: N passed, N failed"; exit 1 on any failure.
"""
import collections
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "fixtures"))
import demo  # noqa: E402  (fixtures/demo.py: the reference variables)
import harness  # noqa: E402
from testlib import H1XX, ONLY, free_port, record, summary  # noqa: E402

# The self-test's bounds and variables (suite/selftest.py), so verdicts agree with it.
FAST = ["--timeout", "1500ms", "--long-timeout", "4s", "--quiet-time", "400ms"]
REF_SETS = demo.reference_sets()
PROXY_SETS = ["--set", "prc5_interval=500ms"]
POOL = 4
RUN_TIMEOUT = 300               # seconds for one h1xx run (a bound, never reached normally)

FIXTURES = ("origin", "proxy")
MODES = ("origin", "reverse-proxy", "forward-proxy")
VERDICTS = ("pass", "warn", "fail", "skip", "error")
# Servers that never send an HTTP response: (label, fixture script, its arguments).
NOT_HTTP = [("an SSH banner", "not_http.py", ["--mode", "ssh-banner"]),
            ("TLS on a plain port", "hostile.py", ["--behaviour", "tls-alert"]),
            ("silence", "hostile.py", ["--behaviour", "silent"])]

Pin = collections.namedtuple("Pin", "line fixture mode switches case verdict require words")


def run_h1xx(args):
    """Runs h1xx; (exit status, stdout, stderr)."""
    try:
        p = subprocess.run([H1XX] + args, capture_output=True, text=True, errors="replace",
                           timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        return -1, "", f"h1xx did not finish within {RUN_TIMEOUT}s"
    return p.returncode, p.stdout, p.stderr


def supports(flag):
    """True when h1xx's --help names `flag` (flags another change adds may be missing)."""
    rc, out, err = run_h1xx(["--help"])
    return flag in out


# ---- the table -------------------------------------------------------------------------------

def load_pins(path):
    pins = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cols = line.split(None, 6)
            where = f"{path}:{n}"
            if len(cols) < 7:
                raise SystemExit(f"{where}: expected 7 columns, got {len(cols)}")
            fixture, mode, switches, case, verdict, require, words = cols
            if fixture not in FIXTURES or mode not in MODES or verdict not in VERDICTS:
                raise SystemExit(f"{where}: bad fixture, mode or verdict")
            if (fixture == "origin") != (mode == "origin"):
                raise SystemExit(f"{where}: the origin fixture goes with origin mode only")
            words = [w.strip() for w in words.strip().split(";") if w.strip() not in ("", "-")]
            pins.append(Pin(where, fixture, mode, switches, case, verdict, require, words))
    return pins


def split_switches(text):
    """(violators, h1xx --set arguments, other h1xx flags) of a switches column."""
    violators, sets, flags = [], [], []
    for item in ([] if text == "-" else text.split(",")):
        if item.startswith("--"):
            flags.append(item)
        elif "=" in item:
            sets += ["--set", item]
        else:
            violators.append(item)
    return violators, sets, flags


def judge(pin, got):
    """None when the case's result matches the pin, else what differs."""
    if got is None:
        return "no result for this case (is the case there? see h1xx's output)"
    verdict, cited, message = got["verdict"], got.get("failed_require") or "-", got.get("message") or ""
    want = f"{pin.verdict} citing {pin.require}"
    if verdict != pin.verdict or cited != pin.require:
        return f"expected {want}, got {verdict} citing {cited}: {message}"
    missing = [w for w in pin.words if w.lower() not in message.lower()]
    if missing:
        return f"message lacks {', '.join(repr(w) for w in missing)}: {message}"
    return None


# ---- running a group -------------------------------------------------------------------------

def run_cases(args, url, json_path):
    """h1xx with `args` against `url`; ({case id: result}, text for a failure report)."""
    rc, out, err = run_h1xx(["--no-reports", "--json", json_path] + args + [url])
    try:
        with open(json_path) as f:
            cases = {c["id"]: c for c in json.load(f)["cases"]}
    except (OSError, ValueError, KeyError) as e:
        return {}, f"exit {rc}, no JSON ({e}): {err.strip()[-500:]}"
    return cases, f"exit {rc}"


def run_group(key, pins, workdir, no_preflight):
    """Starts the group's fixture(s), runs its cases; {case id: result}, and a note."""
    fixture, mode, switches = key
    violators, sets, flags = split_switches(switches)
    if "--no-preflight" in flags and not no_preflight:
        flags.remove("--no-preflight")          # h1xx has no pre-flight yet: nothing to skip
    vargs = [a for v in violators for a in ("--violate", v)]
    filters = [a for p in pins for a in ("-k", p.case)]
    name = "-".join([fixture, mode] + (violators or ["reference"]) + [str(abs(hash(key)))])
    json_path = os.path.join(workdir, name + ".json")
    try:
        if fixture == "origin":
            with harness.start("origin.py", vargs) as fx:
                return run_cases(FAST + REF_SETS + sets + flags + filters,
                                 f"http://127.0.0.1:{fx.port}/", json_path)
        origin = free_port()
        pargs = ["--mode", mode.split("-")[0], "--idle-timeout", "1"] + vargs
        if mode == "reverse-proxy":
            pargs += ["--upstream", f"127.0.0.1:{origin}"]
        with harness.start("proxy.py", pargs) as px:
            return run_cases(["-m", mode, "--origin-listen", f"127.0.0.1:{origin}"] + FAST +
                             PROXY_SETS + sets + flags + filters,
                             f"http://127.0.0.1:{px.port}/", json_path)
    except harness.FixtureError as e:
        return {}, f"the fixture did not start: {e}"


def pinned(pool, workdir, no_preflight):
    pins = [p for p in load_pins(os.path.join(ROOT, "suite", "pins.tsv"))
            if not ONLY or ONLY in " ".join(p[1:5])]
    groups = collections.OrderedDict()
    for p in pins:
        groups.setdefault((p.fixture, p.mode, p.switches), []).append(p)
    futures = {pool.submit(run_group, key, group, workdir, no_preflight): (key, group)
               for key, group in groups.items()}
    for fut in concurrent.futures.as_completed(futures):
        (fixture, mode, switches), group = futures[fut]
        cases, note = fut.result()
        for p in group:
            problem = judge(p, cases.get(p.case))
            record(f"{fixture} {switches} ({mode}) {p.case}: {p.verdict}"
                   + ("" if p.require == "-" else " " + p.require),
                   problem is None, f"{problem} [{note}; {p.line}]")


# ---- servers that never answer in HTTP -------------------------------------------------------

def never_pass(label, script, args, workdir, no_preflight):
    json_path = os.path.join(workdir, "not-http-" + script + "-" + "-".join(args[1:]) + ".json")
    extra = ["--no-preflight"] if no_preflight else []
    try:
        with harness.start(script, args) as fx:
            cases, note = run_cases(FAST + REF_SETS + extra + ["--case-deadline", "30s"],
                                    f"http://127.0.0.1:{fx.port}/", json_path)
    except harness.FixtureError as e:
        cases, note = {}, f"the fixture did not start: {e}"
    passed = sorted(cid for cid, c in cases.items() if c["verdict"] == "pass")
    record(f"no case passes against {label} ({len(cases)} cases)", cases and not passed,
           f"{note}; passed: " + ", ".join(f"{cid} ({cases[cid].get('message') or ''})"
                                           for cid in passed) if cases else note)


def preflight(workdir, no_preflight):
    """A proxy that forwards nothing: one line and exit 3, before any case."""
    name = "proxy pre-flight: a proxy answering 502 stops the run with exit 3 naming the 502"
    if not no_preflight:
        record(name, False, "h1xx has no pre-flight yet (--help does not list --no-preflight)")
        return
    origin = free_port()
    args = ["--mode", "reverse", "--idle-timeout", "1", "--upstream", f"127.0.0.1:{origin}",
            "--violate", "answer-502"]
    with harness.start("proxy.py", args) as px:
        rc, out, err = run_h1xx(["--no-reports", "-m", "reverse-proxy", "--origin-listen",
                                 f"127.0.0.1:{origin}"] + FAST + PROXY_SETS +
                                [f"http://127.0.0.1:{px.port}/"])
    record(name, rc == 3 and "502" in err, f"exit {rc}\nstderr: {err[-800:]}\n{out[-800:]}")


def main():
    if not os.access(H1XX, os.X_OK):
        raise SystemExit(f"pins: no h1xx binary at {H1XX}")
    workdir = tempfile.mkdtemp(prefix="h1xx-pins-")
    t0 = time.monotonic()
    no_preflight = supports("--no-preflight")
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=POOL) as pool:
            hostile = [pool.submit(never_pass, label, script, args, workdir, no_preflight)
                       for label, script, args in NOT_HTTP
                       if not ONLY or ONLY in label]
            pinned(pool, workdir, no_preflight)
            for fut in hostile:
                fut.result()
        if not ONLY or ONLY in "pre-flight":
            preflight(workdir, no_preflight)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"pins took {time.monotonic() - t0:.1f}s")
    sys.exit(summary("pins"))


if __name__ == "__main__":
    main()
