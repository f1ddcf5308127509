// Node.js origin for h1xx's interop matrix: only the documented http APIs for interim
// responses (nodejs.org/api/http.html), nothing tuned to pass.
//   'checkContinue' event: the handler decides; res.writeContinue() sends the 100
//   res.writeProcessing(): a 102; res.writeEarlyHints({link}): a 103
//   WebSocket echo with the `ws` package (WebSocketServer on the same http.Server)
// Usage: node server.js PORT. Routes: / text, /upload reads the body, /reject refuses
// before reading, /slow 102s then a final, /hints a 103 then a final, /interims 102, 103, final,
// /ws WebSocket echo.
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || 8080);

function readAll(req, res) {
  let n = 0;
  req.on('data', (c) => { n += c.length; });
  req.on('end', () => res.end(`received ${n} bytes\n`));
}

function handle(req, res) {
  const path = req.url.split('?')[0];
  if (path === '/slow') {
    let left = 5;
    const tick = setInterval(() => {
      if (left-- > 0) return res.writeProcessing();
      clearInterval(tick);
      res.end('done\n');
    }, 100);
    return;
  }
  if (path === '/hints') {
    res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
    setTimeout(() => res.end('<!doctype html><title>hints</title>\n'), 50);
    return;
  }
  if (path === '/interims') {
    res.writeProcessing();
    setTimeout(() => {
      res.writeEarlyHints({ link: '</a.css>; rel=preload; as=style' });
      setTimeout(() => res.end('interims done\n'), 20);
    }, 20);
    return;
  }
  if (path === '/reject') {
    res.writeHead(413, { 'Content-Type': 'text/plain', Connection: 'close' });
    res.end('too large\n');
    return;
  }
  if (req.method === 'POST' || req.method === 'PUT') return readAll(req, res);
  res.setHeader('Content-Type', 'text/plain');
  res.end('hello from node\n');
}

const server = http.createServer(handle);
// Without this listener Node answers every Expect: 100-continue with a 100 by itself.
server.on('checkContinue', (req, res) => {
  if (req.url.split('?')[0] !== '/reject') res.writeContinue();
  handle(req, res);
});
const wss = new WebSocketServer({ server, path: '/ws' });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
server.listen(port, '127.0.0.1', () => console.log(`PORT ${port}`));
process.on('SIGTERM', () => process.exit(0));
