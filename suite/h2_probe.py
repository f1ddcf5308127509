#!/usr/bin/python3
"""h2_probe: what a real HTTP/2 front does with an HTTP/1.1 origin's 1xx (docs/http2.md).

    /usr/bin/python3 suite/h2_probe.py nghttpx|nginx|h2front [--curl]

Starts fixtures/test_h2front.py's scripted origin in this process, the front (nghttpx from
Debian's nghttp2-proxy with `--frontend=127.0.0.1,P;no-tls`, nginx with `listen ... http2`
and proxy_http_version 1.1 (NGX_HTTP_VERSION=1.0 for nginx's default), or the reference
fixture), then sends one HTTP/2 request per script with the raw frame client and prints every
frame of the stream and what the origin received. --curl adds `curl --http2-prior-knowledge
-v` on three paths (curl checks with nghttp2's rules). Loopback only; the front is stopped by
its pid; every wait is bounded. Not part of make test: it needs the real servers installed.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "fixtures"))
import harness  # noqa: E402
import test_h2front as t  # noqa: E402


def conn103(conn):
    t.send_1xx(conn.sock, 103, [b"Link: </s.css>; rel=preload", b"Connection: x-hop",
                                b"X-Hop: 1"])
    t.send_final(conn.sock, 200, b"ok\n")


def conn103ka(conn):
    t.send_1xx(conn.sock, 103, [b"Link: </s.css>; rel=preload", b"Connection: keep-alive",
                                b"Keep-Alive: timeout=5", b"Proxy-Connection: keep-alive"])
    t.send_final(conn.sock, 200, b"ok\n")


t.SCRIPTS["/conn103"] = conn103
t.SCRIPTS["/conn103ka"] = conn103ka

NGINX_CONF = """daemon off; pid {w}/pid; error_log {w}/err.log info; worker_processes 1;
events {{ worker_connections 64; }}
http {{ access_log {w}/access.log;
  client_body_temp_path {w}; proxy_temp_path {w}; fastcgi_temp_path {w};
  uwsgi_temp_path {w}; scgi_temp_path {w};
  server {{ listen 127.0.0.1:{port} http2;
    location / {{ proxy_pass http://127.0.0.1:{origin}; proxy_http_version {ver}; }} }} }}
"""

PATHS = [("100, 102, 103, 150, 199, then 200", "/seq?codes=100,102,103,150,199"),
         ("103 with Connection: x-hop and X-Hop", "/conn103"),
         ("103 with Connection: keep-alive, Keep-Alive, Proxy-Connection", "/conn103ka"),
         ("103 as above with X-Hop; final chunked with Connection: close, x-hop2", "/conn"),
         ("101 to a plain GET", "/switch"),
         ("103, then the final 0.4 s later", "/late")]


def start_front(which, port, origin_port, work):
    if which == "nghttpx":
        argv = ["nghttpx", "--frontend=127.0.0.1,%d;no-tls" % port,
                "--backend=127.0.0.1,%d" % origin_port, "--workers=1", "--no-ocsp",
                "--conf=/dev/null", "--pid-file=%s/pid" % work,
                "--errorlog-file=%s/err.log" % work]
    elif which == "nginx":
        with open(os.path.join(work, "nginx.conf"), "w") as f:
            f.write(NGINX_CONF.format(w=work, port=port, origin=origin_port,
                                      ver=os.environ.get("NGX_HTTP_VERSION", "1.1")))
        argv = ["nginx", "-p", work, "-c", os.path.join(work, "nginx.conf")]
    else:
        argv = [harness.PYTHON, os.path.join(ROOT, "fixtures", "h2front.py"), "--port",
                str(port), "--upstream", "127.0.0.1:%d" % origin_port]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(work, "stderr"), "w"))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.1)
    stop(proc, which)
    raise SystemExit("h2_probe: %s did not listen on %d" % (which, port))


def stop(proc, which):
    # nginx: SIGQUIT is its graceful stop; the master reaps its worker
    proc.send_signal(signal.SIGQUIT if which == "nginx" else signal.SIGTERM)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def show(label, events, origin, before):
    print("== " + label)
    for e in events:
        if e["kind"] == "HEADERS":
            fields = ", ".join("%s: %s" % (n.decode(), v.decode()) for n, v in e["fields"]
                               if n != b":status")
            print("   HEADERS %d%s  %s" % (e["status"], " END_STREAM" if e["end"] else "", fields))
        elif e["kind"] == "DATA":
            print("   DATA %d%s  %r" % (len(e["data"]), " END_STREAM" if e["end"] else "",
                                        e["data"][:48]))
        else:
            print("   %s code %d" % (e["kind"], e["code"]))
    if not events:
        print("   (nothing within the wait)")
    if len(origin.seen) == before:
        print("   origin got: nothing")
    else:
        up = origin.seen[-1]
        print("   origin got: %s %s %s | %s" % (
            up.method.decode(), up.path, up.version.decode(),
            "; ".join("%s: %s" % (n.decode(), v.decode()) for n, v in up.fields)))


def one(port, origin, label, method, path, extra=(), content=None, expect=False):
    c = t.Client(port)
    before = len(origin.seen)
    try:
        c.request(1, method, path, extra, end_stream=content is None)
        if content is not None:
            if expect:
                got = c.wait(lambda: 100 in t.statuses(c.stream(1)), timeout=3)
                print("== %s: a 100 within 3 s: %s" % (label, got))
            c.data(1, content)
        c.wait(lambda: c.ended(1), timeout=5)
        events = c.stream(1)
        show(label, events, origin, before)
        heads = [e for e in events if e["kind"] == "HEADERS"]
        if path == "/late" and len(heads) >= 2:
            print("   103 -> final: %.3f s" % (heads[-1]["t"] - heads[0]["t"]))
    finally:
        c.close()


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else ""
    if which not in ("nghttpx", "nginx", "h2front"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    if t.MISSING:
        print("h2_probe: " + t.MISSING, file=sys.stderr)
        return 77
    origin = t.Origin()
    port = harness.free_port()
    with tempfile.TemporaryDirectory(prefix="h2probe-") as work:
        proc = start_front(which, port, origin.port, work)
        try:
            for label, path in PATHS:
                one(port, origin, label, "GET", path)
            one(port, origin, "expect: 100-continue, content after a 100 or 3 s", "POST",
                "/expect", [("expect", "100-continue"), ("content-length", "5")], b"hello",
                expect=True)
            c = t.Client(port)
            before = len(origin.seen)
            c.request(1, "POST", "/refuse", [("expect", "100-continue"),
                                             ("content-length", "5")], end_stream=False)
            c.wait(lambda: c.ended(1), timeout=5)
            show("expect: 100-continue, the origin refuses at once (413)", c.stream(1), origin,
                 before)
            c.close()
            if "--curl" in sys.argv:
                for path in ("/conn103", "/seq?codes=100,102,103,150,199", "/switch"):
                    r = subprocess.run(["curl", "-sS", "-v", "--http2-prior-knowledge",
                                        "--max-time", "5", "http://127.0.0.1:%d%s" % (port, path)],
                                       capture_output=True, text=True, timeout=10)
                    print("== curl --http2-prior-knowledge %s (exit %d)" % (path, r.returncode))
                    for ln in r.stderr.splitlines():
                        if ln.startswith("< ") or "stream" in ln or ln.startswith("curl:"):
                            print("   " + ln)
        finally:
            stop(proc, which)
            origin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
