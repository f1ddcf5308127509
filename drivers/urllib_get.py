#!/usr/bin/python3
"""h1xx client-mode driver for Python's urllib.request.

    h1xx client -- python3 drivers/urllib_get.py {url} {method} {body} {upgrade} {headers}

One request with urllib.request.urlopen; the final response's body on stdout, exit 0. A final
status of 400 or more raises HTTPError in urllib: its body is printed and the exit is 0 too (a
final response came). An HTTPError with a 1xx code means urllib took an interim response as the
final one: that is reported on stderr with exit 1.
"""
import sys
import urllib.error
import urllib.request


def main(url, method="GET", body="", upgrade="", headers_file=""):
    data = None
    if body:
        with open(body, "rb") as f:
            data = f.read() or None
    req = urllib.request.Request(url, data=data, method=method)
    if upgrade:
        req.add_header("Upgrade", upgrade)
        req.add_header("Connection", "upgrade")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            out, fields = resp.read(), resp.getheaders()
    except urllib.error.HTTPError as e:
        if e.code < 200:
            print(f"urllib_get.py: urllib took an interim response as final: {e}",
                  file=sys.stderr)
            return 1
        out, fields = e.read(), e.headers.items()
    except (urllib.error.URLError, OSError, ValueError) as e:
        print(f"urllib_get.py: {e}", file=sys.stderr)
        return 1
    if headers_file:  # the final response's fields, "Name: value" a line
        with open(headers_file, "w", encoding="latin-1") as f:
            f.writelines(f"{k}: {v}\n" for k, v in fields)
    sys.stdout.buffer.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
