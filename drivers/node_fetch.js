// h1xx client-mode driver for Node.js's fetch (undici).
//   h1xx client -- node drivers/node_fetch.js {url} {method} {body} {upgrade} {headers}
// One fetch; the final response's body on stdout, exit 0; an error on stderr (with undici's
// cause), exit 1. fetch forbids the Upgrade and Connection headers, so {upgrade} is not offered.
'use strict';
const fs = require('fs');

const [url, method = 'GET', bodyPath = '', , headersPath = ''] = process.argv.slice(2);
const body = bodyPath && fs.statSync(bodyPath).size ? fs.readFileSync(bodyPath) : undefined;
fetch(url, { method, body, signal: AbortSignal.timeout(30000) })
  .then((res) => {
    if (headersPath) { // the final response's fields, "Name: value" a line
      fs.writeFileSync(headersPath, [...res.headers].map(([k, v]) => `${k}: ${v}\n`).join(''));
    }
    return res.arrayBuffer();
  })
  .then((buf) => { process.stdout.write(Buffer.from(buf)); })
  .catch((e) => {
    const cause = e.cause ? ` (cause: ${e.cause.code || ''} ${e.cause.message})` : '';
    process.stderr.write(`node_fetch.js: ${e.message}${cause}\n`);
    process.exit(1);
  });
