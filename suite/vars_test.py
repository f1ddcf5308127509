#!/usr/bin/python3
"""vars_test: what a user setting case variables sees, end to end through ./h1xx.

1. A mistyped --set name is a usage error (exit 2) naming the closest known variable; a name in
   no loaded case is refused even under -k; a variable of a case outside -k is accepted.
2. --vars FILE: good files are read (comments, blanks, spaces); every kind of bad line is
   exit 2 with "FILE:LINE: message"; a later file wins over an earlier one and --set wins over
   every file (checked on the wire: the request line the reference origin receives).
3. `h1xx vars` and `--list-vars`: every variable, its default or "(none: cases using it skip)",
   where it comes from, the cases using it, and what a setting set it to. `--list` names what a
   case needs.
4. Against the reference origin with no variable set: the skip message points to `h1xx vars`,
   results.json carries missing_var, the console groups skips in one block per variable (no
   per-case block) and the line above the tally names the --set that would run the most cases;
   the HTML report shows the same line.

Usage: vars_test.py ./h1xx. The last line is "vars: N passed, N failed".
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "fixtures"))
import harness  # noqa: E402
from testlib import H1XX, record, summary  # noqa: E402

FAST = ["--timeout", "1500ms", "--long-timeout", "4s", "--quiet-time", "400ms", "-j", "8"]


def h1xx(args, cwd=None, timeout=120):
    p = subprocess.run([H1XX] + args, capture_output=True, text=True, errors="replace",
                       timeout=timeout, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


# ---- 1. unknown names ---------------------------------------------------------------------

def check_unknown(url):
    rc, out, err = h1xx(["--no-reports", "--set", "uplod_path=/x", url])
    record("--set uplod_path=/x URL: exit 2 naming upload_path, before any case runs",
           rc == 2 and "unknown variable 'uplod_path' (did you mean upload_path?)" in err and
           "h1xx vars" in err and "passed" not in out, f"exit {rc}\n{out}{err}")
    rc, out, err = h1xx(["--no-reports", "--set", "qqqqqqqq=1", url])
    record("an unknown name nothing resembles: exit 2 without a guess",
           rc == 2 and "unknown variable 'qqqqqqqq'; h1xx vars lists them" in err,
           f"exit {rc}\n{err}")
    rc, out, err = h1xx(["--no-reports", "-k", "continue/*", "--set", "ws_pth=/ws", url])
    record("-k does not hide a typo: exit 2 naming ws_path", rc == 2 and "ws_path?" in err,
           f"exit {rc}\n{err}")
    rc, out, err = h1xx(["--no-reports", "-k", "continue/exp1-content-length", "--set",
                         "ws_path=/ws", "--set", "prc5_interval=1s"] + FAST + [url])
    record("-k continue/... with a WebSocket and a proxy-mode variable set: runs", rc == 0 and
           re.search(r"^1 passed, 0 failed, 0 skipped$", out, re.M), f"exit {rc}\n{out}{err}")
    rc, out, err = h1xx(["--list", "--set", "uplod_path=/x"])
    record("--list checks names too", rc == 2 and "upload_path" in err, f"exit {rc}\n{err}")


# ---- 2. --vars files ----------------------------------------------------------------------

BAD_LINES = [
    ("ws_path /ws", "2: expected NAME=VALUE, got 'ws_path /ws'"),
    ("=/ws", "2: no variable name before '='"),
    ("ws-path=/ws", "2: bad variable name 'ws-path' (letters, digits and _ only)"),
    ('ws_path="/ws"', "2: values are taken as written, without quotes: write ws_path=/ws"),
    ("reject_path=/again", "2: reject_path is already set on line 1"),
    ("uplod_path=/x", "2: unknown variable 'uplod_path' (did you mean upload_path?); "
     "h1xx vars lists them"),
]


def check_vars_files(d, url):
    good = write(os.path.join(d, "good.vars"), "# endpoints\n\nreject_path=/reject\n"
                 "  upload_path = /from-file  \n")
    rc, out, err = h1xx(["vars", "--vars", good])
    record("h1xx vars --vars FILE: says what the file set and where",
           rc == 0 and "set to '/reject' by " + good + ":3" in out and
           "set to '/from-file' by " + good + ":4" in out, f"exit {rc}\n{out[-800:]}{err}")
    for line, msg in BAD_LINES:
        bad = write(os.path.join(d, "bad.vars"), "reject_path=/reject\n" + line + "\n")
        rc, out, err = h1xx(["--no-reports", "--vars", bad, url])
        want = f"{bad}:{msg}"
        record(f"--vars with the line {line!r}: exit 2, {msg.split(': ', 1)[1][:40]}...",
               rc == 2 and want in err and "passed" not in out, f"exit {rc}\nwant {want}\n{err}")
    rc, out, err = h1xx(["--no-reports", "--vars", os.path.join(d, "none.vars"), url])
    record("--vars with a missing file: exit 2 saying so",
           rc == 2 and "cannot read vars file" in err, f"exit {rc}\n{err}")

    # Who wins, seen on the wire: the request line the upload case sent names the path.
    later = write(os.path.join(d, "later.vars"), "upload_path=/from-later-file\n")
    out_json = os.path.join(d, "wire.json")
    case = ["--no-reports", "--json", out_json, "-k", "continue/exp1-content-length"] + FAST

    def path_sent(args):
        rc, out, err = h1xx(case + args + [url])
        try:
            with open(out_json) as f:
                tx = json.load(f)["cases"][0]["transcript"]
        except (OSError, ValueError, LookupError) as e:
            return rc, [str(e), err]
        return rc, re.findall(r"POST (\S+) HTTP", "".join(t["data"] for t in tx
                                                          if t["kind"] == "sent"))
    rc, sent = path_sent(["--vars", good, "--vars", later])
    record("two --vars files: the later one wins", sent == ["/from-later-file"],
           f"exit {rc}, sent {sent}")
    rc, sent = path_sent(["--set", "upload_path=/from-set", "--vars", good, "--vars", later])
    record("--set wins over every --vars file, whatever the order on the command line",
           sent == ["/from-set"], f"exit {rc}, sent {sent}")


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


# ---- 3. h1xx vars and --list --------------------------------------------------------------

def check_listing():
    rc, out, err = h1xx(["vars"])
    rc2, out2, _ = h1xx(["--list-vars"])
    blocks = {}
    for m in re.finditer(r"^(\w+) +(built-in|set by the run|case) +(.*)\n((?:  .*\n)*)", out,
                         re.M):
        blocks[m.group(1)] = (m.group(2), m.group(3), m.group(4))
    problems = []
    want = {"ws_path": ("case", "(none: cases using it skip)", "upgrade/ws-101-fields"),
            "upload_path": ("case", "${path}", "continue/exp1-content-length"),
            "slow_timeout": ("case", "100s", "processing/prc1-first-response"),
            "timeout": ("built-in", "--timeout (default 3s)", "used by"),
            "ws_key": ("set by the run", "Sec-WebSocket-Key", "used by")}
    for name, (src, dflt, user) in want.items():
        got = blocks.get(name)
        if not got or got[0] != src or dflt not in got[1] or user not in got[2]:
            problems.append(f"{name}: {got}")
    in_cases = set()
    for f in sorted(os.listdir(os.path.join(ROOT, "cases"))):
        area = os.path.join(ROOT, "cases", f)
        for c in (os.listdir(area) if os.path.isdir(area) else []):
            with open(os.path.join(area, c)) as fh:
                in_cases |= set(re.findall(r"\$\{(\w+)\}", fh.read()))
    gone = sorted(in_cases - set(blocks))
    record("h1xx vars: each variable's source, default and users; every ${NAME} of the cases",
           rc == 0 and not problems and not gone, f"exit {rc} {problems} missing {gone}\n{err}")
    record("h1xx --list-vars prints the same", rc2 == 0 and out2 == out)
    rc, out, err = h1xx(["--list", "-k", "upgrade/ws-echo"])
    record("--list names the variables a case needs",
           rc == 0 and "[needs --set ws_echo_path]" in out, out + err)
    rc, out, err = h1xx(["--list", "-k", "continue/exp1-content-length"])
    record("--list names nothing for a case whose variables all have defaults",
           rc == 0 and "needs" not in out, out)
    rc, out, err = h1xx(["--help"])
    record("--help points to h1xx vars and names the built-in variables",
           rc == 0 and "h1xx vars lists every one" in out and "authority" in out and
           "--vars FILE" in out and "--list-vars" in out, out[-600:])


# ---- 4. skips against the reference origin --------------------------------------------------

def check_skips(d, url):
    rc, out, err = h1xx(["--report-dir", os.path.join(d, "rep")] + FAST + [url], timeout=300)
    lines = out.splitlines()
    with open(os.path.join(d, "rep", "results.json")) as f:
        cases = json.load(f)["cases"]
    skipped = [c for c in cases if c["verdict"] == "skip"]
    by_var = {}
    for c in skipped:
        if c.get("missing_var"):
            by_var.setdefault(c["missing_var"], []).append(c["id"])
    record("no variable set: the reference origin passes the rest, exit 0",
           rc == 0 and lines and re.fullmatch(r"\d+ passed, 0 failed, \d+ skipped", lines[-1]),
           f"exit {rc}\n{out[-1500:]}{err}")
    bad_msgs = [c["id"] for c in skipped if c.get("missing_var") and not (
        f"needs --set {c['missing_var']}=VALUE" in c["message"] and "h1xx vars" in c["message"])]
    record("skip message: 'needs --set NAME=VALUE', pointing to h1xx vars; missing_var in JSON",
           skipped and by_var and not bad_msgs and "ws_path" in by_var, bad_msgs)
    order = sorted(by_var.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    parts = [f"{v} ({len(ids)}{' cases' if i == 0 and len(ids) != 1 else ''}"
             f"{' case' if i == 0 and len(ids) == 1 else ''})" for i, (v, ids) in enumerate(order)]
    hint = f"{len(skipped)} skipped: --set " + ", ".join(parts[:5]) + \
        (" ..." if len(parts) > 5 else "")
    record("two lines above the tally: the --set that would run the most skipped cases",
           len(lines) >= 3 and lines[-3] == hint, f"want {hint!r}\ngot  {lines[-3:]}")
    problems = []
    for var, ids in by_var.items():
        head = f"SKIP needs --set {var}=VALUE ({len(ids)} case{'s' if len(ids) != 1 else ''}):"
        if head not in lines:
            problems.append(f"no block {head!r}")
            continue
        block = lines[lines.index(head) + 1:]
        listed = []
        for ln in block:
            if not ln.startswith("    "):
                break
            listed += [x for x in ln.strip().split(", ") if x.strip(",")]
        listed = [x.rstrip(",") for x in listed]
        if sorted(listed) != sorted(ids):
            problems.append(f"{var}: block lists {listed}, want {ids}")
    per_case = [ln for ln in lines if ln.startswith("  ") and "needs --set" in ln]
    record("skips grouped: one block per variable listing its cases, no block per case",
           not problems and not per_case, problems + per_case[:3])
    html = read(os.path.join(d, "rep", "report.html"))
    record("the HTML summary shows the same hint line", hint.replace("'", "&#39;") in html,
           f"{hint!r} not in report.html")


def main():
    if not os.access(H1XX, os.X_OK):
        raise SystemExit(f"vars_test: no h1xx binary at {H1XX}")
    d = tempfile.mkdtemp(prefix="h1xx-vars-")
    try:
        with harness.start("origin.py", []) as fx:
            check_unknown(fx.url)
            check_vars_files(d, fx.url)
            check_listing()
            check_skips(d, fx.url)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return summary("vars")


if __name__ == "__main__":
    sys.exit(main())
