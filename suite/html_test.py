#!/usr/bin/python3
"""html_test: the HTML report in a real headless browser (Debian's chromium).

1. A run with every kind of verdict (the reference origin with three violator switches) writes
   report.html; chromium opens it from file:// and the test clicks the verdict and area filters,
   types in the search box, follows #filter=... links, expands cases and reads their SVG
   timelines, comparing each view with results.json. The page must run without a script error,
   a console error or a request for anything but itself.
2. A hostile server (script tags, event handlers, markup, invalid UTF-8 and ESC in its status
   lines, fields and body) is run through h1xx; its report must not run or build anything the
   server sent: no extra script, no image, no element with an event handler.
3. Screenshots for a person to look at: reports/report.png (the page, http10 cases expanded) and
   reports/report-timeline.png (one timeline).
4. The interop page (`h1xx matrix --html`, what suite/interop.py writes as reports/interop.html)
   with 28 columns as in a full interop run (12 origin, 10 proxy and 6 client runs, made from
   the mixed run's results.json with labels and modes changed: the layout is what is checked):
   one grid per role, each fitting the 1280-pixel window, rows at most 24 pixels tall, every
   cell coloured by its verdict, holding a requirement id, with the message on hover and a link
   to the run's report; reports/interop.png.

Usage: html_test.py ./h1xx. Skips (exit 0, one line saying so) when chromium is not installed.
The last line is "html_test: N passed, N failed".
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "fixtures"))
sys.path.insert(0, os.path.join(ROOT, "suite"))
import cdp  # noqa: E402
import harness  # noqa: E402
import skips  # noqa: E402
from testlib import H1XX, record, summary  # noqa: E402

FAST = ["--timeout", "1s", "--long-timeout", "3s", "--quiet-time", "300ms"]


def find_chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


# ---- the reports under test ---------------------------------------------------------------

def mixed_run(workdir):
    """pass, warn and fail in every area: returns (report.html path, results.json data)."""
    out = os.path.join(workdir, "mixed")
    args = ["--violate", "wait-body", "--violate", "interim-to-http10",
            "--violate", "early-close-silent"]
    with harness.start("origin.py", args) as fx:
        p = subprocess.run([H1XX, "--report-dir", out, "--set", "reject_path=/reject"] + FAST +
                           [f"http://127.0.0.1:{fx.port}/"], capture_output=True, text=True,
                           timeout=120)
    if p.returncode not in (0, 1):
        raise SystemExit(f"html_test: h1xx exited {p.returncode}: {p.stderr}")
    with open(os.path.join(out, "results.json")) as f:
        return os.path.join(out, "report.html"), json.load(f)


HOSTILE_100 = (b"HTTP/1.1 100 <script>window.__pwned=1</script>\r\n"
               b"X-A: <img src=x onerror=\"window.__pwned=2\">\r\n\r\n")
HOSTILE_FINAL = (b"HTTP/1.1 200 \xff\xfe\x1b[31m</pre></svg></table><b id=pwn>b</b>\r\n"
                 b"X-B: '\"><script>window.__pwned=3</script>\x00\x7f\r\n"
                 b"Content-Length: 21\r\n\r\n<iframe src=x></iframe")


def hostile_server():
    """Answers every request with HOSTILE_100 and HOSTILE_FINAL; returns (socket, thread)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                data = b""
                try:
                    while b"\r\n\r\n" not in data and len(data) < 65536:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    conn.sendall(HOSTILE_100)
                    time.sleep(0.02)
                    conn.sendall(HOSTILE_FINAL)
                except OSError:
                    pass
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return srv, stop, t


def hostile_run(workdir):
    out = os.path.join(workdir, "hostile")
    srv, stop, t = hostile_server()
    try:
        p = subprocess.run([H1XX, "--report-dir", out, "-k", "continue/exp1-*", "-k",
                            "interim/*"] + FAST + [f"http://127.0.0.1:{srv.getsockname()[1]}/"],
                           capture_output=True, text=True, timeout=120)
    finally:
        stop.set()
        t.join(5)
        srv.close()
    if p.returncode not in (0, 1):
        raise SystemExit(f"html_test: h1xx against the hostile server exited {p.returncode}: "
                         f"{p.stderr}")
    return os.path.join(out, "report.html")


# ---- what the page shows ------------------------------------------------------------------

VISIBLE = ("[].slice.call(document.querySelectorAll('tbody.case'))"
           ".filter(function(t){return !t.hidden && t.offsetHeight>0})"
           ".map(function(t){return t.getAttribute('data-id')})")


def visible(b):
    return sorted(b.eval(VISIBLE))


def click(b, selector):
    b.eval(f"document.querySelector({json.dumps(selector)}).click()")


def shown_text(b):
    return b.eval("document.getElementById('shown').textContent")


def ids(data, pred):
    return sorted(c["id"] for c in data["cases"] if pred(c))


def check_filters(b, url, data):
    total = len(data["cases"])
    b.navigate(url)
    record("page loads: every case shown, counts in the filter bar",
           visible(b) == ids(data, lambda c: True) and shown_text(b) == f"showing {total} of "
           f"{total} cases", f"{visible(b)} / {shown_text(b)}")
    fails = ids(data, lambda c: c["verdict"] == "fail")
    click(b, "button.chip[data-kind=verdict][data-value=fail]")
    record("verdict chip 'fail' shows exactly the failed cases and says so in the URL",
           visible(b) == fails and len(fails) > 0 and "verdict=fail" in b.eval("location.hash")
           and shown_text(b) == f"showing {len(fails)} of {total} cases",
           f"{visible(b)} vs {fails}, hash {b.eval('location.hash')}")
    click(b, "button.chip[data-kind=verdict][data-value=warn]")
    want = ids(data, lambda c: c["verdict"] in ("fail", "warn"))
    record("a second verdict chip adds its cases", visible(b) == want, f"{visible(b)} vs {want}")
    click(b, "button.chip[data-kind=area][data-value=continue]")
    want = ids(data, lambda c: c["verdict"] in ("fail", "warn") and c["area"] == "continue")
    record("verdict and area filters combine", visible(b) == want, f"{visible(b)} vs {want}")
    click(b, "#clear")
    click(b, "button.chip[data-kind=area][data-value=http10]")
    want = ids(data, lambda c: c["area"] == "http10")
    record("area chip 'http10' shows exactly its cases", visible(b) == want and want,
           f"{visible(b)} vs {want}")
    click(b, "#clear")
    b.eval("var q=document.getElementById('q');q.value='exp-8';"
           "q.dispatchEvent(new Event('input'))")
    want = ids(data, lambda c: "EXP-8" in c["require"])
    record("search box filters by requirement id", visible(b) == want and want,
           f"{visible(b)} vs {want}")
    click(b, "#clear")
    click(b, "button.chip[data-kind=verdict][data-value=error]")
    none_shown = b.eval("!document.getElementById('none').hidden")
    record("a filter matching nothing says so", visible(b) == [] and none_shown,
           f"{visible(b)} none shown: {none_shown}")


def check_hash_links(b, url, data):
    b.navigate(url + "#filter=fail")
    want = ids(data, lambda c: c["verdict"] == "fail")
    record("#filter=fail in the URL is honoured on load", visible(b) == want,
           f"{visible(b)} vs {want}")
    b.navigate(url + "#verdict=pass&area=interim")
    want = ids(data, lambda c: c["verdict"] == "pass" and c["area"] == "interim")
    pressed = b.eval("[].slice.call(document.querySelectorAll('button.chip[aria-pressed=true]'))"
                     ".map(function(x){return x.getAttribute('data-value')}).sort()")
    record("#verdict=...&area=... is honoured and the chips show it",
           visible(b) == want and pressed == ["interim", "pass"], f"{visible(b)} {pressed}")
    b.navigate(url)
    click(b, "a.card.v-fail")
    time.sleep(0.2)
    want = ids(data, lambda c: c["verdict"] == "fail")
    record("the summary card 'failed' links to the filtered view", visible(b) == want,
           f"{visible(b)} vs {want}")


def timeline_facts(b, case_id):
    sel = json.dumps(f'tbody.case[data-id="{case_id}"]')
    return b.eval(f"""(function(){{var t=document.querySelector({sel});
      var d=t.querySelector('tr.detail'), s=d.querySelector('svg.tl');
      return {{open: t.classList.contains('open'), shown: d.offsetHeight>0,
        interims: s ? s.querySelectorAll('circle.m-int').length : -1,
        finals: s ? s.querySelectorAll('path.m-fin').length : -1,
        sent: s ? s.querySelectorAll('path.m-sent').length : -1,
        labels: s ? [].slice.call(s.querySelectorAll('text.lb-int,text.lb-fin'))
                     .map(function(x){{return x.textContent}}) : [],
        tx: d.querySelector('pre.tx') ? d.querySelector('pre.tx').textContent.length : 0}};
    }})()""")


def check_expand(b, url, data):
    b.navigate(url)
    case = next(c for c in data["cases"] if any(m["interim"] for m in c["messages"]))
    cid = case["id"]
    before = timeline_facts(b, cid)
    click(b, f'tbody.case[data-id="{cid}"] tr.row')
    f = timeline_facts(b, cid)
    interims = [m for m in case["messages"] if m["interim"]]
    finals = [m for m in case["messages"] if not m["interim"]]
    sent = [e for e in case["transcript"] if e["kind"] == "sent"]
    want_labels = sorted(str(m["status"]) for m in case["messages"])
    record(f"clicking {cid} expands it: a timeline with one mark per interim, final and send",
           not before["shown"] and f["open"] and f["shown"] and f["interims"] == len(interims)
           and f["finals"] == len(finals) and f["sent"] == len(sent)
           and sorted(f["labels"]) == want_labels and f["tx"] > 0,
           f"{before} -> {f}; want {len(interims)} interim, {len(finals)} final, "
           f"{len(sent)} sent, labels {want_labels}")
    click(b, f'tbody.case[data-id="{cid}"] tr.row')
    record("clicking again collapses it", not timeline_facts(b, cid)["shown"])
    click(b, "#expand")
    n = b.eval("document.querySelectorAll('tbody.case.open').length")
    click(b, "#collapse")
    m = b.eval("document.querySelectorAll('tbody.case.open').length")
    record("expand all / collapse all", n == len(data["cases"]) and m == 0, f"{n} then {m}")


def check_hostile(b, url):
    b.navigate(url + "#open=*")
    got = b.eval("""({pwned: window.__pwned === undefined ? null : window.__pwned,
        scripts: document.scripts.length, imgs: document.images.length,
        iframes: document.querySelectorAll('iframe').length,
        pwn: !!document.getElementById('pwn'),
        handlers: [].slice.call(document.querySelectorAll('*')).filter(function(e){
          return [].slice.call(e.attributes).some(function(a){return /^on/i.test(a.name)})
        }).length,
        cases: document.querySelectorAll('tbody.case').length,
        text: document.body.textContent.indexOf('<script>window.__pwned=1</script>') >= 0,
        hex: document.body.textContent.indexOf('\\\\xFF\\\\xFE\\\\x1B[31m') >= 0})""")
    record("hostile server: nothing it sent runs or becomes an element (its text is shown)",
           got["pwned"] is None and got["scripts"] == 2 and got["imgs"] == 0
           and got["iframes"] == 0 and not got["pwn"] and got["handlers"] == 0
           and got["cases"] > 0 and got["text"] and got["hex"], got)


def screenshots(b, url, data):
    os.makedirs(os.path.join(ROOT, "reports"), exist_ok=True)
    page = os.path.join(ROOT, "reports", "report.png")
    b.navigate(url + "#area=http10&open=*")
    n = b.screenshot(page)
    record(f"screenshot of the page: {page}", n > 10000, f"{n} bytes")
    cid = next(c["id"] for c in data["cases"]
               if c["area"] == "http10" and any(m["interim"] for m in c["messages"]))
    box = b.eval(f"""(function(){{var r=document.querySelector('tbody.case[data-id="{cid}"] '+
        '.tlbox').getBoundingClientRect();
        return {{x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height}}}})()""")
    shot = os.path.join(ROOT, "reports", "report-timeline.png")
    n = b.screenshot(shot, box)
    record(f"screenshot of the timeline of {cid}: {shot}", n > 2000 and box["height"] > 50,
           f"{n} bytes, box {box}")


def interop_page(workdir, data):
    """A matrix page of 28 runs (see 4. above); returns its path."""
    inputs = []
    for i, (mode, count) in enumerate((("origin", 12), ("reverse-proxy", 10), ("client", 6))):
        for k in range(count):
            d = os.path.join(workdir, "interop", f"{mode}-{k}")
            os.makedirs(d)
            run = dict(data, mode=mode, label=f"implementation {k + 1} {mode} 1.2.{k}")
            with open(os.path.join(d, "results.json"), "w") as f:
                json.dump(run, f)
            shutil.copy(os.path.join(workdir, "mixed", "report.html"), d)
            inputs.append(os.path.join(d, "results.json"))
    page = os.path.join(workdir, "interop.html")
    p = subprocess.run([H1XX, "matrix", "--md", os.path.join(workdir, "interop.md"), "--html",
                        page] + inputs, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise SystemExit(f"html_test: h1xx matrix exited {p.returncode}: {p.stderr}")
    return page


def check_interop(b, url):
    b.navigate(url, scripted=False)  # the page has no script (its CSP allows none)
    facts = b.eval("""(function(){
        var out = {grids: [], width: innerWidth};
        document.querySelectorAll('table.grid').forEach(function(t){
            var rows = t.querySelectorAll('tr[data-id]'), tallest = 0, bare = 0, colours = {};
            rows.forEach(function(r){ tallest = Math.max(tallest, r.getBoundingClientRect().height);
                r.querySelectorAll('td.v').forEach(function(c){
                    var v = c.getAttribute('data-verdict');
                    if (v === 'n/a') return;
                    var a = c.querySelector('a');
                    if (!a || !c.title || c.title.indexOf(v) !== 0 || !/^[A-Z0-9]+-[0-9A-Z]+$|^[a-z-]+$/.test(a.textContent))
                        bare++;
                    colours[v] = getComputedStyle(c).backgroundColor; }); });
            out.grids.push({role: t.getAttribute('data-role'), right: t.getBoundingClientRect().right,
                            cols: t.querySelectorAll('th.col').length, rows: rows.length,
                            tallest: tallest, bare: bare, colours: colours});
        });
        return out; })()""")
    grids = {g["role"]: g for g in facts["grids"]}
    record("interop page: one grid per role (origins 12 columns, proxies 10, clients 6)",
           [g["role"] for g in facts["grids"]] == ["origins", "proxies", "clients"] and
           [g["cols"] for g in facts["grids"]] == [12, 10, 6], facts["grids"])
    record("interop page: every grid fits the 1280-pixel window (no column off to the right)",
           all(g["right"] <= facts["width"] for g in facts["grids"]),
           [(g["role"], g["right"]) for g in facts["grids"]])
    record("interop page: a case row is at most 24 pixels tall",
           all(0 < g["tallest"] <= 24 for g in facts["grids"]),
           [(g["role"], g["tallest"]) for g in facts["grids"]])
    colours = grids.get("origins", {}).get("colours", {})
    record("interop page: each cell holds a requirement id, links to the run's report and "
           "gives the verdict and message on hover; each verdict its own colour",
           all(g["bare"] == 0 for g in facts["grids"]) and len(colours) >= 3 and
           len(set(colours.values())) == len(colours), (facts["grids"], colours))
    shot = os.path.join(ROOT, "reports", "interop.png")
    os.makedirs(os.path.dirname(shot), exist_ok=True)
    n = b.screenshot(shot)
    record(f"screenshot of the interop page: {shot}", n > 10000, f"{n} bytes")


def main():
    exe = find_chromium()
    if not exe:
        print("html_test: skipped: chromium is not installed (Debian: apt-get install chromium)")
        skips.note("html_test", "chromium missing")
        return 0
    if not os.access(H1XX, os.X_OK):
        raise SystemExit(f"html_test: no h1xx binary at {H1XX}")
    workdir = tempfile.mkdtemp(prefix="h1xx-html-")
    t0 = time.monotonic()
    try:
        page, data = mixed_run(workdir)
        hostile = hostile_run(workdir)
        url = "file://" + page
        with cdp.Browser(exe, 1280, 2000) as b:
            check_filters(b, url, data)
            check_hash_links(b, url, data)
            check_expand(b, url, data)
            screenshots(b, url, data)
            p = b.problems()
            record("no script error, console error or network request on the report page",
                   not p, "\n    ".join(p))
        with cdp.Browser(exe, 1280, 2000) as b:
            check_interop(b, "file://" + interop_page(workdir, data))
            p = b.problems()
            record("no script error, console error or network request on the interop page",
                   not p, "\n    ".join(p))
        with cdp.Browser(exe, 1280, 2000) as b:
            check_hostile(b, "file://" + hostile)
            p = b.problems()
            record("no script error or request on the hostile report", not p, "\n    ".join(p))
    except cdp.CdpError as e:
        record("the browser session", False, e)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"html_test took {time.monotonic() - t0:.1f}s")
    return summary("html_test")


if __name__ == "__main__":
    sys.exit(main())
