// h1xx client-mode driver for Node.js's http module.
//   h1xx client -- node drivers/node_http.js {url} {method} {body} {upgrade} {headers}
// One http.request; uploads ask for a 100 (Expect: 100-continue) and send the content on the
// 'continue' event (or after 1 s without one, as curl does). The final response's body on
// stdout, exit 0; an error on stderr, exit 1. An offered upgrade that the server accepts ends
// with exit 0 and nothing printed.
'use strict';
const http = require('http');
const fs = require('fs');

const [url, method = 'GET', bodyPath = '', upgrade = '', headersPath = ''] = process.argv.slice(2);
const content = bodyPath && fs.statSync(bodyPath).size ? fs.readFileSync(bodyPath) : null;
const headers = {};
if (content) {
  headers['Content-Length'] = content.length;
  headers['Expect'] = '100-continue';
}
if (upgrade) {
  headers['Upgrade'] = upgrade;
  headers['Connection'] = 'upgrade';
}
// Exit 1 unless a final response (or an accepted upgrade) came: Node ends quietly on some
// answers (an unsolicited 101 destroys the socket with no event).
process.exitCode = 1;
process.on('exit', (code) => {
  if (code) process.stderr.write('node_http.js: the request ended without a final response\n');
});
const req = http.request(url, { method, headers, timeout: 30000 });
let sent = false;
const send = () => { if (!sent && content) { sent = true; req.end(content); } };
req.on('continue', send);
req.on('response', (res) => {
  const chunks = [];
  res.on('data', (c) => chunks.push(c));
  res.on('end', () => {
    if (headersPath) { // the final response's fields, "Name: value" a line
      const lines = [];
      for (let i = 0; i < res.rawHeaders.length; i += 2) {
        lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\n`);
      }
      fs.writeFileSync(headersPath, lines.join(''));
    }
    process.stdout.write(Buffer.concat(chunks));
    process.exitCode = 0;
  });
});
if (upgrade) req.on('upgrade', (res, socket) => { socket.destroy(); process.exitCode = 0; });
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', (e) => {
  process.stderr.write(`node_http.js: ${e.code || ''} ${e.message}\n`);
  process.exit(1);
});
if (content) setTimeout(send, 1000).unref(); else req.end();
