#!/usr/bin/python3
"""h1xx client-mode driver for python3-httpx (Debian's package; HTTP/1.1 through h11).

    h1xx client -- python3 drivers/httpx_get.py {url} {method} {body} {upgrade} {headers}

One request with httpx.request; the final response's body on stdout, exit 0 (whatever the final
status); an exception on stderr with exit 1. Exit 3 when httpx is not installed.
"""
import sys

try:
    import httpx
except ImportError:
    print("httpx_get.py: python3-httpx is not installed", file=sys.stderr)
    sys.exit(3)


def main(url, method="GET", body="", upgrade="", headers_file=""):
    data = None
    if body:
        with open(body, "rb") as f:
            data = f.read() or None
    headers = {"Upgrade": upgrade, "Connection": "upgrade"} if upgrade else {}
    try:
        resp = httpx.request(method, url, content=data, headers=headers, timeout=30)
        out, fields = resp.content, resp.headers.multi_items()
        if resp.status_code < 200:
            print(f"httpx_get.py: httpx returned interim {resp.status_code} as the response",
                  file=sys.stderr)
            return 1
    except httpx.HTTPError as e:
        print(f"httpx_get.py: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    if headers_file:  # the final response's fields, "Name: value" a line
        with open(headers_file, "w", encoding="latin-1") as f:
            f.writelines(f"{k}: {v}\n" for k, v in fields)
    sys.stdout.buffer.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
