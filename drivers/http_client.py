#!/usr/bin/python3
"""h1xx client-mode driver for Python's http.client.

    h1xx client -- python3 drivers/http_client.py {url} {method} {body} {upgrade} {headers}

One request with http.client.HTTPConnection (which sends the content at once: it has no
100-continue support); the final response's body on stdout, exit 0; an exception on stderr with
exit 1.
"""
import http.client
import sys
import urllib.parse


def main(url, method="GET", body="", upgrade="", headers_file=""):
    u = urllib.parse.urlsplit(url)
    content = None
    if body:
        with open(body, "rb") as f:
            content = f.read() or None
    headers = {"Upgrade": upgrade, "Connection": "upgrade"} if upgrade else {}
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=30)
    try:
        conn.request(method, u.path + ("?" + u.query if u.query else ""), body=content,
                     headers=headers)
        resp = conn.getresponse()
        out, fields = resp.read(), resp.getheaders()
        if resp.status < 200:
            print(f"http_client.py: http.client returned interim {resp.status} {resp.reason} "
                  "as the response", file=sys.stderr)
            return 1
    except (http.client.HTTPException, OSError, ValueError) as e:
        print(f"http_client.py: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    if headers_file:  # the final response's fields, "Name: value" a line
        with open(headers_file, "w", encoding="latin-1") as f:
            f.writelines(f"{k}: {v}\n" for k, v in fields)
    sys.stdout.buffer.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
