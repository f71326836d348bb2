'use strict';
// assertNoLeak(fn): the three-snapshot method inside this process. Warm up, snapshot (baseline),
// run `iterations` times, snapshot (target), run `iterations` times again, snapshot (final).
// Snapshots stream straight into the Rust core; no file is written. What `fn` leaks shows up as
// groups of objects allocated between baseline and target, still alive in final, at least one
// per iteration. One-off allocations (lazy initialisation, a cache filled during warm-up) do not
// scale with the iterations and are not reported.
const native = require('./native');
const check = require('./validate');
const { settle } = require('./settle');
const { captureSnapshot, captureLightSnapshot, kNative } = require('./snapshot');
const { reportError } = require('./errors');

// Allocation tracking through the inspector, so leak groups can name the allocating stack.
// HeapProfiler.disable stops it cheaply (stopTrackingHeapObjects would write a snapshot first).
async function trackAllocations() {
  const inspector = require('node:inspector');
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startTrackingHeapObjects', { trackAllocations: true });
  return async () => {
    try {
      await post('HeapProfiler.disable');
    } finally {
      session.disconnect();
    }
  };
}

// Its own frame, so nothing `fn` returns lingers in assertNoLeak's suspended registers. Calls
// are numbered on from `from` across warm-up and both rounds, so `fn(i)` can make unique keys.
async function repeat(fn, from, times) {
  for (let i = from; i < from + times; i++) await fn(i);
}

async function assertNoLeak(fn, opts) {
  if (typeof fn !== 'function') throw new TypeError(`assertNoLeak(): expected a function, got ${check.describe(fn)}`);
  const o = check.options('assertNoLeak()', opts);
  const iterations = check.integer('assertNoLeak()', 'iterations', o.iterations, 2, 1_000_000, 20);
  const warmup = check.integer('assertNoLeak()', 'warmup', o.warmup, 0, 1_000_000, 5);
  const tracking = check.boolean('assertNoLeak()', 'trackAllocations', o.trackAllocations, false);

  const stopTracking = tracking ? await trackAllocations() : null;
  try {
    return await hunt(fn, iterations, warmup);
  } finally {
    await stopTracking?.();
  }
}

async function hunt(fn, iterations, warmup) {
  await repeat(fn, 0, warmup);
  await settle();
  const baseline = await captureLightSnapshot();
  await repeat(fn, warmup, iterations);
  await settle();
  const target = await captureLightSnapshot();
  await repeat(fn, warmup + iterations, iterations);
  await settle();
  const final = await captureSnapshot();

  const found = native.findLeaksInSnapshots(baseline, target, final[kNative]());
  const leaks = found.leaks.filter((g) => g.count >= iterations);
  const collections = found.collections.filter((c) => c.added >= iterations);
  const report = { leaks, collections, leakedObjects: found.leakedObjects, heapSize: found.heapSize, iterations };
  if (leaks.length > 0) throw reportError(report);
  return report;
}

module.exports = { assertNoLeak };
