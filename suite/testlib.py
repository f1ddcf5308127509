"""What the suite's test scripts share: the h1xx under test (argv[1]) and the `-k WORD` filter
(argv[2:4]), the tally of checks that ends each script with its "N passed, N failed" line,
running h1xx with a bound, and a free loopback port (fixtures/harness.py's).

Each script runs as `python3 suite/NAME.py ./h1xx [-k WORD]`, so this folder is on sys.path."""
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "fixtures"))
import harness  # noqa: E402

free_port = harness.free_port  # a port for a listener named before it starts
H1XX = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "h1xx"))
ONLY = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "-k" else ""
DETAIL_MAX = 3000  # characters of a failed check's detail printed (its end: where it went wrong)

RESULTS = []  # (check name, passed)


def record(name, ok, detail=""):
    """One check: printed at once ("ok   - NAME" or "FAIL - NAME: detail") and tallied."""
    ok = bool(ok)
    RESULTS.append((name, ok))
    detail = str(detail)
    if len(detail) > DETAIL_MAX:
        detail = "..." + detail[-DETAIL_MAX:]
    print(("ok   - " if ok else "FAIL - ") + name + ("" if ok else ": " + detail), flush=True)


def counts():
    """(passed, failed) so far."""
    passed = sum(1 for _, ok in RESULTS if ok)
    return passed, len(RESULTS) - passed


def summary(label, extra=""):
    """Prints the closing "LABEL: N passed, N failed" line; the exit status that goes with it."""
    passed, failed = counts()
    print(f"{label}: {passed} passed, {failed} failed{extra}", flush=True)
    return 1 if failed else 0


def run_h1xx(args, timeout=120, **kw):
    """Runs h1xx with args; (exit status, stdout, stderr). Killed past `timeout` seconds, which
    reads as exit status -1 with the reason in stderr (a hang is a finding, not a crash)."""
    try:
        p = subprocess.run([H1XX] + list(args), capture_output=True, text=True,
                           errors="replace", timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        return -1, "", f"h1xx did not finish within {timeout}s"
    return p.returncode, p.stdout, p.stderr



def run_groups(script, groups, errors=()):
    """The main of a script made of groups of checks: each (name, fn) of `groups` not left out
    by -k runs as fn(workdir), all in one temporary folder removed at the end. An exception
    of the kinds in `errors` (and OSError, ValueError, KeyError, TypeError, AttributeError,
    IndexError, a fixture that would not start) is that group's failure, and the rest still
    run. Exits with the summary line."""
    if not os.access(H1XX, os.X_OK):
        raise SystemExit(f"usage: {script}.py ./h1xx [-k SUBSTRING] ({H1XX} not found)")
    caught = (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError,
              harness.FixtureError) + tuple(errors)
    workdir = tempfile.mkdtemp(prefix=f"h1xx-{script}-")
    try:
        for name, fn in groups:
            if ONLY and ONLY not in name:
                continue
            try:
                fn(workdir)
            except caught as e:
                record(f"{name}: ran to the end", False, repr(e))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(summary(script))
