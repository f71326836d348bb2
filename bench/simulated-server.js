'use strict';
// A server's request handling run in simulated time: each 100 ms tick handles `rate / 10`
// requests with the real work (real allocation, real GC), then records one sample with the
// simulated clock. Ten minutes of a server's life take seconds, and the series is a real one.
//
//   node bench/simulated-server.js <leak|cache|clean> [seconds=600] [rate=200] [--confirm-gc] [--series file]
//
// Prints one JSON line: when leakhound called `leaking` and when node-memwatch's rule fired (in
// simulated seconds), and the final trend. --series writes the samples for replay.
const fs = require('node:fs');
const { Sampler } = require('..');

const [mode = 'leak', secondsArg = '600', rateArg = '200'] = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--series');
const seriesFile = process.argv.includes('--series') ? process.argv[process.argv.indexOf('--series') + 1] : null;
const seconds = Number(secondsArg);
const rate = Number(rateArg);
if (!['leak', 'cache', 'clean'].includes(mode) || !(seconds > 0) || !(rate > 0)) {
  console.error('usage: simulated-server.js <leak|cache|clean> [seconds] [rate]');
  process.exit(2);
}

const TICK_MS = 100;
const leaked = [];
const cache = new Map();
const CACHE_ENTRIES = 5000; // 5000 × ~4 KB: a 20 MB cache
const KEYS = 20000;
let seed = 42;
const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);

// One request: parse a body, build a response, drop both; plus the mode's retention.
function handle(i) {
  const body = JSON.stringify({ id: i, items: Array.from({ length: 20 }, (_, k) => ({ k, v: `item-${i}-${k}` })) });
  const parsed = JSON.parse(body);
  const response = parsed.items.map((x) => x.v.toUpperCase()).join(',');
  if (mode === 'leak') leaked.push(new Array(6400).fill(i)); // 6400 × 8 bytes: 50 KB kept per request
  if (mode === 'cache') {
    const key = Math.floor(random() * KEYS);
    if (cache.has(key)) {
      const v = cache.get(key);
      cache.delete(key);
      cache.set(key, v); // LRU touch
    } else {
      cache.set(key, Buffer.alloc(4000, key % 251).toString('latin1')); // a flat 4 KB string
      if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value);
    }
  }
  return response.length;
}

async function main() {
  let now = 0;
  const confirm = process.argv.includes('--confirm-gc');
  // The timer never fires (a day); the sampler's GC observer and confirming GCs work as in a
  // live process, on the simulated clock.
  const sampler = new Sampler({ capacity: 10 * (seconds + 1), intervalMs: 86_400_000, clock: () => now, confirmGc: confirm }).start();
  let leakAt = null;
  let memwatchAt = null;
  let memwatchCount = 0;
  const verdicts = { stable: 0, growing: 0, leaking: 0 };
  sampler.on('leak', (e) => {
    leakAt ??= e.timestamp / 1000;
  });
  let request = 0;
  if (mode === 'cache') {
    // A server warms its cache up at start: the series begins with the cache full and churning.
    while (cache.size < CACHE_ENTRIES) handle(request++);
  }
  const perTick = rate / (1000 / TICK_MS);
  const first = request;
  for (let tick = 1; tick <= (seconds * 1000) / TICK_MS; tick++) {
    for (const end = first + Math.round(tick * perTick); request < end; ) handle(request++);
    now = tick * TICK_MS;
    // Let the GC observer deliver what happened during this tick.
    await new Promise(setImmediate);
    await new Promise(setImmediate);
    sampler.sample();
    const memwatch = sampler.counts().memwatchLeaks;
    if (memwatch > memwatchCount) {
      memwatchCount = memwatch;
      memwatchAt ??= now / 1000;
    }
    verdicts[sampler.trend().verdict]++;
  }
  sampler.stop();
  if (seriesFile) fs.writeFileSync(seriesFile, JSON.stringify(sampler.samples()));
  const counts = sampler.counts();
  console.log(
    JSON.stringify({
      mode,
      seconds,
      rate,
      leakAt,
      memwatchAt,
      memwatchCount,
      gcSamples: counts.gcSamplesTotal,
      confirmingGcs: counts.confirmingGcs,
      verdictTicks: verdicts,
      trend: sampler.trend(),
      heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 1048576),
    }),
  );
}

main();
