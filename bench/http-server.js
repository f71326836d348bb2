'use strict';
// The server bench:monitor loads: JSON work per request on loopback. SAMPLER=1 runs a 10 Hz
// Sampler; LEAK=1 keeps 50 KB per request and reports when the verdict turns to leaking.
const http = require('node:http');
const { Sampler } = require('..');

const leaked = [];
const started = Date.now();
let sampler = null;
if (process.env.SAMPLER === '1') {
  sampler = new Sampler({ intervalMs: 100, confirmGc: process.env.CONFIRM === '1' }).start();
  sampler.on('leak', (e) => {
    process.stdout.write(`${JSON.stringify({ leakAfterS: (Date.now() - started) / 1000, trend: e.trend })}\n`);
  });
}

const server = http.createServer((req, res) => {
  const items = Array.from({ length: 50 }, (_, k) => ({ k, name: `item-${k}`, tags: ['a', 'b', String(k)] }));
  const body = JSON.stringify({ url: req.url, items });
  if (process.env.LEAK === '1') leaked.push(new Array(6400).fill(leaked.length)); // 50 KB per request
  res.setHeader('content-type', 'application/json');
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
process.on('SIGTERM', () => {
  const counts = sampler?.counts();
  process.stdout.write(`${JSON.stringify({ exit: true, cpu: process.cpuUsage(), counts, memwatchLeaks: counts?.memwatchLeaks })}\n`);
  process.exit(0);
});
