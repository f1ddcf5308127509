#!/usr/bin/python3
"""summary_test: a run says what it tested, and ends as CI expects (issue 20).

1. Against a server whose / answers an upload at once and whose /upload never sends 100
   (fixtures/origin.py --violate upload-only-path), a run with no option names upload_path in
   its last lines and in the continue area's line (the premise that failed, with its value);
   --fail-untested makes it exit 1 and says which areas; with --set upload_path=/upload the
   bug is found (EXP-1 fails).
   When / answers at once but /upload sends 100 (--violate root-answers-early), a hint line
   names --set upload_path=/upload (h1xx probed a few likely paths; nothing judged from it).
2. Against the reference origin with fixtures/reference.vars, every area is tested and
   --fail-untested exits 0; the HTML summary has the same area lines.
3. The last line keeps "N passed, N failed, N skipped"; the line before it says how many passes
   were warnings: a server that resets every connection does not read as a clean pass.
4. SIGTERM exits 143 and SIGINT 130, both with the reports written and marked interrupted.
5. --report-dir creates the folder with its parents (reports/1 in a fresh CI checkout).
6. An https:// URL on a plain-HTTP port gets a one-line hint.

Usage: summary_test.py ./h1xx [-k WORD]. The last line is "summary_test: N passed, N failed".
"""
import json
import os
import re
import signal
import subprocess
import time

from testlib import H1XX, ROOT, harness, record, run_groups, run_h1xx

FAST = ["--timeout", "1500ms", "--long-timeout", "4s", "--quiet-time", "400ms", "-j", "8"]
TALLY = re.compile(r"\d+ passed, \d+ failed, \d+ skipped")


def area_lines(out):
    lines = out.splitlines()
    if "what this run tested, per area:" not in lines:
        return {}
    i = lines.index("what this run tested, per area:") + 1
    areas = {}
    while i < len(lines) and lines[i].startswith("  "):
        name, _, text = lines[i].strip().partition(" ")
        areas[name] = text.strip()
        i += 1
    return areas


def premise(workdir):
    with harness.start("origin.py", ["--violate", "upload-only-path"]) as fx:
        url = f"http://127.0.0.1:{fx.port}/"
        rc, out, err = run_h1xx(["--no-reports"] + FAST + [url])
        lines = out.splitlines()
        areas = area_lines(out)
        record("zero options, / answers at once: exit 0, the tally last",
               rc == 0 and lines and TALLY.fullmatch(lines[-1]), f"exit {rc}\n{out[-1500:]}{err}")
        record("... the last lines name --set upload_path (where the server reads the body)",
               any("--set upload_path=PATH where the server reads the body" in ln
                   for ln in lines[-3:]), "\n".join(lines[-4:]))
        cont = areas.get("continue", "")
        record("... the continue line names the premise that failed: upload_path (/) and what "
               "it answered", "upload_path (/)" in cont and "200" in cont and
               not cont.startswith("tested"), cont or out[-1500:])
        record("... one line per area, each tested, partly tested or untested",
               len(areas) >= 6 and all(re.match(r"(tested|partly tested|untested):", t)
                                       for t in areas.values()), areas)
        rc, out, err = run_h1xx(["--no-reports", "--fail-untested"] + FAST + [url])
        fail_line = [ln for ln in out.splitlines() if ln.startswith("--fail-untested:")]
        record("... with --fail-untested: exit 1, naming the untested areas",
               rc == 1 and fail_line and "processing" in fail_line[0] and
               TALLY.fullmatch(out.splitlines()[-1]), f"exit {rc}\n{out[-1200:]}")
        record("... no hint names a path: /upload never sent 100 (a hint is never a guess)",
               "hint: POST" not in out, out[-800:])
        rc, out, err = run_h1xx(["--no-reports", "-k", "continue/exp1-*", "--set",
                                 "upload_path=/upload"] + FAST + [url])
        record("... with --set upload_path=/upload the bug is found (EXP-1 fails)",
               rc == 1 and "FAIL continue/exp1-content-length" in out, f"exit {rc}\n{out[-1500:]}")


def hint(workdir):
    with harness.start("origin.py", ["--violate", "root-answers-early"]) as fx:
        rc, out, err = run_h1xx(["--no-reports"] + FAST + [f"http://127.0.0.1:{fx.port}/"])
    lines = out.splitlines()
    record("/ answers at once, /upload sends 100: a hint line names --set upload_path=/upload, "
           "the verdicts are those of the run (exit 0), the tally last",
           rc == 0 and any(ln.startswith("hint: POST /upload with Expect: 100-continue got 100")
                           and "--set upload_path=/upload" in ln for ln in lines[-4:]) and
           TALLY.fullmatch(lines[-1]), f"exit {rc}\n{out[-1000:]}")


def reference(workdir):
    rep = os.path.join(workdir, "ref")
    with harness.start("origin.py", []) as fx:
        rc, out, err = run_h1xx(["--report-dir", rep, "--vars",
                                 os.path.join(ROOT, "fixtures", "reference.vars"),
                                 "--fail-untested"] + FAST + [f"http://127.0.0.1:{fx.port}/"],
                                timeout=300)
    areas = area_lines(out)
    record("reference origin, reference.vars, --fail-untested: every area tested, exit 0",
           rc == 0 and areas and all(t.startswith("tested:") for t in areas.values()),
           f"exit {rc} {areas}\n{out[-800:]}")
    lines = out.splitlines()
    record("the line before the tally says how many passes were warnings",
           len(lines) >= 2 and re.fullmatch(r"of the \d+ passed, none is a warning", lines[-2]),
           lines[-3:])
    with open(os.path.join(rep, "report.html")) as f:
        html = f.read()
    record("the HTML summary has the area lines and the warnings line",
           '<ul class="tested">' in html and "tested: all" in html and
           "none is a warning" in html, html[:300])


def resets(workdir):
    with harness.start("hostile.py", ["--behaviour", "reset-at-accept"]) as fx:
        rc, out, err = run_h1xx(["--no-reports", "--no-preflight"] + FAST +
                                [f"http://127.0.0.1:{fx.port}/"])
    lines = out.splitlines()
    m = re.fullmatch(r"(\d+) passed, (\d+) failed, (\d+) skipped", lines[-1]) if lines else None
    w = re.fullmatch(r"of the (\d+) passed, (\d+) (is a warning|are warnings) .*",
                     lines[-2]) if len(lines) > 1 else None
    record("a server resetting every connection: no clean pass; the warnings line counts them",
           m and w and w.group(1) == m.group(1) and (m.group(1) == "0" or int(w.group(2)) > 0),
           lines[-3:])


def interrupt(workdir, sig, want):
    rep = os.path.join(workdir, f"sig{sig}")
    with harness.start("origin.py", []) as fx:
        p = subprocess.Popen([H1XX, "--report-dir", rep, "-k", "processing/prc2-final-follows",
                              "--repeat", "4", "--set", "slow_path=/slow?count=100&interval=100",
                              "--long-timeout", "30s", f"http://127.0.0.1:{fx.port}/"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        p.send_signal(sig)
        try:
            out, err = p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
    try:
        with open(os.path.join(rep, "results.json")) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        data = {"error": str(e)}
    name = signal.Signals(sig).name
    record(f"{name}: exit {want}, results.json written and marked interrupted",
           p.returncode == want and data.get("interrupted") is True and
           os.path.isfile(os.path.join(rep, "junit.xml")),
           f"exit {p.returncode} {str(data)[:300]}\n{out[-500:]}{err[-500:]}")


def signals(workdir):
    interrupt(workdir, signal.SIGTERM, 143)
    interrupt(workdir, signal.SIGINT, 130)


def folders(workdir):
    rep = os.path.join(workdir, "a", "b", "reports", "1")
    with harness.start("origin.py", []) as fx:
        rc, out, err = run_h1xx(["--report-dir", rep, "-k", "http10/get-no-interim",
                                 f"http://127.0.0.1:{fx.port}/"])
    record("--report-dir creates the folder with its parents",
           rc == 0 and os.path.isfile(os.path.join(rep, "results.json")), f"exit {rc} {err}")


def https_hint(workdir):
    with harness.start("origin.py", []) as fx:
        rc, out, err = run_h1xx(["--no-reports", "-k", "http10/get-no-interim",
                                 f"https://127.0.0.1:{fx.port}/"])
    record("https:// on a plain-HTTP port: exit 3 and a one-line hint to use http://",
           rc == 3 and "use http://" in err and len(err.strip().splitlines()) == 1,
           f"exit {rc} {err}")


if __name__ == "__main__":
    run_groups("summary_test", [("premise", premise), ("hint", hint), ("reference", reference),
                                ("resets", resets), ("signals", signals), ("folders", folders),
                                ("https", https_hint)])
