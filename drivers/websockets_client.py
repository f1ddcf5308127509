#!/usr/bin/python3
"""h1xx client-mode driver for python3-websockets (Debian's package), a WebSocket client.

    h1xx client -k 'client/cli6*' -- python3 drivers/websockets_client.py {url}

Opens a WebSocket to {url} (as ws://), prints the first message it receives and exits 0 without
a closing handshake (h1xx judges the opening one); a failed handshake or connection goes to
stderr with exit 1. Exit 3 when websockets is not installed.
"""
import asyncio
import os
import sys

try:
    import websockets
except ImportError:
    print("websockets_client.py: python3-websockets is not installed", file=sys.stderr)
    sys.exit(3)


async def first_message(url):
    ws = await websockets.connect(url, open_timeout=20, close_timeout=1)
    msg = await asyncio.wait_for(ws.recv(), 20)
    return msg.encode() if isinstance(msg, str) else msg


def main(url, *_):
    try:
        out = asyncio.run(first_message("ws" + url[len("http"):]))
    except Exception as e:  # noqa: BLE001 (the library's own exception classes vary by version)
        print(f"websockets_client.py: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(out)
    sys.stdout.flush()
    os._exit(0)  # no closing handshake: the origin does not answer one


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
