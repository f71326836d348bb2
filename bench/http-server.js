'use strict';
// The server bench:monitor and bench:alloc load: JSON work per request on loopback. SAMPLER=1
// runs a 10 Hz Sampler; ALLOC_INTERVAL=<bytes> runs an AllocationSampler at that interval (10 s
// windows); LEAK=1 keeps 50 KB per request and reports when the verdict turns to leaking.
const http = require('node:http');
const { Sampler, AllocationSampler } = require('..');

const leaked = [];
const started = Date.now();
let sampler = null;
if (process.env.SAMPLER === '1') {
  sampler = new Sampler({ intervalMs: 100, confirmGc: process.env.CONFIRM === '1' }).start();
  sampler.on('leak', (e) => {
    process.stdout.write(`${JSON.stringify({ leakAfterS: (Date.now() - started) / 1000, trend: e.trend })}\n`);
  });
}

let allocations = null;
// Wall time of each window's profile (read, fold, verdict), on the event loop.
const profileMs = [];
if (process.env.ALLOC_INTERVAL) {
  allocations = new AllocationSampler({ intervalBytes: Number(process.env.ALLOC_INTERVAL) }).start();
  const profile = allocations.profile.bind(allocations);
  allocations.profile = () => {
    const t0 = performance.now();
    const out = profile();
    profileMs.push(performance.now() - t0);
    return out;
  };
}

let served = 0;
const server = http.createServer((req, res) => {
  served++;
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
  process.stdout.write(`${JSON.stringify({ exit: true, cpu: process.cpuUsage(), served, counts, memwatchLeaks: counts?.memwatchLeaks, allocations: allocations?.counts(), profileMs: profileMs.length ? profileMs.reduce((a, b) => a + b) / profileMs.length : null })}\n`);
  process.exit(0);
});
