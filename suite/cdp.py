"""cdp: drive a headless Chromium over the DevTools protocol, standard library only.

Chromium is started with --remote-debugging-pipe: it reads commands on its fd 3 and writes
replies and events on its fd 4, each a JSON text ended by a NUL byte. No port is opened.

    with cdp.Browser("/usr/bin/chromium", 1280, 2000) as b:
        b.navigate("file:///.../report.html#verdict=fail")
        n = b.eval("document.querySelectorAll('tbody.case:not([hidden])').length")
        b.screenshot("shot.png")
        problems = b.problems()      # exceptions, console errors, requests off file:/data:

Every wait is bounded; the browser is stopped by its pid (SIGTERM, then SIGKILL).
"""
import base64
import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--mute-audio",
         "--remote-debugging-pipe"]


class CdpError(RuntimeError):
    pass


class Browser:
    def __init__(self, exe, width=1280, height=2000, timeout=20.0):
        self.timeout = timeout
        self.width, self.height = width, height
        self.profile = tempfile.mkdtemp(prefix="h1xx-chromium-")
        self.events = []
        self._next = 0
        self._buf = b""
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def child_fds():
            # Move both ends out of the way first, then onto 3 and 4 (dup2 clears CLOEXEC).
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
            hi_a, hi_b = os.dup2(a, 200), os.dup2(b, 201)
            os.dup2(hi_a, 3)
            os.dup2(hi_b, 4)

        self.proc = subprocess.Popen(
            [exe] + FLAGS + [f"--user-data-dir={self.profile}",
                             f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=child_fds, pass_fds=(3, 4))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        try:
            self._attach()
        except Exception:
            self.close()
            raise

    # ---- protocol ------------------------------------------------------------------------

    def _send(self, method, params=None, session=None):
        self._next += 1
        msg = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self._to_chrome, data):]
        return self._next

    def _read_message(self, deadline):
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CdpError("no answer from chromium in time")
            ready, _, _ = select.select([self._from_chrome], [], [], left)
            if ready:
                chunk = os.read(self._from_chrome, 1 << 20)
                if not chunk:
                    raise CdpError("chromium closed the pipe (exit %s)" % self.proc.poll())
                self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session="page"):
        """Sends a command and returns its result; events seen meanwhile are kept."""
        sid = self.session if session == "page" else session
        want = self._send(method, params, sid)
        deadline = time.monotonic() + self.timeout
        while True:
            msg = self._read_message(deadline)
            if msg.get("id") == want:
                if "error" in msg:
                    raise CdpError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_event(self, method, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        for i, ev in enumerate(self.events):
            if ev["method"] == method:
                return self.events.pop(i)
        while True:
            msg = self._read_message(deadline)
            if msg.get("method") == method:
                return msg
            if "method" in msg:
                self.events.append(msg)

    def _attach(self):
        target = self.call("Target.createTarget", {"url": "about:blank"}, None)["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True}, None)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(domain + ".enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1,
                   "mobile": False})

    # ---- what the tests use --------------------------------------------------------------

    def _load(self, url):
        self.events = [e for e in self.events if e["method"] != "Page.loadEventFired"]
        self.call("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired")

    def navigate(self, url, scripted=True):
        """Loads url afresh (by way of about:blank, so that a change of fragment alone is a new
        load too) and waits for its load event and, on a page with a script (scripted), for
        <html data-ready="1">."""
        self._load("about:blank")
        self._load(url)
        if not scripted:
            return
        deadline = time.monotonic() + self.timeout
        while self.eval("document.documentElement.getAttribute('data-ready')") != "1":
            if time.monotonic() > deadline:
                raise CdpError("the page's script never set data-ready")
            time.sleep(0.05)

    def eval(self, expression):
        """Evaluates a JavaScript expression in the page and returns its value (JSON-able)."""
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": True})
        if "exceptionDetails" in r:
            raise CdpError("script error: %s" % r["exceptionDetails"].get("text"))
        return r["result"].get("value")

    def screenshot(self, path, clip=None):
        """Writes a PNG of the viewport, or of clip {x, y, width, height} in page pixels."""
        params = {"format": "png"}
        if clip:
            params["clip"] = dict(clip, scale=1)
            params["captureBeyondViewport"] = True
        data = base64.b64decode(self.call("Page.captureScreenshot", params)["data"])
        with open(path, "wb") as f:
            f.write(data)
        return len(data)

    def problems(self):
        """Script exceptions, console errors (CSP violations land there) and any request for
        something other than file: or data: seen so far."""
        out = []
        with contextlib.suppress(CdpError):
            self.call("Runtime.evaluate", {"expression": "0"})  # drain pending events
        for ev in self.events:
            m, p = ev["method"], ev.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:300])
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console: " + json.dumps(p.get("args", []))[:300])
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append("log: " + p["entry"].get("text", "")[:300])
            elif m == "Network.requestWillBeSent":
                url = p.get("request", {}).get("url", "")
                if not url.startswith(("file:", "data:", "about:")):
                    out.append("request: " + url[:200])
        return out

    def close(self):
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        for fd in (self._to_chrome, self._from_chrome):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
