'use strict';
// The busy HTTP server of bench:monitor and bench:alloc (http-server.js), started with an
// environment, and the closed-loop load that drives it.
const http = require('node:http');
const path = require('node:path');
const { spawn } = require('node:child_process');

/** Starts http-server.js with `env`; its JSON lines, port and exit. */
function startServer(env) {
  const child = spawn(process.execPath, [path.join(__dirname, 'http-server.js')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, i)));
      buf = buf.slice(i + 1);
    }
  });
  const port = new Promise((resolve) => {
    const t = setInterval(() => {
      const p = lines.find((l) => l.port);
      if (p) resolve(p.port, clearInterval(t));
    }, 10);
  });
  const exited = new Promise((r) => child.on('exit', r));
  return { child, lines, port, exited };
}

async function stopServer(s) {
  s.child.kill('SIGTERM');
  await s.exited;
  return s.lines.find((l) => l.exit);
}

/** Closed-loop load: `connections` keep-alive clients, each sending its next request on reply. */
function load(port, seconds, connections = 16, ratePerSec = Infinity) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  let done = 0;
  let stop = false;
  const interval = ratePerSec === Infinity ? 0 : (1000 * connections) / ratePerSec;
  return new Promise((resolve) => {
    const one = () => {
      if (stop) return;
      const t0 = Date.now();
      http
        .get({ host: '127.0.0.1', port, path: '/api', agent }, (res) => {
          res.resume();
          res.on('end', () => {
            done++;
            const wait = Math.max(0, interval - (Date.now() - t0));
            if (wait) setTimeout(one, wait);
            else setImmediate(one);
          });
        })
        .on('error', () => setTimeout(one, 10));
    };
    for (let i = 0; i < connections; i++) one();
    setTimeout(() => {
      stop = true;
      agent.destroy();
      resolve(done / seconds);
    }, seconds * 1000);
  });
}

module.exports = { startServer, stopServer, load };
