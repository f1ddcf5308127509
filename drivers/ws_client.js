// h1xx client-mode driver for the npm `ws` WebSocket client (installed by make interop with npm
// ci in suite/interop/node/).
//   h1xx client -k 'client/cli6*' -- node drivers/ws_client.js {url}
// Opens a WebSocket to {url} (as ws://), prints the first message and exits 0 without a closing
// handshake; a failed handshake goes to stderr with exit 1. Exit 3 when ws is not installed.
// A case that asks for no WebSocket (H1XX_UPGRADE is not "websocket") is declined with exit 77,
// which h1xx reports as a skip.
'use strict';
if ((process.env.H1XX_UPGRADE || 'websocket').toLowerCase() !== 'websocket') {
  process.stderr.write('ws_client.js: a WebSocket client; this case asks for no WebSocket\n');
  process.exit(77);
}
const path = require('path');

let WebSocket;
try {
  WebSocket = require(path.join(__dirname, '..', 'suite', 'interop', 'node', 'node_modules', 'ws'));
} catch (e) {
  process.stderr.write('ws_client.js: ws is not installed (npm ci in suite/interop/node)\n');
  process.exit(3);
}
const url = 'ws' + process.argv[2].slice('http'.length);
const ws = new WebSocket(url, { handshakeTimeout: 20000 });
ws.on('message', (data) => { process.stdout.write(data, () => process.exit(0)); });
ws.on('error', (e) => { process.stderr.write(`ws_client.js: ${e.message}\n`); process.exit(1); });
ws.on('close', () => {
  process.stderr.write('ws_client.js: closed before a message\n');
  process.exit(1);
});
