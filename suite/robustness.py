#!/usr/bin/python3
"""h1xx robustness test: hostile servers, interrupts, bad user input.

1. Hostile servers: h1xx runs every case against each behaviour of fixtures/hostile.py
   (several at a time, tight timeouts and a --deadline). For each run: the exit status is 1
   (3 for the unreachable kinds, and with one pre-flight line for those that do not speak
   HTTP/1.x, which also run with --no-preflight; never a signal, never 2), the run ends
   within its deadline plus a small slack, every case has a defined verdict with a message,
   the JUnit report validates against the schema and agrees with the JSON
   (suite/check_reports.py), the JSON
   parses, the console shows no raw control byte, the transcript quotes the server's bytes
   exactly (base64), and no temporary file is left. The peak RSS of the runs against the
   10,000-interim and 1 MiB-header servers is printed.
2. Interrupts: SIGTERM (exit 143) and a double SIGINT (exit 130) during hostile runs: reports written,
   marked interrupted, no temporary file.
3. Bad user input: the malformed case files of suite/badcases (each names the line and words
   of its expected error on its first line, "# error LINE WORDS"), bad flags, bad URLs,
   unwritable report paths, a target that refuses TLS: one clear message, the documented exit
   status, and no report file at all.

Usage: robustness.py ./h1xx [-k SUBSTRING] [--jobs N] [--slack SECONDS]
The last line is "robustness: N passed, N failed".
"""
import argparse
import base64
import concurrent.futures
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "fixtures"))
import harness  # noqa: E402
import hostile  # noqa: E402
from testlib import RESULTS, record, summary  # noqa: E402

# Tight bounds so that ~90 runs fit in well under a minute on two cores.
TIMEOUT, DEADLINE = 1.0, 6.0
FAST = ["--timeout", "1s", "--long-timeout", "2s", "--quiet-time", "300ms", "--linger", "100ms",
        "--case-deadline", "4s", "--deadline", "%gs" % DEADLINE, "--set", "reject_path=/reject"]
# Behaviours h1xx cannot even connect to (exit 3), and the scheme each is reached with.
UNREACHABLE = {"backlog-full": "http", "plain-http": "https", "tls-close-at-hello": "https"}
# Behaviours whose first bytes are not an HTTP/1.x status line: the pre-flight stops the run
# (exit 3, one line, no report). Each also runs with --no-preflight, so that the cases
# themselves still meet these bytes.
PREFLIGHT_STOPS = {"garbage-status": "not an HTTP/1.x server", "binary-garbage":
                   "not an HTTP/1.x server", "nul-flood": "not an HTTP/1.x server",
                   "http09-body": "not an HTTP/1.x server", "http2-version":
                   "not an HTTP/1.x server", "utf16-response": "not an HTTP/1.x server",
                   "ssh-banner": "not an HTTP/1.x server", "tls-alert": "speaks TLS",
                   "tls-on-plain": "speaks TLS", "tls-server-hello": "speaks TLS"}
RANDOM_SEEDS = [1, 2, 3, 4, 5, 6]
VERDICTS = {"pass", "warn", "fail", "skip", "error", "not-run"}
RSS_WATCH = ["many-interim-10000", "huge-header-1mib"]
# also run with -vv, so that the console prints their bytes in every transcript
VERBOSE_TOO = ["ctl-in-reason", "xml-hostile-text", "invalid-utf8-header", "nul-flood",
               "binary-garbage", "utf16-response"]

# Behaviours that answer every request with one well-formed (if odd) final response and then
# close: no case finds a broken rule in that (a close after a response is allowed, RFC 9112
# §9.6, and makes the pipelining case inconclusive), so a clean run may exit 0.
ANY_VERDICT = {"random-mix", "invalid-utf8-reason", "long-reason", "many-small-headers",
               "te-unknown", "proxy-502", "huge-header-1mib"}

ARGS = None


# ---- running h1xx ---------------------------------------------------------------------------

class Run:
    """One finished h1xx process: status (negative: killed by that signal), time, output."""

    def __init__(self, rc, took, out, err, maxrss_kib, killed):
        self.rc, self.took, self.out, self.err = rc, took, out, err
        self.maxrss_kib, self.killed = maxrss_kib, killed


TIME = "/usr/bin/time"


def kill_tree(pid):
    """SIGKILL to pid's children (when it is /usr/bin/time, that is h1xx), then to pid."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            kids = [int(k) for k in f.read().split()]
    except OSError:
        kids = []
    for k in kids + [pid]:
        try:
            os.kill(k, signal.SIGKILL)
        except ProcessLookupError:
            pass


def run_h1xx(args, workdir, limit, signals=(), measure=False):
    """Runs h1xx with output to files; kills it past `limit` seconds. signals: [(after_seconds,
    signum)] to send meanwhile. measure: run it under /usr/bin/time for its peak RSS (the RSS
    that wait4 reports here would include this Python's own, which h1xx's spawn inherits)."""
    out_path = os.path.join(workdir, "stdout")
    err_path = os.path.join(workdir, "stderr")
    rss_path = os.path.join(workdir, "maxrss")
    argv = [ARGS.h1xx] + args
    if measure and os.access(TIME, os.X_OK):
        argv = [TIME, "-q", "-f", "%M", "-o", rss_path] + argv
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                             cwd=workdir)
    pending = sorted(signals)
    killed = False
    while True:
        pid, status = os.waitpid(p.pid, os.WNOHANG)
        if pid == p.pid:
            break
        now = time.monotonic() - t0
        while pending and now >= pending[0][0]:
            os.kill(p.pid, pending.pop(0)[1])   # exactly this pid
        if now > limit and not killed:
            kill_tree(p.pid)
            killed = True
        time.sleep(0.02)
    took = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    with open(out_path, "rb") as f:
        out_b = f.read()
    with open(err_path, "rb") as f:
        err_b = f.read()
    maxrss = None
    try:
        with open(rss_path) as f:
            maxrss = int(f.read().split()[-1])
    except (OSError, ValueError, IndexError):
        pass
    return Run(p.returncode, took, out_b, err_b, maxrss, killed)


def check_reports(junit, js):
    p = subprocess.run([sys.executable, os.path.join(ROOT, "suite", "check_reports.py"), junit,
                        js], capture_output=True, text=True, errors="replace")
    return p.returncode == 0, (p.stdout + p.stderr).strip()


def leftovers(d):
    return [n for n in os.listdir(d) if ".tmp." in n]


def console_problems(out):
    """What a server could do to a terminal through h1xx's console: raw control bytes (only LF
    is expected; no colour off a terminal), invalid UTF-8, C1 controls, bidi overrides."""
    bad = sorted({b for b in out if (b < 0x20 and b != 0x0A) or b == 0x7F})
    problems = ["console carries raw control bytes %s" % ", ".join("0x%02X" % b for b in bad)] \
        if bad else []
    try:
        text = out.decode("utf-8")
    except UnicodeDecodeError as e:
        return problems + ["console output is not UTF-8: %s" % e]
    odd = sorted({"U+%04X" % ord(ch) for ch in text
                  if 0x80 <= ord(ch) <= 0x9F or 0x202A <= ord(ch) <= 0x202E or
                  0x2066 <= ord(ch) <= 0x2069})
    if odd:
        problems.append("console carries C1 or bidi control characters %s" % ", ".join(odd))
    return problems


def recv_streams(case):
    """The bytes received on each connection of a case, from the transcript's base64."""
    streams = {}
    for e in case.get("transcript", []):
        if e.get("kind") == "recv":
            streams.setdefault(e["conn"], bytearray()).extend(base64.b64decode(e["b64"]))
    return streams


def quoting_problems(data, wire):
    """Every connection's received bytes are a prefix of what the server sent (the report
    quotes them exactly), and some connection received something."""
    problems, seen = [], 0
    for c in data["cases"]:
        for conn, got in recv_streams(c).items():
            if conn == 0:  # libcurl's view: header lines and decoded bodies, not raw bytes
                continue
            seen += 1
            if bytes(got) != wire[:len(got)]:
                problems.append("%s conn %d: transcript bytes differ from what the server sent"
                                % (c["id"], conn))
    if not seen:
        problems.append("no case received a byte, yet the server answers every request")
    return problems[:5]


def case_problems(data):
    problems = []
    for c in data.get("cases", []):
        v = c.get("verdict")
        if v not in VERDICTS:
            problems.append("%s: undefined verdict %r" % (c.get("id"), v))
        elif v != "pass" and not (c.get("message") or "").strip():
            problems.append("%s: %s without a message" % (c.get("id"), v))
    if not data.get("cases"):
        problems.append("the report has no cases")
    return problems


# ---- 1. hostile servers ---------------------------------------------------------------------

def hostile_run(name, seed, extra=(), label=None):
    """Starts the behaviour, runs h1xx against it, checks everything; returns (label, problems,
    run)."""
    label = label or (name if seed is None else "%s --seed %d" % (name, seed))
    workdir = tempfile.mkdtemp(prefix="h1xx-robust-", dir=ARGS.tmp)
    problems = []
    args = ["--behaviour", name] + ([] if seed is None else ["--seed", str(seed)])
    scheme = UNREACHABLE.get(name, "http")
    stop = PREFLIGHT_STOPS.get(name) if "--no-preflight" not in extra else None
    want = {3} if name in UNREACHABLE or stop else ({0, 1} if name in ANY_VERDICT else {1})
    if name == "reset-at-accept":  # the probe itself may be the connection that gets reset
        want = {1, 3}
    limit = DEADLINE + 2 * TIMEOUT + ARGS.slack  # the probe, the pre-flight, the run
    try:
        with harness.start("hostile.py", args) as fx:
            url = "%s://127.0.0.1:%d/" % (scheme, fx.port)
            run = run_h1xx(["--report-dir", "reports", "--color", "never"] + FAST + list(extra) +
                           [url], workdir, limit + 20, measure=name in RSS_WATCH)
    except harness.FixtureError as e:
        return label, ["fixture did not start: %s" % e], None
    err = run.err.decode("utf-8", "replace")
    if run.rc < 0:
        problems.append("killed by signal %d%s" % (-run.rc, " (hung: killed by the test)"
                                                   if run.killed else " (crash)"))
    elif run.rc not in want:
        problems.append("exit %d, expected %s; stderr: %s" % (run.rc, sorted(want), err[-500:]))
    if run.took > limit:
        problems.append("took %.1fs, bound %.1fs" % (run.took, limit))
    if "AddressSanitizer" in err or "runtime error:" in err or "LeakSanitizer" in err:
        problems.append("sanitizer report: " + err[-1500:])
    rdir = os.path.join(workdir, "reports")
    if run.rc == 3:
        words = stop or "cannot reach"
        if words not in err or len(err.strip().splitlines()) != 1:
            problems.append("exit 3 without one clear '%s' line: %r" % (words, err))
        if os.path.isdir(rdir) and os.listdir(rdir):
            problems.append("exit 3 left report files: %s" % os.listdir(rdir))
    elif run.rc in (0, 1):
        problems += report_problems(rdir, run, hostile.BEHAVIOURS[name].wire)
    if not problems:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        problems.append("(kept in %s)" % workdir)
    return label, problems, run


def report_problems(rdir, run, wire):
    problems = []
    junit, js = os.path.join(rdir, "junit.xml"), os.path.join(rdir, "results.json")
    try:
        with open(js, "rb") as f:
            data = json.loads(f.read().decode("utf-8"))
    except (OSError, ValueError) as e:
        return ["results.json: %s" % e]
    problems += case_problems(data)
    ok, text = check_reports(junit, js)
    if not ok:
        problems.append("check_reports: " + text[-1500:])
    problems += console_problems(run.out)
    lines = run.out.decode("utf-8", "replace").strip().splitlines()
    if not lines or not re.fullmatch(r"\d+ passed, \d+ failed, \d+ skipped.*", lines[-1]):
        problems.append("console does not end with the summary line")
    if leftovers(rdir):
        problems.append("temporary files left: %s" % leftovers(rdir))
    if wire:
        problems += quoting_problems(data, wire)
    return problems


def hostile_section():
    names = [n for n in hostile.BEHAVIOURS if n != "random-mix"]
    jobs = [(n, None, (), None) for n in names]
    jobs += [("random-mix", s, ("-vv",), None) for s in RANDOM_SEEDS]  # transcripts on the console
    jobs += [(n, None, ("--no-preflight",), n + " --no-preflight") for n in PREFLIGHT_STOPS]
    jobs += [(n, None, ("-vv", "--no-preflight"), n + " -vv") for n in VERBOSE_TOO]
    # the same two servers with limits raised so that h1xx holds all of it (peak memory)
    jobs += [("many-interim-10000", None, ("--max-interim", "10001"),
              "many-interim-10000 --max-interim 10001"),
             ("huge-header-1mib", None, ("--max-head", "2000000", "--max-bytes", "4194304"),
              "huge-header-1mib --max-head 2000000")]
    if ARGS.k:
        jobs = [j for j in jobs if ARGS.k in (j[3] or j[0])]
    rss = {}
    survived = 0
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=ARGS.jobs) as pool:
        futures = [pool.submit(hostile_run, *j) for j in jobs]
        for fut in concurrent.futures.as_completed(futures):
            label, problems, run = fut.result()
            record("hostile %s: survived, reports valid" % label, not problems,
                   "\n    " + "\n    ".join(problems))
            survived += not problems
            if run and run.maxrss_kib and label.split()[0] in RSS_WATCH:
                rss[label] = run.maxrss_kib
    print("hostile: %d of %d behaviour runs survived (%d behaviours) in %.1fs"
          % (survived, len(jobs), len({j[0] for j in jobs}), time.monotonic() - t0))
    if ARGS.k == "" and len(rss) < 4:
        print("peak RSS: not measured (%s missing)" % TIME)
    for label in sorted(rss):
        print("peak RSS: %-45s %7.1f MiB" % (label, rss[label] / 1024.0))
        record("peak RSS under %d MiB: %s" % (ARGS.rss_limit, label),
               rss[label] < ARGS.rss_limit * 1024, "%d KiB" % rss[label])


# ---- 2. interrupts --------------------------------------------------------------------------

def interrupt_run(name, sigs, label, jobs="4", stop_within=5.0):
    workdir = tempfile.mkdtemp(prefix="h1xx-robust-", dir=ARGS.tmp)
    with harness.start("hostile.py", ["--behaviour", name]) as fx:
        run = run_h1xx(["--report-dir", "reports", "--timeout", "5s", "--long-timeout", "20s",
                        "--case-deadline", "30s", "-j", jobs,
                        "http://127.0.0.1:%d/" % fx.port], workdir, 20 + ARGS.slack, sigs)
    rdir = os.path.join(workdir, "reports")
    problems = []
    want = 143 if sigs[0][1] == signal.SIGTERM else 130  # 128 + the first signal
    if run.rc != want:
        problems.append("exit %d, expected %d" % (run.rc, want))
    if run.took > stop_within + ARGS.slack:
        problems.append("took %.1fs to stop" % run.took)
    try:
        with open(os.path.join(rdir, "results.json")) as f:
            data = json.load(f)
        if data.get("interrupted") is not True:
            problems.append("report not marked interrupted")
        if not data["summary"]["not-run"]:
            problems.append("no case marked not-run")
        problems += case_problems(data)
        ok, text = check_reports(os.path.join(rdir, "junit.xml"), os.path.join(rdir,
                                                                                "results.json"))
        if not ok:
            problems.append(text[-1000:])
    except (OSError, ValueError, KeyError) as e:
        problems.append("results.json: %s" % e)
    if os.path.isdir(rdir) and leftovers(rdir):
        problems.append("temporary files left: %s" % leftovers(rdir))
    record(label, not problems, "; ".join(problems) + " (in %s)" % workdir)
    if not problems:
        shutil.rmtree(workdir, ignore_errors=True)


def interrupt_section():
    interrupt_run("fast-drip", [(1.0, signal.SIGTERM)],
                  "SIGTERM while reading a byte-by-byte drip: exit 143, reports valid, marked",
                  jobs="1")
    interrupt_run("slow-drip", [(1.0, signal.SIGINT), (1.05, signal.SIGINT)],
                  "double SIGINT during a slow drip: exit 130, reports valid and marked")
    interrupt_run("silent", [(0.5, signal.SIGTERM)],
                  "SIGTERM while every case waits on a silent server: exit 143")
    interrupt_run("backlog-full", [(0.5, signal.SIGINT)],
                  "SIGINT while the connect hangs (full backlog): exit 130 at once, reports",
                  stop_within=1.0)


# ---- 3. bad user input ----------------------------------------------------------------------

def expect_usage(label, args, rc_want, words, workdir, limit=20):
    """Runs h1xx from an empty folder with --report-dir pointing into it; checks the exit
    status, one clear message naming `words`, and that no report file appeared."""
    d = tempfile.mkdtemp(prefix="h1xx-input-", dir=workdir)
    run = run_h1xx(args, d, limit)
    err = run.err.decode("utf-8", "replace")
    lines = [l for l in err.splitlines() if l.strip()]
    problems = []
    if run.rc != rc_want:
        problems.append("exit %d, expected %d" % (run.rc, rc_want))
    if not lines or not (lines[0].startswith("h1xx: ") or ".case:" in lines[0]):
        problems.append("no clear first line: %r" % err[:300])
    if len(lines) > 2:
        problems.append("%d lines of messages (one expected, plus a hint)" % len(lines))
    for w in words:
        if w not in err:
            problems.append("message lacks %r: %r" % (w, err[:300]))
    files = [os.path.join(r, f) for r, _, fs in os.walk(d) for f in fs
             if f not in ("stdout", "stderr")]
    if files:
        problems.append("files written: %s" % files)
    if run.out.strip():
        problems.append("stdout not empty: %r" % run.out[:200])
    record(label, not problems, "; ".join(problems))


def badcase_section(workdir):
    folder = os.path.join(ROOT, "suite", "badcases")
    names = sorted(n for n in os.listdir(folder) if n.endswith(".case"))
    for n in names:
        with open(os.path.join(folder, n), "rb") as f:
            first = f.readline().decode("utf-8", "replace").split(None, 3)
        if len(first) < 4 or first[:2] != ["#", "error"]:
            record("badcase %s: has '# error LINE WORDS' on line 1" % n, False, repr(first))
            continue
        line, words = first[2], first[3].strip()
        cases = os.path.join(workdir, "cases-" + n)
        os.makedirs(os.path.join(cases, "bad"))
        shutil.copy(os.path.join(ROOT, "cases", "requirements.tsv"), cases)
        shutil.copy(os.path.join(folder, n), os.path.join(cases, "bad"))
        expect_usage("badcase %s: exit 2, '%s:%s: ...%s'" % (n, n, line, words),
                     ["--cases", cases, "--report-dir", "reports", "http://127.0.0.1:9/"], 2,
                     ["%s:%s: " % (n, line), words], workdir)
    empty = os.path.join(workdir, "cases-empty")
    os.makedirs(os.path.join(empty, "bad"))
    shutil.copy(os.path.join(ROOT, "cases", "requirements.tsv"), empty)
    expect_usage("cases folder whose only area is empty: exit 2, no case", ["--cases", empty,
                 "--report-dir", "reports", "http://127.0.0.1:9/"], 2, ["no case matches"],
                 workdir)
    laughs = os.path.join(workdir, "cases-laughs")
    os.makedirs(os.path.join(laughs, "bad"))
    shutil.copy(os.path.join(ROOT, "cases", "requirements.tsv"), laughs)
    shutil.copy(os.path.join(ROOT, "suite", "fuzz", "regressions", "case",
                             "nested-defaults-40-pow-7.case"),
                os.path.join(laughs, "bad", "b.case"))
    with open(os.path.join(laughs, "bad", "b.case"), "r+") as f:
        text = f.read().replace("id a/b", "id bad/b")
        f.seek(0)
        f.write(text)
    with harness.start("hostile.py", ["--behaviour", "plain-http"]) as fx:
        d = tempfile.mkdtemp(prefix="h1xx-input-", dir=workdir)
        for sets in ([], ["--set", "h="]):
            run = run_h1xx(["--cases", laughs, "--json", "r.json", "--junit", "r.xml"] + sets +
                           ["http://127.0.0.1:%d/" % fx.port], d, 20)
            try:
                with open(os.path.join(d, "r.json")) as f:
                    c = json.load(f)["cases"][0]
            except (OSError, ValueError, IndexError, KeyError) as e:
                c = {"error": str(e)}
            record("case whose defaults nest to 40^7 copies%s: error verdict at once, exit 1"
                   % (" of an empty --set" if sets else ""),
                   run.rc == 1 and run.took < 5 and c.get("verdict") == "error" and
                   "variable references" in c.get("message", ""),
                   "exit %d in %.1fs: %s" % (run.rc, run.took, c))
    big = os.path.join(workdir, "cases-big")
    os.makedirs(os.path.join(big, "bad"))
    shutil.copy(os.path.join(ROOT, "cases", "requirements.tsv"), big)
    with open(os.path.join(big, "bad", "huge.case"), "w") as f:
        f.write("# " + "x" * (1 << 20) + "\n")
    expect_usage("badcase huge.case (over 1 MiB): exit 2", ["--cases", big, "--report-dir",
                 "reports", "http://127.0.0.1:9/"], 2, ["huge.case", "larger than 1 MiB"],
                 workdir)


BAD_FLAGS = [
    (["--timeout", "0"], ["bad duration '0'"]),
    (["--timeout", "5parsecs"], ["bad duration"]),
    (["--deadline", "-1"], ["bad duration"]),
    (["--timeout", "333333331m"], ["bad duration"]),
    (["--jobs", "0"], ["bad number"]),
    (["--jobs", "9999999"], ["bad number"]),
    (["--max-head", "10"], ["bad number"]),
    (["--max-bytes", "5000", "--max-head", "65536"], ["--max-bytes must be at least"]),
    (["--shard", "3/2"], ["--shard"]),
    (["--shard", "x"], ["--shard"]),
    (["--color", "sometimes"], ["--color"]),
    (["--set", "=x"], ["NAME=VALUE"]),
    (["--set", "novalue"], ["NAME=VALUE"]),
    (["--set", "bad-name=1"], ["bad variable name"]),
    (["--header", "NoColon"], ["Name: value"]),
    (["--header", "X: a\r\nInjected: b"], ["Name: value"]),
    (["--origin-listen", "127.0.0.1:1"], ["--origin-listen goes with"]),
    (["--mode", "reverse-proxy", "--origin-listen", "nonsense"], ["bad --origin-listen"]),
    (["--mode", "bogus"], ["unknown mode"]),
    (["--bogus-flag"], ["bad or incomplete option"]),

    (["-k", "nomatch/*"], ["no case matches"]),
    (["--cases", "/nonexistent-h1xx-cases"], ["/nonexistent-h1xx-cases"]),
]

BAD_URLS = [
    ("http://127.0.0.1:9/ http://127.0.0.1:10/", ["one URL only"]),
    ("ftp://example/", ["scheme"]),
    ("http://[::1/", ["unterminated IPv6"]),
    ("http://127.0.0.1:99999/", ["port must be 1-65535"]),
    ("http://127.0.0.1:0/", ["port must be 1-65535"]),
    ("http://user@127.0.0.1/", ["user info"]),
    ("http://127.0.0.1/a\x01b", ["control characters"]),
    ("http:///", ["no host"]),
    ("unix:", ["no socket path"]),
]


def fd_limit_section(workdir):
    """More cases at once than the open-file limit holds: refused before the run (exit 2, the
    count and how to raise the limit), never EMFILE in the middle of it."""
    d = tempfile.mkdtemp(prefix="h1xx-input-", dir=workdir)
    p = subprocess.run([ARGS.h1xx, "--report-dir", "reports", "--repeat", "500", "-j", "500",
                        "-k", "http10/*", "http://127.0.0.1:9/"], cwd=d, capture_output=True,
                       timeout=30, preexec_fn=lambda: resource.setrlimit(
                           resource.RLIMIT_NOFILE, (256, 256)))
    err = p.stderr.decode("utf-8", "replace")
    ok = p.returncode == 2 and "open files" in err and "ulimit" in err and \
        not os.path.exists(os.path.join(d, "reports"))
    record("-j 500 under a 256-descriptor limit: exit 2 before the run, naming the limit",
           ok, "exit %d: %r" % (p.returncode, err[:300]))


def input_section(workdir):
    badcase_section(workdir)
    fd_limit_section(workdir)
    for flags, words in BAD_FLAGS:
        expect_usage("bad flag %s: exit 2" % " ".join(flags).encode("unicode_escape").decode(),
                     flags + ["--report-dir", "reports", "http://127.0.0.1:9/"], 2, words,
                     workdir)
    expect_usage("bad flag --timeout without its value (last): exit 2",
                 ["--report-dir", "reports", "http://127.0.0.1:9/", "--timeout"], 2,
                 ["bad or incomplete option"], workdir)
    for url, words in BAD_URLS:
        expect_usage("bad URL %r: exit 2" % url, ["--report-dir", "reports"] + url.split(" "),
                     2, words, workdir)
    for flags, words in ((["--report-dir", "/proc/h1xx-no"], ["/proc"]),
                         (["--junit", "/proc/h1xx-no/j.xml"], ["/proc/h1xx-no"]),
                         (["--json", "/proc/self/h1xx.json"], ["/proc/self"]),
                         (["--report-dir", "/etc/hostname"], ["/etc/hostname"])):
        expect_usage("unwritable report path %s: exit 2 before the run" % flags[1],
                     flags + ["http://127.0.0.1:9/"], 2, words, workdir)
    with harness.start("hostile.py", ["--behaviour", "plain-http"]) as fx:
        expect_usage("target refusing TLS (plain port behind https://): exit 3, no report",
                     ["--report-dir", "reports", "--timeout", "2s",
                      "https://127.0.0.1:%d/" % fx.port], 3, ["cannot reach", "SSL"], workdir)
        expect_usage("missing --cacert file: exit 3, no report",
                     ["--report-dir", "reports", "--timeout", "2s", "--cacert",
                      "/nonexistent-ca.pem", "https://127.0.0.1:%d/" % fx.port], 3,
                     ["cannot reach"], workdir)
    expect_usage("unix socket that does not exist: exit 3, no report",
                 ["--report-dir", "reports", "unix:/nonexistent-h1xx.sock"], 3,
                 ["cannot reach"], workdir)
    with harness.start("hostile.py", ["--behaviour", "backlog-full"]) as fx:
        expect_usage("server whose backlog is full (connect never completes): exit 3",
                     ["--report-dir", "reports", "--timeout", "1s",
                      "http://127.0.0.1:%d/" % fx.port], 3, ["cannot reach", "Timeout"], workdir)


# ---- main -----------------------------------------------------------------------------------

def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("h1xx", nargs="?", default=os.path.join(ROOT, "h1xx"))
    p.add_argument("-k", default="", help="only hostile runs whose name holds this text")
    p.add_argument("--jobs", type=int, default=8, help="hostile runs at once (default 8)")
    p.add_argument("--slack", type=float, default=4.0,
                   help="seconds a run may take past its deadline and probe, for starting up "
                   "and writing reports of up to ~50 MB (default 4; more for sanitizer builds)")
    p.add_argument("--skip-input", action="store_true", help="hostile servers only")
    p.add_argument("--rss-limit", type=int, default=256,
                   help="MiB the watched runs may use at their peak (default 256)")
    ARGS = p.parse_args()
    ARGS.h1xx = os.path.abspath(ARGS.h1xx)
    if not os.access(ARGS.h1xx, os.X_OK):
        raise SystemExit("robustness: no h1xx binary at %s" % ARGS.h1xx)
    ARGS.tmp = tempfile.mkdtemp(prefix="h1xx-robustness-")
    t0 = time.monotonic()
    try:
        hostile_section()
        if not ARGS.k:
            interrupt_section()
        if not ARGS.k and not ARGS.skip_input:
            input_section(ARGS.tmp)
    finally:
        failed_any = any(not ok for _, ok in RESULTS)
        if not failed_any:
            shutil.rmtree(ARGS.tmp, ignore_errors=True)
    print("robustness took %.1fs" % (time.monotonic() - t0))
    sys.exit(summary("robustness"))


if __name__ == "__main__":
    main()
