#!/usr/bin/python3
"""interop_test: the quick subset of the interop matrix that `make test` runs.

Runs suite/interop.py for two implementations (Python's http.server as an origin, HAProxy as
a reverse proxy), then checks what `h1xx matrix` made of their results.json files: both
interop.md and interop.html exist; the columns are headed by the runs' labels (name, the
version the binary reports, role); every cell of every row holds the verdict its run's JSON
has (n/a exactly where the run did not have the case); the summary counts are the JSON's;
HTML cells link to each run's report.html#open=ID and those files exist. Then `h1xx matrix`
on its own: Markdown to stdout, exit 2 for a missing input, a label falling back to target and
mode, and server bytes escaped in both outputs. Last, with haproxy hidden from PATH, that a
missing implementation is named under "Not run" while the others still make the table.

Usage: interop_test.py ./h1xx. The last line is "interop_test: N passed, N failed".
"""
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from testlib import H1XX, record, summary  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERDICTS = {"pass", "fail", "warn", "skip", "error", "not-run", "n/a"}


def md_tables(md):
    """{case id: [cell verdict words]} from the per-area tables, and the column heads."""
    rows, heads = {}, None
    for line in md.splitlines():
        if line.startswith("| case |"):
            heads = [c.strip() for c in line.strip("|").split("|")][3:]
        elif line.startswith("| ") and heads is not None and not line.startswith("| ---"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[cells[0]] = [re.sub(r"\*", "", c).split(" ")[0] for c in cells[3:]]
    return heads, rows


def html_cells(page):
    """[(role, [column labels], [(case id, [(verdict, href or None)])])]: one per grid."""
    out = []
    for role, grid in re.findall(r'<table class="grid" data-role="([^"]+)">(.*?)</table>', page,
                                 re.S):
        heads = [html.unescape(h) for h in re.findall(r'<th class="col" title="([^"]*)"', grid)]
        rows = []
        for cid, rest in re.findall(r'<tr data-id="([^"]+)">(.*?)</tr>', grid):
            cells = re.findall(r'<td class="v [^"]*" data-verdict="([^"]+)"[^>]*>'
                               r'(<a href="([^"]*)">)?', rest)
            rows.append((html.unescape(cid), [(v, h or None) for v, _, h in cells]))
        out.append((role, heads, rows))
    return out


def check_matrix(out, runs):
    md_path, html_path = os.path.join(out, "interop.md"), os.path.join(out, "interop.html")
    record("interop.md and interop.html written", os.path.exists(md_path) and
           os.path.exists(html_path), os.listdir(out))
    if not os.path.exists(md_path) or not os.path.exists(html_path):
        return
    with open(md_path) as f:
        md = f.read()
    with open(html_path) as f:
        page = f.read()
    labels = [r["label"] for r in runs]
    heads, rows = md_tables(md)
    record("the columns are the runs' labels, in order", heads == labels,
           f"{heads} != {labels}")
    by_run = [{c["id"]: c for c in r["cases"]} for r in runs]
    ids = sorted(set().union(*by_run))
    bad = []
    for cid in ids:
        want = [b[cid]["verdict"] if cid in b else "n/a" for b in by_run]
        if rows.get(cid) != want:
            bad.append(f"{cid}: md {rows.get(cid)} != {want}")
    record(f"Markdown: all {len(ids)} rows, every cell the run's verdict (or n/a)",
           not bad and len(rows) == len(ids), "\n    " + "\n    ".join(bad[:10]))
    grids = html_cells(page)
    roles = {"origin": "origins", "reverse-proxy": "proxies", "forward-proxy": "proxies",
             "client": "clients"}
    bad, seen, cols = [], set(), []
    for role, heads, rows in grids:
        cols += heads
        for cid, got in rows:
            seen.add(cid)
            if len(got) != len(heads):
                bad.append(f"{role} {cid}: {len(got)} cells for {len(heads)} columns")
            for (v, href), label in zip(got, heads):
                k = labels.index(label) if label in labels else -1
                want = by_run[k][cid]["verdict"] if k >= 0 and cid in by_run[k] else "n/a"
                if roles.get(runs[k]["mode"]) != role:
                    bad.append(f"{label} ({runs[k]['mode']}) in the {role} grid")
                if v != want:
                    bad.append(f"{role} {cid} {label}: html {v} != {want}")
                if v != "n/a" and not (href and href.endswith("report.html#open=" + cid)):
                    bad.append(f"{cid}: cell without a link to its report: {href}")
                if href and not os.path.exists(os.path.join(out, href.split("#")[0])):
                    bad.append(f"{cid}: {href} does not exist")
    record("HTML: one grid per role, each run's column in its role's grid, every cell its "
           "verdict, linking to the run's report.html#open=ID",
           not bad and sorted(cols) == sorted(labels) and seen == set(ids),
           "\n    " + "\n    ".join(bad[:10]) + f"\n    columns {cols}, rows {len(seen)}")
    bad = []
    for r in runs:
        line = next((l for l in md.splitlines() if l.startswith("| " + r["label"] + " |")), "")
        nums = [int(x) for x in re.findall(r"\|\s*(\d+)\s*(?=\|)", line)]
        want = [len(r["cases"])] + [r["summary"][v] for v in
                                    ("pass", "fail", "warn", "skip", "error", "not-run")]
        if nums != want:
            bad.append(f"{r['label']}: {nums} != {want}")
    record("summary rows match each run's JSON summary", not bad, "; ".join(bad))
    record("the report has a 'Not run' section", "## Not run" in md and 'id="not-run"' in page)


def subset(workdir):
    out = os.path.join(workdir, "out")
    p = subprocess.run([sys.executable, os.path.join(ROOT, "suite", "interop.py"), H1XX,
                        "--only", "python-origin,haproxy-reverse", "--out", out],
                       capture_output=True, text=True, timeout=300)
    record("interop.py (python origin, haproxy reverse proxy) exits 0", p.returncode == 0,
           p.stdout[-2000:] + p.stderr[-2000:])
    runs = []
    for slug in ("python-origin", "haproxy-reverse"):
        js = os.path.join(out, "interop", slug, "results.json")
        try:
            with open(js) as f:
                runs.append(json.load(f))
        except (OSError, ValueError) as e:
            record(f"{slug}: results.json", False, str(e))
            return
    py = subprocess.run([sys.executable, "--version"], capture_output=True, text=True).stdout
    ha = subprocess.run(["haproxy", "-v"], capture_output=True, text=True).stdout
    pv = re.search(r"\d+\.\d+\.\d+", py).group(0)
    hv = re.search(r"version (\S+)", ha).group(1)
    record("labels carry the versions the binaries report",
           runs[0]["label"] == f"python {pv} origin" and
           runs[1]["label"] == f"haproxy {hv} reverse-proxy",
           f"{runs[0]['label']!r}, {runs[1]['label']!r}")
    errors = [f"{r['label']}: {c['id']}: {c['message']}" for r in runs for c in r["cases"]
              if c["verdict"] in ("error", "not-run")]
    record("no case errors or is left unrun", not errors, "\n    ".join(errors))
    check_matrix(out, runs)


def standalone(workdir):
    """h1xx matrix by itself, on hand-made results.json files."""
    src = os.path.join(workdir, "out", "interop", "haproxy-reverse", "results.json")
    if not os.path.exists(src):
        return
    with open(src) as f:
        doc = json.load(f)
    doc["label"] = None
    doc["cases"][0]["verdict"] = "fail"
    doc["cases"][0]["failed_require"] = "PXY-1"
    doc["cases"][0]["message"] = "got <script>alert(1)</script> | `x` *y*"
    hostile = os.path.join(workdir, "hostile.json")
    with open(hostile, "w") as f:
        json.dump(doc, f)
    p = subprocess.run([H1XX, "matrix", hostile], capture_output=True, text=True)
    head = f"{doc['target']} ({doc['mode']})"
    record("matrix without --md writes Markdown to stdout; no label: target (mode)",
           p.returncode == 0 and p.stdout.startswith("# h1xx interop matrix") and
           f"| {head} |" in p.stdout, p.stdout[:300] + p.stderr)
    msg_line = next((l for l in p.stdout.splitlines() if "alert" in l), "")
    record("Markdown escapes a message's markup and table bars",
           "<script>" not in p.stdout and "|" not in msg_line.split(": ", 1)[-1].split(
               "fail: ", 1)[-1] and "**fail** PXY-1" in p.stdout, msg_line)
    hp = os.path.join(workdir, "m.html")
    p = subprocess.run([H1XX, "matrix", "--html", hp, "--md", os.path.join(workdir, "m.md"),
                        hostile], capture_output=True, text=True)
    with open(hp) as f:
        page = f.read()
    record("HTML escapes a message (no markup from it)", p.returncode == 0 and
           "<script>" not in page and "&lt;script&gt;" in page, p.stderr)
    nested = os.path.join(workdir, "a", "b")
    os.makedirs(nested)
    p = subprocess.run([H1XX, "matrix", "--html", os.path.join(nested, "m.html"), src],
                       capture_output=True, text=True)
    with open(os.path.join(nested, "m.html")) as f:
        hrefs = set(h.split("#")[0] for h in re.findall(r'href="([^"]*)"', f.read()))
    record("HTML links are relative to the page's own folder",
           p.returncode == 0 and hrefs == {"../../out/interop/haproxy-reverse/report.html"},
           f"{hrefs} {p.stderr}")
    odd = os.path.join(workdir, "x #y%")
    shutil.copytree(os.path.dirname(src), odd)
    p = subprocess.run([H1XX, "matrix", "--html", os.path.join(nested, "m2.html"),
                        os.path.join(odd, "results.json")], capture_output=True, text=True)
    with open(os.path.join(nested, "m2.html")) as f:
        hrefs = set(h.split("#open=")[0] for h in re.findall(r'href="([^"]*)"', f.read()))
    record("a folder name with ' ', '#', '%' is percent-encoded in the links",
           p.returncode == 0 and hrefs == {"../../x%20%23y%25/report.html"}, f"{hrefs}")
    p = subprocess.run([H1XX, "matrix", os.path.join(workdir, "missing.json")],
                       capture_output=True, text=True)
    record("matrix refuses a missing input (exit 2)", p.returncode == 2 and "missing.json" in
           p.stderr, f"exit {p.returncode}: {p.stderr}")
    p = subprocess.run([H1XX, "matrix"], capture_output=True, text=True)
    record("matrix with no input is a usage error (exit 2)", p.returncode == 2, p.stderr)


def not_installed(workdir):
    """An implementation whose binary is missing is named under "Not run"; the rest still runs."""
    out = os.path.join(workdir, "hidden")
    env = dict(os.environ, PATH="/usr/bin:/bin")  # haproxy is in /usr/sbin
    p = subprocess.run([sys.executable, os.path.join(ROOT, "suite", "interop.py"), H1XX,
                        "--no-install", "--only", "python-origin,haproxy-reverse", "--out", out],
                       capture_output=True, text=True, timeout=300, env=env)
    try:
        with open(os.path.join(out, "interop.md")) as f:
            md = f.read()
    except OSError as e:
        md = str(e)
    not_run = md.split("## Not run", 1)[-1]
    heads, _ = md_tables(md)
    record("a missing implementation is listed under 'Not run' with the reason; the others run",
           p.returncode == 0 and "haproxy: not installed" in not_run and heads is not None and
           len(heads) == 1 and heads[0].startswith("python "), p.stdout[-800:] + md[-800:])


def main():
    workdir = tempfile.mkdtemp(prefix="h1xx-interop-test-")
    try:
        subset(workdir)
        standalone(workdir)
        not_installed(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(summary("interop_test"))


if __name__ == "__main__":
    main()
