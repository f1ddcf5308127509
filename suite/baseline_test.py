#!/usr/bin/python3
"""baseline_test: end-to-end checks of known-failure baselines, the one summary, --exclude and
the messages of a bad target, against the origin fixture and its violator switches.

usage: baseline_test.py ./h1xx [-k SUBSTRING]
The last line is "baseline: N passed, N failed"; exit 1 when a check failed.

1. A baseline taken from a run against one violator (wait-body) makes the same run exit 0, its
   failures reported as expected; against another violator (early-no-drain) the run exits 1
   and names only the new failure; known failures that now pass are reported, and fail the run
   only with --strict-baseline. Both baseline forms (results.json and `h1xx baseline` text).
2. JUnit of a baseline run: valid against the schema in $H1XX_JUNIT_XSD (skipped with a printed
   line when unset), read by junitparser, expected failures as <skipped>.
3. --deadline: the last line, the JSON summary, JUnit counts and the exit status agree; cases
   not run are JUnit errors.
4. -x/--exclude, and the messages for a missing unix socket, a bad URL, an untrusted
   certificate, `h1xx merge` without OUT.json, and --junit-file-root.
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
import demo  # noqa: E402
from testlib import H1XX, record, run_h1xx, run_groups  # noqa: E402

FAST = ["--timeout", "1500ms", "--long-timeout", "4s", "--quiet-time", "400ms"]
SETS = demo.reference_sets()
SCOPE = ["-k", "continue/*"]  # the cases both violators below touch
LAST = re.compile(r"^(\d+) passed, (\d+) failed, (\d+) skipped$")


def run_against(violations, workdir, name, extra=()):
    """Runs the continue cases against the origin fixture with these violator switches.
    Returns (exit, stdout, stderr, results.json data, junit path, json path)."""
    args = []
    for v in violations:
        args += ["--violate", v]
    json_path = os.path.join(workdir, name + ".json")
    junit_path = os.path.join(workdir, name + ".xml")
    with harness.start("origin.py", args) as fx:
        rc, out, err = run_h1xx(["--json", json_path, "--junit", junit_path, "--no-reports"] +
                                FAST + SETS + SCOPE + list(extra) +
                                [f"http://127.0.0.1:{fx.port}/"])
    try:
        with open(json_path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        data = {"cases": [], "summary": {}, "error": str(e)}
    return rc, out, err, data, junit_path, json_path


def last_line(out):
    lines = out.strip().splitlines()
    m = LAST.match(lines[-1]) if lines else None
    return tuple(int(g) for g in m.groups()) if m else None


def summary_agrees(rc, out, data):
    """The console's last line, the JSON summary and the exit status say the same."""
    counts = last_line(out)
    s = data.get("summary", {})
    return (counts is not None and counts == (s.get("passed"), s.get("failed"), s.get("skipped"))
            and (rc == 1) == (counts[1] > 0))


# ---- 1. baselines -------------------------------------------------------------------------

def baselines(workdir):
    rc, out, err, a, _, a_json = run_against(["wait-body"], workdir, "a")
    failing = sorted(c["id"] for c in a["cases"] if c["verdict"] in ("fail", "warn"))
    record("violator A without a baseline: exit 1 with failures", rc == 1 and failing,
           f"exit {rc}\n{out[-1500:]}")
    known = os.path.join(workdir, "known.txt")
    p = subprocess.run([H1XX, "baseline", a_json], capture_output=True, text=True)
    with open(known, "w") as f:
        f.write(p.stdout)
    listed = sorted(line.split()[0] for line in p.stdout.splitlines()
                    if line.strip() and not line.startswith("#"))
    record("h1xx baseline writes the fail and warn cases with their requirement",
           p.returncode == 0 and listed == failing
           and all(len(l.split()) == 3 for l in p.stdout.splitlines() if not l.startswith("#")),
           f"exit {p.returncode}\n{p.stdout}{p.stderr}")

    for form, path in (("text", known), ("results.json", a_json)):
        rc, out, err, b, junit, _ = run_against(["wait-body"], workdir, "b-" + form.replace(".", "-"),
                                                ["--baseline", path])
        marks = {c["id"]: c.get("baseline") for c in b["cases"]}
        record(f"same run with the {form} baseline: exit 0, failures expected",
               rc == 0 and all(marks.get(i) == "expected" for i in failing)
               and f"{len(failing)} expected failures (baseline)" in out
               and b.get("baseline", {}).get("expected") == len(failing)
               and summary_agrees(rc, out, b),
               f"exit {rc}\n{out[-1500:]}{err}")
    check_junit(junit, b, len(failing))

    rc, out, err, c, _, _ = run_against(["early-no-drain"], workdir, "c", ["--baseline", known])
    new = [x["id"] for x in c["cases"] if x.get("baseline") == "new"]
    new_line = [l for l in out.splitlines() if re.match(r"\d+ new failures?: ", l)]
    record("violator B with A's baseline: exit 1 naming only the new failures",
           rc == 1 and new == ["continue/exp3-early-final-chunked",
                               "continue/exp3-early-final-drain"]
           and new_line == ["2 new failures: continue/exp3-early-final-chunked (EXP-3), "
                            "continue/exp3-early-final-drain (EXP-3)"]
           and "FAIL continue/exp3-early-final-drain" in out and " new failure\n" in out
           and summary_agrees(rc, out, c),
           f"exit {rc} new={new}\n{out[-1500:]}")
    record("violator B with A's baseline: known failures that now pass are reported",
           f"{len(failing)} known failures now pass:" in out and "update the baseline" in out,
           out[-1500:])

    rc, out, err, d, _, _ = run_against([], workdir, "d", ["--baseline", known])
    record("reference origin with the baseline: exit 0, fixed cases reported",
           rc == 0 and "known failures now pass" in out and summary_agrees(rc, out, d),
           f"exit {rc}\n{out[-1000:]}")
    rc, out, err, d, _, _ = run_against([], workdir, "e", ["--baseline", known,
                                                          "--strict-baseline"])
    record("--strict-baseline: a known failure that now passes fails the run",
           rc == 1 and "--strict-baseline: this fails the run" in out
           and summary_agrees(rc, out, d) and d["baseline"]["strict"] is True,
           f"exit {rc}\n{out[-1000:]}")

    bad = os.path.join(workdir, "bad.txt")
    with open(bad, "w") as f:
        f.write("# comment\ncontinue/exp1-chunked fial EXP-1\n")
    rc, out, err = run_h1xx(["--baseline", bad, "--no-reports", "http://127.0.0.1:1/"])
    record("bad baseline line: exit 2 naming file:line and the word",
           rc == 2 and "bad.txt:2:" in err and "'fial'" in err, f"{rc} {err}")
    rc, out, err = run_h1xx(["--strict-baseline", "http://127.0.0.1:1/"])
    record("--strict-baseline without --baseline: usage error", rc == 2, f"{rc} {err}")


def check_junit(junit, data, expected):
    xsd = os.environ.get("H1XX_JUNIT_XSD")
    if xsd and shutil.which("xmllint"):
        p = subprocess.run(["xmllint", "--noout", "--schema", xsd, junit], capture_output=True,
                           text=True)
        record("JUnit of a baseline run validates (xmllint --schema)", p.returncode == 0,
               p.stderr[-1500:])
    else:
        print("skip - JUnit schema check: set H1XX_JUNIT_XSD (and install xmllint) to run it")
    try:
        import junitparser
    except ImportError:
        record("junitparser importable (python3-junitparser)", False, sys.executable)
        return
    xml = junitparser.JUnitXml.fromfile(junit)
    skipped = [r for suite in xml for case in suite for r in case.result
               if isinstance(r, junitparser.Skipped)]
    baseline_skips = [r for r in skipped if (r.message or "").startswith(
        "expected failure (baseline): ")]
    failures = sum(int(s.failures or 0) for s in xml)
    record("junitparser reads it: expected failures are <skipped> with the reason, 0 failures",
           len(baseline_skips) == expected and failures == 0
           and sum(int(s.skipped or 0) for s in xml) == data["summary"]["skipped"],
           f"{len(baseline_skips)} baseline skips, {failures} failures")


# ---- 2. a run cut short -------------------------------------------------------------------

def deadline(workdir):
    with harness.start("origin.py", ["--violate", "no-final-after-100"]) as fx:
        json_path = os.path.join(workdir, "deadline.json")
        junit = os.path.join(workdir, "deadline.xml")
        rc, out, err = run_h1xx(["--json", json_path, "--junit", junit, "--no-reports",
                                 "--long-timeout", "30s", "--deadline", "2s",
                                 f"http://127.0.0.1:{fx.port}/"])
    with open(json_path) as f:
        data = json.load(f)
    s = data["summary"]
    record("--deadline: last line, JSON summary and exit 1 agree (not-run counts as failed)",
           rc == 1 and s["not-run"] > 0 and summary_agrees(rc, out, data)
           and last_line(out)[1] >= s["not-run"], f"exit {rc} {s}\n{out[-800:]}")
    doc = open(junit, encoding="utf-8").read()
    root = re.search(r"<testsuites [^>]*>", doc).group(0)
    errors = int(re.search(r'errors="(\d+)"', root).group(1))
    failures = int(re.search(r'failures="(\d+)"', root).group(1))
    record("--deadline: cases not run are JUnit errors; JUnit failures+errors = failed",
           doc.count('type="not-run"') == s["not-run"]
           and errors + failures == s["failed"], f"{root} {s}")
    if os.environ.get("H1XX_JUNIT_XSD"):
        p = subprocess.run([sys.executable, os.path.join(ROOT, "suite", "check_reports.py"),
                            junit, json_path], capture_output=True, text=True)
        record("--deadline: suite/check_reports.py agrees", p.returncode == 0,
               p.stdout + p.stderr)


# ---- 3. exclude and messages ----------------------------------------------------------------

def exclude():
    rc, out, err = run_h1xx(["--list", "-k", "continue/*", "-x", "continue/exp1-*"])
    ids = [l.split()[0] for l in out.splitlines() if "/" in l.split()[0]]
    record("-x drops matching cases after -k", rc == 0 and ids
           and all(i.startswith("continue/") and not i.startswith("continue/exp1-") for i in ids),
           out)
    rc, out, err = run_h1xx(["--list", "--exclude", "continue", "-x", "http10/*"])
    ids = [l.split()[0] for l in out.splitlines() if "/" in l.split()[0]]
    record("--exclude takes areas and repeats", rc == 0 and ids
           and not any(i.startswith(("continue/", "http10/")) for i in ids), out)


def messages(workdir):
    sock = os.path.join(workdir, "nothing-here.sock")
    rc, out, err = run_h1xx(["--no-reports", f"unix:{sock}"])
    record("missing unix socket: exit 3, 'no unix socket at PATH'",
           rc == 3 and f"no unix socket at {sock}" in err and "port 80" not in err,
           f"{rc} {err}")
    for url in ("http://exa mple.com/", "http://exa\tmple.com/", "http://ex<a>mple.com/"):
        rc, out, err = run_h1xx(["--no-reports", url])
        record(f"bad host in {url!r}: exit 2", rc == 2 and "bad target URL" in err,
               f"{rc} {err}")
    tls(workdir)
    merge_without_out(workdir)
    file_root(workdir)


def tls(workdir):
    cert, key = os.path.join(workdir, "cert.pem"), os.path.join(workdir, "key.pem")
    gen = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                          "2", "-subj", "/CN=localhost", "-keyout", key, "-out", cert],
                         capture_output=True)
    if gen.returncode != 0:
        print("skip - untrusted certificate hint: openssl could not make a certificate")
        return
    with harness.start("origin.py", ["--tls-cert", cert, "--tls-key", key]) as fx:
        rc, out, err = run_h1xx(["--no-reports", "-k", "continue/exp1-*"] + FAST +
                                [f"https://127.0.0.1:{fx.port}/"])
    record("untrusted certificate: exit 3 with a hint about --cacert and --insecure",
           rc == 3 and "--cacert" in err and "--insecure" in err, f"{rc} {err}")


def merge_without_out(workdir):
    shards = []
    with harness.start("origin.py", []) as fx:
        for i in (1, 2):
            path = os.path.join(workdir, f"shard{i}.json")
            run_h1xx(["--json", path, "--no-reports", "--shard", f"{i}/2", "-k", "http10/*"] +
                     FAST + [f"http://127.0.0.1:{fx.port}/"])
            shards.append(path)
    before = open(shards[0], "rb").read()
    rc, out, err = run_h1xx(["merge"] + shards)
    record("h1xx merge without OUT.json: usage error naming OUT.json, input untouched",
           rc == 2 and "OUT.json" in err and "shard 1/2" in err and "missing" not in err
           and open(shards[0], "rb").read() == before, f"{rc} {err}")
    out_path = os.path.join(workdir, "merged.json")
    rc, out, err = run_h1xx(["merge", out_path] + shards)
    record("h1xx merge OUT.json IN...: still merges", rc in (0, 1) and os.path.exists(out_path)
           and last_line(out) is not None, f"{rc} {out}{err}")


def file_root(workdir):
    cases = os.path.join(workdir, "installed", "share", "h1xx", "cases")
    shutil.copytree(os.path.join(ROOT, "cases"), cases)
    with harness.start("origin.py", []) as fx:
        url = f"http://127.0.0.1:{fx.port}/"
        for root, want in ((None, 'file="cases/http10/'), ("test/h1xx", 'file="test/h1xx/http10/')):
            junit = os.path.join(workdir, "fl.xml")
            extra = ["--junit-file-root", root] if root else []
            rc, out, err = run_h1xx(["--cases", cases, "--junit", junit, "--no-reports",
                                     "--junit-file-line", "-k", "http10/*"] + extra + FAST + [url])
            doc = open(junit, encoding="utf-8").read() if os.path.exists(junit) else ""
            record(f"--junit-file-line paths relative to {root or 'the cases folder name'}",
                   want in doc and workdir not in doc, f"{rc} {err} {doc[:600]}")


def main():
    run_groups("baseline", (("baselines", baselines),
                            ("deadline", deadline),
                            ("exclude", lambda workdir: exclude()),
                            ("messages", messages)))


if __name__ == "__main__":
    main()
