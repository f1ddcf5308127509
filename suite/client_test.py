#!/usr/bin/python3
"""client_test: proves h1xx's client mode (h1xx client [options] -- COMMAND).

1. `h1xx client --list` shows the client cases (at least 12), and only them.
2. Conformance: with fixtures/client.py as the driver every client case passes; for each
   violator in suite/client_violators.tsv the cases listed for it fail (warn, for a SHOULD)
   citing exactly the listed requirement, while every other case passes or skips. A client case
   that no violator makes fail is a defect.
3. Real clients: with `curl -sS '{url}'` as the driver every case gets a verdict (pass, fail,
   warn or skip: never error or not-run), the exit status is 0 or 1, and the JUnit report is
   valid (suite/check_reports.py).
4. The driver contract: a driver that hangs is killed at its bound (a verdict, not a hung run),
   one that cannot start is an error, one that prints the wrong body fails citing CLI-1, the
   placeholders and H1XX_* variables reach it, and `h1xx client` without a driver is exit 2.
5. --serve: the cases' JSON lines, the reference client posting its results, every case
   passing; a client that never comes is a failure at the case's bound.

Usage: client_test.py ./h1xx [-k SUBSTRING]. The last line is "client: N passed, N failed".
"""
import concurrent.futures
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from testlib import H1XX, ONLY, record, run_h1xx, summary  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = "/usr/bin/python3"
# -j 8 and a 6 s long timeout: sixteen Python drivers starting at once on two busy cores can
# take seconds to send their request (the driver's start is not the client's wait)
FAST = ["--timeout", "1500ms", "--long-timeout", "6s", "--quiet-time", "400ms", "-j", "8"]
NO_EXPECT = ["client/cli15-expect-when-waiting"]  # their premise: a client that asks for no 100
CLIENT = [PY, os.path.join(ROOT, "fixtures", "client.py"), "{url}", "--method", "{method}",
          "--body", "{body}", "--upgrade", "{upgrade}", "--headers", "{headers}", "--url2", "{url2}"]


def client_run(workdir, name, driver, extra=()):
    """Runs every client case with driver; returns (exit, stdout, stderr, results, junit)."""
    js = os.path.join(workdir, name + ".json")
    junit = os.path.join(workdir, name + ".xml")
    rc, out, err = run_h1xx(["client", "--json", js, "--junit", junit, "--no-reports"] + FAST +
                            list(extra) + ["--"] + list(driver), timeout=180)
    try:
        with open(js) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        data = {"cases": [], "error": str(e)}
    return rc, out, err, data, junit, js


def load_levels():
    levels = {}
    with open(os.path.join(ROOT, "cases", "requirements.tsv")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                cols = line.rstrip("\n").split("\t")
                levels[cols[0]] = cols[1].split(",")[0]
    return levels


def load_table():
    table = {}
    with open(os.path.join(ROOT, "suite", "client_violators.tsv")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                violator, case, req = line.rstrip("\n").split("\t")
                table.setdefault(violator, {})[case] = req
    return table


def list_ids():
    rc, out, err = run_h1xx(["client", "--list"])
    return rc, [ln.split()[0] for ln in out.splitlines() if ln and "/" in ln.split()[0]]


# ---- 1. the list ----------------------------------------------------------------------------

def listing():
    rc, ids = list_ids()
    record("h1xx client --list shows at least 12 client cases, and only client cases",
           rc == 0 and len(ids) >= 12 and all(i.startswith("client/") for i in ids),
           f"exit {rc}: {ids}")
    rc2, out, err = run_h1xx(["--list"])
    record("the origin mode's --list has no client case", "client/" not in out, out[-500:])
    return ids


# ---- 2. conformance -------------------------------------------------------------------------

def judge(levels, ids, wanted, data, violator, covered):
    """Problems with one violator's run: its cases must fail citing their requirement, every
    other case pass or skip."""
    problems = []
    got = {c["id"]: c for c in data.get("cases", [])}
    for i in ids:
        c = got.get(i)
        if c is None:
            problems.append(f"{i}: no result ({data.get('error', '')})")
            continue
        if i in wanted:
            req = wanted[i]
            want = "warn" if levels.get(req) in ("SHOULD", "PRACTICE") else "fail"
            if c["verdict"] == want and c.get("failed_require") == req:
                covered.add(i)
            else:
                problems.append(f"{i}: expected {want} citing {req}, got {c['verdict']} "
                                f"citing {c.get('failed_require')}: {c.get('message')}")
        elif c["verdict"] not in ("pass", "skip"):
            problems.append(f"{i}: expected pass or skip under {violator}, got {c['verdict']}: "
                            f"{c.get('message')}")
    return problems


def conformance(workdir, ids):
    levels = load_levels()
    table = load_table()
    rc, out, err, ref, junit, js = client_run(workdir, "reference", CLIENT)
    bad = [f"{c['id']}={c['verdict']}: {c.get('message')}" for c in ref["cases"]
           if c["verdict"] != "pass" and not (c["id"] in NO_EXPECT and c["verdict"] == "skip")]
    record("reference client: every client case passes (" + ", ".join(NO_EXPECT) +
           " skips: the reference asks for a 100)",
           rc == 0 and not bad and len(ref["cases"]) == len(ids),
           f"exit {rc}; {len(ref['cases'])} of {len(ids)} cases; not passing: {bad}\n{err[-2000:]}")
    rc, out, err, ne, _, _ = client_run(workdir, "reference-no-expect", CLIENT + ["--no-expect"],
                                        [a for i in NO_EXPECT for a in ("-k", i)])
    bad = [f"{c['id']}={c['verdict']}: {c.get('message')}" for c in ne["cases"]
           if c["verdict"] != "pass"]
    record("reference client --no-expect (never asks for a 100): " + ", ".join(NO_EXPECT) +
           " pass", rc == 0 and not bad and len(ne["cases"]) == len(NO_EXPECT), f"exit {rc}: {bad}")
    check = subprocess.run([PY, os.path.join(ROOT, "suite", "check_reports.py"), junit, js],
                           capture_output=True, text=True)
    record("reference run: JUnit valid and agreeing with the JSON", check.returncode == 0,
           check.stdout + check.stderr)
    # RFC 9112 §9.6: h1xx's server closes after a request with Connection: close, so a client
    # without persistent connections (reading every body to the close) is neither failed nor
    # warned: a server that kept the connection open would leave it hanging to its bound
    rc, out, err, closer, _, _ = client_run(workdir, "reference-close", CLIENT + ["--close"])
    bad = [f"{c['id']}={c['verdict']}: {c.get('message')}" for c in closer["cases"]
           if c["verdict"] not in ("pass", "skip")]
    record("reference client with Connection: close, reading to the close: no failure, no "
           "warning", rc == 0 and not bad and len(closer["cases"]) == len(ids),
           f"exit {rc}; {len(closer['cases'])} of {len(ids)} cases; {bad}\n{err[-1500:]}")
    covered = set()
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futs = {pool.submit(client_run, workdir, v, CLIENT + ["--violate", v]): v
                for v in table if not ONLY or ONLY in v}
        for fut in concurrent.futures.as_completed(futs):
            v = futs[fut]
            rc, out, err, data, _, _ = fut.result()
            problems = judge(levels, ids, table[v], data, v, covered)
            # a SHOULD broken warns: the exit status is 1 only when a MUST failed
            want_rc = 1 if any(levels.get(r) == "MUST" for r in table[v].values()) else 0
            record(f"violator {v}: exactly its {len(table[v])} case(s) fail, each citing its "
                   f"requirement (exit {want_rc})", not problems and rc == want_rc,
                   f"exit {rc}\n    " + "\n    ".join(problems))
    if not ONLY:
        missing = [i for i in ids if i not in covered]
        record("every client case is proved by a violator", not missing, ", ".join(missing))


# ---- 3. a real client -----------------------------------------------------------------------

def with_curl(workdir, ids):
    if not shutil.which("curl"):
        record("curl as the driver (skipped: curl is not installed)", True)
        return
    rc, out, err, data, junit, js = client_run(workdir, "curl", ["curl", "-sS", "{url}"])
    verdicts = {c["id"]: c["verdict"] for c in data.get("cases", [])}
    odd = {i: v for i, v in verdicts.items() if v not in ("pass", "fail", "warn", "skip")}
    record("curl -sS '{url}': a verdict for every case, exit 0 or 1",
           rc in (0, 1) and set(verdicts) == set(ids) and not odd,
           f"exit {rc}; {odd}; {sorted(set(ids) - set(verdicts))}\n{err[-1500:]}")
    check = subprocess.run([PY, os.path.join(ROOT, "suite", "check_reports.py"), junit, js],
                           capture_output=True, text=True)
    record("curl run: JUnit valid and agreeing with the JSON", check.returncode == 0,
           check.stdout + check.stderr)


# ---- 4. the driver contract -----------------------------------------------------------------

def contract(workdir):
    one = ["-k", "client/cli1-103-link"]
    t0 = time.monotonic()
    rc, out, err, data, _, _ = client_run(workdir, "hang", ["sleep", "60"],
                                          one + ["--long-timeout", "1s", "--timeout", "1s"])
    took = time.monotonic() - t0
    c = (data.get("cases") or [{}])[0]
    record("a hung driver is killed at its bound: fail, citing CLI-1, within seconds",
           rc == 1 and c.get("verdict") == "fail" and c.get("failed_require") == "CLI-1" and
           took < 15, f"exit {rc} in {took:.1f}s: {c.get('verdict')} {c.get('message')}")
    rc, out, err, data, _, _ = client_run(workdir, "missing", ["/nonexistent/h1xx-driver"], one)
    c = (data.get("cases") or [{}])[0]
    record("a driver that cannot start: error, naming it", c.get("verdict") == "error" and
           "cannot start the driver" in (c.get("message") or ""), f"{c}")
    wrong = 'curl -sS -o /dev/null "$1"; echo not-the-token'
    rc, out, err, data, _, _ = client_run(workdir, "wrong", ["sh", "-c", wrong, "drv", "{url}"],
                                          one)
    c = (data.get("cases") or [{}])[0]
    record("a driver printing the wrong body fails, citing CLI-1, saying what it printed",
           c.get("verdict") == "fail" and c.get("failed_require") == "CLI-1" and
           "not-the-token" in (c.get("message") or ""), f"{c.get('message')}")
    # exit 77: "this client cannot do this case", in every case, before or after its request
    for name, drv in (("decline", 'echo "cannot do $H1XX_CASE" >&2; exit 77'),
                      ("decline-late", 'curl -sS -o /dev/null --max-time 4 "$1"; '
                                       'echo "cannot do $H1XX_CASE" >&2; exit 77')):
        rc, out, err, data, _, _ = client_run(workdir, name, ["sh", "-c", drv, "drv", "{url}"])
        bad = [f"{c['id']}={c['verdict']}: {c.get('message')}" for c in data.get("cases", [])
               if c["verdict"] != "skip" or (name == "decline" and (
                   "exit status 77" not in (c.get("message") or "")
                   or "cannot do client/" not in (c.get("message") or "")))]
        record(f"a driver exiting 77 ({name}): every case skips" +
               (", quoting its stderr line" if name == "decline" else ""),
               rc == 0 and data.get("cases") and not bad, f"exit {rc}: {bad[:6]}")
    script = ('test "$H1XX_URL" = "$1" && test "$H1XX_METHOD" = "$2" && test -f "$3" && '
              'test "$H1XX_BODY" = "$3" && test "$H1XX_CASE" = client/cli1-103-link && '
              'exec curl -sS "$1"')
    rc, out, err, data, _, _ = client_run(workdir, "env", ["sh", "-c", script, "drv", "{url}",
                                                            "{method}", "{body}"], one)
    c = (data.get("cases") or [{}])[0]
    record("placeholders and H1XX_URL, H1XX_METHOD, H1XX_BODY, H1XX_CASE reach the driver",
           c.get("verdict") == "pass", f"{c.get('verdict')}: {c.get('message')} {c.get('notes')}")
    parts = []
    for i in (1, 2):
        js = os.path.join(workdir, f"shard{i}.json")
        run_h1xx(["client", "--shard", f"{i}/2", "--no-reports", "--json", js] + FAST +
                 ["--"] + CLIENT, timeout=180)
        parts.append(js)
    merged = os.path.join(workdir, "merged.json")
    rc, out, err = run_h1xx(["merge", merged] + parts)
    try:
        with open(merged) as f:
            m = json.load(f)
    except (OSError, ValueError):
        m = {"cases": [], "summary": {}}
    record("--shard 1/2 and 2/2, then h1xx merge: every client case once, all passing (but the "
           "no-Expect ones)",
           rc == 0 and m.get("mode") == "client" and len(m["cases"]) == len(list_ids()[1]) and
           m["summary"].get("pass") == len(m["cases"]) - len(NO_EXPECT),
           f"exit {rc}: {m.get('summary')} {err}")
    rc, out, err = run_h1xx(["client"])
    record("h1xx client without a driver: exit 2 with a message", rc == 2 and "driver" in err,
           f"{rc} {err}")
    rc, out, err = run_h1xx(["client", "--listen", "127.0.0.1:bad", "--", "true"])
    record("h1xx client --listen with a bad address: exit 2", rc == 2 and "listen" in err,
           f"{rc} {err}")


# ---- 5. --serve -----------------------------------------------------------------------------

def post_result(result_url, body, error=None, fields=()):
    """POSTs a client's result: the body it got, X-H1xx-Error when it failed, and the final
    response's fields as X-H1xx-Header fields."""
    u = urllib.parse.urlsplit(result_url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.putrequest("POST", u.path)
    conn.putheader("Content-Length", str(len(body)))
    if error:
        conn.putheader("X-H1xx-Error", error)
    for line in fields:
        conn.putheader("X-H1xx-Header", line)
    conn.endheaders(body)
    status = conn.getresponse().status
    conn.close()
    return status


def serve_one(line):
    """Plays one announced case with the reference client and posts what it got."""
    m = json.loads(line)
    with tempfile.NamedTemporaryFile(prefix="h1xx-serve-") as hf:
        p = subprocess.run([PY, os.path.join(ROOT, "fixtures", "client.py"), m["url"],
                            "--method", m["method"], "--body", m["body"], "--upgrade",
                            m["upgrade"], "--headers", hf.name, "--url2", m.get("url2", "")],
                           capture_output=True, timeout=60)
        fields = [ln for ln in hf.read().decode("latin-1").splitlines() if ln]
    err = p.stderr.decode("latin-1").strip().replace("\n", " ")[:200] if p.returncode else None
    return post_result(m["result"], p.stdout, err or ("exit %d" % p.returncode
                                                       if p.returncode else None), fields)


def serve(workdir, ids):
    """h1xx client --serve: one JSON line a case on stdout; the reference client plays each
    and posts its result; every case passes and the run ends by itself."""
    js = os.path.join(workdir, "serve.json")
    proc = subprocess.Popen([H1XX, "client", "--serve", "--no-reports", "--json", js] + FAST,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # each line is played as it comes: a case with a control run announces its next run only
    # once the client has posted the result of the one before
    lines, futs = [], []
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            for line in proc.stdout:
                if line.startswith("{"):
                    lines.append(line)
                    futs.append(pool.submit(serve_one, line))
            statuses = [f.result() for f in futs]
        # a case that skips on its premise ends before its client posts: 404 for that result
        statuses = [st for st, ln in zip(statuses, lines)
                    if not (st == 404 and json.loads(ln)["case"] in NO_EXPECT)]
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()  # this pid only
            proc.wait()
    try:
        with open(js) as f:
            data = json.load(f)
    except (OSError, ValueError):
        data = {"cases": []}
    bad = [f"{c['id']}={c['verdict']}: {c.get('message')}" for c in data["cases"]
           if c["verdict"] != "pass" and not (c["id"] in NO_EXPECT and c["verdict"] == "skip")]
    cases = {json.loads(ln)["case"] for ln in lines}
    record("--serve: a JSON line for every case (one a client run), each result accepted "
           "(204), every case passes with the reference client",
           cases == set(ids) and set(statuses) == {204} and
           not bad and proc.returncode == 0,
           f"{len(lines)} lines, statuses {set(statuses)}, exit {proc.returncode}: {bad}")
    rc, out, err = run_h1xx(["client", "--serve", "--no-reports", "-k", "client/cli1-103-link",
                             "--long-timeout", "1s", "--timeout", "500ms"])
    record("--serve: a case whose client never comes fails at its bound, citing CLI-1",
           rc == 1 and "CLI-1" in out, f"exit {rc}: {out[-600:]}")
    rc, out, err = run_h1xx(["client", "--serve", "--", "curl", "{url}"])
    record("--serve with a driver: exit 2", rc == 2 and "--serve" in err, f"{rc} {err}")


def main():
    workdir = tempfile.mkdtemp(prefix="h1xx-client-test-")
    try:
        ids = listing()
        if not ONLY or ONLY == "contract":
            contract(workdir)
        conformance(workdir, ids)
        if not ONLY:
            with_curl(workdir, ids)
        if not ONLY or ONLY == "serve":
            serve(workdir, ids)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return summary("client")


if __name__ == "__main__":
    sys.exit(main())
