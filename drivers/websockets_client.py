#!/usr/bin/python3
"""h1xx client-mode driver for python3-websockets (Debian's package), a WebSocket client.

    h1xx client -- python3 drivers/websockets_client.py {url}

Opens a WebSocket to {url} (as ws://), prints the first message it receives and exits 0 without
a closing handshake (h1xx judges the opening one); a failed handshake or connection goes to
stderr with exit 1. Exit 3 when websockets is not installed. A case that does not ask for a
WebSocket (H1XX_UPGRADE is not "websocket") is declined with exit 77, which h1xx reports as a
skip: so the driver can run every client case.
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
    if os.environ.get("H1XX_UPGRADE", "websocket").lower() != "websocket":
        print("websockets_client.py: a WebSocket client; this case asks for no WebSocket",
              file=sys.stderr)
        return 77
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
