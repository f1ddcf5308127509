#!/usr/bin/python3
"""h1xx client-mode driver for python3-aiohttp's client (Debian's package).

    h1xx client -- python3 drivers/aiohttp_get.py {url} {method} {body} {upgrade} {headers}

One request with aiohttp.ClientSession; uploads ask for a 100 (expect100=True); the final
response's body on stdout, exit 0 (whatever the final status); an exception on stderr with
exit 1. Exit 3 when aiohttp is not installed.
"""
import asyncio
import sys

try:
    import aiohttp
except ImportError:
    print("aiohttp_get.py: python3-aiohttp is not installed", file=sys.stderr)
    sys.exit(3)


async def fetch(url, method, data, headers):
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.request(method, url, data=data, headers=headers,
                                   expect100=bool(data)) as resp:
            return resp.status, await resp.read(), list(resp.raw_headers)


def main(url, method="GET", body="", upgrade="", headers_file=""):
    data = None
    if body:
        with open(body, "rb") as f:
            data = f.read() or None
    headers = {"Upgrade": upgrade, "Connection": "upgrade"} if upgrade else {}
    try:
        status, out, fields = asyncio.run(fetch(url, method, data, headers))
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as e:
        print(f"aiohttp_get.py: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    if status < 200:
        print(f"aiohttp_get.py: aiohttp returned interim {status} as the response",
              file=sys.stderr)
        return 1
    if headers_file:  # the final response's fields, "Name: value" a line
        with open(headers_file, "wb") as f:
            f.writelines(k + b": " + v + b"\n" for k, v in fields)
    sys.stdout.buffer.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
