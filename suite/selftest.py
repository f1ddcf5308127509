#!/usr/bin/python3
"""h1xx self-test: proves every case against the fixtures, then checks the CLI end to end.

1. Conformance: every case passes (or skips with a reason) against the reference origin, and
   for each violator in suite/violators.tsv the cases mapped to it fail (or warn, for a SHOULD)
   citing exactly the violator's requirement, while every other case still passes or skips.
   A case that no violator makes fail is reported as a defect.
2. End to end: exit statuses, reports (schema-valid JUnit read back by junitparser, JSON),
   unix/IPv6/TLS targets, bad flags, bad case files, deadlines and interrupts, shards merged
   by `h1xx merge`.

Usage: selftest.py ./h1xx [-k SUBSTRING]. The last line is "selftest: N passed, N failed".
"""
import concurrent.futures
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "fixtures"))
import harness  # noqa: E402
import skips  # noqa: E402  (suite/skips.py: checks make test skipped)

FAST = ["--timeout", "1500ms", "--long-timeout", "4s", "--quiet-time", "400ms"]
import demo  # noqa: E402  (fixtures/demo.py: the reference variables)
from testlib import H1XX, ONLY, free_port, record, run_h1xx, summary  # noqa: E402
REF_SETS = demo.reference_sets()


def load_levels(role="origin"):
    """Requirement id -> its level for the role the target plays (origin, gateway for
    reverse-proxy mode, proxy for forward-proxy mode): LEVEL is "MUST,gateway=PRACTICE"."""
    levels = {}
    with open(os.path.join(ROOT, "cases", "requirements.tsv")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                cols = line.rstrip("\n").split("\t")
                words = cols[1].split(",")
                overrides = dict(w.split("=", 1) for w in words[1:])
                levels[cols[0]] = overrides.get(role, words[0])
    return levels


def list_case_ids():
    rc, out, err = run_h1xx(["--list"])
    if rc != 0:
        raise SystemExit("h1xx --list failed: " + err)
    return [line.split()[0] for line in out.splitlines() if "/" in line.split()[0]]


def run_against(violations, workdir, extra=()):
    """Starts the origin fixture with the given violator switches and runs every case."""
    args = []
    for v in violations:
        args += ["--violate", v]
    name = "-".join(violations) or "reference"
    json_path = os.path.join(workdir, name + ".json")
    junit_path = os.path.join(workdir, name + ".xml")
    with harness.start("origin.py", args) as fx:
        rc, out, err = run_h1xx(["--json", json_path, "--junit", junit_path] + FAST + REF_SETS +
                                list(extra) + [f"http://127.0.0.1:{fx.port}/"])
    try:
        with open(json_path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        data = {"cases": [], "error": str(e)}
    return rc, out, err, data, junit_path, json_path


# ---- 1. conformance ------------------------------------------------------------------------

def conformance(workdir):
    levels = load_levels()
    table = load_table("violators.tsv")
    ids = list_case_ids()
    rc, out, err, ref, junit, js = run_against([], workdir)
    verdicts = {c["id"]: c for c in ref["cases"]}
    bad = [f"{i}={verdicts.get(i, {}).get('verdict')}" for i in ids
           if verdicts.get(i, {}).get("verdict") != "pass"]
    record("reference origin: every case passes", rc == 0 and not bad,
           f"exit {rc}; not passing: {', '.join(bad)}\n{out[-3000:]}")
    check = subprocess.run([sys.executable, os.path.join(ROOT, "suite", "check_reports.py"),
                            junit, js], capture_output=True, text=True)
    record("reference run: JUnit valid against the XSD, junitparser counts match the JSON",
           check.returncode == 0, check.stdout + check.stderr)

    covered = set()
    futures = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        for violator, req, cases in table:
            if ONLY and ONLY not in violator:
                continue
            futures[pool.submit(run_against, [violator], workdir)] = (violator, req, cases)
        for fut in concurrent.futures.as_completed(futures):
            violator, req, cases = futures[fut]
            rc, out, err, data, _, _ = fut.result()
            problems = judge_violator(levels, ids, req, cases, data, violator, covered)
            record(f"violator {violator}: exactly its cases catch {req}", not problems,
                   "\n    " + "\n    ".join(problems))
    if not ONLY:
        missing = [i for i in ids if i not in covered]
        record("every case is proved by a violator", not missing,
               "cases no violator makes fail: " + ", ".join(missing))


# ---- 2. end to end -------------------------------------------------------------------------

def e2e_exit_statuses(workdir):
    rc, out, err = run_h1xx(["--no-such-flag", "http://127.0.0.1:1/"])
    record("bad flag: exit 2 with a message", rc == 2 and "h1xx:" in err, f"{rc} {err}")
    rc, out, err = run_h1xx(["--jobs", "zero", "http://127.0.0.1:1/"])
    record("bad number: exit 2", rc == 2 and "bad number" in err, f"{rc} {err}")
    rc, out, err = run_h1xx(["ftp://example/"])
    record("bad URL: exit 2", rc == 2 and "scheme" in err, f"{rc} {err}")
    rc, out, err = run_h1xx([])
    record("no URL: exit 2", rc == 2 and "no target" in err, f"{rc} {err}")
    rc, out, err = run_h1xx(["--version"])
    record("--version: exit 0", rc == 0 and out.startswith("h1xx "), f"{rc} {out}")
    rc, out, err = run_h1xx(["--help"])
    record("--help lists every option", rc == 0 and "--deadline" in out and "--set" in out, out)
    # a port nobody listens on (bound, not listening)
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    rc, out, err = run_h1xx(["--no-reports", f"http://127.0.0.1:{port}/"])
    s.close()
    record("unreachable target: exit 3, one clear line", rc == 3 and "cannot reach" in err,
           f"{rc} {err}")
    rc, out, err = run_h1xx(["--no-reports", "--timeout", "2s", "http://nonexistent.invalid/"])
    record("unresolvable host: exit 3", rc == 3 and "cannot reach" in err, f"{rc} {err}")
    rc, out, err = run_h1xx(["--report-dir", "/proc/h1xx-no", "http://127.0.0.1:1/"])
    record("unwritable report folder: exit 2 before the run", rc == 2 and "report" in err,
           f"{rc} {err}")


def e2e_wait_body(workdir):
    """The issue's acceptance check: an origin that waits for the body fails EXP-1, exit 1."""
    rc, out, err, data, _, _ = run_against(["wait-body"], workdir, ["-k", "continue/exp1-*"])
    lines = out.strip().splitlines()
    record("wait-body origin: exit 1, EXP-1 failure reported with evidence",
           rc == 1 and "EXP-1" in out and "expected interim 100 or final" in out
           and lines and lines[-1].endswith("skipped"), f"exit {rc}\n{out[-2000:]}")


def e2e_filter_list():
    rc, out, err = run_h1xx(["--list", "-k", "http10/*"])
    ids = [l.split()[0] for l in out.splitlines() if "/" in l.split()[0]]
    record("--list -k filters by glob", rc == 0 and ids and all(i.startswith("http10/") for i in ids),
           out)


def e2e_bad_cases(workdir):
    bad = os.path.join(workdir, "badcases")
    shutil.copytree(os.path.join(ROOT, "cases"), bad)
    with open(os.path.join(bad, "continue", "broken.case"), "w") as f:
        f.write("id continue/broken\ntitle t\nrequire EXP-1\nlevel MUST\n> GET / HTTP/1.1\n"
                "expect sideways within 1s\n")
    rc, out, err = run_h1xx(["--cases", bad, "--list"])
    record("bad case file: exit 2 with file:line: message",
           rc == 2 and "broken.case:6:" in err and "sideways" in err, f"{rc} {err}")


def e2e_targets(workdir):
    sock = os.path.join(workdir, "origin.sock")
    with harness.start("origin.py", ["--unix", sock]) as fx:
        rc, out, err = run_h1xx(["--no-reports", "-k", "continue/*"] + FAST + REF_SETS +
                                [f"unix:{sock}"])
    record("unix socket target", rc == 0, f"exit {rc}\n{out[-1500:]}{err}")
    with harness.start("origin.py", ["--host", "::1"]) as fx:
        rc, out, err = run_h1xx(["--no-reports", "-k", "http10/*"] + FAST +
                                [f"http://[::1]:{fx.port}/"])
    record("IPv6 target", rc == 0, f"exit {rc}\n{out[-1500:]}{err}")
    cert, key = os.path.join(workdir, "cert.pem"), os.path.join(workdir, "key.pem")
    gen = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                          "2", "-subj", "/CN=localhost", "-addext",
                          "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out",
                          cert], capture_output=True)
    if gen.returncode != 0:
        record("TLS target", False, "openssl could not make a certificate")
        return
    with harness.start("origin.py", ["--tls-cert", cert, "--tls-key", key]) as fx:
        url = f"https://127.0.0.1:{fx.port}/"
        rc, out, err = run_h1xx(["--no-reports", "-k", "continue/exp1-*", "--cacert", cert] +
                                FAST + [url])
        record("TLS target with --cacert", rc == 0, f"exit {rc}\n{out[-1500:]}{err}")
        rc, out, err = run_h1xx(["--no-reports", "-k", "continue/exp1-*", "--insecure"] +
                                FAST + [url])
        record("TLS target with --insecure", rc == 0, f"exit {rc}\n{err}")
        rc, out, err = run_h1xx(["--no-reports", "-k", "continue/exp1-*"] + FAST + [url])
        record("TLS target, certificate not trusted: exit 3", rc == 3 and "cannot reach" in err,
               f"exit {rc}\n{err}")


def e2e_skip_reason(workdir):
    with harness.start("origin.py", []) as fx:
        json_path = os.path.join(workdir, "skip.json")
        rc, out, err = run_h1xx(["--json", json_path, "--junit", json_path + ".xml",
                                 "-k", "continue/exp3-*"] + FAST + [f"http://127.0.0.1:{fx.port}/"])
    with open(json_path) as f:
        c = json.load(f)["cases"][0]
    record("unset variable: skip naming the --set that enables it",
           rc == 0 and c["verdict"] == "skip" and "--set reject_path=" in c["message"],
           f"{rc} {c}")


def e2e_deadline_and_interrupt(workdir):
    with harness.start("origin.py", ["--violate", "no-final-after-100"]) as fx:
        url = f"http://127.0.0.1:{fx.port}/"
        t0 = time.monotonic()
        json_path = os.path.join(workdir, "deadline.json")
        rc, out, err = run_h1xx(["--json", json_path, "--junit", json_path + ".xml",
                                 "--long-timeout", "30s", "--deadline", "2s", url])
        took = time.monotonic() - t0
        with open(json_path) as f:
            data = json.load(f)
        record("--deadline bounds the run; cut cases are not-run; exit 1",
               took < 6 and rc == 1 and data["deadline_hit"] and data["summary"]["not-run"] > 0,
               f"took {took:.1f}s exit {rc} {data['summary']}")
        json_path = os.path.join(workdir, "intr.json")
        p = subprocess.Popen([H1XX, "--json", json_path, "--junit", json_path + ".xml",
                              "--long-timeout", "30s", "-j", "2", url],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        p.send_signal(signal.SIGINT)
        try:
            p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
        ok = p.returncode == 130
        data = {}
        try:
            with open(json_path) as f:
                data = json.load(f)
        except (OSError, ValueError) as e:
            ok = False
            data = {"error": str(e)}
        leftovers = [n for n in os.listdir(workdir) if ".tmp." in n]
        record("SIGINT: exit 130, reports written and marked interrupted, no temp files",
               ok and data.get("interrupted") is True and not leftovers
               and data["summary"]["not-run"] > 0,
               f"exit {p.returncode} {data.get('summary')} leftovers={leftovers}")


# What python3-websockets 10.4 (Debian 12), a WebSocket server nobody here wrote, does with the
# upgrade cases: every handshake, accept-key and echo case passes, and these fail for real (the
# transcripts show it): the 101 comes without the 100 an Expect asked for (RFC 9110 §7.8), its
# 426 carries Upgrade without Connection: upgrade (§7.8), and an unsupported version gets a 400
# without Sec-WebSocket-Version (RFC 6455 §4.2.2).
REAL_WS_FAILS = {
    "upgrade/upg5-100-before-101": "UPG-5",
    "upgrade/upg4-426-has-upgrade": "UPG-3",
    "upgrade/upg9-unknown-token": "UPG-3",
    "upgrade/ws-bad-no-connection-token": "UPG-3",
    "upgrade/ws-version-8": "WS-4",
    "upgrade/ws-version-25": "WS-4",
    "upgrade/h2c-probe": "UPG-3",       # h-sentences: its 426 to a non-WebSocket request
}


def e2e_real_websocket(workdir):
    probe = subprocess.run(["/usr/bin/python3", "-c", "import websockets"], capture_output=True)
    if probe.returncode != 0:
        record("real WebSocket server (python3-websockets)", False,
               "python3-websockets is not installed (make deps installs it)")
        return
    json_path = os.path.join(workdir, "realws.json")
    with harness.start("ws_real.py", []) as fx:
        rc, out, err = run_h1xx(["--json", json_path, "--junit", json_path + ".xml", "-k",
                                 "upgrade/*", "--set", "ws_path=/", "--set", "ws_echo_path=/"] +
                                FAST + [f"http://127.0.0.1:{fx.port}/"])
    with open(json_path) as f:
        cases = json.load(f)["cases"]
    problems = []
    for c in cases:
        want = REAL_WS_FAILS.get(c["id"])
        if want and (c["verdict"] != "fail" or c.get("failed_require") != want):
            problems.append(f"{c['id']}: expected fail citing {want}, got {c['verdict']} "
                            f"{c.get('failed_require')}: {c.get('message')}")
        if not want and c["verdict"] != "pass":
            problems.append(f"{c['id']}: expected pass, got {c['verdict']}: {c.get('message')}")
    passed = sum(1 for c in cases if c["verdict"] == "pass")
    record(f"real WebSocket server (python3-websockets): {passed} of {len(cases)} upgrade cases "
           f"pass, the rest fail for the documented reasons", not problems and cases,
           "\n    " + "\n    ".join(problems))


def e2e_shard_merge(workdir):
    """Two shards run separately and merged give exactly the cases and verdicts of one
    unsharded run (against a violator, so that verdicts differ), and valid merged reports."""
    def verdicts(path):
        with open(path) as f:
            return [(c["id"], c["verdict"], c["failed_require"]) for c in json.load(f)["cases"]]
    paths = {}
    with harness.start("origin.py", ["--violate", "wait-body"]) as fx:
        url = f"http://127.0.0.1:{fx.port}/"
        for name, extra in (("all", []), ("s1", ["--shard", "1/2"]), ("s2", ["--shard", "2/2"]),
                            ("e1", ["-k", "http10/get-*", "--shard", "4/4"])):
            d = os.path.join(workdir, "shard-" + name)
            rc, out, err = run_h1xx(["--report-dir", d] + FAST + REF_SETS + extra + [url])
            paths[name] = os.path.join(d, "results.json")
            if rc not in (0, 1):
                record(f"shard run {name}", False, f"exit {rc} {err}")
                return
    merged = os.path.join(workdir, "merged.json")
    mx, mh = merged + ".xml", merged + ".html"
    rc, out, err = run_h1xx(["merge", "--junit", mx, "--html", mh, merged, paths["s2"],
                             paths["s1"]])
    want, got = verdicts(paths["all"]), verdicts(merged) if rc in (0, 1) else []
    s1, s2 = verdicts(paths["s1"]), verdicts(paths["s2"])
    record("--shard 1/2 + 2/2, merged: exactly the cases and verdicts of one unsharded run",
           rc == 1 and got == want and len(s1) + len(s2) == len(want) and s1 and s2
           and any(v[1] == "fail" for v in want) and any(v[1] == "pass" for v in want),
           f"merge exit {rc} {err}\nunsharded {want}\nmerged {got}")
    check = subprocess.run([sys.executable, os.path.join(ROOT, "suite", "check_reports.py"),
                            mx, merged], capture_output=True, text=True)
    record("merged JUnit valid against the XSD and agreeing with the merged JSON; HTML written",
           check.returncode == 0 and os.path.getsize(mh) > 1000, check.stdout + check.stderr)
    with open(paths["e1"]) as f:
        empty = json.load(f)
    record("an empty shard (more shards than cases) writes empty reports",
           empty["summary"]["total"] == 0 and empty["shard"] == "4/4", str(empty["summary"]))
    rc, out, err = run_h1xx(["merge", merged + ".2", paths["s1"]])
    record("merge refuses a missing shard (exit 2)", rc == 2 and "shard 2/2 is missing" in err,
           f"{rc} {err}")
    rc, out, err = run_h1xx(["merge", merged + ".3", paths["all"], paths["all"]])
    record("merge refuses a case given twice (exit 2)", rc == 2 and "is in both" in err,
           f"{rc} {err}")


# ---- 3. proxy modes -------------------------------------------------------------------------

PROXY_SETS = ["--set", "prc5_interval=500ms"]


def load_table(name):
    table = []
    with open(os.path.join(ROOT, "suite", name)) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                cols = line.split()
                table.append((cols[0], cols[1], cols[2:]))
    return table


def run_through(mode, start_proxy, workdir, name, extra=()):
    """Starts a proxy (start_proxy(origin_port) -> context manager with .port) and runs every
    proxy case through it; returns (exit, stdout, results, junit path, json path)."""
    origin = free_port()
    jp = os.path.join(workdir, f"proxy-{name}.json")
    with start_proxy(origin) as px:
        rc, out, err = run_h1xx(["-m", mode + "-proxy", "--origin-listen", f"127.0.0.1:{origin}",
                                 "--json", jp, "--junit", jp + ".xml"] + FAST + PROXY_SETS +
                                list(extra) + [f"http://127.0.0.1:{px.port}/"])
    try:
        with open(jp) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        data = {"cases": [], "error": f"{e}: {err}"}
    return rc, out, data, jp + ".xml", jp


def fixture_proxy(mode, violations=()):
    def start(origin_port):
        args = ["--mode", mode, "--idle-timeout", "1"]
        if mode == "reverse":
            args += ["--upstream", f"127.0.0.1:{origin_port}"]
        for v in violations:
            args += ["--violate", v]
        return harness.start("proxy.py", args)
    return start


def proxy_conformance(workdir):
    rc, out, err = run_h1xx(["--list", "-m", "reverse-proxy"])
    ids = [line.split()[0] for line in out.splitlines() if "/" in line.split()[0]]
    delays = []
    for mode in ("reverse", "forward"):
        rc, out, data, junit, js = run_through(mode, fixture_proxy(mode), workdir, "ref-" + mode)
        bad = [f"{c['id']}={c['verdict']}: {c.get('message')}" for c in data["cases"]
               if c["verdict"] != "pass"]
        record(f"{mode} proxy (reference): every proxy case passes", rc == 0 and not bad and
               len(data["cases"]) == len(ids), f"exit {rc}; {data.get('error', '')}\n    " +
               "\n    ".join(bad))
        check = subprocess.run([sys.executable, os.path.join(ROOT, "suite", "check_reports.py"),
                                junit, js], capture_output=True, text=True)
        record(f"{mode} proxy run: JUnit valid, junitparser agrees with the JSON",
               check.returncode == 0, check.stdout + check.stderr)
        if mode == "reverse":
            for c in data["cases"]:
                for n in c.get("notes", []):
                    if n[:1] == "1" and "forwarding delay" in n:
                        delays.append(float(n.rsplit("delay ", 1)[1].rstrip("ms")))
    if delays:
        delays.sort()
        print(f"forwarding delay of {len(delays)} interim responses through the reference reverse "
              f"proxy: median {delays[len(delays) // 2]:.3f} ms, max {delays[-1]:.3f} ms",
              flush=True)
    covered = set()
    futures = {}
    role_levels = {"reverse": load_levels("gateway"), "forward": load_levels("proxy")}
    mode_ids = {"reverse": ids, "forward": [
        line.split()[0] for line in run_h1xx(["--list", "-m", "forward-proxy"])[1].splitlines()
        if "/" in line.split()[0]]}
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        for entry, req, cases in load_table("proxy_violators.tsv"):
            # "forward:NAME" runs the violator in forward-proxy mode (a rule that binds a proxy
            # but not a gateway); the rest run in reverse-proxy mode
            mode, _, violator = entry.rpartition(":")
            mode = mode or "reverse"
            fut = pool.submit(run_through, mode, fixture_proxy(mode, [violator]),
                              workdir, entry.replace(":", "-"))
            futures[fut] = (entry, mode, req, cases)
        for fut in concurrent.futures.as_completed(futures):
            entry, mode, req, cases = futures[fut]
            rc, out, data, _, _ = fut.result()
            problems = judge_violator(role_levels[mode], mode_ids[mode], req, cases, data,
                                      entry, covered)
            record(f"proxy violator {entry}: exactly its cases catch {req}", not problems,
                   "\n    " + "\n    ".join(problems))
    ids = sorted(set(ids) | set(mode_ids["forward"]))
    missing = [i for i in ids if i not in covered]
    record("every proxy case is proved by a proxy violator", not missing,
           "proxy cases no violator makes fail: " + ", ".join(missing))


def judge_violator(levels, ids, req, cases, data, violator, covered):
    got = {c["id"]: c for c in data["cases"]}
    mapped = {e.partition("@")[0] for e in cases}
    problems = []
    for entry in cases:
        cid, _, want_req = entry.partition("@")
        want_req = want_req or req
        want = "warn" if levels.get(want_req) in ("SHOULD", "PRACTICE") else "fail"
        c = got.get(cid)
        if cid not in ids:
            problems.append(f"{cid}: no such case")
        elif not c or c["verdict"] != want or c.get("failed_require") != want_req:
            problems.append(f"{cid}: expected {want} citing {want_req}, got "
                            f"{c and c['verdict']} citing {c and c.get('failed_require')}"
                            f" ({c and c.get('message')})")
        else:
            covered.add(cid)
    for cid, c in got.items():
        if cid not in mapped and c["verdict"] not in ("pass", "skip"):
            problems.append(f"{cid}: not mapped to {violator} but {c['verdict']}: "
                            f"{c.get('message')}")
    return problems


# Real proxies from Debian's packages, configured as their documentation suggests
# (suite/real/*.in). For the versions named here the verdicts are pinned: each failure is a real
# deviation, explained in the README; another version only has to run without errors.
REAL_PROXIES = {
    "nginx": {
        "version": "nginx/1.22.1",
        # nginx 1.22 supports no upstream 1xx but 101: it takes the first 1xx as the final
        # response and relays what follows as its body until the origin closes, so a 1xx is
        # held until the end (late: FWD-1, practice, issue 18) and the first one reaches an
        # HTTP/1.0 client (V10-1); it relays a malformed status line as it came (GEN-3); it adds
        # no Via to the requests it forwards (PXY-5). It answers Expect with its own 100, as the
        # origin a gateway stands for may.
        "fails": {
            "interim/pxy1-every-1xx-forwarded": "FWD-1",
            "processing/pxy-prc4-forwarded-promptly": "FWD-1",
            "http10/pxy-v10-no-1xx": "V10-1",
            "hints/pxy-eh2-hop-by-hop": "PXY-1",
            "hints/pxy-eh3-no-merge-apart": "PXY-1",
            "interim/pxy3-via": "PXY-5",
            "interim/pxy-garbage-1xx": "GEN-3",
            # It forwards fields the request's Connection lists, and Proxy-Connection; the
            # documented WebSocket map sends Upgrade and Connection: upgrade upstream for an
            # HTTP/1.0 client too. It answers an upload's Expect with its own 100 and holds the
            # request until the content comes (as the origin it stands for may: the early-final
            # case is inconclusive), and keeps an HTTP/1.0 client's keep-alive, which binds a
            # gateway only as a MAY (V10-4 is recorded: skip).
            "interim/pxy-hop1-request": "HOP-1",
            "interim/pxy-hop2-known-fields": "HOP-2",
            "upgrade/pxy-upg6-http10-ignored": "UPG-6",
            # Issue 18's cases (docs/proxy-cases.md). Taking the first 1xx as the final, it relays
            # a 100's Content-Length (GEN-2) and reads a chunked 102's "content", losing the 200
            # (INB-2); a 10 KB 103 overflows its response-head buffer: 502 (INB-3, practice);
            # after the origin closes behind a 102 it leaves the client waiting (INB-4,
            # practice); it relays the origin's 101 to the HTTP/1.0 client whose Upgrade it
            # passed on (V10-1); it forwards the fields a final's Connection lists (HOP-1); it
            # relays a 101 to a plain GET that offered no upgrade, and tunnels (UPG-2).
            "interim/pxy-1xx-content-length": "GEN-2",
            "interim/pxy-1xx-transfer-encoding": "INB-2",
            "hints/pxy-large-103": "INB-3",
            "processing/pxy-close-after-102": "INB-4",
            "upgrade/pxy-upg6-101-to-http10": "V10-1",
            "interim/pxy-hop1-final": "HOP-1",
            "upgrade/pxy-unsolicited-101": "UPG-2",
        },
        "skips": ["http10/pxy-v10-4-no-keep-alive", "continue/pxy-exp3-early-final-chunked"],
    },
    "haproxy": {
        "version": "HAProxy version 2.6.12",
        # HAProxy 2.6 forwards 1xx promptly (unknown codes too), keeps Connection-listed fields
        # of a 103, and adds no Via to the requests it forwards (a gateway MUST). It forwards an
        # HTTP/1.0 client's request as HTTP/1.0, so the origin may send it no 1xx and whether
        # HAProxy would pass them on cannot be tested (skip); it passes that client's Expect
        # upstream, which is only noted.
        "fails": {
            "hints/pxy-eh2-hop-by-hop": "EH-2",
            "interim/pxy3-via": "PXY-5",
            # It passes an HTTP/1.0 client's Upgrade upstream (UPG-6); forwards Connection-listed
            # request fields and Keep-Alive (HOP-1, HOP-2); keeps an HTTP/1.0 client's
            # keep-alive (a MAY for a gateway: V10-4 recorded, skip).
            "interim/pxy-hop1-request": "HOP-1",
            "interim/pxy-hop2-known-fields": "HOP-2",
            "upgrade/pxy-upg6-http10-ignored": "UPG-6",
            # issue 18: it forwards the fields a final's Connection lists, as a 103's (HOP-1)
            "interim/pxy-hop1-final": "HOP-1",
        },
        # forwarded as HTTP/1.0, so the origin may answer it with no 1xx and no chunked coding
        # (nor switch with a 101: upgrade/pxy-upg6-101-to-http10)
        "skips": ["http10/pxy-v10-no-1xx", "http10/pxy-v10-3-no-chunked",
                  "http10/pxy-v10-4-no-keep-alive", "upgrade/pxy-upg6-101-to-http10"],
    },
}


class RealProxy:
    """nginx or HAProxy on loopback from a config template, stopped by its own pid."""

    def __init__(self, name, origin_port, workdir):
        self.name, self.port = name, free_port()
        self.dir = tempfile.mkdtemp(prefix=name + "-", dir=workdir)
        tmpl = "nginx.conf.in" if name == "nginx" else "haproxy.cfg.in"
        with open(os.path.join(ROOT, "suite", "real", tmpl)) as f:
            conf = f.read()
        conf = conf.replace("@PREFIX@", self.dir).replace("@PORT@", str(self.port)) \
                   .replace("@ORIGIN@", f"127.0.0.1:{origin_port}")
        self.conf = os.path.join(self.dir, "conf")
        with open(self.conf, "w") as f:
            f.write(conf)

    def __enter__(self):
        cmd = (["nginx", "-p", self.dir, "-c", self.conf] if self.name == "nginx"
               else ["haproxy", "-db", "-f", self.conf])
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        import socket
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(self.proc.stderr.read().decode(errors="replace"))
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not listen on port {self.port}")

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def proxy_version(name):
    cmd = ["nginx", "-v"] if name == "nginx" else ["haproxy", "-v"]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except OSError:
        return None
    return (p.stdout + p.stderr).strip().splitlines()[0] if (p.stdout + p.stderr) else None


def real_proxies(workdir):
    for name, pin in REAL_PROXIES.items():
        version = proxy_version(name)
        if not version:
            record(f"real proxy {name}", False, f"{name} is not installed (make deps installs it)")
            continue
        try:
            rc, out, data, junit, js = run_through(
                "reverse", lambda port: RealProxy(name, port, workdir), workdir, name)
        except RuntimeError as e:
            record(f"real proxy {name} ({version})", False, str(e))
            continue
        cases = data["cases"]
        errors = [f"{c['id']}: {c['verdict']}: {c.get('message')}" for c in cases
                  if c["verdict"] in ("error", "not-run")]
        problems = list(errors)
        pinned = pin["version"] in version
        for c in cases if pinned else []:
            want = pin["fails"].get(c["id"])
            if want and (c["verdict"] not in ("fail", "warn") or c.get("failed_require") != want):
                problems.append(f"{c['id']}: expected to fail citing {want}, got {c['verdict']} "
                                f"{c.get('failed_require')}: {c.get('message')}")
            if c["id"] in pin.get("skips", ()):
                if c["verdict"] != "skip":
                    problems.append(f"{c['id']}: expected skip, got {c['verdict']}: "
                                    f"{c.get('message')}")
            elif not want and c["verdict"] != "pass":
                problems.append(f"{c['id']}: expected pass, got {c['verdict']}: "
                                f"{c.get('message')}")
        passed = sum(1 for c in cases if c["verdict"] == "pass")
        record(f"real proxy {version}: {passed} of {len(cases)} proxy cases pass"
               + (", the rest fail as documented" if pinned else " (version not pinned)"),
               bool(cases) and not problems, "\n    " + "\n    ".join(problems))


def main():
    if not os.access(H1XX, os.X_OK):
        raise SystemExit(f"selftest: no h1xx binary at {H1XX}")
    workdir = tempfile.mkdtemp(prefix="h1xx-selftest-")
    t0 = time.monotonic()
    try:
        conformance(workdir)
        if not ONLY:
            e2e_exit_statuses(workdir)
            e2e_wait_body(workdir)
            e2e_filter_list()
            e2e_bad_cases(workdir)
            e2e_targets(workdir)
            e2e_skip_reason(workdir)
            e2e_deadline_and_interrupt(workdir)
            e2e_real_websocket(workdir)
            e2e_shard_merge(workdir)
            proxy_conformance(workdir)
            real_proxies(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"selftest took {time.monotonic() - t0:.1f}s")
    skipped = skips.summary()
    sys.exit(summary("selftest", f", {skipped} skipped" if skipped else ""))


if __name__ == "__main__":
    main()
