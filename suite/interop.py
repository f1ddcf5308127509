#!/usr/bin/python3
"""h1xx interop matrix: runs h1xx against real servers and proxies from Debian's packages (and
Node.js with `ws` from npm), each in the roles it can play, and against real HTTP clients (client
mode, with the drivers in drivers/), and writes one comparison table.

    suite/interop.py ./h1xx [--only NAME,...] [--out DIR] [--jobs N] [--no-install] [--keep]

For each implementation and role (origin, reverse proxy, forward proxy): a configuration from
suite/interop/ (small, commented, as the project's documentation suggests) filled in with
loopback ports, the server started in the foreground, h1xx run against it (proxy roles with
h1xx's embedded origin behind it), the server stopped by its own pid. Versions are read from
the installed binaries. Runs go concurrently (--jobs, default 4). Each run's reports are in
DIR/interop/NAME/ (results.json, report.html, junit.xml); `h1xx matrix` writes DIR/interop.md
and DIR/interop.html, with a last section naming what could not run and why. As root, missing
Debian packages are installed with apt-get and the Node.js dependencies with npm ci.
Exit status: 0 when the matrix was written (whatever the verdicts), 1 otherwise.
"""
import argparse
import concurrent.futures
import html
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "fixtures"))
import harness  # noqa: E402  (free_port)

CONF = os.path.join(ROOT, "suite", "interop")
NODE_DIR = os.path.join(CONF, "node")
# As suite/selftest.py's FAST: tight waits, and a short idle interval for the proxy cases.
FAST = ["--timeout", "1500ms", "--long-timeout", "4s", "--quiet-time", "400ms",
        "--deadline", "240s", "-j", "8"]
PROXY_SETS = ["--set", "prc5_interval=500ms"]
# The endpoints of the origins that have them (the rest skip those cases, saying which --set).
NODE_SETS = ["upload_path=/upload", "reject_path=/reject", "slow_path=/slow",
             "hints_path=/hints", "interims_path=/interims", "ws_path=/ws", "ws_echo_path=/ws",
             "max_gap=500ms", "first_102_max=1s"]
NGINX_SETS = ["upload_path=/upload", "reject_path=/reject"]


def first_version(cmd, pattern=r"(\d+\.\d+(?:\.\d+)?(?:[-+~][\w.+~-]*)?)"):
    """The first version number in what cmd prints, or None when it cannot run."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=20, errors="replace")
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(pattern, p.stdout + p.stderr)
    return m.group(1) if m else None


def node_version():
    v = first_version(["node", "--version"])
    try:
        with open(os.path.join(NODE_DIR, "node_modules", "ws", "package.json")) as f:
            ws = re.search(r'"version":\s*"([^"]+)"', f.read()).group(1)
    except (OSError, AttributeError):
        ws = None
    return v and f"{v} (ws {ws})" if ws else v


# name: (package, binary, version command or function, [roles])
# role: (role name, h1xx mode, argv builder, template, --set variables)
def argv_nginx(c):
    return ["nginx", "-p", c["PREFIX"], "-c", c["conf"]]


def argv_haproxy(c):
    return ["haproxy", "-db", "-f", c["conf"]]


def argv_apache(c):
    return ["apache2", "-DFOREGROUND", "-f", c["conf"]]


def argv_lighttpd(c):
    return ["lighttpd", "-D", "-f", c["conf"]]


def argv_varnish(c):
    return ["varnishd", "-F", "-j", "none", "-n", c["PREFIX"] + "/varnish", "-a",
            f"127.0.0.1:{c['PORT']}", "-f", c["conf"], "-s", "malloc,32m"]


def argv_squid(c):
    return ["squid", "-N", "-f", c["conf"]]


def argv_tinyproxy(c):
    return ["tinyproxy", "-d", "-c", c["conf"]]


def argv_h2o(c):
    return ["h2o", "-c", c["conf"]]


def argv_node(c):
    return ["node", os.path.join(NODE_DIR, "server.js"), str(c["PORT"])]


def argv_python(c):
    return [sys.executable, "-m", "http.server", "--protocol", "HTTP/1.1", "--bind", "127.0.0.1",
            "--directory", c["DOCROOT"], str(c["PORT"])]


# Clients (h1xx client mode): a driver in drivers/ runs the client once a case.
DRIVERS = os.path.join(ROOT, "drivers")
SYSTEM_PY = "/usr/bin/python3"


def driver(*argv):
    return lambda c: list(argv) + ["{url}", "{method}", "{body}", "{upgrade}", "{headers}", "{url2}"]


def module_version(mod):
    """The version of a module of Debian's python3, or None when it cannot be imported."""
    return first_version([SYSTEM_PY, "-c", f"import {mod}; print({mod}.__version__)"])


def ws_version():
    """npm ws's version (installed by npm ci with the Node.js origin), or None."""
    v = node_version()
    return v.split("ws ")[1].rstrip(")") if v and "(ws " in v else None


# Drivers that are programs built from drivers/: the binary, and how to build it (cwd ROOT).
BUILD_DIR = os.path.join(ROOT, "build")
LIBCURL_DRIVER = os.path.join(BUILD_DIR, "libcurl-driver")
GO_DRIVER = os.path.join(BUILD_DIR, "go-driver")
# Go's caches inside build/, so building the driver writes nothing outside the project.
GO_ENV = {"GOCACHE": os.path.join(BUILD_DIR, "go", "cache"),
          "GOPATH": os.path.join(BUILD_DIR, "go", "path"), "GO111MODULE": "off", "GOFLAGS": ""}
BUILT = {"libcurl": (["make", "--no-print-directory", "build/libcurl-driver"], {}),
         "go": (["go", "build", "-o", GO_DRIVER, os.path.join(DRIVERS, "go_get.go")], GO_ENV)}


def build_drivers(names):
    """Builds the compiled drivers among names (when their tool is there). Returns notes."""
    notes = []
    for n in sorted(set(names) & set(BUILT)):
        argv, env = BUILT[n]
        if not shutil.which(argv[0]):
            continue  # reported as not installed
        os.makedirs(BUILD_DIR, exist_ok=True)
        try:
            p = subprocess.run(argv, cwd=ROOT, env=dict(os.environ, **env), capture_output=True,
                               text=True, errors="replace", timeout=300)
        except subprocess.TimeoutExpired:
            notes.append(f"{n}: building its driver took over 300 s")
            continue
        if p.returncode:
            notes.append(f"{n}: building its driver failed: {p.stderr.strip()[-300:]}")
    return notes


def driver_version(path):
    """What a compiled driver's --version prints (its library's version), or None."""
    return first_version([path, "--version"]) if os.path.exists(path) else None


def client_role(*argv, only=()):
    """A client's one role; `only`: h1xx options choosing its cases (WebSocket clients)."""
    return [("client", "client", driver(*argv), None, list(only))]


WS_ONLY = ("-k", "client/cli6-*")


IMPLS = {
    "python": ("python3", sys.executable, lambda: first_version([sys.executable, "--version"]),
               [("origin", "origin", argv_python, None, [])]),
    "node": ("nodejs", "node", node_version,
             [("origin", "origin", argv_node, None, NODE_SETS)]),
    "nginx": ("nginx", "nginx", lambda: first_version(["nginx", "-v"]),
              [("origin", "origin", argv_nginx, "interop/nginx-origin.conf.in", NGINX_SETS),
               ("reverse", "reverse-proxy", argv_nginx, "real/nginx.conf.in", [])]),
    "haproxy": ("haproxy", "haproxy", lambda: first_version(["haproxy", "-v"]),
                [("reverse", "reverse-proxy", argv_haproxy, "real/haproxy.cfg.in", [])]),
    "apache": ("apache2", "apache2", lambda: first_version(["apache2", "-v"]),
               [("origin", "origin", argv_apache, "interop/apache-origin.conf.in", []),
                ("reverse", "reverse-proxy", argv_apache, "interop/apache-proxy.conf.in", [])]),
    "lighttpd": ("lighttpd", "lighttpd", lambda: first_version(["lighttpd", "-v"]),
                 [("origin", "origin", argv_lighttpd, "interop/lighttpd-origin.conf.in", []),
                  ("reverse", "reverse-proxy", argv_lighttpd, "interop/lighttpd-proxy.conf.in",
                   [])]),
    "h2o": ("h2o", "h2o", lambda: first_version(["h2o", "-v"]),
            [("origin", "origin", argv_h2o, "interop/h2o-origin.conf.in", []),
             ("reverse", "reverse-proxy", argv_h2o, "interop/h2o-proxy.conf.in", [])]),
    "varnish": ("varnish", "varnishd", lambda: first_version(["varnishd", "-V"]),
                [("reverse", "reverse-proxy", argv_varnish, "interop/varnish.vcl.in", [])]),
    "squid": ("squid", "squid", lambda: first_version(["squid", "-v"]),
              [("forward", "forward-proxy", argv_squid, "interop/squid-forward.conf.in", []),
               ("reverse", "reverse-proxy", argv_squid, "interop/squid-accel.conf.in", [])]),
    "tinyproxy": ("tinyproxy", "tinyproxy", lambda: first_version(["tinyproxy", "-v"]),
                  [("forward", "forward-proxy", argv_tinyproxy, "interop/tinyproxy.conf.in",
                    [])]),
    "curl": ("curl", "curl", lambda: first_version(["curl", "--version"]),
             client_role("sh", os.path.join(DRIVERS, "curl.sh"))),
    "wget": ("wget", "wget", lambda: first_version(["wget", "--version"]),
             client_role("sh", os.path.join(DRIVERS, "wget.sh"))),
    "urllib": ("python3", SYSTEM_PY, lambda: first_version([SYSTEM_PY, "--version"]),
               client_role(SYSTEM_PY, os.path.join(DRIVERS, "urllib_get.py"))),
    "http.client": ("python3", SYSTEM_PY, lambda: first_version([SYSTEM_PY, "--version"]),
                    client_role(SYSTEM_PY, os.path.join(DRIVERS, "http_client.py"))),
    "requests": ("python3-requests", SYSTEM_PY, lambda: module_version("requests"),
                 client_role(SYSTEM_PY, os.path.join(DRIVERS, "requests_get.py"))),
    "httpx": ("python3-httpx", SYSTEM_PY, lambda: module_version("httpx"),
              client_role(SYSTEM_PY, os.path.join(DRIVERS, "httpx_get.py"))),
    "aiohttp": ("python3-aiohttp", SYSTEM_PY, lambda: module_version("aiohttp"),
                client_role(SYSTEM_PY, os.path.join(DRIVERS, "aiohttp_get.py"))),
    "websockets": ("python3-websockets", SYSTEM_PY, lambda: module_version("websockets"),
                   client_role(SYSTEM_PY, os.path.join(DRIVERS, "websockets_client.py"),
                               only=WS_ONLY)),
    "ws": ("nodejs", "node", ws_version,
           client_role("node", os.path.join(DRIVERS, "ws_client.js"), only=WS_ONLY)),
    "libcurl": ("libcurl4-openssl-dev", "make", lambda: driver_version(LIBCURL_DRIVER),
                client_role(LIBCURL_DRIVER)),
    "go": ("golang-go", "go", lambda: driver_version(GO_DRIVER), client_role(GO_DRIVER)),
    "node-http": ("nodejs", "node", lambda: first_version(["node", "--version"]),
                  client_role("node", os.path.join(DRIVERS, "node_http.js"))),
    "node-fetch": ("nodejs", "node", lambda: first_version(["node", "--version"]),
                   client_role("node", os.path.join(DRIVERS, "node_fetch.js"))),
}
# Roles configured but left out of the matrix, with the reason (printed under "Not run").
DISABLED = {}
# Proxies that must find their origin listening when they start. Squid probes its cache_peer
# then, and while the probe fails it answers 502 ERR_READ_ERROR ("path selection found no
# paths" in cache.log) until a later probe succeeds: the cases would be about that, not about
# 1xx. h1xx's embedded origin only listens once h1xx runs, so a stand-in listens on its port
# while the proxy starts (a production origin is up before its proxy).
ORIGIN_FIRST = {"squid-reverse"}


class StandIn:
    """Accepts and closes connections on 127.0.0.1:port until closed."""

    def __init__(self, port):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.done = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.done:
            try:
                self.sock.accept()[0].close()
            except OSError:
                pass

    def close(self):
        self.done = True
        self.thread.join()
        self.sock.close()
ROLE_WORDS = {"origin": "origin", "reverse": "reverse-proxy", "forward": "forward-proxy",
              "client": "client"}


# ---- installing ----------------------------------------------------------------------------

def install(names):
    """As root: apt-get install the missing packages, npm ci for Node.js. Returns notes."""
    notes = []
    missing = sorted({IMPLS[n][0] for n in names if not shutil.which(IMPLS[n][1])} |
                     {IMPLS[m][0] for m in ("requests", "httpx", "aiohttp", "websockets")
                      if m in names and not module_version(m)})
    if missing and os.geteuid() == 0:
        cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends"] + missing
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        if subprocess.run(cmd, env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
            p = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if p.returncode:
                notes.append("apt-get install failed: " + p.stderr.strip()[-300:])
    elif missing:
        notes.append("not root: install with apt-get install " + " ".join(missing))
    if ("node" in names or "ws" in names) and shutil.which("npm") and \
            not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "ws")):
        p = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR,
                           capture_output=True, text=True, timeout=300)
        if p.returncode:
            notes.append("npm ci failed: " + p.stderr.strip()[-300:])
    return notes


# ---- one server ----------------------------------------------------------------------------

class Server:
    """One implementation in one role on loopback, started in the foreground, stopped by its
    own pid (SIGTERM, then SIGKILL after 5 s)."""

    def __init__(self, argv_of, template, origin_port, workdir, name):
        self.dir = tempfile.mkdtemp(prefix=name + "-", dir=workdir)
        os.chmod(self.dir, 0o777)  # servers that drop to nobody/proxy write logs here
        self.port = harness.free_port()
        docroot = os.path.join(self.dir, "www")
        os.mkdir(docroot)
        os.chmod(docroot, 0o755)
        with open(os.path.join(docroot, "index.html"), "w") as f:
            f.write("<!doctype html><title>h1xx interop</title><p>hello\n")
        c = {"PREFIX": self.dir, "PORT": self.port, "DOCROOT": docroot,
             "ORIGIN": f"127.0.0.1:{origin_port}", "ORIGIN_HOST": "127.0.0.1",
             "ORIGIN_PORT": origin_port, "conf": os.path.join(self.dir, "conf")}
        if template:
            with open(os.path.join(ROOT, "suite", template)) as f:
                text = f.read()
            for k in ("PREFIX", "PORT", "DOCROOT", "ORIGIN_HOST", "ORIGIN_PORT", "ORIGIN"):
                text = text.replace(f"@{k}@", str(c[k]))
            with open(c["conf"], "w") as f:
                f.write(text)
            os.chmod(c["conf"], 0o644)
        self.argv = argv_of(c)
        self.log = open(os.path.join(self.dir, "stderr.log"), "w+")
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen(self.argv, stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL, cwd=self.dir)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        why = self.tail() or f"did not listen on port {self.port} within 15 s"
        self.__exit__()
        raise RuntimeError(f"{' '.join(self.argv[:1])} exited {self.proc.returncode}: {why}"
                           if self.proc.returncode is not None else why)

    def tail(self):
        self.log.flush()
        self.log.seek(0)
        lines = [line.strip() for line in self.log.read().splitlines() if line.strip()]
        return " / ".join(lines[-3:])[-400:]

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # exactly this pid
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# ---- one run -------------------------------------------------------------------------------

def run_client(h1xx, name, role, version, out):
    """h1xx client mode with NAME's driver. Returns (slug, results.json or None, reason)."""
    slug = f"{name}-client"
    rdir = os.path.join(out, "interop", slug)
    shutil.rmtree(rdir, ignore_errors=True)
    os.makedirs(rdir)
    label = f"{name} {version} client"
    # a driver's own start (importing httpx takes a while, eight at once) is not the client's
    # wait: the long timeout (the bound on the request arriving) is the default's
    args = [h1xx, "client", "--label", label, "--report-dir", rdir, "--color", "never"] + FAST + \
        ["--long-timeout", "10s"] + role[4]
    try:
        p = subprocess.run(args + ["--"] + role[2]({}), capture_output=True, text=True,
                           errors="replace", timeout=300)
    except subprocess.TimeoutExpired:
        return slug, None, f"{label}: h1xx did not finish within 300 s"
    js = os.path.join(rdir, "results.json")
    if p.returncode not in (0, 1) or not os.path.exists(js):
        return slug, None, (f"{label}: h1xx exited {p.returncode}: "
                            f"{(p.stderr.strip() or p.stdout.strip())[-300:]}")
    print(f"interop: {label}: {p.stdout.strip().splitlines()[-1]}", flush=True)
    return slug, js, None


def run_one(h1xx, name, role, version, out, workdir):
    """Starts NAME in ROLE, runs h1xx against it. Returns (slug, results.json or None, reason)."""
    rname, mode, argv_of, template, sets = role
    if mode == "client":
        return run_client(h1xx, name, role, version, out)
    slug = f"{name}-{rname}"
    rdir = os.path.join(out, "interop", slug)
    shutil.rmtree(rdir, ignore_errors=True)
    os.makedirs(rdir)
    origin_port = harness.free_port()
    label = f"{name} {version} {ROLE_WORDS[rname]}"
    common = list(FAST)
    for s in sets:
        common += ["--set", s]
    if mode != "origin":
        common += ["-m", mode, "--origin-listen", f"127.0.0.1:{origin_port}"] + PROXY_SETS
    args = [h1xx, "--label", label, "--report-dir", rdir, "--color", "never"] + common
    try:
        stand_in = StandIn(origin_port) if slug in ORIGIN_FIRST else None
        with Server(argv_of, template, origin_port, workdir, slug) as srv:
            if stand_in:
                time.sleep(1)  # the proxy's first probe of its origin
                stand_in.close()
                stand_in = None
            p = subprocess.run(args + [f"http://127.0.0.1:{srv.port}/"], capture_output=True,
                               text=True, errors="replace", timeout=300)
    except RuntimeError as e:
        if stand_in:
            stand_in.close()
        return slug, None, f"{label}: could not start: {e}"
    except subprocess.TimeoutExpired:
        return slug, None, f"{label}: h1xx did not finish within 300 s"
    js = os.path.join(rdir, "results.json")
    if p.returncode not in (0, 1) or not os.path.exists(js):
        return slug, None, (f"{label}: h1xx exited {p.returncode}: "
                            f"{(p.stderr.strip() or p.stdout.strip())[-300:]}")
    summary = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
    print(f"interop: {label}: {summary}", flush=True)
    return slug, js, None


def not_run_section(out, notes):
    """Appends the implementations that could not run, and why, to interop.md and .html."""
    md = os.path.join(out, "interop.md")
    with open(md, "a") as f:
        f.write("\n## Not run\n\n" + ("".join(f"- {n}\n" for n in notes) if notes
                                       else "Every implementation ran.\n"))
    hp = os.path.join(out, "interop.html")
    with open(hp) as f:
        page = f.read()
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes) or "<li>Every implementation " \
        "ran.</li>"
    page = page.replace("</body>", f"<h2>Not run</h2>\n<ul id=\"not-run\">{items}</ul>\n</body>")
    with open(hp, "w") as f:
        f.write(page)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("h1xx", nargs="?", default=os.path.join(ROOT, "h1xx"))
    ap.add_argument("--only", default="", help="NAME or NAME-ROLE, comma-separated")
    ap.add_argument("--out", default=os.path.join(ROOT, "reports"))
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--no-install", action="store_true")
    ap.add_argument("--keep", action="store_true",
                    help="keep the servers' folders (configurations, logs) and print where")
    a = ap.parse_args()
    h1xx = os.path.abspath(a.h1xx)
    only = [w for w in a.only.split(",") if w]
    jobs = [(n, r) for n, (_, _, _, roles) in IMPLS.items() for r in roles
            if not only or n in only or f"{n}-{r[0]}" in only]
    disabled = [DISABLED[f"{n}-{r[0]}"] for n, r in jobs if f"{n}-{r[0]}" in DISABLED]
    jobs = [(n, r) for n, r in jobs if f"{n}-{r[0]}" not in DISABLED]
    names = sorted({n for n, _ in jobs})
    notes = disabled + ([] if a.no_install else install(names))
    notes += build_drivers(names)
    os.makedirs(a.out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="h1xx-interop-")
    os.chmod(workdir, 0o755)
    t0 = time.monotonic()
    results = {}
    try:
        versions = {}
        for n in names:
            versions[n] = IMPLS[n][2]() if shutil.which(IMPLS[n][1]) else None
            if not versions[n] and n in BUILT and shutil.which(IMPLS[n][1]):
                notes.append(f"{n}: its driver did not build or does not run")
            elif not versions[n]:
                notes.append(f"{n}: not installed ({IMPLS[n][1]} not found; Debian package "
                             f"{IMPLS[n][0]})")
        with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
            futs = [pool.submit(run_one, h1xx, n, r, versions[n], a.out, workdir)
                    for n, r in jobs if versions[n]]
            for f in concurrent.futures.as_completed(futs):
                slug, js, why = f.result()
                if js:
                    results[slug] = js
                else:
                    notes.append(why)
                    print(f"interop: {why}", flush=True)
    finally:
        if a.keep:
            print(f"interop: the servers' folders are kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    # Columns: the origins, then the reverse proxies, the forward proxies, the clients.
    order = [f"{n}-{r[0]}" for role in ("origin", "reverse", "forward", "client") for n, r in jobs
             if r[0] == role and f"{n}-{r[0]}" in results]
    if not order:
        print("interop: nothing ran", file=sys.stderr)
        return 1
    p = subprocess.run([h1xx, "matrix", "--md", os.path.join(a.out, "interop.md"), "--html",
                        os.path.join(a.out, "interop.html")] + [results[s] for s in order])
    if p.returncode:
        return 1
    not_run_section(a.out, notes)
    print(f"interop: {len(order)} runs, {len(notes)} not run, {time.monotonic() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
