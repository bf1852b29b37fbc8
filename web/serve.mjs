// serve.mjs - the operator page's server: static files and an MQTT-over-WebSockets
// bridge, both on one loopback port.
//
// Why not the broker's own WebSockets listener: Debian 12's mosquitto 2.0.11
// binds a "protocol websockets" listener on every interface whatever address
// the listener names (and refuses bind_interface / socket_domain on it), and a
// demo broker that allows anonymous clients must not be reachable from the
// network. So this server listens on 127.0.0.1 only, serves the built page
// (build/web) and relays each WebSocket on /mqtt, byte for byte, to the
// broker's ordinary TCP listener. MQTT itself (login, ACLs) stays the broker's
// business: the bridge neither reads nor changes the MQTT bytes.
//
// Usage: node web/serve.mjs --root DIR --broker HOST:PORT [--port N] [--host ADDR]
//                           [--config FILE]
//   --config FILE is served as /config.json (the page's settings); without it
//   DIR/config.json is served.
// Prints "operator page: http://127.0.0.1:PORT/" once it listens.

import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, createWebSocketStream } from 'ws';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

// Map a request path to a file under root, or null if it would leave root.
function resolveFile(root, urlPath) {
  let p;
  try {
    p = decodeURIComponent(urlPath.split('?')[0]);
  } catch {
    return null;
  }
  if (p.includes('\0'))
    return null;
  if (p.endsWith('/'))
    p += 'index.html';
  const full = path.resolve(root, '.' + path.posix.normalize('/' + p));
  return full.startsWith(path.resolve(root) + path.sep) ? full : null;
}

function sendFile(res, file) {
  fs.stat(file, (err, st) => {
    if (err || !st.isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] || 'application/octet-stream',
      'content-length': st.size,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    fs.createReadStream(file).pipe(res);
  });
}

/**
 * Start the server. opts: root (folder of the built page), broker {host, port},
 * host (default 127.0.0.1), port (0: any free port), config (file served as
 * /config.json, optional). Resolves to {url, port, close()}.
 */
export function startServer(opts) {
  const root = path.resolve(opts.root);
  const host = opts.host || '127.0.0.1';
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' });
      res.end();
      return;
    }
    const urlPath = (req.url || '/').split('?')[0];
    if (urlPath === '/config.json' && opts.config) {
      sendFile(res, path.resolve(opts.config));
      return;
    }
    const file = resolveFile(root, urlPath);
    if (!file) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('bad path\n');
      return;
    }
    sendFile(res, file);
  });

  // mqtt.js asks for the "mqtt" subprotocol; echo it back.
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
  });
  const sockets = new Set();
  server.on('upgrade', (req, socket, head) => {
    if ((req.url || '').split('?')[0] !== '/mqtt') {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const tcp = net.connect(opts.broker.port, opts.broker.host || '127.0.0.1');
      tcp.setNoDelay(true);
      const stream = createWebSocketStream(ws);
      sockets.add(tcp);
      const done = () => {
        sockets.delete(tcp);
        tcp.destroy();
        stream.destroy();
      };
      tcp.on('error', done).on('close', done);
      stream.on('error', done).on('close', done);
      stream.pipe(tcp);
      tcp.pipe(stream);
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port || 0, host, () => {
      const port = server.address().port;
      resolve({
        port,
        url: `http://${host}:${port}/`,
        close: () =>
          new Promise((done) => {
            for (const s of sockets)
              s.destroy();
            for (const c of wss.clients)
              c.terminate();
            server.closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
}

function usage(msg) {
  if (msg)
    console.error(`serve.mjs: ${msg}`);
  console.error('usage: node web/serve.mjs --root DIR --broker HOST:PORT [--port N] ' +
                '[--host ADDR] [--config FILE]');
  process.exit(2);
}

async function main(argv) {
  const o = { port: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    if (a === '--root') o.root = v;
    else if (a === '--broker') o.brokerArg = v;
    else if (a === '--port') o.port = Number(v);
    else if (a === '--host') o.host = v;
    else if (a === '--config') o.config = v;
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown option ${a}`);
    i++;
  }
  if (!o.root || !o.brokerArg)
    usage('--root and --broker are required');
  const m = /^(.*):(\d+)$/.exec(o.brokerArg);
  if (!m)
    usage(`--broker ${o.brokerArg}: expected HOST:PORT, e.g. 127.0.0.1:1883`);
  if (!fs.existsSync(path.join(o.root, 'index.html')))
    usage(`${o.root}/index.html not found: build the page first (scripts/web.sh)`);
  o.broker = { host: m[1], port: Number(m[2]) };
  const s = await startServer(o);
  console.log(`operator page: ${s.url}`);
  const stop = () => s.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  main(process.argv.slice(2)).catch((e) => {
    console.error(`serve.mjs: ${e.message}`);
    process.exit(1);
  });
