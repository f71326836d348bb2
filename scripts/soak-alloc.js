#!/usr/bin/env node
'use strict';
// Soak test of the AllocationSampler's own memory: a program whose allocations come from
// thousands of distinct stacks (4,000 functions in 400 scripts, called through one another),
// with a live set that stays the same size, profiled window after window. The sampler's
// bookkeeping (V8's sampling profile, the site table, the profiles kept) must stay bounded:
// the C heap in use and the JS heap after a full GC, in the last quarter of the windows, stay
// near their level in the second quarter.
//
//   node scripts/soak-alloc.js [--windows N] [--json]   (npm run soak:alloc: 3000 windows)
const vm = require('node:vm');
const lh = require('..');
const native = require('../lib/native');

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const windows = option('--windows', 3000);
const maxProfileNodes = option('--max-profile-nodes', 1500);
const json = args.includes('--json');
/** Growth allowed from the second quarter's median to the last quarter's. */
const SLACK_BYTES = 2 << 20;

// Functions made at run time, each named and in a script of its own: distinct frames.
const pool = [];
for (let i = 0; i < 4000; i++) {
  pool.push(
    vm.runInThisContext(`(function site${i}(n, next) { return next ? next(n, null) : { n, a: new Array(32).fill(n) }; })`, {
      filename: `generated/${i % 400}/site${i}.js`,
    }),
  );
}
// The program's live set: a ring, so it holds the same number of objects throughout.
const ring = new Array(20_000);
let at = 0;
let seed = 1;
const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);

const sampler = new lh.AllocationSampler({ intervalBytes: 4096, maxProfileNodes, maxSites: 500, windowMs: 86_400_000 });
sampler.start();
const row = new Float64Array(native.nativeMemoryFields().length);
const mallocAt = native.nativeMemoryFields().indexOf('mallocInUse');
const points = [];
for (let w = 1; w <= windows; w++) {
  for (let k = 0; k < 2000; k++) ring[at++ % ring.length] = pool[random() % pool.length](k, pool[random() % pool.length]);
  sampler.profile();
  if (w % 25 === 0) {
    lh.gc();
    native.fillNativeMemory(row, 0);
    points.push({ window: w, mallocInUse: mallocAt >= 0 ? row[mallocAt] : 0, heapUsed: process.memoryUsage().heapUsed, rss: process.memoryUsage().rss });
  }
}
sampler.stop();

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const quarter = (q, key) => median(points.slice(Math.floor((points.length * q) / 4), Math.floor((points.length * (q + 1)) / 4)).map((p) => p[key]));
const growth = {
  mallocInUse: quarter(3, 'mallocInUse') - quarter(1, 'mallocInUse'),
  heapUsed: quarter(3, 'heapUsed') - quarter(1, 'heapUsed'),
};
const result = { windows, maxProfileNodes, counts: sampler.counts(), growth, slackBytes: SLACK_BYTES, points };
const flat = growth.mallocInUse <= SLACK_BYTES && growth.heapUsed <= SLACK_BYTES;
if (json) {
  process.stdout.write(`${JSON.stringify({ ...result, flat })}\n`);
} else {
  const mb = (n) => `${(n / 1048576).toFixed(2)} MB`;
  console.log(`${windows} windows, ${result.counts.restarts} profiler restarts, ${result.counts.sites} sites followed (${result.counts.droppedSites} dropped for room)`);
  console.log(`growth from the second quarter to the last: C heap ${mb(growth.mallocInUse)}, JS heap ${mb(growth.heapUsed)} (allowed ${mb(SLACK_BYTES)})`);
  console.log(flat ? 'flat' : 'NOT FLAT');
}
process.exitCode = flat ? 0 : 1;
